"""The approvals inbox: what waits for a manager's decision, with the evidence for each decision.

A page of rows is read in a fixed number of queries, however many rows or members: the items
(one query, with their member, project, task or policy), then each kind of evidence for the
whole page at once, aggregated in the database and grouped by member and date. Rows without
evidence in the mirror (entries outside the synced history, no activity rows yet) say so rather
than show a zero.

Every selector takes `workspace=` and reads only that workspace's rows.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property, reduce
from operator import or_

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.dateformat import format as format_date

from integrations.models import (
    AuditEvent,
    BulkDecision,
    BulkDecisionItem,
    Contract,
    DailyActivity,
    LeaveBalance,
    LeaveRequest,
    Member,
    Project,
    TimeEntry,
    TimeRequest,
    Timesheet,
)

PER_PAGE = 50
# WebWork's time entry `method` for time added by hand (an approved time request adds one too).
MANUAL_METHOD = "Manually added time"
# Entries that are not work: they do not count as "tracked during a leave".
NOT_WORK_METHODS = ("Paid leave", "Paid holiday", "Break")
# A contract's weekly limit of 168 hours (the whole week) is WebWork's "no limit".
NO_LIMIT_HOURS = 168
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The daily bars: SVG user units.
BAR_WIDTH, BAR_GAP, BAR_HEIGHT = 8, 3, 28
BAR_FULL_MINUTES = 10 * 60  # a bar of full height is at least ten hours


# --- The three queues ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalKind:
    """One queue of the inbox. `slug` names its tab (`?tab=`) and its item URLs."""

    slug: str
    model: type
    bulk_kind: str  # BulkDecision.Kind
    label: str  # "Time requests"
    plural: str  # "time requests", in sentences
    noun: str  # "time request"
    waiting: str  # the status that waits for a decision
    statuses: tuple  # (value, label) of the status filter
    audit_type: str  # AuditEvent.object_type of its items

    def __str__(self):
        return self.slug


STATUS_WAITING = "waiting"
STATUS_ALL = "all"

KINDS = {
    "timesheets": ApprovalKind(
        slug="timesheets",
        model=Timesheet,
        bulk_kind=BulkDecision.Kind.TIMESHEET,
        label="Timesheets",
        plural="timesheets",
        noun="timesheet",
        waiting=Timesheet.Status.SUBMITTED,
        statuses=(
            (STATUS_WAITING, "Waiting for you"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("open", "Not submitted yet"),
            (STATUS_ALL, "Any status"),
        ),
        audit_type="timesheet",
    ),
    "time_requests": ApprovalKind(
        slug="time_requests",
        model=TimeRequest,
        bulk_kind=BulkDecision.Kind.TIME_REQUEST,
        label="Time requests",
        plural="time requests",
        noun="time request",
        waiting="pending",
        statuses=(
            (STATUS_WAITING, "Waiting for you"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            (STATUS_ALL, "Any status"),
        ),
        audit_type="timerequest",
    ),
    "leaves": ApprovalKind(
        slug="leaves",
        model=LeaveRequest,
        bulk_kind=BulkDecision.Kind.LEAVE,
        label="Leaves",
        plural="leaves",
        noun="leave request",
        waiting="pending",
        statuses=(
            (STATUS_WAITING, "Waiting for you"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            (STATUS_ALL, "Any status"),
        ),
        audit_type="leaverequest",
    ),
}
KIND_BY_BULK_KIND = {kind.bulk_kind: kind for kind in KINDS.values()}
DEFAULT_KIND = "timesheets"

STATUS_WORDS = {
    "submitted": "Waiting for approval",
    "pending": "Waiting for approval",
    "approved": "Approved",
    "rejected": "Rejected",
    "open": "Not submitted yet",
}


def status_words(status):
    """A status as a manager reads it."""
    return STATUS_WORDS.get(status, (status or "unknown").capitalize())


@dataclass(frozen=True)
class ApprovalFilters:
    """What the manager narrowed a queue to. Empty strings and None mean "any"."""

    member: str = ""  # a Member's WebWork id
    project: str = ""  # a Project's WebWork id
    date_from: date | None = None
    date_to: date | None = None
    status: str = STATUS_WAITING

    @property
    def narrowed(self):
        """True when anything but the default is chosen."""
        return bool(self.member or self.project or self.date_from or self.date_to) or (
            self.status != STATUS_WAITING
        )

    def query(self, **changes):
        """The filters as query-string pairs (defaults left out), e.g. for links and forms."""
        chosen = replace(self, **changes)
        pairs = {
            "member": chosen.member,
            "project": chosen.project,
            "from": chosen.date_from.isoformat() if chosen.date_from else "",
            "to": chosen.date_to.isoformat() if chosen.date_to else "",
            "status": "" if chosen.status == STATUS_WAITING else chosen.status,
        }
        return {key: value for key, value in pairs.items() if value}


def _status_q(kind, status):
    if status == STATUS_ALL:
        return Q()
    return Q(status=kind.waiting if status == STATUS_WAITING else status)


def _local_midnight(workspace, day):
    return datetime.combine(day, time.min, tzinfo=workspace.zone)


def approval_items_for_workspace(*, workspace, kind, filters):
    """The items of queue `kind` (an ApprovalKind) that `filters` choose, in the order the inbox
    lists them: what waits longest first; decided ones most recent first."""
    model = kind.model
    items = model.objects.filter(workspace=workspace, removed_at__isnull=True).filter(
        _status_q(kind, filters.status)
    )
    if filters.member:
        items = items.filter(user_webwork_id=_int_or_none(filters.member))
    newest_first = filters.status not in (STATUS_WAITING, "open")
    if model is Timesheet:
        if filters.project:
            worked_on = TimeEntry.objects.filter(
                workspace=workspace,
                removed_at__isnull=True,
                user_webwork_id=OuterRef("user_webwork_id"),
                project_webwork_id=_int_or_none(filters.project),
                date__gte=OuterRef("date_from"),
                date__lte=OuterRef("date_to"),
            )
            items = items.filter(Exists(worked_on))
        if filters.date_from:
            items = items.filter(date_to__gte=filters.date_from)
        if filters.date_to:
            items = items.filter(date_from__lte=filters.date_to)
        items = items.select_related("member").defer("raw")  # the payload is not read here
        order = ("-date_from",) if newest_first else ("date_from",)
        return items.order_by(*order, "member__firstname", "member__lastname", "id")
    if model is TimeRequest:
        if filters.project:
            items = items.filter(project_webwork_id=_int_or_none(filters.project))
        if filters.date_from:
            items = items.filter(start__gte=_local_midnight(workspace, filters.date_from))
        if filters.date_to:
            items = items.filter(start__lt=_local_midnight(workspace, filters.date_to + timedelta(days=1)))
        items = items.select_related("member", "project", "task").defer("raw")
        return items.order_by("-start" if newest_first else "start", "id")
    # Leaves: a project narrows to the members with a contract on it.
    if filters.project:
        on_project = Contract.objects.filter(
            workspace=workspace,
            removed_at__isnull=True,
            user_webwork_id=OuterRef("user_webwork_id"),
            project_webwork_id=_int_or_none(filters.project),
        )
        items = items.filter(Exists(on_project))
    if filters.date_from:
        items = items.filter(end_date__gte=filters.date_from)
    if filters.date_to:
        items = items.filter(start_date__lte=filters.date_to)
    items = items.select_related("member", "policy")
    return items.order_by("-start_date" if newest_first else "start_date", "id")


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def approval_counts_for_workspace(*, workspace):
    """{kind slug: how many items wait for a decision} (one query per queue)."""
    return {
        slug: kind.model.objects.filter(
            workspace=workspace, removed_at__isnull=True, status=kind.waiting
        ).count()
        for slug, kind in KINDS.items()
    }


def approval_page_for_workspace(*, workspace, kind, filters, page=1):
    """A page (PER_PAGE rows) of queue `kind` with each row's evidence. Returns (page, rows)."""
    paginator = Paginator(
        approval_items_for_workspace(workspace=workspace, kind=kind, filters=filters), PER_PAGE
    )
    page_obj = paginator.get_page(page)
    return page_obj, approval_rows(workspace=workspace, kind=kind, items=list(page_obj.object_list))


def approval_rows(*, workspace, kind, items):
    """The rows (items with their evidence) of `items`, mirror rows of queue `kind`."""
    if not items:
        return []
    deciding = _deciding_ids(workspace, kind, items)
    if kind.model is Timesheet:
        rows = timesheet_rows_with_evidence(workspace=workspace, timesheets=items)
    elif kind.model is TimeRequest:
        rows = time_request_rows_with_evidence(workspace=workspace, time_requests=items)
    else:
        rows = leave_rows_with_evidence(workspace=workspace, leaves=items)
    for row in rows:
        row.kind = kind
        row.in_bulk = row.item.webwork_id in deciding
    return rows


def approval_item_for_workspace(*, workspace, kind, webwork_id):
    """The item of queue `kind` with WebWork id `webwork_id` in `workspace`; DoesNotExist otherwise."""
    related = {
        Timesheet: ("member",),
        TimeRequest: ("member", "project", "task"),
        LeaveRequest: ("member", "policy"),
    }
    return (
        kind.model.objects.select_related(*related[kind.model])
        .filter(workspace=workspace, removed_at__isnull=True)
        .get(webwork_id=str(webwork_id))
    )


def approval_filter_choices(*, workspace):
    """(members, projects) to filter by: (webwork_id, name) pairs, two queries."""
    members = [
        (m.webwork_id, str(m) or m.email)
        for m in Member.objects.filter(workspace=workspace, removed_at__isnull=True)
        .exclude(role="Project viewer")
        .only("webwork_id", "firstname", "lastname", "email")
        .order_by("firstname", "lastname", "id")
    ]
    projects = list(
        Project.objects.filter(workspace=workspace, removed_at__isnull=True)
        .order_by("name", "id")
        .values_list("webwork_id", "name")
    )
    return members, projects


def decided_this_week_count(*, workspace, kind, verb="approve"):
    """How many items of queue `kind` were approved (`verb`) since the start of the workspace's
    week, through Clockroom or in WebWork (from the audit trail)."""
    status = "approved" if verb == "approve" else "rejected"
    since = _local_midnight(workspace, workspace.week_start(workspace.today()))
    return AuditEvent.objects.filter(
        workspace=workspace,
        object_type=kind.audit_type,
        outcome=AuditEvent.Outcome.DONE,
        created_at__gte=since,
        after__status=status,
    ).count()


def _deciding_ids(workspace, kind, items):
    """The WebWork ids of `items` waiting in a bulk decision that is not done (one query)."""
    return set(
        BulkDecisionItem.objects.filter(
            bulk__workspace=workspace,
            bulk__kind=kind.bulk_kind,
            status=BulkDecisionItem.Status.PENDING,
            object_id__in=[item.webwork_id for item in items],
        )
        .exclude(bulk__status=BulkDecision.Status.DONE)
        .values_list("object_id", flat=True)
    )


# --- Rows and their evidence ------------------------------------------------------------------


@dataclass
class Row:
    """One item of the inbox and the facts for deciding it."""

    item: object
    kind: ApprovalKind | None = None
    in_bulk: bool = False  # waiting in a bulk decision under way
    refusal: str = ""  # WebWork's reason, when it just refused a decision on this item

    @cached_property
    def member_name(self):
        member = self.item.member
        if member is not None:
            return str(member) or member.email
        return f"WebWork user {self.item.user_webwork_id}" if self.item.user_webwork_id else "Unknown member"

    @property
    def waiting(self):
        return self.kind is not None and self.item.status == self.kind.waiting

    @property
    def status_words(self):
        return status_words(self.item.status)

    @property
    def reject_reason(self):
        """Why it was rejected, as the member was told (a time request's comment)."""
        if self.item.status != "rejected":
            return ""
        return getattr(self.item, "reject_reason", "") or getattr(self.item, "comment", "") or ""

    @cached_property
    def dom_id(self):
        return f"approval-{self.kind.slug}-{self.item.webwork_id}"


@dataclass
class DayBar:
    """One day of a timesheet's week as a bar of the row's small SVG chart (user units)."""

    day: date
    minutes: int
    overlap: bool = False
    during_leave: bool = False
    index: int = 0
    scale: int = BAR_FULL_MINUTES

    @property
    def name(self):
        return WEEKDAY_NAMES[self.day.weekday()]

    @property
    def x(self):
        return self.index * (BAR_WIDTH + BAR_GAP)

    @property
    def height(self):
        if self.minutes <= 0:
            return 1  # a hairline: a day without time is still a day
        return max(2, round(BAR_HEIGHT * min(self.minutes, self.scale) / self.scale))

    @property
    def y(self):
        return BAR_HEIGHT - self.height


@dataclass
class TimesheetRow(Row):
    days: list = field(default_factory=list)
    limit_minutes: int | None = None  # None: no limit
    entries_minutes: int = 0  # the week's entries in the mirror
    manual_minutes: int = 0
    activity: int | None = None  # None: no activity data
    overlap_days: list = field(default_factory=list)
    leave_days: list = field(default_factory=list)
    previous_status: str = ""  # "" when the member has no timesheet for the week before

    bar_width = BAR_WIDTH
    bars_width = 7 * BAR_WIDTH + 6 * BAR_GAP
    bars_height = BAR_HEIGHT

    @property
    def total_minutes(self):
        return self.item.total_minutes

    @property
    def over_limit(self):
        return self.limit_minutes is not None and self.total_minutes > self.limit_minutes

    @property
    def manual_percent(self):
        if not self.entries_minutes:
            return None
        return round(100 * self.manual_minutes / self.entries_minutes)

    @cached_property
    def days_text(self):
        """The bars' text alternative: "Mon 7 h 05 min, Tue 0 min, …"."""
        from dashboard.templatetags.clockroom import duration

        return ", ".join(f"{bar.name} {duration(bar.minutes)}" for bar in self.days)

    @property
    def flags(self):
        return bool(self.overlap_days or self.leave_days)

    @cached_property
    def week_words(self):
        return _span_words(self.item.date_from, self.item.date_to)

    @cached_property
    def overlap_words(self):
        return _weekday_list(self.overlap_days)

    @cached_property
    def leave_words(self):
        return _weekday_list(self.leave_days)

    @cached_property
    def label(self):
        return f"{self.member_name}'s timesheet for {_span_words(self.item.date_from, self.item.date_to)}"

    @cached_property
    def previous_words(self):
        return status_words(self.previous_status) if self.previous_status else ""


EN_DASH = "\u2013"


def _span_words(first, last):
    """Dates as a manager reads them: "3-9 Mar", "28 Feb - 6 Mar", "Tue 4 Mar" (with en dashes)."""
    if not first or not last:
        return "unknown dates"
    if first == last:
        return format_date(first, "D j M")
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}{EN_DASH}{format_date(last, 'j M')}"
    return f"{format_date(first, 'j M')} {EN_DASH} {format_date(last, 'j M')}"


def _weekday_list(days):
    return ", ".join(WEEKDAY_NAMES[day.weekday()] for day in sorted(days))


def _breakdown_minutes(breakdown):
    """{date: minutes} from a timesheet's `daily_breakdown` ({"2025-03-03": [{total_minutes}, …]})."""
    minutes = {}
    for key, parts in (breakdown or {}).items():
        try:
            day = date.fromisoformat(str(key)[:10])
        except ValueError:
            continue
        items = parts if isinstance(parts, list) else [parts]
        total = 0
        for part in items:
            if isinstance(part, dict):
                total += _int_or_none(part.get("total_minutes")) or 0
            elif isinstance(part, int | float):
                total += int(part)
        minutes[day] = minutes.get(day, 0) + total
    return minutes


def _member_weeks_q(pairs, *, user_field="user_webwork_id", date_field="date"):
    """OR of (member, first day, last day): the rows of those members within those days."""
    clauses = [
        Q(**{user_field: user, f"{date_field}__gte": first, f"{date_field}__lte": last})
        for user, first, last in set(pairs)
        if user is not None
    ]
    return reduce(or_, clauses) if clauses else Q(pk__in=[])


def entry_days_for_workspace(*, workspace, pairs):
    """{(member webwork id, date): {total, manual, overlapping, during_leave}} for the entries of
    (member, first day, last day) `pairs`: two queries (the entries' times, the approved leaves),
    put together here.

    total: minutes of work (leave, holidays and breaks left out); manual: added by hand;
    overlapping: how many of the day's finished entries overlap another of the same member;
    during_leave: minutes of work on a date inside an approved leave of the member.

    The entries are read plainly and compared in Python: a correlated subquery per entry (does
    another overlap it? is its date on leave?) costs the database far more than reading a page's
    few thousand entries once.
    """
    users = {user for user, _, _ in pairs if user is not None}
    first = min((start for _, start, _ in pairs), default=None)
    last = max((end for _, _, end in pairs), default=None)
    # The members and the span of days first, so the database reads them through the
    # (workspace, member, date) index; then exactly each member's week.
    entries = (
        (
            TimeEntry.objects.filter(
                workspace=workspace,
                removed_at__isnull=True,
                user_webwork_id__in=users,
                date__range=(first, last),
            )
            .filter(_member_weeks_q(pairs))
            .values_list("user_webwork_id", "date", "start_time", "end_time", "duration_minutes", "method")
            .order_by()
        )
        if users
        else []
    )
    leaves = defaultdict(list)
    if users and first and last:
        for user, start, end in LeaveRequest.objects.filter(
            workspace=workspace,
            removed_at__isnull=True,
            status="approved",
            user_webwork_id__in=users,
            start_date__lte=last,
            end_date__gte=first,
        ).values_list("user_webwork_id", "start_date", "end_date"):
            leaves[user].append((start, end))

    days = defaultdict(lambda: {"total": 0, "manual": 0, "overlapping": 0, "during_leave": 0})
    finished = defaultdict(list)
    for user, day, start, end, minutes, method in entries:
        facts = days[(user, day)]
        work = method not in NOT_WORK_METHODS
        if work:
            facts["total"] += minutes
            if any(first <= day <= last for first, last in leaves.get(user, ())):
                facts["during_leave"] += minutes
        if method == MANUAL_METHOD:
            facts["manual"] += minutes
        if end is not None:
            finished[(user, day)].append((start, end))
    for key, spans in finished.items():
        days[key]["overlapping"] = _overlapping(spans)
    return dict(days)


def _overlapping(spans):
    """How many of `spans` ((start, end), finished entries of one member's day) overlap another."""
    spans = sorted(spans)
    overlapping = set()
    latest_end, latest = None, None
    for index, (start, end) in enumerate(spans):
        if latest_end is not None and start < latest_end:
            overlapping.update((index, latest))
        if latest_end is None or end > latest_end:
            latest_end, latest = end, index
    return len(overlapping)


def contract_limits_for_workspace(*, workspace, members):
    """{member webwork id: weekly limit in minutes, or None for no limit} of `members` (WebWork
    ids): the sum of their active contracts' limits; no limit when a contract has none (168 h)
    or the member has no active contract. One query."""
    rows = (
        Contract.objects.filter(
            workspace=workspace, removed_at__isnull=True, status="active", user_webwork_id__in=members
        )
        .values("user_webwork_id")
        .annotate(
            hours=Sum("weekly_hours_limit"),
            unlimited=Count("pk", filter=Q(weekly_hours_limit__gte=NO_LIMIT_HOURS)),
        )
        .order_by()
    )
    limits = {}
    for row in rows:
        hours = row["hours"] or 0
        limits[row["user_webwork_id"]] = (
            None if row["unlimited"] or not hours or hours >= NO_LIMIT_HOURS else hours * 60
        )
    return limits


def timesheet_rows_with_evidence(*, workspace, timesheets):
    """TimesheetRows for `timesheets` (mirror rows of one page): five queries in all."""
    pairs = [(t.user_webwork_id, t.date_from, t.date_to) for t in timesheets]
    entry_days = entry_days_for_workspace(workspace=workspace, pairs=pairs)
    activity = defaultdict(dict)
    for user, day, level in (
        DailyActivity.objects.filter(
            workspace=workspace, removed_at__isnull=True, activity_level__isnull=False
        )
        .filter(_member_weeks_q(pairs))
        .values_list("user_webwork_id", "date", "activity_level")
    ):
        activity[user][day] = level
    previous = {
        (user, first): status
        for user, first, status in Timesheet.objects.filter(workspace=workspace, removed_at__isnull=True)
        .filter(
            _member_weeks_q(
                [(u, f - timedelta(days=7), f - timedelta(days=7)) for u, f, _ in pairs],
                date_field="date_from",
            )
        )
        .values_list("user_webwork_id", "date_from", "status")
    }
    limits = contract_limits_for_workspace(
        workspace=workspace, members={t.user_webwork_id for t in timesheets if t.user_webwork_id is not None}
    )

    rows = []
    for sheet in timesheets:
        user = sheet.user_webwork_id
        breakdown = _breakdown_minutes(sheet.daily_breakdown)
        days = min(7, (sheet.date_to - sheet.date_from).days + 1)
        span = [sheet.date_from + timedelta(days=n) for n in range(days)]
        day_facts = [(day, entry_days.get((user, day), {})) for day in span]
        # The day's hours as WebWork totals them for the timesheet; the mirror's entries only when
        # WebWork gave no breakdown.
        if breakdown:
            minutes_of = {day: breakdown.get(day, 0) for day in span}
        else:
            minutes_of = {day: facts.get("total", 0) for day, facts in day_facts}
        scale = max([BAR_FULL_MINUTES, *minutes_of.values()])
        bars = [
            DayBar(
                day=day,
                minutes=minutes_of[day],
                overlap=bool(facts.get("overlapping")),
                during_leave=bool(facts.get("during_leave")),
                index=index,
                scale=scale,
            )
            for index, (day, facts) in enumerate(day_facts)
        ]
        weights = [(activity[user].get(day), minutes_of[day]) for day in span if day in activity[user]]
        rows.append(
            TimesheetRow(
                item=sheet,
                days=bars,
                limit_minutes=limits.get(user),
                entries_minutes=sum(facts.get("total", 0) for _, facts in day_facts),
                manual_minutes=sum(facts.get("manual", 0) for _, facts in day_facts),
                activity=_weighted_average(weights),
                overlap_days=[bar.day for bar in bars if bar.overlap],
                leave_days=[bar.day for bar in bars if bar.during_leave],
                previous_status=previous.get((user, sheet.date_from - timedelta(days=7)), ""),
            )
        )
    return rows


def _weighted_average(pairs):
    """The average of (level, minutes) pairs weighted by minutes (plain when no day has minutes)."""
    if not pairs:
        return None
    weight = sum(minutes for _, minutes in pairs)
    if weight:
        return round(sum(level * minutes for level, minutes in pairs) / weight)
    return round(sum(level for level, _ in pairs) / len(pairs))


@dataclass
class TimeRequestRow(Row):
    start: datetime | None = None  # in the workspace's time zone
    end: datetime | None = None
    overlaps_tracked: bool = False
    overlaps_request: bool = False
    week_first: date | None = None
    week_manual_minutes: int = 0

    @property
    def minutes(self):
        if self.start and self.end:
            return max(0, round((self.end - self.start).total_seconds() / 60))
        return 0

    @cached_property
    def label(self):
        when = format_date(self.start, "D j M") if self.start else "an unknown day"
        return f"{self.member_name}'s time request for {when}"

    @property
    def same_day(self):
        return self.start and self.end and self.start.date() == self.end.date()


def time_request_rows_with_evidence(*, workspace, time_requests):
    """TimeRequestRows for `time_requests` (mirror rows of one page): two queries in all."""
    ids = [request.pk for request in time_requests]
    tracked = TimeEntry.objects.filter(
        workspace=workspace,
        removed_at__isnull=True,
        user_webwork_id=OuterRef("user_webwork_id"),
        end_time__isnull=False,
        start_time__lt=OuterRef("end"),
        end_time__gt=OuterRef("start"),
    )
    # An approved request becomes a manual entry of its own interval: that is not an overlap.
    tracked = tracked.exclude(Q(method=MANUAL_METHOD, start_time=OuterRef("start"), end_time=OuterRef("end")))
    requested = TimeRequest.objects.filter(
        workspace=workspace,
        removed_at__isnull=True,
        user_webwork_id=OuterRef("user_webwork_id"),
        status__in=("pending", "approved"),
        start__lt=OuterRef("end"),
        end__gt=OuterRef("start"),
    ).exclude(pk=OuterRef("pk"))
    overlaps = {
        pk: (on_tracked, on_request)
        for pk, on_tracked, on_request in TimeRequest.objects.filter(pk__in=ids)
        .annotate(on_tracked=Exists(tracked), on_request=Exists(requested))
        .values_list("pk", "on_tracked", "on_request")
    }
    weeks = {}
    for request in time_requests:
        start = workspace.local(request.start) if request.start else None
        weeks[request.pk] = workspace.week_of(start.date()) if start else None
    pairs = [(r.user_webwork_id, *weeks[r.pk]) for r in time_requests if weeks[r.pk]]
    manual = defaultdict(int)
    for user, day, minutes in (
        TimeEntry.objects.filter(workspace=workspace, removed_at__isnull=True, method=MANUAL_METHOD)
        .filter(_member_weeks_q(pairs))
        .values("user_webwork_id", "date")
        .annotate(minutes=Sum("duration_minutes"))
        .order_by()
        .values_list("user_webwork_id", "date", "minutes")
    ):
        manual[(user, day)] += minutes or 0
    rows = []
    for request in time_requests:
        week = weeks[request.pk]
        on_tracked, on_request = overlaps.get(request.pk, (False, False))
        week_manual = 0
        if week:
            week_manual = sum(
                manual.get((request.user_webwork_id, week[0] + timedelta(days=n)), 0) for n in range(7)
            )
        rows.append(
            TimeRequestRow(
                item=request,
                start=workspace.local(request.start),
                end=workspace.local(request.end),
                overlaps_tracked=bool(on_tracked),
                overlaps_request=bool(on_request),
                week_first=week[0] if week else None,
                week_manual_minutes=week_manual,
            )
        )
    return rows


BALANCE_PATTERN = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*([A-Za-z]+)?\s*$")


def parse_balance(text):
    """WebWork's balance text ("12.5 days", "-2 hours") as (Decimal, unit), or None."""
    match = BALANCE_PATTERN.match(text or "")
    if not match:
        return None
    try:
        amount = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    unit = (match.group(2) or "").lower()
    unit = {"day": "days", "hour": "hours", "d": "days", "h": "hours"}.get(unit, unit)
    return amount, unit


def _amount_words(amount, unit):
    text = f"{amount.normalize():f}"
    if unit in ("days", "hours") and amount == 1:
        unit = unit[:-1]
    return f"{text} {unit}".strip()


@dataclass
class Away:
    name: str
    start: date
    end: date
    status: str

    @cached_property
    def span_words(self):
        return _span_words(self.start, self.end)

    @property
    def pending(self):
        return self.status == "pending"


@dataclass
class LeaveRow(Row):
    length: Decimal | None = None
    unit: str = "days"  # "days" or "hours" (an hour-based policy)
    half_day: str = ""  # "first half", "second half"
    balance: str = ""  # as WebWork gives it
    balance_after: str = ""
    away: list = field(default_factory=list)

    @property
    def length_words(self):
        if self.length is None:
            return ""
        return _amount_words(self.length, self.unit)

    @cached_property
    def span_words(self):
        return _span_words(self.item.start_date, self.item.end_date)

    @cached_property
    def label(self):
        return f"{self.member_name}'s leave, {_span_words(self.item.start_date, self.item.end_date)}"

    @property
    def policy_name(self):
        policy = self.item.policy
        return policy.name if policy is not None else (self.item.raw or {}).get("policy_name", "")


HALF_DAYS = {1: "first half of the day", 2: "second half of the day"}


def _leave_length(leave):
    """(amount, unit, half-day words) of a leave, from WebWork's `total` in its last answer."""
    raw = leave.raw if isinstance(leave.raw, dict) else {}
    total = raw.get("total") if isinstance(raw.get("total"), dict) else {}
    hour_based = leave.policy is not None and leave.policy.kind == "hour-based"
    unit = "hours" if hour_based else "days"
    value = total.get(unit)
    amount = None
    if value not in (None, ""):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = None
    if amount is None and not hour_based and leave.start_date and leave.end_date:
        amount = Decimal(_working_days(leave.start_date, leave.end_date))
    half = HALF_DAYS.get(_int_or_none(raw.get("leave_period")), "")
    return amount, unit, half


def _working_days(start, end):
    return sum(1 for n in range((end - start).days + 1) if (start + timedelta(days=n)).weekday() < 5)


def leave_rows_with_evidence(*, workspace, leaves):
    """LeaveRows for `leaves` (mirror rows of one page): two queries in all."""
    users = {leave.user_webwork_id for leave in leaves if leave.user_webwork_id is not None}
    balances = {
        (user, leave_type): balance
        for user, leave_type, balance in LeaveBalance.objects.filter(
            workspace=workspace, removed_at__isnull=True, user_webwork_id__in=users
        ).values_list("user_webwork_id", "leave_type", "balance")
    }
    spans = [
        Q(start_date__lte=leave.end_date, end_date__gte=leave.start_date)
        for leave in leaves
        if leave.start_date and leave.end_date
    ]
    others = []
    if spans:
        others = list(
            LeaveRequest.objects.filter(
                workspace=workspace, removed_at__isnull=True, status__in=("approved", "pending")
            )
            .filter(reduce(or_, spans))
            .select_related("member")
            .order_by("start_date", "id")
        )
    rows = []
    for leave in leaves:
        amount, unit, half = _leave_length(leave)
        policy_name = leave.policy.name if leave.policy is not None else ""
        balance = balances.get((leave.user_webwork_id, policy_name), "")
        after = ""
        parsed = parse_balance(balance)
        if parsed and amount is not None and leave.status == "pending" and parsed[1] in ("", unit):
            after = _amount_words(parsed[0] - amount, parsed[1] or unit)
        away = []
        if leave.start_date and leave.end_date:
            for other in others:
                if (
                    other.pk != leave.pk
                    and other.user_webwork_id != leave.user_webwork_id
                    and other.start_date <= leave.end_date
                    and other.end_date >= leave.start_date
                ):
                    name = str(other.member) if other.member else f"WebWork user {other.user_webwork_id}"
                    away.append(
                        Away(name=name, start=other.start_date, end=other.end_date, status=other.status)
                    )
        rows.append(
            LeaveRow(
                item=leave,
                length=amount,
                unit=unit,
                half_day=half,
                balance=balance,
                balance_after=after,
                away=away,
            )
        )
    return rows


# --- History ----------------------------------------------------------------------------------

ACTION_WORDS = {
    "approve": "approved",
    "reject": "rejected",
    "submit": "submitted",
    "unsubmit": "took back",
    "reopen": "reopened",
    "cancel": "cancelled",
}


@dataclass
class HistoryEntry:
    event: AuditEvent

    @property
    def in_webwork(self):
        return self.event.source == AuditEvent.Source.WEBWORK

    @property
    def what(self):
        """What was done, as a verb in the past: "approved", "rejected" …"""
        action = self.event.action or ""
        for suffix, words in ACTION_WORDS.items():
            if action.endswith(f"_{suffix}") or action == suffix:
                return words
        before = (self.event.before or {}).get("status") if isinstance(self.event.before, dict) else None
        after = (self.event.after or {}).get("status") if isinstance(self.event.after, dict) else None
        if after and after != before:
            return f"set it to {status_words(after).lower()}"
        return action.replace("_", " ") or "changed it"

    @property
    def refused(self):
        return self.event.outcome == AuditEvent.Outcome.REFUSED


def approval_history_for_item(*, workspace, kind, webwork_id):
    """The audit trail of one item, newest first (one query)."""
    events = (
        AuditEvent.objects.filter(workspace=workspace, object_type=kind.audit_type, object_id=str(webwork_id))
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    return [HistoryEntry(event) for event in events]


# --- Bulk decisions ------------------------------------------------------------------------------

RECENT_BULK = timedelta(minutes=15)


@dataclass
class BulkProgress:
    bulk: BulkDecision
    total: int = 0
    decided: int = 0
    refused: int = 0
    items: list = field(default_factory=list)  # BulkDecisionItem, when asked for
    entries: list = field(default_factory=list)  # BulkEntry, when asked for

    @property
    def kind(self):
        return KIND_BY_BULK_KIND.get(self.bulk.kind)

    @property
    def done(self):
        return self.bulk.status == BulkDecision.Status.DONE

    @property
    def done_word(self):
        return "approved" if self.bulk.verb == BulkDecision.Verb.APPROVE else "rejected"

    @property
    def doing_word(self):
        return "Approving" if self.bulk.verb == BulkDecision.Verb.APPROVE else "Rejecting"

    @property
    def plural(self):
        kind = self.kind
        return kind.plural if kind else "items"

    @property
    def accepted(self):
        return self.decided - self.refused


def _bulk_counted(queryset):
    return queryset.annotate(
        n_total=Count("items"),
        n_decided=Count("items", filter=~Q(items__status=BulkDecisionItem.Status.PENDING)),
        n_refused=Count("items", filter=Q(items__status=BulkDecisionItem.Status.REFUSED)),
    )


def _progress(bulk):
    return BulkProgress(bulk=bulk, total=bulk.n_total, decided=bulk.n_decided, refused=bulk.n_refused)


RECENT_BULK_SHOWN = 3


def bulk_decisions_showing_for_workspace(*, workspace, now=None):
    """The bulk decisions the inbox shows at its top: those under way, and the last three done in
    the last quarter of an hour (one query)."""
    since = (now or timezone.now()) - RECENT_BULK
    bulks = _bulk_counted(
        BulkDecision.objects.filter(workspace=workspace)
        .filter(~Q(status=BulkDecision.Status.DONE) | Q(finished_at__gte=since))
        .select_related("actor")
    ).order_by("-created_at", "-id")[:20]
    showing, done = [], 0
    for bulk in bulks:
        progress = _progress(bulk)
        if progress.done:
            done += 1
            if done > RECENT_BULK_SHOWN:
                continue
        showing.append(progress)
    return showing


@dataclass
class BulkEntry:
    """One item of a bulk decision, named as the inbox names its row."""

    item: BulkDecisionItem
    label: str

    @property
    def status(self):
        return self.item.status


def bulk_decision_for_workspace(*, workspace, pk, with_items=True):
    """One bulk decision of `workspace` with its progress, and its items named (three queries);
    DoesNotExist otherwise."""
    bulk = _bulk_counted(BulkDecision.objects.filter(workspace=workspace).select_related("actor")).get(pk=pk)
    progress = _progress(bulk)
    if with_items:
        progress.items = list(bulk.items.order_by("id"))
        kind = progress.kind
        labels = {}
        if kind is not None:
            related = [
                row
                for row in kind.model.objects.filter(
                    workspace=workspace, webwork_id__in=[item.object_id for item in progress.items]
                ).select_related("member")
            ]
            for row in _rows_of_kind(workspace, kind, related):
                labels[row.item.webwork_id] = row.label
        progress.entries = [
            BulkEntry(
                item=item,
                label=labels.get(item.object_id, f"{kind.noun if kind else 'item'} {item.object_id}"),
            )
            for item in progress.items
        ]
    return progress


def _rows_of_kind(workspace, kind, items):
    """Rows without evidence: enough to name the items."""
    row_class = {Timesheet: TimesheetRow, TimeRequest: TimeRequestRow, LeaveRequest: LeaveRow}[kind.model]
    rows = []
    for item in items:
        row = row_class(item=item, kind=kind)
        if isinstance(row, TimeRequestRow):
            row.start = workspace.local(item.start)
        rows.append(row)
    return rows


def bulk_landed_rows(*, workspace, kind, progress, shown):
    """The rows (with evidence) of the items of `progress` (with its items) already decided whose
    WebWork ids are among `shown`, the rows the page still shows as being decided; a refused
    item's row carries WebWork's reason."""
    shown = set(shown)
    landed = [
        item.object_id
        for item in progress.items
        if item.status != BulkDecisionItem.Status.PENDING and item.object_id in shown
    ]
    if not landed:
        return []
    items = approval_items_for_workspace(
        workspace=workspace, kind=kind, filters=ApprovalFilters(status=STATUS_ALL)
    ).filter(webwork_id__in=landed)
    refusals = {
        item.object_id: item.message or "WebWork refused it."
        for item in progress.items
        if item.status == BulkDecisionItem.Status.REFUSED
    }
    rows = approval_rows(workspace=workspace, kind=kind, items=list(items))
    for row in rows:
        row.refusal = refusals.get(row.item.webwork_id, "")
    return rows
