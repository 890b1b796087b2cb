"""Page-shaped reads of the mirror, each for one workspace (`workspace=`): what the views render.

Selectors only read, and never reach WebWork: the pages show the mirror and the sync bookkeeping.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.connections import ConnectionUnavailableError, workspace_connection
from integrations.models import (
    Connection,
    LeaveRequest,
    Member,
    OwedSync,
    Project,
    RunningTracker,
    SyncRun,
    SyncState,
    TimeRequest,
    Timesheet,
    WebhookDelivery,
    Workspace,
    WorkspaceAccess,
)
from integrations.models.sync import SyncProgress

SYNC_RUNS_PER_PAGE = 50
UP_TO_DATE = "Up to date"
DELIVERY_WINDOW = timedelta(hours=24)

# What each kind of plan step is about, in a manager's words.
STEP_KIND_LABELS = {
    "queues": "approval queues",
    "now": "who is working now",
    "reference": "people, projects and settings",
    "recent": "recent weeks",
    "tasks": "tasks",
    "history": "history",
    "retry": "retries of what earlier syncs missed",
}

# Why a part of a sync failed, in a manager's words, by the error WebWork's answer raised.
FAILURE_REASONS = {
    "ServerError": "WebWork answered with a server error",
    "TransportError": "WebWork could not be reached, or did not answer in time",
    "RateLimitedError": "WebWork's request limit was reached",
    "ForbiddenError": "WebWork refused access to it",
    "NotFoundError": "WebWork did not find it",
    "ValidationError": "WebWork refused the request",
    "BadRequestError": "WebWork refused the request",
    "ConflictError": "WebWork refused the request",
    "AuthError": "WebWork refused the sign-in",
}


# --- the workspace home --------------------------------------------------------------------------


@dataclass
class MirrorCounts:
    """What the mirror holds now (rows WebWork still lists)."""

    members: int = 0
    projects: int = 0
    timesheets_submitted: int = 0
    time_requests_pending: int = 0
    leaves_pending: int = 0
    working_now: int = 0

    @property
    def approvals(self):
        return self.timesheets_submitted + self.time_requests_pending + self.leaves_pending


def current_count(model, *, outer_workspace="pk", **filters):
    """The number of `model` rows WebWork still lists for the outer query's workspace (its field
    `outer_workspace`), as a subquery."""
    counted = (
        model.objects.current()
        .filter(workspace=OuterRef(outer_workspace), **filters)
        .order_by()
        .values("workspace")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def mirror_counts_for_workspace(*, workspace) -> MirrorCounts:
    """Members, projects, the open approvals and who is working now, in one query."""
    counts = (
        Workspace.objects.filter(pk=workspace.pk)
        .annotate(
            members=current_count(Member),
            projects=current_count(Project),
            timesheets_submitted=current_count(Timesheet, status=Timesheet.Status.SUBMITTED),
            time_requests_pending=current_count(TimeRequest, status="pending"),
            leaves_pending=current_count(LeaveRequest, status="pending"),
            working_now=current_count(RunningTracker),
        )
        .values(
            "members",
            "projects",
            "timesheets_submitted",
            "time_requests_pending",
            "leaves_pending",
            "working_now",
        )
        .first()
    )
    return MirrorCounts(**(counts or {}))


@dataclass
class SyncConnection:
    """Whose WebWork sign-in the syncs of a workspace use, and whether it still works."""

    in_use: Connection | None  # the connection the next sync uses; None: syncs are paused
    configured: Connection | None  # the workspace's chosen sync connection

    @property
    def paused(self):
        return self.in_use is None

    @property
    def broken(self):
        """The chosen connection needs sign-in again (syncs may go on through another manager's)."""
        return self.configured is not None and self.configured.needs_sign_in

    def needs_attention_of_others(self, user):
        """A banner is due for `user`: the broken sign-in is someone else's (a user's own broken
        connections have their own banner, with the button to sign in again)."""
        if self.broken:
            return self.configured.user_id != user.pk
        return self.paused


def sync_connection_for_workspace(*, workspace) -> SyncConnection:
    configured = workspace.sync_connection  # cached on the workspace for workspace_connection()
    try:
        in_use = workspace_connection(workspace)
    except ConnectionUnavailableError:
        in_use = None
    return SyncConnection(in_use=in_use, configured=configured)


@dataclass
class SyncOverview:
    """The sync progress card: the current (or last) sync, its plan and the time left."""

    progress: SyncProgress
    connected: bool
    disconnected_at: object
    first_sync_done_at: object
    last_synced_at: object
    waiting: str | None  # "queued" | "continuing" | None (see SyncState.waiting)
    headline: str
    detail: str = ""
    owed: int = 0  # parts of the mirror the syncs could not read yet (see Sync health)
    steps: list = field(default_factory=list)

    @property
    def active(self):
        """A sync runs or is about to: the card refreshes itself."""
        return self.progress.running or self.waiting is not None

    @property
    def first_sync(self):
        return self.first_sync_done_at is None

    @property
    def time_left(self):
        return time_left_text(self.progress.seconds_left)

    @property
    def up_to_date(self):
        return self.headline == UP_TO_DATE


def sync_overview_for_workspace(*, workspace) -> SyncOverview:
    """Where the sync of `workspace` stands: one query for its SyncState (with how much is owed),
    none for WebWork."""
    owed = OwedSync.objects.filter(workspace=OuterRef("workspace")).order_by().values("workspace")
    state = (
        SyncState.objects.filter(workspace=workspace)
        .annotate(owed=Coalesce(Subquery(owed.annotate(n=Count("pk")).values("n")[:1]), Value(0)))
        .first()
    )
    # An unsaved, empty state reads as "idle" without asking the database again.
    progress = (state or SyncState(workspace=workspace)).progress()
    waiting = state.waiting() if state is not None and not progress.running else None
    first_done = state.first_sync_done_at if state is not None else None
    last_synced = state.finished_at if state is not None and progress.status != "running" else None
    overview = SyncOverview(
        progress=progress,
        connected=workspace.is_connected,
        disconnected_at=workspace.disconnected_at,
        first_sync_done_at=first_done,
        last_synced_at=last_synced,
        waiting=waiting,
        headline="",
        owed=state.owed if state is not None else 0,
        steps=[
            {**step, "kind_label": STEP_KIND_LABELS.get(step.get("kind"), step.get("kind", ""))}
            for step in progress.steps
        ],
    )
    overview.headline, overview.detail = _headline(overview)
    return overview


def _headline(overview):
    progress = overview.progress
    first = overview.first_sync
    status = progress.status
    if progress.running or (status == "partial" and overview.waiting):
        title = "First sync in progress" if first else "Sync in progress"
        if progress.current_step:
            return title, f"Now: {progress.current_step}."
        return title, "Between two steps; the sync continues shortly." if status == "partial" else ""
    if overview.disconnected_at:
        return "Disconnected", "Clockroom no longer syncs this workspace; its mirror shows it as it was."
    if status == "queued":
        title = "First sync queued" if first else "Sync queued"
        if overview.waiting:
            return title, "It starts as soon as a worker is free."
        return title, "No worker has started it for ten minutes: is the task cluster (qcluster) running?"
    if not overview.connected and status == "idle":
        return "Not connected yet", "No sync has run for this workspace yet."
    if status == "idle":
        return "No sync yet", "No sync has run for this workspace yet."
    if status == "stopped":
        return "Sync stopped", "WebWork refused the sign-in this workspace syncs with; see below."
    if status in ("interrupted", "partial"):
        return "Last sync interrupted", "The next scheduled sync picks up where it stopped."
    if first:
        return (
            "First sync not finished",
            "The approval queues are current; the rest follows with the next sync.",
        )
    if overview.owed:
        parts = f"{overview.owed} part{'s' if overview.owed != 1 else ''}"
        return (
            "Synced with gaps",
            f"WebWork did not answer for {parts} of this workspace; Clockroom tries again by itself. "
            "Sync health lists what and since when.",
        )
    if progress.last_error:
        return "Synced with errors", "Some resources could not be synced; the next sync tries them again."
    return UP_TO_DATE, ""


def time_left_text(seconds):
    """ "under a minute", "about 4 minutes", "about 2 h 5 min"."""
    seconds = max(0, int(seconds or 0))
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    return f"about {minutes // 60} h {minutes % 60} min"


# --- sync health -----------------------------------------------------------------------------


@dataclass
class DeliveryCounts:
    """Webhook deliveries received in the last 24 hours, by what became of them."""

    received: int = 0  # all of them
    processed: int = 0
    ignored: int = 0
    failed: int = 0
    waiting: int = 0  # stored, not processed yet
    last_received_at: object = None


@dataclass
class OwedPart:
    """A part of the mirror a sync could not read, retried by the next syncs until it succeeds."""

    label: str
    since: object
    attempts: int
    retry_at: object
    reason: str
    error: str

    @property
    def due(self):
        return self.retry_at <= timezone.now()


# More owed dates of time entries than this read as one line (a span of days).
OWED_DATES_LISTED = 3


def owed_parts_for_workspace(*, workspace) -> list[OwedPart]:
    """What the syncs of `workspace` still owe, oldest failure first; many owed dates of time
    entries as one part, the span of days they fall in."""
    rows = list(OwedSync.objects.filter(workspace=workspace).order_by("since", "pk"))
    dates = [row for row in rows if row.resource == "time_entries"]
    if len(dates) > OWED_DATES_LISTED:
        rows = [row for row in rows if row.resource != "time_entries"]
        parts = [_owed_part(row) for row in rows] + [_owed_dates(dates)]
        return sorted(parts, key=lambda part: part.since)
    return [_owed_part(row) for row in rows]


def _owed_part(row):
    return OwedPart(
        label=row.label,
        since=row.since,
        attempts=row.attempts,
        retry_at=row.retry_at,
        reason=failure_reason(row.last_error),
        error=row.last_error,
    )


def _owed_dates(rows):
    days = sorted(row.key for row in rows)
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    latest = max(rows, key=lambda row: row.since)
    return OwedPart(
        label=f"time entries of {len(days)} days between {first:%a} {first.day} {first:%b} "
        f"and {last:%a} {last.day} {last:%b %Y}",
        since=min(row.since for row in rows),
        attempts=max(row.attempts for row in rows),
        retry_at=min(row.retry_at for row in rows),
        reason=failure_reason(latest.last_error),
        error=latest.last_error,
    )


def failure_reason(error):
    """ "ServerError: GET tasks: ... (HTTP 500)" -> "WebWork answered with a server error"."""
    kind = (error or "").split(":", 1)[0].strip()
    return FAILURE_REASONS.get(kind, "Clockroom could not read WebWork's answer")


@dataclass
class SyncHealth:
    owed: list
    last_runs: list
    runs: object  # a Paginator page of SyncRuns, newest first
    deliveries: DeliveryCounts
    connection: SyncConnection
    webhook_registered: bool


def last_sync_runs_for_workspace(*, workspace):
    """The latest SyncRun of each resource, by resource name."""
    latest = SyncRun.objects.filter(workspace=workspace, resource=OuterRef("resource")).order_by(
        "-started_at", "-pk"
    )
    return list(
        SyncRun.objects.filter(workspace=workspace, pk=Subquery(latest.values("pk")[:1])).order_by("resource")
    )


def sync_runs_page_for_workspace(*, workspace, page=1):
    """One page of the workspace's SyncRuns, newest first (an out-of-range page gives the last)."""
    runs = SyncRun.objects.filter(workspace=workspace).order_by("-started_at", "-pk")
    return Paginator(runs, SYNC_RUNS_PER_PAGE).get_page(page)


def webhook_deliveries_for_workspace(*, workspace, now=None) -> DeliveryCounts:
    since = (now or timezone.now()) - DELIVERY_WINDOW
    Status = WebhookDelivery.Status
    counts = WebhookDelivery.objects.filter(workspace=workspace, received_at__gte=since).aggregate(
        received=Count("pk"),
        processed=Count("pk", filter=Q(status=Status.PROCESSED)),
        ignored=Count("pk", filter=Q(status=Status.IGNORED)),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        waiting=Count("pk", filter=Q(status=Status.RECEIVED)),
    )
    last = (
        WebhookDelivery.objects.filter(workspace=workspace)
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    return DeliveryCounts(**counts, last_received_at=last)


def sync_health_for_workspace(*, workspace, page=1) -> SyncHealth:
    return SyncHealth(
        owed=owed_parts_for_workspace(workspace=workspace),
        last_runs=last_sync_runs_for_workspace(workspace=workspace),
        runs=sync_runs_page_for_workspace(workspace=workspace, page=page),
        deliveries=webhook_deliveries_for_workspace(workspace=workspace),
        connection=sync_connection_for_workspace(workspace=workspace),
        webhook_registered=bool(workspace.webhook_webwork_id),
    )


# --- the signed-in user ------------------------------------------------------------------------


def workspace_accesses_for_user(user):
    """The user's WorkspaceAccess rows by workspace name, each with its workspace and the
    workspace's `member_count` and `project_count`, in one query."""
    return list(
        WorkspaceAccess.objects.filter(user=user)
        .select_related("workspace")
        .annotate(
            member_count=current_count(Member, outer_workspace="workspace"),
            project_count=current_count(Project, outer_workspace="workspace"),
        )
        .order_by("workspace__name", "workspace__webwork_id")
    )


def connections_needing_sign_in_for_user(user):
    """The user's own WebWork connections that WebWork no longer accepts (never their tokens)."""
    return list(
        Connection.objects.filter(user=user, status=Connection.Status.NEEDS_SIGN_IN).only(
            "pk", "email", "kind", "status", "last_error", "webwork_user_id"
        )
    )
