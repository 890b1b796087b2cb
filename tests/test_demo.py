"""`make demo` as a user meets it, on a port of its own: the `.env` the Makefile writes, databases
made by `migrate` alone, `sandbox_prepare`, then `rundemo` (the web server and a django-q2 cluster)
signed into with WebWork and the admin's demo account, and stopped by Ctrl-C or SIGTERM while a
worker is busy: everything it started must be gone within seconds."""

import html
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from tests.config.test_settings import make_dot_env

BASE_DIR = Path(__file__).resolve().parents[1]
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
FORM_ACTION = re.compile(r'<form[^>]* method="post" action="([^"]+)"')
ADMIN_CREDENTIALS = re.compile(r"Django admin: (\S+) as (\S+) / (\S+) ")
# Ctrl-C must stop everything promptly: the grace period (5 s) and a margin for a busy machine.
STOPPED_WITHIN = 9.0


@dataclass
class Demo:
    env: dict
    port: int
    directory: Path

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def query(self, sql):
        with sqlite3.connect(self.directory / "clockroom.sqlite3", timeout=20) as connection:
            return connection.execute(sql).fetchall()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """What `PORT=<a free port> make demo` prepares before it serves, in a directory of its own."""
    directory = tmp_path_factory.mktemp("demo")
    dot_env = make_dot_env(directory)
    clockroom = ("DJANGO_", "WEBWORK_", "SANDBOX_", "Q_", "CLOCKROOM_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(clockroom)}
    for name in ("PORT", "DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_ENV_FILE=str(dot_env),  # DJANGO_DEBUG=1 comes from the .env alone
        DATABASE_URL=f"sqlite:///{directory}/clockroom.sqlite3",
        SANDBOX_DATABASE_URL=f"sqlite:///{directory}/sandbox.sqlite3",
        PORT=str(free_port()),
        PYTHONUNBUFFERED="1",
    )
    demo = Demo(env=env, port=int(env["PORT"]), directory=directory)
    demo.manage("migrate", "--noinput")
    demo.manage("migrate", "--database=sandbox", "--noinput")
    # The sandbox's OAuth app goes to the demo's .env rather than this checkout's var/sandbox.env.
    demo.manage("sandbox_prepare", "--env-file", str(dot_env))
    return demo


@dataclass
class Running:
    process: subprocess.Popen
    log: Path

    def output(self):
        return self.log.read_text()


def start(demo, name):
    """`manage.py rundemo` as the terminal runs it: the leader of its own process group."""
    log = demo.directory / f"{name}.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "rundemo"],
            cwd=BASE_DIR,
            env=demo.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Running(process, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, running.output()
        try:
            if (
                httpx.get(f"{demo.url}/healthz", timeout=5).status_code == 200
                and "running." in running.output()
            ):
                return running
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    stop(running, signal.SIGKILL)
    pytest.fail(f"The demo did not start:\n{running.output()}")


def processes_below(pid):
    """{pid: start time} of every process descending from `pid` (from /proc)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append((int(entry.name), fields[19]))
    found, pending = {}, [pid]
    while pending:
        for child, started in children.get(pending.pop(), []):
            found[child] = started
            pending.append(child)
    return found


def still_running(processes):
    """Those of `processes` ({pid: start time}) still running (a zombie has stopped)."""
    alive = []
    for pid, started in processes.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[19] == started and fields[0] not in ("Z", "X"):
            alive.append(pid)
    return alive


def stop(running, how):
    """Stop the demo as a user does; returns the seconds it took to exit."""
    began = time.monotonic()
    if how == "ctrl-c":  # the terminal sends SIGINT to its foreground process group
        os.killpg(running.process.pid, signal.SIGINT)
    else:
        running.process.send_signal(how)
    try:
        running.process.wait(timeout=30)
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGKILL)
            running.process.wait()
    return time.monotonic() - began


def keep_a_worker_busy(demo):
    """Queue a task that runs for two minutes and wait until a worker has taken it."""
    demo.manage(
        "shell", "-v", "0", "-c", "from django_q.tasks import async_task; async_task('time.sleep', 120)"
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if demo.query("SELECT count(*) FROM django_q_ormq WHERE lock IS NOT NULL")[0][0]:
            time.sleep(1)  # from the pusher to a worker
            return
        time.sleep(0.2)
    pytest.fail("No worker took the task.")


def form_fields(page):
    return {name: html.unescape(value) for name, value in HIDDEN_INPUT.findall(page.text)}


def assert_port_closed(port):
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.cluster
def test_sign_in_with_webwork_stays_on_the_demo_port_and_ctrl_c_stops_everything(demo):
    running = start(demo, "sign-in")
    callback = f"{demo.url}/auth/webwork/callback/"
    try:
        with httpx.Client(base_url=demo.url, timeout=60) as browser:
            leave = browser.get("/auth/webwork/login/")
            assert leave.status_code == 302
            authorize = leave.headers["location"]
            assert authorize.startswith(f"{demo.url}/sandbox/oauth/authorize?")
            assert parse_qs(urlsplit(authorize).query)["redirect_uri"] == [callback]

            consent = browser.get(authorize)
            assert consent.status_code == 200, consent.text
            answer = browser.post(
                urljoin(authorize, FORM_ACTION.search(consent.text).group(1)),
                data={
                    **form_fields(consent),
                    "email": "owner@acme.test",
                    "password": "demo",
                    "decision": "allow",
                },
            )
            assert answer.status_code == 302, answer.text
            assert answer.headers["location"].startswith(f"{callback}?code=")

            back = browser.get(answer.headers["location"])
            assert back.status_code == 302, back.text
            home = browser.get(back.headers["location"])
            assert home.status_code == 200
            assert "Acme Studio" in html.unescape(home.text)  # connected: its first sync has started
        keep_a_worker_busy(demo)
        started = processes_below(running.process.pid)
        assert len(started) >= 5, started  # the web server, qcluster, its sentinel, pusher, monitor, workers
    finally:
        took = stop(running, "ctrl-c")

    assert took < STOPPED_WITHIN, running.output()
    assert still_running(started) == [], running.output()
    assert_port_closed(demo.port)
    assert "Stopped." in running.output()
    assert "no such table" not in running.output()  # `migrate` made the cache's table


@pytest.mark.cluster
def test_the_admin_demo_account_signs_in_on_every_run_and_sigterm_stops_everything(demo):
    for run in ("first", "again"):
        running = start(demo, f"admin-{run}")
        try:
            url, username, password = ADMIN_CREDENTIALS.search(running.output()).groups()
            assert url == f"{demo.url}/admin/"
            with httpx.Client(timeout=60) as browser:
                form = browser.get(f"{url}login/")
                signed_in = browser.post(
                    f"{url}login/?next=/admin/",
                    data={**form_fields(form), "username": username, "password": password},
                )
                assert signed_in.status_code == 302, signed_in.text
                admin = browser.get(urljoin(url, signed_in.headers["location"]))
                assert admin.status_code == 200
                assert "Site administration" in admin.text
            keep_a_worker_busy(demo)
            started = processes_below(running.process.pid)
        finally:
            took = stop(running, signal.SIGTERM)  # e.g. `kill`, or make passing its own SIGTERM on

        assert took < STOPPED_WITHIN, running.output()
        assert still_running(started) == [], running.output()
        assert_port_closed(demo.port)

    assert demo.query(
        "SELECT count(*), min(is_staff), min(is_superuser) FROM auth_user WHERE username = 'admin'"
    ) == [(1, 1, 1)]


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_prepare_on_another_port_moves_the_apps_redirect_and_keeps_its_credentials(settings, tmp_path):
    from django.core.management import call_command

    from integrations.sandbox.models import OAuthApplication

    env_file = tmp_path / "sandbox.env"
    settings.WEBWORK_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    call_command("sandbox_prepare", "--env-file", str(env_file), stdout=StringIO())
    before = env_file.read_text()
    settings.WEBWORK_PUBLIC_BASE_URL = "http://127.0.0.1:9000"
    out = StringIO()
    call_command("sandbox_prepare", "--env-file", str(env_file), stdout=out)

    app = OAuthApplication.objects.get(name="Clockroom")
    assert app.redirect_uri == "http://127.0.0.1:9000/auth/webwork/callback/"
    assert env_file.read_text() == before  # the same client id and secret
    assert f"WEBWORK_OAUTH_CLIENT_ID={app.client_id}" in before
    assert "now redirects to http://127.0.0.1:9000/auth/webwork/callback/" in out.getvalue()
