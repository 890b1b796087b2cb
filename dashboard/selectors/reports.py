"""What every report shares, and the Hours report.

**Periods** (`Period`, `period_resolve`, `period_from_query`): this week, last week, this month,
last month, or a custom range of days, always in the workspace's calendar (its time zone; weeks
start on Monday, as WebWork's do). A preset stays relative: `?period=last_week` read on another
day is another week. A custom range (`?period=custom&from=...&to=...`) spans at most
MAX_PERIOD_DAYS days.

**Filters** (`ReportFilters.from_query`): members, projects, tasks and contracts, each any number
of WebWork ids (`?member=12&member=15`). An id that is not one of the workspace's rows (another
workspace's, or made up) is dropped, as if it had not been asked for: the report never says
whether it exists elsewhere. Checking them costs one query, whatever was asked.

**Tracked time** (`time_entries_for_report`): the workspace's current `TimeEntry` rows of the
period that have ended. As WebWork's own reports count it:
- an entry belongs to the day it is dated (the workspace's calendar day); WebWork splits time
  that crosses local midnight into one entry per day, so such time counts on each of its days;
- a running tracker counts once it is stopped (the mirror holds it as an open entry of today,
  `end_time` empty, which reports leave out until it ends);
- a deleted entry counts no more once a sync has seen it gone (its row is marked removed).

**The Hours report** (`hours_report_for_workspace`, `hours_rows`): tracked time grouped by one or
two of member, project, task, day, week and month, with a subtotal for each first-level group
and a grand total, in one grouped query read row by row (so the CSV streams a year of entries in
flat memory). Amounts are shown to a manager who may see rates (`manager_sees_rates`, the rule
of the contracts' pages): each contract's rate times the hours tracked on it, in the contract's
currency, each day's amount rounded to the cent as WebWork's tracked-hours report rounds it.
"""

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.paginator import Page, Paginator
from django.db.models import CharField, DateField, F, Sum, Value
from django.db.models.functions import Concat, Lower, TruncMonth, TruncWeek
from django.utils.http import urlencode

from dashboard.models import SavedReport
from dashboard.selectors.query import day_from_query, webwork_id_from_query
from integrations.models import Contract, Member, Project, RunningTracker, Task, TimeEntry

# --- Periods -------------------------------------------------------------------------------------

THIS_WEEK, LAST_WEEK, THIS_MONTH, LAST_MONTH, CUSTOM = (
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "custom",
)
PERIODS = (
    (THIS_WEEK, "This week"),
    (LAST_WEEK, "Last week"),
    (THIS_MONTH, "This month"),
    (LAST_MONTH, "Last month"),
    (CUSTOM, "Custom"),
)
PERIOD_LABELS = dict(PERIODS)
MAX_PERIOD_DAYS = 366  # a custom period's longest span (a leap year)


def _day(value):
    return day_from_query(value)


def _month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Period:
    """Days `start` to `end` (both included) of the workspace's calendar, chosen as `key` (a preset
    or "custom"). `shortened`: a custom range longer than MAX_PERIOD_DAYS, cut to that."""

    key: str
    start: date
    end: date
    shortened: bool = False

    @property
    def label(self):
        return PERIOD_LABELS.get(self.key, "Custom")

    @property
    def relative(self):
        """Whether the period is a preset, read again on the day a report is opened."""
        return self.key != CUSTOM

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def dates(self):
        return [self.start + timedelta(days=n) for n in range(self.days)]

    @property
    def words(self):
        """`Mon 30 Nov to Sun 6 Dec 2026`: the days, as a manager reads them."""
        if self.start == self.end:
            return self.start.strftime("%a %-d %b %Y")
        first = "%a %-d %b" if self.start.year == self.end.year else "%a %-d %b %Y"
        return f"{self.start.strftime(first)} to {self.end.strftime('%a %-d %b %Y')}"

    def as_query(self):
        """The period as query-string pairs: a preset by its name only (so it stays relative)."""
        if self.relative:
            return [("period", self.key)]
        return [("period", CUSTOM), ("from", self.start.isoformat()), ("to", self.end.isoformat())]


def period_resolve(key, *, today, start=None, end=None) -> Period:
    """The Period `key` names on `today` (the workspace's today). A custom period takes `start`
    and `end` (either may be missing: from the start of this week, up to today), in either order,
    at most MAX_PERIOD_DAYS days. An unknown `key` is this week."""
    week_start = today - timedelta(days=today.weekday())  # WebWork's weeks start on Monday
    if key == LAST_WEEK:
        return Period(LAST_WEEK, week_start - timedelta(days=7), week_start - timedelta(days=1))
    if key == THIS_MONTH:
        return Period(THIS_MONTH, today.replace(day=1), _month_end(today))
    if key == LAST_MONTH:
        last = today.replace(day=1) - timedelta(days=1)
        return Period(LAST_MONTH, last.replace(day=1), last)
    if key == CUSTOM:
        start = start or (min(end, week_start) if end else week_start)
        end = end or max(start, today)
        start, end = min(start, end), max(start, end)
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            return Period(CUSTOM, start, start + timedelta(days=MAX_PERIOD_DAYS - 1), shortened=True)
        return Period(CUSTOM, start, end)
    return Period(THIS_WEEK, week_start, week_start + timedelta(days=6))


def period_from_query(query, *, workspace, now=None) -> Period:
    """The period a report's query string asks for (`period`, `from`, `to`), resolved on the
    workspace's today (of `now`). Dates without a `period` make a custom one."""
    key = query.get("period") or ""
    start, end = _day(query.get("from")), _day(query.get("to"))
    if key not in PERIOD_LABELS:
        key = CUSTOM if (start or end) else THIS_WEEK
    return period_resolve(key, today=workspace.today(now), start=start, end=end)


# --- Filters -------------------------------------------------------------------------------------

MAX_IDS = 200  # ids read from one filter of a query string; more are ignored
FILTERS = (  # (query name, model, TimeEntry column holding its WebWork id)
    ("member", Member, "user_webwork_id"),
    ("project", Project, "project_webwork_id"),
    ("task", Task, "task_webwork_id"),
    ("contract", Contract, "contract_webwork_id"),
)


def ids_from_query(query, name):
    """The WebWork ids a query string gives for `name` (repeated, or comma-separated), digits
    only, each once, in their order."""
    values = query.getlist(name) if hasattr(query, "getlist") else [query.get(name) or ""]
    found = []
    for value in values:
        for part in str(value).split(","):
            part = webwork_id_from_query(part)
            if part and part not in found:
                found.append(part)
    return found[:MAX_IDS]


def _name_of(name):
    """The words naming a row of filter `name`, in SQL (for the union of `ids_of_workspace`)."""
    text = CharField()
    if name == "member":
        return Concat("firstname", Value(" "), "lastname", output_field=text)
    if name == "project":
        return Concat("name", Value(""), output_field=text)
    if name == "task":
        return Concat("title", Value(""), output_field=text)
    return Concat(
        "member__firstname", Value(" "), "member__lastname", Value(" on "), "project__name", output_field=text
    )


def ids_of_workspace(*, workspace, asked) -> tuple[dict, dict]:
    """({filter name: the ids of `asked[name]` that are rows of `workspace`}, {(filter name, id):
    the row's name}): one query (none when nothing is asked). Removed rows count (their past time
    is still reported)."""
    parts = []
    for name, model, _ in FILTERS:
        if asked.get(name):
            parts.append(
                model.objects.filter(workspace=workspace, webwork_id__in=asked[name])
                .order_by()
                .values_list(Value(name, output_field=CharField()), "webwork_id", _name_of(name))
            )
    names = {}
    if parts:
        query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for name, webwork_id, words in query:
            names[(name, str(webwork_id))] = (
                " ".join((words or "").split()) or f"{name.capitalize()} {webwork_id}"
            )
    valid = {
        name: [value for value in asked.get(name, []) if (name, value) in names] for name, _, _ in FILTERS
    }
    return valid, names


# Groupings: (key, label). Day, week and month are days of the workspace's calendar.
GROUPINGS = (
    ("member", "Member"),
    ("project", "Project"),
    ("task", "Task"),
    ("day", "Day"),
    ("week", "Week"),
    ("month", "Month"),
)
GROUPING_LABELS = dict(GROUPINGS)
TIME_GROUPINGS = ("day", "week", "month")
DEFAULT_GROUPING = ("member", "project")


@dataclass(frozen=True)
class ReportFilters:
    """A report's period, filters and grouping, as its query string gives them; ids that are not
    the workspace's are already dropped (see `from_query`)."""

    period: Period
    members: tuple = ()
    projects: tuple = ()
    tasks: tuple = ()
    contracts: tuple = ()
    grouping: tuple = DEFAULT_GROUPING  # one or two of GROUPINGS' keys, different
    names: dict = field(default_factory=dict, compare=False, hash=False)  # {(filter, id): its name}

    @classmethod
    def from_query(cls, query, *, workspace, now=None):
        """Read `query` (a QueryDict or a dict) for `workspace`: at most one query (the ids)."""
        asked = {name: ids_from_query(query, name) for name, _, _ in FILTERS}
        valid, names = ids_of_workspace(workspace=workspace, asked=asked)
        return cls(
            period=period_from_query(query, workspace=workspace, now=now),
            members=tuple(valid["member"]),
            projects=tuple(valid["project"]),
            tasks=tuple(valid["task"]),
            contracts=tuple(valid["contract"]),
            grouping=grouping_from_query(query),
            names=names,
        )

    def ids(self, name):
        return {
            "member": self.members,
            "project": self.projects,
            "task": self.tasks,
            "contract": self.contracts,
        }[name]

    def chosen(self, name):
        """[(id, name)] of filter `name`'s ids."""
        return [(value, self.names.get((name, value), value)) for value in self.ids(name)]

    def words(self):
        """The filters in a manager's words: `Members: Alice Archer, Bob Baker; Projects: Design`."""
        parts = []
        for name, label in (
            ("member", "Members"),
            ("project", "Projects"),
            ("task", "Tasks"),
            ("contract", "Contracts"),
        ):
            if chosen := self.chosen(name):
                parts.append(f"{label}: {', '.join(words for _, words in chosen)}")
        return "; ".join(parts)

    @property
    def grouping_words(self):
        """`member, then by project`."""
        return ", then by ".join(GROUPING_LABELS[key].lower() for key in self.grouping)

    @property
    def narrowed(self):
        """Whether some of the period's time is left out by a filter."""
        return bool(self.members or self.projects or self.tasks or self.contracts)

    def as_query(self, *, grouping=True):
        """Query-string pairs (a list: filters repeat), presets kept relative."""
        pairs = list(self.period.as_query())
        for name, _, _ in FILTERS:
            pairs += [(name, value) for value in self.ids(name)]
        if grouping:
            pairs.append(("by", self.grouping[0]))
            pairs.append(("then", self.grouping[1] if len(self.grouping) > 1 else "none"))
        return pairs

    @property
    def query_string(self):
        return urlencode(self.as_query())


def grouping_from_query(query):
    """(first[, second]) from `?by=&then=`: known, different keys. Without `by` the first is
    the member; `then=none` (or no `then` beside a `by`) is one level. Nothing asked: member, then
    project."""
    first, second = query.get("by") or "", query.get("then") or ""
    if first not in GROUPING_LABELS:
        if not first and not second:
            return DEFAULT_GROUPING
        first = DEFAULT_GROUPING[0]
    if second in GROUPING_LABELS and second != first:
        return (first, second)
    return (first,)


# --- Tracked time ---------------------------------------------------------------------------------


def time_entries_for_report(*, workspace, filters: ReportFilters):
    """The tracked time a report counts (see the module's docstring): the workspace's current,
    ended entries dated in the period, narrowed by the filters."""
    entries = TimeEntry.objects.current().filter(
        workspace=workspace,
        date__gte=filters.period.start,
        date__lte=filters.period.end,
        end_time__isnull=False,
    )
    for name, _, column in FILTERS:
        if ids := filters.ids(name):
            entries = entries.filter(**{f"{column}__in": [int(value) for value in ids]})
    return entries


def trackers_running_for_workspace(*, workspace):
    """How many members are tracking time now (their running time is counted once stopped)."""
    return RunningTracker.objects.current().filter(workspace=workspace).count()


# --- The Hours report -----------------------------------------------------------------------------

CENT = Decimal("0.01")
HOURS_PER_PAGE = 200  # table rows (groups and subtotals) a page of the Hours report shows
CHART_STACKS = 10  # stacks a chart shows; the rest are added up as one
CHART_MAX_DAYS = 31  # without a time grouping the chart's bars are days up to this, then weeks...
CHART_MAX_WEEKS = 27  # ...up to this many, then months


class WeekStart(TruncWeek):
    """The Monday of a date's week (WebWork's weeks start on Monday, as ISO weeks and TruncWeek
    do). On SQLite in its own date arithmetic, many times faster than Django's Python function."""

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, '-6 days', 'weekday 1')", params


class MonthStart(TruncMonth):
    """The first day of a date's month; on SQLite in its own date arithmetic."""

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, 'start of month')", params


@dataclass(frozen=True)
class Dimension:
    """A grouping as the grouped query reads it: the values() `fields` (the first names the group)
    and the order of the groups."""

    key: str
    fields: tuple
    order: tuple
    annotation: dict = field(default_factory=dict)

    @property
    def label(self):
        return GROUPING_LABELS[self.key]

    @property
    def is_time(self):
        return self.key in TIME_GROUPINGS


DIMENSIONS = {
    "member": Dimension(
        "member",
        ("user_webwork_id", "member__firstname", "member__lastname", "member__email"),
        (
            Lower("member__firstname").asc(nulls_last=True),
            Lower("member__lastname").asc(nulls_last=True),
            "user_webwork_id",
        ),
    ),
    "project": Dimension(
        "project",
        ("project_webwork_id", "project__name"),
        (Lower("project__name").asc(nulls_last=True), F("project_webwork_id").asc(nulls_last=True)),
    ),
    "task": Dimension(
        "task",
        ("task_webwork_id", "task__title", "project__name"),
        (
            Lower("task__title").asc(nulls_last=True),
            F("task_webwork_id").asc(nulls_last=True),
            Lower("project__name").asc(nulls_last=True),
        ),
    ),
    "day": Dimension("day", ("date",), ("date",)),
    "week": Dimension(
        "week",
        ("report_week",),
        ("report_week",),
        {"report_week": WeekStart("date", output_field=DateField())},
    ),
    "month": Dimension(
        "month",
        ("report_month",),
        ("report_month",),
        {"report_month": MonthStart("date", output_field=DateField())},
    ),
}
FINEST_FIRST = ("day", "week", "month")
CONTRACT_FIELDS = ("contract_webwork_id", "contract__rate", "contract__currency")


@dataclass(frozen=True)
class Label:
    """A group as a row shows it: `key` tells groups apart, `text` for the page, `csv` for a file."""

    key: tuple
    text: str
    csv: str


def _range_words(first, last):
    if first == last:
        return f"{first:%a %-d %b %Y}"
    if first.year != last.year:
        return f"{first:%-d %b %Y} to {last:%-d %b %Y}"
    if first.month != last.month:
        return f"{first:%-d %b} to {last:%-d %b %Y}"
    return f"{first:%-d} to {last:%-d %b %Y}"


def _as_date(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def label_of(key, row, period=None) -> Label:
    """The Label of grouping `key` for a row of the grouped query. A week or month that `period`
    cuts reads as the days of it the period holds."""
    dimension = DIMENSIONS[key]
    values = tuple(row[name] for name in dimension.fields)
    if key == "member":
        webwork_id, first, last, email = values
        text = f"{first or ''} {last or ''}".strip() or email or f"Member {webwork_id}"
        return Label(values, text, text)
    if key == "project":
        webwork_id, name = values
        text = name or (f"Project {webwork_id}" if webwork_id else "No project")
        return Label(values, text, text)
    if key == "task":
        webwork_id, title, project = values
        text = (title or f"Task {webwork_id}") if webwork_id else "No task"
        text = f"{text} ({project})" if project else text
        return Label(values, text, text)
    day = _as_date(values[0])
    if key == "day":
        return Label((day,), day.strftime("%a %-d %b %Y"), day.isoformat())
    last = day + timedelta(days=6) if key == "week" else _month_end(day)
    first = max(day, period.start) if period else day
    last = min(last, period.end) if period else last
    if key == "week":
        return Label((day,), _range_words(first, last), first.isoformat())
    text = day.strftime("%B %Y") if (first, last) == (day, _month_end(day)) else _range_words(first, last)
    return Label((day,), text, day.strftime("%Y-%m"))


@dataclass
class HoursRow:
    """A line of the table: a group's time (`kind` "row"), a first-level group's subtotal
    ("subtotal") or the grand total ("total"); `amounts` {currency: Decimal}."""

    kind: str
    first: Label | None = None
    second: Label | None = None
    minutes: int = 0
    amounts: dict = field(default_factory=dict)
    cells: list = field(default_factory=list)  # the amounts in the table's columns (the page sets them)

    def add(self, minutes, currency=None, amount=None):
        self.minutes += minutes
        if amount is not None:
            self.amounts[currency] = self.amounts.get(currency, Decimal(0)) + amount

    def merge(self, other):
        self.minutes += other.minutes
        for currency, amount in other.amounts.items():
            self.amounts[currency] = self.amounts.get(currency, Decimal(0)) + amount

    def amounts_in(self, currencies):
        """The amounts in the order of `currencies` (None where nothing was earned in one)."""
        return [self.amounts.get(currency) for currency in currencies]

    @property
    def hours(self):
        """Decimal hours with two places, as the CSV writes them."""
        return (Decimal(self.minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)


def _amount(minutes, rate):
    return (Decimal(minutes) * Decimal(rate) / 60).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class HoursReport:
    """The Hours report of `filters`: its grouped query (lazy) and how to read it as table rows."""

    workspace: object
    filters: ReportFilters
    sees_rates: bool
    currencies: list  # the amount columns, in order ("" is an amount in no known currency)
    rows_query: object  # the grouped query: one row per group, day (and contract with rates)

    @property
    def dimensions(self):
        return [DIMENSIONS[key] for key in self.filters.grouping]

    @property
    def two_levels(self):
        return len(self.filters.grouping) > 1

    def raw_rows(self, *, stream=False):
        """The grouped query's rows, in the table's order; `stream` reads them in chunks."""
        return self.rows_query.iterator(chunk_size=2000) if stream else iter(self.rows_query)

    def rows(self, raw=None, *, stream=False):
        """Every line of the table in order: the groups, each first-level group's subtotal after
        its rows (with two groupings), and the grand total last. Holds one group at a time."""
        raw = self.raw_rows(stream=stream) if raw is None else raw
        keys, period = self.filters.grouping, self.filters.period
        default_currency = (self.workspace.currency or "").upper()
        total = HoursRow("total")
        subtotal = current = None
        fields = [DIMENSIONS[key].fields for key in keys] + [()]
        seen = None
        for values in raw:
            # A group is told by its raw values; its Label is made once, when the group starts.
            key = (tuple(values[name] for name in fields[0]), tuple(values[name] for name in fields[1]))
            if key != seen:
                new_first = seen is None or key[0] != seen[0]
                if current is not None:
                    yield current
                    if subtotal is not None and new_first:
                        yield subtotal
                        subtotal = None
                first = label_of(keys[0], values, period) if new_first else current.first
                second = label_of(keys[1], values, period) if self.two_levels else None
                current = HoursRow("row", first, second)
                if subtotal is None and self.two_levels:
                    subtotal = HoursRow("subtotal", first)
                seen = key
            minutes = values["minutes"] or 0
            amount = currency = None
            if self.sees_rates and values.get("contract__rate") is not None:
                currency = (values.get("contract__currency") or default_currency).upper()
                amount = _amount(minutes, values["contract__rate"])
            current.add(minutes, currency, amount)
            if subtotal is not None:
                subtotal.add(minutes, currency, amount)
            total.add(minutes, currency, amount)
        if current is not None:
            yield current
            if subtotal is not None:
                yield subtotal
        yield total


def _currencies_for_workspace(workspace):
    """The currencies the workspace's contracts are in (the workspace's own first): one query."""
    default = (workspace.currency or "").upper()
    found = {
        (code or default).upper()
        for code in Contract.objects.filter(workspace=workspace)
        .order_by()
        .values_list("currency", flat=True)
        .distinct()
    }
    return [default, *sorted(found - {default})] if default or not found else sorted(found)


def hours_report_for_workspace(*, workspace, filters: ReportFilters, sees_rates=False) -> HoursReport:
    """The Hours report (see the module's docstring). `sees_rates`: whether the manager reading it
    may see rates (`dashboard.selectors.contracts.manager_sees_rates`); then its currencies cost
    one query. The rows cost one grouped query when read."""
    dimensions = [DIMENSIONS[key] for key in filters.grouping]
    names, order, annotations = [], [], {}
    for dimension in dimensions:
        annotations.update(dimension.annotation)
        names += [name for name in dimension.fields if name not in names]
        order += list(dimension.order)
    # The chart's bars need each row's day, unless they are one of the groupings (then its own
    # field is the bar): grouped by week, a member's 13 weeks are 13 rows, not 65 days.
    if chart_unit(filters) not in filters.grouping and "date" not in names:
        names.append("date")
    if sees_rates:
        names += CONTRACT_FIELDS
    query = (
        time_entries_for_report(workspace=workspace, filters=filters)
        .annotate(**annotations)
        .values(*names)
        .annotate(minutes=Sum("duration_minutes"))
        .order_by(*order, *(["date"] if "date" in names else []))
    )
    return HoursReport(
        workspace=workspace,
        filters=filters,
        sees_rates=sees_rates,
        currencies=_currencies_for_workspace(workspace) if sees_rates else [],
        rows_query=query,
    )


# --- The chart ----------------------------------------------------------------------------------


def chart_unit(filters: ReportFilters):
    """The chart's bars: the finest time grouping chosen, else days, weeks or months by length."""
    for key in FINEST_FIRST:
        if key in filters.grouping:
            return key
    days = filters.period.days
    if days <= CHART_MAX_DAYS:
        return "day"
    return "week" if days <= CHART_MAX_WEEKS * 7 else "month"


def chart_stack(filters: ReportFilters):
    """What the bars are stacked by: the second grouping, else the first, unless it is a time."""
    for key in reversed(filters.grouping):
        if key not in TIME_GROUPINGS:
            return key
    return None


def _bucket(unit, day):
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _buckets(unit, period):
    first, buckets = _bucket(unit, period.start), []
    while first <= period.end:
        buckets.append(first)
        if unit == "day":
            first += timedelta(days=1)
        elif unit == "week":
            first += timedelta(days=7)
        else:
            first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return buckets


def _bucket_words(unit, bucket, period):
    if unit == "day":
        return bucket.strftime("%a %-d %b")
    if unit == "week":
        return _range_words(max(bucket, period.start), min(bucket + timedelta(days=6), period.end))
    return bucket.strftime("%b %Y")


class HoursChart:
    """Tracked hours per bar (day, week or month) stacked by a grouping, built from the report's
    rows as they are read (`add`), then `data()` for the page's JSON data island."""

    def __init__(self, filters: ReportFilters):
        self.unit = chart_unit(filters)
        self.stack = chart_stack(filters)
        self.period = filters.period
        self.buckets = _buckets(self.unit, filters.period)
        # Where a row's bar is read: its grouping's own field when the bars are a grouping
        # (a week's Monday, a month's first day), else its day.
        self.day_field = DIMENSIONS[self.unit].fields[0] if self.unit in filters.grouping else "date"
        self.minutes = defaultdict(lambda: defaultdict(int))  # {stack key: {bucket: minutes}}
        self.labels = {}

    def add(self, values):
        key = tuple(values[name] for name in DIMENSIONS[self.stack].fields) if self.stack else ()
        if key not in self.labels:
            self.labels[key] = label_of(self.stack, values).text if self.stack else "Tracked time"
        self.minutes[key][_bucket(self.unit, _as_date(values[self.day_field]))] += values["minutes"] or 0

    def data(self):
        totals = sorted(self.minutes, key=lambda key: (-sum(self.minutes[key].values()), self.labels[key]))
        shown, rest = totals[:CHART_STACKS], totals[CHART_STACKS:]
        if len(rest) == 1:
            shown, rest = totals, []
        series = [(self.labels[key], self.minutes[key]) for key in shown]
        if rest:
            others = defaultdict(int)
            for key in rest:
                for bucket, minutes in self.minutes[key].items():
                    others[bucket] += minutes
            words = {"member": "members", "project": "projects", "task": "tasks"}.get(self.stack, "")
            series.append((f"{len(rest)} other {words}".strip(), others))
        return {
            "period": {
                "key": self.period.key,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "unit": self.unit,
            "stacked_by": GROUPING_LABELS.get(self.stack, ""),
            "labels": [_bucket_words(self.unit, bucket, self.period) for bucket in self.buckets],
            "datasets": [
                {
                    "label": label,
                    "hours": [round(by_bucket.get(bucket, 0) / 60, 2) for bucket in self.buckets],
                }
                for label, by_bucket in series
            ],
        }


def _observed(raw, chart):
    for values in raw:
        chart.add(values)
        yield values


@dataclass
class HoursPage:
    """What the Hours page shows: a page of the table's rows (`rows`, a Page of HOURS_PER_PAGE
    rows: groups and subtotals), the grand total, and the chart of every row."""

    report: HoursReport
    rows: Page
    total: HoursRow
    chart: dict

    @property
    def row_count(self):
        """The table's rows (groups and subtotals) on every page, the total aside."""
        return self.rows.paginator.count

    @property
    def total_amounts(self):
        """[(currency, amount)] of the grand total, in the table's order, where something was earned."""
        return [
            (currency, amount)
            for currency, amount in zip(self.report.currencies, self.total.cells, strict=False)
            if amount is not None
        ]

    @property
    def empty(self):
        return not self.total.minutes and not self.row_count


def hours_page_for_workspace(*, workspace, filters: ReportFilters, sees_rates=False, page=1) -> HoursPage:
    """The Hours report as the page shows it: page `page` of its rows, the total and the chart,
    from one grouped query (plus the currencies with rates)."""
    report = hours_report_for_workspace(workspace=workspace, filters=filters, sees_rates=sees_rates)
    chart = HoursChart(filters)
    rows, total = [], None
    for row in report.rows(_observed(report.raw_rows(), chart)):
        row.cells = row.amounts_in(report.currencies)
        if row.kind == "total":
            total = row
        else:
            rows.append(row)
    return HoursPage(
        report=report, rows=Paginator(rows, HOURS_PER_PAGE).get_page(page), total=total, chart=chart.data()
    )


# --- The filters' choices ---------------------------------------------------------------------


@dataclass
class ReportChoices:
    members: list  # (webwork id, name)
    projects: list
    tasks: list  # (webwork id, "title (project)")
    contracts: list  # (webwork id, "member on project")


def report_choices_for_workspace(*, workspace, filters: ReportFilters | None = None) -> ReportChoices:
    """What a report's filters offer: the workspace's current members, projects, tasks (of the
    chosen projects, when some are) and contracts. Four queries."""
    members = (
        Member.objects.current()
        .filter(workspace=workspace)
        .order_by(Lower("firstname"), Lower("lastname"), "email", "pk")
    )
    projects = Project.objects.current().filter(workspace=workspace).order_by(Lower("name"), "pk")
    tasks = Task.objects.current().filter(workspace=workspace)
    if filters is not None and filters.projects:
        tasks = tasks.filter(project_webwork_id__in=[int(value) for value in filters.projects])
    tasks = tasks.order_by(Lower("title"), "pk").values_list("webwork_id", "title", "project__name")
    contracts = (
        Contract.objects.current()
        .filter(workspace=workspace)
        .order_by(Lower("member__firstname"), Lower("member__lastname"), Lower("project__name"), "pk")
        .values_list("webwork_id", "member__firstname", "member__lastname", "project__name")
    )
    return ReportChoices(
        members=[
            (webwork_id, f"{first} {last}".strip() or email)
            for webwork_id, first, last, email in members.values_list(
                "webwork_id", "firstname", "lastname", "email"
            )
        ],
        projects=list(projects.values_list("webwork_id", "name")),
        tasks=[
            (webwork_id, f"{title} ({project})" if project else title) for webwork_id, title, project in tasks
        ],
        contracts=[
            (webwork_id, f"{f'{first} {last}'.strip() or 'Someone'} on {project or 'a project'}")
            for webwork_id, first, last, project in contracts
        ],
    )


# --- Saved reports ------------------------------------------------------------------------------


def saved_reports_for_workspace(*, workspace):
    """The workspace's saved reports by name, with who saved them: one query."""
    return list(
        SavedReport.objects.filter(workspace=workspace)
        .select_related("created_by")
        .order_by(Lower("name"), "pk")
    )


def saved_report_for_workspace(*, workspace, saved_id):
    """The saved report `saved_id` of `workspace` (SavedReport.DoesNotExist for another's)."""
    return SavedReport.objects.select_related("created_by", "workspace").get(workspace=workspace, pk=saved_id)
