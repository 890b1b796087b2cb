"""Inviting project viewers, giving and taking their projects, archiving and restoring them."""

import pytest
from django.utils import timezone

from integrations.models import AuditEvent, Project, ProjectViewer, ViewerProject
from integrations.sandbox import models as sandbox
from integrations.sandbox.models.accounts import Role
from integrations.services import (
    ServiceError,
    project_viewer_assign,
    project_viewer_create,
    project_viewer_remove,
    project_viewer_restore,
    project_viewer_unassign,
)
from integrations.sync.project_viewers import sync_project_viewers
from integrations.sync.projects import sync_projects
from tests.integrations.convergence import assert_converged

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def clients(world, ctx):
    """Nora (a viewer) sees Website; Support is nobody's."""
    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Support")
    nora = sandbox.Membership.objects.get(workspace=world.acme, user=world.viewer)
    sandbox.ViewerProject.objects.create(viewer=nora, project=website)
    sync_projects(ctx)
    sync_project_viewers(ctx)
    return {
        "nora": nora,
        "viewer": ProjectViewer.objects.get(webwork_id=str(world.viewer.id)),
        "website": Project.objects.get(name="Website"),
        "support": Project.objects.get(name="Support"),
    }


def sees(viewer):
    return sorted(ViewerProject.objects.filter(viewer=viewer).values_list("project__name", flat=True))


def test_inviting_a_viewer(world, mirror_workspace, wire, actor, clients, audit_of):
    row = project_viewer_create(
        workspace=mirror_workspace,
        actor=actor,
        email="ceo@initech.test",
        firstname="Bill",
        lastname="Lumbergh",
    )

    made = sandbox.Membership.objects.get(workspace=world.acme, user__email="ceo@initech.test")
    assert made.role == Role.PROJECT_VIEWER
    assert (row.webwork_id, row.email, row.firstname, row.status) == (
        str(made.user_id),
        "ceo@initech.test",
        "Bill",
        "active",
    )
    assert_converged(mirror_workspace, "project_viewers")
    event = audit_of("project_viewer_create")
    assert (event.before, event.after["email"], event.after["projects"]) == (None, "ceo@initech.test", [])


def test_inviting_someone_already_in_the_workspace_is_refused(mirror_workspace, wire, actor, clients):
    with pytest.raises(ServiceError) as refused:
        project_viewer_create(
            workspace=mirror_workspace,
            actor=actor,
            email="alice@acme.test",
            firstname="Alice",
            lastname="Moreau",
        )

    # WebWork's 400 (a business rule; it documents no 409), explained by reading the members again.
    assert (refused.value.status, refused.value.kind) == (400, "conflict")
    assert refused.value.message == "alice@acme.test is already in Acme Studio, as a regular user."
    assert ProjectViewer.objects.count() == 1


def test_inviting_an_archived_viewer_again_says_to_restore_them(
    world, mirror_workspace, wire, actor, clients
):
    sandbox.Membership.objects.filter(workspace=world.acme, user=world.viewer).update(
        deleted_at=timezone.now()
    )

    with pytest.raises(ServiceError) as refused:
        project_viewer_create(
            workspace=mirror_workspace,
            actor=actor,
            email="client@northwind.test",
            firstname="Nora",
            lastname="West",
        )

    assert (refused.value.status, refused.value.kind) == (400, "conflict")
    assert (
        refused.value.message
        == "client@northwind.test is an archived project viewer of Acme Studio; restore them instead."
    )


def test_giving_and_taking_a_project(world, mirror_workspace, wire, actor, clients):
    viewer = clients["viewer"]

    row = project_viewer_assign(
        workspace=mirror_workspace, actor=actor, viewer=viewer, project=clients["support"]
    )
    assert sorted(clients["nora"].viewer_projects.values_list("project__name", flat=True)) == [
        "Support",
        "Website",
    ]
    assert sees(row) == ["Support", "Website"]
    assert_converged(mirror_workspace, "project_viewers")

    project_viewer_unassign(
        workspace=mirror_workspace, actor=actor, viewer=viewer, project=clients["website"]
    )
    assert list(clients["nora"].viewer_projects.values_list("project__name", flat=True)) == ["Support"]
    assert sees(viewer) == ["Support"]
    assert_converged(mirror_workspace, "project_viewers")

    support, website = int(clients["support"].webwork_id), int(clients["website"].webwork_id)
    trail = list(
        AuditEvent.objects.order_by("id").values_list("action", "before__projects", "after__projects")
    )
    assert trail == [
        ("project_viewer_assign", [website], sorted([website, support])),
        ("project_viewer_unassign", sorted([website, support]), [support]),
    ]


def test_giving_a_project_the_viewer_already_sees(mirror_workspace, wire, actor, clients, unchanged):
    with unchanged(clients["viewer"]), pytest.raises(ServiceError) as refused:
        project_viewer_assign(
            workspace=mirror_workspace,
            actor=actor,
            viewer=clients["viewer"],
            project=clients["website"],
        )

    assert refused.value.message == "Nora West can already see Website."
    assert (refused.value.status, refused.value.kind) == (400, "conflict")
    assert sees(clients["viewer"]) == ["Website"]


def test_removing_and_restoring_a_viewer(mirror_workspace, wire, actor, clients):
    viewer = clients["viewer"]

    removed = project_viewer_remove(workspace=mirror_workspace, actor=actor, viewer=viewer)
    clients["nora"].refresh_from_db()
    assert (clients["nora"].status, clients["nora"].deleted_at is not None) == ("inactive", True)
    assert removed.status == "inactive"
    assert sees(removed) == ["Website"]  # kept for a restore
    assert_converged(mirror_workspace, "project_viewers")

    restored = project_viewer_restore(workspace=mirror_workspace, actor=actor, viewer=viewer)
    clients["nora"].refresh_from_db()
    assert (clients["nora"].status, restored.status) == ("active", "active")
    assert_converged(mirror_workspace, "project_viewers")


def test_restoring_a_viewer_who_is_not_archived(mirror_workspace, wire, actor, clients, unchanged):
    with unchanged(clients["viewer"]), pytest.raises(ServiceError) as refused:
        project_viewer_restore(workspace=mirror_workspace, actor=actor, viewer=clients["viewer"])

    assert refused.value.status == 422
    assert refused.value.message.startswith(
        "WebWork did not accept this: client@northwind.test is not archived"
    )
