"""Settings load for the test suite and for a production environment."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "kV9#pL2@xQ7!mZ4$wR8^tY1&uI5*oP3(aS6)dF0_gH-jK+lZ=xC.vB,nM;qW:eR",
    "DJANGO_ALLOWED_HOSTS": "clockroom.example.com",
    "WEBWORK_PUBLIC_BASE_URL": "https://clockroom.example.com",
}


def run_manage(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WEBWORK_"))}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_test_settings_use_their_own_databases():
    assert set(settings.DATABASES) == {"default", "sandbox"}
    assert settings.DATABASES["default"]["NAME"] != settings.DATABASES["sandbox"]["NAME"]


def test_production_settings_pass_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_switch_the_sandbox_off_unless_asked():
    code = "from django.conf import settings; print(settings.WEBWORK_SANDBOX)"
    off = run_manage("shell", "-v", "0", "-c", code, env_overrides=PRODUCTION_ENV)
    on = run_manage("shell", "-v", "0", "-c", code, env_overrides={**PRODUCTION_ENV, "WEBWORK_SANDBOX": "1"})
    assert off.stdout.strip() == "False", off.stderr
    assert on.stdout.strip() == "True", on.stderr


def test_sqlite_default_is_tuned_for_concurrent_writers():
    code = (
        "from django.db import connection; c = connection.cursor();"
        "print(c.execute('PRAGMA journal_mode').fetchone()[0],"
        " c.execute('PRAGMA busy_timeout').fetchone()[0])"
    )
    env = {"DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = ""
    result = run_manage("shell", "-v", "0", "-c", code, env_overrides=env)
    assert result.stdout.split() == ["wal", "20000"], result.stderr
