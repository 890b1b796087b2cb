"""deploy/gunicorn.conf.py: workers from the CPU count, settings gunicorn accepts, and a real
gunicorn writing JSON access lines with the request id, tokens redacted."""

import json
import os
import runpy
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.config.test_health import free_port
from tests.config.test_settings import PRODUCTION_ENV

BASE_DIR = Path(__file__).resolve().parents[2]
CONF = BASE_DIR / "deploy" / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")


def load_conf(monkeypatch, **environ):
    for name in ("GUNICORN_WORKERS", "GUNICORN_MAX_WORKERS", "GUNICORN_BIND", "PORT", "DJANGO_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DJANGO_DEBUG", "0")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


@pytest.mark.parametrize(
    ("cpus", "exact", "cap", "workers"),
    [(1, None, 8, 3), (2, None, 8, 5), (4, None, 8, 8), (16, None, 8, 8), (2, None, 2, 2), (16, "12", 8, 12)],
)
def test_workers_are_twice_the_cpus_plus_one_at_most_the_cap(cpus, exact, cap, workers):
    conf = runpy.run_path(str(CONF))
    assert conf["workers_for"](cpus, exact=exact, cap=cap) == workers


def test_a_worker_count_below_one_is_refused():
    conf = runpy.run_path(str(CONF))
    with pytest.raises(ValueError, match="GUNICORN_WORKERS"):
        conf["workers_for"](2, exact="0")


def test_the_config_reads_its_environment(monkeypatch):
    conf = load_conf(monkeypatch)
    cpus = len(os.sched_getaffinity(0))
    assert conf["workers"] == min(2 * cpus + 1, 8)
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["preload_app"] is False
    assert conf["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert conf["logconfig_dict"]["handlers"]["console"]["formatter"] == "json"
    assert conf["timeout"] < conf["graceful_timeout"] + 1

    conf = load_conf(
        monkeypatch,
        GUNICORN_MAX_WORKERS="2",
        PORT="9100",
        FORWARDED_ALLOW_IPS="10.0.0.0/8",
        DJANGO_LOG_FORMAT="text",
    )
    assert (conf["workers"], conf["bind"], conf["forwarded_allow_ips"]) == (2, "127.0.0.1:9100", "10.0.0.0/8")
    assert conf["logconfig_dict"]["handlers"]["console"]["formatter"] == "text"
    assert load_conf(monkeypatch, GUNICORN_WORKERS="6", GUNICORN_BIND="0.0.0.0:80")["workers"] == 6


def test_empty_variables_mean_the_defaults(monkeypatch):
    """A systemd EnvironmentFile (deploy/systemd/clockroom.env.example) sets unfilled names empty."""
    empty = dict.fromkeys(
        ["GUNICORN_WORKERS", "GUNICORN_MAX_WORKERS", "GUNICORN_BIND", "GUNICORN_TIMEOUT", "PORT"], ""
    )
    conf = load_conf(monkeypatch, FORWARDED_ALLOW_IPS="", DJANGO_LOG_LEVEL="", DJANGO_LOG_FORMAT="", **empty)
    assert conf["workers"] == min(2 * len(os.sched_getaffinity(0)) + 1, 8)
    assert (conf["bind"], conf["timeout"], conf["forwarded_allow_ips"]) == (
        "127.0.0.1:8000",
        30,
        "127.0.0.1,::1",
    )
    assert conf["logconfig_dict"]["root"]["level"] == "INFO"
    assert conf["logconfig_dict"]["handlers"]["console"]["formatter"] == "json"


def gunicorn_env(tmp_path, **overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WEBWORK_", "GUNICORN_"))}
    env.pop("PORT", None)
    env.pop("REDIS_URL", None)
    env.update(PRODUCTION_ENV)
    env.update(
        DJANGO_ENV_FILE="",
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        **overrides,
    )
    return env


def test_gunicorn_accepts_the_config_and_loads_the_app(tmp_path):
    result = subprocess.run(
        [str(GUNICORN), "-c", str(CONF), "--check-config", "config.wsgi"],
        cwd=BASE_DIR,
        env=gunicorn_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_running_gunicorn_writes_json_lines_with_the_request_id(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [str(GUNICORN), "-c", str(CONF), "config.wsgi"],
        cwd=BASE_DIR,
        env=gunicorn_env(tmp_path, PORT=str(port), GUNICORN_WORKERS="2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/healthz?code=wwcode-secret-value&state=s",
                    headers={"X-Request-ID": "probe-0001-abcd"},
                    timeout=5,
                )
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read()
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.headers["X-Request-ID"] == "probe-0001-abcd"
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=60)

    lines = [json.loads(line) for line in (stdout + stderr).splitlines() if line.startswith("{")]
    assert {"gunicorn.error", "gunicorn.access"} <= {line["logger"] for line in lines}
    access = [line for line in lines if line["logger"] == "gunicorn.access" and line["request_id"] != "-"]
    (line,) = [line for line in access if line["request_id"] == "probe-0001-abcd"]
    assert line["http"]["path"] == "/healthz"
    assert line["http"]["status"] == 200
    assert line["http"]["query"] == "code=[redacted]&state=s"
    assert "wwcode-secret-value" not in stdout + stderr
    booted = [line for line in lines if line["message"].startswith("Booting worker")]
    assert len(booted) == 2
