"""A deployment's settings, seen from outside: cookies only over HTTPS, HSTS, the CSP on every page,
plain HTTP redirected, and the sandbox with its control endpoints absent (404) unless switched on.

tests/config/test_settings.py runs `check --deploy` on these settings and shows that the sandbox's
apps, URLs and commands are not installed; here a client asks for them, in a process of its own.
"""

import json

import pytest

from tests.config.test_settings import PRODUCTION_ENV, run_manage

PROBE = """
import json
from django.conf import settings
from django.test import Client

client = Client(HTTP_HOST="clockroom.example.com")
paths = ["/sandbox/control/faults", "/sandbox/control/tokens/expire", "/sandbox/api/v2/members",
         "/sandbox/oauth/authorize", "/sandbox/oauth/token", "/sandbox/", "/sandbox/docs/"]
absent = {p: [client.get(p, secure=True).status_code, client.post(p, secure=True).status_code] for p in paths}
plain = client.get("/healthz")  # the load balancer's check, over plain HTTP
page = client.get("/auth/webwork/login/", secure=True)
redirect = client.get("/w/1/people/")
login = client.get("/admin/login/", secure=True)
print(json.dumps({
    "absent": absent,
    "redirect": [redirect.status_code, redirect.get("Location", "")],
    "healthz_plain": plain.status_code,
    "hsts": page.get("Strict-Transport-Security", ""),
    "csp": page.get("Content-Security-Policy", ""),
    "frame": page.get("X-Frame-Options", ""),
    "nosniff": page.get("X-Content-Type-Options", ""),
    "csrf_cookie": {k: str(v) for k, v in login.cookies["csrftoken"].items() if v},
    "settings": {
        name: getattr(settings, name)
        for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
                     "SESSION_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
                     "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER", "DEBUG",
                     "WEBWORK_SANDBOX")
    },
}, default=list))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    database = tmp_path_factory.mktemp("production") / "clockroom.sqlite3"
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{database}"}
    migrate = run_manage("migrate", "-v", "0", env_overrides=env)
    assert migrate.returncode == 0, migrate.stderr
    # The release step: production serves its static files from collectstatic's manifest.
    collected = run_manage("collectstatic", "--noinput", "-v", "0", env_overrides=env)
    assert collected.returncode == 0, collected.stderr
    result = run_manage("shell", "-v", "0", "-c", PROBE, env_overrides=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_sandbox_and_its_control_endpoints_are_absent(production):
    for path, statuses in production["absent"].items():
        assert statuses == [404, 404], f"{path}: {statuses}"


def test_cookies_travel_only_over_https(production):
    found = production["settings"]
    assert found["SESSION_COOKIE_SECURE"] is True
    assert found["CSRF_COOKIE_SECURE"] is True
    assert found["SESSION_COOKIE_HTTPONLY"] is True
    assert found["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert production["csrf_cookie"].get("secure") == "True"


def test_https_is_required_and_remembered(production):
    found = production["settings"]
    assert found["DEBUG"] is False
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production["redirect"] == [301, "https://clockroom.example.com/w/1/people/"]
    assert production["healthz_plain"] in (200, 503)  # answered, not redirected
    assert production["hsts"].startswith("max-age=31536000")
    assert "includeSubDomains" in production["hsts"]


def test_every_page_carries_the_content_security_policy(production):
    directives = dict(part.strip().split(" ", 1) for part in production["csp"].split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in production["csp"]
    assert production["frame"] == "DENY"
    assert production["nosniff"] == "nosniff"
