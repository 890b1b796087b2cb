"""`bench sync`: a full first sync of the seeded sandbox's first workspace, as its Owner.

The sync is the product's: the orchestrator runs its plan through a WebWorkClient whose limiter is
the shared database one (`rate_limiter_for`), over httpx's WSGI transport into this Django, which
serves the sandbox. The client's limiter and the sandbox's limit are equal (`--rate` requests per
`--window` seconds), so the sync is only as fast as the limit allows, and a 429 would mean the
limiter let a request through that WebWork would refuse.

Figures: the plan's request count (the cheapest documented way to fetch every dataset; each
step's estimate frozen when it started), the requests made (retries included), their ratio, the
429s, what the naive plan (`/time-entries` per member per date) would cost, wall seconds, rows
mirrored, and the mirror's row counts beside the sandbox's.

`bench_steady` then runs one cycle of each scheduled scope (queues, recent, incremental) on the
synced mirror: what each costs, planned and made, and what the default schedule spends an hour,
as a share of the per-minute budget.
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from ..connections import connection_from_personal_token, workspace_client
from ..models import (
    Contract,
    Expense,
    LeaveRequest,
    Member,
    Project,
    ProjectViewer,
    RunningTracker,
    Task,
    TimeEntry,
    TimeRequest,
    Timesheet,
    Workspace,
)
from ..ratelimit import rate_limiter_for
from ..schedules import SCHEDULES
from ..services.workspaces import workspace_connect
from ..sync import orchestrator
from ..sync.plan import recent_days
from .environment import sandbox_required
from .report import Table, load_average

MADE_PER_PLANNED = 1.05


@dataclass
class World:
    """A seeded sandbox and the Clockroom workspace connected to its first workspace."""

    workspace: Workspace
    sandbox_workspace: object  # sandbox_side.SandboxWorkspace
    transport: object
    scale: str
    seed: int

    def client(self):
        """A client as the syncs get it: the workspace's connection, its user's shared limiter."""
        return workspace_client(self.workspace)


def world_prepare(*, scale, seed, transport, say):
    """Seed the sandbox, connect its first workspace's Owner with a personal access token."""
    sandbox_required()
    from . import sandbox_side  # the harness; only with the sandbox on

    say(f"Seeding the sandbox (scale {scale}, seed {seed})...")
    started = time.monotonic()
    sandbox_side.seed(scale=scale, seed=seed)
    say(f"  seeded in {time.monotonic() - started:.1f} s")
    target = sandbox_side.first_workspace()
    token = sandbox_side.personal_token(target.owner_email)
    connection = connection_from_personal_token(token=token)
    # As `webwork_connect` does: registers the webhook and queues a first sync (no worker runs it
    # here; the bench runs the sync itself).
    workspace = workspace_connect(
        workspace=Workspace.objects.get(webwork_id=target.webwork_id),
        connection=connection,
    )
    # Connecting asks WebWork whose token it is before it knows whose budget to spend: one request
    # our limiter never counted. Let the window it opened close before measuring.
    time.sleep(client_window(connection.webwork_user_id))
    return World(workspace, target, transport, scale, seed)


def client_window(webwork_user_id):
    """The client limiter's window in seconds: the configured one and its safety margin."""
    return rate_limiter_for(webwork_user_id).period


def mirror_counts(workspace, *, date_from, date_to):
    def current(model, **filters):
        return model.objects.current().filter(workspace=workspace, **filters).count()

    return {
        "members": current(Member),
        "project viewers": current(ProjectViewer),
        "projects": current(Project),
        "tasks": current(Task),
        "contracts": current(Contract),
        # Finished entries: a running tracker's open entry is counted as a running tracker.
        "time entries": current(TimeEntry, end_time__isnull=False, date__gte=date_from, date__lte=date_to),
        "running trackers": current(RunningTracker),
        "timesheets": current(Timesheet),
        "time requests": current(TimeRequest),
        "leave requests": current(LeaveRequest),
        "expenses": current(Expense),
    }


def bench_sync(world: World, *, rate, window, say, verbose=False):
    """Run the first sync of `world` and return its Table."""
    from . import sandbox_side

    def progress(plan, step, event):
        if verbose and event == "end":
            say(f"  {step.name}: {step.done} of {step.planned} planned requests, {step.status}")

    say(f"Syncing {world.workspace.name} (a full first sync)...")
    started = time.monotonic()
    result = orchestrator.workspace_sync(world.workspace, kind="full", progress=progress)
    wall = time.monotonic() - started
    plan = result.plan
    made, refused, waited = result.requests_sent, result.rate_limited, result.waited_seconds
    planned = plan.requests_planned if plan else 0
    naive = plan.naive_requests if plan else 0
    failed = [step for step in (plan.steps if plan else []) if step.status == "failed"]

    table = Table(
        f"bench sync: scale {world.scale}, seed {world.seed}, {world.workspace.name} "
        f"(WebWork id {world.workspace.webwork_id})",
    )
    margin = client_window(world.workspace.owner_webwork_id or 0) - window
    table.note(
        f"limit: {rate} requests per {window} s window, client and sandbox alike "
        f"(the client adds {margin:g} s to its window); load average {load_average()}"
    )
    table.add("requests planned", planned)
    table.add("requests made", made)
    ratio = made / planned if planned else float("inf")
    table.add("made / planned", f"{ratio:.3f}", f"<= {MADE_PER_PLANNED}", ratio <= MADE_PER_PLANNED)
    table.add("429 answers", refused, "0", refused == 0)
    table.add("naive plan (/time-entries per member per date)", naive)
    table.add("naive / planned", f"{naive / planned:.1f}" if planned else "n/a")
    table.add("steps failed", len(failed), "0", not failed)
    table.add("sync status", result.status, orchestrator.DONE, result.status == orchestrator.DONE)
    table.add("wall seconds", f"{wall:.1f}")
    table.add("limiter waits (s)", f"{waited:.1f}")
    table.add("requests per second", f"{made / wall:.1f}" if wall else "n/a")
    table.add("rows mirrored (created + updated + removed)", result.rows)
    dates, made_for = attendance_share(plan)
    table.add("of the requests made: attendance (dates)", f"{made_for} ({dates})")

    if plan is not None:
        date_from, date_to = plan.today - timedelta(plan.history_days), plan.today
        ours = mirror_counts(world.workspace, date_from=date_from, date_to=date_to)
        theirs = sandbox_side.row_counts(world.workspace.webwork_id, date_from=date_from, date_to=date_to)
        table.note(
            f"mirror vs sandbox: rows of {world.workspace.name}, time entries of {date_from}..{date_to}"
        )
        for name, count in theirs.items():
            table.add(
                f"mirror / sandbox: {name}", f"{ours[name]:,} / {count:,}", "equal", ours[name] == count
            )
    for step in failed:
        say(f"  failed: {step.name}: {step.error}")
    return table


def attendance_share(plan):
    """(dates, requests made) of a plan's attendance steps (the daily-attendance report)."""
    steps = [step for step in (plan.steps if plan else []) if step.resource == "attendance"]
    return sum(len(step.dates()) for step in steps), sum(step.done for step in steps)


WEBWORK_BUDGET_PER_MINUTE = 60  # WebWork's documented limit per user

# The schedules' scopes and their tasks (how often each runs: integrations/schedules.py).
CYCLES = (
    ("queues", "integrations.tasks.sync_queues_all_task"),
    ("recent", "integrations.tasks.sync_recent_all_task"),
    ("incremental", "integrations.tasks.sync_incremental_all_task"),
)


def runs_per_hour(func):
    spec = next(spec for spec in SCHEDULES if spec["func"] == func)
    if spec["minutes"]:
        return 60 / spec["minutes"]
    return 1  # hourly


def bench_steady(world: World, *, rate, window, say):
    """One cycle of each scheduled scope on the mirror a first sync filled; returns its Table."""
    table = Table(f"bench sync, steady state: one cycle of each schedule, {world.workspace.name}")
    table.note(
        f"after the first sync; limit {rate} requests per {window} s; the share is of WebWork's "
        f"{WEBWORK_BUDGET_PER_MINUTE} requests a minute per user; recent window {recent_days()} days; "
        f"load average {load_average()}"
    )
    per_hour = attendance_per_hour = 0.0
    for kind, func in CYCLES:
        say(f"One {kind} cycle of {world.workspace.name}...")
        started = time.monotonic()
        result = orchestrator.workspace_sync(world.workspace, kind=kind)
        wall = time.monotonic() - started
        made, refused = result.requests_sent, result.rate_limited
        planned = result.plan.requests_planned if result.plan else 0
        ratio = made / planned if planned else float("inf")
        hourly = runs_per_hour(func)
        per_hour += made * hourly
        dates, attendance_made = attendance_share(result.plan)
        attendance_per_hour += attendance_made * hourly
        table.add(f"{kind}: requests planned / made", f"{planned} / {made}")
        table.add(
            f"{kind}: made / planned", f"{ratio:.3f}", f"<= {MADE_PER_PLANNED}", ratio <= MADE_PER_PLANNED
        )
        table.add(f"{kind}: 429 answers", refused, "0", refused == 0)
        table.add(f"{kind}: steps failed", len(result.errors), "0", not result.errors)
        table.add(f"{kind}: wall seconds", f"{wall:.1f}")
        table.add(f"{kind}: runs an hour", f"{hourly:g}")
        table.add(f"{kind}: of which attendance (dates)", f"{attendance_made} ({dates})")
    budget_per_hour = WEBWORK_BUDGET_PER_MINUTE * 60
    table.add("requests an hour, default schedule", f"{per_hour:,.0f}")
    table.add("share of the per-minute budget", f"{per_hour / budget_per_hour:.1%}")
    table.add("of which attendance, requests an hour", f"{attendance_per_hour:,.0f}")
    return table
