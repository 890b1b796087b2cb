"""The error tracker: off (not even imported) unless SENTRY_DSN is set; on, it sends no personal
data, names the release, and redacts tokens like the logs do."""

import json

import pytest
from django.conf import settings

from config.logs import REDACTED
from config.sentry import breadcrumb_redact, event_redact
from tests.config.test_settings import PRODUCTION_ENV, run_manage

SECRET = "wwat_s3cr3t-T0KEN.value"

STATE = """
import json, sys
from django.conf import settings
state = {"enabled": settings.SENTRY_ENABLED, "imported": "sentry_sdk" in sys.modules}
if state["imported"]:
    import sentry_sdk
    client = sentry_sdk.get_client()
    state.update(
        active=client.is_active(),
        pii=client.options["send_default_pii"],
        release=client.options["release"],
        environment=client.options["environment"],
        django="django" in client.integrations,
    )
print(json.dumps(state))
"""


def sentry_state(tmp_path, **overrides):
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", **overrides}
    result = run_manage("shell", "-v", "0", "-c", STATE, env_overrides=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_test_run_reports_nowhere():
    import sentry_sdk

    assert settings.SENTRY_ENABLED is False
    assert sentry_sdk.get_client().is_active() is False


def test_production_without_a_dsn_leaves_sentry_off_and_unimported(tmp_path):
    assert sentry_state(tmp_path, SENTRY_DSN="") == {"enabled": False, "imported": False}


def test_a_dsn_turns_it_on_without_personal_data(tmp_path):
    state = sentry_state(
        tmp_path,
        SENTRY_DSN="https://public@127.0.0.1:9/1",
        SENTRY_RELEASE="clockroom@2026.12.1",
        SENTRY_ENVIRONMENT="staging",
    )
    assert state == {
        "enabled": True,
        "imported": True,
        "active": True,
        "pii": False,
        "release": "clockroom@2026.12.1",
        "environment": "staging",
        "django": True,
    }


def test_events_and_breadcrumbs_leave_without_tokens():
    event = {
        "logentry": {
            "message": "refresh answered %s",
            "formatted": f"refresh answered access_token={SECRET}",
            "params": [f"Bearer {SECRET}"],
        },
        "exception": {"values": [{"type": "AuthError", "value": f"refused refresh_token={SECRET}"}]},
        "request": {
            "url": f"https://clockroom.example.com/auth/webwork/callback/?code={SECRET}",
            "query_string": f"code={SECRET}&state=s",
        },
    }
    crumb = {"message": f"GET members Authorization: Bearer {SECRET}", "data": {"url": f"/x?code={SECRET}"}}

    cleaned = json.dumps([event_redact(event, {}), breadcrumb_redact(crumb, {})])

    assert SECRET not in cleaned
    assert cleaned.count(REDACTED) == 7


@pytest.mark.parametrize("dsn", ["", None])
def test_sentry_init_without_a_dsn_does_nothing(dsn):
    from config.sentry import sentry_init

    assert sentry_init(dsn=dsn) is False
