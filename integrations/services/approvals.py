"""Bulk decisions: approve or reject many timesheets, time requests or leaves, in a queued task.

WebWork allows 60 requests a minute and each decision costs two or three (the decision, then the
object read again), so deciding a hundred items takes minutes: longer than a page may wait. The
manager's request (`bulk_decision_start`) stores a `BulkDecision` with one `BulkDecisionItem` per
item and queues `bulk_decision_run_task`; the task (`bulk_decision_run`) decides the pending items
one at a time through the single-item services (their own request, mirror update and audit
event, one client for all) and stores each item's result as soon as it has it, so a page polling
the bulk sees the results land one by one.

An item is never applied twice. Before its request it is claimed with a conditional UPDATE
(pending and unclaimed -> `claimed_at`); a task that finds an item claimed but without a result
(the task that claimed it stopped mid-way) may have sent its request already, so it asks WebWork
again only while the mirror row is still waiting for the decision, and counts WebWork's refusal
because the object already is in the decision's outcome status as done. A task that runs out of
its time budget queues a new one for the rest.

When WebWork keeps limiting requests (a 429 that outlived the client's own waits), nothing was
changed: the item stays pending, with a note saying when Clockroom asks again, and the bulk's
task is scheduled again after BUSY_RETRY (WebWork's Retry-After when longer). After BUSY_GIVE_UP
from the bulk's start, an item still limited is refused with WebWork's words instead.
"""

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from ..models import BulkDecision, BulkDecisionItem, LeaveRequest, TimeRequest, Timesheet
from ..sync.orchestrator import task_time_budget
from . import leaves, time_requests, timesheets
from .base import Decisions, ServiceError, required_text, service_client

logger = logging.getLogger(__name__)

BULK_DECISION_TASK = "integrations.tasks.bulk_decision_run_task"
MAX_ITEMS = 500
BUSY_RETRY = timedelta(minutes=1)  # how long a bulk WebWork is limiting waits before asking again
BUSY_GIVE_UP = timedelta(hours=1)  # from the bulk's start: after this, a limited item is refused
REASON_REQUIRED = "Give a reason for the rejection; the member will see it."

Item = BulkDecisionItem.Status


@dataclass(frozen=True)
class Kind:
    """How the items of one kind are decided: their model, their decisions (statuses), the
    single-item services, and how the items are named to a manager."""

    model: type
    decisions: Decisions
    approve: Callable  # (workspace, actor, row) -> row
    reject: Callable  # (workspace, actor, row, reason) -> row
    plural: str

    @property
    def what(self):
        return self.decisions.what


KINDS = {
    BulkDecision.Kind.TIMESHEET: Kind(
        model=Timesheet,
        decisions=timesheets.DECISIONS,
        approve=lambda workspace, actor, row: timesheets.timesheet_approve(
            workspace=workspace, actor=actor, timesheet=row
        ),
        reject=lambda workspace, actor, row, reason: timesheets.timesheet_reject(
            workspace=workspace, actor=actor, timesheet=row, reason=reason
        ),
        plural="timesheets",
    ),
    BulkDecision.Kind.TIME_REQUEST: Kind(
        model=TimeRequest,
        decisions=time_requests.DECISIONS,
        approve=lambda workspace, actor, row: time_requests.time_request_approve(
            workspace=workspace, actor=actor, time_request=row
        ),
        reject=lambda workspace, actor, row, reason: time_requests.time_request_reject(
            workspace=workspace, actor=actor, time_request=row, comment=reason
        ),
        plural="time requests",
    ),
    BulkDecision.Kind.LEAVE: Kind(
        model=LeaveRequest,
        decisions=leaves.DECISIONS,
        approve=lambda workspace, actor, row: leaves.leave_approve(
            workspace=workspace, actor=actor, leave=row
        ),
        reject=lambda workspace, actor, row, reason: leaves.leave_reject(
            workspace=workspace, actor=actor, leave=row, reason=reason
        ),
        plural="leave requests",
    ),
}


# --- Starting --------------------------------------------------------------------------------


@transaction.atomic
def bulk_decision_start(*, workspace, actor, kind, verb, items, reason="") -> BulkDecision:
    """Queue the decision `verb` ("approve" or "reject", which needs a reason) on `items` (mirror
    rows of `kind`: Timesheet, TimeRequest or LeaveRequest rows of `workspace`, at most 500).

    Nothing is created, and a ServiceError says why, when an input is wrong or any item is not
    the workspace's. The task is queued once the transaction commits. Returns the BulkDecision."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ServiceError("Choose what to decide: timesheets, time requests or leave requests.")
    if verb not in BulkDecision.Verb.values:
        raise ServiceError("Choose whether to approve or to reject.")
    reason = required_text(reason, "reason", REASON_REQUIRED) if verb == BulkDecision.Verb.REJECT else ""
    rows = _distinct(spec, items)
    if not rows:
        raise ServiceError(f"Choose at least one {spec.what}.", kind="not_found")
    if len(rows) > MAX_ITEMS:
        raise ServiceError(
            f"At most {MAX_ITEMS} {spec.plural} can be decided at once; you chose {len(rows)}. "
            "Choose fewer and decide the rest afterwards."
        )
    own = dict(
        spec.model.objects.filter(workspace=workspace, pk__in=[row.pk for row in rows]).values_list(
            "pk", "webwork_id"
        )
    )
    if len(own) != len(rows):
        raise ServiceError(
            f"Some of these {spec.plural} are not part of {workspace.name}; nothing was decided.",
            kind="not_found",
        )
    bulk = BulkDecision.objects.create(
        workspace=workspace,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        verb=verb,
        reason=reason,
    )
    webwork_ids = list(dict.fromkeys(own[row.pk] for row in rows))
    BulkDecisionItem.objects.bulk_create(
        [BulkDecisionItem(bulk=bulk, object_id=webwork_id) for webwork_id in webwork_ids]
    )
    transaction.on_commit(partial(_queue, bulk.pk), robust=True)
    return bulk


def _distinct(spec, items):
    """`items` once each (by key), in the order given; TypeError for a row of another model."""
    rows = {}
    for item in items:
        if not isinstance(item, spec.model):
            raise TypeError(f"Expected {spec.model.__name__} rows, got {type(item).__name__}.")
        if item.pk is None:
            raise ServiceError(
                f"This {spec.what} is not part of Clockroom's copy of WebWork.", kind="not_found"
            )
        rows.setdefault(item.pk, item)
    return list(rows.values())


def _queue(bulk_id):
    return async_task(
        BULK_DECISION_TASK, bulk_id, task_name=f"bulk decision {bulk_id}", group="bulk-decisions"
    )


# --- Running ---------------------------------------------------------------------------------


def bulk_decision_run(*, bulk_id, time_budget=None) -> BulkDecision | None:
    """Decide the items of bulk `bulk_id` still pending, one at a time, storing each result at once.

    Running it again (a retried task) decides only what has no result yet. With `time_budget`
    (seconds), a run that has used it queues a new task for the rest once the item at hand is
    decided. Returns the BulkDecision as it stands, or None when it no longer exists.
    """
    bulk = BulkDecision.objects.select_related("workspace", "actor").filter(pk=bulk_id).first()
    if bulk is None or bulk.status == BulkDecision.Status.DONE:
        return bulk
    began = time.monotonic()
    BulkDecision.objects.filter(pk=bulk.pk, started_at__isnull=True).update(started_at=timezone.now())
    BulkDecision.objects.filter(pk=bulk.pk, status=BulkDecision.Status.QUEUED).update(
        status=BulkDecision.Status.RUNNING
    )
    spec = KINDS[bulk.kind]
    pending = list(bulk.items.filter(status=Item.PENDING).order_by("pk").values_list("pk", flat=True))
    with contextlib.ExitStack() as stack:
        try:
            api = stack.enter_context(service_client(bulk.workspace, bulk.actor))
        except ServiceError as exc:  # no sign-in to act through: nothing can be decided
            _refuse_pending(bulk, exc.message)
            pending = []
        for done, item_pk in enumerate(pending):
            if time_budget is not None and done and time.monotonic() - began >= time_budget:
                _queue(bulk.pk)  # the rest in a new task, with a budget of its own
                return _reread(bulk)
            busy = _decide(bulk, spec, item_pk, api)
            if busy is not None:
                _queue_later(bulk, busy)
                return _reread(bulk)
    if not bulk.items.filter(status=Item.PENDING).exists():
        BulkDecision.objects.filter(pk=bulk.pk).exclude(status=BulkDecision.Status.DONE).update(
            status=BulkDecision.Status.DONE, finished_at=timezone.now()
        )
    return _reread(bulk)


def bulk_decision_run_for_task(bulk_id):
    """What the task does: run the bulk within django-q2's time budget; a sentence for its result."""
    bulk = bulk_decision_run(bulk_id=bulk_id, time_budget=task_time_budget())
    if bulk is None:
        return f"Bulk decision {bulk_id} no longer exists."
    counts = {status: bulk.items.filter(status=status).count() for status in Item.values}
    return (
        f"{bulk.get_verb_display()} {bulk.get_kind_display().lower()}: {counts[Item.DONE]} done, "
        f"{counts[Item.REFUSED]} refused, {counts[Item.PENDING]} waiting."
    )


def _queue_later(bulk, wait):
    """Run the bulk's task again in `wait` (a timedelta), its items still pending saying so."""
    when = timezone.now() + wait
    words = timezone.localtime(when, bulk.workspace.zone).strftime("%H:%M")
    bulk.items.filter(status=Item.PENDING).update(
        message=f"WebWork is limiting how often Clockroom may ask; Clockroom asks again at {words}."
    )
    schedule(
        BULK_DECISION_TASK,
        bulk.pk,
        name=f"bulk decision {bulk.pk} again",
        schedule_type=Schedule.ONCE,
        next_run=when,
    )


def _reread(bulk):
    return BulkDecision.objects.select_related("workspace", "actor").get(pk=bulk.pk)


def _decide(bulk, spec, item_pk, api):
    """Claim one item, decide it through the single-item service, store its result. Returns how
    long to wait when WebWork is limiting requests (the item left pending), else None."""
    item, retried = _claim(item_pk)
    if item is None:
        return
    workspace = bulk.workspace
    step = spec.decisions.steps[bulk.verb]
    row = spec.model.objects.filter(workspace=workspace, webwork_id=item.object_id).first()
    if row is None:
        return _result(
            item,
            Item.REFUSED,
            f"This {spec.what} is no longer in Clockroom's copy of {workspace.name}; "
            "nothing was asked of WebWork.",
        )
    if retried and row.status not in step.waiting_for:
        # The mirror has moved on since the earlier task claimed the item: nothing to ask.
        if row.status == step.outcome:
            return _result(item, Item.DONE)
        return _result(item, Item.REFUSED, step.moved_on.format(status=row.status))
    try:
        if bulk.verb == BulkDecision.Verb.REJECT:
            spec.reject(workspace, bulk.actor, row, bulk.reason)
        else:
            spec.approve(workspace, bulk.actor, row)
    except ServiceError as exc:
        if retried and exc.status is not None and _already_decided(spec, step, api, workspace, row):
            return _result(item, Item.DONE)  # the earlier task's request was applied
        if exc.kind == "busy" and timezone.now() - bulk.created_at < BUSY_GIVE_UP:
            # Nothing was changed: the item stays pending (and claimed, so the next run asks
            # WebWork only while the mirror still waits for the decision).
            return max(BUSY_RETRY, timedelta(seconds=exc.retry_after or 0))
        return _result(item, Item.REFUSED, exc.message)
    return _result(item, Item.DONE)


def _claim(item_pk):
    """(the item, whether an earlier task had claimed it), or (None, False) when it has a result
    or another task took it meanwhile. The claim is a conditional UPDATE, so two tasks never both
    take an item."""
    now = timezone.now()
    fresh = BulkDecisionItem.objects.filter(pk=item_pk, status=Item.PENDING, claimed_at__isnull=True)
    if fresh.update(claimed_at=now):
        return BulkDecisionItem.objects.get(pk=item_pk), False
    item = BulkDecisionItem.objects.filter(pk=item_pk, status=Item.PENDING).first()
    if item is None:
        return None, False
    # Claimed by a task that stopped before storing the result: taken over, once.
    taken = BulkDecisionItem.objects.filter(pk=item_pk, status=Item.PENDING, claimed_at=item.claimed_at)
    if not taken.update(claimed_at=now):
        return None, False
    item.claimed_at = now
    return item, True


def _already_decided(spec, step, api, workspace, row):
    """Whether WebWork has the object in the decision's outcome status now."""
    payload = spec.decisions.read(api, workspace, row)
    return isinstance(payload, dict) and spec.decisions.status(payload) == step.outcome


def _result(item, status, message=""):
    BulkDecisionItem.objects.filter(pk=item.pk, status=Item.PENDING).update(
        status=status, message=message, decided_at=timezone.now()
    )


def _refuse_pending(bulk, message):
    bulk.items.filter(status=Item.PENDING).update(
        status=Item.REFUSED, message=message, decided_at=timezone.now()
    )
