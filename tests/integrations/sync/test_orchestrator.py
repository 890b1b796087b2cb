"""The sync orchestration: a full sync converges, the plan's order and cost, the lock, failures."""

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sync import orchestrator
from integrations.sync.plan import STEP_KINDS, plan_build, sync_progress
from tests.integrations.convergence import assert_converged
from tests.integrations.helpers import FaultsFrom
from tests.sandbox_world import mirror_connected

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def busy_world(world):
    """Acme with a project, a contract, a task, some days of time, a running tracker, a submitted
    timesheet and a pending time request."""
    acme = world.acme
    project = sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Website")
    contract = sandbox.Contract.objects.create(workspace=acme, project=project, user=world.alice, rate=40)
    task = sandbox.Task.objects.create(
        workspace=acme, project=project, owner=world.owner, creator=world.owner, title="Homepage"
    )
    today = timekeeping.local_date(acme, timezone.now())
    for days_ago in (1, 4, 9):
        day = today - timedelta(days=days_ago)
        sandbox.TimeEntry.objects.create(
            workspace=acme,
            user=world.alice,
            contract=contract,
            project=project,
            task=task,
            date=day,
            start_time=timekeeping.local_moment(acme, day, timedelta(hours=9)),
            end_time=timekeeping.local_moment(acme, day, timedelta(hours=11)),
            duration_minutes=120,
        )
    timekeeping.tracker_start(workspace=acme, user=world.bob)
    last_monday = timekeeping.week_start(today) - timedelta(days=7)
    sandbox.Timesheet.objects.create(
        workspace=acme,
        user=world.alice,
        date_from=last_monday,
        date_to=last_monday + timedelta(days=6),
        status="submitted",
        submitted_on=timezone.now(),
    )
    yesterday = today - timedelta(days=1)
    sandbox.TimeRequest.objects.create(
        workspace=acme,
        user=world.bob,
        start=timekeeping.local_moment(acme, yesterday, timedelta(hours=14)),
        end=timekeeping.local_moment(acme, yesterday, timedelta(hours=15)),
        notes="Forgot the tracker",
    )
    return world


@pytest.fixture
def workspace(world, sandbox_transport):
    """Acme as Clockroom knows it, connected through its Owner's sign-in, in its own timezone."""
    return mirror_connected(world.acme, world.owner)


def test_a_full_sync_converges_and_costs_what_it_planned(busy_world, workspace, settings):
    settings.WEBWORK_HISTORY_DAYS = 14
    settings.WEBWORK_RECENT_DAYS = 7

    result = orchestrator.workspace_sync(workspace, kind="full")

    assert result.status == "done", result.errors
    assert result.errors == []
    assert_converged(workspace)
    state = mirror.SyncState.objects.get(workspace=workspace)
    assert state.plan["status"] == "done"
    assert state.first_sync_done_at is not None
    assert state.locked_by == ""
    # The plan's count matches the requests made, step by step and in all.
    assert state.requests_done == result.requests_sent == result.requests
    assert state.requests_done / state.requests_planned <= 1.05
    for step in state.plan["steps"]:
        assert step["status"] == "done"
        assert step["done"] <= step["planned"], step
    assert sum(run.requests for run in mirror.SyncRun.objects.filter(workspace=workspace)) == result.requests
    # History reached back as far as the setting says.
    today = timekeeping.local_date(busy_world.acme, timezone.now())
    assert state.history_synced_until == today - timedelta(days=14)


def test_the_plan_runs_in_the_order_a_manager_needs(busy_world, workspace, settings):
    settings.WEBWORK_HISTORY_DAYS = 21
    settings.WEBWORK_RECENT_DAYS = 3

    orchestrator.workspace_sync(workspace, kind="full")

    steps = mirror.SyncState.objects.get(workspace=workspace).plan["steps"]
    kinds = [step["kind"] for step in steps]
    assert kinds == sorted(kinds, key=STEP_KINDS.index)
    names = [step["name"] for step in steps]
    queues = [n for n in ("timesheets: submitted", "time requests: pending", "leaves: pending") if n in names]
    # A first sync reads the size of the big lists before the reference lists.
    assert names[: len(queues) + 3] == [*queues, "who is working now", "list sizes", "members"]
    assert names.index("members") < names.index("projects")
    if "contracts" in names:
        assert names.index("projects") < names.index("contracts")
    # History goes backwards, one week of dates per step.
    history = [step for step in steps if step["kind"] == "history" and step["resource"] == "time_entries"]
    assert len(history) >= 2
    firsts = [min(step["params"]["dates"]) for step in history]
    assert firsts == sorted(firsts, reverse=True)
    assert all(len(step["params"]["dates"]) <= 7 for step in history)


def test_the_first_sync_is_a_full_one_and_later_ones_skip_the_history(workspace, world, settings):
    settings.WEBWORK_HISTORY_DAYS = 14
    first = plan_build(workspace, "incremental")
    assert first.scope == "full"
    assert any(step.kind == "history" for step in first.steps)

    orchestrator.workspace_sync(workspace)

    later = plan_build(workspace, "incremental")
    assert later.scope == "incremental"
    assert not any(step.kind == "history" for step in later.steps)
    # The mirror now knows the lists' sizes: a later full sync does not ask for them.
    assert "list sizes" in [step.name for step in first.steps]
    assert "list sizes" not in [step.name for step in plan_build(workspace, "full").steps]
    # The front: the approval queues, who is working now, the recent expenses.
    queues = plan_build(workspace, "queues")
    assert [step.kind for step in queues.steps] == ["queues"] * 3 + ["now", "queues"]
    assert [step.resource for step in queues.steps] == [
        "timesheets",
        "time_requests",
        "leave_requests",
        "running_trackers",
        "expenses",
    ]


def test_costs_follow_the_members_and_projects_the_mirror_knows(workspace, settings):
    """One timeline request per date per 100 members; the naive way costs one per member per date."""
    settings.WEBWORK_HISTORY_DAYS = 14
    mirror.Member.objects.bulk_create(
        [
            mirror.Member(
                workspace=workspace, webwork_id=str(n), email=f"m{n}@acme.test", role="Regular User"
            )
            for n in range(1, 151)
        ]
    )
    mirror.Project.objects.bulk_create(
        [mirror.Project(workspace=workspace, webwork_id=str(n), name=f"P{n}") for n in range(1, 5)]
    )

    plan = plan_build(workspace, "full")

    entries = [step for step in plan.steps if step.resource == "time_entries"]
    assert entries
    for step in entries:
        assert step.planned == 2 * len(step.params["dates"])
        assert step.naive == 150 * len(step.params["dates"])
    now = next(step for step in plan.steps if step.kind == "now")
    assert now.planned == 2
    members = next(step for step in plan.steps if step.name == "members")
    assert members.planned == 2
    assert sum(step.planned for step in plan.steps if step.kind == "tasks") == 4
    assert plan.naive_requests > plan.requests_planned * 10


def test_a_second_sync_exits_while_the_first_holds_the_lock(workspace, world):
    with orchestrator.workspace_lock(workspace) as token:
        assert token
        result = orchestrator.workspace_sync(workspace)
        assert orchestrator.sync_is_running(workspace)

    assert result.status == "already running"
    assert (result.requests, result.requests_sent) == (0, 0)  # not a request was sent
    assert not mirror.Member.objects.filter(workspace=workspace).exists()
    assert not orchestrator.sync_is_running(workspace)


def test_a_stale_lock_of_a_killed_worker_is_taken_over(workspace, world):
    mirror.SyncState.objects.create(
        workspace=workspace,
        locked_by="worker-1:4242:dead",
        locked_until=timezone.now() - timedelta(seconds=1),
    )

    result = orchestrator.workspace_sync(workspace, kind="queues")

    assert result.status == "done"
    assert result.requests > 0
    state = mirror.SyncState.objects.get(workspace=workspace)
    assert (state.locked_by, state.locked_until) == ("", None)


def test_the_step_a_killed_worker_left_running_shows_as_interrupted(workspace, world):
    lapsed = timezone.now() - timedelta(seconds=1)
    mirror.SyncState.objects.create(workspace=workspace, locked_by="worker-1:4242:dead", locked_until=lapsed)
    orphan = mirror.SyncRun.objects.create(workspace=workspace, resource="time_entries", scope="2026-12-01")
    mirror.SyncRun.objects.filter(pk=orphan.pk).update(started_at=lapsed - timedelta(minutes=3))

    orchestrator.workspace_sync(workspace, kind="queues")

    orphan.refresh_from_db()
    assert orphan.status == "failed"
    assert orphan.finished_at is not None
    assert orphan.error.startswith("Interrupted: the worker running this sync stopped")
    assert not mirror.SyncRun.objects.filter(workspace=workspace, status="running").exists()


def test_a_released_lock_leaves_other_runs_alone(workspace, world):
    mirror.SyncState.objects.create(workspace=workspace)
    elsewhere = mirror.SyncRun.objects.create(workspace=workspace, resource="attendance", scope="2026-11-02")

    orchestrator.workspace_sync(workspace, kind="queues")

    elsewhere.refresh_from_db()
    assert elsewhere.status == "running"  # an attendance fetch runs outside the lock


def test_one_resource_failing_records_its_error_and_the_run_goes_on(
    workspace, world, sandbox_transport, settings
):
    settings.WEBWORK_HISTORY_DAYS = 7

    class ProjectsDown(httpx.BaseTransport):
        """WebWork's /projects answers 500, everything else works."""

        def handle_request(self, request):
            if request.url.path.endswith("/projects"):
                return httpx.Response(500, json={"success": False, "message": "Server Error"})
            return sandbox_transport.handle_request(request)

    settings.WEBWORK_HTTP_TRANSPORT = ProjectsDown()  # the wire only: the client itself is unchanged

    result = orchestrator.workspace_sync(workspace, kind="incremental")

    assert result.status == "done"
    assert [error.split(":")[0] for error in result.errors] == ["projects"]
    failed = mirror.SyncRun.objects.get(workspace=workspace, status="failed")
    assert failed.resource == "projects"
    assert "ServerError" in failed.error
    # The steps after it ran: members are mirrored, and so is everything later in the plan.
    assert mirror.SyncRun.objects.filter(workspace=workspace, resource="members", status="succeeded").exists()
    steps = mirror.SyncState.objects.get(workspace=workspace).plan["steps"]
    after = steps[[s["name"] for s in steps].index("projects") + 1 :]
    assert after
    assert all(step["status"] == "done" for step in after)


def test_a_401_refresh_cannot_fix_stops_the_run_and_marks_the_connection(workspace, world):
    connection = workspace.sync_connection
    connection.access_token = "revoked-token"
    connection.save()

    result = orchestrator.workspace_sync(workspace)

    assert result.status == "stopped"
    connection.refresh_from_db()
    assert connection.status == mirror.Connection.Status.NEEDS_SIGN_IN
    state = mirror.SyncState.objects.get(workspace=workspace)
    steps = state.plan["steps"]
    assert steps[0]["status"] == "failed"
    assert all(step["status"] == "pending" for step in steps[1:])
    assert state.plan["status"] == "stopped"
    assert state.locked_by == ""
    assert state.first_sync_done_at is None


def test_a_time_budget_stops_between_steps_and_resume_finishes_the_plan(workspace, world):
    stopped = orchestrator.workspace_sync(workspace, kind="queues", time_budget=0)

    assert stopped.status == "partial"
    state = mirror.SyncState.objects.get(workspace=workspace)
    assert state.plan["status"] == "partial"
    assert [s["status"] for s in state.plan["steps"]][:2] == ["done", "pending"]
    pending = [s["name"] for s in state.plan["steps"] if s["status"] == "pending"]

    resumed = orchestrator.workspace_sync(workspace, kind="resume")

    assert resumed.status == "done"
    state.refresh_from_db()
    assert all(step["status"] == "done" for step in state.plan["steps"])
    assert resumed.requests == sum(s["done"] for s in state.plan["steps"] if s["name"] in pending)
    assert stopped.requests + resumed.requests == state.requests_done


def test_progress_shows_requests_done_and_time_left(workspace, world, settings):
    settings.WEBWORK_RATE_LIMIT_PER_MINUTE = 60
    seen = []

    def watch(plan, step, event):
        if event == "start":
            seen.append(sync_progress(workspace))

    orchestrator.workspace_sync(workspace, kind="queues", progress=watch)

    assert seen
    first = seen[0]
    assert first.running
    assert first.requests_done == 0
    assert first.requests_remaining == first.requests_planned > 0
    assert first.seconds_left == first.requests_remaining  # 60 a minute: a second a request
    assert first.current_step == "timesheets: submitted"
    done = sync_progress(workspace)
    assert not done.running
    assert done.status == "done"
    assert done.percent == 100
    assert done.requests_remaining == 0


@pytest.mark.parametrize(
    "fault",
    [
        {"server_error_rate": 1.0},
        {"timeout_rate": 1.0, "timeout_seconds": 0.01},  # the sandbox hangs, then answers 504
    ],
    ids=["server errors", "timeouts"],
)
def test_faults_mid_sync_then_a_clean_resync_converges(
    busy_world, workspace, sandbox_transport, settings, fault
):
    """WebWork breaks down after a few requests; the mirror keeps a consistent state and the
    next sync, with WebWork healthy again, converges."""
    settings.WEBWORK_HISTORY_DAYS = 14
    settings.WEBWORK_HTTP_TRANSPORT = FaultsFrom(sandbox_transport, 6, fault)

    broken = orchestrator.workspace_sync(workspace, kind="full")

    assert broken.errors  # the failing resources were recorded, not hidden
    assert mirror.SyncRun.objects.filter(workspace=workspace, status="failed").exists()
    assert mirror.SyncState.objects.get(workspace=workspace).locked_by == ""

    sandbox.FaultSettings.objects.filter(pk=1).delete()
    healed = orchestrator.workspace_sync(workspace, kind="full")

    assert healed.errors == []
    assert_converged(workspace)


def test_each_sync_refreshes_who_may_open_the_workspace(busy_world, workspace, django_user_model):
    """A manager demoted in WebWork loses the workspace at the next sync, not at their next sign-in."""
    user = django_user_model.objects.create(username="webwork-manager")
    connection = mirror.Connection.objects.create(
        user=user, webwork_user_id=busy_world.manager.id, access_token="t", email="manager@acme.test"
    )
    access = mirror.WorkspaceAccess.objects.create(
        user=user, workspace=workspace, connection=connection, role="Executive manager", can_manage=True
    )
    sandbox.Membership.objects.filter(workspace=busy_world.acme, user=busy_world.manager).update(
        role="Team manager"
    )

    orchestrator.workspace_sync(workspace, kind="incremental")

    access.refresh_from_db()
    assert (access.role, access.can_manage) == ("Team manager", False)
