"""The bench's harness on WebWork's side of the wire: it seeds the sandbox, issues a personal
access token, and counts the sandbox's rows to compare the mirror with.

This is the one part of the bench that touches the sandbox directly (as WebWork's operator, not as
its client); nothing here feeds the mirror, which the sync fills over HTTP only. It is imported
only once the bench has checked that the sandbox is on.
"""

import io
from dataclasses import dataclass

from django.core.management import call_command

from integrations.sandbox import models as sandbox
from integrations.sandbox.models.accounts import Role
from integrations.sandbox.tokens import personal_token_issue


@dataclass
class SandboxWorkspace:
    webwork_id: int
    name: str
    owner_email: str


def seed(*, scale, seed):
    """Seed the (empty, throwaway) sandbox; returns what the seeder printed."""
    out = io.StringIO()
    call_command("sandbox_seed", scale=scale, seed=seed, stdout=out)
    return out.getvalue()


def first_workspace():
    """The seeded world's first workspace and its Owner."""
    workspace = sandbox.Workspace.objects.select_related("owner").order_by("pk").first()
    if workspace is None:
        raise LookupError("The sandbox holds no workspace; seed it first.")
    return SandboxWorkspace(workspace.pk, workspace.name, workspace.owner.email)


def personal_token(email):
    """A personal access token of the sandbox user with `email` (as `manage.py sandbox_token` makes)."""
    user = sandbox.SandboxUser.objects.get(email__iexact=email)
    raw, _token = personal_token_issue(user=user, name="Benchmark")
    return raw


def row_counts(workspace_id, *, date_from, date_to):
    """Rows of the main tables of one workspace, as the mirror should hold them after a full sync
    over `date_from`..`date_to` (the same rows tests/integrations/convergence.py compares)."""
    ws = {"workspace_id": workspace_id}
    return {
        "members": sandbox.Membership.objects.filter(**ws).count(),
        "project viewers": sandbox.Membership.objects.filter(**ws, role=Role.PROJECT_VIEWER).count(),
        "projects": sandbox.Project.objects.filter(**ws).count(),
        "tasks": sandbox.Task.objects.filter(**ws, deleted_at__isnull=True).count(),
        "contracts": sandbox.Contract.objects.filter(**ws).count(),
        "time entries": sandbox.TimeEntry.objects.filter(
            **ws, date__gte=date_from, date__lte=date_to
        ).count(),
        "running trackers": sandbox.RunningTracker.objects.filter(**ws).count(),
        "timesheets": sandbox.Timesheet.objects.filter(**ws).count(),
        "time requests": sandbox.TimeRequest.objects.filter(**ws).count(),
        "leave requests": sandbox.LeaveRequest.objects.filter(**ws).count(),
        "expenses": sandbox.Expense.objects.filter(**ws).count(),
    }
