"""The sync plan: ordered steps, each with its request cost, in the order a manager needs them.

WebWork allows WEBWORK_RATE_LIMIT_PER_MINUTE requests a minute per user, so a sync is planned
by what it costs. Each step names one resource sync (`sync/<resource>.py`), its arguments,
and how many requests it will make, estimated from what the mirror already knows:

* a list costs one request per 100 rows (leave balances: per 20 members), at least one;
* time entries come from the daily timeline report: one request per date per 100 members
  (the naive way, `/time-entries`, costs one request per member per date);
* tasks cost one request per project (more for a project with over 100 tasks);
* attendance comes from the daily-attendance report: one request per date per 100 members, like
  the timeline (WebWork lists attendance nowhere else).

A first sync knows no list's size, so before the reference lists it reads the totals of the
big ones (contracts, timesheets, time requests, leaves, expenses) from a one-row page each;
later syncs count what the mirror holds.

The order (`STEP_KINDS`): the approval queues, then who is working now (today's timeline),
then the reference lists, then the recent window, then tasks, then history, then what earlier
syncs still owe. The recent window is what managers decide on and what changes late at
WebWork (an edited entry of last week, an approval, a deleted expense): the time entries of
the last WEBWORK_RECENT_DAYS days, the timesheets of the open and last few weeks, leave
balances, the attendance of recent dates, and the expenses, time requests and leaves of recent
weeks, re-read by every incremental and recent sync. Attendance: the recent and incremental
syncs read today's and yesterday's, where late arrivals and the day's edits show; the nightly
full sync reads the same dates as the time entries (today and the WEBWORK_RECENT_DAYS before
it), so a late edit of an older day shows the next morning. (The whole window every 15 minutes
would cost a 150-member workspace 130 requests an hour more; hourly, 26 more.) Older dates are
read when a manager asks for them (services/attendance.py).
In the history, the complete lists (all timesheets, time requests, leaves, expenses) go first
since they cost a request or two each, then the time entries older than the recent window, week
by week backwards.

A part of a step that failed is owed (see owed.py): every plan, whatever its scope, retries the
owed parts whose time has come, unless one of its own steps covers them.

Who is working now comes from today's timeline, which lists a running tracker as an open
entry; the same request brings today's entries up to date.

A plan is refined as it runs: before each step the estimates of the steps still to come are
computed again from the mirror as it is now (after the members step, the timeline's cost is
known; after the projects step, the tasks' cost), and a step's estimate is frozen when it
starts, so `requests_done / requests_planned` measures how good the plan was. The plan lives
in `SyncState.plan` as JSON so a page can show progress and the time left
(`sync_progress()`).
"""

import logging
import math
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import cached_property

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from .. import models
from ..models import Member, Project, SyncState, Task
from ..models.sync import SyncProgress
from ..webwork import errors
from ..webwork.payloads import today_in
from .attendance import sync_attendance
from .base import resource_run
from .contracts import sync_contracts
from .expenses import sync_expense_categories, sync_expenses
from .leaves import sync_leave_balances, sync_leave_policies, sync_leave_requests
from .members import sync_members
from .owed import covers, owed_due
from .project_tasks import sync_tasks
from .project_viewers import sync_project_viewers
from .projects import sync_projects
from .time_entries import sync_running_trackers, sync_time_entries
from .time_requests import sync_time_requests, time_request_window
from .timesheets import sync_timesheets
from .webhooks import sync_webhook_registrations

logger = logging.getLogger(__name__)

# The order steps run in: what a manager needs first.
STEP_KINDS = ("queues", "now", "reference", "recent", "tasks", "history", "retry")

# What a sync covers (every scope also retries what earlier syncs owe, when its time has come).
#   queues:      the approval queues, who is working now and the expenses of the last 14 days
#                (every minute: "the front", see scheduler.py)
#   recent:      who is working now and the recent window (every 15 minutes)
#   incremental: everything but the history (hourly); the first sync of a workspace is a full one
#   full:        everything, history included (nightly)
SYNC_KINDS = ("incremental", "queues", "recent", "full")

PAGE = 100  # rows per page of every list we read (the largest WebWork allows)
BALANCES_PAGE = 20  # GET /leaves/balances pages by 20 members and accepts no per_page
TIMELINE_PAGE = 100  # GET /reports/daily-timeline: members per page
TASK_CHUNK = 200  # projects per tasks step: a few minutes of requests at the rate limit
HISTORY_CHUNK_DAYS = 7
QUEUE_EXPENSE_DAYS = 14  # expenses the queues sync reads every minute
# The recent window besides the time entries (WEBWORK_RECENT_DAYS, see recent_days()):
RECENT_TIMESHEET_WEEKS = 4  # the open week's timesheets and the 4 weeks before it
RECENT_LIST_DAYS = 31  # expenses, time requests and leaves dated within the last 31 days...
UPCOMING_LEAVE_DAYS = 90  # ...and leaves of the next 90 days
MAX_HISTORY_DAYS = 365  # the daily timeline answers for the last year only
ATTENDANCE_FRESH_DAYS = 2  # the recent and incremental syncs' attendance: today and yesterday

# The whole lists whose size a first sync asks for: resource -> endpoint.
LIST_SIZES = "list_sizes"
SIZED_LISTS = {
    "contracts": "contracts",
    "timesheets": "timesheets",
    "time_requests": "time-requests",
    "leave_requests": "leaves",
    "expenses": "expenses",
}

# resource -> its sync function: every step of a plan names one of these.
SYNCS = {
    "timesheets": sync_timesheets,
    "time_requests": sync_time_requests,
    "leave_requests": sync_leave_requests,
    "time_entries": sync_time_entries,
    "running_trackers": sync_running_trackers,
    "members": sync_members,
    "projects": sync_projects,
    "contracts": sync_contracts,
    "project_viewers": sync_project_viewers,
    "leave_policies": sync_leave_policies,
    "expense_categories": sync_expense_categories,
    "expenses": sync_expenses,
    "webhooks": sync_webhook_registrations,
    "tasks": sync_tasks,
    "leave_balances": sync_leave_balances,
    "attendance": sync_attendance,
}
DATE_PARAMS = ("date_from", "date_to")


def sync_list_sizes(ctx, lists, today, sizes):
    """Fill `sizes` with {resource: total rows} of whole lists, from the pagination of a one-row
    page of each. Recorded as a SyncRun like any resource.

    A list whose answer has no total, or that fails (other than a refused token), is left out:
    its estimate stays what the mirror knows.
    """
    with resource_run(ctx, LIST_SIZES) as stats:
        for name in lists:
            params = {"workspace_id": ctx.workspace_id, "page": 1, "per_page": 1}
            if name == "time_requests":
                params.update({k: v.isoformat() for k, v in time_request_window(today).items()})
            try:
                result = ctx.client.get(SIZED_LISTS[name], params=params)
            except errors.AuthError:
                raise
            except errors.WebWorkError as exc:
                logger.warning(
                    "Could not read the size of %s in workspace %s: %s", name, ctx.workspace_id, exc
                )
                continue
            stats.pages += 1
            total = (result.pagination or {}).get("total")
            try:
                sizes[name] = max(0, int(total))
            except (TypeError, ValueError):
                continue
    return stats


@dataclass
class Step:
    name: str  # unique within a plan, stable across refinements
    kind: str  # one of STEP_KINDS
    resource: str  # a key of SYNCS
    params: dict = field(default_factory=dict)  # JSON-safe keyword arguments (dates as ISO strings)
    planned: int = 0  # requests it should cost (frozen when the step starts)
    naive: int = 0  # what the naive way would cost
    done: int = 0  # requests it made
    status: str = "pending"  # pending | running | done | failed
    error: str = ""
    created: int = 0
    updated: int = 0
    removed: int = 0

    @property
    def finished(self):
        return self.status in ("done", "failed")

    def call(self, ctx):
        """Run the step's resource sync; returns its RunStats."""
        return SYNCS[self.resource](ctx, **self.arguments())

    def arguments(self):
        arguments = {}
        for key, value in self.params.items():
            if key in DATE_PARAMS and value:
                value = date.fromisoformat(value)
            elif key == "dates":
                value = [date.fromisoformat(day) for day in value]
            arguments[key] = value
        return arguments

    def dates(self):
        return [date.fromisoformat(day) for day in self.params.get("dates", [])]


@dataclass
class Plan:
    scope: str  # queues | recent | incremental | full (a first sync is planned as full)
    today: date
    history_days: int
    resource: str = ""  # only this resource's steps (the command's --resource)
    first: bool = False  # the workspace's first sync: the mirror knows nothing, list sizes are asked
    sizes: dict = field(default_factory=dict)  # list -> total rows, as WebWork's pagination said
    steps: list[Step] = field(default_factory=list)

    @property
    def requests_planned(self):
        return sum(step.planned for step in self.steps)

    @property
    def requests_done(self):
        return sum(step.done for step in self.steps)

    @property
    def requests_remaining(self):
        return sum(step.planned for step in self.steps if not step.finished)

    @property
    def naive_requests(self):
        return sum(step.naive for step in self.steps)

    def pending(self):
        return [step for step in self.steps if not step.finished]

    def next_step(self):
        return next(iter(self.pending()), None)

    def refine(self, workspace):
        """Estimate the steps still to come again from what the mirror knows now.

        Finished and running steps keep their numbers; pending ones are planned afresh, which
        also turns the placeholder tasks step into one step per chunk of known projects.
        """
        kept = [step for step in self.steps if step.status != "pending"]
        names = {step.name for step in kept}
        fresh = build_steps(
            workspace, self.scope, self.today, self.history_days, self.resource, self.first, self.sizes
        )
        self.steps = kept + [step for step in fresh if step.name not in names]
        return self

    def to_json(self):
        return {
            "scope": self.scope,
            "today": self.today.isoformat(),
            "history_days": self.history_days,
            "resource": self.resource,
            "first": self.first,
            "sizes": self.sizes,
            "steps": [asdict(step) for step in self.steps],
            "requests_planned": self.requests_planned,
            "requests_done": self.requests_done,
            "naive_requests": self.naive_requests,
        }

    @classmethod
    def from_json(cls, data):
        fields = set(Step.__dataclass_fields__)
        return cls(
            scope=data["scope"],
            today=date.fromisoformat(data["today"]),
            history_days=int(data["history_days"]),
            resource=data.get("resource", ""),
            first=bool(data.get("first")),
            sizes=dict(data.get("sizes") or {}),
            steps=[Step(**{k: v for k, v in step.items() if k in fields}) for step in data.get("steps", [])],
        )


# --- building a plan -------------------------------------------------------------


def history_days():
    """How far back a full sync reaches (WEBWORK_HISTORY_DAYS, default 90; a year at most)."""
    days = int(settings.WEBWORK_HISTORY_DAYS)
    return max(0, min(days, MAX_HISTORY_DAYS))


def recent_days():
    """How many days before today every incremental and recent sync reads again
    (WEBWORK_RECENT_DAYS, default 14; within the history a full sync keeps)."""
    return max(0, min(int(settings.WEBWORK_RECENT_DAYS), history_days()))


def workspace_today(workspace):
    """Today in the workspace's timezone (WebWork's dates are the workspace's)."""
    return today_in(workspace.timezone)


def plan_build(workspace, kind="incremental", *, resource="", today=None, first=None):
    """The plan of a `kind` sync of `workspace` (see SYNC_KINDS), estimated from the mirror.

    An incremental sync of a workspace whose first sync never ran to its end is planned as a full
    one (`first`, default: from its SyncState).
    """
    if kind not in SYNC_KINDS:
        raise ValueError(f"Unknown sync kind {kind!r}; one of {', '.join(SYNC_KINDS)}.")
    if resource and resource not in SYNCS:
        raise ValueError(f"Unknown resource {resource!r}; one of {', '.join(SYNCS)}.")
    if first is None:
        first = _never_synced(workspace)
    scope = "full" if kind == "full" or (kind == "incremental" and first) else kind
    today = today or workspace_today(workspace)
    days = history_days()
    first = bool(first) and scope == "full"
    return Plan(
        scope=scope,
        today=today,
        history_days=days,
        resource=resource,
        first=first,
        steps=build_steps(workspace, scope, today, days, resource, first),
    )


def _never_synced(workspace):
    return not SyncState.objects.filter(workspace=workspace, first_sync_ran_at__isnull=False).exists()


def build_steps(workspace, scope, today, days, resource="", first=False, sizes=None):
    known = Known(workspace, sizes)
    builder = _Builder(known, today)
    if scope == "queues":
        builder.queues()
        builder.running_trackers()
        builder.expenses_recent("queues", QUEUE_EXPENSE_DAYS)
    elif scope == "recent":
        builder.running_trackers()
        builder.recent_window(attendance_days=ATTENDANCE_FRESH_DAYS)
    else:
        builder.queues()
        builder.running_trackers()
        if first and not resource:
            builder.list_sizes()
        builder.reference()
        builder.recent_window(
            complete_lists_follow=scope == "full",
            attendance_days=None if scope == "full" else ATTENDANCE_FRESH_DAYS,
        )
        builder.tasks()
        if scope == "full":
            builder.history(today - timedelta(days))
    builder.retries(timezone.now())
    steps = builder.steps
    if resource:
        steps = [step for step in steps if step.resource == resource]
    return steps


def _days(first, last):
    return [first + timedelta(n) for n in range((last - first).days + 1)]


def _pages(rows, per_page=PAGE):
    return max(1, math.ceil(rows / per_page))


class Known:
    """What the mirror knows of a workspace, counted once per refinement."""

    def __init__(self, workspace, sizes=None):
        self.workspace = workspace
        self.sizes = sizes or {}
        self._cache = {}

    def total(self, name, model_name):
        """Rows of a whole list: what WebWork's pagination said, or what the mirror holds if more."""
        return max(int(self.sizes.get(name) or 0), self.count(model_name))

    def count(self, model_name, **filters):
        key = (model_name, tuple(sorted(filters.items())))
        if key not in self._cache:
            model = getattr(models, model_name)
            self._cache[key] = model.objects.current().filter(workspace=self.workspace, **filters).count()
        return self._cache[key]

    @cached_property
    def timeline_members(self):
        """Members the by-member reports page over (project viewers track no time)."""
        return (
            Member.objects.current()
            .filter(workspace=self.workspace)
            .exclude(role__iexact="Project viewer")
            .count()
        )

    def project_task_pages(self):
        """[(project webwork id, requests to list its tasks)] for every current project."""
        tasks = dict(
            Task.objects.current()
            .filter(workspace=self.workspace)
            .values_list("project_webwork_id")
            .annotate(n=Count("id"))
            .values_list("project_webwork_id", "n")
        )
        projects = (
            Project.objects.current().filter(workspace=self.workspace).values_list("webwork_id", flat=True)
        )
        return [(pid, _pages(tasks.get(_int(pid), 0))) for pid in sorted(projects, key=_sort_key)]


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _sort_key(value):
    number = _int(value)
    return (0, number, "") if number is not None else (1, 0, str(value))


class _Builder:
    def __init__(self, known: Known, today: date):
        self.known = known
        self.today = today
        self.steps: list[Step] = []

    def add(self, name, kind, resource, cost, naive=None, **params):
        self.steps.append(
            Step(
                name=name,
                kind=kind,
                resource=resource,
                params={k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items()},
                planned=cost,
                naive=cost if naive is None else naive,
            )
        )

    def queues(self):
        for name, resource, model_name, status in (
            ("timesheets: submitted", "timesheets", "Timesheet", "submitted"),
            ("time requests: pending", "time_requests", "TimeRequest", "pending"),
            ("leaves: pending", "leave_requests", "LeaveRequest", "pending"),
        ):
            cost = _pages(self.known.count(model_name, status=status))
            self.add(name, "queues", resource, cost, status=status)

    def time_entries(self, kind, name, dates):
        if not dates:
            return
        members = self.known.timeline_members
        self.add(
            name,
            kind,
            "time_entries",
            len(dates) * _pages(members, TIMELINE_PAGE),
            naive=len(dates) * max(1, members),
            dates=[day.isoformat() for day in dates],
        )

    def attendance(self, kind, dates):
        """The daily-attendance report of `dates`: ceil(members / 100) requests a date."""
        if not dates:
            return
        cost = len(dates) * _pages(self.known.timeline_members, TIMELINE_PAGE)
        self.add(
            f"attendance: {dates[0]}..{dates[-1]}",
            kind,
            "attendance",
            cost,
            dates=[day.isoformat() for day in dates],
        )

    def running_trackers(self):
        """Who is working now: today's timeline, which also brings today's entries up to date."""
        members = self.known.timeline_members
        self.add(
            "who is working now",
            "now",
            "running_trackers",
            _pages(members, TIMELINE_PAGE),
            naive=max(1, members),
        )

    def expenses_recent(self, kind, days):
        since = self.today - timedelta(days)
        self.add(
            f"expenses: last {days} days",
            kind,
            "expenses",
            _pages(self.known.count("Expense", date__gte=since, date__lte=self.today)),
            date_from=since,
            date_to=self.today,
        )

    def list_sizes(self):
        """A first sync knows no list's size: one request per list (a page of one row) reads its
        total, so the plan and the time left hold from the start."""
        self.add("list sizes", "reference", LIST_SIZES, len(SIZED_LISTS), lists=list(SIZED_LISTS))

    def reference(self):
        known = self.known
        self.add("members", "reference", "members", _pages(known.count("Member")))
        self.add("projects", "reference", "projects", _pages(known.count("Project")))
        self.add("contracts", "reference", "contracts", _pages(known.total("contracts", "Contract")))
        self.add("project viewers", "reference", "project_viewers", _pages(known.count("ProjectViewer")))
        self.add("leave policies", "reference", "leave_policies", _pages(known.count("LeavePolicy")))
        self.add(
            "expense categories", "reference", "expense_categories", _pages(known.count("ExpenseCategory"))
        )
        self.add("webhook registrations", "reference", "webhooks", _pages(known.count("WebhookRegistration")))

    def recent_window(self, *, complete_lists_follow=False, attendance_days=None):
        """What changes late at WebWork and what managers decide on, read again every cycle: the
        time entries of the last `recent_days()` days before today (today is who is working now's),
        the timesheets of the open week and the weeks before it, leave balances, the attendance of
        today and the `recent_days()` before it (`attendance_days`: of only that many days up to
        today), and the expenses, time requests and leaves of recent weeks (leaves of the coming
        months too). A full sync reads the last three in its complete lists
        (`complete_lists_follow`)."""
        known, today = self.known, self.today
        days = recent_days()
        for first, last in _weeks_back(today - timedelta(1), today - timedelta(days)):
            self.time_entries("recent", f"time entries: {first}..{last}", _days(first, last))
        monday = today - timedelta(days=today.weekday())
        weeks = RECENT_TIMESHEET_WEEKS + 1
        date_from, date_to = monday - timedelta(weeks=RECENT_TIMESHEET_WEEKS), monday + timedelta(days=6)
        in_mirror = known.count("Timesheet", date_to__gte=date_from, date_from__lte=date_to)
        # A first sync's mirror holds few of them yet: a member has one timesheet a week.
        expected = min(int(known.sizes.get("timesheets") or 0), known.timeline_members * weeks)
        self.add(
            f"timesheets: this week and {RECENT_TIMESHEET_WEEKS} before",
            "recent",
            "timesheets",
            _pages(max(in_mirror, expected)),
            date_from=date_from,
            date_to=date_to,
        )
        self.leave_balances("recent")
        span = days + 1 if attendance_days is None else attendance_days
        for first, last in _weeks_back(today, today - timedelta(span - 1)):
            self.attendance("recent", _days(first, last))
        if complete_lists_follow:
            return
        since = today - timedelta(RECENT_LIST_DAYS)
        self.expenses_recent("recent", RECENT_LIST_DAYS)
        self.add(
            f"time requests: last {RECENT_LIST_DAYS} days",
            "recent",
            "time_requests",
            _pages(known.count("TimeRequest", start__date__gte=since, start__date__lte=today)),
            date_from=since,
            date_to=today,
        )
        until = today + timedelta(UPCOMING_LEAVE_DAYS)
        self.add(
            f"leaves: last {RECENT_LIST_DAYS} and next {UPCOMING_LEAVE_DAYS} days",
            "recent",
            "leave_requests",
            _pages(known.count("LeaveRequest", end_date__gte=since, start_date__lte=until)),
            date_from=since,
            date_to=until,
        )

    def leave_balances(self, kind):
        self.add(
            "leave balances",
            kind,
            "leave_balances",
            _pages(self.known.timeline_members, BALANCES_PAGE),
            date_from=date(self.today.year, 1, 1),
            date_to=date(self.today.year, 12, 31),
        )

    def tasks(self):
        """One request per project. Up to TASK_CHUNK projects are one step over every project (which
        also drops the tasks of projects gone); more are split so progress moves and a task's
        time budget holds a step."""
        projects = self.known.project_task_pages()
        if len(projects) <= TASK_CHUNK:
            # Before the projects step of a first sync this is 0: refined once projects are known.
            self.add("tasks", "tasks", "tasks", sum(pages for _pid, pages in projects))
            return
        for start in range(0, len(projects), TASK_CHUNK):
            chunk = projects[start : start + TASK_CHUNK]
            self.add(
                f"tasks: projects {start + 1}-{start + len(chunk)} of {len(projects)}",
                "tasks",
                "tasks",
                sum(pages for _pid, pages in chunk),
                project_webwork_ids=[pid for pid, _pages_ in chunk],
            )

    def history(self, oldest):
        """The complete lists, then the time entries older than the recent window back to `oldest`."""
        known = self.known
        self.add("timesheets: all", "history", "timesheets", _pages(known.total("timesheets", "Timesheet")))
        window = time_request_window(self.today)
        self.add(
            "time requests: all",
            "history",
            "time_requests",
            _pages(known.total("time_requests", "TimeRequest")),
            date_from=window["date_from"],
            date_to=window["date_to"],
        )
        self.add(
            "leaves: all", "history", "leave_requests", _pages(known.total("leave_requests", "LeaveRequest"))
        )
        self.add("expenses: all", "history", "expenses", _pages(known.total("expenses", "Expense")))
        newest = self.today - timedelta(recent_days() + 1)
        for first, last in _weeks_back(newest, oldest):
            self.time_entries("history", f"time entries: {first}..{last}", _days(first, last))

    def retries(self, now):
        """What earlier syncs owe and is due now, unless a step of this plan covers it already."""
        names = {step.name for step in self.steps}
        for owed in owed_due(self.known.workspace, now):
            if any(covers(step, owed) for step in self.steps):
                continue
            name = f"retry: {owed.label}"
            if name in names:
                name = f"{name} ({owed.key})"
            names.add(name)
            if owed.resource == "time_entries":
                cost = _pages(self.known.timeline_members, TIMELINE_PAGE)
                naive = max(1, self.known.timeline_members)
            elif owed.resource == "attendance":
                cost = naive = _pages(self.known.timeline_members, TIMELINE_PAGE)
            else:
                cost = naive = len(owed.params.get("project_webwork_ids") or [None])
            self.steps.append(
                Step(
                    name=name,
                    kind="retry",
                    resource=owed.resource,
                    params=dict(owed.params),
                    planned=cost,
                    naive=naive,
                )
            )


def _weeks_back(newest, oldest):
    """(first, last) date ranges of up to HISTORY_CHUNK_DAYS days, from `newest` back to `oldest`."""
    last = newest
    while last >= oldest:
        first = max(oldest, last - timedelta(HISTORY_CHUNK_DAYS - 1))
        yield first, last
        last = first - timedelta(1)


# --- progress, for the pages -------------------------------------------------------


def sync_progress(workspace, state=None) -> SyncProgress:
    """How far the current (or last) sync of `workspace` got (see SyncState.progress)."""
    state = state or SyncState.objects.filter(workspace=workspace).first() or SyncState(workspace=workspace)
    return state.progress()
