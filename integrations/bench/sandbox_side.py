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


# --- `bench faults`: WebWork's side of the scenarios -------------------------------------------


@dataclass
class OAuthApp:
    client_id: str
    secret: str
    redirect_uri: str
    application: object


def oauth_application(redirect_uri):
    """Clockroom's OAuth2 app at the sandbox (client id and the secret, shown once)."""
    from integrations.sandbox.oauth.services import oauth_application_register

    application, secret = oauth_application_register(name="Clockroom (bench)", redirect_uri=redirect_uri)
    return OAuthApp(application.client_id, secret, redirect_uri, application)


def oauth_tokens(email, app):
    """An OAuth2 token pair of the sandbox user with `email`, as the sign-in's code exchange gives it."""
    from integrations.sandbox.oauth.services import authorization_code_exchange, authorization_code_issue
    from integrations.sandbox.tokens import ALL_SCOPES

    user = sandbox.SandboxUser.objects.get(email__iexact=email)
    code = authorization_code_issue(
        application=app.application, user=user, redirect_uri=app.redirect_uri, scope=ALL_SCOPES
    )
    return authorization_code_exchange(application=app.application, code=code, redirect_uri=app.redirect_uri)


def activity(workspace_id, *, steps, rng):
    """Members of the workspace do `steps` things (the simulator), a member's title and a project's
    name change: webhook events flow. Returns how many changes were made."""
    from integrations.sandbox.simulation import Simulator

    simulator = Simulator(rng=rng, workspace_id=workspace_id)
    made = sum(1 for _ in range(steps) if simulator.step())
    membership = (
        sandbox.Membership.objects.filter(workspace_id=workspace_id, deleted_at__isnull=True)
        .exclude(role=Role.OWNER)
        .order_by("?")
        .first()
    )
    if membership is not None:
        membership.title = f"Designer {rng.randint(1, 999)}"
        membership.save()
        made += 1
    project = (
        sandbox.Project.objects.filter(workspace_id=workspace_id, deleted_at__isnull=True)
        .order_by("?")
        .first()
    )
    if project is not None:
        project.name = f"{project.name.split(' #')[0]} #{rng.randint(1, 999)}"
        project.save()
        made += 1
    return made


def deliveries_retry():
    """WebWork retries the deliveries that failed (at once, not after its backoff): their next
    attempts are queued for the workers. Returns how many."""
    from django_q.models import Schedule
    from django_q.tasks import async_task

    from integrations.sandbox.delivery import retry_schedule_name
    from integrations.sandbox.events import DELIVER_TASK

    pending = list(
        sandbox.WebhookDelivery.objects.filter(status="pending", attempts__gt=0).values_list("pk", "attempts")
    )
    for pk, attempts in pending:
        Schedule.objects.filter(name=retry_schedule_name(pk, attempts + 1)).delete()
        async_task(DELIVER_TASK, pk, task_name=f"webhook retry #{pk}")
    return len(pending)


STATUS_MODELS = {
    "timesheet": sandbox.Timesheet,
    "time_request": sandbox.TimeRequest,
    "leave": sandbox.LeaveRequest,
}


def status_of(kind, object_id):
    """The status WebWork holds now for a timesheet, time request or leave request."""
    return STATUS_MODELS[kind].objects.filter(pk=object_id).values_list("status", flat=True).first()


def deliveries_since(since):
    """WebWork's side of the webhooks since `since`: deliveries made, dropped, duplicate copies sent."""
    made = sandbox.WebhookDelivery.objects.filter(created_at__gte=since)
    return {
        "made": made.count(),
        "dropped": made.filter(status="dropped").count(),
        "duplicates": sandbox.WebhookAttempt.objects.filter(delivery__in=made, is_duplicate=True).count(),
    }
