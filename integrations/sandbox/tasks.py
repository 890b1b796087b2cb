"""django-q2 entry points of the sandbox: one line each."""

from .delivery import webhook_deliver


def deliver_webhook_task(delivery_id):
    return webhook_deliver(delivery_id)
