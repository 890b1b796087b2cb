"""`bench hosted`: Clockroom as it is hosted, with real processes on PostgreSQL + Redis.

The run makes its own PostgreSQL databases (dropped afterwards) and keeps its Redis keys under its
own prefix. It seeds the sandbox with `--orgs` organisations (one Owner each, small and medium
teams: integrations/sandbox/seeding/organisations.py), starts gunicorn (deploy/gunicorn.conf.py,
4 workers, serving the dashboard and the sandbox) and 3 `manage.py qcluster` processes on one
Redis broker, waits for /readyz, and connects every Owner with an OAuth token the sandbox issued
to Clockroom's registered application (as a sign-in does: `connection_from_oauth`, then
`connection_workspaces_connect`, which registers the webhook and queues the front and the first
sync). The client talks HTTP to the sandbox in gunicorn, and the sandbox delivers its webhooks to
gunicorn. Then, by part (`--parts`):

* first-sync: every workspace's first sync complete; how long after connecting each workspace's
  approval queues were usable (its first front refresh), against 2 rate windows;
* steady: `--minutes` with the sandbox's simulation on every organisation; the oldest age of any
  workspace's approval queues and "working now" (one front refresh does both), the requests per
  WebWork user per window (the sandbox limiter's own counters, sampled), the 429 answers (the
  sandbox API's answers in gunicorn's access log);
* webhooks: `--deliveries` deliveries across the organisations from 16 concurrent senders against
  gunicorn: stored per second, acknowledgement p50/p95, delay to the mirror, and counts proving
  each delivery stored once and processed once;
* pages: `--managers` managers (locust, integrations/bench/locustfile.py) browsing and approving
  in their organisations for `--pages-seconds`: throughput, p50/p95/p99, errors, and every answer
  read for another organisation's name or addresses.

The processes are stopped (SIGTERM, then SIGKILL after 20 s) at the end, on an error or Ctrl-C.
Their logs stay in var/bench_hosted/ until the next run.
"""

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
from django.conf import settings
from django.db import close_old_connections, connections
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from ..models import SyncState, WebhookDelivery, Workspace
from .environment import BenchSetupError
from .report import Table, load_average, median, percentile

GUNICORN_WORKERS = 4
QCLUSTERS = 3
Q_WORKERS = 5  # per cluster, by default (--q-workers): 15 workers in all
# Back-lane syncs at once across the clusters (--slots): the other workers stay for the fronts (200
# workspaces a minute), webhooks and managers' bulk decisions.
SYNC_SLOTS = 6
SENDERS = 16  # concurrent webhook senders
SANDBOX_WORKERS = 4  # the sandbox's own gunicorn, with --sandbox-apart
READY_SECONDS = 60
STOP_SECONDS = 20
FRONT_TARGET_SECONDS = 120  # the oldest approval queue / "working now" in steady state
PARTS = ("first-sync", "steady", "webhooks", "pages")
LOG_DIR_NAME = "bench_hosted"
SIMULATED_ACTIONS_PER_ORG_MINUTE = 1.0


class Processes:
    """gunicorn and the qclusters as subprocesses, each in its own process group; `stop()` ends them."""

    def __init__(self, *, env, log_dir, say):
        self.env, self.log_dir, self.say = env, log_dir, say
        self.running = []  # (name, Popen, log file)

    def start(self, name, argv, env=None):
        log = open(self.log_dir / f"{name}.log", "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(  # noqa: S603 - our own commands
            argv,
            cwd=settings.BASE_DIR,
            env=env or self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches the bench only; stop() ends these
        )
        self.running.append((name, process, log))
        return process

    def check(self):
        for name, process, _log in self.running:
            if process.poll() is not None:
                raise BenchSetupError(
                    f"{name} stopped with status {process.returncode}; see {self.log_dir / name}.log"
                )

    def stop(self):
        # SIGTERM to each main process (gunicorn's arbiter, the cluster's sentinel), which stops its
        # own workers; the whole group is killed only if that takes too long.
        for _name, process, _log in self.running:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for name, process, log in self.running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"  {name} did not stop within {STOP_SECONDS} s: killed")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # a worker its parent left behind
            log.close()
        self.running = []


def _database_url(alias):
    config = connections[alias].settings_dict
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise BenchSetupError(
            f"`bench hosted` runs on PostgreSQL: DATABASE_URL and SANDBOX_DATABASE_URL must be "
            f"postgresql://... URLs (the {alias!r} database is {config['ENGINE']})."
        )
    user = quote(config.get("USER") or "", safe="")
    password = quote(config.get("PASSWORD") or "", safe="")
    host, port = config.get("HOST") or "127.0.0.1", config.get("PORT") or 5432
    return f"postgresql://{user}:{password}@{host}:{port}/{config['NAME']}"


def hosted_required():
    """Refuse unless the run can be hosted-shaped here: PostgreSQL for both aliases, Redis, sandbox."""
    if not settings.WEBWORK_SANDBOX:
        raise BenchSetupError("`bench hosted` needs the sandbox: run it with WEBWORK_SANDBOX=1.")
    if not settings.REDIS_URL:
        raise BenchSetupError(
            "`bench hosted` runs on one Redis broker: set REDIS_URL (a database of your own, e.g. "
            "redis://127.0.0.1:6390/7) and REDIS_KEY_PREFIX."
        )
    for alias in ("default", "sandbox"):
        if connections[alias].settings_dict["ENGINE"] != "django.db.backends.postgresql":
            raise BenchSetupError(
                "`bench hosted` runs on PostgreSQL: set DATABASE_URL and SANDBOX_DATABASE_URL to "
                "postgresql://... URLs (the run makes and drops databases of its own beside them)."
            )


def process_env(*, port, rate, window, q_workers, slots, webwork_base=None):
    """The environment of gunicorn and the qclusters: this run's databases, Redis and limits.
    `webwork_base`: where the sandbox (WebWork) answers, when not on this gunicorn."""
    base = f"http://127.0.0.1:{port}"
    webwork_base = webwork_base or base
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": _database_url("default"),
            "SANDBOX_DATABASE_URL": _database_url("sandbox"),
            "REDIS_URL": settings.REDIS_URL,
            "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
            "DJANGO_ENV_FILE": "",
            "DJANGO_DEBUG": "0",
            # Sessions made here are signed with the key every process shares.
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_CSRF_TRUSTED_ORIGINS": base,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "DJANGO_LOG_FORMAT": "json",
            "DJANGO_LOG_LEVEL": "INFO",
            "WEBWORK_SANDBOX": "1",
            "WEBWORK_PUBLIC_BASE_URL": base,
            "WEBWORK_API_BASE_URL": f"{webwork_base}/sandbox/api/v2",
            "WEBWORK_OAUTH_AUTHORIZE_URL": f"{webwork_base}/sandbox/oauth/authorize",
            "WEBWORK_OAUTH_TOKEN_URL": f"{webwork_base}/sandbox/oauth/token",
            "WEBWORK_RATE_LIMIT_PER_MINUTE": str(rate),
            "WEBWORK_RATE_LIMIT_PERIOD_SECONDS": str(window),
            "SANDBOX_RATE_LIMIT_PER_MINUTE": str(rate),
            "SANDBOX_RATE_LIMIT_WINDOW_SECONDS": str(window),
            "WEBWORK_SYNC_SLOTS": str(slots),
            "PORT": str(port),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(GUNICORN_WORKERS),
            "Q_WORKERS": str(q_workers),
            "PYTHONUNBUFFERED": "1",
        }
    )
    for name in [n for n in env if n.startswith("CLOCKROOM_TEST_")]:
        del env[name]
    return env


def wait_ready(base, processes, say):
    """Wait for /readyz (the database and the broker) to answer 200 and every qcluster to report
    to the broker."""
    from django_q.status import Stat

    deadline = time.monotonic() + READY_SECONDS
    ready = clusters = 0
    while time.monotonic() < deadline:
        processes.check()
        if not ready:
            with contextlib.suppress(httpx.HTTPError):
                ready = httpx.get(f"{base}/readyz", timeout=2).status_code == 200
        clusters = len(Stat.get_all())
        if ready and clusters >= QCLUSTERS:
            return
        time.sleep(0.5)
    raise BenchSetupError(
        f"Not ready after {READY_SECONDS} s: /readyz {'200' if ready else 'not 200'}, "
        f"{clusters} of {QCLUSTERS} qclusters reporting."
    )


# --- the world -----------------------------------------------------------------------------


def organisations_seed(*, orgs, seed, say):
    from integrations.sandbox.seeding.organisations import seed_organisations

    say(f"Seeding {orgs} organisations into the sandbox...")
    summary = seed_organisations(count=orgs, seed=seed, progress=say if orgs > 40 else None)
    say("  " + summary.lines()[0])
    return summary


def owners_connect(summary, *, say):
    """Sign every organisation's Owner in with an OAuth token of Clockroom's registered application
    and connect their workspace. Returns [(mirror Workspace, organisation number, seconds taken)]."""
    from integrations.sandbox import models as sandbox
    from integrations.sandbox.oauth.services import oauth_application_register
    from integrations.sandbox.seeding.organisations import organisation_number
    from integrations.sandbox.tokens import ALL_SCOPES, access_token_issue

    from ..connections import connection_from_oauth
    from ..services.workspaces import connection_workspaces_connect
    from ..webwork.oauth import TokenSet

    application, _secret = oauth_application_register(
        name="Clockroom (bench hosted)",
        redirect_uri=f"{settings.WEBWORK_PUBLIC_BASE_URL}/auth/webwork/callback/",
    )
    say(f"Connecting {len(summary.owners)} Owners (OAuth tokens, over HTTP to the sandbox in gunicorn)...")
    connected = []
    started = time.monotonic()
    for index, (sandbox_workspace_id, email) in enumerate(summary.owners):
        owner = sandbox.SandboxUser.objects.get(email=email)
        raw, _token = access_token_issue(user=owner, application=application, scope=ALL_SCOPES)
        began = time.monotonic()
        connection = connection_from_oauth(
            token=TokenSet(
                access_token=raw,
                refresh_token=None,
                expires_in=settings.SANDBOX_ACCESS_TOKEN_SECONDS,
                scope=ALL_SCOPES,
            )
        )
        for workspace in connection_workspaces_connect(connection=connection):
            if workspace.webwork_id == sandbox_workspace_id:
                connected.append((workspace, organisation_number(index), time.monotonic() - began))
        if (index + 1) % 50 == 0:
            say(f"  {index + 1} connected after {time.monotonic() - started:.0f} s")
    if len(connected) != len(summary.owners):
        raise BenchSetupError(f"Only {len(connected)} of {len(summary.owners)} workspaces connected.")
    return connected


# --- watching ------------------------------------------------------------------------------


class AccessLog:
    """gunicorn's JSON access lines: the sandbox API's answers and every 5xx, from a moment on."""

    def __init__(self, *paths):
        self.paths = paths

    def _lines(self):
        for path in self.paths:
            with contextlib.suppress(FileNotFoundError), open(path, encoding="utf-8") as handle:
                yield from handle

    def answers(self, since=None, until=None):
        counts = Counter()
        for line in self._lines():
            if '"gunicorn.access"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            at = datetime.fromisoformat(entry["time"])
            if (since and at < since) or (until and at > until):
                continue
            http = entry.get("http") or {}
            status, path = http.get("status"), http.get("path") or ""
            if path.startswith("/sandbox/api/"):
                counts["api"] += 1
                counts["api 429"] += status == 429
            counts["5xx"] += isinstance(status, int) and status >= 500
        return counts


class LimiterSampler(threading.Thread):
    """Reads the sandbox limiter's windows (RateLimitWindow) every `every` seconds: the highest count
    each WebWork user reached in each of its windows. Counts only grow within a window, so the
    highest sample is at most one poll short of the window's final count."""

    def __init__(self, every=0.5):
        super().__init__(daemon=True)
        self.every = every
        self.peaks = {}  # (user id, window start) -> highest count seen
        self.stopping = threading.Event()

    def run(self):
        from integrations.sandbox.models.control import RateLimitWindow

        try:
            while not self.stopping.is_set():
                for user_id, start, count in RateLimitWindow.objects.values_list(
                    "user_id", "window_start", "count"
                ):
                    key = (user_id, start)
                    self.peaks[key] = max(self.peaks.get(key, 0), count)
                self.stopping.wait(self.every)
        finally:
            connections.close_all()

    def stop(self):
        self.stopping.set()
        self.join()

    def peak(self):
        return max(self.peaks.values(), default=0)

    def windows(self):
        return len(self.peaks)

    def users(self):
        return len({user for user, _ in self.peaks})


class Simulation(threading.Thread):
    """The sandbox's simulation on every organisation: SIMULATED_ACTIONS_PER_ORG_MINUTE actions per
    organisation a minute (trackers started and stopped, timesheets submitted, time and leave
    asked, expenses filed), each through the sandbox's models, so its webhooks go out."""

    def __init__(self, workspace_ids, *, seed):
        super().__init__(daemon=True)
        self.workspace_ids = list(workspace_ids)
        self.rng = random.Random(seed)
        self.actions = 0
        self.stopping = threading.Event()

    def run(self):
        from integrations.sandbox.simulation import Simulator

        simulators = {
            pk: Simulator(rng=random.Random(self.rng.random()), workspace_id=pk) for pk in self.workspace_ids
        }
        pause = 60.0 / (SIMULATED_ACTIONS_PER_ORG_MINUTE * len(simulators))
        try:
            while not self.stopping.is_set():
                began = time.monotonic()
                with contextlib.suppress(Exception):  # a skipped step, as Simulator.run does
                    if simulators[self.rng.choice(self.workspace_ids)].step():
                        self.actions += 1
                self.stopping.wait(max(0.0, pause - (time.monotonic() - began)))
        finally:
            connections.close_all()

    def stop(self):
        self.stopping.set()
        self.join()


class FirstFronts(threading.Thread):
    """Notes when each workspace's front (its approval queues) was first refreshed: the first
    `queues_synced_at` seen, polled every `every` seconds from before the first connect (the front
    refreshes every minute, so the last one is not the first)."""

    def __init__(self, every=1.0):
        super().__init__(daemon=True)
        self.every = every
        self.first = {}  # mirror workspace pk -> its first queues_synced_at
        self.stopping = threading.Event()

    def run(self):
        try:
            while not self.stopping.is_set():
                rows = SyncState.objects.filter(queues_synced_at__isnull=False).exclude(
                    workspace_id__in=list(self.first)
                )
                for pk, at in rows.values_list("workspace_id", "queues_synced_at"):
                    self.first.setdefault(pk, at)
                self.stopping.wait(self.every)
        finally:
            connections.close_all()

    def stop(self):
        self.stopping.set()
        self.join()


def front_ages(workspace_ids, now=None):
    """Seconds since each workspace's front (approval queues, who is working now) was refreshed;
    None for one never refreshed."""
    now = now or timezone.now()
    rows = SyncState.objects.filter(workspace_id__in=workspace_ids).values_list(
        "workspace_id", "queues_synced_at"
    )
    seen = dict(rows)
    return {pk: (now - seen[pk]).total_seconds() if seen.get(pk) else None for pk in workspace_ids}


# --- the parts -----------------------------------------------------------------------------


def part_first_sync(connected, *, fronts, window, timeout, wait_first_syncs, access_log, say):
    """Wait for every workspace's front (and, with `wait_first_syncs`, its first sync); the Table.
    `fronts`: the FirstFronts watching since before the first connect (stopped here)."""
    ids = [workspace.pk for workspace, _org, _took in connected]
    began = timezone.now() if not connected else min(w.connected_at for w, _o, _t in connected)
    say(
        "Waiting for every workspace's approval queues"
        + (" and first sync..." if wait_first_syncs else "...")
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = SyncState.objects.filter(workspace_id__in=ids)
        usable = states.filter(queues_synced_at__isnull=False).count()
        firsts = states.filter(first_sync_ran_at__isnull=False).count()
        if usable == len(ids) and (firsts == len(ids) or not wait_first_syncs):
            break
        say(f"  queues usable {usable}/{len(ids)}, first syncs run {firsts}/{len(ids)}")
        time.sleep(5)
    states = {s.workspace_id: s for s in SyncState.objects.filter(workspace_id__in=ids)}
    workspaces = {w.pk: w for w in Workspace.objects.filter(pk__in=ids)}
    fronts.stop()
    to_queues = [
        (fronts.first[pk] - workspaces[pk].connected_at).total_seconds() for pk in ids if pk in fronts.first
    ]
    ran = [states[pk].first_sync_ran_at for pk in ids if states.get(pk) and states[pk].first_sync_ran_at]
    done = [states[pk].first_sync_done_at for pk in ids if states.get(pk) and states[pk].first_sync_done_at]
    errors = [pk for pk in ids if states.get(pk) and states[pk].last_error]
    table = Table(f"bench hosted, first sync: {len(ids)} workspaces connected")
    connect_seconds = [took for _w, _o, took in connected]
    table.add("connect (sign-in + webhook), median s per Owner", f"{median(connect_seconds):.2f}")
    table.add(
        "workspaces with usable approval queues",
        f"{len(to_queues)} / {len(ids)}",
        f"{len(ids)}",
        len(to_queues) == len(ids),
    )
    if to_queues:
        table.add("connected -> queues usable, median s", f"{median(to_queues):.1f}")
        worst = max(to_queues)
        table.add(
            "connected -> queues usable, slowest s",
            f"{worst:.1f}",
            f"<= {2 * window} (2 windows)",
            worst <= 2 * window and len(to_queues) == len(ids),
        )
    if wait_first_syncs:
        table.add(
            "first syncs run to their end", f"{len(ran)} / {len(ids)}", f"{len(ids)}", len(ran) == len(ids)
        )
        table.add("first syncs complete (nothing owed)", f"{len(done)} / {len(ids)}")
        if ran:
            table.add("first connect -> last first sync, s", f"{(max(ran) - began).total_seconds():.0f}")
    table.add("workspaces with a sync error", len(errors), "0", not errors)
    answers = access_log.answers(since=began)
    table.add("sandbox API requests", answers["api"])
    table.add("429 answers", answers["api 429"], "0", answers["api 429"] == 0)
    return table


def part_steady(connected, *, minutes, rate, window, access_log, say, seed):
    ids = [workspace.pk for workspace, _org, _took in connected]
    sandbox_ids = [workspace.webwork_id for workspace, _org, _took in connected]
    say(f"Steady state for {minutes:g} min with the simulation on {len(ids)} organisations...")
    sampler = LimiterSampler()
    simulation = Simulation(sandbox_ids, seed=seed)
    began = timezone.now()
    oldest, never = 0.0, 0
    sampler.start()
    simulation.start()
    try:
        deadline = time.monotonic() + minutes * 60
        next_say = time.monotonic()
        while time.monotonic() < deadline:
            ages = front_ages(ids)
            known = [age for age in ages.values() if age is not None]
            never = max(never, len(ages) - len(known))
            oldest = max([oldest, *known])
            if time.monotonic() >= next_say:
                say(
                    f"  oldest front now {max(known, default=0):.0f} s (worst so far {oldest:.0f} s), "
                    f"{simulation.actions} simulated actions, peak {sampler.peak()} requests in a window"
                )
                next_say = time.monotonic() + 60
            time.sleep(2)
    finally:
        simulation.stop()
        sampler.stop()
        close_old_connections()
    answers = access_log.answers(since=began)
    table = Table(f"bench hosted, steady state: {minutes:g} min, simulation on {len(ids)} organisations")
    table.note(
        f"{simulation.actions} simulated actions ({SIMULATED_ACTIONS_PER_ORG_MINUTE:g} per organisation a "
        "minute); the front refreshes the approval queues and who is working now together"
    )
    target = f"< {FRONT_TARGET_SECONDS}"
    table.add(
        "oldest approval queues / working now, s", f"{oldest:.0f}", target, oldest < FRONT_TARGET_SECONDS
    )
    table.add("workspaces never refreshed", never, "0", never == 0)
    peak = sampler.peak()
    table.add(
        f"requests per WebWork user per {window} s window, highest",
        peak,
        f"<= {rate}",
        peak <= rate,
    )
    table.add("windows sampled (users)", f"{sampler.windows():,} ({sampler.users()})")
    table.add("sandbox API requests", answers["api"])
    table.add("sandbox API requests per second", f"{answers['api'] / (minutes * 60):.1f}")
    table.add("429 answers", answers["api 429"], "0", answers["api 429"] == 0)
    table.add("5xx answers (any path)", answers["5xx"], "0", answers["5xx"] == 0)
    return table


def _delivery_body(workspace, contract, at):
    return {
        "id": str(uuid.uuid4()),
        "event": "tracker.started",
        "workspace_id": workspace.webwork_id,
        "webhook_id": workspace.webhook_webwork_id,
        "timestamp": at,
        "data": {
            "user_id": contract["user_id"],
            "user_name": contract["name"],
            "user_email": contract["email"],
            "contract_id": contract["id"],
            "project_id": contract["project_id"],
            "project_name": contract["project_name"],
            "task_id": None,
            "activity_description": "Webhook burst",
            "start_time": at,
        },
    }


def _contracts_by_workspace(sandbox_ids):
    from integrations.sandbox import models as sandbox

    found = defaultdict(list)
    rows = sandbox.Contract.objects.filter(workspace_id__in=sandbox_ids).values(
        "id",
        "workspace_id",
        "user_id",
        "project_id",
        "project__name",
        "user__firstname",
        "user__lastname",
        "user__email",
    )
    for row in rows:
        found[row["workspace_id"]].append(
            {
                "id": row["id"],
                "user_id": row["user_id"],
                "project_id": row["project_id"],
                "project_name": row["project__name"],
                "name": f"{row['user__firstname']} {row['user__lastname']}",
                "email": row["user__email"],
            }
        )
    return found


def part_webhooks(connected, *, deliveries, base, timeout, say):
    workspaces = [Workspace.objects.get(pk=w.pk) for w, _org, _took in connected]
    contracts = _contracts_by_workspace([w.webwork_id for w in workspaces])
    at = timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    planned = []
    for n in range(deliveries):
        workspace = workspaces[n % len(workspaces)]
        pool = contracts[workspace.webwork_id]
        body = _delivery_body(workspace, pool[(n // len(workspaces)) % len(pool)], at)
        path = reverse("webhooks:intake", args=[workspace.webhook_uuid])
        planned.append((path, workspace.webhook_token, body))
    event_ids = [body["id"] for _path, _token, body in planned]
    say(f"Sending {deliveries:,} webhook deliveries from {SENDERS} concurrent senders...")
    local = threading.local()

    def send(item):
        path, token, body = item
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, timeout=30)
        began = time.perf_counter()
        try:
            answer = client.post(path, json=body, headers={"X-Webhook-Token": token})
            status = answer.status_code
        except httpx.HTTPError:
            status = None
        return status, (time.perf_counter() - began) * 1000

    started = time.monotonic()
    with ThreadPoolExecutor(SENDERS) as pool:
        results = list(pool.map(send, planned))
    sent_seconds = time.monotonic() - started
    statuses = Counter(status for status, _ms in results)
    ms = [took for _status, took in results]
    say(f"  sent in {sent_seconds:.1f} s; waiting for the workers to process them...")
    ours = WebhookDelivery.objects.filter(event_id__in=event_ids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = ours.filter(status=WebhookDelivery.Status.RECEIVED).count()
        if not left:
            break
        say(f"  {left:,} still to process")
        time.sleep(3)
    processed_all = time.monotonic() - started
    rows = list(ours.values_list("event_id", "status", "attempts", "received_at", "processed_at"))
    stored_ids = Counter(event_id for event_id, *_ in rows)
    # Handled: applied to the mirror, or ignored as older than what the mirror holds (deliveries of
    # one member's tracker arrive out of order from concurrent senders).
    handled = (WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.IGNORED)
    processed = [row for row in rows if row[1] in handled]
    ignored = [row for row in rows if row[1] == WebhookDelivery.Status.IGNORED]
    once = [row for row in processed if row[2] == 1]
    failed = [row for row in rows if row[1] == WebhookDelivery.Status.FAILED]
    delays = [(row[4] - row[3]).total_seconds() for row in processed if row[4]]
    accepted = sum(count for status, count in statuses.items() if status and 200 <= status < 300)

    table = Table(
        f"bench hosted, webhooks: {deliveries:,} deliveries across {len(workspaces)} organisations, "
        f"{SENDERS} senders, {GUNICORN_WORKERS} gunicorn workers"
    )
    table.add("stored per second", f"{deliveries / sent_seconds:.0f}")
    table.add("acknowledgement p50 ms", f"{median(ms):.1f}")
    table.add("acknowledgement p95 ms", f"{percentile(ms, 0.95):.1f}")
    table.add("answered 2xx", f"{accepted:,}", f"{deliveries:,}", accepted == deliveries)
    other = {str(k): v for k, v in statuses.items() if not (k and 200 <= k < 300)}
    if other:
        table.add("other answers", json.dumps(other))
    stored_once = len(stored_ids) == deliveries and all(count == 1 for count in stored_ids.values())
    table.add(
        "stored, each once", f"{len(rows):,} rows, {len(stored_ids):,} events", f"{deliveries:,}", stored_once
    )
    table.add(
        "processed (of which ignored as stale)",
        f"{len(processed):,} ({len(ignored):,})",
        f"{deliveries:,}",
        len(processed) == deliveries,
    )
    table.add("processed at the first attempt", f"{len(once):,}", f"{deliveries:,}", len(once) == deliveries)
    table.add("failed", len(failed), "0", not failed)
    table.add("delay to the mirror p50 s", f"{median(delays):.1f}")
    table.add("delay to the mirror p95 s", f"{percentile(delays, 0.95):.1f}")
    table.add("delay to the mirror max s", f"{max(delays, default=0):.1f}")
    table.add("first sent -> last processed s", f"{processed_all:.0f}")
    return table


def _session_for(user):
    from importlib import import_module

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def managers_file(connected, *, managers, path):
    """The simulated managers: a session of each organisation's Owner, their workspace and number."""
    rows = []
    for n in range(managers):
        workspace, org, _took = connected[n % len(connected)]
        user = Workspace.objects.get(pk=workspace.pk).sync_connection.user
        rows.append(
            {
                "workspace_id": workspace.webwork_id,
                "org": org,
                "session_cookie": settings.SESSION_COOKIE_NAME,
                "csrf_cookie": settings.CSRF_COOKIE_NAME,
                "session_key": _session_for(user),
            }
        )
    path.write_text(json.dumps(rows), encoding="utf-8")
    return rows


def part_pages(connected, *, managers, seconds, base, log_dir, say):
    managers_path = log_dir / "managers.json"
    report_path = log_dir / "locust_report.json"
    managers_file(connected, managers=managers, path=managers_path)
    csv_prefix = log_dir / "locust"
    locust = Path(sys.executable).with_name("locust")
    argv = [
        str(locust),
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        "--users",
        str(managers),
        "--spawn-rate",
        str(max(1, managers // 5)),
        "--run-time",
        f"{seconds}s",
        "--host",
        base,
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
    ]
    env = {**os.environ, "HOSTED_MANAGERS": str(managers_path), "HOSTED_REPORT": str(report_path)}
    say(f"{managers} managers browsing and approving for {seconds} s (locust)...")
    with open(log_dir / "locust.log", "w", encoding="utf-8") as log:
        subprocess.run(  # noqa: S603 - our own command
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, check=False, timeout=seconds + 120
        )
    stats = _locust_stats(Path(f"{csv_prefix}_stats.csv"))
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    total = stats.get("Aggregated", {})
    table = Table(f"bench hosted, pages: {managers} managers (locust) for {seconds} s")
    table.note("each manager signed in to its own organisation; every answer read for another's names")
    count, failures = int(total.get("Request Count", 0)), int(total.get("Failure Count", 0))
    table.add("requests", f"{count:,}")
    table.add("requests per second", f"{float(total.get('Requests/s', 0)):.1f}")
    table.add("p50 ms", total.get("50%", "n/a"))
    table.add("p95 ms", total.get("95%", "n/a"))
    table.add("p99 ms", total.get("99%", "n/a"))
    table.add("errors", failures, "0", failures == 0 and count > 0)
    table.add("approvals made", report.get("approved", "n/a"))
    cross = report.get("cross_tenant")
    table.add(
        "answers showing another organisation",
        "n/a" if cross is None else f"{cross} of {report.get('answers_read', 0):,}",
        "0",
        cross == 0,
    )
    for name, row in sorted(stats.items()):
        if name != "Aggregated":
            table.add(f"  {name}: requests, p95 ms", f"{int(row['Request Count']):,}, {row['95%']}")
    if report.get("examples"):
        say(f"  another organisation's data seen: {report['examples']}")
    return table


def _locust_stats(path):
    import csv

    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


# --- the run -------------------------------------------------------------------------------


def bench_hosted(
    *,
    orgs,
    minutes,
    deliveries,
    managers,
    pages_seconds,
    parts,
    rate,
    window,
    port,
    seed,
    first_sync_timeout,
    say,
    show,
    q_workers,
    slots,
    sandbox_apart=False,
):
    """Run the chosen parts on the throwaway databases already made; returns their Tables.

    `sandbox_apart`: the sandbox (WebWork's stand-in) in a gunicorn of its own on `port` + 1, as
    WebWork is another server, instead of on the dashboard's workers."""
    hosted_required()
    base = f"http://127.0.0.1:{port}"
    webwork_base = f"http://127.0.0.1:{port + 1}" if sandbox_apart else base
    log_dir = Path(settings.VAR_DIR) / LOG_DIR_NAME
    log_dir.mkdir(parents=True, exist_ok=True)
    env = process_env(
        port=port, rate=rate, window=window, webwork_base=webwork_base, q_workers=q_workers, slots=slots
    )
    processes = Processes(env=env, log_dir=log_dir, say=say)
    access_log = AccessLog(log_dir / "gunicorn.log", log_dir / "gunicorn-webwork.log")
    (log_dir / "gunicorn-webwork.log").unlink(missing_ok=True)
    tables = []
    here = Path(sys.executable)
    shape = {
        "orgs": orgs,
        "rate": rate,
        "window": window,
        "sandbox_apart": sandbox_apart,
        "q_workers": q_workers,
        "slots": slots,
    }
    with override_settings(
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
        WEBWORK_PUBLIC_BASE_URL=base,
        WEBWORK_API_BASE_URL=f"{webwork_base}/sandbox/api/v2",
        WEBWORK_HTTP_TRANSPORT=None,
        WEBWORK_SYNC_SLOTS=slots,
    ):
        summary = organisations_seed(orgs=orgs, seed=seed, say=say)
        fronts = None
        try:
            say("Collecting static files (the release step: WhiteNoise serves them from the manifest)...")
            subprocess.run(  # noqa: S603 - our own command
                [str(here), "manage.py", "collectstatic", "--noinput", "-v", "0"],
                cwd=settings.BASE_DIR,
                env=env,
                check=True,
            )
            say(
                f"Starting gunicorn ({GUNICORN_WORKERS} workers, {base}) and {QCLUSTERS} qclusters "
                f"({q_workers} workers each, {slots} sync slots)..."
            )
            processes.start(
                "gunicorn",
                [str(here.with_name("gunicorn")), "--config", "deploy/gunicorn.conf.py", "config.wsgi"],
            )
            if sandbox_apart:
                say(f"  and the sandbox apart: gunicorn ({SANDBOX_WORKERS} workers, {webwork_base})")
                processes.start(
                    "gunicorn-webwork",
                    [str(here.with_name("gunicorn")), "--config", "deploy/gunicorn.conf.py", "config.wsgi"],
                    env={
                        **env,
                        "PORT": str(port + 1),
                        "GUNICORN_BIND": f"127.0.0.1:{port + 1}",
                        "GUNICORN_WORKERS": str(SANDBOX_WORKERS),
                    },
                )
            for n in range(QCLUSTERS):
                processes.start(f"qcluster-{n + 1}", [str(here), "manage.py", "qcluster"])
            wait_ready(base, processes, say)
            if sandbox_apart:
                wait_ready(webwork_base, processes, say)
            fronts = FirstFronts()
            fronts.start()
            connected = owners_connect(summary, say=say)
            table = part_first_sync(
                connected,
                fronts=fronts,
                window=window,
                timeout=first_sync_timeout,
                wait_first_syncs="first-sync" in parts,
                access_log=access_log,
                say=say,
            )
            if "first-sync" in parts:
                tables.append(table)
                show(_notes(table, **shape))
            processes.check()
            if "steady" in parts:
                tables.append(
                    part_steady(
                        connected,
                        minutes=minutes,
                        rate=rate,
                        window=window,
                        access_log=access_log,
                        say=say,
                        seed=seed,
                    )
                )
                show(_notes(tables[-1], **shape))
            processes.check()
            if "webhooks" in parts:
                tables.append(
                    part_webhooks(connected, deliveries=deliveries, base=base, timeout=900, say=say)
                )
                show(_notes(tables[-1], **shape))
            processes.check()
            if "pages" in parts:
                tables.append(
                    part_pages(
                        connected,
                        managers=managers,
                        seconds=pages_seconds,
                        base=base,
                        log_dir=log_dir,
                        say=say,
                    )
                )
                show(_notes(tables[-1], **shape))
            processes.check()
        finally:
            if fronts is not None and fronts.is_alive():
                fronts.stop()
            say("Stopping gunicorn and the qclusters...")
            processes.stop()
            close_old_connections()
            _redis_clean(say)
    return tables


def _notes(table, *, orgs, rate, window, sandbox_apart, q_workers, slots):
    """The run's shape under a table's title."""
    if window != 60:
        limit = (
            f"limit {rate} requests per {window} s window, client and sandbox alike (WebWork's 60 s "
            f"window shortened {60 / window:g} times)"
        )
    else:
        limit = f"WebWork's limit, {rate} requests per 60 s window"
    where = (
        f"the sandbox in its own gunicorn ({SANDBOX_WORKERS} workers)"
        if sandbox_apart
        else ("the sandbox on the same gunicorn workers")
    )
    table.note(f"{orgs} organisations; {limit}; {where}")
    table.note(
        f"{GUNICORN_WORKERS} gunicorn workers; {QCLUSTERS} qclusters of {q_workers} workers "
        f"({QCLUSTERS * q_workers} in all), {slots} of them at most on longer syncs"
    )
    table.note(f"load average {load_average()} (2 CPUs shared: compare within one run)")
    return table


def _redis_clean(say):
    """Forget this run's keys: the limiter's windows, the locks, and django-q2's queue on this database."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    removed = 0
    for pattern in (f"{settings.REDIS_KEY_PREFIX}*", f"{settings.Q_CLUSTER['name']}*", "django_q*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            removed += client.delete(*keys)
    say(f"  removed {removed} Redis keys of the run")
