"""`bench faults`: WebWork and our own processes failing while syncs, webhooks and approvals run.

Each scenario switches one fault on, runs a round of work through it, switches it off, lets the
system recover (WebWork retries its webhook deliveries, the bulk decisions' tasks run again, and
ONE normal sync runs, an incremental one as the hourly schedule's), and then checks:

* convergence: the mirror equals the sandbox for every resource (convergence.py, field by field);
* no approval applied twice: WebWork accepted at most one decision request per object (every
  decision request is counted on the wire), and every bulk item's result agrees with WebWork;
* no audit event doubled: no two audit events record the same change of the same object;
* every failure visible on Sync health: each failed sync step has its failed SyncRun on the page,
  each delivery that could not be applied is counted as failed there, and a sync a killed worker
  left behind reads "interrupted".

A round of work: members of the workspace do what they do in WebWork (the sandbox's simulator,
plus a member's title and a project's name changed, so that webhooks flow), the manager decides
some timesheets, time requests and leave requests (a bulk approval, a bulk rejection with a
reason, and one single approval through the services), and a "recent" sync runs. The tasks those
queue (webhook deliveries, their processing, bulk decisions) run on worker threads beside the
sync, as a cluster's workers would.

API and webhook faults are switched through the sandbox's control endpoints
(/sandbox/control/faults, /sandbox/control/tokens/expire) over HTTP. The process-level
scenarios (a qcluster killed mid-sync, Redis restarted, the database restarted) need
PostgreSQL and Redis and run real subprocesses (process_faults.py); elsewhere they are skipped
and the table says why.
"""

import contextlib
import logging
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connections
from django.test.utils import override_settings
from django.utils import timezone

from ..connections import connection_from_oauth
from ..models import (
    AuditEvent,
    BulkDecision,
    BulkDecisionItem,
    Connection,
    LeaveRequest,
    SyncRun,
    TimeRequest,
    Timesheet,
    WebhookDelivery,
    Workspace,
)
from ..services import approvals
from ..services.base import ServiceError
from ..services.time_requests import time_request_approve
from ..services.workspaces import workspace_connect
from ..sync import orchestrator
from ..webwork import oauth
from .environment import HOST, SANDBOX_API, in_process_wire, sandbox_required
from .report import Table, load_average

logger = logging.getLogger(__name__)

CONTROL = f"https://{HOST}/sandbox/control"
DECISION_PATH = re.compile(r"/(timesheets|time-requests|leaves)/([^/]+)/(approve|reject)$")
ACTIVITY_STEPS = {"small": 6, "medium": 12, "large": 20}
DECIDE_AT_MOST = {"small": 2, "medium": 4, "large": 6}
REJECT_REASON = "Please split the hours by project."


# --- The scenarios' results ------------------------------------------------------------------


@dataclass
class Outcome:
    """One line of docs/reliability.md: what was switched on, what was checked, the result."""

    scenario: str
    switched_on: str
    checked: str = ""
    result: str = ""
    ok: bool | None = None  # None: skipped
    problems: list = field(default_factory=list)

    @property
    def skipped(self):
        return self.ok is None


@dataclass
class Work:
    """What a round of work did while the fault was on."""

    since: object
    syncs: list = field(default_factory=list)  # SyncResults
    bulks: list = field(default_factory=list)  # BulkDecision ids
    singles: list = field(default_factory=list)  # (what, webwork id, "done" | refusal)
    activity: int = 0


# --- The wire: decision requests counted -----------------------------------------------------


class Wire(httpx.BaseTransport):
    """The in-process wire to the sandbox, counting every decision request and its answer
    (`decisions`: [(object path, status)]), and calling `hook(n)` before the n-th request."""

    def __init__(self, inner):
        self.inner = inner
        self.lock = threading.Lock()
        self.sent = 0
        self.decisions = []
        self.statuses = Counter()  # answers by HTTP status
        self.hook = None

    def handle_request(self, request):
        with self.lock:
            self.sent += 1
            number = self.sent
        hook = self.hook
        if hook is not None:
            hook(number)
        response = self.inner.handle_request(request)
        with self.lock:
            self.statuses[response.status_code] += 1
        found = DECISION_PATH.search(request.url.path) if request.method == "PUT" else None
        if found:
            with self.lock:
                self.decisions.append(
                    (f"{found.group(1)}/{found.group(2)}", found.group(3), response.status_code)
                )
        return response

    def accepted(self):
        """{object path: decision requests WebWork accepted}."""
        with self.lock:
            return Counter(path for path, _verb, status in self.decisions if 200 <= status < 300)


# --- A live server for what WebWork posts and for OAuth2 (requests, not httpx) ---------------


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def _closing(app):
    """`app`, closing the thread's database connections after each request: the in-process wire
    keeps Django from closing them itself (see environment.in_process_transport), and each request
    here runs on a thread of its own that ends with it."""

    def application(environ, start_response):
        try:
            yield from app(environ, start_response)
        finally:
            connections.close_all()

    return application


class LiveServer:
    """This Django on 127.0.0.1 (a free port) in threads: the sandbox posts its webhook deliveries
    to our intake here, and the OAuth2 token refresh (requests-oauthlib) reaches the sandbox here."""

    def __init__(self, port=0):
        self.server = make_server(
            "127.0.0.1",
            port,
            _closing(get_wsgi_application()),
            server_class=_ThreadingServer,
            handler_class=_QuietHandler,
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="bench-live-server", daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# --- Workers: the queued tasks run on threads ------------------------------------------------


class Workers:
    """Runs what django-q2 queues (on the ORM broker) on a few threads, as a cluster's workers:
    webhook deliveries, their processing, bulk decisions. `drain()` waits until nothing is left."""

    def __init__(self, threads=3):
        self.threads = threads
        self.stop = threading.Event()
        self.hold = threading.Event()
        self.holding = set()  # the threads holding off while `hold` is set
        self.busy = 0
        self.busy_lock = threading.Lock()
        self.pool = []
        self.errors = []

    def __enter__(self):
        for number in range(self.threads):
            thread = threading.Thread(target=self._loop, name=f"bench-worker-{number}", daemon=True)
            thread.start()
            self.pool.append(thread)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.pool:
            thread.join(timeout=30)

    @contextlib.contextmanager
    def paused(self, timeout=60):
        """Leave the queue alone meanwhile (a real qcluster takes what is queued): returns once
        every thread has finished what it was doing and is holding off."""
        self.hold.set()
        try:
            deadline = time.monotonic() + timeout
            while len(self.holding) < self.threads and time.monotonic() < deadline:
                time.sleep(0.05)
            yield
        finally:
            self.hold.clear()

    def _loop(self):
        from django_q.brokers import get_broker

        broker = get_broker()
        try:
            name = threading.current_thread().name
            while not self.stop.is_set():
                if self.hold.is_set():
                    self.holding.add(name)
                    time.sleep(0.05)
                    continue
                self.holding.discard(name)
                if not self._one(broker):
                    time.sleep(0.05)
        finally:
            connections.close_all()

    def _one(self, broker):
        try:
            found = broker.dequeue()
        except Exception:  # a busy database: try again
            logger.debug("dequeue failed", exc_info=True)
            return False
        if not found:
            return False
        with self.busy_lock:
            self.busy += 1
        try:
            self._run(broker, found)
        finally:
            with self.busy_lock:
                self.busy -= 1
        return True

    def _run(self, broker, found):
        from django.utils.module_loading import import_string
        from django_q.signing import SignedPackage

        for ack_id, payload in found:
            broker.acknowledge(ack_id)
            task = SignedPackage.loads(payload)
            try:
                import_string(task["func"])(*task.get("args", ()), **task.get("kwargs", {}))
            except Exception as exc:
                logger.warning("A queued task failed: %s", exc, exc_info=True)
                self.errors.append(f"{task['func']}: {exc}")
            finally:
                connections.close_all()  # as a cluster's worker does between tasks

    def drain(self, timeout=120):
        """Wait until the queue is empty and no worker holds a task."""
        from django_q.brokers import get_broker

        broker = get_broker()
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            with self.busy_lock:
                busy = self.busy
            waiting = broker.queue_size()
            quiet = quiet + 1 if not waiting and busy == 0 else 0
            if quiet >= 3:
                return True
            time.sleep(0.1)
        return False


# --- The harness ------------------------------------------------------------------------------


@dataclass
class Harness:
    workspace: Workspace
    actor: object  # the Owner's Django user, who decides
    wire: Wire
    server: LiveServer
    workers: Workers
    scale: str
    seed: int
    say: object
    rng: random.Random
    sync_from: int | None = None  # the wire's count when the round's sync started

    def sync_request(self, number, nth):
        """Whether request `number` on the wire is the round's sync's `nth` or later."""
        return self.sync_from is not None and number >= self.sync_from + nth

    # --- the sandbox's controls, over HTTP ---

    def _control(self, method, path, body=None):
        with httpx.Client(transport=self.wire.inner, base_url=CONTROL, timeout=30) as client:
            response = client.request(method, path, json=body)
        response.raise_for_status()
        return response.json().get("data")

    def faults_set(self, **values):
        return self._control("PUT", "/faults", values)

    def faults_clear(self):
        return self._control("DELETE", "/faults")

    def tokens_expire(self):
        return self._control("POST", "/tokens/expire")["expired"]

    # --- a round of work ---

    def work(self, *, sync_kind="recent", work=None):
        """Activity at WebWork, decisions through Clockroom, a sync: all while the fault is on.
        `work`: the Work to fill in (its caller keeps what was done should the round break off)."""
        from . import sandbox_side

        work = work or Work(since=timezone.now())
        self.sync_from = None
        with self.timed("changes at WebWork"):
            work.activity = sandbox_side.activity(
                self.workspace.webwork_id, steps=ACTIVITY_STEPS.get(self.scale, 6), rng=self.rng
            )
        with self.timed("decisions"):
            self._decide(work)
        self.sync_from = self.wire.sent  # the hooks count the sync's requests from here
        with self.timed(f"a {sync_kind} sync"):
            work.syncs.append(orchestrator.workspace_sync(self.workspace, kind=sync_kind))
        with self.timed("the queued tasks"):
            self.workers.drain()
        return work

    @contextlib.contextmanager
    def timed(self, what):
        started = time.monotonic()
        yield
        self.say(f"    {what}: {time.monotonic() - started:.1f} s")

    def _decide(self, work):
        most = DECIDE_AT_MOST.get(self.scale, 2)
        current = {"workspace": self.workspace}
        sheets = list(Timesheet.objects.current().filter(**current, status="submitted").order_by("pk")[:most])
        if sheets:
            bulk = approvals.bulk_decision_start(
                workspace=self.workspace,
                actor=self.actor,
                kind=BulkDecision.Kind.TIMESHEET,
                verb=BulkDecision.Verb.APPROVE,
                items=sheets,
            )
            work.bulks.append(bulk.pk)
        leaves = list(
            LeaveRequest.objects.current().filter(**current, status="pending").order_by("pk")[:most]
        )
        if leaves:
            bulk = approvals.bulk_decision_start(
                workspace=self.workspace,
                actor=self.actor,
                kind=BulkDecision.Kind.LEAVE,
                verb=BulkDecision.Verb.REJECT,
                items=leaves,
                reason=REJECT_REASON,
            )
            work.bulks.append(bulk.pk)
        request = TimeRequest.objects.current().filter(**current, status="pending").order_by("pk").first()
        if request is not None:
            try:
                time_request_approve(workspace=self.workspace, actor=self.actor, time_request=request)
                work.singles.append(("time request", request.webwork_id, "done"))
            except ServiceError as exc:
                work.singles.append(("time request", request.webwork_id, exc.message))

    # --- recovery, once the fault is off ---

    def recover(self, work):
        """WebWork retries what it could not deliver, the bulk decisions' tasks run again, and one
        normal (incremental) sync runs. Returns that sync's result."""
        from . import sandbox_side

        with self.timed("recovery: WebWork's retries, the bulk decisions again"):
            sandbox_side.deliveries_retry()
            self.workers.drain()
            for bulk_id in work.bulks:
                approvals.bulk_decision_run(bulk_id=bulk_id)
            self.workers.drain()
        with self.timed("recovery: one incremental sync"):
            result = orchestrator.workspace_sync(self.workspace, kind="incremental")
            self.workers.drain()
        return result

    # --- the checks ---

    def check(self, outcome, work, recovery):
        from . import convergence, sandbox_side

        problems = []
        if recovery.status != orchestrator.DONE or recovery.errors:
            problems.append(
                f"the normal sync afterwards: {recovery.status}; {'; '.join(recovery.errors)[:300]}"
            )
        for name in convergence.CHECKS:
            problems += convergence.differences(name, self.workspace)
        twice = {path: n for path, n in self.wire.accepted().items() if n > 1}
        problems += [f"decision applied {n} times: {path}" for path, n in twice.items()]
        problems += self._bulk_results(work, sandbox_side)
        doubled = audit_doubled(self.workspace, since=work.since)
        problems += [f"audit event doubled: {line}" for line in doubled]
        failures, hidden = failures_hidden(self.workspace, work)
        problems += hidden
        items = BulkDecisionItem.objects.filter(bulk_id__in=work.bulks)
        decided = items.filter(status=BulkDecisionItem.Status.DONE).count()
        refused = items.filter(status=BulkDecisionItem.Status.REFUSED).count()
        outcome.checked = (
            f"mirror = sandbox ({len(convergence.CHECKS)} resources), decisions accepted once, "
            f"{AuditEvent.objects.filter(workspace=self.workspace, created_at__gte=work.since).count()} "
            "audit events not doubled, failures on Sync health"
        )
        outcome.problems = problems
        outcome.ok = not problems
        during = work.syncs[0] if work.syncs else None
        sent_during = (
            f"the sync {during.status}, {during.requests_sent} requests, {during.rate_limited} x 429, "
            if during
            else ""
        )
        outcome.result = (
            ("converged" if outcome.ok else f"{len(problems)} problem(s): " + "; ".join(problems[:3]))
            + f" | during the fault: {sent_during}{failures} failure(s), all on Sync health" * (not hidden)
            + (f", {len(hidden)} not on Sync health" if hidden else "")
            + f"; decisions: {decided} done, {refused} refused, "
            f"{sum(1 for s in work.singles if s[2] == 'done')}/{len(work.singles)} single"
            + f"; {work.activity} changes at WebWork"
            + f"; webhooks: {self._webhooks(work, sandbox_side)}"
        )
        return outcome

    def _webhooks(self, work, sandbox_side):
        theirs = sandbox_side.deliveries_since(work.since)
        ours = Counter(
            WebhookDelivery.objects.filter(workspace=self.workspace, received_at__gte=work.since).values_list(
                "status", flat=True
            )
        )
        return (
            f"{theirs['made']} sent, {theirs['dropped']} dropped, {theirs['duplicates']} sent twice; "
            f"received {sum(ours.values())}: {ours.get('processed', 0)} applied, "
            f"{ours.get('ignored', 0)} ignored (copies, stale), {ours.get('failed', 0)} failed"
        )

    def _bulk_results(self, work, sandbox_side):
        """Every bulk item's result agrees with WebWork: done means WebWork has the decision's
        outcome; refused means WebWork never accepted our request for it."""
        accepted = self.wire.accepted()
        problems = []
        for bulk in BulkDecision.objects.filter(pk__in=work.bulks):
            spec = approvals.KINDS[bulk.kind]
            outcome = spec.decisions.steps[bulk.verb].outcome
            path = {"timesheet": "timesheets", "time_request": "time-requests", "leave": "leaves"}[bulk.kind]
            for item in bulk.items.all():
                status = sandbox_side.status_of(bulk.kind, item.object_id)
                if item.status == BulkDecisionItem.Status.DONE and status != outcome:
                    problems.append(f"{bulk.kind} {item.object_id}: done in Clockroom, {status} in WebWork")
                if item.status == BulkDecisionItem.Status.REFUSED and accepted.get(
                    f"{path}/{item.object_id}"
                ):
                    problems.append(
                        f"{bulk.kind} {item.object_id}: shown as refused ({item.message[:80]}), "
                        "but WebWork accepted the decision"
                    )
                if item.status == BulkDecisionItem.Status.PENDING:
                    problems.append(f"{bulk.kind} {item.object_id}: still waiting after recovery")
        return problems


def audit_doubled(workspace, *, since):
    """Audit events since `since` recording the same change of the same object twice: the same
    action, status before and after, one right after the other for that object."""
    events = AuditEvent.objects.filter(workspace=workspace, created_at__gte=since, outcome="done").order_by(
        "object_type", "object_id", "created_at", "pk"
    )
    doubled = []
    last = {}
    for event in events:
        key = (event.object_type, event.object_id)
        change = (event.action, _status(event.before), _status(event.after))
        if last.get(key) == change:
            doubled.append(
                f"{event.object_type} {event.object_id} {event.action} ({event.get_source_display()})"
            )
        last[key] = change
    return doubled


def _status(snapshot):
    return snapshot.get("status") if isinstance(snapshot, dict) else None


def failures_hidden(workspace, work):
    """(failures while the fault was on, [failures the Sync health page does not show])."""
    from dashboard.selectors.sync import sync_health_for_workspace

    health = sync_health_for_workspace(workspace=workspace)
    # The page lists every run, newest first, 50 a page: a failed run of the round may be on a
    # later page by the time the recovery's sync has run, and is on the page all the same.
    listed = health.runs.paginator.object_list.filter(
        status=SyncRun.Status.FAILED, started_at__gte=work.since
    )
    shown_runs = {
        (run.resource, run.pk)
        for run in [*listed, *health.last_runs]
        if run.status == SyncRun.Status.FAILED and run.started_at >= work.since
    }
    shown_resources = Counter(resource for resource, _pk in shown_runs)
    hidden = []
    failed_steps = [
        step for result in work.syncs if result.plan for step in result.plan.steps if step.status == "failed"
    ]
    for step in failed_steps:
        if not shown_resources.get(step.resource):
            hidden.append(f"the failed step {step.name} has no failed run on Sync health")
    failed_deliveries = WebhookDelivery.objects.filter(
        workspace=workspace, received_at__gte=work.since, status=WebhookDelivery.Status.FAILED
    ).count()
    if failed_deliveries > health.deliveries.failed:
        hidden.append(f"{failed_deliveries - health.deliveries.failed} failed deliveries not counted")
    return len(failed_steps) + failed_deliveries, hidden


# --- The scenarios ------------------------------------------------------------------------------


def _with_fault(h, name, switched_on, faults, *, hook=None):
    outcome = Outcome(name, switched_on)
    h.faults_set(**faults) if faults else None
    h.wire.hook = hook
    try:
        work = h.work()
    finally:
        h.wire.hook = None
        h.faults_clear()
    return h.check(outcome, work, h.recover(work))


def scenario_server_errors(h):
    return _with_fault(h, "server_errors", "500 on 50% of API answers", {"server_error_rate": 0.5})


def scenario_rate_limit_storm(h):
    return _with_fault(
        h, "rate_limit_storm", "429 (Retry-After 1 s) on 50% of API answers", {"rate_limit_rate": 0.5}
    )


def scenario_slow_and_timeouts(h):
    return _with_fault(
        h,
        "slow_and_timeouts",
        "every answer 150 ms late; 20% hang 1 s and answer 504",
        {"latency_ms": 150, "timeout_rate": 0.2, "timeout_seconds": 1},
    )


def scenario_token_expiry(h):
    """The OAuth2 access token expires at WebWork after the round's 5th request: the client meets a
    401, refreshes the token (over HTTP, under the connection's row lock) and goes on."""
    fired = []

    def expire(number):
        if not fired and h.sync_request(number, 5):
            fired.append(h.tokens_expire())

    outcome = _with_fault(
        h, "token_expiry", "the access token expires mid-sync (after 5 requests)", {}, hook=expire
    )
    connection = Connection.objects.get(pk=h.workspace.sync_connection_id)
    if not fired or not fired[0]:
        outcome.problems.append("no access token was expired")
    if connection.needs_sign_in:
        outcome.problems.append(f"the connection needs sign-in: {connection.last_error}")
    if connection.refreshed_at is None:
        outcome.problems.append("the token was never refreshed")
    outcome.ok = not outcome.problems
    outcome.result = ("refreshed; " if outcome.ok else "") + outcome.result
    return outcome


def scenario_webhooks_dropped(h):
    return _with_fault(h, "webhooks_dropped", "50% of webhook deliveries dropped", {"webhook_drop_rate": 0.5})


def scenario_webhooks_duplicated(h):
    return _with_fault(
        h,
        "webhooks_duplicated",
        "every webhook delivery sent twice (same event id)",
        {"webhook_duplicate_rate": 1},
    )


def scenario_webhooks_reordered(h):
    return _with_fault(
        h,
        "webhooks_reordered",
        "each delivery held back 0-5 s at random, 3 workers sending",
        {"webhook_reorder": True},
    )


IN_PROCESS = {
    "server_errors": scenario_server_errors,
    "rate_limit_storm": scenario_rate_limit_storm,
    "slow_and_timeouts": scenario_slow_and_timeouts,
    "token_expiry": scenario_token_expiry,
    "webhooks_dropped": scenario_webhooks_dropped,
    "webhooks_duplicated": scenario_webhooks_duplicated,
    "webhooks_reordered": scenario_webhooks_reordered,
}
PROCESS_LEVEL = ("qcluster_killed", "redis_restarted", "database_restarted")
SCENARIOS = (*IN_PROCESS, *PROCESS_LEVEL)


def scenarios_parse(text):
    """ "a,b,c" -> the scenarios named, in the bench's order; ValueError naming an unknown one."""
    if not text:
        return list(SCENARIOS)
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in SCENARIOS]
    if unknown:
        raise ValueError(f"Unknown scenario(s): {', '.join(unknown)}; known: {', '.join(SCENARIOS)}.")
    return [name for name in SCENARIOS if name in wanted]


# --- Preparing the world and running ------------------------------------------------------------


@dataclass
class Environment:
    server: LiveServer
    wire: Wire
    workers: Workers
    app: object  # sandbox_side.OAuthApp: Clockroom's OAuth2 app at the sandbox


@contextlib.contextmanager
def environment():
    """The sandbox reached in process through a counting wire, a live server for webhooks and
    OAuth2, Clockroom's OAuth2 app registered at the sandbox, and workers for the queued tasks."""
    sandbox_required()
    from django_q.conf import Conf

    from . import sandbox_side

    with LiveServer() as server, in_process_wire() as inner:
        wire = Wire(inner)
        app = sandbox_side.oauth_application(f"{server.url}/accounts/webwork/callback/")
        with (
            override_settings(
                WEBWORK_HTTP_TRANSPORT=wire,
                ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "127.0.0.1", HOST],
                WEBWORK_PUBLIC_BASE_URL=server.url,
                WEBWORK_OAUTH_AUTHORIZE_URL=f"{server.url}/sandbox/oauth/authorize",
                WEBWORK_OAUTH_TOKEN_URL=f"{server.url}/sandbox/oauth/token",
                WEBWORK_OAUTH_CLIENT_ID=app.client_id,
                WEBWORK_OAUTH_CLIENT_SECRET=app.secret,
                WEBWORK_API_BASE_URL=SANDBOX_API,
            ),
            _queued_tasks(Conf),
            Workers() as workers,
        ):
            try:
                yield Environment(server, wire, workers, app)
            finally:
                close_old_connections()


def connect(env, *, owner_email, webwork_id, scale, seed, say):
    """The sandbox workspace `webwork_id` connected by `owner_email` through OAuth2 (with a
    refresh token), our webhook registered at the live server, its first (full) sync done.
    Returns the Harness."""
    from . import sandbox_side

    grant = sandbox_side.oauth_tokens(owner_email, env.app)
    connection = connection_from_oauth(
        token=oauth.TokenSet(
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_in=grant.expires_in,
            scope=grant.scope,
        )
    )
    workspace = workspace_connect(
        workspace=Workspace.objects.get(webwork_id=webwork_id), connection=connection
    )
    env.workers.drain()  # the first sync it queued runs on a worker
    say(f"Connected {workspace.name}; its first sync...")
    started = time.monotonic()
    orchestrator.workspace_sync(workspace, kind="full")
    say(f"  done in {time.monotonic() - started:.0f} s")
    workspace.refresh_from_db()
    return Harness(
        workspace=workspace,
        actor=connection.user,
        wire=env.wire,
        server=env.server,
        workers=env.workers,
        scale=scale,
        seed=seed,
        say=say,
        rng=random.Random(seed),
    )


@contextlib.contextmanager
def harness(*, scale, seed, say):
    """A seeded sandbox whose first workspace is connected (see `connect`)."""
    sandbox_required()
    from . import sandbox_side

    say(f"Seeding the sandbox (scale {scale}, seed {seed})...")
    sandbox_side.seed(scale=scale, seed=seed)
    with environment() as env:
        target = sandbox_side.first_workspace()
        yield connect(
            env, owner_email=target.owner_email, webwork_id=target.webwork_id, scale=scale, seed=seed, say=say
        )


@contextlib.contextmanager
def _queued_tasks(conf):
    """Tasks go to the ORM broker's queue (the bench's workers take them), never inline."""
    before = conf.SYNC
    conf.SYNC = False
    try:
        yield
    finally:
        conf.SYNC = before


def run_scenarios(h, names, say):
    outcomes = []
    for name in names:
        if name in PROCESS_LEVEL:
            from . import process_faults

            say(f"Scenario {name}...")
            outcome = process_faults.run(name, h, say)
            for problem in outcome.problems[:20]:
                say(f"    {problem}")
            outcomes.append(outcome)
            continue
        say(f"Scenario {name}...")
        started = time.monotonic()
        outcome = IN_PROCESS[name](h)
        say(f"  {'ok' if outcome.ok else 'PROBLEMS'} in {time.monotonic() - started:.0f} s: {outcome.result}")
        for problem in outcome.problems[:20]:
            say(f"    {problem}")
        outcomes.append(outcome)
    return outcomes


def bench_faults(*, scenarios, scale, seed, say):
    """Run `scenarios` (names) and return the Table, one row per scenario."""
    started = time.monotonic()
    with harness(scale=scale, seed=seed, say=say) as h:
        outcomes = run_scenarios(h, scenarios, say)
    return faults_table(outcomes, scale=scale, seconds=time.monotonic() - started)


def faults_table(outcomes, *, scale, seconds):
    engine = connections["default"].vendor
    table = Table(f"bench faults: scale {scale}, {engine}, {len(outcomes)} scenario(s) in {seconds:.0f} s")
    table.note(
        "after each fault: WebWork retries its deliveries, the bulk decisions run again, one incremental "
        "sync; then mirror = sandbox, no decision twice, no audit event doubled; "
        f"load average {load_average()}"
    )
    for outcome in outcomes:
        verdict = "skipped" if outcome.skipped else ("converged" if outcome.ok else "PROBLEMS")
        table.add(
            f"{outcome.scenario}: {outcome.switched_on}",
            verdict,
            "converged",
            None if outcome.skipped else outcome.ok,
        )
    for outcome in outcomes:
        table.note(f"{outcome.scenario}: {outcome.result}")
    return table


def elapsed(since):
    return (timezone.now() - since) / timedelta(seconds=1)
