"""The Attendance report: per member per day, the statuses WebWork's daily-attendance report
gives (late, left early, tracked less, absent, on leave, holiday), first start, last end and
breaks, as the mirror holds them (integrations.models.DailyAttendance).

Nothing is computed here that WebWork computes: statuses, times and minutes are WebWork's own,
so the page says what WebWork says. Its rules, as the sandbox applies them
(integrations/sandbox/api/reports.py): the working day runs 09:30 to 17:00 in the workspace's
time zone; a member is late when their first entry starts after 09:30, left early when their last
ends before 17:00, tracked less when the day's time is under their expected minutes (their
weekly limit over five days, else 8 hours); a break is a gap of at least 10 minutes between
entries; an approved leave (or a paid-leave entry) is "On leave", a paid-holiday entry "Holiday",
and a day without time "Absent" (weekends included). Tracked time counts the entries that have
ended (a running tracker counts once stopped, a deleted entry no more), dated on the workspace's
calendar days, as every report does.

Which dates the mirror holds (`attendance_coverage_for_workspace`): the schedule reads today and
yesterday every 15 minutes and the recent weeks hourly (integrations/sync/plan.py); older dates
are read when asked for (integrations.services.attendance.attendance_fetch), within WebWork's
window (a year back to today). The coverage says which dates of the period are missing, whether
a fetch is under way or failed, and which dates to fetch next (at most MAX_FETCH_DAYS, the most
recent first).

Every selector takes `workspace=` and reads only its rows; a page costs a fixed number of
queries: the rows and their count, the counts per status, the dates held, the fetches, the member
choices (and one to check the member ids asked for).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.db.models.fields.json import KT

from dashboard.selectors.reports import Period, ids_from_query, ids_of_workspace, period_from_query
from integrations.models import AttendanceFetch, DailyAttendance, Member
from integrations.models.attendance import days_words
from integrations.services.attendance import MAX_FETCH_DAYS, attendance_fetch_under_way, attendance_window

ATTENDANCE_PER_PAGE = 100  # member-days a page
PROJECT_VIEWER = "Project viewer"

# (query value, label, DailyAttendance column): the statuses a manager filters and counts, in
# WebWork's order. Present is counted but not offered as a filter (it is most rows).
STATUSES = (
    ("late", "Late", "late"),
    ("left_early", "Left early", "left_early"),
    ("tracked_less", "Tracked less", "tracked_less"),
    ("absent", "Absent", "absent"),
    ("on_leave", "On leave", "on_leave"),
    ("holiday", "Holiday", "holiday"),
)
STATUS_LABELS = {key: label for key, label, _ in STATUSES}
STATUS_COLUMNS = {key: column for key, _, column in STATUSES}
# WebWork's status words -> the badge's class suffix.
BADGES = {
    "Present": "present",
    "Late": "late",
    "Left early": "left-early",
    "Tracked less": "tracked-less",
    "Absent": "absent",
    "On leave": "on-leave",
    "Holiday": "holiday",
}
ORDERS = (("member", "By member"), ("date", "By day"))


@dataclass(frozen=True)
class AttendanceFilters:
    """The report's period, members, statuses and order, as the query string gives them. Member
    ids that are not the workspace's are dropped; unknown statuses are ignored."""

    period: Period
    members: tuple = ()
    statuses: tuple = ()  # keys of STATUSES: rows with any of them
    order: str = "member"
    names: dict = field(default_factory=dict, compare=False, hash=False)  # {("member", id): name}

    @classmethod
    def from_query(cls, query, *, workspace, now=None):
        """Read `query` (a QueryDict or a dict) for `workspace`: one query when members are asked."""
        valid, names = ids_of_workspace(
            workspace=workspace, asked={"member": ids_from_query(query, "member")}
        )
        asked = query.getlist("status") if hasattr(query, "getlist") else [query.get("status") or ""]
        statuses = []
        for value in asked:
            for part in str(value).split(","):
                if part.strip() in STATUS_LABELS and part.strip() not in statuses:
                    statuses.append(part.strip())
        order = query.get("order") if query.get("order") in dict(ORDERS) else "member"
        return cls(
            period=period_from_query(query, workspace=workspace, now=now),
            members=tuple(valid["member"]),
            statuses=tuple(key for key, _, _ in STATUSES if key in statuses),
            order=order,
            names=names,
        )

    @property
    def narrowed(self):
        return bool(self.members or self.statuses)

    def member_names(self):
        return [self.names.get(("member", value), value) for value in self.members]

    def status_labels(self):
        return [STATUS_LABELS[key] for key in self.statuses]

    def words(self):
        """The filters in a manager's words: `Members: Alice Archer; Statuses: Late or Absent`."""
        parts = []
        if self.members:
            parts.append(f"Members: {', '.join(self.member_names())}")
        if self.statuses:
            parts.append(f"Statuses: {' or '.join(self.status_labels())}")
        return "; ".join(parts)

    def as_query(self, *, statuses=True, order=True):
        """Query-string pairs (a list: filters repeat), a preset period kept relative."""
        pairs = list(self.period.as_query())
        pairs += [("member", value) for value in self.members]
        if statuses:
            pairs += [("status", value) for value in self.statuses]
        if order and self.order != "member":
            pairs.append(("order", self.order))
        return pairs


# --- rows ------------------------------------------------------------------------------------


def _in_period(workspace, filters: AttendanceFilters):
    rows = DailyAttendance.objects.current().filter(
        workspace=workspace, date__gte=filters.period.start, date__lte=filters.period.end
    )
    if filters.members:
        rows = rows.filter(user_webwork_id__in=[int(value) for value in filters.members])
    return rows


def _any_status(statuses):
    wanted = Q()
    for key in statuses:
        wanted |= Q(**{STATUS_COLUMNS[key]: True})
    return wanted


def attendance_rows_for_workspace(*, workspace, filters: AttendanceFilters):
    """The member-days the filters select, with their member (name fields only), ordered by
    member then day (or day then member). Rows whose member the mirror lacks keep WebWork's name
    in their payload (`attendance_name`)."""
    rows = _in_period(workspace, filters)
    if filters.statuses:
        rows = rows.filter(_any_status(filters.statuses))
    rows = (
        rows.select_related("member")
        .annotate(webwork_name=KT("raw__user_name"))
        .only(
            "date",
            "user_webwork_id",
            "statuses",
            "first_start",
            "last_end",
            "tracked_minutes",
            "expected_minutes",
            "late_minutes",
            "left_early_minutes",
            "break_minutes",
            "breaks",
            "member__firstname",
            "member__lastname",
            "member__email",
            "member__webwork_id",
        )
    )
    by_member = [
        F("member__firstname").asc(nulls_last=True),
        F("member__lastname").asc(nulls_last=True),
        "user_webwork_id",
    ]
    if filters.order == "date":
        return rows.order_by("date", *by_member)
    return rows.order_by(*by_member, "date")


def attendance_name(row):
    """The member of a member-day: the mirror's member, else the name WebWork gave with the row."""
    if row.member is not None:
        return str(row.member)
    return getattr(row, "webwork_name", None) or f"Member {row.user_webwork_id}"


def attendance_badges(row):
    """[(status word, badge class suffix)] of a member-day; "Present" is left out beside a status
    that says more (late, left early...)."""
    statuses = [status for status in row.statuses if isinstance(status, str)]
    if len(statuses) > 1 and "Present" in statuses:
        statuses.remove("Present")
    return [(status, BADGES.get(status, "other")) for status in statuses]


def attendance_page_for_workspace(*, workspace, filters: AttendanceFilters, page=1):
    """A page of ATTENDANCE_PER_PAGE member-days (two queries: the count and the rows), each with
    its `name` and `badges`."""
    rows = attendance_rows_for_workspace(workspace=workspace, filters=filters)
    current = Paginator(rows, ATTENDANCE_PER_PAGE).get_page(page)
    current.object_list = list(current.object_list)
    for row in current.object_list:
        row.name = attendance_name(row)
        row.badges = attendance_badges(row)
    return current


# --- counts ----------------------------------------------------------------------------------


@dataclass
class StatusCount:
    key: str
    label: str
    count: int
    chosen: bool
    url: str = ""  # the report showing only this status (or every status again, when chosen)

    @property
    def css(self):
        return self.key.replace("_", "-")


@dataclass
class AttendanceCounts:
    """Member-days of the period (and members) per status, whatever statuses are filtered."""

    days: int  # member-days held
    members: int
    present: int
    statuses: list  # StatusCount, in STATUSES' order

    def of(self, key):
        return next(count.count for count in self.statuses if count.key == key)


def attendance_counts_for_workspace(*, workspace, filters: AttendanceFilters) -> AttendanceCounts:
    """One aggregate query."""
    aggregates = {"days": Count("id"), "members": Count("user_webwork_id", distinct=True)}
    aggregates["present"] = Count("id", filter=Q(present=True))
    for key, _, column in STATUSES:
        aggregates[key] = Count("id", filter=Q(**{column: True}))
    values = _in_period(workspace, filters).order_by().aggregate(**aggregates)
    return AttendanceCounts(
        days=values["days"],
        members=values["members"],
        present=values["present"],
        statuses=[
            StatusCount(key, label, values[key] or 0, key in filters.statuses) for key, label, _ in STATUSES
        ],
    )


# --- what the mirror holds of the period -------------------------------------------------------


def _ranges(days):
    """Consecutive runs of sorted dates, as (first, last) pairs."""
    runs = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


@dataclass
class AttendanceCoverage:
    """Which dates of a period the mirror holds, and what is being done about the others.

    missing: the period's dates up to today, within WebWork's window, that the mirror lacks.
    to_come: dates after today (nothing to report yet). too_old: dates before the window.
    fetch: the fetch under way (queued or running) for dates of the period, else the last one
        that failed since, else None.
    next_fetch: (first, last) the page asks for: the most recent missing dates, at most
        MAX_FETCH_DAYS, from the first missing to the last missing date among them.
    auto: whether the page asks for them by itself: nothing is under way, no fetch was ever
        made for those dates, and they fit in one fetch (asked once; afterwards a button).
    """

    period: Period
    today: date
    window_start: date
    held: int = 0
    missing: list = field(default_factory=list)
    to_come: int = 0
    too_old: int = 0
    fetch: AttendanceFetch | None = None
    next_fetch: tuple | None = None
    auto: bool = False

    @property
    def complete(self):
        return not self.missing

    @property
    def fetching(self):
        return self.fetch is not None and self.fetch.pending

    @property
    def failed(self):
        return self.fetch is not None and self.fetch.status == AttendanceFetch.Status.FAILED

    @property
    def missing_words(self):
        return ", ".join(days_words(first, last) for first, last in _ranges(self.missing))

    @property
    def next_fetch_words(self):
        return days_words(*self.next_fetch) if self.next_fetch else ""

    @property
    def more_after_next(self):
        """Missing dates the next fetch leaves for another (a period longer than one fetch)."""
        if not self.next_fetch:
            return 0
        return sum(1 for day in self.missing if day < self.next_fetch[0])


def attendance_coverage_for_workspace(*, workspace, period: Period, now=None) -> AttendanceCoverage:
    """Two queries: the dates held (any row, removed ones too: the date was read) and the fetches
    of dates in the period."""
    today = workspace.today(now)
    window_start, _ = attendance_window(workspace=workspace, today=today)
    coverage = AttendanceCoverage(period=period, today=today, window_start=window_start)
    first, last = max(period.start, window_start), min(period.end, today)
    coverage.to_come = max(0, (period.end - max(today, period.start - timedelta(days=1))).days)
    coverage.too_old = max(0, (min(window_start, period.end + timedelta(days=1)) - period.start).days)
    if first > last:
        return coverage
    held = set(
        DailyAttendance.objects.filter(workspace=workspace, date__gte=first, date__lte=last)
        .order_by()
        .values_list("date", flat=True)
        .distinct()
    )
    coverage.held = len(held)
    coverage.missing = [
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if first + timedelta(days=n) not in held
    ]
    fetches = list(
        AttendanceFetch.objects.filter(workspace=workspace, date_from__lte=last, date_to__gte=first).order_by(
            "-requested_at", "-id"
        )[:20]
    )
    pending = [fetch for fetch in fetches if attendance_fetch_under_way(fetch, now)]
    if pending:
        coverage.fetch = pending[0]
    elif coverage.missing and fetches and fetches[0].status == AttendanceFetch.Status.FAILED:
        coverage.fetch = fetches[0]
    if coverage.missing and not coverage.fetching:
        newest = coverage.missing[-1]
        oldest = next(day for day in coverage.missing if (newest - day).days < MAX_FETCH_DAYS)
        coverage.next_fetch = (oldest, newest)
        asked_before = any(f.date_from <= oldest and f.date_to >= newest for f in fetches)
        span = (newest - coverage.missing[0]).days + 1
        coverage.auto = not asked_before and span <= MAX_FETCH_DAYS
    return coverage


# --- filter choices ----------------------------------------------------------------------------


@dataclass
class MemberChoice:
    webwork_id: str
    name: str


def attendance_member_choices(*, workspace, chosen=()):
    """Members the filter offers: current members who track time (not project viewers), and any
    chosen one no longer current. One query."""
    members = (
        Member.objects.filter(workspace=workspace)
        .filter(Q(removed_at__isnull=True) | Q(webwork_id__in=list(chosen)))
        .exclude(role__iexact=PROJECT_VIEWER)
        .order_by("firstname", "lastname", "id")
        .only("webwork_id", "firstname", "lastname", "email")
    )
    return [MemberChoice(member.webwork_id, str(member)) for member in members]
