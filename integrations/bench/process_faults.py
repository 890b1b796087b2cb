"""`bench faults`: the scenarios whose fault is a process, not an answer.

* database_restarted: every other connection to the bench's own databases is cut with
  pg_terminate_backend in the middle of a sync, as a PostgreSQL restart does (the shared
  PostgreSQL cluster is never restarted). PostgreSQL only.
* redis_restarted: the Redis at REDIS_URL (the bench's own: never port 6390, the shared one)
  is shut down without saving and started again in the middle of a sync: the rate windows, the
  sync lock and django-q2's queue are lost. Needs REDIS_URL on 127.0.0.1.
* qcluster_killed: a qcluster killed with SIGKILL mid-sync. Not built yet: the row says so.

Each runs the same round of work as the in-process scenarios (faults.py) and the same checks;
the fault is switched on from the wire's hook once the round's sync has sent a few requests.
Elsewhere each is skipped and its row says why.
"""

import subprocess
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections

from .faults import Outcome, Work

SWITCHED_ON = {
    "qcluster_killed": "a qcluster killed (SIGKILL) mid-sync",
    "redis_restarted": "the bench's own Redis shut down (no save) and started again mid-sync",
    "database_restarted": "pg_terminate_backend on every connection to the bench's databases mid-sync",
}
SHARED_REDIS_PORT = 6390
AFTER_REQUESTS = 5


def missing(name):
    """Why `name` cannot run here, or "" when it can."""
    if name == "qcluster_killed":
        return "not built yet (a qcluster subprocess killed mid-sync, then the lease running out)"
    if name == "database_restarted" and connections["default"].vendor != "postgresql":
        return "needs PostgreSQL (DATABASE_URL); this run is on " + connections["default"].vendor
    if name == "redis_restarted":
        url = getattr(settings, "REDIS_URL", "") or ""
        if not url:
            return "needs Redis (REDIS_URL)"
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost") or (parts.port or 6379) == SHARED_REDIS_PORT:
            return (
                "REDIS_URL is not the bench's own Redis on this machine "
                f"(the shared one, port {SHARED_REDIS_PORT}, is never restarted)"
            )
    return ""


def run(name, harness, say):
    reason = missing(name)
    if reason:
        say(f"  skipped: {reason}")
        return Outcome(name, SWITCHED_ON[name], result=f"skipped: {reason}", ok=None)
    fault = {"database_restarted": backends_terminate, "redis_restarted": redis_restart}[name]
    return _mid_sync(harness, name, fault, say)


def _mid_sync(h, name, fault, say):
    outcome = Outcome(name, SWITCHED_ON[name])
    fired = []

    def hook(number):
        if not fired and h.sync_request(number, AFTER_REQUESTS):
            fired.append(fault())

    work = Work(since=_now())
    h.wire.hook = hook
    broke = ""
    try:
        h.work(work=work)
    except Exception as exc:  # the round broke off where the fault hit it
        broke = f"{type(exc).__name__}: {str(exc)[:120]}"
        say(f"    the round broke off: {broke}")
    finally:
        h.wire.hook = None
    connections.close_all()  # as a new task starts: fresh connections
    h.workers.drain()
    outcome = h.check(outcome, work, h.recover(work))
    outcome.result = (
        f"{fired[0] if fired else 'the fault never fired'}; "
        + (f"the round broke off ({broke}); " if broke else "")
        + outcome.result
    )
    if not fired:
        outcome.ok = False
    return outcome


def _now():
    from django.utils import timezone

    return timezone.now()


def backends_terminate():
    """Cut every other connection to the bench's databases (as a restart of PostgreSQL would)."""
    names = sorted({str(connections[alias].settings_dict["NAME"]) for alias in ("default", "sandbox")})
    with _admin_connection() as conn:
        cut = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
            [names],
        ).fetchone()[0]
    return f"{cut} connection(s) cut"


def redis_restart():
    """SHUTDOWN NOSAVE the bench's own Redis and start it again on the same port."""
    parts = urlsplit(settings.REDIS_URL)
    port = parts.port or 6379
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], check=False, capture_output=True)  # noqa: S603, S607
    started = time.monotonic()
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        capture_output=True,
    )
    for _ in range(50):
        ping = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True)  # noqa: S603, S607
        if ping.stdout.strip() == "PONG":
            break
        time.sleep(0.1)
    return f"Redis on port {port} down and up again in {time.monotonic() - started:.1f} s"


def backend_terminate(pid):
    """Cut one connection (its backend `pid`) from another; True when PostgreSQL did."""
    with _admin_connection() as conn:
        return bool(conn.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0])


def _admin_connection():
    import psycopg

    params = connections["default"].get_connection_params()
    wanted = {k: v for k, v in params.items() if k in ("user", "password", "host", "port")}
    return psycopg.connect(dbname="postgres", **wanted)
