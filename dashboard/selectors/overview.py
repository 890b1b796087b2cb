"""The manager's home (every workspace they manage) and a workspace's overview."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from integrations.models import (
    Contract,
    LeaveRequest,
    Member,
    RunningTracker,
    TimeEntry,
    TimeRequest,
    Timesheet,
    Workspace,
    WorkspaceAccess,
)

from .hours import given_minutes, running_entries, week_for_workspace, week_minutes_by
from .sync import current_count

NEAR_LIMIT = 0.8  # a contract at 80% of its weekly limit is "near" it
NO_LIMIT = 168  # WebWork's default weekly limit: every hour of the week, so no limit at all
LEAVES_AHEAD_DAYS = 14


@dataclass
class Queues:
    """What waits for a manager's decision in one workspace."""

    timesheets: int = 0
    time_requests: int = 0
    leaves: int = 0

    @property
    def total(self):
        return self.timesheets + self.time_requests + self.leaves


# --- home ------------------------------------------------------------------------------------


def home_workspaces_for_user(user):
    """The user's WorkspaceAccess rows by workspace name, each with its workspace, its sync state
    and, as annotations, its members, open approvals per queue and who is working now: one query."""
    return list(
        WorkspaceAccess.objects.filter(user=user)
        .select_related("workspace", "workspace__sync_state")
        .annotate(
            member_count=current_count(Member, outer_workspace="workspace"),
            timesheets_waiting=current_count(
                Timesheet, outer_workspace="workspace", status=Timesheet.Status.SUBMITTED
            ),
            time_requests_waiting=current_count(TimeRequest, outer_workspace="workspace", status="pending"),
            leaves_waiting=current_count(LeaveRequest, outer_workspace="workspace", status="pending"),
            working_now=current_count(RunningTracker, outer_workspace="workspace"),
        )
        .order_by("-can_manage", "workspace__name", "workspace__webwork_id")
    )


# --- a workspace's overview --------------------------------------------------------------------


def queues_for_workspace(*, workspace) -> Queues:
    """The open approvals per queue: one query."""
    counts = (
        Workspace.objects.filter(pk=workspace.pk)
        .annotate(
            timesheets=current_count(Timesheet, status=Timesheet.Status.SUBMITTED),
            time_requests=current_count(TimeRequest, status="pending"),
            leaves=current_count(LeaveRequest, status="pending"),
        )
        .values("timesheets", "time_requests", "leaves")
        .first()
    )
    return Queues(**(counts or {}))


def working_now_for_workspace(*, workspace, now=None):
    """Who is tracking time now, longest-running first, with member, project and task, each with
    `elapsed_minutes` up to `now`: one query."""
    now = now or timezone.now()
    trackers = list(
        RunningTracker.objects.current()
        .filter(workspace=workspace)
        .select_related("member", "project", "task")
        .order_by("started_at", "pk")
    )
    for tracker in trackers:
        tracker.elapsed_minutes = max(0, int((now - tracker.started_at).total_seconds() // 60))
    return trackers


@dataclass
class Hours:
    """Tracked minutes today, this week so far, and last week (up to this moment a week ago, and
    whole)."""

    today: int
    week: int
    last_week_to_date: int
    last_week: int
    week_start: date
    today_date: date

    @property
    def change(self):
        """This week so far against last week up to this moment a week ago, in minutes (signed)."""
        return self.week - self.last_week_to_date

    @property
    def change_percent(self):
        """The change as a whole percentage without its sign (`change` says which way); None
        when nothing was tracked by this weekday last week."""
        if not self.last_week_to_date:
            return None
        return abs(round(100 * self.change / self.last_week_to_date))


def hours_for_workspace(*, workspace, now=None) -> Hours:
    """Tracked time of the workspace's today, this week and last week, in its time zone; a running
    tracker counts up to now (`dashboard.selectors.hours` holds the rules). Two queries."""
    week = week_for_workspace(workspace=workspace, now=now)
    now, today, week_start = week.now, week.today, week.start
    last_start = week_start - timedelta(days=7)
    last_same_day = today - timedelta(days=7)
    entries = TimeEntry.objects.current().filter(workspace=workspace)
    totals = entries.filter(date__gte=last_start, date__lte=today).aggregate(
        today=given_minutes(week, today, today),
        week=given_minutes(week, week_start, today),
        # Last week up to this moment of its day, so an early Monday is not held against a whole one.
        last_to_date=given_minutes(
            week,
            last_start,
            last_same_day,
            Q(date__lt=last_same_day) | Q(start_time__lte=now - timedelta(days=7)),
        ),
        last=given_minutes(week, last_start, week_start - timedelta(days=1)),
    )
    running = running_entries(entries, week)
    return Hours(
        today=(totals["today"] or 0) + sum(minutes for day, minutes in running if day == today),
        week=(totals["week"] or 0) + sum(minutes for _day, minutes in running),
        last_week_to_date=totals["last_to_date"] or 0,
        last_week=totals["last"] or 0,
        week_start=week_start,
        today_date=today,
    )


@dataclass
class ContractUsage:
    contract: Contract
    minutes: int

    @property
    def limit_minutes(self):
        return self.contract.weekly_hours_limit * 60

    @property
    def percent(self):
        return round(100 * self.minutes / self.limit_minutes) if self.limit_minutes else 100

    @property
    def over(self):
        return self.minutes > self.limit_minutes

    @property
    def left_minutes(self):
        return max(0, self.limit_minutes - self.minutes)

    @property
    def over_minutes(self):
        return max(0, self.minutes - self.limit_minutes)

    @property
    def near_minutes(self):
        """Where "near the limit" starts, for the bar's colour."""
        return round(NEAR_LIMIT * self.limit_minutes)

    @property
    def bar_minutes(self):
        """The bar's value: full at the limit."""
        return min(self.minutes, self.limit_minutes)


def contracts_near_limit_for_workspace(*, workspace, now=None) -> list[ContractUsage]:
    """Active contracts with a weekly limit whose tracked time this week is at 80% of it or more,
    fullest first: three queries."""
    week = week_for_workspace(workspace=workspace, now=now)
    entries = TimeEntry.objects.current().filter(workspace=workspace, contract__isnull=False)
    tracked = week_minutes_by(entries, week, "contract")
    if not tracked:
        return []
    contracts = (
        Contract.objects.current()
        .filter(workspace=workspace, pk__in=tracked, status="active", weekly_hours_limit__lt=NO_LIMIT)
        .select_related("member", "project")
    )
    usages = [ContractUsage(contract, tracked[contract.pk]) for contract in contracts]
    near = [usage for usage in usages if usage.minutes >= NEAR_LIMIT * usage.limit_minutes]
    return sorted(near, key=lambda usage: (-usage.minutes / max(1, usage.limit_minutes), str(usage.contract)))


def leaves_ahead_for_workspace(*, workspace, days=LEAVES_AHEAD_DAYS, now=None):
    """Approved and pending leaves starting in the next `days` days (today included), soonest first."""
    today = workspace.today(now)
    return list(
        LeaveRequest.objects.current()
        .filter(
            workspace=workspace,
            status__in=("approved", "pending"),
            start_date__gte=today,
            start_date__lte=today + timedelta(days=days),
        )
        .select_related("member", "policy")
        .order_by("start_date", F("member__firstname").asc(nulls_last=True), "pk")
    )


@dataclass
class Overview:
    queues: Queues
    working_now: list
    hours: Hours
    near_limit: list = field(default_factory=list)
    leaves_ahead: list = field(default_factory=list)
    generated_at: datetime | None = None


def overview_for_workspace(*, workspace, now=None) -> Overview:
    now = now or timezone.now()
    return Overview(
        queues=queues_for_workspace(workspace=workspace),
        working_now=working_now_for_workspace(workspace=workspace, now=now),
        hours=hours_for_workspace(workspace=workspace, now=now),
        near_limit=contracts_near_limit_for_workspace(workspace=workspace, now=now),
        leaves_ahead=leaves_ahead_for_workspace(workspace=workspace, now=now),
        generated_at=now,
    )
