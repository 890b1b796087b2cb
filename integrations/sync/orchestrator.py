"""Running a workspace's sync: the plan's steps in order, under a per-workspace lock.

* `workspace_sync()` runs a plan (see plan.py) in the foreground: the command, the tasks and
  the tests call it. A second sync of the same workspace exits at once ("already running");
  a lock whose lease ran out (a killed worker) is taken over. The lock (locks.py) lives in Redis
  when REDIS_URL is set, else in the database; each step renews its lease for as long as its
  requests should take at the rate limit, and every request renews it again once a third of the
  lease has passed, so a step slower than planned keeps its lock.
* One resource failing records its error (its SyncRun, the step in the plan) and the run goes
  on with the next step. What failed is owed (see owed.py): the next syncs retry it with backoff,
  and the first sync of a workspace is complete only once nothing of it is owed. A 401 that
  refreshing the token cannot fix stops the run and leaves the connection marked as needing
  sign-in.
* Run as a task (`background`), a sync stops starting steps when its time budget runs out and
  leaves the rest in the plan ("partial") for the scheduler (scheduler.py) to continue in a later
  turn; the front (the approval queues and who is working now) is refreshed between its steps
  whenever it is due, and its other steps spend only BACKGROUND_SHARE of the user's budget.
* A "queues" sync of a workspace whose stored plan still waits (queued, or partial) runs beside
  it: it refreshes the front without replacing that plan, which the pages keep showing.

Queueing syncs (the schedules, the pages' "sync now", connecting a workspace) is scheduler.py's.
"""

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db import connection as db_connection
from django.db.models import Q
from django.utils import timezone

from ..connections import workspace_accesses_from_members, workspace_client, workspace_connection
from ..models import Connection, OwedSync, SyncRun, SyncState, Workspace
from ..ratelimit import background_limiter
from ..webwork import errors
from .base import SyncContext
from .locks import (  # noqa: F401  (the lock's functions, as callers know them)
    LOCK_LEASE_MIN,
    lock_acquire,
    lock_free,
    lock_release,
    lock_renew,
    sync_is_running,
    workspace_lock,
)
from .owed import PartsFailed, owed_dates, owed_prune
from .owed import record as owed_record
from .plan import (
    LIST_SIZES,
    SYNC_KINDS,
    Plan,
    build_steps,
    history_days,
    plan_build,
    sync_list_sizes,
    workspace_today,
)

logger = logging.getLogger(__name__)

RESUME = "resume"  # the task kind that continues a plan stopped by its time budget

DONE = "done"
PARTIAL = "partial"  # the time budget ran out; the rest waits in the plan for its next turn
STOPPED = "stopped"  # a 401 refresh could not fix, or no client
ALREADY_RUNNING = "already running"
LOST_LOCK = "lost lock"  # another run took the lock over (ours had gone stale)

# The front: what a manager needs fresh every minute, whatever else runs.
FRONT_KINDS = ("queues", "now")
FRONT_EVERY = timedelta(minutes=1)
# A background sync's steps after the front spend at most this share of each window of the user's
# budget; the rest stays for the front of every workspace of that user and a manager's actions.
BACKGROUND_SHARE = 0.5

# Plan statuses that wait for a turn: queued (never started) and partial (stopped by its budget).
WAITING = ("queued", "partial")


@dataclass
class SyncResult:
    workspace: Workspace
    status: str
    requests: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    plan: Plan | None = None
    # What the wire saw: requests sent (retries included), 429 answers, seconds the limiter waited.
    requests_sent: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0

    @property
    def rows(self):
        return self.created + self.updated + self.removed

    def summary(self):
        if self.status == ALREADY_RUNNING:
            return f"A sync of {self.workspace} is already running."
        return (
            f"Synced {self.workspace}: {self.requests} requests, {self.rows} rows ({self.created} created, "
            f"{self.updated} updated, {self.removed} removed) in {self.seconds:.1f} s"
        )


def _lease_for(planned):
    per_minute = max(1, int(settings.WEBWORK_RATE_LIMIT_PER_MINUTE))
    return max(LOCK_LEASE_MIN, math.ceil(planned / per_minute * 60 * 2) + 60)


class LeaseKeeper:
    """The client's limiter, wrapped so that the requests of a sync keep its lock: before and after
    each turn at the limiter the lease is renewed once a third of it has passed. A lock found lost
    is remembered (`lost`) and the run stops before its next step. `limiter` is swapped per step
    (the whole budget, or the background share of it)."""

    def __init__(self, limiter, workspace, token, seconds):
        self.limiter = limiter
        self.workspace = workspace
        self.token = token
        self.seconds = seconds
        self.renewed = time.monotonic()
        self.lost = False

    def leased(self, seconds):
        """The lease was just renewed for `seconds`."""
        self.seconds = seconds
        self.renewed = time.monotonic()

    def acquire(self):
        self._keep()
        waited = self.limiter.acquire()
        self._keep()
        return waited

    def hold_off(self, seconds):
        self.limiter.hold_off(seconds)

    def _keep(self):
        if self.lost or time.monotonic() - self.renewed < self.seconds / 3:
            return
        if lock_renew(self.workspace, self.token, self.seconds):
            self.renewed = time.monotonic()
        else:
            self.lost = True


# --- running a plan --------------------------------------------------------------------


def workspace_sync(
    workspace,
    *,
    kind="incremental",
    resource="",
    progress=None,
    time_budget=None,
    background=False,
):
    """Sync `workspace` now, in this process. Returns a SyncResult.

    kind: incremental | queues | recent | full (see plan.SYNC_KINDS), or "resume" to finish a
    plan a time budget stopped. resource: only that resource's steps. progress(plan, step,
    event) hears "start" and "end" of every step. time_budget: seconds after which no new step
    starts (the rest is left in the plan, status "partial"). background: run by a task (see the
    module's docstring: the front refreshed when due, the background share of the budget).
    """
    if kind != RESUME and kind not in SYNC_KINDS:
        raise ValueError(f"Unknown sync kind {kind!r}; one of {', '.join(SYNC_KINDS)}.")
    started = time.monotonic()
    held = SyncState.objects.filter(workspace=workspace).values_list("locked_by", "locked_until").first()
    token = lock_acquire(workspace)
    if token is None:
        return SyncResult(workspace, ALREADY_RUNNING)
    if held and held[0]:
        # The lock was never given back: its sync stopped with its worker (killed, restarted).
        closed = interrupted_runs_close(workspace, before=held[1] or timezone.now())
        if closed:
            logger.warning(
                "%s step(s) of a sync of %s that stopped with its worker: interrupted", closed, workspace
            )
    result = SyncResult(workspace, DONE)
    run = None
    try:
        state = SyncState.objects.get(workspace=workspace)
        stored = state.plan or {}
        waiting = stored.get("status") in WAITING
        # A front refresh beside a plan that waits for its turn leaves that plan as it is.
        record = not (kind == "queues" and waiting and not resource)
        if kind == RESUME:
            plan = Plan.from_json(stored) if stored.get("steps") else None
            if plan is None or not plan.pending():
                return result
        else:
            today = workspace_today(workspace)
            owed_prune(workspace, today - timedelta(history_days()))
            plan = plan_build(
                workspace, kind, resource=resource, today=today, first=state.first_sync_ran_at is None
            )
        result.plan = plan
        carried = {"priority": stored["priority"]} if waiting and record and "priority" in stored else {}
        run = _Run(
            workspace, state, token, plan, kind, result, record=record, carried=carried, background=background
        )
        if record:
            SyncState.objects.filter(pk=state.pk, locked_by=token).update(
                started_at=timezone.now(), finished_at=None, last_error=""
            )
        run.save("running")
        try:
            run.client = workspace_client(workspace)
        except Exception as exc:
            logger.exception("No WebWork client for %s", workspace)
            result.status = STOPPED
            result.errors.append(f"No WebWork client: {exc}")
            run.save(STOPPED, last_error=result.errors[-1])
            return result
        run.steps(progress, time_budget, started)
        if record and not plan.pending() and plan.scope == "full" and result.status == DONE:
            SyncState.objects.filter(pk=state.pk, first_sync_ran_at__isnull=True).update(
                first_sync_ran_at=timezone.now()
            )
        sync_marks_update(workspace)
        return result
    finally:
        client = run.client if run is not None else None
        if client is not None:
            client.close()
            result.requests_sent = client.requests_made
            result.rate_limited = client.rate_limited
            result.waited_seconds = client.waited_seconds
        try:
            _finish_recorded(workspace, token, run)
        except DatabaseError as exc:
            # The database dropped the connection mid-sync (a restart): on a fresh connection, record
            # the end and the step it broke off, and give the lock back, or the workspace's syncs
            # wait for the lease to run out.
            if db_connection.in_atomic_block:
                raise
            logger.warning("The database connection broke during the sync of %s; reconnecting", workspace)
            db_connection.close()
            _finish_recorded(workspace, token, run)
            _broken_off_recorded(workspace, run, exc)
        lock_release(workspace, token)
        result.seconds = time.monotonic() - started


INTERRUPTED = (
    "Interrupted: the worker running this sync stopped before the step ended (killed or restarted). "
    "A later sync reads it again."
)


def interrupted_runs_close(workspace, *, before):
    """Mark the runs of `workspace` still "running" that began before `before` (the lapsed lease
    of a sync whose worker stopped) as failed, so Sync health shows what broke off instead of a
    step running for ever. A run that is in fact still going (an attendance fetch, outside the
    lock) writes its own end over this when it finishes."""
    return SyncRun.objects.filter(
        workspace=workspace, status=SyncRun.Status.RUNNING, started_at__lt=before
    ).update(status=SyncRun.Status.FAILED, finished_at=timezone.now(), error=INTERRUPTED)


def _finish_recorded(workspace, token, run):
    if run is None or run.record:
        SyncState.objects.filter(workspace=workspace, locked_by=token).update(finished_at=timezone.now())


def _broken_off_recorded(workspace, run, exc):
    """The step a lost database connection broke off, as a failed run Sync health shows."""
    if run is None:
        return
    # The step at hand: still running, or marked failed in memory when recording its run failed.
    steps = [s for s in run.plan.steps if s.status == "running"] or [
        s for s in run.plan.steps if s.status == "failed"
    ]
    step = steps[-1] if steps else None
    if step is not None:
        SyncRun.objects.create(
            workspace=workspace,
            resource=step.resource,
            scope=step.kind,
            status=SyncRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"The database connection was lost mid-sync ({type(exc).__name__}: {exc})"[:1000],
        )


class _Run:
    """One run of a plan under the lock `token`: its steps, what it records, its client."""

    def __init__(
        self, workspace, state, token, plan, kind, result, *, record=True, carried=None, background=False
    ):
        self.workspace = workspace
        self.state = state
        self.token = token
        self.plan = plan
        self.kind = kind
        self.result = result
        self.record = record  # False: a front refresh beside a waiting plan records no plan
        self.carried = carried or {}  # plan keys the scheduler set that stay with the plan
        self.background = background  # run by a task: the front when due, the background share
        self.client = None
        self.keeper = None
        self.whole = None  # the user's whole budget; the background share is taken from it
        self.front_at = state.queues_synced_at

    def save(self, status, last_error=None):
        """Record the plan and its status for the pages (only this run's, while the lock is ours)."""
        if not self.record:
            return
        data = self.plan.to_json()
        upcoming = self.plan.next_step()
        data.update(
            status=status, kind=self.kind, next_kind=upcoming.kind if upcoming else "", **self.carried
        )
        values = {
            "plan": data,
            "requests_planned": self.plan.requests_planned,
            "requests_done": self.plan.requests_done,
        }
        if last_error is not None:
            values["last_error"] = last_error
        SyncState.objects.filter(pk=self.state.pk, locked_by=self.token).update(**values)

    def steps(self, progress, time_budget, started):
        workspace, plan, result, client = self.workspace, self.plan, self.result, self.client
        self.whole = client.limiter
        self.keeper = LeaseKeeper(self.whole, workspace, self.token, LOCK_LEASE_MIN)
        client.limiter = self.keeper
        ran = 0
        while True:
            if plan.scope != "queues":  # a front's few steps are priced once, when it is planned
                plan.refine(workspace)
            step = plan.next_step()
            if step is None:
                break
            front = step.kind in FRONT_KINDS
            shared = self.background and not front
            per_window = max(1, settings.WEBWORK_RATE_LIMIT_PER_MINUTE) * (BACKGROUND_SHARE if shared else 1)
            step_seconds = step.planned / per_window * float(settings.WEBWORK_RATE_LIMIT_PERIOD_SECONDS)
            if time_budget is not None and ran and time.monotonic() - started + step_seconds > time_budget:
                result.status = PARTIAL
                break
            lease = _lease_for(step.planned / (BACKGROUND_SHARE if shared else 1))
            if self.keeper.lost or not lock_renew(workspace, self.token, lease):
                result.status = LOST_LOCK
                return
            self.keeper.leased(lease)
            if not front and self._front_due(step_seconds):
                auth_failure = self._front_refresh()
                ran += 1
                if auth_failure:
                    _connection_needs_sign_in(workspace, auth_failure)
                    result.status = STOPPED
                    break
                continue  # the time budget and the lock are looked at again before the step
            self.keeper.limiter = background_limiter(self.whole, BACKGROUND_SHARE) if shared else self.whole
            step.status = "running"
            self.save("running")
            if progress:
                progress(plan, step, "start")
            auth_failure = _run_step(workspace, plan, step, client)
            ran += 1
            result.requests += step.done
            result.created += step.created
            result.updated += step.updated
            result.removed += step.removed
            if step.error:
                result.errors.append(f"{step.name}: {step.error}")
            if step.kind == "history" and step.resource == "time_entries":
                _history_reached(self.state, step.dates()[0])
            if front and self._front_finished():
                self._front_synced(sum(s.done for s in plan.steps if s.kind in FRONT_KINDS))
            self.save("running", last_error=step.error or None)
            if progress:
                progress(plan, step, "end")
            if auth_failure:
                _connection_needs_sign_in(workspace, auth_failure)
                result.status = STOPPED
                break
        self.save(result.status, last_error="\n".join(result.errors) or None)

    # --- the front, between the steps of a longer background sync -----------------------

    def _front_due(self, step_seconds=0.0):
        """Refresh the front before the next step when it is FRONT_EVERY old, or would be by the end
        of that step (`step_seconds` at the pace of the budget) and is half that old already: a long
        step never leaves the front past its cycle, and a short one never refreshes it twice."""
        if not self.background or self.plan.scope == "queues":
            return False
        if self.front_at is None:
            return True
        age = timezone.now() - self.front_at
        if age >= FRONT_EVERY:
            return True
        return age >= FRONT_EVERY / 2 and age + timedelta(seconds=step_seconds) >= FRONT_EVERY

    def _front_finished(self):
        """The plan's own front (its approval queues, then who is working now) has just run."""
        steps = self.plan.steps
        return any(s.kind == "queues" for s in steps) and not any(
            s.kind in FRONT_KINDS and not s.finished for s in steps
        )

    def _front_refresh(self):
        """Refresh the approval queues and who is working now before the next step (their own
        steps, not the plan's: the pages keep showing the plan). Returns an AuthError that stops
        the run, or None."""
        plan, result = self.plan, self.result
        self.keeper.limiter = self.whole
        steps = [
            step
            for step in build_steps(self.workspace, "queues", plan.today, plan.history_days)
            if step.kind in FRONT_KINDS
        ]
        requests = 0
        for step in steps:
            auth_failure = _run_step(self.workspace, plan, step, self.client)
            requests += step.done
            result.requests += step.done
            if step.error:
                result.errors.append(f"{step.name}: {step.error}")
            if auth_failure:
                return auth_failure
        self._front_synced(requests)
        return None

    def _front_synced(self, requests):
        self.front_at = timezone.now()
        SyncState.objects.filter(pk=self.state.pk).update(
            queues_synced_at=self.front_at, queues_requests=requests
        )


def _run_step(workspace, plan, step, client):
    """Run one step, recording its requests, rows and error, and owing what failed of it (a failed
    date or project, or the whole step). Returns the AuthError that stops the run."""
    before = client.requests_made
    step_started = timezone.now()
    ctx = SyncContext(workspace=workspace, client=client)
    auth_failure = None
    try:
        if step.resource == LIST_SIZES:
            stats = sync_list_sizes(ctx, step.params["lists"], plan.today, plan.sizes)
        else:
            stats = step.call(ctx)
    except errors.AuthError as exc:
        auth_failure = exc
        _failed(workspace, step, step_started, exc)
    except PartsFailed as exc:
        # The other dates (projects) of the step were synced; the failed ones are owed.
        _counted(step, exc.stats)
        _failed(workspace, step, step_started, exc)
        owed_record(workspace, step, failed=exc.failed)
    except Exception as exc:
        # One resource failing must not keep the others stale: record it, owe it and go on.
        logger.exception("Syncing %s of %s failed", step.name, workspace)
        _failed(workspace, step, step_started, exc)
        if step.resource != LIST_SIZES:
            owed_record(workspace, step, error=exc)
    else:
        step.status = "done"
        _counted(step, stats)
        if step.resource != LIST_SIZES:
            owed_record(workspace, step)
        if step.resource == "members":
            # Who may open the workspace follows the roles WebWork just gave.
            workspace_accesses_from_members(workspace)
    step.done = client.requests_made - before
    return auth_failure


def _counted(step, stats):
    step.created, step.updated, step.removed = stats.created, stats.updated, stats.removed


def _failed(workspace, step, step_started, exc):
    step.status = "failed"
    step.error = f"{type(exc).__name__}: {exc}"[:1000]
    recorded = SyncRun.objects.filter(
        workspace=workspace, started_at__gte=step_started, status=SyncRun.Status.FAILED
    ).exists()
    if not recorded:  # it failed before its resource sync could record the run
        SyncRun.objects.create(
            workspace=workspace,
            resource=step.resource,
            scope=step.kind,
            status=SyncRun.Status.FAILED,
            started_at=step_started,
            finished_at=timezone.now(),
            error=step.error,
        )


def _history_reached(state, oldest):
    """The history steps have gone back to `oldest` (its failed dates are owed)."""
    SyncState.objects.filter(pk=state.pk).filter(
        Q(history_reached__isnull=True) | Q(history_reached__gt=oldest)
    ).update(history_reached=oldest)


def sync_marks_update(workspace):
    """Bring the marks of what the mirror holds in line with what is owed:

    * the history is read back to `history_reached`, but never past a date still owed: the mark
      stops the day after the newest owed date;
    * a first sync that ran to its end is complete once nothing is owed.
    """
    state = SyncState.objects.filter(workspace=workspace).first()
    if state is None:
        return
    values = {}
    if state.history_reached is not None:
        owed = [day for day in owed_dates(workspace) if day >= state.history_reached]
        until = max(owed) + timedelta(days=1) if owed else state.history_reached
        if until != state.history_synced_until:
            values["history_synced_until"] = until
    if (
        state.first_sync_ran_at is not None
        and state.first_sync_done_at is None
        and not OwedSync.objects.filter(workspace=workspace).exists()
    ):
        values["first_sync_done_at"] = timezone.now()
    if values:
        SyncState.objects.filter(pk=state.pk).update(**values)


def _connection_needs_sign_in(workspace, exc):
    """WebWork refused the token even after a refresh: the connection that syncs needs sign-in.

    A refused refresh has marked it already (with its own words); this covers a token refreshed
    fine and refused again.
    """
    try:
        connection = workspace_connection(workspace)
    except errors.WebWorkError:
        return  # none left working: already marked
    Connection.objects.filter(pk=connection.pk, status=Connection.Status.ACTIVE).update(
        status=Connection.Status.NEEDS_SIGN_IN,
        last_error=f"WebWork refused this sign-in ({exc.message}). Sign in with WebWork again."[:1000],
        updated_at=timezone.now(),
    )


def task_time_budget():
    """Seconds a task may spend before handing the rest to a new task (below django-q2's timeout)."""
    timeout = (getattr(settings, "Q_CLUSTER", {}) or {}).get("timeout") or 600
    return timeout * 0.8
