"""The people of a workspace: who they are, what they work on, how much, and what waits for them.

Every selector takes `workspace=` and reads only that workspace's rows, as WebWork still lists
them (`.current()`). A page of people costs the same queries with 5 members or 150: each row's
counts and closed time are subqueries of the page's one query (an index finds each member's
rows), and the page's members' running trackers and activity are read in one query each.

Hours are counted as on every page (`dashboard.selectors.hours`, the overview's rules): the week
is the workspace's (Monday start, its time zone); closed entries count their minutes from the first
day of the week to today, and an open entry (a tracker running now) of this week counts up to
`now`.

Rows belong to a member by WebWork's user id (`user_webwork_id`), as the approvals inbox filters
them, so a member's pending items here are what its `?member=` filter shows.

Rates are not shown on these pages: a manager reads them on the contracts page, which decides
who may see them. Expenses are amounts a member spent, not rates: they are shown.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from operator import and_

from django.core.paginator import Paginator
from django.db.models import (
    Avg,
    BigIntegerField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from integrations.models import (
    Contract,
    DailyActivity,
    Expense,
    LeaveBalance,
    LeaveRequest,
    Member,
    TimeEntry,
    TimeRequest,
    Timesheet,
)

from .hours import (
    Week,
    contracts_with_week_minutes,
    minutes_by,
    running_minutes_by,
    tracked_subquery,
    week_for_workspace,
)

PEOPLE_PER_PAGE = 50
WEEKS_SHOWN = 8
RECENT_ROWS = 10  # timesheets, time requests and expenses on a member's page
NO_LIMIT_HOURS = 168  # WebWork's default weekly limit: every hour of the week, so no limit

# WebWork's roles, in the order of its documentation (members list filter).
ROLES = ("Owner", "Executive manager", "Team manager", "Project manager", "Regular User", "Project viewer")
# WebWork's member statuses, in a manager's words.
STATUSES = {
    "active": "Active",
    "inactive": "Inactive",
    "left": "Left",
    "unknown": "Unknown",
}


def status_words(status):
    """A member's WebWork status in a manager's words."""
    return STATUSES.get(status, str(status or "unknown").capitalize())


# --- Counting in the page's query -------------------------------------------------------------


def count_subquery(queryset):
    """The rows of `queryset` (correlated with the outer query) as a subquery, 0 for none."""
    counted = queryset.order_by().values("workspace").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _of_member(model, workspace, **filters):
    """`model`'s current rows of the workspace for the outer member (by WebWork user id)."""
    return model.objects.current().filter(
        workspace=workspace, user_webwork_id=OuterRef("webwork_number"), **filters
    )


# --- The list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeopleFilters:
    """The people page's filters, as its query string gives them (bad values are ignored)."""

    q: str = ""
    role: str = ""
    status: str = ""

    @classmethod
    def from_query(cls, query):
        role = query.get("role", "")
        status = query.get("status", "")
        return cls(
            q=" ".join(query.get("q", "").split())[:100],
            role=role if role in ROLES else "",
            status=status if status in STATUSES else "",
        )

    @property
    def active(self):
        return bool(self.q or self.role or self.status)

    def as_query(self):
        pairs = {"q": self.q, "role": self.role, "status": self.status}
        return {key: value for key, value in pairs.items() if value}


def _search(words):
    """Every word in the first name, the last name or the email."""
    return reduce(
        and_,
        (Q(firstname__icontains=w) | Q(lastname__icontains=w) | Q(email__icontains=w) for w in words),
        Q(),
    )


def people_for_workspace(*, workspace, filters: PeopleFilters = PeopleFilters(), now=None):
    """The workspace's members matching `filters`, by name, each annotated with:

    contracts (current contracts, active or paused), closed_week_minutes (closed entries of this
    week so far), timesheets_submitted, time_requests_pending, leaves_pending.
    `people_with_week` adds the running trackers and the activity.
    """
    week = week_for_workspace(workspace=workspace, now=now)
    people = Member.objects.current().filter(workspace=workspace)
    if filters.q:
        people = people.filter(_search(filters.q.split()))
    if filters.role:
        people = people.filter(role__iexact=filters.role)
    if filters.status:
        people = people.filter(status=filters.status)
    return (
        people.defer("raw")
        .annotate(
            webwork_number=Cast("webwork_id", BigIntegerField()),
            contracts_count=count_subquery(_of_member(Contract, workspace)),
            closed_week_minutes=tracked_subquery(
                _of_member(TimeEntry, workspace), week, week.start, week.today
            ),
            timesheets_submitted=count_subquery(
                _of_member(Timesheet, workspace, status=Timesheet.Status.SUBMITTED)
            ),
            time_requests_pending=count_subquery(_of_member(TimeRequest, workspace, status="pending")),
            leaves_pending=count_subquery(_of_member(LeaveRequest, workspace, status="pending")),
        )
        .order_by("firstname", "lastname", "id")
    )


def people_with_week(people, *, workspace, now=None):
    """Give each member of `people` (annotated by `people_for_workspace`) `week_minutes`, their
    closed time this week plus their trackers running now, up to `now`, and `activity_week`, the
    average activity level of this week's days that have one (None without any). Two queries."""
    people = list(people)
    week = week_for_workspace(workspace=workspace, now=now)
    running, activity = {}, {}
    if people:
        users = [person.webwork_number for person in people]
        activity = dict(
            DailyActivity.objects.current()
            .filter(
                workspace=workspace,
                user_webwork_id__in=users,
                date__gte=week.start,
                date__lte=week.today,
                activity_level__isnull=False,
            )
            .order_by()
            .values("user_webwork_id")
            .annotate(level=Avg("activity_level"))
            .values_list("user_webwork_id", "level")
        )
        running = running_minutes_by(
            TimeEntry.objects.current().filter(workspace=workspace, user_webwork_id__in=users),
            "user_webwork_id",
            week,
        )
    for person in people:
        person.running_minutes = running.get(person.webwork_number, 0)
        person.week_minutes = person.closed_week_minutes + person.running_minutes
        person.activity_week = activity.get(person.webwork_number)
        person.pending_total = (
            person.timesheets_submitted + person.time_requests_pending + person.leaves_pending
        )
        person.status_words = status_words(person.status)
    return people


def people_page_for_workspace(*, workspace, filters: PeopleFilters = PeopleFilters(), page=1, now=None):
    """A page of `people_for_workspace` (PEOPLE_PER_PAGE a page), its rows with `week_minutes`
    and `activity_week`: four queries (the count, the page, its running trackers, its activity)."""
    now = now or timezone.now()
    paginated = Paginator(
        people_for_workspace(workspace=workspace, filters=filters, now=now), PEOPLE_PER_PAGE
    ).get_page(page)
    paginated.object_list = people_with_week(paginated.object_list, workspace=workspace, now=now)
    return paginated


# --- One member -------------------------------------------------------------------------------


@dataclass
class WeekHours:
    start: date
    minutes: int
    # The week's bar in the SVG (user units): the longest week is full height.
    bar_height: int = 0
    bar_y: int = 0
    bar_x: int = 0
    label_x: int = 0

    @property
    def end(self):
        return self.start + timedelta(days=6)


BAR_AREA = 80  # the bars' SVG height, in user units
BAR_STEP = 40  # each week's width in the SVG, the bar and its gap
BAR_WIDTH = 28


@dataclass
class ContractWeek:
    contract: Contract
    week_minutes: int

    @property
    def limit_minutes(self):
        """The weekly limit in minutes (0 allows no time); None for WebWork's "no limit" (168 h)."""
        limit = self.contract.weekly_hours_limit
        return limit * 60 if limit is not None and limit < NO_LIMIT_HOURS else None

    @property
    def near_minutes(self):
        """Where "near the limit" starts (80%), for the bar's colour."""
        return None if self.limit_minutes is None else round(0.8 * self.limit_minutes)


@dataclass
class PersonDetail:
    member: Member
    week: Week
    contracts: list
    weeks: list  # WeekHours, oldest first, this week last
    timesheets: list
    balances: list
    leaves_ahead: list
    time_requests: list
    expenses: list
    expenses_count: int = 0
    bar_step: int = BAR_STEP
    bar_width: int = BAR_WIDTH
    bar_area: int = BAR_AREA

    @property
    def week_minutes(self):
        return self.weeks[-1].minutes if self.weeks else 0

    @property
    def weeks_total(self):
        return sum(week.minutes for week in self.weeks)

    @property
    def chart_width(self):
        return self.bar_step * len(self.weeks)

    @property
    def chart_height(self):
        return self.bar_area + 16  # the bars, and a line of dates under them


def person_for_workspace(*, workspace, webwork_id, now=None):
    """The member with WebWork id `webwork_id`, annotated as `people_for_workspace` does, with
    `week_minutes`; Member.DoesNotExist for one WebWork does not list in this workspace."""
    people = people_for_workspace(workspace=workspace, now=now).filter(webwork_id=str(webwork_id))
    found = people_with_week(people[:1], workspace=workspace, now=now)
    if not found:
        raise Member.DoesNotExist(f"No member {webwork_id} in {workspace}.")
    return found[0]


def weeks_for_member(*, workspace, member, weeks=WEEKS_SHOWN, now=None):
    """The member's tracked time in each of the last `weeks` workspace weeks (this one so far
    last, its running trackers up to now): two queries."""
    week = week_for_workspace(workspace=workspace, now=now)
    starts = [week.start - timedelta(days=7 * n) for n in range(weeks - 1, -1, -1)]
    entries = TimeEntry.objects.current().filter(workspace=workspace, user_webwork_id=int(member.webwork_id))
    sums = minutes_by(
        entries,
        week,
        {n: (start, min(start + timedelta(days=6), week.today)) for n, start in enumerate(starts)},
    )
    result = [WeekHours(start=start, minutes=sums[n]) for n, start in enumerate(starts)]
    longest = max((w.minutes for w in result), default=0)
    for n, item in enumerate(result):
        item.bar_x = n * BAR_STEP + (BAR_STEP - BAR_WIDTH) // 2
        item.label_x = n * BAR_STEP + BAR_STEP // 2
        item.bar_height = round(BAR_AREA * item.minutes / longest) if longest else 0
        if item.minutes and not item.bar_height:
            item.bar_height = 1  # a little time still shows
        item.bar_y = BAR_AREA - item.bar_height
    return result


def contracts_for_member(*, workspace, member, now=None):
    """The member's current contracts, active first then by project, each with this week's time
    (its running trackers up to now): two queries."""
    contracts = (
        Contract.objects.current()
        .filter(workspace=workspace, user_webwork_id=int(member.webwork_id))
        .select_related("project")
        .order_by(F("status").asc(), F("project__name").asc(nulls_last=True), "id")
    )
    week = week_for_workspace(workspace=workspace, now=now)
    return [
        ContractWeek(c, c.week_minutes)
        for c in contracts_with_week_minutes(contracts, workspace=workspace, week=week)
    ]


def person_detail_for_workspace(*, workspace, member, now=None) -> PersonDetail:
    """What a member's page shows, `member` from `person_for_workspace`: a fixed number of queries."""
    now = now or timezone.now()
    week = week_for_workspace(workspace=workspace, now=now)
    user_id = member.webwork_number

    def mine(model):
        return model.objects.current().filter(workspace=workspace, user_webwork_id=user_id)

    expenses = mine(Expense).select_related("category", "project").order_by("-date", "-id")
    return PersonDetail(
        member=member,
        week=week,
        contracts=contracts_for_member(workspace=workspace, member=member, now=now),
        weeks=weeks_for_member(workspace=workspace, member=member, now=now),
        timesheets=list(mine(Timesheet).order_by("-date_from", "id")[:RECENT_ROWS]),
        balances=list(mine(LeaveBalance).order_by("leave_type", "id")),
        leaves_ahead=list(
            mine(LeaveRequest)
            .filter(status__in=("approved", "pending"), end_date__gte=week.today)
            .select_related("policy")
            .order_by("start_date", "id")
        ),
        time_requests=list(
            mine(TimeRequest).select_related("project", "task").order_by("-start", "id")[:RECENT_ROWS]
        ),
        expenses=list(expenses[:RECENT_ROWS]),
        expenses_count=expenses.count(),
    )
