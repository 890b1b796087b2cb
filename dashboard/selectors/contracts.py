"""Contracts (a member on a project): this week's tracked time against the weekly limit, a forecast
of when the limit will be reached, the last weeks of hours, and the change history.

**Rates.** WebWork shows a contract's rate only to a caller who may see rates (`rate_status` 1 on
their membership, always for the Owner) and only on billable projects. Clockroom follows the same
rule for the manager reading the page (`manager_sees_rates`): an Owner sees rates; an Executive
manager sees them when the mirror's member row of their WebWork account has `rate_status` 1;
nobody else does. The rates the mirror holds are those the workspace's sync sign-in was shown,
so a rate can be missing (None) even for a manager who may see rates.

**The forecast** (`limit_forecast`, a pure function) reads this week's pace: the minutes tracked
on the contract this week so far divided by the *working days elapsed*. A working day is Monday to
Friday of the workspace's week (weeks start on Monday, in the workspace's time zone), and today
counts as elapsed as soon as it starts: on Wednesday three working days have elapsed, on Saturday
and Sunday all five. At that pace over the working days left after today, the contract either
reaches its limit on a given day, or ends the week with some hours left. Time tracked on a
weekend counts towards the week's total but adds no working day. A limit of 168 hours (WebWork's
default: every hour of the week) reads as "no limit" and has no forecast; neither has a paused
contract, whose member cannot track time on it.

**Tracked time** counts as on every page (`dashboard.selectors.hours`, the overview's rules): the
workspace's week, closed entries' minutes, and a tracker running now up to now.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.paginator import Paginator
from django.db.models import (
    CharField,
    DateField,
    F,
    Max,
    OuterRef,
    Subquery,
)
from django.db.models.functions import Cast

from integrations.models import (
    AuditEvent,
    Contract,
    Member,
    Project,
    RunningTracker,
    TimeEntry,
    WorkspaceAccess,
)

from .audit import action_words
from .hours import contracts_with_week_minutes, minutes_by, week_for_workspace, week_minutes_by
from .overview import NEAR_LIMIT, NO_LIMIT
from .query import webwork_id_from_query

CONTRACTS_PER_PAGE = 50
HISTORY_PER_PAGE = 20
CHART_WEEKS = 8
IDLE_DAYS = 14  # an active contract with nothing tracked for this many days is flagged
WORKING_DAYS = 5  # Monday to Friday: the days a forecast spreads the week's pace over

STATUSES = (("active", "Active"), ("paused", "Paused"))
RATE_TYPES = {1: "Custom rate", 2: "Member's rate", 3: "Project's rate"}
# WebWork's screenshot modes and how its own pages name them.
SCREENSHOT_MODES = (
    ("full", "Screenshots on"),
    ("blurred", "Blurred screenshots"),
    ("no_preview", "Screenshots without preview"),
    ("no_screenshot", "Screenshots off"),
    ("background_blurred", "Background blurred"),
    ("video_full", "Video on"),
    ("video_blurred", "Blurred video"),
    ("video_full_silent", "Silent video"),
    ("video_blurred_silent", "Silent blurred video"),
)
SCREENSHOT_WORDS = dict(SCREENSHOT_MODES)
SORTS = (("member", "Member"), ("project", "Project"), ("closest", "Closest to the limit"))
GROUPS = (("", "No grouping"), ("project", "Project"), ("member", "Member"), ("status", "Status"))


def screenshot_words(mode):
    """A screenshot mode as WebWork's pages name it ("blur" is an old name of "blurred")."""
    if mode == "blur":
        mode = "blurred"
    return SCREENSHOT_WORDS.get(mode, (mode or "").replace("_", " ").capitalize() or "Not set")


def limit_words(hours):
    """A weekly limit as a manager reads it: "40 h", "no limit" for 168 (WebWork's default)."""
    if hours is None or hours >= NO_LIMIT:
        return "no limit"
    return f"{hours} h"


# --- The forecast: pure arithmetic -------------------------------------------------------------


def working_days_elapsed(today: date, week_start: date) -> int:
    """The working days (Monday to Friday) of the week starting `week_start` up to `today`, today
    included."""
    days = (today - week_start).days + 1
    return max(0, min(days, WORKING_DAYS))


def working_days_left(today: date, week_start: date) -> list[date]:
    """The working days of the week after `today`."""
    return [
        week_start + timedelta(days=n) for n in range(WORKING_DAYS) if week_start + timedelta(days=n) > today
    ]


@dataclass(frozen=True)
class Forecast:
    """Where a contract's week is heading. `state` is one of:

    paused       the contract is paused: no forecast
    no_limit     a limit of 168 h: no forecast
    zero_limit   a limit of 0 h and nothing tracked: no time may be tracked
    over         more tracked than the limit (`over_minutes` more)
    reached      exactly the limit tracked
    reaches      at this pace, the limit is reached on `reach_date`
    within       at this pace, the week ends with `left_minutes` to spare (all of it without a pace)
    """

    PAUSED = "paused"
    NO_LIMIT = "no_limit"
    ZERO_LIMIT = "zero_limit"
    OVER = "over"
    REACHED = "reached"
    REACHES = "reaches"
    WITHIN = "within"

    state: str
    tracked_minutes: int
    limit_minutes: int | None = None
    days_elapsed: int = 0
    pace_minutes: int = 0  # tracked minutes per working day elapsed, rounded
    reach_date: date | None = None
    left_minutes: int | None = None  # at the week's end, at this pace
    over_minutes: int = 0

    @property
    def has_limit(self):
        return self.limit_minutes is not None

    @property
    def left_now_minutes(self):
        """What is left of the limit now (0 once reached)."""
        return max(0, self.limit_minutes - self.tracked_minutes) if self.has_limit else None

    @property
    def percent(self):
        """Tracked time as a whole percentage of the limit (None without a limit; 100 for a limit
        of 0)."""
        if not self.has_limit:
            return None
        if not self.limit_minutes:
            return 100 if not self.tracked_minutes else 999
        return round(100 * self.tracked_minutes / self.limit_minutes)

    @property
    def over(self):
        return self.state == self.OVER

    @property
    def warning(self):
        """Whether the forecast is worth a manager's attention: over, reached or heading there."""
        return self.state in (self.OVER, self.REACHED, self.REACHES)


def limit_forecast(
    *, tracked_minutes, weekly_hours_limit, today: date, week_start: date, paused=False
) -> Forecast:
    """The forecast of a contract's week: `tracked_minutes` this week so far, against
    `weekly_hours_limit` (hours; 168 or None is no limit), on `today` of the week that starts
    `week_start` (a Monday). See the module's docstring for what the pace is."""
    tracked = max(0, int(tracked_minutes or 0))
    if paused:
        return Forecast(Forecast.PAUSED, tracked)
    if weekly_hours_limit is None or weekly_hours_limit >= NO_LIMIT:
        return Forecast(Forecast.NO_LIMIT, tracked)
    limit = max(0, int(weekly_hours_limit)) * 60
    elapsed = working_days_elapsed(today, week_start)
    pace = round(tracked / elapsed) if elapsed else 0
    known = {
        "tracked_minutes": tracked,
        "limit_minutes": limit,
        "days_elapsed": elapsed,
        "pace_minutes": pace,
    }
    if tracked > limit:
        return Forecast(Forecast.OVER, over_minutes=tracked - limit, **known)
    if limit == 0:
        return Forecast(Forecast.ZERO_LIMIT, left_minutes=0, **known)
    if tracked == limit:
        return Forecast(Forecast.REACHED, left_minutes=0, **known)
    ahead = working_days_left(today, week_start)
    if tracked and elapsed:
        # Working days until the rest of the limit is tracked at `tracked / elapsed` a day, in
        # whole numbers (no rounding of the pace on the way).
        needed = -(-(limit - tracked) * elapsed // tracked)
        if needed <= len(ahead):
            return Forecast(Forecast.REACHES, reach_date=ahead[needed - 1], left_minutes=0, **known)
        projected = tracked + tracked * len(ahead) / elapsed
    else:
        projected = tracked
    return Forecast(Forecast.WITHIN, left_minutes=max(0, round(limit - projected)), **known)


# --- Who may see rates -------------------------------------------------------------------------


def manager_sees_rates(*, workspace, user) -> bool:
    """Whether `user` may see rates in `workspace` (see the module's docstring): one query."""
    own_member = Member.objects.filter(
        workspace=workspace,
        webwork_id=Cast(OuterRef("connection__webwork_user_id"), output_field=CharField()),
    )
    access = (
        WorkspaceAccess.objects.filter(workspace=workspace, user=user, can_manage=True)
        .annotate(rate_status=Subquery(own_member.values("rate_status")[:1]))
        .values("role", "rate_status")
        .first()
    )
    if access is None:
        return False
    return access["role"] == "Owner" or access["rate_status"] == 1


# --- The list ----------------------------------------------------------------------------------


def _choice(value, choices):
    return value if value in {key for key, _ in choices} else ""


def _webwork_id(value):
    return webwork_id_from_query(value)


@dataclass(frozen=True)
class ContractFilters:
    """The list's filters, sort and grouping, as its query string gives them (bad values are
    ignored): ?project=&member=&status=&sort=&group=."""

    project: str = ""  # a project's WebWork id
    member: str = ""  # a member's WebWork id
    status: str = ""  # "active", "paused" or "" (both)
    sort: str = "member"
    group: str = ""

    @classmethod
    def from_query(cls, query):
        return cls(
            project=_webwork_id(query.get("project")),
            member=_webwork_id(query.get("member")),
            status=_choice(query.get("status", ""), STATUSES),
            sort=_choice(query.get("sort", ""), SORTS) or "member",
            group=_choice(query.get("group", ""), GROUPS),
        )

    @property
    def narrowed(self):
        """Whether the filters leave some contracts out (sort and grouping do not)."""
        return bool(self.project or self.member or self.status)

    @property
    def active(self):
        return self.narrowed or self.sort != "member" or bool(self.group)

    def as_query(self):
        pairs = {
            "project": self.project,
            "member": self.member,
            "status": self.status,
            "sort": "" if self.sort == "member" else self.sort,
            "group": self.group,
        }
        return {key: value for key, value in pairs.items() if value}


def _with_tracking(contracts, workspace, today):
    """`contracts` as a list, each with `week_minutes` (tracked this week so far) and
    `last_tracked` (the last date with tracked time, None for none in the mirror). For a few
    contracts (one contract's page): subqueries per row, and one query for the running trackers."""
    entries = TimeEntry.objects.current().filter(
        workspace=workspace, contract=OuterRef("pk"), date__lte=today
    )
    last_tracked = Subquery(entries.order_by("-date").values("date")[:1], output_field=DateField())
    return contracts_with_week_minutes(
        contracts.annotate(last_tracked=last_tracked),
        workspace=workspace,
        week=week_for_workspace(workspace=workspace, today=today),
    )


def _entries_between(workspace, first, last, contracts=None):
    entries = TimeEntry.objects.current().filter(
        workspace=workspace, date__gte=first, date__lte=last, contract__isnull=False
    )
    if contracts is not None:
        entries = entries.filter(contract__in=contracts)
    return entries.order_by().values("contract")


def week_minutes_by_contract(*, workspace, today, contracts=None) -> dict:
    """{contract pk: minutes tracked this week so far} for `contracts` (pks; every contract when
    None). Two queries, over this week's entries only."""
    entries = TimeEntry.objects.current().filter(workspace=workspace, contract__isnull=False)
    if contracts is not None:
        entries = entries.filter(contract__in=contracts)
    return week_minutes_by(entries, week_for_workspace(workspace=workspace, today=today), "contract")


def last_tracked_lately_by_contract(*, workspace, today, contracts) -> dict:
    """{contract pk: the last date tracked} of those of `contracts` (pks) with time tracked in the
    last IDLE_DAYS days, today included; the others are idle. One query, over those days only."""
    entries = _entries_between(workspace, today - timedelta(days=IDLE_DAYS - 1), today, contracts)
    return dict(entries.annotate(last=Max("date")).values_list("contract", "last"))


def closeness(*, status, weekly_hours_limit, week_minutes):
    """How near a contract is to its limit, for "closest to the limit": the share of the limit
    tracked this week (over 1 when over it). A limit of 0 with time tracked is the most over of all;
    contracts without a limit, then paused ones, come last."""
    if status == "paused":
        return -2.0
    if weekly_hours_limit is None or weekly_hours_limit >= NO_LIMIT:
        return -1.0
    if weekly_hours_limit == 0:
        return float("inf") if week_minutes else 1.0
    return week_minutes / (weekly_hours_limit * 60)


MEMBER_ORDER = (
    F("member__firstname").asc(nulls_last=True),
    F("member__lastname").asc(nulls_last=True),
    F("member__email").asc(nulls_last=True),
)
PROJECT_ORDER = (F("project__name").asc(nulls_last=True),)
GROUP_ORDER = {
    "": (),
    "project": (*PROJECT_ORDER, "project_id"),
    "member": (*MEMBER_ORDER, "member_id"),
    "status": ("status",),
}
GROUP_FIELD = {"": None, "project": "project_id", "member": "member_id", "status": "status"}
SORT_ORDER = {
    "member": (*MEMBER_ORDER, *PROJECT_ORDER),
    "project": (*PROJECT_ORDER, *MEMBER_ORDER),
    # Closest to the limit: by member in the database, then by closeness in `contract_page_...`.
    "closest": (*MEMBER_ORDER, *PROJECT_ORDER),
}


def contracts_for_workspace(*, workspace, filters: ContractFilters):
    """The workspace's current contracts matching `filters`, with member and project, grouped
    first when a grouping is asked for, then by member or by project ("closest to the limit" is
    ordered by member here: see `contract_page_for_workspace`)."""
    contracts = (
        Contract.objects.current()
        .filter(workspace=workspace)
        .select_related("member", "project")
        .defer("raw", "member__raw", "project__raw")  # the last payloads: a list needs none of them
    )
    if filters.project:
        contracts = contracts.filter(project__webwork_id=filters.project)
    if filters.member:
        contracts = contracts.filter(member__webwork_id=filters.member)
    if filters.status:
        contracts = contracts.filter(status=filters.status)
    return contracts.order_by(*GROUP_ORDER[filters.group], *SORT_ORDER[filters.sort], "pk")


@dataclass
class ContractRow:
    """A contract as its row shows it: this week against the limit, the forecast and the flags."""

    contract: Contract
    forecast: Forecast
    last_tracked: date | None
    idle: bool  # active, and nothing tracked for IDLE_DAYS days
    group_id: object = None  # the group the row falls in, when the list is grouped
    group_label: str = ""

    @property
    def week_minutes(self):
        return self.forecast.tracked_minutes

    @property
    def paused(self):
        return self.contract.status == "paused"

    @property
    def limit_minutes(self):
        return self.forecast.limit_minutes

    @property
    def metered(self):
        """Whether the week is shown as a bar: a limit above 0 and below 168 h."""
        return bool(self.forecast.limit_minutes)

    @property
    def bar_minutes(self):
        return min(self.week_minutes, self.limit_minutes or 0)

    @property
    def near_minutes(self):
        return round(NEAR_LIMIT * (self.limit_minutes or 0))

    @property
    def high_minutes(self):
        return max(0, (self.limit_minutes or 0) - 1)

    @property
    def limit_words(self):
        return limit_words(self.contract.weekly_hours_limit)

    @property
    def rate_type_words(self):
        return RATE_TYPES.get(self.contract.rate_type, "")

    @property
    def screenshot_words(self):
        return screenshot_words(self.contract.screenshots)

    @property
    def group_key(self):
        return (self.contract.project_id, self.contract.member_id, self.contract.status)


def contract_row(contract, *, workspace, today=None, week_minutes=None, last_tracked=None) -> ContractRow:
    """The row of one contract: with `week_minutes` and `last_tracked` given (None: read from
    `contract_for_workspace`'s annotations)."""
    today = today or workspace.today()
    if week_minutes is None:
        week_minutes = contract.week_minutes
        last_tracked = contract.last_tracked
    forecast = limit_forecast(
        tracked_minutes=week_minutes,
        weekly_hours_limit=contract.weekly_hours_limit,
        today=today,
        week_start=workspace.week_start(today),
        paused=contract.status == "paused",
    )
    quiet_since = today - timedelta(days=IDLE_DAYS)
    idle = contract.status != "paused" and (last_tracked is None or last_tracked <= quiet_since)
    return ContractRow(contract=contract, forecast=forecast, last_tracked=last_tracked, idle=idle)


def contract_page_for_workspace(*, workspace, filters: ContractFilters, page=1, today=None):
    """(page, rows): one page of `contracts_for_workspace`, CONTRACTS_PER_PAGE a page, each row with
    this week's time, its forecast and flags; `last_tracked` is the last date in the last IDLE_DAYS
    days (None before). Four queries, whatever the number of contracts and entries.

    "Closest to the limit" orders every matching contract by `closeness` (most over first; within
    a group when grouped; by member when equally close): their keys, limits and statuses in one
    query, this week's minutes of them all in another, then the page's contracts."""
    today = today or workspace.today()
    contracts = contracts_for_workspace(workspace=workspace, filters=filters)
    if filters.sort == "closest":
        group_field = GROUP_FIELD[filters.group]
        keys = list(contracts.values_list("pk", "status", "weekly_hours_limit", group_field or "pk"))
        week = week_minutes_by_contract(workspace=workspace, today=today)
        groups = {}
        for _pk, _status, _limit, group in keys:
            groups.setdefault(group if group_field else None, len(groups))
        ordered = sorted(
            keys,
            key=lambda key: (
                groups[key[3] if group_field else None],
                -closeness(status=key[1], weekly_hours_limit=key[2], week_minutes=week.get(key[0], 0)),
            ),
        )
        page_obj = Paginator([key[0] for key in ordered], CONTRACTS_PER_PAGE).get_page(page)
        found = contracts.in_bulk(list(page_obj.object_list))
        shown = [found[pk] for pk in page_obj.object_list if pk in found]
    else:
        page_obj = Paginator(contracts, CONTRACTS_PER_PAGE).get_page(page)
        shown = list(page_obj.object_list)
        week = week_minutes_by_contract(workspace=workspace, today=today, contracts=[c.pk for c in shown])
    lately = last_tracked_lately_by_contract(
        workspace=workspace, today=today, contracts=[c.pk for c in shown]
    )
    rows = [
        contract_row(
            contract,
            workspace=workspace,
            today=today,
            week_minutes=week.get(contract.pk, 0),
            last_tracked=lately.get(contract.pk),
        )
        for contract in shown
    ]
    for row in rows:
        row.group_id, row.group_label = _group_of(row.contract, filters.group)
    return page_obj, rows


def _group_of(contract, group):
    """(key, heading) of the group `contract` falls in when the list is grouped by `group`."""
    if group == "project":
        return (
            contract.project_id,
            contract.project.name if contract.project_id else "Projects not synced yet",
        )
    if group == "member":
        return contract.member_id, str(contract.member) if contract.member_id else "Members not synced yet"
    if group == "status":
        return contract.status, dict(STATUSES).get(contract.status, contract.status.capitalize())
    return None, ""


@dataclass
class ContractChoices:
    members: object  # Member rows (a list, or a queryset for forms)
    projects: object  # Project rows


def contract_filter_choices(*, workspace) -> ContractChoices:
    """The members and projects the filters offer: the workspace's current ones. Two queries."""
    return ContractChoices(
        members=list(
            Member.objects.current()
            .filter(workspace=workspace)
            .only("webwork_id", "firstname", "lastname", "email")
        ),
        projects=list(Project.objects.current().filter(workspace=workspace).only("webwork_id", "name")),
    )


def contract_form_choices(*, workspace) -> ContractChoices:
    """Who may be put on which project (unevaluated querysets, for a form's selects): the
    workspace's current members who track time (not its project viewers, nor those who left) and
    its active projects."""
    return ContractChoices(
        members=Member.objects.current()
        .filter(workspace=workspace)
        .exclude(role__iexact="Project viewer")
        .exclude(status="left")
        .order_by("firstname", "lastname", "id"),
        projects=Project.objects.current().filter(workspace=workspace, status=1).order_by("name", "id"),
    )


# --- One contract ------------------------------------------------------------------------------


def contract_for_workspace(*, workspace, webwork_id, today=None) -> Contract:
    """The workspace's current contract with `webwork_id`, with member, project, this week's tracked
    minutes and the last date tracked; Contract.DoesNotExist otherwise. Two queries."""
    today = today or workspace.today()
    contracts = Contract.objects.current().filter(workspace=workspace, webwork_id=str(webwork_id)[:64])
    found = _with_tracking(contracts.select_related("member", "project"), workspace, today)
    if not found:
        raise Contract.DoesNotExist(f"No contract {webwork_id} in {workspace}.")
    return found[0]


def contract_tracking_now(*, workspace, contract) -> bool:
    """Whether the contract's member is tracking time on its project right now. One query."""
    if not (contract.member_id and contract.project_id):
        return False
    return (
        RunningTracker.objects.current()
        .filter(workspace=workspace, member_id=contract.member_id, project_id=contract.project_id)
        .exists()
    )


@dataclass
class WeekHours:
    start: date
    end: date
    minutes: int
    limit_hours: int | None  # the contract's limit now (None: no limit)
    current: bool  # this week, so far

    @property
    def limit_minutes(self):
        return None if self.limit_hours is None else self.limit_hours * 60

    @property
    def over(self):
        return self.limit_minutes is not None and self.minutes > self.limit_minutes

    @property
    def label(self):
        """The week as a short range: "19-25 Oct", "26 Oct - 1 Nov" (with en dashes)."""
        if self.start.month == self.end.month:
            return f"{self.start.day}\N{EN DASH}{self.end.day} {self.end:%b}"
        return f"{self.start.day} {self.start:%b} \N{EN DASH} {self.end.day} {self.end:%b}"

    @property
    def over_minutes(self):
        return max(0, self.minutes - self.limit_minutes) if self.limit_minutes is not None else 0

    @property
    def hours(self):
        return round(self.minutes / 60, 2)


def contract_weeks_for_workspace(*, workspace, contract, weeks=CHART_WEEKS, today=None) -> list[WeekHours]:
    """The contract's tracked minutes in each of the last `weeks` workspace weeks, oldest first,
    this week so far last, each against the contract's limit now. Two queries."""
    week = week_for_workspace(workspace=workspace, today=today or workspace.today())
    this_week = week.start
    starts = [this_week - timedelta(days=7 * n) for n in range(weeks - 1, -1, -1)]
    totals = minutes_by(
        TimeEntry.objects.current().filter(workspace=workspace, contract=contract),
        week,
        {index: (start, min(start + timedelta(days=6), week.today)) for index, start in enumerate(starts)},
    )
    limit = contract.weekly_hours_limit
    limit = None if limit is None or limit >= NO_LIMIT else limit
    return [
        WeekHours(
            start=start,
            end=start + timedelta(days=6),
            minutes=totals[index],
            limit_hours=limit,
            current=start == this_week,
        )
        for index, start in enumerate(starts)
    ]


def contract_chart_data(weeks: list[WeekHours]):
    """The numbers the chart draws (the JSON data island), the same as the table beside it."""
    return {
        "labels": [week.start.strftime("%-d %b") for week in weeks],
        "hours": [week.hours for week in weeks],
        "limit": weeks[0].limit_hours if weeks else None,
        "over": [week.over for week in weeks],
    }


# --- Its change history ------------------------------------------------------------------------


@dataclass
class Change:
    label: str
    before: str
    after: str


def _rate_words(value, currency):
    if value in (None, ""):
        return "none"
    return f"{value} {currency}".strip() + " an hour"


def _term_words(name, value, snapshot):
    if name == "weekly_hours_limit":
        return limit_words(value)
    if name == "screenshots":
        return screenshot_words(value)
    if name == "status":
        return {"active": "active", "paused": "paused"}.get(value, str(value or ""))
    if name == "rate":
        return _rate_words(value, (snapshot or {}).get("currency", ""))
    if name == "rate_type":
        return RATE_TYPES.get(value, "none").lower()
    return str(value)


TERM_LABELS = {
    "weekly_hours_limit": "Weekly limit",
    "screenshots": "Screenshots",
    "status": "Status",
    "rate": "Rate",
    "rate_type": "Rate type",
}
RATE_TERMS = frozenset({"rate", "rate_type"})


def contract_changes(event, *, sees_rates) -> list[Change]:
    """What an audit event of a contract changed, term by term, in a manager's words; for a contract
    created, its terms. Rates only for a manager who may see them."""
    before = event.before if isinstance(event.before, dict) else None
    after = event.after if isinstance(event.after, dict) else None
    changes = []
    for name, label in TERM_LABELS.items():
        if name in RATE_TERMS and not sees_rates:
            continue
        if before is None and after is not None:
            if name in after and name != "status" and after[name] not in (None, ""):
                changes.append(Change(label, "", _term_words(name, after[name], after)))
        elif before is not None and after is not None and before.get(name) != after.get(name):
            changes.append(
                Change(
                    label,
                    _term_words(name, before.get(name), before),
                    _term_words(name, after.get(name), after),
                )
            )
    return changes


def contract_history_for_workspace(*, workspace, webwork_id, page=1, sees_rates=False):
    """The audit events of the workspace's contract `webwork_id`, newest first, 20 a page, each
    with `changes` (see `contract_changes`). Two queries."""
    events = (
        AuditEvent.objects.filter(workspace=workspace, object_type="contract", object_id=str(webwork_id)[:64])
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    page_obj = Paginator(events, HISTORY_PER_PAGE).get_page(page)
    for event in page_obj:
        event.verb = action_words(event.action)[0]
        event.changes = contract_changes(event, sees_rates=sees_rates)
    return page_obj
