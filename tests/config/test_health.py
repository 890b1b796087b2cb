"""`/healthz` (liveness: the process and its database) and `/readyz` (readiness: the database
and the task queue's broker), with a real Redis broker up and then down."""

import shutil
import socket
import subprocess
import time

import pytest
import redis
from django_q.conf import Conf

from tests.config.test_settings import PRODUCTION_ENV, run_manage

pytestmark = pytest.mark.django_db


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_broker(monkeypatch):
    """django-q2 on a Redis of its own (a real redis-server on a free port), for this test only."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", url)
    yield process
    if process.poll() is None:
        process.terminate()
        process.wait(10)


@pytest.fixture
def broker_unreachable(monkeypatch):
    """django-q2 on a Redis address nothing listens on."""
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", f"redis://127.0.0.1:{free_port()}/0")


def test_readyz_reports_the_database_and_the_queue(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"status": "ok"}
    assert body["queue"]["status"] == "ok"
    assert isinstance(body["queue"]["queued"], int)


def test_readyz_with_a_redis_broker_up_then_down(client, redis_broker):
    up = client.get("/readyz")
    assert up.status_code == 200, up.content
    assert up.json()["queue"] == {"status": "ok", "broker": "Redis", "queued": 0}

    redis_broker.terminate()
    redis_broker.wait(10)
    down = client.get("/readyz")

    assert down.status_code == 503
    assert down.json()["status"] == "error"
    assert down.json()["queue"] == {"status": "error", "error": "ConnectionError"}
    assert down.json()["database"] == {"status": "ok"}


def test_readyz_answers_503_when_the_broker_is_unreachable(client, broker_unreachable):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["queue"] == {"status": "error", "error": "ConnectionError"}


def test_healthz_stays_up_without_the_broker(client, broker_unreachable):
    """Liveness: a broker outage is not a reason to restart the web processes."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": {"status": "ok"}, "status": "ok"}


def test_readyz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken_execute(self, sql, params=None):
        raise ConnectionError("database is down")

    monkeypatch.setattr(CursorWrapper, "execute", broken_execute)
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["database"] == {"status": "error", "error": "ConnectionError"}


def test_readyz_accepts_only_get(client):
    assert client.post("/readyz").status_code == 405


PROBE = """
from django.test import Client
client = Client(HTTP_HOST="clockroom.example.com")
for path in ("/healthz", "/readyz", "/"):
    print(path, client.get(path).status_code)
"""


def test_production_probes_answer_over_plain_http_while_pages_redirect(tmp_path):
    """A load balancer checks the processes over plain HTTP; every page goes to HTTPS."""
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    migrated = run_manage("migrate", "-v", "0", env_overrides=env)
    assert migrated.returncode == 0, migrated.stderr
    result = run_manage("shell", "-v", "0", "-c", PROBE, env_overrides=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["/healthz 200", "/readyz 200", "/ 301"]
