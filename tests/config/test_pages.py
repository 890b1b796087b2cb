"""The base page, its vendored scripts, its security headers, and /healthz."""

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_loads_htmx_from_our_own_static_files(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<script src="/static/vendor/htmx/htmx.min.js"' in html
    assert "cdn" not in html.lower()


def test_vendored_scripts_are_served_by_our_own_origin(client):
    htmx = client.get("/static/vendor/htmx/htmx.min.js")
    chart = client.get("/static/vendor/chartjs/chart.umd.min.js")

    assert htmx.status_code == 200
    assert b"htmx" in b"".join(htmx.streaming_content)
    assert chart.status_code == 200
    assert b"Chart.js v4" in b"".join(chart.streaming_content)


def test_every_htmx_request_carries_the_csrf_token():
    """htmx sends the token from <body hx-headers>; Django accepts it and refuses a POST without it."""
    import json
    import re

    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    html = client.get("/").content.decode()
    headers = json.loads(re.search(r"<body hx-headers='([^']+)'", html).group(1))

    with_token = client.post("/admin/login/", {"username": "x", "password": "y"}, headers=headers)
    without_token = client.post("/admin/login/", {"username": "x", "password": "y"})

    assert with_token.status_code == 200  # the login form again, with its error
    assert without_token.status_code == 403


def test_pages_allow_scripts_only_from_our_own_origin(client):
    policy = client.get("/").headers["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_healthz_reports_the_database_and_leaves_the_queue_to_readyz(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert "queue" not in body  # liveness stays cheap; /readyz asks the broker (test_health.py)


def test_healthz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken_execute(self, sql, params=None):
        raise ConnectionError("database is down")

    monkeypatch.setattr(CursorWrapper, "execute", broken_execute)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == {"status": "error", "error": "ConnectionError"}


def test_healthz_accepts_only_get(client):
    assert client.post("/healthz").status_code == 405
