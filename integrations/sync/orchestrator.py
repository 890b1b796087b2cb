"""Running a workspace's sync: the plan's steps in order, under a per-workspace lock.

* `workspace_sync()` runs a plan (see plan.py) in the foreground: the command, the tasks and
  the tests call it. A second sync of the same workspace exits at once ("already running");
  a lock whose lease ran out (a killed worker) is taken over. Each step renews the lease for
  as long as its requests should take at the rate limit.
* One resource failing records its error (its SyncRun, the step in the plan) and the run goes
  on with the next step. What failed is owed (see owed.py): the next syncs retry it with backoff,
  and the first sync of a workspace is complete only once nothing of it is owed. A 401 that
  refreshing the token cannot fix stops the run and leaves the connection marked as needing
  sign-in.
* Run as a task, a sync stops starting steps when its time budget (below django-q2's timeout)
  runs out and queues a task that resumes the plan where it stopped.
* `workspace_first_sync_queue()` (after connecting a workspace) and `incremental_sync_queue()`
  (the pages' "sync now", through services.workspaces.workspace_sync_now) queue a sync;
  `workspaces_sync_queue()` fans a scheduled sync out to every connected workspace, one task each.
"""

import logging
import math
import os
import socket
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from ..connections import workspace_accesses_from_members, workspace_client, workspace_connection
from ..models import Connection, OwedSync, SyncRun, SyncState, Workspace
from ..webwork import errors
from .base import SyncContext
from .owed import PartsFailed, owed_dates, owed_prune
from .owed import record as owed_record
from .plan import (
    LIST_SIZES,
    SYNC_KINDS,
    Plan,
    history_days,
    plan_build,
    sync_list_sizes,
    sync_progress,
    workspace_today,
)

logger = logging.getLogger(__name__)

WORKSPACE_SYNC_TASK = "integrations.tasks.workspace_sync_task"
RESUME = "resume"  # the task kind that continues a plan stopped by its time budget

DONE = "done"
PARTIAL = "partial"  # the time budget ran out; the rest is queued
STOPPED = "stopped"  # a 401 refresh could not fix, or no client
ALREADY_RUNNING = "already running"
LOST_LOCK = "lost lock"  # another run took the lock over (ours had gone stale)

LOCK_LEASE_MIN = 120  # seconds


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


# --- the lock -------------------------------------------------------------------------


def _lock_token():
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lock_acquire(workspace, seconds=LOCK_LEASE_MIN):
    """Take the workspace's sync lock for `seconds` with one conditional UPDATE; None when it is held."""
    SyncState.objects.get_or_create(workspace=workspace)
    now = timezone.now()
    token = _lock_token()
    taken = (
        SyncState.objects.filter(workspace=workspace)
        .filter(_lock_free(now))
        .update(locked_by=token, locked_until=now + timedelta(seconds=seconds))
    )
    return token if taken else None


def _lock_free(now):
    """The SyncStates whose lock nobody holds at `now` (never taken, released, or its lease ran out)."""
    return Q(locked_by="") | Q(locked_until__isnull=True) | Q(locked_until__lte=now)


def lock_renew(workspace, token, seconds):
    """Extend our lease; False when the lock is no longer ours."""
    until = timezone.now() + timedelta(seconds=seconds)
    return bool(SyncState.objects.filter(workspace=workspace, locked_by=token).update(locked_until=until))


def lock_release(workspace, token):
    SyncState.objects.filter(workspace=workspace, locked_by=token).update(locked_by="", locked_until=None)


@contextmanager
def workspace_lock(workspace, seconds=LOCK_LEASE_MIN):
    """`with workspace_lock(ws) as token:` token is None when another sync holds the lock."""
    token = lock_acquire(workspace, seconds)
    try:
        yield token
    finally:
        if token:
            lock_release(workspace, token)


def sync_is_running(workspace):
    return SyncState.objects.filter(
        workspace=workspace, locked_until__gt=timezone.now(), locked_by__gt=""
    ).exists()


def _lease_for(planned):
    per_minute = max(1, int(settings.WEBWORK_RATE_LIMIT_PER_MINUTE))
    return max(LOCK_LEASE_MIN, math.ceil(planned / per_minute * 60 * 2) + 60)


# --- running a plan --------------------------------------------------------------------


def workspace_sync(
    workspace,
    *,
    kind="incremental",
    resource="",
    progress=None,
    time_budget=None,
):
    """Sync `workspace` now, in this process. Returns a SyncResult.

    kind: incremental | queues | recent | full (see plan.SYNC_KINDS), or "resume" to finish a
    plan a time budget stopped. resource: only that resource's steps. progress(plan, step,
    event) hears "start" and "end" of every step. time_budget: seconds after which no new step
    starts (the rest is left in the plan, status "partial").
    """
    if kind != RESUME and kind not in SYNC_KINDS:
        raise ValueError(f"Unknown sync kind {kind!r}; one of {', '.join(SYNC_KINDS)}.")
    started = time.monotonic()
    token = lock_acquire(workspace)
    if token is None:
        return SyncResult(workspace, ALREADY_RUNNING)
    result = SyncResult(workspace, DONE)
    client = None
    try:
        state = SyncState.objects.get(workspace=workspace)
        if kind == RESUME:
            plan = Plan.from_json(state.plan) if state.plan.get("steps") else None
            if plan is None or not plan.pending():
                return result
        else:
            today = workspace_today(workspace)
            owed_prune(workspace, today - timedelta(history_days()))
            plan = plan_build(
                workspace, kind, resource=resource, today=today, first=state.first_sync_ran_at is None
            )
        result.plan = plan
        SyncState.objects.filter(pk=state.pk, locked_by=token).update(
            started_at=timezone.now(), finished_at=None, last_error=""
        )
        _save(state, token, plan, "running", kind)
        try:
            client = workspace_client(workspace)
        except Exception as exc:
            logger.exception("No WebWork client for %s", workspace)
            result.status = STOPPED
            result.errors.append(f"No WebWork client: {exc}")
            _save(state, token, plan, STOPPED, kind, last_error=result.errors[-1])
            return result
        _run_steps(workspace, state, token, plan, client, result, progress, time_budget, started, kind)
        if not plan.pending() and plan.scope == "full" and result.status == DONE:
            SyncState.objects.filter(pk=state.pk, first_sync_ran_at__isnull=True).update(
                first_sync_ran_at=timezone.now()
            )
        sync_marks_update(workspace)
        return result
    finally:
        if client is not None:
            client.close()
            result.requests_sent = client.requests_made
            result.rate_limited = client.rate_limited
            result.waited_seconds = client.waited_seconds
        SyncState.objects.filter(workspace=workspace, locked_by=token).update(finished_at=timezone.now())
        lock_release(workspace, token)
        result.seconds = time.monotonic() - started


def _run_steps(workspace, state, token, plan, client, result, progress, time_budget, started, kind):
    ran = 0
    while True:
        plan.refine(workspace)
        step = plan.next_step()
        if step is None:
            break
        step_seconds = step.planned / max(1, settings.WEBWORK_RATE_LIMIT_PER_MINUTE) * 60
        if time_budget is not None and ran and time.monotonic() - started + step_seconds > time_budget:
            result.status = PARTIAL
            break
        if not lock_renew(workspace, token, _lease_for(step.planned)):
            result.status = LOST_LOCK
            return
        step.status = "running"
        _save(state, token, plan, "running", kind)
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
            _history_reached(state, step.dates()[0])
        _save(state, token, plan, "running", kind, last_error=step.error or None)
        if progress:
            progress(plan, step, "end")
        if auth_failure:
            _connection_needs_sign_in(workspace, auth_failure)
            result.status = STOPPED
            break
    _save(state, token, plan, result.status, kind, last_error="\n".join(result.errors) or None)


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


def _save(state, token, plan, status, kind, last_error=None):
    data = plan.to_json()
    data.update(status=status, kind=kind)
    values = {"plan": data, "requests_planned": plan.requests_planned, "requests_done": plan.requests_done}
    if last_error is not None:
        values["last_error"] = last_error
    SyncState.objects.filter(pk=state.pk, locked_by=token).update(**values)


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


# --- queueing syncs (the tasks, the pages, connecting a workspace) -----------------------


def task_time_budget():
    """Seconds a sync task may spend before handing the rest to a new task (below django-q2's timeout)."""
    timeout = (getattr(settings, "Q_CLUSTER", {}) or {}).get("timeout") or 600
    return timeout * 0.8


def workspace_sync_for_task(workspace_id, kind):
    """What a sync task does: sync one workspace within the task's time budget, queue the rest."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None or workspace.disconnected_at is not None:
        return f"Workspace {workspace_id} is not connected; nothing synced."
    result = workspace_sync(workspace, kind=kind, time_budget=task_time_budget())
    if result.status == PARTIAL:
        _queue(workspace, RESUME)
    return result.summary()


def _queue(workspace, kind):
    return async_task(
        WORKSPACE_SYNC_TASK,
        workspace.pk,
        kind,
        task_name=f"sync {kind} of workspace {workspace.pk}",
        group=f"workspace-sync-{workspace.pk}",
    )


def connected_workspaces():
    """Workspaces a manager connected and nobody disconnected (the client picks a working sign-in)."""
    return Workspace.objects.filter(connected_at__isnull=False, disconnected_at__isnull=True).order_by("pk")


def workspaces_sync_queue(kind):
    """Queue one `kind` sync task per connected workspace not syncing now (the schedules' fan-out).
    Returns how many were queued."""
    queued = 0
    for workspace in connected_workspaces().select_related("sync_state"):
        state = getattr(workspace, "sync_state", None)
        if state is not None and (sync_progress(workspace, state).running or state.waiting()):
            continue  # the sync running or about to run covers it; this one would only exit at once
        _queue(workspace, kind)
        queued += 1
    return queued


def _mark_queued(workspace, kind):
    """Show the plan of a queued sync on the pages until a worker starts it (unless a sync is running)."""
    state, _created = SyncState.objects.get_or_create(workspace=workspace)
    plan = plan_build(workspace, kind, first=state.first_sync_ran_at is None)
    data = plan.to_json()
    now = timezone.now()
    data.update(status="queued", kind=kind, queued_at=now.isoformat())
    SyncState.objects.filter(pk=state.pk).filter(_lock_free(now)).update(
        plan=data, requests_planned=plan.requests_planned, requests_done=0, last_error=""
    )


def incremental_sync_queue(workspace):
    """Show the queued sync on the pages now; queue its task once the current transaction commits."""
    _mark_queued(workspace, "incremental")
    transaction.on_commit(lambda: _queue(workspace, "incremental"))


def workspace_first_sync_queue(workspace):
    """Start the first sync of a just connected workspace once the connecting transaction commits."""
    incremental_sync_queue(workspace)
