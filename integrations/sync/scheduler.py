"""Fair scheduling of many workspaces' syncs on a few workers and per-user request budgets.

Two lanes share django-q2's one queue.

* **The front** (`front_queue`, every minute): one short "queues" task per workspace (the
  approval queues, who is working now and recent expenses; FRONT_SECONDS at most), the least
  recently refreshed workspaces first, never a second one while one waits. A workspace whose sync
  is running is left out: a background sync refreshes the front between its steps whenever it is
  due (orchestrator.FRONT_EVERY). The workspaces one WebWork user syncs take at most what that
  user's budget allows in the cycle (less the background share while a background sync of that
  user runs); those left out are the least recently refreshed next time, so they come first.
* **The back lane**: everything longer (the 15-minute recent window, the hourly refresh, the
  nightly reconcile, a first sync, "sync now", and the rest of any plan a time budget stopped).
  It waits in the database as a plan marked queued (or partial), never as a pile of tasks, and
  `backlog_admit` hands out turns: at most `sync_slots()` back-lane tasks queued or running at
  once, at most one per WebWork user, each a slice of at most SLICE_SECONDS whose steps after the
  front spend at most orchestrator.BACKGROUND_SHARE of each window of the user's budget. Turns go
  first to what a manager asked for (a first sync, "sync now"), then to scheduled cycles, then to
  the history backfill, by how long each has waited, a later class counting as having waited
  SCHEDULED_DEFER or HISTORY_DEFER less, so nothing waits for ever. A slice that stops partial
  goes to the back of the line. `backlog_admit` runs after each back-lane task, on every tick and
  after "sync now".

So one huge workspace's backfill holds at most one slot and half its user's budget, while every
workspace's front keeps its 1-minute cycle and the other workers take the others' turns.

Only workspaces that can sync are scheduled: connected ones whose sync connection works, or with
another manager's working sign-in to fall back on (as connections.workspace_connection picks). A
connection WebWork refused is marked as needing sign-in (connections.py, orchestrator.py) and its
workspaces drop out; signing in again makes it active, and the next tick takes them back.
"""

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.fields.json import KT, KeyTextTransform
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_q.tasks import async_task

from config.logs import log_context

from ..models import Connection, SyncState, Workspace, WorkspaceAccess
from ..models.sync import QUEUED_GRACE
from .locks import lock_free
from .orchestrator import (
    ALREADY_RUNNING,
    BACKGROUND_SHARE,
    FRONT_EVERY,
    PARTIAL,
    RESUME,
    WAITING,
    task_time_budget,
    workspace_sync,
)
from .plan import plan_build

logger = logging.getLogger(__name__)

WORKSPACE_SYNC_TASK = "integrations.tasks.workspace_sync_task"

FRONT_SECONDS = 60  # a front task's time budget
SLICE_SECONDS = 180  # a back-lane task's time budget (its slice)
FRONT_COST_GUESS = 5  # requests of a front refresh never measured: 3 queues, who is working now, expenses

# Turns: what a manager asked for first, then scheduled cycles, then the history backfill.
ASKED, SCHEDULED = 0, 1
SCHEDULED_DEFER = timedelta(minutes=5)
HISTORY_DEFER = timedelta(minutes=15)
# How often the scheduler notes that it still sees a waiting plan (`seen_at`, see SyncState.waiting).
SEEN_EVERY = timedelta(minutes=3)

# What the scheduler reads of a plan (JSON keys of SyncState.plan), without loading its steps.
PLAN_MARKS = ("status", "kind", "priority", "queued_at", "admitted_at")

# A queued back-lane sync of a larger scope takes the place of a smaller one still waiting.
SCOPE_RANK = {"recent": 1, "incremental": 2, "full": 3}


# --- who is scheduled ----------------------------------------------------------------


def connected_workspaces():
    """Workspaces a manager connected and nobody disconnected (the client picks a working sign-in)."""
    return Workspace.objects.filter(connected_at__isnull=False, disconnected_at__isnull=True).order_by("pk")


def schedulable_workspaces():
    """Connected workspaces with a working sign-in to sync with: their sync connection is active, or
    another manager's is (a connection needing sign-in takes its workspaces off the schedules)."""
    working = WorkspaceAccess.objects.filter(
        workspace=OuterRef("pk"), can_manage=True, connection__status=Connection.Status.ACTIVE
    )
    return connected_workspaces().filter(
        Q(sync_connection__status=Connection.Status.ACTIVE) | Exists(working)
    )


def sync_users(workspace_ids):
    """{workspace id: the WebWork user whose budget its syncs spend}, as workspace_connection picks
    the connection (its active sync connection, else the most recently refreshed active manager's),
    for workspaces that have one. Two queries."""
    users = dict(
        Workspace.objects.filter(
            pk__in=workspace_ids, sync_connection__status=Connection.Status.ACTIVE
        ).values_list("pk", "sync_connection__webwork_user_id")
    )
    fallbacks = (
        WorkspaceAccess.objects.filter(
            workspace_id__in=[pk for pk in workspace_ids if pk not in users],
            can_manage=True,
            connection__status=Connection.Status.ACTIVE,
        )
        .order_by("workspace_id", F("connection__refreshed_at").desc(nulls_last=True), "connection_id")
        .values_list("workspace_id", "connection__webwork_user_id")
    )
    for workspace_id, user_id in fallbacks:
        users.setdefault(workspace_id, user_id)
    return users


def sync_slots():
    """How many back-lane tasks may be queued or running at once: WEBWORK_SYNC_SLOTS, else one less
    than a cluster's workers (at least one), so a worker is always left for the front, webhooks and
    a manager's bulk decisions."""
    configured = getattr(settings, "WEBWORK_SYNC_SLOTS", None)
    if configured:
        return max(1, int(configured))
    workers = (getattr(settings, "Q_CLUSTER", {}) or {}).get("workers") or 2
    return max(1, int(workers) - 1)


def _state(workspace):
    try:
        return workspace.sync_state
    except SyncState.DoesNotExist:
        return None


def _running(state, now):
    return bool(state.locked_by) and state.locked_until is not None and state.locked_until > now


# --- the front ----------------------------------------------------------------------


def front_budget(*, busy):
    """Requests one WebWork user's front refreshes may take in one cycle: the user's budget over
    FRONT_EVERY, less the background share while a background sync of that user runs (`busy`)."""
    period = float(settings.WEBWORK_RATE_LIMIT_PERIOD_SECONDS) + 1.0  # the limiter's margin
    per_cycle = settings.WEBWORK_RATE_LIMIT_PER_MINUTE * FRONT_EVERY.total_seconds() / period
    return per_cycle * ((1 - BACKGROUND_SHARE) if busy else 1)


def front_queue(now=None):
    """Queue the front refresh ("queues" task) of every schedulable workspace, least recently
    refreshed first, within each user's budget for the cycle. Returns how many were queued."""
    now = now or timezone.now()
    workspaces = list(
        schedulable_workspaces()
        .select_related("sync_state")
        .defer("sync_state__plan")  # plans are large; the front needs none of them
        .order_by(F("sync_state__queues_synced_at").asc(nulls_first=True), "pk")
    )
    users = sync_users([workspace.pk for workspace in workspaces])
    busy = {users.get(pk) for pk in _back_lane(now)[0]}
    spent = Counter()
    chosen = []
    for workspace in workspaces:
        state = _state(workspace)
        if state is not None and (_running(state, now) or _front_waits(state, now)):
            continue  # a running sync refreshes the front itself; a waiting task will
        user = users.get(workspace.pk)
        cost = (state.queues_requests if state is not None else 0) or FRONT_COST_GUESS
        if spent[user] and spent[user] + cost > front_budget(busy=user in busy):
            continue  # this user's cycle is spent: first in line next time
        spent[user] += cost
        chosen.append(workspace)
    _front_mark_queued(chosen, now)
    for workspace in chosen:
        _queue(workspace, "queues")
    return len(chosen)


def _front_waits(state, now):
    queued = state.queues_queued_at
    if queued is None or now - queued >= QUEUED_GRACE:
        return False
    return state.queues_synced_at is None or queued > state.queues_synced_at


def _front_mark_queued(workspaces, now):
    missing = {w.pk for w in workspaces} - set(
        SyncState.objects.filter(workspace__in=workspaces).values_list("workspace_id", flat=True)
    )
    SyncState.objects.bulk_create([SyncState(workspace_id=pk) for pk in missing], ignore_conflicts=True)
    SyncState.objects.filter(workspace__in=workspaces).update(queues_queued_at=now)


def front_queue_now(workspace):
    """Refresh `workspace`'s front at once (a workspace just connected: its queues first)."""
    _front_mark_queued([workspace], timezone.now())
    _queue(workspace, "queues")


# --- the back lane ------------------------------------------------------------------


def backlog_queue(kind, now=None):
    """Mark a `kind` sync (recent | incremental | full) queued for every schedulable workspace that
    has none waiting (a larger one waiting covers it; the rest of a stopped plan goes first) and is
    not syncing now, then hand out the free turns. Returns how many were marked."""
    now = now or timezone.now()
    marked = 0
    workspaces = (
        schedulable_workspaces()
        .select_related("sync_state")
        .defer("sync_state__plan")  # plans are large: only their marks are read
        .annotate(**{f"plan_{key}": KeyTextTransform(key, "sync_state__plan") for key in PLAN_MARKS})
    )
    for workspace in workspaces:
        state = _state(workspace)
        stored = {key: getattr(workspace, f"plan_{key}") for key in PLAN_MARKS}
        status = stored["status"]
        if state is not None and _running(state, now):
            continue  # the running sync covers it, as far as it goes
        if status == "partial":
            continue
        if status == "queued":
            if SCOPE_RANK.get(stored["kind"], 0) >= SCOPE_RANK[kind] or _handed_out(stored, now):
                continue  # as much or more waits already, or a worker is about to start it
            priority = min(_int(stored["priority"], SCHEDULED), SCHEDULED)
            sync_mark_queued(workspace, kind, priority=priority, queued_at=stored["queued_at"])
        else:
            sync_mark_queued(workspace, kind, priority=SCHEDULED)
        marked += 1
    backlog_admit(now)
    return marked


def sync_mark_queued(workspace, kind, *, priority, queued_at=None):
    """Show the plan of a queued sync on the pages until a worker starts it (unless a sync is
    running): the plan, marked queued, with its turn's class (`priority`) and since when."""
    state, _created = SyncState.objects.get_or_create(workspace=workspace)
    plan = plan_build(workspace, kind, first=state.first_sync_ran_at is None)
    data = plan.to_json()
    now = timezone.now()
    data.update(status="queued", kind=kind, queued_at=queued_at or now.isoformat(), priority=priority)
    SyncState.objects.filter(pk=state.pk).filter(lock_free(now)).update(
        plan=data, requests_planned=plan.requests_planned, requests_done=0, last_error=""
    )


def _handed_out(plan, now):
    admitted = _moment(plan.get("admitted_at"))
    return admitted is not None and now - admitted < QUEUED_GRACE


def _back_lane(now):
    """(workspace ids of back-lane work queued or running now, [waiting plans' rows])."""
    rows = list(
        SyncState.objects.filter(plan__status__in=[*WAITING, "running"]).values(
            "pk",
            "workspace_id",
            "locked_by",
            "locked_until",
            "finished_at",
            status=KT("plan__status"),
            scope=KT("plan__scope"),
            kind=KT("plan__kind"),
            priority=KT("plan__priority"),
            next_kind=KT("plan__next_kind"),
            queued_at=KT("plan__queued_at"),
            admitted_at=KT("plan__admitted_at"),
            seen_at=KT("plan__seen_at"),
        )
    )
    in_flight, waiting = [], []
    for row in rows:
        held = bool(row["locked_by"]) and row["locked_until"] is not None and row["locked_until"] > now
        admitted = _moment(row["admitted_at"])
        if row["status"] == "running":
            if held and row["scope"] != "queues":
                in_flight.append(row["workspace_id"])
        elif admitted is not None and now - admitted < QUEUED_GRACE:
            in_flight.append(row["workspace_id"])  # handed to a worker that has not started it yet
        elif not held:  # (a front refresh may run beside it: its turn comes after)
            waiting.append(row)
    return in_flight, waiting


def _turn_key(row):
    since = _moment(row["finished_at"] if row["status"] == "partial" else row["queued_at"])
    since = since or _moment(row["queued_at"]) or timezone.now()
    if row["next_kind"] == "history":
        return since + HISTORY_DEFER
    if _int(row["priority"], SCHEDULED) == ASKED:
        return since
    return since + SCHEDULED_DEFER


def backlog_admit(now=None):
    """Hand the free back-lane turns to the waiting plans: at most `sync_slots()` back-lane tasks
    queued or running in all, one per WebWork user, in turn order. Returns how many were queued."""
    now = now or timezone.now()
    in_flight, waiting = _back_lane(now)
    if not waiting:
        return 0
    schedulable = set(
        schedulable_workspaces()
        .filter(pk__in=[row["workspace_id"] for row in waiting])
        .values_list("pk", flat=True)
    )
    # What a manager asked for gets its turn even without a working sign-in: it stops at once and
    # the page says why. Scheduled syncs wait for a sign-in.
    waiting = [
        row
        for row in waiting
        if row["workspace_id"] in schedulable or _int(row["priority"], SCHEDULED) == ASKED
    ]
    users = sync_users([row["workspace_id"] for row in waiting] + in_flight)
    busy = {users.get(pk) for pk in in_flight} - {None}
    free = sync_slots() - len(in_flight)
    admitted = 0
    for row in sorted(waiting, key=_turn_key):
        user = users.get(row["workspace_id"])
        if free > 0 and (user is None or user not in busy) and _plan_note(row, admitted_at=now.isoformat()):
            if user is not None:
                busy.add(user)
            free -= 1
            admitted += 1
            kind = RESUME if row["status"] == PARTIAL else row["kind"]
            _queue(Workspace(pk=row["workspace_id"]), kind)
        elif _moment(row["seen_at"]) is None or now - _moment(row["seen_at"]) >= SEEN_EVERY:
            _plan_note(row, seen_at=now.isoformat())  # still waiting for its turn, not lost
    return admitted


def _plan_note(row, **keys):
    """Add `keys` to a waiting plan, unless a worker took it meanwhile (its status, its finish or
    its lock changed). True when noted."""
    with transaction.atomic():
        state = SyncState.objects.select_for_update().filter(pk=row["pk"]).first()
        if state is None or (state.plan or {}).get("status") != row["status"]:
            return False
        if state.finished_at != row["finished_at"] or _running(state, timezone.now()):
            return False
        state.plan = {**state.plan, **keys}
        state.save(update_fields=["plan"])
    return True


def _moment(value):
    if not value:
        return None
    if not isinstance(value, str):
        return value
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# --- queueing and the task ------------------------------------------------------------


def _queue(workspace, kind):
    return async_task(
        WORKSPACE_SYNC_TASK,
        workspace.pk,
        kind,
        task_name=f"sync {kind} of workspace {workspace.pk}",
        group=f"workspace-sync-{workspace.pk}",
    )


def workspaces_sync_queue(kind):
    """What the schedules run: the front of every workspace ("queues"), or a back-lane `kind` sync
    of every workspace (recent | incremental | full). Returns how many were queued or marked."""
    if kind == "queues":
        queued = front_queue()
        backlog_admit()  # a turn a lost task or a dead worker left free
        return queued
    return backlog_queue(kind)


def workspace_sync_for_task(workspace_id, kind):
    """What a sync task does: one slice of a workspace's sync within its lane's time budget (the
    rest waits in the plan), then the free back-lane turns handed out."""
    front = kind == "queues"
    try:
        workspace = Workspace.objects.filter(pk=workspace_id).first()
        if workspace is None or workspace.disconnected_at is not None:
            return f"Workspace {workspace_id} is not connected; nothing synced."
        budget = min(task_time_budget(), FRONT_SECONDS if front else SLICE_SECONDS)
        with log_context(workspace=workspace):  # every line the sync logs names the workspace
            result = workspace_sync(workspace, kind=kind, time_budget=budget, background=True)
    finally:
        if front:  # this front task is no longer waiting, whatever became of it
            SyncState.objects.filter(workspace_id=workspace_id).update(queues_queued_at=None)
    if not front and result.status == ALREADY_RUNNING:
        turn_give_back(workspace_id)
    # Every task's end may free a turn: a back-lane task's slot, or a front refresh's hold on a
    # workspace whose turn came while it ran (that turn was given back above).
    backlog_admit()
    return result.summary()


def turn_give_back(workspace_id):
    """A back-lane task that found its workspace held by another sync (a front refresh, a manager's
    run) gives its turn back: its plan waits again and is handed out when the workspace is free,
    instead of counting as in flight until its grace runs out."""
    with transaction.atomic():
        state = SyncState.objects.select_for_update().filter(workspace_id=workspace_id).first()
        plan = state.plan if state is not None else None
        if plan and plan.get("status") in WAITING and plan.get("admitted_at"):
            state.plan = {key: value for key, value in plan.items() if key != "admitted_at"}
            state.save(update_fields=["plan"])


def incremental_sync_queue(workspace):
    """ "Sync now": show the queued sync on the pages now; its turn comes once the current
    transaction commits (at once when a slot is free), before any scheduled one."""
    sync_mark_queued(workspace, "incremental", priority=ASKED)
    transaction.on_commit(backlog_admit)


def workspace_first_sync_queue(workspace):
    """After connecting a workspace: its front at once, then its first sync (a full one) at its
    turn, both once the connecting transaction commits."""
    sync_mark_queued(workspace, "incremental", priority=ASKED)

    def start():
        front_queue_now(workspace)
        backlog_admit()

    transaction.on_commit(start)
