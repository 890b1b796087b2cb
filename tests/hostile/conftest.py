"""Two organisations as Clockroom mirrors them, one row of every kind each, connected to the real
sandbox (so a form that gets past its checks reaches WebWork, which refuses ids it does not have).

Every Globex row carries GLOBEX in its name: an Acme page or export showing that word leaked a row
of another workspace.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dashboard.models import SavedReport
from integrations import models as mirror
from integrations.sandbox.oauth.services import oauth_application_register
from tests.dashboard.helpers import NestedWire, connected_by_owner
from tests.factories import (
    ContractFactory,
    ExpenseFactory,
    LeaveRequestFactory,
    MemberFactory,
    ProjectFactory,
    TaskFactory,
    TimeEntryFactory,
    TimeRequestFactory,
    TimesheetFactory,
)
from tests.integrations.webhooks.conftest import (  # noqa: F401 (the webhook tests' fixtures, used here too)
    deliver,
    http,
    owner_client,
    registered,
    workspace,
)
from tests.sandbox_world import CALLBACK, mirror_connected

LEAK = "GLOBEX"


@dataclass
class Rows:
    """One workspace's rows, by the names the URL table uses."""

    workspace: mirror.Workspace
    user: object
    member: mirror.Member
    project: mirror.Project
    task: mirror.Task
    contract: mirror.Contract
    entry: mirror.TimeEntry
    timesheet: mirror.Timesheet
    time_request: mirror.TimeRequest
    leave: mirror.LeaveRequest
    expense: mirror.Expense
    viewer: mirror.ProjectViewer
    saved: SavedReport
    bulk: mirror.BulkDecision

    def path_values(self):
        """The value of every path argument of the dashboard's URLs, for this workspace's rows."""
        return {
            "workspace_id": self.workspace.webwork_id,
            "bulk_pk": self.bulk.pk,
            "saved_id": self.saved.pk,
            "viewer_id": int(self.viewer.webwork_id),
            "kind": "timesheets",
            "webwork_id": {
                "approval": self.timesheet.webwork_id,
                "contract": self.contract.webwork_id,
                "person": self.member.webwork_id,
                "project": self.project.webwork_id,
                "expense": self.expense.webwork_id,
                "entry": self.entry.webwork_id,
            },
        }

    def ids(self):
        """The WebWork ids a filter or a form may name."""
        return {
            "member": self.member.webwork_id,
            "project": self.project.webwork_id,
            "task": self.task.webwork_id,
            "contract": self.contract.webwork_id,
            "category": self.expense.category.webwork_id,
            "item": self.timesheet.webwork_id,
            "actor": str(self.user.pk),
        }


def seed(workspace, user, tag):  # noqa: F811 (a workspace, not the fixture)
    """One row of every kind in `workspace`, named with `tag`."""
    member = MemberFactory(workspace=workspace, firstname=f"{tag}member", lastname=f"{tag}person")
    project = ProjectFactory(workspace=workspace, name=f"{tag} project")
    task = TaskFactory(workspace=workspace, project=project, title=f"{tag} task")
    contract = ContractFactory(workspace=workspace, member=member, project=project)
    today = workspace.today()
    entry = TimeEntryFactory(
        workspace=workspace,
        contract=contract,
        task=task,
        task_webwork_id=int(task.webwork_id),
        date=today,
        start_time=timezone.now() - timedelta(hours=3),
        end_time=timezone.now() - timedelta(hours=1),
        activity_description=f"{tag} description",
    )
    viewer = mirror.ProjectViewer.objects.create(
        workspace=workspace,
        webwork_id=str(700_000 + member.pk),
        email=f"{tag.lower()}.viewer@example.test",
        firstname=f"{tag}viewer",
        status="active",
    )
    mirror.ViewerProject.objects.create(
        viewer=viewer, project=project, project_webwork_id=int(project.webwork_id)
    )
    mirror.AuditEvent.objects.create(
        workspace=workspace,
        actor=user,
        action="timesheet_approve",
        object_type="timesheet",
        object_id="1",
        member=member,
    )
    mirror.SyncRun.objects.create(
        workspace=workspace, resource="members", status="failed", error=f"{tag} sync error"
    )
    return Rows(
        workspace=workspace,
        user=user,
        member=member,
        project=project,
        task=task,
        contract=contract,
        entry=entry,
        timesheet=TimesheetFactory(workspace=workspace, member=member),
        time_request=TimeRequestFactory(workspace=workspace, member=member),
        leave=LeaveRequestFactory(workspace=workspace, member=member),
        expense=ExpenseFactory(workspace=workspace, member=member, project=project, name=f"{tag} expense"),
        viewer=viewer,
        saved=SavedReport.objects.create(
            workspace=workspace, name=f"{tag} saved", query="period=this_week", created_by=user
        ),
        bulk=mirror.BulkDecision.objects.create(
            workspace=workspace, actor=user, kind="timesheet", verb="approve", status="done"
        ),
    )


@dataclass
class Tenants:
    acme: Rows
    globex: Rows


@pytest.fixture
def tenants(world, wire, settings):
    """Acme (connected by its Owner) and Globex (by its own), each with its manager and rows;
    views that call WebWork reach the sandbox."""
    settings.WEBWORK_HTTP_TRANSPORT = NestedWire(wire)
    application, secret = oauth_application_register(
        name="Clockroom", redirect_uri=f"{settings.WEBWORK_PUBLIC_BASE_URL}{CALLBACK}"
    )
    settings.WEBWORK_OAUTH_CLIENT_ID = application.client_id
    settings.WEBWORK_OAUTH_CLIENT_SECRET = secret
    acme, acme_user = connected_by_owner(world)
    globex = mirror_connected(world.globex, world.globex_owner)
    globex_user = get_user_model().objects.get(username=f"webwork-{world.globex_owner.id}")
    mirror.WorkspaceAccess.objects.create(
        user=globex_user, workspace=globex, connection=globex.sync_connection, role="Owner", can_manage=True
    )
    return Tenants(acme=seed(acme, acme_user, "Acme"), globex=seed(globex, globex_user, LEAK))
