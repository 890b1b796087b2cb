"""The sync tasks and their schedules: created once by name, run by django-q2's scheduler, queued
after connecting a workspace and by "sync now"."""

from datetime import timedelta

import django_q.conf
import pytest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule, Task
from django_q.scheduler import scheduler

from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sandbox.tokens import access_token_issue
from integrations.schedules import RETIRED, SCHEDULES, schedules_ensure
from integrations.services.workspaces import workspace_sync_now
from integrations.sync import orchestrator
from integrations.sync import scheduler as sync_scheduler
from integrations.sync.plan import sync_progress
from tests.integrations.helpers import queued_tasks

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

QUEUES = "WebWork sync: approval queues"


@pytest.fixture
def run_tasks_inline(monkeypatch):
    monkeypatch.setattr(django_q.conf.Conf, "SYNC", True)


@pytest.fixture
def connected(world, django_user_model):
    """Acme connected through the owner's personal access token; Globex known but not connected."""
    raw, _ = access_token_issue(user=world.owner)
    user = django_user_model.objects.create(username=f"webwork-{world.owner.id}")
    connection = mirror.Connection.objects.create(
        user=user, webwork_user_id=world.owner.id, kind=mirror.Connection.Kind.PERSONAL, access_token=raw
    )
    acme = mirror.Workspace.objects.create(
        webwork_id=world.acme.id,
        name=world.acme.name,
        timezone=world.acme.timezone,
        sync_connection=connection,
        connected_at=timezone.now(),
    )
    globex = mirror.Workspace.objects.create(webwork_id=world.globex.id, name=world.globex.name)
    return acme, globex


@pytest.fixture
def sandbox_clients(sandbox_transport):
    """Syncs reach the sandbox through the workspace's real connection, over WSGI."""
    return sandbox_transport


@pytest.fixture
def submitted_timesheet(world):
    monday = timekeeping.week_start(timekeeping.local_date(world.acme, timezone.now())) - timedelta(days=7)
    return sandbox.Timesheet.objects.create(
        workspace=world.acme,
        user=world.alice,
        date_from=monday,
        date_to=monday + timedelta(days=6),
        status="submitted",
        submitted_on=timezone.now(),
    )


def test_schedules_are_created_once_by_name_updated_in_place_and_every_func_imports():
    Schedule.objects.filter(name__in=[spec["name"] for spec in SCHEDULES]).delete()  # made by migrate
    retired = Schedule.objects.create(name=RETIRED[0], func="integrations.tasks.sync_recent_all_task")
    first = schedules_ensure()
    assert not Schedule.objects.filter(pk=retired.pk).exists()
    queues = Schedule.objects.get(name=QUEUES)
    Schedule.objects.filter(pk=queues.pk).update(minutes=7)
    Schedule.objects.create(name=QUEUES, func="integrations.tasks.sync_queues_all_task")  # a stray copy

    second = schedules_ensure()

    names = [spec["name"] for spec in SCHEDULES]
    assert Schedule.objects.filter(name__in=names).count() == len(SCHEDULES) == 5
    assert [s.pk for s in second] == [s.pk for s in first]
    queues = Schedule.objects.get(name=QUEUES)
    assert (queues.schedule_type, queues.minutes) == (Schedule.MINUTES, 1)
    recent = Schedule.objects.get(name="WebWork sync: recent weeks")
    assert (recent.schedule_type, recent.minutes) == (Schedule.MINUTES, 15)
    assert Schedule.objects.get(name="WebWork sync: hourly refresh").schedule_type == Schedule.HOURLY
    assert Schedule.objects.get(name="WebWork sync: nightly reconcile").schedule_type == Schedule.DAILY
    # Nothing runs the moment the schedules appear.
    assert all(s.next_run > timezone.now() for s in second)
    for schedule in Schedule.objects.all():
        assert callable(import_string(schedule.func)), schedule.func


def test_the_queue_schedule_syncs_the_queues_of_every_connected_workspace(
    world, connected, submitted_timesheet, sandbox_clients, run_tasks_inline
):
    acme, globex = connected
    schedules_ensure()
    Schedule.objects.filter(name=QUEUES).update(next_run=timezone.now() - timedelta(minutes=1))

    scheduler()

    queued = mirror.Timesheet.objects.get(workspace=acme)
    assert queued.webwork_id == str(submitted_timesheet.id)
    assert queued.status == "submitted"
    assert not mirror.SyncRun.objects.filter(workspace=globex).exists()
    state = mirror.SyncState.objects.get(workspace=acme)
    assert state.plan["scope"] == "queues"
    assert state.plan["status"] == "done"
    fan_out = Task.objects.get(func="integrations.tasks.sync_queues_all_task")
    assert fan_out.success
    assert fan_out.result == 1
    sync = Task.objects.get(func="integrations.tasks.workspace_sync_task")
    assert sync.success
    assert sync.args == (acme.pk, "queues")
    assert sync.result.startswith(f"Synced {acme.name}: ")
    # The next run is one interval on, not a replay of the missed ones.
    assert Schedule.objects.get(name=QUEUES).next_run > timezone.now()


@pytest.mark.parametrize(
    ("task", "scope"),
    [
        ("integrations.tasks.sync_recent_all_task", "recent"),
        ("integrations.tasks.sync_incremental_all_task", "incremental"),
        ("integrations.tasks.reconcile_all_task", "full"),
    ],
)
def test_the_recent_and_nightly_tasks_sync_their_windows(
    world, connected, sandbox_clients, run_tasks_inline, settings, task, scope
):
    settings.WEBWORK_HISTORY_DAYS = 3
    acme, _globex = connected
    if scope == "incremental":  # a workspace's first sync is a full one: this one has had it
        mirror.SyncState.objects.create(workspace=acme, first_sync_ran_at=timezone.now())

    assert import_string(task)() == 1

    state = mirror.SyncState.objects.get(workspace=acme)
    assert state.plan["scope"] == scope
    assert state.plan["status"] == "done"
    kinds = {step["kind"] for step in state.plan["steps"]}
    assert ("history" in kinds) == (scope == "full")
    if scope == "recent":
        # The recent window (as far back as the history reaches, here 3 days) and today's timeline.
        today = timekeeping.local_date(world.acme, timezone.now())
        steps = state.plan["steps"]
        dates = sorted(day for s in steps if s["resource"] == "time_entries" for day in s["params"]["dates"])
        assert dates == [str(today - timedelta(days=n)) for n in (3, 2, 1)]
        assert [s["name"] for s in steps if s["resource"] == "running_trackers"] == ["who is working now"]


def test_the_first_sync_after_connecting_starts_by_itself_and_can_be_watched(
    world, connected, sandbox_clients, run_tasks_inline, settings, django_capture_on_commit_callbacks
):
    settings.WEBWORK_HISTORY_DAYS = 3
    acme, _globex = connected

    with django_capture_on_commit_callbacks() as callbacks:
        sync_scheduler.workspace_first_sync_queue(acme)
    waiting = sync_progress(acme)
    assert waiting.status == "queued"
    assert waiting.scope == "full"
    assert waiting.requests_planned > 0
    assert len(callbacks) == 1

    callbacks[0]()  # the connecting transaction committed

    state = mirror.SyncState.objects.get(workspace=acme)
    assert state.first_sync_done_at is not None
    assert mirror.Member.objects.current().filter(workspace=acme).count() == 6
    done = sync_progress(acme)
    assert (done.status, done.percent, done.requests_remaining) == ("done", 100, 0)


def test_sync_now_queues_once_and_refuses_politely_while_a_sync_runs(
    world, connected, django_capture_on_commit_callbacks
):
    acme, _globex = connected

    with orchestrator.workspace_lock(acme):
        busy = workspace_sync_now(workspace=acme)
    assert not busy.queued
    assert "already running" in busy.message

    with django_capture_on_commit_callbacks() as callbacks:
        first = workspace_sync_now(workspace=acme)
        again = workspace_sync_now(workspace=acme)
    assert first.queued
    assert not again.queued
    assert "already queued" in again.message
    assert len(callbacks) == 1


def test_a_sync_task_for_a_disconnected_workspace_does_nothing(world, connected, sandbox_clients):
    acme, _globex = connected
    acme.disconnected_at = timezone.now()
    acme.save()

    from integrations.tasks import workspace_sync_task

    answer = workspace_sync_task(acme.pk, "queues")

    assert "not connected" in answer
    assert not mirror.SyncRun.objects.exists()
    assert sync_scheduler.workspaces_sync_queue("queues") == 0


def test_a_sync_longer_than_a_task_continues_in_the_next_task(
    world, connected, sandbox_clients, run_tasks_inline, settings
):
    """A task whose time budget (below django-q2's timeout) holds one step: each task runs one step
    and hands the rest on."""
    acme, _globex = connected
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 0.01}

    from integrations.tasks import workspace_sync_task

    workspace_sync_task(acme.pk, "queues")

    state = mirror.SyncState.objects.get(workspace=acme)
    steps = state.plan["steps"]
    assert len(steps) >= 3
    assert state.plan["status"] == "done"
    assert all(step["status"] == "done" for step in steps)
    kinds = [task.args[1] for task in Task.objects.filter(func="integrations.tasks.workspace_sync_task")]
    assert kinds == ["resume"] * (len(steps) - 1)  # the first ran here, then one step per task


def test_a_sync_that_continues_shortly_keeps_its_turn_and_its_front_stays_fresh(world, connected):
    acme, _globex = connected
    mirror.SyncState.objects.create(
        workspace=acme, plan={"status": "partial", "scope": "full", "steps": []}, finished_at=timezone.now()
    )

    # The front is refreshed beside it, no other back-lane sync takes its place, and its turn comes.
    assert sync_scheduler.workspaces_sync_queue("queues") == 1
    assert sync_scheduler.workspaces_sync_queue("recent") == 0
    assert "continues shortly" in workspace_sync_now(workspace=acme).message
    assert syncs_queued() == [(acme.pk, "queues"), (acme.pk, "resume")]

    # A turn no worker took up for ten minutes is not waited for: the pages stop saying "shortly",
    # and the next tick hands the turn out again.
    later = timezone.now() + timedelta(minutes=11)
    assert mirror.SyncState.objects.get(workspace=acme).waiting(now=later) is None
    assert sync_scheduler.backlog_admit(later) == 1
    assert syncs_queued()[-1] == (acme.pk, "resume")


def syncs_queued():
    return [tuple(t["args"]) for t in queued_tasks() if t["func"] == "integrations.tasks.workspace_sync_task"]


def test_every_migrate_keeps_the_schedules():
    from django.core.management import call_command

    names = [spec["name"] for spec in SCHEDULES]
    Schedule.objects.filter(name__in=names).delete()

    call_command("migrate", verbosity=0)

    assert sorted(Schedule.objects.filter(name__in=names).values_list("name", flat=True)) == sorted(names)
