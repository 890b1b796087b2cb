"""The factories build mirror rows as a sync writes them: every foreign key beside its parent's
WebWork id, so selectors and pages see what they would after a real sync."""

import pytest

from integrations.sync.links import LINKS, links_resolve
from tests.factories import (
    ExpenseFactory,
    LeaveRequestFactory,
    MemberFactory,
    TaskFactory,
    TimeEntryFactory,
    TimeRequestFactory,
    TimesheetFactory,
    WorkspaceFactory,
    bulk,
)

pytestmark = pytest.mark.django_db


def test_every_link_a_factory_fills_names_its_parent_by_webwork_id():
    workspace = WorkspaceFactory()
    TimeEntryFactory.create_batch(3, workspace=workspace)
    TimesheetFactory(workspace=workspace)
    TimeRequestFactory(workspace=workspace)
    LeaveRequestFactory(workspace=workspace)
    ExpenseFactory(workspace=workspace)
    TaskFactory(workspace=workspace)

    checked = 0
    for link in LINKS:
        rows = link.model.objects.filter(**{link.workspace: workspace, f"{link.field}__isnull": False})
        for row in rows.select_related(link.field):
            assert getattr(row, link.field).webwork_id == str(getattr(row, link.webwork_id)), link.label
            assert getattr(row, link.field).workspace_id == workspace.pk
            checked += 1
    assert checked >= 15
    assert links_resolve(workspace) == {}  # nothing left for a sync to fill


def test_bulk_writes_a_150_member_workspace_in_a_few_statements(django_assert_max_num_queries):
    """One bulk_create: a statement (SQLite splits it into batches of its variable limit)."""
    workspace = WorkspaceFactory()

    with django_assert_max_num_queries(6):
        members = bulk(MemberFactory, 150, workspace=workspace)

    assert len({member.webwork_id for member in members}) == 150
    assert workspace.pk == members[0].workspace_id
