"""Storing deliveries as they arrive, and applying them to the mirror in a task.

Processing is idempotent:

* a delivery already processed is left as it is (replaying it changes nothing);
* a delivery whose event id was already applied for its workspace (WebWork sent the event
  twice) is ignored; a unique constraint on processed (workspace, event id) makes sure of it
  even when two workers take the two copies at once;
* an event older than the row it would change is ignored (see handlers.py).

A failure keeps its error and traceback on the delivery (status "failed"); replaying it from the
admin queues it again.
"""

import logging
import traceback
from datetime import timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from config.logs import log_context

from ..connections import workspace_client
from ..models import WebhookDelivery
from ..webwork.payloads import integer, moment, text
from .handlers import HANDLERS, Event, Outcome, ignore
from .verification import without_token

logger = logging.getLogger(__name__)

PROCESS_TASK = "integrations.webhooks.tasks.process_webhook_delivery_task"
# A delivery still "received" this long after it arrived lost its task (a broker hiccup): queue it again.
STALE_AFTER = timedelta(minutes=10)
NOTE_LENGTH = WebhookDelivery._meta.get_field("note").max_length

Status = WebhookDelivery.Status


# --- Intake ----------------------------------------------------------------------------


@transaction.atomic
def webhook_delivery_receive(*, workspace, payload: dict) -> WebhookDelivery:
    """Store what WebWork posted (without its token) and queue its processing once stored."""
    body = without_token(payload)
    delivery = WebhookDelivery.objects.create(
        workspace=workspace,
        event_id=text(body.get("id"))[:64],
        event=text(body.get("event"))[:64],
        body=body,
        event_at=moment(body.get("timestamp")),
    )
    transaction.on_commit(partial(_queue, delivery.pk), robust=True)
    return delivery


def _queue(delivery_id):
    from django_q.tasks import async_task

    return async_task(
        PROCESS_TASK, delivery_id, task_name=f"webhook delivery {delivery_id}", group="webhook-deliveries"
    )


def webhook_deliveries_replay(*, deliveries) -> int:
    """Queue the processing of `deliveries` (a queryset) again, after the current transaction.
    Returns how many."""
    ids = list(deliveries.order_by("pk").values_list("pk", flat=True))
    for delivery_id in ids:
        transaction.on_commit(partial(_queue, delivery_id))
    return len(ids)


def webhook_deliveries_requeue_stale(*, older_than=STALE_AFTER) -> int:
    """Queue again the deliveries whose task never ran (still "received" after `older_than`)."""
    stale = WebhookDelivery.objects.filter(
        status=Status.RECEIVED, received_at__lt=timezone.now() - older_than
    )
    return webhook_deliveries_replay(deliveries=stale)


# --- Processing ------------------------------------------------------------------------


class _WorkspaceClient:
    """The workspace's WebWorkClient, made on first use (tracker events need none)."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.client = None

    def __call__(self):
        if self.client is None:
            self.client = workspace_client(self.workspace)
        return self.client

    def close(self):
        if self.client is not None:
            self.client.close()


def process_delivery(delivery):
    """Apply one delivery (or delivery id) to the mirror. Returns its status afterwards (None if gone).
    The workspace's client (`workspace_client`) is made only when the event needs WebWork."""
    delivery_id = getattr(delivery, "pk", delivery)
    delivery = WebhookDelivery.objects.select_related("workspace").filter(pk=delivery_id).first()
    if delivery is None:
        return None
    if delivery.status == Status.PROCESSED:
        return delivery.status
    with log_context(workspace=delivery.workspace):  # every line it logs names the workspace
        return _process(delivery)


def _process(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    lazy_client = _WorkspaceClient(delivery.workspace)
    try:
        outcome = _decide(delivery, lazy_client)
        if outcome.ignored:
            return _finish(delivery, Status.IGNORED, note=outcome.note)
        return _apply(delivery, outcome)
    except Exception as exc:
        logger.exception("Webhook delivery %s (%s) failed", delivery.pk, delivery.event or "no event")
        return _finish(
            delivery, Status.FAILED, error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc()
        )
    finally:
        lazy_client.close()


def _processed_copy(delivery):
    if not delivery.event_id:
        return None
    return (
        WebhookDelivery.objects.filter(
            workspace_id=delivery.workspace_id, event_id=delivery.event_id, status=Status.PROCESSED
        )
        .exclude(pk=delivery.pk)
        .values_list("pk", flat=True)
        .first()
    )


def _duplicate_note(copy_id):
    return f"Duplicate: this event was already applied by delivery #{copy_id}."


def _decide(delivery, lazy_client) -> Outcome:
    copy_id = _processed_copy(delivery)
    if copy_id is not None:
        return ignore(_duplicate_note(copy_id))
    handler = HANDLERS.get(delivery.event)
    if handler is None:
        return ignore(f"Clockroom does not handle the event {delivery.event or '(none)'!r}.")
    body = delivery.body if isinstance(delivery.body, dict) else {}
    workspace = delivery.workspace
    sent_for = integer(body.get("workspace_id"))
    if sent_for is not None and sent_for != workspace.webwork_id:
        return ignore(f"The event is about WebWork workspace {sent_for}, not {workspace.webwork_id}.")
    data = body.get("data")
    if not isinstance(data, dict):
        return ignore("The event has no `data` object.")
    return handler(
        Event(workspace=workspace, name=delivery.event, data=data, at=delivery.event_at, client=lazy_client)
    )


def _apply(delivery, outcome: Outcome):
    try:
        with transaction.atomic():
            note = outcome.apply() if outcome.apply is not None else None
            return _finish(
                delivery, Status.PROCESSED, note=note if isinstance(note, str) and note else outcome.note
            )
    except IntegrityError:
        copy_id = _processed_copy(delivery)
        if copy_id is None:
            raise
        # Another worker applied a copy of this event meanwhile; our change was rolled back.
        return _finish(delivery, Status.IGNORED, note=_duplicate_note(copy_id))


def _finish(delivery, status, *, note="", error="", traceback=""):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        note=note[:NOTE_LENGTH],
        error=error,
        traceback=traceback,
        processed_at=timezone.now() if status != Status.FAILED else None,
    )
    return status
