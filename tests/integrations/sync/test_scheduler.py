"""Fair scheduling of many workspaces: every workspace's front (approval queues, who is working now)
on its 1-minute cycle, least recently refreshed first and within each WebWork user's budget; the
longer syncs taking turns through a few slots, one per user, the history backfill last; workspaces
whose sign-in WebWork refused left out until someone signs in again.

Measured in requests, turns and time budgets (django-q2's queue, the budget store, virtual time),
never in wall time.
"""

import heapq
import itertools
import random
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.brokers import get_broker
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from integrations import models as mirror
from integrations import tasks
from integrations.connections import connection_from_personal_token
from integrations.ratelimit import DatabaseBudgetStore, RedisBudgetStore, background_limiter
from integrations.sandbox import models as sandbox
from integrations.sandbox.models.accounts import Role
from integrations.sandbox.tokens import personal_token_issue
from integrations.sync import orchestrator, scheduler
from integrations.webwork.ratelimit import MemoryBudgetStore, RateLimiter
from tests.factories import WorkspaceFactory, bulk
from tests.integrations.helpers import queue_purge, queued_tasks
from tests.sandbox_world import make_user, mirror_connected, sync_connection_for

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

SYNC_TASK = "integrations.tasks.workspace_sync_task"


def syncs_queued(kind=None):
    """(workspace pk, kind) of each sync task waiting in django-q2's queue, in queue order."""
    found = [tuple(t["args"]) for t in queued_tasks() if t["func"] == SYNC_TASK]
    return [task for task in found if kind is None or task[1] == kind]


def take_first_task():
    """What a worker does first: take the oldest task off django-q2's queue."""
    broker = get_broker()
    if hasattr(broker.connection, "lpop"):  # Redis
        payload = broker.connection.lpop(broker.list_key)
        return SignedPackage.loads(payload.decode()) if payload else None
    row = OrmQ.objects.filter(key=broker.list_key).order_by("id").first()
    if row is None:
        return None
    row.delete()
    return SignedPackage.loads(row.payload)


def managed_workspaces(count, *, manager=None):
    """`count` connected workspaces, each managed (and synced) by a WebWork user of its own, or all
    by `manager` (a Connection). Bulk-written: hundreds cost a handful of queries."""
    workspaces = bulk(WorkspaceFactory, count)
    if manager is None:
        users = get_user_model().objects.bulk_create(
            [get_user_model()(username=f"webwork-{5000 + w.pk}") for w in workspaces]
        )
        connections = mirror.Connection.objects.bulk_create(
            [
                mirror.Connection(user=user, webwork_user_id=5000 + w.pk, access_token=f"wwat_{w.pk}")
                for user, w in zip(users, workspaces, strict=True)
            ]
        )
    else:
        connections = [manager] * count
    mirror.WorkspaceAccess.objects.bulk_create(
        [
            mirror.WorkspaceAccess(
                user=connection.user, workspace=w, connection=connection, role="Owner", can_manage=True
            )
            for connection, w in zip(connections, workspaces, strict=True)
        ]
    )
    return workspaces


def a_manager(webwork_user_id):
    user = get_user_model().objects.create(username=f"webwork-{webwork_user_id}")
    return mirror.Connection.objects.create(
        user=user, webwork_user_id=webwork_user_id, access_token=f"wwat_{webwork_user_id}"
    )


# --- the front ------------------------------------------------------------------------------


def test_every_workspace_front_is_queued_least_recently_refreshed_first(settings):
    workspaces = managed_workspaces(240)
    now = timezone.now()
    never = workspaces[-40:]  # just connected: never refreshed
    refreshed = workspaces[:-40]
    ages = list(range(len(refreshed)))
    random.Random(12).shuffle(ages)
    mirror.SyncState.objects.bulk_create(
        [
            mirror.SyncState(
                workspace=w, queues_synced_at=now - timedelta(seconds=130 + age), queues_requests=5
            )
            for w, age in zip(refreshed, ages, strict=True)
        ]
    )

    assert scheduler.front_queue(now) == 240

    oldest_first = [w.pk for _age, w in sorted(zip(ages, refreshed, strict=True), key=lambda x: -x[0])]
    assert [pk for pk, _kind in syncs_queued("queues")] == [w.pk for w in never] + oldest_first
    # While they wait for a worker, the next tick queues none of them again...
    queue_purge()
    assert scheduler.front_queue(now + orchestrator.FRONT_EVERY) == 0
    # ...and once refreshed, the next cycle takes them all again.
    mirror.SyncState.objects.update(queues_synced_at=now + timedelta(seconds=30))
    assert scheduler.front_queue(now + 2 * orchestrator.FRONT_EVERY) == 240


def test_one_users_many_workspaces_share_its_budget_and_take_turns(settings):
    settings.WEBWORK_RATE_LIMIT_PER_MINUTE = 60
    settings.WEBWORK_RATE_LIMIT_PERIOD_SECONDS = 60
    busy = a_manager(71)
    theirs = managed_workspaces(40, manager=busy)
    other = managed_workspaces(1)[0]
    now = timezone.now()
    mirror.SyncState.objects.bulk_create(
        [
            mirror.SyncState(
                workspace=w, queues_synced_at=now - timedelta(minutes=3, seconds=n), queues_requests=6
            )
            for n, w in enumerate([*theirs, other])
        ]
    )
    per_cycle = scheduler.front_budget(busy=False)
    assert 57 < per_cycle < 60  # 60 a minute over a 1-minute cycle, the limiter's extra second aside

    last = {pk: at for pk, at in mirror.SyncState.objects.values_list("workspace_id", "queues_synced_at")}
    seen = set()
    per_tick = int(per_cycle // 6)
    ticks = -(-len(theirs) // per_tick)  # 40 workspaces, 9 fronts of 6 requests a cycle: 5 cycles
    for tick in range(ticks):
        moment = now + tick * orchestrator.FRONT_EVERY
        scheduler.front_queue(moment)
        queued = [pk for pk, _kind in syncs_queued("queues")]
        mine = [pk for pk in queued if pk != other.pk]
        # The other user's workspace is never held back by this one's many...
        assert other.pk in queued
        # ...this user's fronts stay within what its budget allows in a cycle...
        assert len(mine) == per_tick
        # ...and they are its least recently refreshed ones.
        left_out = [w.pk for w in theirs if w.pk not in mine]
        assert max(last[pk] for pk in mine) <= min(last[pk] for pk in left_out)
        seen |= set(mine)
        for pk in queued:  # the workers ran them
            last[pk] = moment + timedelta(seconds=5)
        mirror.SyncState.objects.filter(workspace_id__in=queued).update(
            queues_synced_at=moment + timedelta(seconds=5), queues_queued_at=None
        )
        queue_purge()
    assert seen == {w.pk for w in theirs}  # every workspace in as few cycles as its user's budget allows

    # While a background sync of that user runs, its fronts leave that sync its share.
    mirror.SyncState.objects.filter(workspace=theirs[0]).update(
        locked_by="worker:1:abc",
        locked_until=now + timedelta(hours=1),
        plan={"status": "running", "scope": "full"},
    )
    mirror.SyncState.objects.update(queues_synced_at=now)
    scheduler.front_queue(now + timedelta(minutes=10))
    mine = [pk for pk, _kind in syncs_queued("queues") if pk != other.pk]
    assert len(mine) == int(scheduler.front_budget(busy=True) // 6) < int(per_cycle // 6)
    assert theirs[0].pk not in mine  # its running sync refreshes its front itself


def test_a_workspace_whose_sign_in_fails_is_not_scheduled_until_someone_signs_in_again(
    world, sandbox_transport, settings
):
    acme = mirror_connected(world.acme, world.owner)
    globex = mirror_connected(world.globex, world.globex_owner)
    connection = acme.sync_connection
    connection.access_token = "wwat_revoked"
    connection.save()

    assert scheduler.front_queue() == 2
    while task := take_first_task():
        import_string(task["func"])(*task["args"])

    # WebWork refused Acme's sign-in: marked, and Acme is off every schedule.
    connection.refresh_from_db()
    assert connection.needs_sign_in
    later = timezone.now() + timedelta(minutes=3)
    assert list(scheduler.schedulable_workspaces()) == [globex]
    assert scheduler.front_queue(later) == 1
    assert scheduler.workspaces_sync_queue("recent") == 1
    assert {pk for pk, _kind in syncs_queued()} == {globex.pk}
    queue_purge()

    # Its Owner signs in again: the connection works, and the next tick takes Acme back.
    raw, _ = personal_token_issue(user=world.owner)
    connection_from_personal_token(token=raw)
    connection.refresh_from_db()
    assert not connection.needs_sign_in
    assert scheduler.front_queue(later + timedelta(minutes=3)) == 1  # Globex's is still waiting
    assert syncs_queued() == [(acme.pk, "queues")]
    assert scheduler.workspaces_sync_queue("recent") == 1


def test_another_managers_working_sign_in_keeps_a_workspace_scheduled(world, settings):
    acme = mirror_connected(world.acme, world.owner)
    mirror.Connection.objects.filter(pk=acme.sync_connection_id).update(
        status=mirror.Connection.Status.NEEDS_SIGN_IN
    )
    assert list(scheduler.schedulable_workspaces()) == []

    other = mirror.Workspace.objects.create(webwork_id=world.globex.id, name="Globex")
    manager = sync_connection_for(other, world.manager)  # an Executive manager of Acme too
    mirror.WorkspaceAccess.objects.create(
        user=manager.user, workspace=acme, connection=manager, role="Executive manager", can_manage=True
    )

    assert acme in scheduler.schedulable_workspaces()
    assert scheduler.sync_users([acme.pk])[acme.pk] == world.manager.id  # its budget is spent


# --- the back lane --------------------------------------------------------------------------


def waiting_plan(
    workspace, status, since, *, kind="incremental", priority=scheduler.SCHEDULED, next_kind="recent"
):
    plan = {
        "status": status,
        "kind": kind,
        "scope": kind,
        "priority": priority,
        "next_kind": next_kind,
        "steps": [],
    }
    if status == "queued":
        plan["queued_at"] = since.isoformat()
    return mirror.SyncState.objects.create(
        workspace=workspace, plan=plan, finished_at=since if status == "partial" else None
    )


def test_back_lane_turns_few_at_once_one_per_user_asked_first_history_last(settings):
    settings.WEBWORK_SYNC_SLOTS = 2
    now = timezone.now()
    one, two, three = a_manager(81), a_manager(82), a_manager(83)
    huge, small = managed_workspaces(2, manager=one)
    scheduled, backfill = managed_workspaces(2, manager=two)
    asked = managed_workspaces(1, manager=three)[0]
    # The huge workspace's backfill stopped 10 minutes ago, its history next.
    waiting_plan(huge, "partial", now - timedelta(minutes=10), kind="full", next_kind="history")
    waiting_plan(small, "queued", now - timedelta(minutes=1), kind="recent")
    waiting_plan(scheduled, "queued", now - timedelta(minutes=2))
    waiting_plan(backfill, "partial", now - timedelta(minutes=25), kind="full", next_kind="history")
    waiting_plan(asked, "queued", now, priority=scheduler.ASKED)

    assert scheduler.backlog_admit(now) == 2

    # In turn order: user two's backfill, stopped 25 minutes ago (counted as 10, history's 15
    # minutes less), then the manager's "sync now" (counted as it waited); user two's scheduled
    # cycle waits for user two's turn to end, user one's for a free slot.
    assert syncs_queued() == [(backfill.pk, "resume"), (asked.pk, "incremental")]
    # Both slots are taken: nothing more until one is free.
    assert scheduler.backlog_admit(now) == 0
    queue_purge()

    # The manager's sync ran to its end: its slot goes to user one's recent cycle, queued a minute
    # ago (counted as 6), before user one's backfill, stopped 10 minutes ago (counted as 5 minutes
    # from now: history's 15 less); user two's cycle still waits for user two's backfill.
    mirror.SyncState.objects.filter(workspace=asked).update(plan={"status": "done", "steps": []})
    assert scheduler.backlog_admit(now) == 1
    assert syncs_queued() == [(small.pk, "recent")]
    # What has not had its turn is seen waiting (the pages keep saying "queued"), not lost.
    later = now + timedelta(minutes=9)
    scheduler.backlog_admit(later)
    much_later = later + timedelta(minutes=9)  # 18 minutes on, longer than a lost task's ten
    assert mirror.SyncState.objects.get(workspace=scheduled).waiting(now=much_later) == "queued"
    assert mirror.SyncState.objects.get(workspace=huge).waiting(now=much_later) == "continuing"


def test_a_turn_that_meets_a_front_refresh_is_given_back_and_handed_out_when_it_ends(settings):
    """Connecting queues the front and the first sync at once; when two workers take both, the first
    sync finds the workspace held: it waits again and gets its turn as soon as the front ends."""
    settings.WEBWORK_SYNC_SLOTS = 2
    workspace = managed_workspaces(1)[0]
    waiting_plan(workspace, "queued", timezone.now(), priority=scheduler.ASKED)
    assert scheduler.backlog_admit() == 1
    queue_purge()
    front = orchestrator.lock_acquire(workspace)  # a front refresh runs meanwhile

    answer = scheduler.workspace_sync_for_task(workspace.pk, "incremental")

    assert "already running" in answer
    plan = mirror.SyncState.objects.get(workspace=workspace).plan
    assert plan["status"] == "queued"
    assert "admitted_at" not in plan
    assert syncs_queued() == []  # not while the front holds the workspace
    orchestrator.lock_release(workspace, front)
    assert scheduler.backlog_admit() == 1
    assert syncs_queued() == [(workspace.pk, "incremental")]


def test_the_recent_hourly_and_nightly_ticks_mark_and_upgrade_without_piling_up(settings):
    workspaces = managed_workspaces(30)
    settings.WEBWORK_SYNC_SLOTS = 3

    assert scheduler.workspaces_sync_queue("recent") == 30
    assert len(syncs_queued()) == 3  # three turns handed out; the rest wait in the database
    states = mirror.SyncState.objects.filter(workspace__in=workspaces)
    assert {s.plan["status"] for s in states} == {"queued"}
    # The hourly tick makes the waiting ones incremental, keeping their place; nothing is doubled.
    assert scheduler.workspaces_sync_queue("incremental") == 27
    assert scheduler.workspaces_sync_queue("recent") == 0
    assert len(syncs_queued()) == 3
    kinds = {s.plan["kind"] for s in mirror.SyncState.objects.filter(workspace__in=workspaces)}
    assert kinds == {"recent", "incremental"}


# --- the budget: the background share -----------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.mark.parametrize("where", ["memory", "database", "redis"])
def test_a_backfill_takes_its_share_of_a_users_budget_and_the_front_never_waits(where, request):
    if where == "redis":
        request.getfixturevalue("redis_url")
    store = {"memory": MemoryBudgetStore, "database": DatabaseBudgetStore, "redis": RedisBudgetStore}[where]()
    clock = FakeClock()
    whole = RateLimiter("user:5", store=store, limit=60, period=60, margin=0, sleep=clock.sleep, clock=clock)
    backfill = background_limiter(whole, orchestrator.BACKGROUND_SHARE)
    start, front_at = clock.now, clock.now
    background, front, front_waits = [], [], []

    # Ten minutes of a backfill sending as fast as it may, and a front of 6 requests every cycle
    # (a minute) for each of 4 workspaces of the same user.
    while clock.now < start + 600:
        if clock.now >= front_at:
            for _ in range(4 * 6):
                front_waits.append(whole.acquire())
                front.append(clock.now)
            front_at += orchestrator.FRONT_EVERY.total_seconds()
            continue
        backfill.acquire()
        background.append(clock.now)

    assert front_waits == [0.0] * len(front)  # the front never waited for the backfill
    assert max(sum(1 for t in background if s <= t < s + 60) for s in background) == 30  # its half
    sent = sorted(background + front)
    assert max(sum(1 for t in sent if s <= t < s + 60) for s in sent) <= 60  # WebWork's limit, always
    assert len(background) >= 9 * 30  # and the backfill kept going at its share


# --- a huge backfill beside many small workspaces, on two workers ------------------------------


@pytest.fixture
def small_workspaces(world):
    """Globex and three more small workspaces, each with an Owner of its own, connected."""
    owners = [world.globex_owner]
    sandbox_workspaces = [world.globex]
    for n in range(3):
        owner = make_user(f"owner@small{n}.test", "Sam", f"Small{n}")
        workspace = sandbox.Workspace.objects.create(name=f"Small {n}", owner=owner)
        sandbox.Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
        member = make_user(f"member@small{n}.test", "Mia", f"Member{n}")
        sandbox.Membership.objects.create(workspace=workspace, user=member, role=Role.REGULAR_USER)
        owners.append(owner)
        sandbox_workspaces.append(workspace)
    return [mirror_connected(w, owner) for w, owner in zip(sandbox_workspaces, owners, strict=True)]


def test_a_huge_backfill_leaves_every_other_workspaces_front_on_time(
    world, small_workspaces, sandbox_transport, settings, monkeypatch, time_machine
):
    """Two workers, one slot for the back lane. Acme's first sync (a long history) runs a step per
    turn (a time budget of one step) while the 1-minute front tick and the 15-minute recent tick
    queue the small workspaces' work. In virtual time (a front task takes 5 s, a back-lane turn
    30 s): every small workspace's front is refreshed every cycle, their recent syncs take turns
    with the backfill and end long before it, the back lane never holds more than its slot, and the
    backfill still finishes."""
    settings.WEBWORK_HISTORY_DAYS = 35
    settings.WEBWORK_SYNC_SLOTS = 1
    monkeypatch.setattr(scheduler, "SLICE_SECONDS", 0)  # one step per back-lane turn
    start = timezone.now().replace(microsecond=0)
    time_machine.move_to(start, tick=False)
    huge = mirror_connected(world.acme, world.owner)
    for workspace in small_workspaces:  # their first syncs were done long ago
        mirror.SyncState.objects.create(
            workspace=workspace, first_sync_ran_at=start, first_sync_done_at=start
        )
    scheduler.sync_mark_queued(huge, "incremental", priority=scheduler.ASKED)  # Acme just connected

    durations = {"queues": 5, "back": 30}
    horizon = 60 * 60
    events = []  # (virtual second, order, what, task)
    order = iter(range(10**6))
    cycle = int(orchestrator.FRONT_EVERY.total_seconds())
    for second in range(0, horizon, cycle):
        heapq.heappush(events, (second, next(order), "front tick", None))
    for second in range(60, horizon, 15 * 60):
        heapq.heappush(events, (second, next(order), "recent tick", None))
    idle = 2
    fronts = {w.pk: [] for w in small_workspaces}  # virtual seconds each front was refreshed
    turns = []  # (start, end, workspace pk, kind) of back-lane turns
    done = {}  # workspace pk: when its first back-lane sync ended done
    most_in_back_lane = 0

    while events:
        second, _n, what, task = heapq.heappop(events)
        if second > horizon:
            break
        time_machine.move_to(start + timedelta(seconds=second), tick=False)
        if what == "front tick":
            tasks.sync_queues_all_task()
        elif what == "recent tick":
            tasks.sync_recent_all_task()
        else:  # a task a worker took ends: it runs now, as a whole
            pk, kind = task["args"]
            import_string(task["func"])(*task["args"])
            idle += 1
            if kind == "queues" and pk in fronts:
                fronts[pk].append(second)
            if kind != "queues" and mirror.SyncState.objects.get(workspace_id=pk).plan["status"] == "done":
                done.setdefault(pk, second)
        in_flight, _waiting = scheduler._back_lane(timezone.now())
        most_in_back_lane = max(most_in_back_lane, len(in_flight))
        while idle and (task := take_first_task()):
            idle -= 1
            pk, kind = task["args"]
            took = durations["queues"] if kind == "queues" else durations["back"]
            if kind != "queues":
                turns.append((second, second + took, pk, kind))
            heapq.heappush(events, (second + took, next(order), "done", task))

    # The back lane: never more than its one slot, and never two turns at once.
    assert most_in_back_lane <= 1
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(turns))
    # Every small workspace's front every cycle: never more than a minute and a few seconds apart.
    cycles = horizon // cycle
    for pk, moments in fronts.items():
        assert len(moments) >= cycles - 1, pk
        gaps = [later - earlier for earlier, later in itertools.pairwise(moments)]
        assert max(gaps) <= cycle + 2 * durations["queues"], (pk, gaps)
    # The small workspaces' recent syncs, queued a minute after Acme's first sync began, did not
    # wait for it: they were done while it still ran, and it finished all the same.
    assert {turn[2] for turn in turns} == {huge.pk, *fronts}
    assert set(done) == {huge.pk, *fronts}
    assert max(done[pk] for pk in fronts) < done[huge.pk]
    assert mirror.SyncState.objects.get(workspace=huge).first_sync_done_at is not None


def test_a_background_turn_refreshes_its_own_front_between_steps_when_due(
    world, sandbox_transport, settings, time_machine
):
    settings.WEBWORK_HISTORY_DAYS = 28
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    acme = mirror_connected(world.acme, world.owner)
    first = orchestrator.workspace_sync(acme, kind="full", background=True, time_budget=0)  # one step
    assert first.status == "partial"
    state = mirror.SyncState.objects.get(workspace=acme)
    planned = [step["name"] for step in state.plan["steps"]]
    assert state.queues_synced_at is None  # its own front is not done yet

    orchestrator.workspace_sync(acme, kind="resume", background=True, time_budget=0)
    orchestrator.workspace_sync(acme, kind="resume", background=True, time_budget=0)
    orchestrator.workspace_sync(acme, kind="resume", background=True, time_budget=0)
    orchestrator.workspace_sync(acme, kind="resume", background=True, time_budget=0)
    state.refresh_from_db()
    assert state.queues_synced_at == start  # the plan's own front ran: queues, then who is working now

    # Three minutes on, the next turn refreshes the front before its step; the plan is unchanged.
    time_machine.move_to(start + timedelta(minutes=3), tick=False)
    runs_before = mirror.SyncRun.objects.filter(workspace=acme, resource="timesheets").count()
    turn = orchestrator.workspace_sync(acme, kind="resume", background=True, time_budget=0)
    state.refresh_from_db()
    assert state.queues_synced_at == start + timedelta(minutes=3)
    assert mirror.SyncRun.objects.filter(workspace=acme, resource="timesheets").count() == runs_before + 1
    assert [step["name"] for step in state.plan["steps"]][: len(planned)] == planned
    assert turn.status == "partial"
    # The foreground (the command, the benchmarks) never does this: its plan is what it measures.
    time_machine.move_to(start + timedelta(minutes=6), tick=False)
    orchestrator.workspace_sync(acme, kind="resume", time_budget=0)
    state.refresh_from_db()
    assert state.queues_synced_at == start + timedelta(minutes=3)


def test_a_background_turn_refreshes_the_front_before_a_step_that_would_carry_it_past_its_cycle(
    world, sandbox_transport, settings, time_machine
):
    """A front not yet a cycle old is refreshed before a step that would end after its cycle (at the
    pace the budget allows), so the queues are never older than the cycle because of a long step;
    before a step that ends within the cycle it is left alone."""
    settings.WEBWORK_HISTORY_DAYS = 28
    settings.WEBWORK_RATE_LIMIT_PER_MINUTE = 600  # a background step: 300 requests a minute
    settings.WEBWORK_RATE_LIMIT_PERIOD_SECONDS = 60
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    acme = mirror_connected(world.acme, world.owner)
    orchestrator.workspace_sync(acme, kind="full", background=True, time_budget=0)
    while mirror.SyncState.objects.get(workspace=acme).queues_synced_at is None:  # its own front
        orchestrator.workspace_sync(acme, kind="resume", background=True, time_budget=0)
    cycle = orchestrator.FRONT_EVERY.total_seconds()

    def next_step_seconds():
        plan = mirror.SyncState.objects.get(workspace=acme).plan
        step = next(s for s in plan["steps"] if s["status"] == "pending")
        return step["planned"] / 300 * 60

    # The next step ends within the cycle: no refresh.
    time_machine.move_to(start + timedelta(seconds=cycle - next_step_seconds() - 1), tick=False)
    orchestrator.workspace_sync(acme, kind="resume", background=True, time_budget=0)
    assert mirror.SyncState.objects.get(workspace=acme).queues_synced_at == start

    # The front is not yet a cycle old, but would be by the end of the next step: refreshed first.
    lead = next_step_seconds()
    assert lead > 0
    moment = start + timedelta(seconds=cycle - lead / 2)
    time_machine.move_to(moment, tick=False)
    orchestrator.workspace_sync(acme, kind="resume", background=True, time_budget=0)
    assert mirror.SyncState.objects.get(workspace=acme).queues_synced_at == moment
