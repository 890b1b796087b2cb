"""What workers on several machines agree on through Redis (REDIS_URL): each WebWork user's request
window and each workspace's sync lock. Without REDIS_URL both live in the database (the embedded
default); the tests of the lock run on both.

Real OS processes (forked from the test, each with its own Redis and database connections) hammer
one budget and contend for one lock at once.
"""

import itertools
import multiprocessing
import time

import pytest
from django.db import connections
from django.utils import timezone

from integrations import models as mirror
from integrations.ratelimit import DatabaseBudgetStore, RedisBudgetStore, rate_limiter_for
from integrations.shared_redis import redis_client
from integrations.sync import locks
from integrations.sync.orchestrator import LeaseKeeper
from integrations.webwork.client import NoLimit
from integrations.webwork.ratelimit import RateLimiter
from tests.factories import WorkspaceFactory

FORK = multiprocessing.get_context("fork")
_INHERITED = []  # a forked child's copies of the parent's open connections, kept, never closed


def own_connections():
    """In a forked child: leave the parent's open database connections alone (their sockets are the
    parent's: using or closing them would tangle or end the parent's sessions) and let this process
    open its own."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _INHERITED.append(conn.connection)
            conn.connection = None
        conn.in_atomic_block = False
        conn.savepoint_ids = []
        conn.needs_rollback = False
        conn.closed_in_transaction = False
        conn.run_on_commit = []


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def most_in_any_window(times, period):
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + period) for start in times)


# --- the budget -----------------------------------------------------------------------------


def test_rate_limiter_for_keeps_the_budget_in_redis_when_redis_url_is_set(redis_url, settings):
    assert isinstance(rate_limiter_for(7).store, RedisBudgetStore)

    settings.REDIS_URL = ""
    assert isinstance(rate_limiter_for(7).store, DatabaseBudgetStore)


def test_the_redis_window_never_holds_more_than_the_limit(redis_url):
    clock = FakeClock()
    limiter = RateLimiter(
        "user:7", store=RedisBudgetStore(), limit=5, period=10, margin=0, sleep=clock.sleep, clock=clock
    )

    sent = []
    for _ in range(23):
        limiter.acquire()
        sent.append(clock())
        clock.now += 0.5

    assert most_in_any_window(sent, 10) == 5
    assert sent[5] - sent[0] >= 10
    # What Redis keeps: the sends of the current window only.
    assert len(limiter.store.sent("user:7")) == 5


def test_a_hold_off_in_redis_pauses_every_limiter_of_that_user_and_no_other(redis_url):
    clock = FakeClock()
    store = RedisBudgetStore()
    # The hold-off's lifetime in Redis runs on Redis's clock: these limiters share it.
    first = RateLimiter("user:9", store=store, limit=60, sleep=clock.sleep, clock=store.now)
    second = RateLimiter("user:9", store=store, limit=60, sleep=clock.sleep, clock=store.now)
    other = RateLimiter("user:10", store=store, limit=60, sleep=clock.sleep, clock=store.now)

    first.hold_off(30)

    assert second.held_until() == pytest.approx(store.now() + 30, abs=1)
    assert other.held_until() == 0
    assert other.acquire() == 0


def recording(store_class):
    """`store_class` as `rate_limiter_for` makes it (on the store's own clock), noting the moment
    of every send it allowed."""

    class Recording(store_class):
        def __init__(self):
            super().__init__(own_clock=True)
            self.allowed = []

        def reserve(self, key, now, limit, period):
            wait = super().reserve(key, now, limit, period)
            if wait <= 0:
                self.allowed.append(self.last_moment)
            return wait

    return Recording()


def hammer(store_class, key, limit, period, sends, go, out):
    """A child: `sends` requests' turns from one user's budget, as fast as the budget allows."""
    own_connections()
    store = recording(store_class)
    limiter = RateLimiter(key, store=store, limit=limit, period=period, margin=0, clock=store.now)
    go.wait()
    waited = sum(limiter.acquire() for _ in range(sends))
    connections.close_all()
    out.put((store.allowed, waited))


@pytest.mark.parametrize("where", ["database", "redis"])
@pytest.mark.django_db(transaction=True)
def test_processes_hammering_one_budget_never_exceed_it_in_any_window(where, request, settings):
    if where == "redis":
        request.getfixturevalue("redis_url")
    store_class = RedisBudgetStore if where == "redis" else DatabaseBudgetStore
    limit, period, processes, sends = 10, 0.5, 6, 10
    go, out = FORK.Event(), FORK.Queue()
    connections.close_all()  # each child opens its own
    children = [
        FORK.Process(target=hammer, args=(store_class, "user:77", limit, period, sends, go, out))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    go.set()
    reports = [out.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=10)
        assert child.exitcode == 0

    allowed = sorted(moment for moments, _waited in reports for moment in moments)
    assert len(allowed) == processes * sends  # every request got its turn...
    # ...never more than the limit within any window, whichever process sent it...
    assert all(
        later - earlier >= period - 1e-6 for earlier, later in zip(allowed, allowed[limit:], strict=False)
    )
    assert most_in_any_window(allowed, period) == limit
    # ...and they really competed: the budget made them wait, their turns interleave.
    assert sum(waited for _moments, waited in reports) > 0
    turns = sorted((moment, child) for child, (moments, _waited) in enumerate(reports) for moment in moments)
    switches = sum(1 for (_a, one), (_b, other) in itertools.pairwise(turns) if one != other)
    assert switches >= 2


# --- the lock -------------------------------------------------------------------------------


def contend(workspace_pk, rounds, holders, most, out):
    """A child: take the workspace's lock `rounds` times; while holding it, count the holders."""
    own_connections()
    workspace = mirror.Workspace.objects.get(pk=workspace_pk)
    taken = 0
    for _ in range(rounds):
        token = locks.lock_acquire(workspace, seconds=30)
        if token is None:
            time.sleep(0.001)
            continue
        with holders.get_lock():
            holders.value += 1
            most.value = max(most.value, holders.value)
        time.sleep(0.002)
        with holders.get_lock():
            holders.value -= 1
        locks.lock_release(workspace, token)
        taken += 1
    connections.close_all()
    out.put(taken)


@pytest.mark.parametrize("where", ["database", "redis"])
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_hold_one_workspace_lock_at_once(where, request, settings):
    if where == "redis":
        request.getfixturevalue("redis_url")
    else:
        settings.REDIS_URL = ""
    workspace = WorkspaceFactory()
    mirror.SyncState.objects.create(workspace=workspace)
    holders, most, out = FORK.Value("i", 0), FORK.Value("i", 0), FORK.Queue()
    connections.close_all()  # each child opens its own
    children = [FORK.Process(target=contend, args=(workspace.pk, 40, holders, most, out)) for _ in range(4)]
    for child in children:
        child.start()
    taken = [out.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=10)
        assert child.exitcode == 0

    assert most.value == 1  # never two holders at once
    assert sum(1 for count in taken if count) >= 2  # and the lock went round
    state = mirror.SyncState.objects.get(workspace=workspace)
    assert (state.locked_by, state.locked_until) == ("", None)


@pytest.mark.django_db
def test_redis_decides_who_holds_the_lock_and_the_database_copy_follows(redis_url):
    workspace = WorkspaceFactory()

    token = locks.lock_acquire(workspace)

    state = mirror.SyncState.objects.get(workspace=workspace)
    assert state.locked_by == token  # what the pages read
    assert state.locked_until > timezone.now()
    assert locks.sync_is_running(workspace)
    assert redis_client().get(locks.lock_key(workspace)).decode() == token
    # Even with the database copy wiped, Redis still says it is held.
    mirror.SyncState.objects.filter(pk=state.pk).update(locked_by="", locked_until=None)
    assert locks.lock_acquire(workspace) is None

    locks.lock_release(workspace, token)
    assert redis_client().get(locks.lock_key(workspace)) is None
    assert locks.lock_acquire(workspace) is not None


@pytest.mark.django_db
def test_an_expired_redis_lock_is_taken_over_and_its_former_holder_cannot_renew_or_release_it(redis_url):
    workspace = WorkspaceFactory()
    stale = locks.lock_acquire(workspace, seconds=0.2)
    assert stale
    assert locks.lock_acquire(workspace, seconds=0.2) is None

    time.sleep(0.3)  # the holder was killed: its lease runs out
    assert not locks.sync_is_running(workspace)
    fresh = locks.lock_acquire(workspace, seconds=30)

    assert fresh
    assert fresh != stale
    assert not locks.lock_renew(workspace, stale, 30)
    locks.lock_release(workspace, stale)  # a former holder's release leaves the new holder's lock
    assert redis_client().get(locks.lock_key(workspace)).decode() == fresh
    assert mirror.SyncState.objects.get(workspace=workspace).locked_by == fresh
    assert locks.lock_renew(workspace, fresh, 30)


@pytest.mark.parametrize("where", ["database", "redis"])
@pytest.mark.django_db
def test_requests_keep_renewing_the_lock_of_a_step_slower_than_its_lease(where, request, settings):
    if where == "redis":
        request.getfixturevalue("redis_url")
    else:
        settings.REDIS_URL = ""
    workspace = WorkspaceFactory()
    token = locks.lock_acquire(workspace, seconds=0.6)
    keeper = LeaseKeeper(NoLimit(), workspace, token, 0.6)

    for _ in range(5):  # a second of requests, each a fifth of it apart
        time.sleep(0.2)
        keeper.acquire()

    assert not keeper.lost
    assert locks.sync_is_running(workspace)  # still ours, a second after a 0.6 s lease
    assert locks.lock_acquire(workspace) is None

    # Taken over meanwhile (our lease ran out): the keeper notices, and the run stops at its next step.
    time.sleep(0.7)
    assert locks.lock_acquire(workspace, seconds=30)
    keeper.acquire()
    assert keeper.lost
