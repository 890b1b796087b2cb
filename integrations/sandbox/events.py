"""Webhook events: their payloads, and one delivery per matching registration.

`event_emit()` is called while the change is still inside its transaction. It builds the
event's data at once (a deleted row is gone afterwards) but creates the deliveries and
queues them only once the sandbox transaction commits, so a rolled-back change sends
nothing. Every registration of the workspace whose `events` list holds the event gets its
own `WebhookDelivery` row; all of them share the event's id.

The API modules (serializers, formats) are imported inside the functions: this module is
loaded with the app's signals, before the URLs and their views.
"""

import logging
import uuid
from functools import partial

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from .models import Webhook, WebhookDelivery
from .models.webhooks import Event

logger = logging.getLogger(__name__)

SANDBOX_DB = "sandbox"
DELIVER_TASK = "integrations.sandbox.tasks.deliver_webhook_task"


# --- Data of each kind of event -------------------------------------------------


def member_data(membership):
    from .api.members import serialize_member

    return serialize_member(membership, sees_rates=True)


def project_data(project):
    from .api.projects import serialize_project

    return serialize_project(project, sees_rates=True)


def tracker_data(tracker, *, stopped_at=None):
    """tracker.started's data (and tracker.stopped's, with `stopped_at`); times in the workspace's zone."""
    from .api.base import iso_local

    user, project = tracker.user, tracker.project
    tz_name = tracker.workspace.timezone or "UTC"
    data = {
        "user_id": user.id,
        "user_name": user.full_name,
        "user_email": user.email,
        "contract_id": tracker.contract_id,
        "project_id": tracker.project_id,
        "project_name": project.name if project is not None else None,
        "task_id": tracker.task_id,
        "activity_description": tracker.activity_description,
        "start_time": iso_local(tracker.started_at, tz_name),
    }
    if stopped_at is not None:
        data["stopped_at"] = iso_local(stopped_at, tz_name)
    return data


# --- Emitting -------------------------------------------------------------------


def subscribers(workspace_id, event):
    """The registrations of the workspace that asked for `event`."""
    hooks = Webhook.objects.using(SANDBOX_DB).filter(workspace_id=workspace_id).only("id", "events", "token")
    return [hook for hook in hooks if event in (hook.events or [])]


def event_emit(event, *, workspace_id, build_data):
    """Send `event` to the workspace's registrations for it once the current transaction commits.

    `build_data()` gives the payload's `data`; it is only called when someone listens.
    """
    if event not in Event.values:
        raise ValueError(f"Unknown webhook event {event!r}.")
    if not subscribers(workspace_id, event):
        return
    try:
        data = build_data()
    except ObjectDoesNotExist:
        # A row the data refers to went away in the same cascade: nothing useful to send.
        logger.warning("Skipped %s for workspace %s: its data is gone.", event, workspace_id)
        return
    except Exception:
        # A webhook is a side effect: it must never break the change that caused it.
        logger.exception("Could not build the %s event for workspace %s.", event, workspace_id)
        return
    transaction.on_commit(
        partial(
            deliveries_create,
            event=event,
            workspace_id=workspace_id,
            data=data,
            event_id=uuid.uuid4(),
            occurred_at=timezone.now(),
        ),
        using=SANDBOX_DB,
        robust=True,
    )


def payload_build(*, event, event_id, workspace_id, webhook, occurred_at, data):
    from .api.base import iso

    return {
        "id": str(event_id),
        "event": event,
        "workspace_id": workspace_id,
        "webhook_id": webhook.id,
        "timestamp": iso(occurred_at),
        "token": webhook.token,
        "data": data,
    }


def deliveries_create(*, event, workspace_id, data, event_id, occurred_at):
    """One delivery per registration listening for `event` (read again now: it may have changed), queued."""
    from django_q.tasks import async_task

    deliveries = [
        WebhookDelivery.objects.create(
            webhook=hook,
            event_id=event_id,
            event=event,
            payload=payload_build(
                event=event,
                event_id=event_id,
                workspace_id=workspace_id,
                webhook=hook,
                occurred_at=occurred_at,
                data=data,
            ),
            created_at=occurred_at,
        )
        for hook in subscribers(workspace_id, event)
    ]
    for delivery in deliveries:
        async_task(DELIVER_TASK, delivery.pk, task_name=f"webhook {event} #{delivery.pk}")
    return deliveries


def delivery_resend(delivery):
    """Queue `delivery`'s event to its registration again, as a new delivery with the same event id."""
    from django_q.tasks import async_task

    again = WebhookDelivery.objects.create(
        webhook_id=delivery.webhook_id,
        event_id=delivery.event_id,
        event=delivery.event,
        payload=delivery.payload,
        resent_from=delivery,
    )
    transaction.on_commit(
        partial(async_task, DELIVER_TASK, again.pk, task_name=f"webhook {again.event} #{again.pk}"),
        using=SANDBOX_DB,
    )
    return again
