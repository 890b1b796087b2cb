"""Settings load for the test suite and for a production environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
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
    """manage.py in a process of its own, with this environment less Clockroom's variables, plus
    `env_overrides`. It reads no `.env` or `var/sandbox.env` unless DJANGO_ENV_FILE is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WEBWORK_")) and k != "PORT"}
    env["DJANGO_ENV_FILE"] = ""
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


def test_a_deployment_carries_no_emulator_its_models_urls_or_commands():
    """With the sandbox off (a deployment's default), the emulator and the benchmarks are not
    there at all: no app, no database, no admin pages, no URL, no command."""
    code = (
        "import json\n"
        "from django.apps import apps\n"
        "from django.conf import settings\n"
        "from django.contrib import admin\n"
        "from django.core.management import get_commands\n"
        "from django.urls import Resolver404, resolve\n"
        "try:\n"
        "    resolve('/sandbox/api/v2/members')\n"
        "    sandbox_url = True\n"
        "except Resolver404:\n"
        "    sandbox_url = False\n"
        "print(json.dumps({\n"
        "    'apps': sorted(c.name for c in apps.get_app_configs()),\n"
        "    'databases': sorted(settings.DATABASES),\n"
        "    'routers': settings.DATABASE_ROUTERS,\n"
        "    'admin': sorted({m._meta.app_label for m in admin.site._registry}),\n"
        "    'commands': sorted(get_commands()),\n"
        "    'sandbox_url': sandbox_url,\n"
        "}))\n"
    )
    off = run_manage("shell", "-v", "0", "-c", code, env_overrides=PRODUCTION_ENV)
    assert off.returncode == 0, off.stderr
    found = json.loads(off.stdout)
    assert "integrations" in found["apps"]
    assert not [
        name for name in found["apps"] if name.startswith(("integrations.sandbox", "integrations.bench"))
    ]
    assert (found["databases"], found["routers"]) == (["default"], [])
    assert "sandbox" not in found["admin"]
    assert "integrations" in found["admin"]
    assert not [c for c in found["commands"] if c.startswith("sandbox_") or c == "bench"]
    assert {"webwork_sync", "webwork_connect", "rotate_token_keys"} <= set(found["commands"])
    assert found["sandbox_url"] is False

    on = run_manage("shell", "-v", "0", "-c", code, env_overrides={**PRODUCTION_ENV, "WEBWORK_SANDBOX": "1"})
    found = json.loads(on.stdout)
    assert {"integrations.sandbox", "integrations.bench"} <= set(found["apps"])
    assert found["databases"] == ["default", "sandbox"]
    assert {"sandbox_seed", "sandbox_prepare", "bench"} <= set(found["commands"])
    assert found["sandbox_url"] is True


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


SQLITE_TUNING = """
import sqlite3
from django.db import connections, transaction

for alias in ("default", "sandbox"):
    connection = connections[alias]
    cursor = connection.cursor()
    journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
    busy = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
    # IMMEDIATE: a transaction takes the write lock when it begins, so another writer waits
    # (busy timeout) instead of failing later with `database is locked`.
    with transaction.atomic(using=alias):
        other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            writer = "free"
        except sqlite3.OperationalError:
            writer = "held"
        other.close()
    print(alias, journal, busy, writer)
"""


@pytest.mark.parametrize("named_by", ["default paths", "sqlite URLs", "sqlite URLs with options"])
def test_every_sqlite_database_is_tuned_for_concurrent_writers(named_by, tmp_path):
    """WAL, a 20 s busy timeout and IMMEDIATE transactions on both databases, however named."""
    env = {"DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    if named_by == "default paths":
        env.update(DATABASE_URL="", SANDBOX_DATABASE_URL="")
    else:
        query = "?timeout=30" if named_by == "sqlite URLs with options" else ""
        env.update(
            DATABASE_URL=f"sqlite:///{tmp_path}/clockroom.sqlite3{query}",
            SANDBOX_DATABASE_URL=f"sqlite:///{tmp_path}/sandbox.sqlite3{query}",
        )
    result = run_manage("shell", "-v", "0", "-c", SQLITE_TUNING, env_overrides=env)

    busy = "30000" if named_by == "sqlite URLs with options" else "20000"  # the URL's own option wins
    assert result.stdout.split("\n")[:2] == [f"default wal {busy} held", f"sandbox wal {busy} held"], (
        result.stderr
    )
    if named_by != "default paths":
        assert (tmp_path / "clockroom.sqlite3").is_file()
        assert (tmp_path / "sandbox.sqlite3").is_file()


PUBLIC_URLS = (
    "from django.conf import settings; print(settings.WEBWORK_PUBLIC_BASE_URL, "
    "settings.WEBWORK_OAUTH_AUTHORIZE_URL, settings.WEBWORK_OAUTH_TOKEN_URL, settings.WEBWORK_API_BASE_URL)"
)


def test_a_local_run_is_reached_on_the_port_it_serves():
    local = {"DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    default = run_manage("shell", "-v", "0", "-c", PUBLIC_URLS, env_overrides=local)
    moved = run_manage("shell", "-v", "0", "-c", PUBLIC_URLS, env_overrides={**local, "PORT": "8123"})

    assert default.stdout.split() == [
        "http://127.0.0.1:8000",
        "http://127.0.0.1:8000/sandbox/oauth/authorize",
        "http://127.0.0.1:8000/sandbox/oauth/token",
        "http://127.0.0.1:8000/sandbox/api/v2",
    ], default.stderr
    assert moved.stdout.split() == [
        "http://127.0.0.1:8123",
        "http://127.0.0.1:8123/sandbox/oauth/authorize",
        "http://127.0.0.1:8123/sandbox/oauth/token",
        "http://127.0.0.1:8123/sandbox/api/v2",
    ], moved.stderr


def test_an_explicit_public_url_wins_over_the_port():
    env = {
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "PORT": "8123",
        "WEBWORK_PUBLIC_BASE_URL": "https://tunnel.example.com",
    }
    result = run_manage("shell", "-v", "0", "-c", PUBLIC_URLS, env_overrides=env)
    assert result.stdout.split()[:2] == [
        "https://tunnel.example.com",
        "https://tunnel.example.com/sandbox/oauth/authorize",
    ], result.stderr


# --- .env -------------------------------------------------------------------------------------


def make_dot_env(directory):
    """The .env that `make demo` writes when there is none (the Makefile's own rule, run here)."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-f", str(BASE_DIR / "Makefile"), "-C", str(directory), ".env"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return directory / ".env"


DEBUG_AND_KEY = "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY[:15])"


def test_make_writes_a_dot_env_once_and_keeps_one_that_exists(tmp_path):
    dot_env = make_dot_env(tmp_path)
    assert "DJANGO_DEBUG=1" in dot_env.read_text().splitlines()

    dot_env.write_text("DJANGO_DEBUG=1\nDJANGO_TIME_ZONE=Europe/Berlin\n")
    make_dot_env(tmp_path)
    assert dot_env.read_text() == "DJANGO_DEBUG=1\nDJANGO_TIME_ZONE=Europe/Berlin\n"


def test_local_commands_run_with_the_dot_env_alone(tmp_path):
    """After `make demo`, `manage.py ...` needs nothing in front of it."""
    dot_env = make_dot_env(tmp_path)
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.base", "DJANGO_ENV_FILE": str(dot_env)}

    check = run_manage("check", env_overrides=env)
    settings_seen = run_manage("shell", "-v", "0", "-c", DEBUG_AND_KEY, env_overrides=env)

    assert check.returncode == 0, check.stderr
    assert settings_seen.stdout.split() == ["True", "django-insecure"], settings_seen.stderr


def test_the_environment_wins_over_the_dot_env(tmp_path):
    """A deployment's DJANGO_DEBUG=0 is not undone by a .env: without a secret key it refuses."""
    dot_env = make_dot_env(tmp_path)
    env = {**PRODUCTION_ENV, "DJANGO_ENV_FILE": str(dot_env)}
    del env["DJANGO_SECRET_KEY"]

    result = run_manage("check", env_overrides=env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_the_test_settings_read_no_dot_env(tmp_path):
    dot_env = tmp_path / ".env"
    dot_env.write_text(
        "DJANGO_DEBUG=1\nWEBWORK_PUBLIC_BASE_URL=http://from-dot-env.test\nDJANGO_TIME_ZONE=Asia/Tokyo\n"
    )
    code = (
        "from django.conf import settings; "
        "print(settings.DEBUG, settings.WEBWORK_PUBLIC_BASE_URL, settings.TIME_ZONE)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", "DJANGO_ENV_FILE": str(dot_env)}

    result = run_manage("shell", "-v", "0", "-c", code, env_overrides=env)

    assert result.stdout.split() == ["False", "http://127.0.0.1:8000", "UTC"], result.stderr
