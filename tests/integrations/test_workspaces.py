"""Connecting a workspace (webhook, first sync, idempotent) and disconnecting it, against the sandbox."""

from datetime import timedelta
from io import StringIO

import django_q.conf
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import Task

from integrations import models as mirror
from integrations.connections import connection_from_personal_token
from integrations.sandbox import models as sandbox
from integrations.sandbox.seeding import OWNER_EMAIL, SCALES, seed_sandbox
from integrations.sandbox.tokens import personal_token_issue
from integrations.services.workspaces import (
    connection_workspaces_connect,
    workspace_connect,
    workspace_disconnect,
)
from integrations.sync import orchestrator, scheduler
from integrations.sync.plan import sync_progress
from tests.integrations.convergence import CHECKS, assert_converged
from tests.integrations.helpers import queued_tasks

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

SYNC_TASK = "integrations.tasks.workspace_sync_task"


@pytest.fixture
def owner_connection(world, sandbox_transport):
    """Acme's owner connected with a personal access token: Acme manageable, Globex not listed."""
    token, _ = personal_token_issue(user=world.owner)
    return connection_from_personal_token(token=token)


@pytest.fixture
def acme(world, owner_connection):
    return mirror.Workspace.objects.get(webwork_id=world.acme.id)


@pytest.fixture
def syncs_reach_the_sandbox(monkeypatch, sandbox_transport):
    """Sync tasks run inline (django-q2's sync mode) and reach the sandbox over WSGI."""
    monkeypatch.setattr(django_q.conf.Conf, "SYNC", True)


def syncs_queued():
    """(workspace pk, kind) of each sync task waiting in django-q2's queue."""
    return [tuple(task["args"]) for task in queued_tasks() if task["func"] == SYNC_TASK]


def our_webhooks(world, workspace):
    path = reverse("webhooks:intake", kwargs={"webhook_uuid": workspace.webhook_uuid})
    return list(sandbox.Webhook.objects.filter(workspace=world.acme, url__endswith=path))


def test_connecting_registers_the_webhook_and_queues_the_first_sync_once(
    world, acme, owner_connection, sandbox_transport, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as first:
        workspace_connect(workspace=acme, connection=owner_connection)
    connected_at = mirror.Workspace.objects.get(pk=acme.pk).connected_at
    with django_capture_on_commit_callbacks() as again:
        workspace_connect(workspace=acme, connection=owner_connection)

    assert len(first) == 1  # the first sync, queued when the connect commits
    assert again == []
    acme.refresh_from_db()
    assert acme.is_connected
    assert acme.connected_at == connected_at
    assert acme.sync_connection == owner_connection
    hooks = our_webhooks(world, acme)
    assert len(hooks) == 1
    assert acme.webhook_webwork_id == hooks[0].id
    assert acme.webhook_token == hooks[0].token
    waiting = sync_progress(acme)
    assert (waiting.status, waiting.scope) == ("queued", "full")
    assert mirror.SyncState.objects.get(workspace=acme).last_error == ""


def test_the_first_sync_runs_once_however_often_the_workspace_is_connected(
    world,
    acme,
    owner_connection,
    sandbox_transport,
    syncs_reach_the_sandbox,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.WEBWORK_HISTORY_DAYS = 2

    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            workspace_connect(workspace=acme, connection=owner_connection)

    # Its front (the approval queues, who is working now) at once, then the first sync.
    tasks = list(Task.objects.filter(func=SYNC_TASK).order_by("started"))
    assert [task.args for task in tasks] == [(acme.pk, "queues"), (acme.pk, "incremental")]
    assert all(task.success for task in tasks), [task.result for task in tasks]
    state = mirror.SyncState.objects.get(workspace=acme)
    assert state.first_sync_done_at is not None
    assert state.plan["scope"] == "full"
    assert mirror.Member.objects.current().filter(workspace=acme).count() == 6
    assert len(our_webhooks(world, acme)) == 1


def test_a_first_sync_whose_task_was_lost_is_queued_again(
    acme, owner_connection, sandbox_transport, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        workspace_connect(workspace=acme, connection=owner_connection)
    state = mirror.SyncState.objects.get(workspace=acme)
    state.plan = {**state.plan, "queued_at": (timezone.now() - timedelta(minutes=11)).isoformat()}
    state.save()

    with django_capture_on_commit_callbacks() as callbacks:
        workspace_connect(workspace=acme, connection=owner_connection)

    assert len(callbacks) == 1


def test_a_webhook_webwork_refuses_does_not_stop_the_connect(
    world, acme, owner_connection, sandbox_transport, settings, django_capture_on_commit_callbacks
):
    settings.WEBWORK_PUBLIC_BASE_URL = "not a web address"

    with django_capture_on_commit_callbacks() as callbacks:
        workspace_connect(workspace=acme, connection=owner_connection)

    acme.refresh_from_db()
    assert acme.is_connected
    assert len(callbacks) == 1
    assert not sandbox.Webhook.objects.filter(workspace=world.acme).exists()
    error = mirror.SyncState.objects.get(workspace=acme).last_error
    assert error.startswith("Could not register Clockroom's webhook at WebWork (")
    assert "http://" in error  # WebWork's own words: it wants an http(s) address
    assert acme.webhook_webwork_id == ""


def test_a_broken_sync_connection_is_replaced_by_a_working_one(
    world, acme, owner_connection, sandbox_transport, django_user_model, django_capture_on_commit_callbacks
):
    other = mirror.Connection.objects.create(
        user=django_user_model.objects.create(username="gone"),
        webwork_user_id=999,
        access_token="wwat_revoked",
        status=mirror.Connection.Status.NEEDS_SIGN_IN,
    )
    acme.sync_connection = other
    acme.connected_at = timezone.now()
    acme.save()

    with django_capture_on_commit_callbacks():
        workspace_connect(workspace=acme, connection=owner_connection)

    acme.refresh_from_db()
    assert acme.sync_connection == owner_connection


def test_disconnecting_removes_the_webhook_and_takes_the_workspace_off_the_schedules(
    world, acme, owner_connection, sandbox_transport, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        workspace_connect(workspace=acme, connection=owner_connection)
    assert list(scheduler.connected_workspaces()) == [acme]

    workspace_disconnect(workspace=acme, actor=owner_connection.user)
    workspace_disconnect(workspace=acme, actor=owner_connection.user)

    acme.refresh_from_db()
    assert acme.disconnected_at is not None
    assert not acme.is_connected
    assert acme.webhook_token == ""
    assert our_webhooks(world, acme) == []
    assert list(scheduler.connected_workspaces()) == []
    assert scheduler.workspaces_sync_queue("queues") == 0
    audit = mirror.AuditEvent.objects.get(workspace=acme)
    assert (audit.action, audit.actor) == ("workspace_disconnect", owner_connection.user)


def test_connecting_after_a_sign_in_takes_the_managed_workspaces_not_connected_yet(
    world, sandbox_transport, django_capture_on_commit_callbacks
):
    token, _ = personal_token_issue(user=world.manager)  # Acme: Executive manager; Globex: Regular User
    connection = connection_from_personal_token(token=token)

    with django_capture_on_commit_callbacks() as callbacks:
        connected = connection_workspaces_connect(connection=connection)
    with django_capture_on_commit_callbacks() as again:
        assert connection_workspaces_connect(connection=connection) == []

    assert [w.webwork_id for w in connected] == [world.acme.id]
    assert len(callbacks) == 1
    assert again == []
    globex = mirror.Workspace.objects.get(webwork_id=world.globex.id)
    assert not globex.is_connected


def test_a_first_sync_a_refused_sign_in_stopped_starts_again_at_the_next_sign_in(
    acme, owner_connection, sandbox_transport, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        connection_workspaces_connect(connection=owner_connection)
    mirror.SyncState.objects.filter(workspace=acme).update(
        plan={"status": "stopped", "steps": []}, finished_at=timezone.now()
    )

    with django_capture_on_commit_callbacks() as callbacks:
        connected = connection_workspaces_connect(connection=owner_connection)

    assert connected == [acme]
    assert len(callbacks) == 1
    assert sync_progress(acme).status == "queued"


def test_a_workspace_a_manager_disconnected_stays_disconnected_at_the_next_sign_in(
    acme, owner_connection, sandbox_transport, django_capture_on_commit_callbacks
):
    acme.connected_at = acme.disconnected_at = timezone.now()
    acme.save()

    with django_capture_on_commit_callbacks() as callbacks:
        assert connection_workspaces_connect(connection=owner_connection) == []

    assert callbacks == []


@pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)
def test_webwork_connect_connects_the_workspaces_it_prints(world, live_server, settings, monkeypatch):
    settings.WEBWORK_API_BASE_URL = f"{live_server.url}/sandbox/api/v2"
    settings.WEBWORK_PUBLIC_BASE_URL = live_server.url
    token, _ = personal_token_issue(user=world.owner)
    out, err = StringIO(), StringIO()

    call_command("webwork_connect", "--token", token, stdout=out, stderr=err)

    assert out.getvalue() == f"{world.acme.id}\tAcme Studio\n"
    assert "Connected Acme Studio: its first sync is queued" in err.getvalue()
    acme = mirror.Workspace.objects.get(webwork_id=world.acme.id)
    assert acme.is_connected
    assert syncs_queued() == [(acme.pk, "queues"), (acme.pk, "incremental")]
    assert len(our_webhooks(world, acme)) == 1


# --- the issue's "Done when", from the command line ---------------------------------------------------


@pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)
def test_from_the_command_line_the_queues_come_first_and_the_mirror_ends_equal_to_the_sandbox(
    live_server, settings, monkeypatch
):
    """The `small` seed, connected with a personal access token: the first sync the command queued
    brings the approval queues and who is working now complete within its first minute of requests
    (at WebWork's 60 a minute), then fills the rest in, ending equal to the sandbox."""
    settings.WEBWORK_API_BASE_URL = f"{live_server.url}/sandbox/api/v2"
    settings.WEBWORK_PUBLIC_BASE_URL = live_server.url
    settings.WEBWORK_HISTORY_DAYS = 7 * SCALES["small"].weeks + 7  # every week the seed tracked
    settings.WEBWORK_RATE_LIMIT_PER_MINUTE = 100_000  # measured in requests below, not waited for
    seed_sandbox(scale="small", seed=1)
    owner = sandbox.SandboxUser.objects.get(email=OWNER_EMAIL)
    token, _ = personal_token_issue(user=owner)
    out, _err = StringIO(), StringIO()
    call_command("webwork_connect", "--token", token, stdout=out, stderr=_err)

    printed = {int(line.split("\t")[0]) for line in out.getvalue().splitlines()}
    manages = sandbox.Membership.objects.filter(user=owner, role__in=mirror.WorkspaceAccess.MANAGER_ROLES)
    assert printed == set(manages.values_list("workspace_id", flat=True))
    connected = mirror.Workspace.objects.filter(webwork_id__in=printed)
    assert all(workspace.is_connected for workspace in connected)
    # Every workspace's front at once; the first syncs take turns, one at a time per WebWork user
    # (they share the owner's budget), the others shown as queued.
    queued = syncs_queued()
    assert sorted(task for task in queued if task[1] == "queues") == sorted(
        (workspace.pk, "queues") for workspace in connected
    )
    first = [pk for pk, kind in queued if kind == "incremental"]
    assert len(first) == 1
    assert {sync_progress(workspace).status for workspace in connected} == {"queued"}
    acme_sandbox = sandbox.Workspace.objects.get(name="Acme Studio")
    acme = mirror.Workspace.objects.get(webwork_id=acme_sandbox.id)

    # The worker's run of that task, watched step by step.
    first_minute = {}

    def progress(plan, step, event):
        if event == "end" and step.kind in ("queues", "now"):
            first_minute[step.name] = sum(s.done for s in plan.steps if s.finished)
            if step.kind == "now":
                first_minute["mirror"] = approval_queues(mirror_side=acme)
                first_minute["sandbox"] = approval_queues(sandbox_side=acme_sandbox)

    result = orchestrator.workspace_sync(acme, kind="incremental", progress=progress)

    assert result.status == "done", result.errors
    steps = mirror.SyncState.objects.get(workspace=acme).plan["steps"]
    assert [s["kind"] for s in steps[:4]] == ["queues", "queues", "queues", "now"]
    assert first_minute["who is working now"] <= 60  # all four done within the first 60 requests
    assert first_minute["mirror"] == first_minute["sandbox"]
    assert first_minute["sandbox"]["working_now"] == SCALES["small"].running_trackers
    assert first_minute["sandbox"]["timesheets_submitted"] > 0
    assert_converged(acme, *CHECKS)
    assert mirror.SyncState.objects.get(workspace=acme).first_sync_done_at is not None


def approval_queues(*, mirror_side=None, sandbox_side=None):
    if mirror_side is not None:
        current = {"workspace": mirror_side, "removed_at__isnull": True}
        return {
            "timesheets_submitted": mirror.Timesheet.objects.filter(status="submitted", **current).count(),
            "time_requests_pending": mirror.TimeRequest.objects.filter(status="pending", **current).count(),
            "leaves_pending": mirror.LeaveRequest.objects.filter(status="pending", **current).count(),
            "working_now": mirror.RunningTracker.objects.filter(**current).count(),
        }
    return {
        "timesheets_submitted": sandbox.Timesheet.objects.filter(
            workspace=sandbox_side, status="submitted"
        ).count(),
        "time_requests_pending": sandbox.TimeRequest.objects.filter(
            workspace=sandbox_side, status="pending"
        ).count(),
        "leaves_pending": sandbox.LeaveRequest.objects.filter(
            workspace=sandbox_side, status="pending"
        ).count(),
        "working_now": sandbox.RunningTracker.objects.filter(workspace=sandbox_side).count(),
    }
