"""Probes for the load balancer and the process manager.

* `/healthz`, liveness: the process answers and its database answers. Cheap (one `SELECT 1`);
  a failure means restart this process.
* `/readyz`, readiness: the database and the task queue's broker (Redis in a deployment) both
  answer. A failure means send no traffic here for now; restarting would not help.

Both answer JSON, 200 or 503, never cached, GET only.
"""

import logging

from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker

logger = logging.getLogger(__name__)


def _check_database(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok"}


def _check_queue():
    broker = get_broker()
    if not broker.ping():
        raise ConnectionError("the broker did not answer")
    return {"status": "ok", "broker": type(broker).__name__, "queued": broker.queue_size()}


def _probe(checks):
    body, healthy = {}, True
    for name, check in checks.items():
        try:
            body[name] = check()
        except Exception as exc:  # a health check reports every failure, never raises
            logger.warning("health check %s failed: %s", name, type(exc).__name__)
            body[name] = {"status": "error", "error": type(exc).__name__}
            healthy = False
    body["status"] = "ok" if healthy else "error"
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def healthz(request):
    return _probe({"database": lambda: _check_database("default")})


@never_cache
@require_GET
def readyz(request):
    return _probe({"database": lambda: _check_database("default"), "queue": _check_queue})
