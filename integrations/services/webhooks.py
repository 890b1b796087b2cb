"""Webhook deliveries, as staff handle them: replay what failed."""

from ..webhooks import processing


def webhook_deliveries_replay(*, deliveries) -> int:
    """Process `deliveries` (a queryset) again, each in its own task once the current transaction
    commits; a processed one changes nothing. Returns how many were queued."""
    return processing.webhook_deliveries_replay(deliveries=deliveries)
