"""`bench faults`: the scenarios whose fault is a process, not an answer.

* database_restarted: every other connection to the bench's own databases is cut with
  pg_terminate_backend in the middle of a sync, as a PostgreSQL restart does (the shared
  PostgreSQL cluster is never restarted). PostgreSQL only.
* redis_restarted: the Redis at REDIS_URL (the bench's own: never port 6390, the shared one)
  is shut down without saving and started again in the middle of a sync: the rate windows, the
  sync lock and django-q2's queue are lost. Needs REDIS_URL on 127.0.0.1.
* qcluster_killed: a real `manage.py qcluster` on the bench's databases (and its REDIS_URL, when
  set) takes a full sync of the workspace from the queue and is killed with SIGKILL, its whole
  process group, in the middle of a step once the sync has recorded a few. Its lock is never given back: the
  workspace's next sync waits for the lease to run out (two minutes at least), then takes the
  lock over, and the step the killed worker left running shows on Sync health as interrupted.

Each runs the same round of work as the in-process scenarios (faults.py) and the same checks;
the fault is switched on from the wire's hook once the round's sync has sent a few requests.
Elsewhere each is skipped and its row says why.
"""

import os
import signal
import subprocess
import sys
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
    if name == "qcluster_killed" and connections["default"].vendor not in ("postgresql", "sqlite"):
        return "needs PostgreSQL or SQLite files a second process can open"
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
    if name == "qcluster_killed":
        return qcluster_killed(harness, say)
    fault = {"database_restarted": backends_terminate, "redis_restarted": redis_restart}[name]
    return _mid_sync(harness, name, fault, say)


# --- a qcluster killed mid-sync ---------------------------------------------------------------

STEPS_BEFORE_KILL = 3  # steps the killed sync has recorded (SyncRuns) when the SIGKILL comes
LEASE_WAIT = 300  # seconds at most for the killed sync's lease to run out
KILL_LATENCY_MS = 1000  # the sandbox's answers meanwhile: a step lasts long enough to be cut


def _database_url(alias):
    params = connections[alias].settings_dict
    if connections[alias].vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    host, port = params["HOST"] or "127.0.0.1", params["PORT"] or 5432
    return f"postgresql://{params['USER']}:{params['PASSWORD']}@{host}:{port}/{params['NAME']}"


def qcluster_start(h):
    """`manage.py qcluster` in a process group of its own, on the bench's databases, reaching the
    sandbox over HTTP at the bench's live server as the bench's own code does in process."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url("default"),
        "SANDBOX_DATABASE_URL": _database_url("sandbox"),
        "WEBWORK_PUBLIC_BASE_URL": h.server.url,
        "WEBWORK_API_BASE_URL": f"{h.server.url}/sandbox/api/v2",
        "WEBWORK_OAUTH_AUTHORIZE_URL": str(settings.WEBWORK_OAUTH_AUTHORIZE_URL),
        "WEBWORK_OAUTH_TOKEN_URL": str(settings.WEBWORK_OAUTH_TOKEN_URL),
        "WEBWORK_OAUTH_CLIENT_ID": str(settings.WEBWORK_OAUTH_CLIENT_ID),
        "WEBWORK_OAUTH_CLIENT_SECRET": str(settings.WEBWORK_OAUTH_CLIENT_SECRET),
        "Q_WORKERS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def qcluster_killed(h, say):
    """Activity and decisions at WebWork, then a full sync taken by a real qcluster, killed with
    SIGKILL in the middle of a step once the sync has recorded STEPS_BEFORE_KILL; once its lease
    runs out, the recovery (WebWork's retries, the decisions, one incremental sync) and the checks."""
    from django_q.tasks import async_task

    from ..models import SyncRun, SyncState
    from .faults import Work

    outcome = Outcome("qcluster_killed", SWITCHED_ON["qcluster_killed"])
    work = Work(since=_now())
    h.work(work=work)  # the round's activity and decisions, and its own sync, before the fault
    cluster = qcluster_start(h)
    fired, orphans, held, waited = "", [], False, 0.0
    running = SyncRun.objects.filter(workspace=h.workspace, status=SyncRun.Status.RUNNING)
    try:
        # Nothing else takes the queue or the lock until the killed sync's lease has run out.
        with h.workers.paused():
            # Each answer a second late, so that the SIGKILL lands in the middle of a step.
            h.faults_set(latency_ms=KILL_LATENCY_MS)
            started = _now()
            async_task(
                "integrations.tasks.workspace_sync_task",
                h.workspace.pk,
                "full",
                task_name=f"full sync of workspace {h.workspace.pk} (to be killed)",
            )
            deadline = time.monotonic() + 180
            steps = 0
            while time.monotonic() < deadline and cluster.poll() is None:
                runs = SyncRun.objects.filter(workspace=h.workspace, started_at__gte=started)
                steps = runs.count()
                if steps >= STEPS_BEFORE_KILL and runs.filter(status=SyncRun.Status.RUNNING).exists():
                    os.killpg(cluster.pid, signal.SIGKILL)
                    cluster.wait(timeout=30)
                    fired = f"the qcluster killed in the middle of step {steps} of a full sync"
                    say(f"    {fired}")
                    break
                time.sleep(0.05)
            h.faults_clear()
            orphans = list(running.values_list("pk", flat=True))
            if fired:
                state = SyncState.objects.get(workspace=h.workspace)
                until = state.locked_until
                held = bool(state.locked_by) and until is not None and until > _now()
                wait_started = time.monotonic()
                while time.monotonic() - wait_started < LEASE_WAIT:
                    state.refresh_from_db()
                    if not state.locked_by or state.locked_until is None or state.locked_until <= _now():
                        break
                    time.sleep(1)
                waited = time.monotonic() - wait_started
                say(f"    the killed sync's lease ran out after {waited:.0f} s")
    finally:
        if cluster.poll() is None:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait(timeout=30)
    if not fired:
        outcome.ok = False
        outcome.result = "the fault never fired: the qcluster's sync did not start in 3 minutes"
        return outcome
    say(f"    steps the killed worker left running: {len(orphans)}")
    connections.close_all()
    outcome = h.check(outcome, work, h.recover(work))
    left = running.count()
    interrupted = SyncRun.objects.filter(pk__in=orphans, error__startswith="Interrupted").count()
    if left:
        outcome.problems.append(f"{left} step(s) still shown running on Sync health")
        outcome.ok = False
    if interrupted < len(orphans):
        shown = SyncRun.objects.filter(pk__in=orphans).values_list("resource", "status", "error")
        outcome.problems.append(
            f"{len(orphans) - interrupted} step(s) the killed worker left are not shown as interrupted: "
            + "; ".join(f"{resource} {status} {error[:80]!r}" for resource, status, error in shown)
        )
        outcome.ok = False
    outcome.result = (
        f"{fired}; its lock {'held' if held else 'not held'} until its lease ran out ({waited:.0f} s), "
        f"{interrupted} of {len(orphans)} step(s) it left running shown interrupted; " + outcome.result
    )
    return outcome


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
