"""Sending webhook deliveries: one POST per attempt, retries with backoff, and the webhook faults.

An attempt is one POST of the stored payload with the registration's token in the
`X-Webhook-Token` header (and as `token` in the body). A 2xx answer delivers it. Any other
answer, a timeout or a connection error is logged as a `WebhookAttempt` and retried after
10 s, 30 s, 90 s and 270 s (a one-off django-q2 `Schedule` each, which the cluster's
scheduler picks up on its next round); after the fifth attempt the delivery has failed.

Fault injection (`FaultSettings`): `webhook_drop_rate` marks a delivery dropped before its
first attempt, `webhook_duplicate_rate` sends a delivered event a second time with the same
id, and `webhook_reorder` holds each first attempt back a random 0..5 s so that events
arrive out of order.
"""

import functools
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from time import sleep

import httpx
from django.utils import timezone

from .events import DELIVER_TASK
from .models import FaultSettings, WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (10, 30, 90, 270)
TIMEOUT_SECONDS = 10
MAX_HOLD_SECONDS = 5
USER_AGENT = "WebWork-Sandbox-Webhooks/2.0"
ANSWER_EXCERPT = 300


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self):
        return self.status_code is not None and 200 <= self.status_code < 300


def webhook_deliver(delivery_id):
    """Make the next attempt of a pending delivery. Returns its status afterwards (None if it is gone)."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Status.PENDING:
        return delivery.status if delivery else None
    faults = FaultSettings.current()
    first = delivery.attempts == 0
    if first and _happens(faults.webhook_drop_rate):
        return _finish(delivery, Status.DROPPED, attempts=0)
    number = delivery.attempts + 1
    if not _claim(delivery, number):
        return _status_of(delivery)  # another worker made this attempt
    if first and faults.webhook_reorder:
        sleep(random.uniform(0, MAX_HOLD_SECONDS))
    outcome = _post(delivery)
    _log(delivery, number, outcome)
    if outcome.ok:
        if _happens(faults.webhook_duplicate_rate):
            _log(delivery, number, _post(delivery), is_duplicate=True)
        return _finish(delivery, Status.DELIVERED, attempts=number, delivered_at=timezone.now())
    if number >= MAX_ATTEMPTS:
        return _finish(delivery, Status.FAILED, attempts=number)
    retry_schedule(delivery, number)
    return Status.PENDING


def retry_schedule_name(delivery_id, number):
    return f"sandbox webhook delivery {delivery_id} attempt {number}"


def retry_schedule(delivery, failed_number):
    """Queue the attempt after `failed_number` as a one-off django-q2 schedule, after its backoff."""
    from django_q.models import Schedule

    delay = BACKOFF_SECONDS[min(failed_number, len(BACKOFF_SECONDS)) - 1]
    next_run = timezone.now() + timedelta(seconds=delay)
    WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.PENDING).update(next_attempt_at=next_run)
    # ONCE with repeats -1: the scheduler queues the task once and then deletes the schedule.
    Schedule.objects.update_or_create(
        name=retry_schedule_name(delivery.pk, failed_number + 1),
        defaults={
            "func": DELIVER_TASK,
            "args": repr(delivery.pk),
            "schedule_type": Schedule.ONCE,
            "repeats": -1,
            "next_run": next_run,
        },
    )
    return next_run


# --- Steps ------------------------------------------------------------------------


def _happens(rate):
    return rate > 0 and random.random() < rate


def _claim(delivery, number):
    """Count attempt `number` for this delivery, unless another worker already did."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=Status.PENDING, attempts=number - 1
    ).update(attempts=number, next_attempt_at=None)
    return claimed == 1


def _status_of(delivery):
    return WebhookDelivery.objects.filter(pk=delivery.pk).values_list("status", flat=True).first()


def _finish(delivery, status, *, attempts, delivered_at=None):
    updated = WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.PENDING, attempts=attempts).update(
        status=status, next_attempt_at=None, delivered_at=delivered_at
    )
    return status if updated else _status_of(delivery)


def _post(delivery):
    webhook = delivery.webhook
    body = json.dumps({**delivery.payload, "token": webhook.token})
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Token": webhook.token,
    }
    started = time.monotonic()
    status_code, error = None, ""
    try:
        response = httpx.post(
            webhook.url,
            content=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
            verify=_ssl_context(),
        )
    except httpx.TimeoutException:
        error = f"No answer within {TIMEOUT_SECONDS} s (timed out)."
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        error = f"Could not reach {webhook.url}: {str(exc) or type(exc).__name__}."
    else:
        status_code = response.status_code
        if not 200 <= status_code < 300:
            excerpt = response.text[:ANSWER_EXCERPT].strip()
            error = f"The receiver answered {status_code}." + (f" {excerpt}" if excerpt else "")
    duration_ms = round((time.monotonic() - started) * 1000)
    return Outcome(status_code, error, duration_ms)


@functools.cache
def _ssl_context():
    """Loading the CA bundle takes a while: once per process, not once per attempt."""
    return httpx.create_ssl_context()


def _log(delivery, number, outcome, *, is_duplicate=False):
    if not outcome.ok:
        logger.info("Webhook delivery %s attempt %s failed: %s", delivery.pk, number, outcome.error)
    return WebhookAttempt.objects.create(
        delivery=delivery,
        number=number,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
        is_duplicate=is_duplicate,
    )
