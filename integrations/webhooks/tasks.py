"""django-q2 entry points of the webhook intake: one line each; the work lives in processing.py."""

from . import processing


def process_webhook_delivery_task(delivery_id):
    return processing.process_delivery(delivery_id)


def requeue_stale_webhook_deliveries_task():
    return processing.webhook_deliveries_requeue_stale()
