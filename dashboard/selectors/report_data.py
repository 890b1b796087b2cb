"""The Timeline, Activity, Tasks and Descriptions reports of a workspace.

Every selector takes `workspace=` and reads only that workspace's rows as WebWork still lists
them (`.current()`: an entry deleted in WebWork disappears from every report at the next sync).
Days are the workspace's calendar days (`TimeEntry.date`, which WebWork fills in the workspace's
time zone); times of day are read in `workspace.zone`.

How time is counted, the way WebWork's own reports count it:
- An entry belongs to the day WebWork gives it. WebWork splits time that crosses local midnight
  into one entry per day, so each part counts on its own day; the timeline draws a bar only
  within its day.
- A running tracker is mirrored as an open entry of today (`end_time` empty). The period reports
  (Activity, Tasks, Descriptions) count finished entries only, as WebWork's /reports/task-report,
  /reports/activity-level and /reports/activity-descriptions do: a tracker counts once it stops.
  The timeline draws it up to now, and its day total counts it up to now, as the overview's
  "today" does.
- Activity levels are WebWork's, one per member per day (`DailyActivity`, read with the daily
  timeline). A member's average over a period weights each day's level by the minutes tracked
  that day (finished entries), so a day of 8 hours weighs eight times a day of one hour. WebWork
  weights each entry's level by its minutes; the daily levels it gives are rounded to whole
  percents, so an average here may differ from WebWork's by one point at most.

Member and project filters take WebWork ids; an id that is not one of this workspace's members or
projects is dropped (never looked up elsewhere), so another workspace's ids change nothing and
reveal nothing. Each report costs a fixed number of queries, whatever the number of members.
"""

import zlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone

from dashboard.selectors.reports import ReportFilters, time_entries_for_report
from integrations.models import DailyActivity, Member, Project, TimeEntry

MANUAL_METHOD = "Manually added time"  # TimeEntry.method of time a member added by hand
PROJECT_COLOURS = 20  # colour classes project-0 .. project-19 in static/css/report_views.css
ACTIVITY_MAX_DAYS = 31  # the heat map's columns
ACTIVITY_PER_PAGE = 50
TASKS_PER_PAGE = 50
DESCRIPTIONS_PER_PAGE = 100
# Activity bands, (lowest level, band number, words): a cell's class is act-band-<number>.
ACTIVITY_BANDS = (
    (80, 5, "80 % and over"),
    (60, 4, "60 to 79 %"),
    (40, 3, "40 to 59 %"),
    (20, 2, "20 to 39 %"),
    (0, 1, "under 20 %"),
)


def _round(value):
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _minutes(earlier, later):
    """Whole minutes from `earlier` to `later` (aware datetimes), read in UTC so a day that
    changes its clocks counts its real length."""
    return int((later.astimezone(UTC) - earlier.astimezone(UTC)).total_seconds() // 60)


def project_colour(project_webwork_id):
    """A project's colour class, the same on every day and page: `project-<n>`, or
    `project-none` for time without a project."""
    if project_webwork_id is None:
        return "project-none"
    return f"project-{zlib.crc32(str(project_webwork_id).encode()) % PROJECT_COLOURS}"


# --- Filters and their choices ---------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A member or project a report's filter offers (and a row a report may list)."""

    webwork_id: str
    name: str
    archived: bool = False

    @property
    def label(self):
        """The name as a filter offers it: `Carol Clay (archived)`."""
        return f"{self.name} (archived)" if self.archived else self.name


def member_choices_for_workspace(*, workspace):
    """The workspace's members who track time (project viewers do not), by name, archived ones
    included (their past time is reported): one query."""
    rows = (
        Member.objects.current()
        .filter(workspace=workspace)
        .exclude(role__iexact="Project viewer")
        .order_by("firstname", "lastname", "id")
        .values_list("webwork_id", "firstname", "lastname", "email", "archived_at")
    )
    return [
        Choice(webwork_id, _member_name(first, last, email, webwork_id), archived is not None)
        for webwork_id, first, last, email, archived in rows
    ]


def project_choices_for_workspace(*, workspace):
    """The workspace's projects by name, archived ones last: one query."""
    rows = (
        Project.objects.current()
        .filter(workspace=workspace)
        .order_by("-status", "name", "id")
        .values_list("webwork_id", "name", "status")
    )
    return [Choice(webwork_id, name, status == 0) for webwork_id, name, status in rows]


def report_query(filters: ReportFilters, **extra):
    """A report's filters (and `extra` values that are set) as query-string pairs."""
    pairs = filters.as_query(grouping=False)
    pairs += [(key, value) for key, value in extra.items() if value not in (None, "", False)]
    return pairs


def _entries(workspace, filters, *, start, end):
    """The workspace's current entries of days `start` to `end`, running ones included, that the
    member and project filters select (the timeline's: it draws running trackers)."""
    entries = TimeEntry.objects.current().filter(workspace=workspace, date__gte=start, date__lte=end)
    if filters.members:
        entries = entries.filter(user_webwork_id__in=[int(value) for value in filters.members])
    if filters.projects:
        entries = entries.filter(project_webwork_id__in=[int(value) for value in filters.projects])
    return entries


def _tracked(workspace, filters):
    """The time a period report counts: `time_entries_for_report` (finished, current entries of
    the period that the filters select)."""
    return time_entries_for_report(workspace=workspace, filters=filters)


def _member_name(first, last, email, user_webwork_id):
    return f"{first or ''} {last or ''}".strip() or email or f"Member {user_webwork_id}"


# --- Timeline ------------------------------------------------------------------------------------


@dataclass
class Bar:
    """One entry drawn on a day: `x` and `width` in minutes from the window's start."""

    entry_id: str
    x: int
    width: int
    start: datetime
    end: datetime | None  # None: running now
    minutes: int
    project_name: str
    project_colour: str
    task_title: str
    method: str

    @property
    def manual(self):
        return self.method == MANUAL_METHOD

    @property
    def running(self):
        return self.end is None


@dataclass
class TimelineRow:
    """A member's day (day view) or one day of a member (week view)."""

    label: str
    member_id: str
    day: date
    bars: list = field(default_factory=list)
    minutes: int = 0  # finished entries plus a running tracker up to now
    manual_minutes: int = 0
    first_start: datetime | None = None
    last_end: datetime | None = None
    gap_minutes: int = 0  # untracked time between the first start and the last end
    running: bool = False


@dataclass
class Timeline:
    """What the timeline draws: rows of bars over a window of whole hours of the day."""

    view: str  # "day" or "week"
    day: date
    first: date  # the days shown
    last: date
    rows: list
    idle: list  # day view: the members (choices) without time that day
    window_start: int  # minutes from local midnight
    window_minutes: int
    hours: list  # (x, "09:00") of each hour of the window
    legend: list  # (project name, colour class), by name
    has_manual: bool
    has_running: bool
    now_local: datetime
    member: Choice | None = None  # week view
    now_x: int | None = None  # a day's "now" line: minutes from the window's start, if inside it

    @property
    def minutes(self):
        return sum(row.minutes for row in self.rows)

    @property
    def previous(self):
        return self.day - timedelta(days=7 if self.view == "week" else 1)

    @property
    def next(self):
        return self.day + timedelta(days=7 if self.view == "week" else 1)


def _day_bounds(workspace, day):
    zone = workspace.zone
    return datetime.combine(day, time.min, zone), datetime.combine(day + timedelta(days=1), time.min, zone)


def _timeline_row(workspace, row, entries, now):
    """Fill `row` with `entries` (of `row.day`, by start; dicts of `_timeline_entries`): bars in
    minutes from local midnight, within the day; a running entry drawn up to now."""
    midnight, next_midnight = _day_bounds(workspace, row.day)
    zone = workspace.zone
    reached = None
    for entry in entries:
        running = entry["end_time"] is None
        start = min(max(entry["start_time"], midnight), next_midnight)
        end = min(max(now if running else entry["end_time"], start), next_midnight)
        minutes = _minutes(start, end) if running else entry["duration_minutes"]
        manual = entry["method"] == MANUAL_METHOD
        row.bars.append(
            Bar(
                entry_id=entry["webwork_id"],
                x=_minutes(midnight, start),
                width=_minutes(start, end),
                start=start.astimezone(zone),
                end=None if running else end.astimezone(zone),
                minutes=minutes,
                project_name=(entry["project__name"] or "") if entry["project_id"] else "",
                project_colour=project_colour(entry["project_webwork_id"]),
                task_title=(entry["task__title"] or "") if entry["task_id"] else "",
                method=entry["method"],
            )
        )
        row.minutes += minutes
        if manual:
            row.manual_minutes += minutes
        row.running = row.running or running
        if reached is not None and start > reached:
            row.gap_minutes += _minutes(reached, start)
        reached = end if reached is None else max(reached, end)
        row.first_start = row.first_start or start.astimezone(zone)
    if reached is not None:
        row.last_end = reached.astimezone(zone)
    return row


MIN_WINDOW = 8 * 60


def _window(day_minutes, bars):
    """(start, length) in minutes from local midnight: the whole hours that hold every bar, 8
    hours at least (9:00 to 17:00 without any bar), within the day."""
    if not bars:
        return 9 * 60, MIN_WINDOW
    first = min(bar.x for bar in bars) // 60 * 60
    last = -(-max(bar.x + bar.width for bar in bars) // 60) * 60
    if last - first < MIN_WINDOW:
        last = min(first + MIN_WINDOW, day_minutes)
        first = max(0, min(first, last - MIN_WINDOW))
    return first, max(60, last - first)


def _finish_timeline(workspace, *, view, day, first, last, rows, idle, now, member=None):
    midnight, next_midnight = _day_bounds(workspace, first)
    bars = [bar for row in rows for bar in row.bars]
    window_start, window_minutes = _window(_minutes(midnight, next_midnight), bars)
    for bar in bars:
        # Minutes from the window's start; a bar of a week's other day outside it is clipped.
        end = min(bar.x + bar.width, window_start + window_minutes)
        bar.x = max(0, bar.x - window_start)
        bar.width = max(1, end - window_start - bar.x)
    hours = []
    for offset in range(0, window_minutes, 60):
        moment = midnight.astimezone(UTC) + timedelta(minutes=window_start + offset)
        hours.append((offset, moment.astimezone(workspace.zone).strftime("%H:%M")))
    now_x = None
    if view == "day" and midnight <= now < next_midnight:
        now_x = _minutes(midnight, now) - window_start
        now_x = now_x if 0 <= now_x <= window_minutes else None
    legend = sorted(
        {(bar.project_name or "No project", bar.project_colour) for bar in bars},
        key=lambda item: (item[1] == "project-none", item[0].lower()),
    )
    return Timeline(
        view=view,
        day=day,
        first=first,
        last=last,
        rows=rows,
        idle=idle,
        window_start=window_start,
        window_minutes=window_minutes,
        hours=hours,
        legend=legend,
        has_manual=any(bar.manual for bar in bars),
        has_running=any(bar.running for bar in bars),
        now_local=workspace.local(now),
        member=member,
        now_x=now_x,
    )


TIMELINE_FIELDS = (
    "webwork_id",
    "user_webwork_id",
    "date",
    "start_time",
    "end_time",
    "duration_minutes",
    "method",
    "project_id",
    "project_webwork_id",
    "project__name",
    "task_id",
    "task__title",
)


def _timeline_entries(workspace, filters, start, end):
    """The entries the timeline draws, as dicts (a busy day has thousands), by start."""
    return (
        _entries(workspace, filters, start=start, end=end)
        .values(*TIMELINE_FIELDS)
        .order_by("start_time", "id")
    )


def timeline_day_for_workspace(*, workspace, filters: ReportFilters, members, day, now=None) -> Timeline:
    """Each member's entries of `day` as bars, members (`members`: the member choices) by name;
    those without time that day (active ones, or the ones the filter names) are listed apart.
    One query."""
    now = now or timezone.now()
    by_member = defaultdict(list)
    for entry in _timeline_entries(workspace, filters, day, day):
        by_member[str(entry["user_webwork_id"])].append(entry)
    rows, idle = [], []
    for choice in members:
        if filters.members and choice.webwork_id not in filters.members:
            continue
        if choice.webwork_id in by_member:
            row = TimelineRow(label=choice.name, member_id=choice.webwork_id, day=day)
            rows.append(_timeline_row(workspace, row, by_member.pop(choice.webwork_id), now))
        elif not choice.archived or filters.members:
            idle.append(choice)
    # Time of someone the mirror does not list as a member (yet) is drawn all the same.
    for member_id in sorted(by_member, key=int):
        row = TimelineRow(label=f"Member {member_id}", member_id=member_id, day=day)
        rows.append(_timeline_row(workspace, row, by_member[member_id], now))
    return _finish_timeline(
        workspace, view="day", day=day, first=day, last=day, rows=rows, idle=idle, now=now
    )


def timeline_week_for_workspace(
    *, workspace, filters: ReportFilters, member: Choice, day, now=None
) -> Timeline:
    """`member`'s week (the workspace's week that holds `day`), a row a day. One query."""
    now = now or timezone.now()
    first, last = workspace.week_of(day)
    by_day = defaultdict(list)
    for entry in _timeline_entries(workspace, replace(filters, members=(member.webwork_id,)), first, last):
        by_day[entry["date"]].append(entry)
    rows = []
    for offset in range(7):
        the_day = first + timedelta(days=offset)
        row = TimelineRow(label=the_day.strftime("%a %-d %b"), member_id=member.webwork_id, day=the_day)
        rows.append(_timeline_row(workspace, row, by_day[the_day], now))
    return _finish_timeline(
        workspace, view="week", day=day, first=first, last=last, rows=rows, idle=[], now=now, member=member
    )


def timeline_entry_for_workspace(*, workspace, webwork_id, now=None):
    """One current entry of the workspace, with member, project and task; `minutes` (a running
    one's up to now), `running`, `manual`, `member_name`. Http404 for any other id (another
    workspace's included). One query."""
    entry = (
        TimeEntry.objects.current()
        .filter(workspace=workspace, webwork_id=str(webwork_id))
        .select_related("member", "project", "task")
        .first()
    )
    if entry is None:
        raise Http404("No such time entry.")
    now = now or timezone.now()
    entry.running = entry.end_time is None
    entry.minutes = max(0, _minutes(entry.start_time, now)) if entry.running else entry.duration_minutes
    entry.manual = entry.method == MANUAL_METHOD
    entry.member_name = str(entry.member) if entry.member_id else f"Member {entry.user_webwork_id}"
    return entry


# --- Activity ------------------------------------------------------------------------------------


def activity_band(level):
    """The heat map's band of a level: (class, words)."""
    if level is None:
        return "act-none", "no data"
    for lowest, number, words in ACTIVITY_BANDS:
        if level >= lowest:
            return f"act-band-{number}", words
    return "act-band-1", ACTIVITY_BANDS[-1][2]


@dataclass
class ActivityCell:
    day: date
    level: int | None  # WebWork's level of the day, None without one
    minutes: int  # finished time tracked that day

    @property
    def band(self):
        return activity_band(self.level)[0]


@dataclass
class ActivityRow:
    member_id: str
    name: str
    cells: list = field(default_factory=list)
    minutes: int = 0  # finished time over the period
    weighted: int = 0  # sum of level x minutes over the days with a level
    weight: int = 0  # the minutes of those days
    below: bool = False

    @property
    def average(self):
        """The hours-weighted average level (whole percent); None without a day with both a level
        and tracked time."""
        return _round(Decimal(self.weighted) / self.weight) if self.weight else None

    @property
    def band(self):
        return activity_band(self.average)[0]


@dataclass
class ActivityReport:
    days: list
    rows: list  # every member shown, in order (the view pages them)
    threshold: int | None
    clipped: bool  # the period was longer than ACTIVITY_MAX_DAYS: its first days are shown
    weighted: int = 0
    weight: int = 0

    @property
    def team_average(self):
        return _round(Decimal(self.weighted) / self.weight) if self.weight else None

    @property
    def team_band(self):
        return activity_band(self.team_average)[0]

    @property
    def below(self):
        return [row for row in self.rows if row.below]

    @property
    def minutes(self):
        return sum(row.minutes for row in self.rows)


def threshold_from_query(value):
    """`below=40` (or `40%`) as a whole percent from 1 to 100, else None."""
    try:
        number = int(str(value or "").strip().rstrip("%").strip())
    except ValueError:
        return None
    return number if 1 <= number <= 100 else None


def activity_days(period):
    """(the heat map's days, whether the period was cut): the period's days, at most
    ACTIVITY_MAX_DAYS from its start."""
    length = (period.end - period.start).days + 1
    shown = min(length, ACTIVITY_MAX_DAYS)
    return [period.start + timedelta(days=n) for n in range(shown)], shown < length


def activity_for_workspace(
    *, workspace, filters: ReportFilters, members, threshold=None, below_first=False
) -> ActivityReport:
    """Each member's activity level per day over the period (WebWork's daily levels), their
    hours-weighted average, the team's, and who averages below `threshold` (a whole percent).

    Members (`members`: the member choices): the ones the member filter names, else the active
    ones and archived ones with activity in the period; a project filter keeps those who tracked
    time on those projects in the period (levels and weights stay the whole day's: WebWork gives
    a level per day, not per project). By name, or those below the threshold first (lowest
    first) when `below_first`. Two queries."""
    days, clipped = activity_days(filters.period)
    start, end = days[0], days[-1]
    levels, has_level = {}, set()
    activity = DailyActivity.objects.current().filter(workspace=workspace, date__gte=start, date__lte=end)
    if filters.members:
        activity = activity.filter(user_webwork_id__in=[int(value) for value in filters.members])
    for user_id, day, level in activity.values_list("user_webwork_id", "date", "activity_level"):
        levels[(str(user_id), day)] = level
        if level is not None:
            has_level.add(str(user_id))
    window = replace(filters, period=replace(filters.period, start=start, end=end), projects=())
    groups = _tracked(workspace, window).values("user_webwork_id", "date").order_by()
    if filters.projects:
        on_projects = Q(project_webwork_id__in=[int(value) for value in filters.projects])
        groups = groups.annotate(minutes=Sum("duration_minutes"), on_projects=Count("id", filter=on_projects))
    else:
        groups = groups.annotate(minutes=Sum("duration_minutes"), on_projects=Count("id"))
    minutes, worked_on_projects = {}, set()
    for group in groups:
        member_id = str(group["user_webwork_id"])
        minutes[(member_id, group["date"])] = group["minutes"] or 0
        if group["on_projects"]:
            worked_on_projects.add(member_id)
    report = ActivityReport(days=days, rows=[], threshold=threshold, clipped=clipped)
    for choice in members:
        member_id = choice.webwork_id
        if filters.members:
            if member_id not in filters.members:
                continue
        elif choice.archived and member_id not in has_level:
            continue
        if filters.projects and member_id not in worked_on_projects:
            continue
        row = ActivityRow(member_id=member_id, name=choice.name)
        for day in days:
            level, day_minutes = levels.get((member_id, day)), minutes.get((member_id, day), 0)
            row.cells.append(ActivityCell(day=day, level=level, minutes=day_minutes))
            row.minutes += day_minutes
            if level is not None and day_minutes:
                row.weighted += level * day_minutes
                row.weight += day_minutes
        row.below = threshold is not None and row.average is not None and row.average < threshold
        report.weighted += row.weighted
        report.weight += row.weight
        report.rows.append(row)
    if below_first and threshold is not None:
        report.rows.sort(key=lambda row: (not row.below, row.average if row.below else 0))
    return report


def activity_page(report, page=1):
    """A page of the report's members (ACTIVITY_PER_PAGE)."""
    return Paginator(report.rows, ACTIVITY_PER_PAGE).get_page(page)


# --- Tasks ---------------------------------------------------------------------------------------


@dataclass
class TaskGroup:
    """A task's time over the period and its members' shares; `task_id` None: all the time
    tracked without a task ("No task")."""

    task_id: int | None
    task_title: str
    project_name: str
    minutes: int
    members: list = field(default_factory=list)  # (member id, name, minutes), most time first

    @property
    def label(self):
        if self.task_id is None:
            return "No task"
        return self.task_title or f"Task {self.task_id}"


TASK_MEMBER_FIELDS = (
    "task_webwork_id",
    "user_webwork_id",
    "task__title",
    "task__project__name",
    "member__firstname",
    "member__lastname",
    "member__email",
)


def _task_groups(workspace, filters):
    return (
        _tracked(workspace, filters)
        .values("task_webwork_id")
        .annotate(minutes=Sum("duration_minutes"))
        .order_by("-minutes", "task_webwork_id")
    )


def _task_members(workspace, filters):
    return (
        _tracked(workspace, filters)
        .values(*TASK_MEMBER_FIELDS)
        .annotate(minutes=Sum("duration_minutes"))
        .order_by("-minutes", "user_webwork_id")
    )


def _task_member(row):
    name = _member_name(
        row["member__firstname"], row["member__lastname"], row["member__email"], row["user_webwork_id"]
    )
    return str(row["user_webwork_id"]), name, row["minutes"] or 0


def _task_group(task_id, minutes, names, members):
    title, project_name = names.get(task_id, ("", ""))
    return TaskGroup(
        task_id=task_id, task_title=title, project_name=project_name, minutes=minutes, members=members
    )


def tasks_total_for_workspace(*, workspace, filters: ReportFilters):
    """The minutes of every task (and of no task) the filters select: one query."""
    return _tracked(workspace, filters).aggregate(minutes=Sum("duration_minutes"))["minutes"] or 0


def tasks_page_for_workspace(*, workspace, filters: ReportFilters, page=1):
    """A page of tasks (TaskGroup, most time first; all time without a task is one "No task"),
    each with its time per member, most first. Three queries (the count, the page, its members'
    time)."""
    tasks = Paginator(_task_groups(workspace, filters), TASKS_PER_PAGE).get_page(page)
    groups = list(tasks.object_list)
    ids = [group["task_webwork_id"] for group in groups if group["task_webwork_id"] is not None]
    wanted = Q(task_webwork_id__in=ids)
    if len(ids) < len(groups):
        wanted |= Q(task_webwork_id__isnull=True)
    names, per_task = {}, defaultdict(list)
    if groups:
        for row in _task_members(workspace, filters).filter(wanted):
            names.setdefault(
                row["task_webwork_id"], (row["task__title"] or "", row["task__project__name"] or "")
            )
            per_task[row["task_webwork_id"]].append(_task_member(row))
    tasks.object_list = [
        _task_group(
            group["task_webwork_id"], group["minutes"] or 0, names, per_task[group["task_webwork_id"]]
        )
        for group in groups
    ]
    return tasks


def tasks_for_workspace(*, workspace, filters: ReportFilters):
    """Every task the filters select, as the pages show them one after another (TaskGroup): for
    the CSV. Two queries; the member breakdown is read in chunks and grouped by task, so memory
    holds one row per task and member, never the entries."""
    order = [(group["task_webwork_id"], group["minutes"] or 0) for group in _task_groups(workspace, filters)]
    names, per_task = {}, defaultdict(list)
    for row in _task_members(workspace, filters).iterator(chunk_size=2000):
        names.setdefault(row["task_webwork_id"], (row["task__title"] or "", row["task__project__name"] or ""))
        per_task[row["task_webwork_id"]].append(_task_member(row))
    for task_id, minutes in order:
        yield _task_group(task_id, minutes, names, per_task.pop(task_id, []))


# --- Descriptions --------------------------------------------------------------------------------


def _described(workspace, filters, q):
    entries = _tracked(workspace, filters)
    if q:
        entries = entries.filter(activity_description__icontains=q)
    return entries


def _description_groups(workspace, filters, q):
    return (
        _described(workspace, filters, q)
        .values(
            "user_webwork_id",
            "member__firstname",
            "member__lastname",
            "member__email",
            "date",
            "activity_description",
            "project__name",
        )
        .annotate(minutes=Sum("duration_minutes"), entries=Count("id"))
        .order_by(
            "member__firstname",
            "member__lastname",
            "user_webwork_id",
            "date",
            "-minutes",
            "activity_description",
            "project__name",
        )
    )


def _description_row(group):
    group["member_id"] = str(group["user_webwork_id"])
    group["member_name"] = _member_name(
        group["member__firstname"],
        group["member__lastname"],
        group["member__email"],
        group["user_webwork_id"],
    )
    group["description"] = (group["activity_description"] or "").strip()
    group["project_name"] = group["project__name"] or ""
    return group


def descriptions_page_for_workspace(*, workspace, filters: ReportFilters, q="", page=1):
    """A page of what people wrote (DESCRIPTIONS_PER_PAGE rows), each row a member's day, what
    they wrote and on which project, with its time and entries; members by name, days in order,
    most time first. `q` finds the descriptions that contain it (any case). Two queries."""
    groups = Paginator(_description_groups(workspace, filters, q), DESCRIPTIONS_PER_PAGE).get_page(page)
    groups.object_list = [_description_row(group) for group in groups.object_list]
    return groups


def descriptions_for_workspace(*, workspace, filters: ReportFilters, q=""):
    """Every row of the descriptions report, in its order, read in chunks (for the CSV)."""
    for group in _description_groups(workspace, filters, q).iterator(chunk_size=2000):
        yield _description_row(group)


def descriptions_total_for_workspace(*, workspace, filters: ReportFilters, q=""):
    """The minutes of the rows the descriptions report shows (all pages): one query."""
    return _described(workspace, filters, q).aggregate(minutes=Sum("duration_minutes"))["minutes"] or 0
