"""`bench intake`: the webhook intake storing and acknowledging deliveries on one web process.

Valid deliveries (the sandbox's delivery form: event id, event, workspace, timestamp, data; the
token in `X-Webhook-Token`) are POSTed through Django's WSGI handler in this process, the way a
WSGI server calls it: the whole middleware stack, the view, the insert, the django-q2 task queued
on commit, and the connection handling at the end of each request. Each request is timed from the
handler's call until its answer is read and closed. A few unmeasured requests warm up first.

Django closes a connection at the end of each request unless CONN_MAX_AGE says otherwise (the
embedded SQLite default), and django-q2's ORM broker closes stale connections before it enqueues;
when the configured CONN_MAX_AGE is not already persistent, a second run with CONN_MAX_AGE=60
shows what reconnecting costs.
"""

import contextlib
import io
import json
import secrets
import time
import uuid

from django.core.wsgi import get_wsgi_application
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse
from django.utils import timezone

from ..models import WebhookDelivery, Workspace
from .environment import HOST, quiet_queue_log
from .report import Table, load_average, median, percentile

WARM_UP = 20
TARGET_MEDIAN_MS = 20.0
WORKSPACE_ID = 990_002  # the bench's own tenant in the throwaway database
PERSISTENT = 60  # CONN_MAX_AGE of the comparison run (seconds)


def _body(workspace, n):
    at = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": str(uuid.uuid4()),
        "event": "tracker.started",
        "workspace_id": workspace.webwork_id,
        "webhook_id": workspace.webhook_webwork_id,
        "timestamp": at,
        "data": {
            "user_id": 1000 + n % 50,
            "user_name": f"Member {n % 50}",
            "user_email": f"member{n % 50}@bench.test",
            "contract_id": 4000 + n % 50,
            "project_id": 2000 + n % 7,
            "project_name": f"Project {n % 7}",
            "task_id": None,
            "activity_description": "Design review",
            "start_time": at,
        },
    }


def _environ(path, body, token):
    raw = json.dumps(body).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": HOST,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": HOST,
        "REMOTE_ADDR": "203.0.113.10",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(raw)),
        "HTTP_X_WEBHOOK_TOKEN": token,
        "HTTP_USER_AGENT": "WebWork-Webhooks/1.0",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(raw),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def _post(app, environ):
    """One request as a WSGI server makes it; returns (status code, seconds)."""
    status = {}

    def start_response(line, headers, exc_info=None):
        status["code"] = int(line.split(" ", 1)[0])

    started = time.perf_counter()
    answer = app(environ, start_response)
    try:
        b"".join(answer)
    finally:
        if hasattr(answer, "close"):
            answer.close()
    return status["code"], time.perf_counter() - started


def _post_many(app, workspace, count):
    """POST `count` deliveries after WARM_UP unmeasured ones; (statuses, milliseconds of the measured)."""
    path = reverse("webhooks:intake", args=[workspace.webhook_uuid])
    statuses, ms = [], []
    for i in range(WARM_UP + count):
        code, took = _post(app, _environ(path, _body(workspace, i), workspace.webhook_token))
        statuses.append(code)
        if i >= WARM_UP:
            ms.append(took * 1000)
    return statuses, ms


@contextlib.contextmanager
def _persistent_connections(seconds):
    settings_dict = connections[DEFAULT_DB_ALIAS].settings_dict
    before = settings_dict.get("CONN_MAX_AGE", 0)
    connections[DEFAULT_DB_ALIAS].close()
    settings_dict["CONN_MAX_AGE"] = seconds
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        settings_dict["CONN_MAX_AGE"] = before


def bench_intake(*, n, say):
    workspace, _ = Workspace.objects.get_or_create(
        webwork_id=WORKSPACE_ID,
        defaults={
            "name": "Intake bench",
            "webhook_token": secrets.token_urlsafe(32),
            "webhook_webwork_id": "77",
        },
    )
    app = get_wsgi_application()
    max_age = connections[DEFAULT_DB_ALIAS].settings_dict.get("CONN_MAX_AGE", 0)
    before = WebhookDelivery.objects.filter(workspace=workspace).count()
    say(f"Posting {WARM_UP} + {n} deliveries to the intake...")
    with quiet_queue_log():
        statuses, ms = _post_many(app, workspace, n)
        stored = WebhookDelivery.objects.filter(workspace=workspace).count() - before
        if max_age != PERSISTENT:
            say(f"  and again with persistent database connections (CONN_MAX_AGE={PERSISTENT})...")
            with _persistent_connections(PERSISTENT):
                persistent_statuses, persistent = _post_many(app, workspace, n)
    accepted = statuses.count(202)
    total = WARM_UP + n

    table = Table(f"bench intake: {n} deliveries through the WSGI handler, one process")
    table.note(
        f"database {connections[DEFAULT_DB_ALIAS].vendor}, CONN_MAX_AGE={max_age}; load average "
        f"{load_average()} (shared machines are noisy: compare within one run)"
    )
    table.add("median ms", f"{median(ms):.2f}", f"< {TARGET_MEDIAN_MS:g}", median(ms) < TARGET_MEDIAN_MS)
    table.add("p95 ms", f"{percentile(ms, 0.95):.2f}")
    table.add("max ms", f"{max(ms):.2f}")
    table.add("deliveries per second (one process)", f"{len(ms) / (sum(ms) / 1000):.0f}")
    table.add(
        "answered 202 / stored", f"{accepted} / {stored}", f"{total} / {total}", accepted == stored == total
    )
    if max_age != PERSISTENT:
        table.add(f"median ms, CONN_MAX_AGE={PERSISTENT}", f"{median(persistent):.2f}")
        table.add(f"p95 ms, CONN_MAX_AGE={PERSISTENT}", f"{percentile(persistent, 0.95):.2f}")
        persistent_accepted = persistent_statuses.count(202)
        table.add(
            f"answered 202, CONN_MAX_AGE={PERSISTENT}",
            persistent_accepted,
            f"{total}",
            persistent_accepted == total,
        )
    return table
