"""Webhook registrations: GET /webhooks, one request per 100 registrations.

A registration's `token` is the secret WebWork sends with each delivery; it is never stored in
the mirror (not in `raw` either).
"""

from ..models import WebhookRegistration
from ..webwork.payloads import text
from .base import SyncContext, fetch_all, replace_all, resource_run, with_ids

SECRET_FIELDS = frozenset({"token", "secret"})


def registration_events(payload):
    """The events a registration subscribes to: a list, or a comma-separated string."""
    events = payload.get("events")
    if isinstance(events, str):
        events = [e.strip() for e in events.split(",")]
    return [text(e) for e in events or [] if e not in (None, "")] if isinstance(events, list) else []


def webhook_registration_row(payload):
    return {
        "webwork_id": str(payload["id"]),
        "url": text(payload.get("url"))[:500],
        "events": registration_events(payload),
        "raw": {key: value for key, value in payload.items() if key not in SECRET_FIELDS},
    }


def sync_webhook_registrations(ctx: SyncContext):
    with resource_run(ctx, "webhook_registrations") as stats:
        rows = [webhook_registration_row(p) for p in with_ids(fetch_all(ctx, "webhooks", stats=stats))]
        replace_all(WebhookRegistration, ctx, rows, stats)
    return stats
