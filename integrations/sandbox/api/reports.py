"""Reports: tracked hours, daily timeline, daily attendance, tasks, activity level and
activity descriptions (GET /reports/...).

Every report is computed from the same `TimeEntry` rows that GET /time-entries lists, so
their minutes always agree with the entries and with each other. Durations are minutes;
days are the workspace-local calendar dates stored on the entries; times of day and
local timestamps use the workspace owner's time zone (`Workspace.timezone`).

The reports that page "by user" (timeline, attendance, tasks, activity level, activity
descriptions) page over the workspace's members other than project viewers, ordered by
user id: every active member, plus archived members who have time in the period, so an
archived member's entries are never left out. Each page costs a fixed number of queries,
whatever the number of members or entries.
"""

import uuid
from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Contract, LeaveRequest, Membership, Project, RunningTracker, Task, TimeEntry
from ..models.accounts import Role
from ..models.time import Method
from ..timekeeping import CENT, local_date, local_midnight, week_start, workspace_zone
from .base import (
    MAX_ID,
    DayField,
    IdField,
    Response,
    day,
    int_list,
    iso_local,
    number,
    paginate,
    param_list,
    route,
    validate,
    validation_error,
    workspace_for,
)
from .time_entries import serialize_time_entry

REPORT_PER_PAGE = 30
REPORT_MAX_PER_PAGE = 100
MAX_RANGE_DAYS = 31

# An entry earns its contract's rate, else its project's (per hour).
RATE = Coalesce(F("contract__rate"), F("project__rate"))
RATE_MINUTES = ExpressionWrapper(
    F("duration_minutes") * RATE, output_field=DecimalField(max_digits=20, decimal_places=4)
)
ACTIVITY_MINUTES = F("duration_minutes") * F("activity_level")

# Attendance rules.
DAY_STARTS = time(9, 30)
DAY_ENDS = time(17, 0)
MIN_BREAK_MINUTES = 10
DEFAULT_EXPECTED_MINUTES = 8 * 60
ABSENCE_METHODS = frozenset({Method.PAID_LEAVE, Method.PAID_HOLIDAY})
STATUS_FILTERS = {
    "late": "Late",
    "left_early": "Left early",
    "tracked_less": "Tracked less",
    "absent": "Absent",
    "on_leave": "On leave",
}


# --- Parameters -----------------------------------------------------------------


DATE_INPUT = {
    "input_formats": ["%Y-%m-%d"],
    "error_messages": {"invalid": "Enter a valid date as YYYY-MM-DD.", "required": "This field is required."},
}


class ReportIdField(IdField):
    """An optional id; one too large for the database is "Not a valid id."."""

    default_error_messages = {"max_value": "Not a valid id."}


class RangeForm(forms.Form):
    """`start_date`..`end_date` (YYYY-MM-DD, start <= end). Optional fields take `default_range`."""

    start_date = DayField(required=False, **DATE_INPUT)
    end_date = DayField(required=False, **DATE_INPUT)

    def __init__(self, *args, default_range=(None, None), **kwargs):
        super().__init__(*args, **kwargs)
        self.default_range = default_range

    def max_days(self, data):
        return MAX_RANGE_DAYS

    def clean(self):
        data = super().clean()
        if "start_date" in self.errors or "end_date" in self.errors:
            return data
        start = data["start_date"] = data.get("start_date") or self.default_range[0]
        end = data["end_date"] = data.get("end_date") or self.default_range[1]
        limit = self.max_days(data)
        if start > end:
            self.add_error("start_date", "The start_date must be a date before or equal to end_date.")
        elif limit and (end - start).days + 1 > limit:
            self.add_error(
                "end_date", f"The range from start_date to end_date may span at most {limit} days."
            )
        return data


class RequiredRangeForm(RangeForm):
    start_date = DayField(required=True, **DATE_INPUT)
    end_date = DayField(required=True, **DATE_INPUT)


class TrackedHoursForm(RangeForm):
    user_id = ReportIdField()

    def max_days(self, data):
        # The range is free for the whole workspace; one member's report spans a month at most.
        return MAX_RANGE_DAYS if data.get("user_id") else None


class DescriptionsForm(RangeForm):
    def max_days(self, data):
        return None


class TaskReportForm(RequiredRangeForm):
    include_no_task = forms.TypedChoiceField(
        required=False,
        choices=[(v, v) for v in ("true", "false", "1", "0")],
        coerce=lambda value: value in ("true", "1"),
        empty_value=True,
        error_messages={"invalid_choice": "Must be true or false."},
    )


class ActivityLevelForm(RequiredRangeForm):
    contract_id = ReportIdField()


class DayForm(forms.Form):
    date = DayField(required=True, **DATE_INPUT)


class TimelineForm(DayForm):
    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_date(self):
        value = self.cleaned_data["date"]
        if not _years_from(self.today, -1) <= value <= _years_from(self.today, 1):
            raise forms.ValidationError("The date must be within the last year and at most one year ahead.")
        return value


def _years_from(value, years):
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


def _today(workspace):
    return local_date(workspace, timezone.now())


def _current_week(workspace):
    monday = week_start(_today(workspace))
    return monday, monday + timedelta(days=6)


def _days(start, end):
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _unknown(field_name, missing, what):
    listed = ", ".join(str(value) for value in sorted(missing))
    return validation_error({field_name: [f"Not {what} of this workspace: {listed}."]})


def _id_list(request, field_name):
    ids = int_list(request, field_name)
    if any(not 1 <= value <= MAX_ID for value in ids):
        raise validation_error({field_name: ["Must be positive integer ids."]})
    return ids


def _member_ids(request, workspace, field_name):
    """The user ids of a list parameter; 422 naming the field if one is not a member here."""
    ids = _id_list(request, field_name)
    if ids:
        found = set(
            Membership.objects.filter(workspace=workspace, user_id__in=ids).values_list("user_id", flat=True)
        )
        if missing := set(ids) - found:
            raise _unknown(field_name, missing, "a member")
    return ids


def _ids_in_workspace(request, workspace, field_name, model, what):
    ids = _id_list(request, field_name)
    if ids:
        found = set(model.objects.filter(workspace=workspace, pk__in=ids).values_list("pk", flat=True))
        if missing := set(ids) - found:
            raise _unknown(field_name, missing, what)
    return ids


def _status_filter(request):
    wanted = [str(value).strip().lower() for value in param_list(request, "status")]
    if bad := [value for value in wanted if value not in STATUS_FILTERS]:
        raise validation_error(
            {"status": [f"Unknown status {', '.join(bad)}; use {', '.join(STATUS_FILTERS)}."]}
        )
    return {STATUS_FILTERS[value] for value in wanted}


def _currency_filter(request):
    currencies = [str(value).strip().upper() for value in param_list(request, "currencies")]
    if any(len(code) != 3 or not code.isalpha() for code in currencies):
        raise validation_error({"currencies": ["Must be 3-letter currency codes such as USD."]})
    return currencies


# --- Shared reads -----------------------------------------------------------------


def _report_members(workspace, start, end, user_ids=None):
    """The members a by-user report pages over (see the module docstring), ordered by user id."""
    had_time = TimeEntry.objects.filter(
        workspace=workspace, user_id=OuterRef("user_id"), date__range=(start, end)
    )
    members = (
        Membership.objects.select_related("user")
        .filter(workspace=workspace)
        .exclude(role=Role.PROJECT_VIEWER)
        .filter(Q(deleted_at__isnull=True) | Exists(had_time))
        .order_by("user_id")
    )
    if user_ids:
        members = members.filter(user_id__in=user_ids)
    return members


def _page_of_members(request, members):
    return paginate(request, members, default=REPORT_PER_PAGE, maximum=REPORT_MAX_PER_PAGE)


def _entries(workspace, start, end, user_ids):
    return TimeEntry.objects.filter(workspace=workspace, date__range=(start, end), user_id__in=user_ids)


def _money(rate_minutes):
    """The amount earned by sum(minutes x hourly rate), to the cent."""
    return (Decimal(rate_minutes or 0) / 60).quantize(CENT, rounding=ROUND_HALF_UP)


def _level(activity_minutes, minutes, *, untracked=None):
    """The activity level of a stretch, its entries weighted by their minutes (percent), or
    `untracked` for a stretch without tracked time."""
    if not minutes:
        return untracked
    return int((Decimal(activity_minutes) / minutes).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _member_head(membership):
    return {"user_id": membership.user_id, "user_name": membership.user.full_name}


# --- Tracked hours -----------------------------------------------------------------


def tracked_hours(request):
    workspace, caller = workspace_for(request)
    data = validate(TrackedHoursForm, request, default_range=_current_week(workspace))
    entries = _tracked_hours_entries(request, workspace, caller, data)
    groups = entries.values("date", "user_id", "project_id", "contract_id").order_by(
        "date", "user_id", "project_id", "contract_id"
    )
    if caller.sees_rates:
        groups = groups.annotate(total_minutes=Sum("duration_minutes"), rate_minutes=Sum(RATE_MINUTES))
    else:
        groups = groups.annotate(total_minutes=Sum("duration_minutes"))
    return Response(_tracked_hours_body(data, list(groups), workspace.currency, caller.sees_rates))


def _tracked_hours_entries(request, workspace, caller, data):
    entries = TimeEntry.objects.filter(
        workspace=workspace, date__range=(data["start_date"], data["end_date"])
    )
    if data["user_id"] is not None:
        found = Membership.objects.filter(workspace=workspace, user_id=data["user_id"]).exists()
        if not found:
            raise _unknown("user_id", [data["user_id"]], "a member")
        entries = entries.filter(user_id=data["user_id"])
    if users := _member_ids(request, workspace, "users"):
        entries = entries.filter(user_id__in=users)
    if projects := _ids_in_workspace(request, workspace, "projects", Project, "a project"):
        entries = entries.filter(project_id__in=projects)
    members = Membership.objects.filter(workspace=workspace)
    if teams := param_list(request, "teams"):
        entries = entries.filter(user_id__in=members.filter(team_name__in=teams).values("user_id"))
    if titles := param_list(request, "titles"):
        entries = entries.filter(user_id__in=members.filter(title__in=titles).values("user_id"))
    currencies = _currency_filter(request)
    if currencies and caller.sees_rates and workspace.currency not in currencies:
        # Every amount in a workspace is in its currency: nothing is billed in the others.
        entries = entries.none()
    return entries


def _tracked_hours_body(data, groups, currency, sees_rates):
    def amount(value):
        return {currency: number(value)} if sees_rates else None

    days = {}
    total_minutes, total_amount = 0, Decimal(0)
    for group in groups:
        row_amount = _money(group["rate_minutes"]) if sees_rates else None
        entry = days.setdefault(
            day(group["date"]), {"total_minutes": 0, "total_amount": Decimal(0), "users": []}
        )
        entry["users"].append(
            {
                "user_id": group["user_id"],
                "project_id": group["project_id"],
                "contract_id": group["contract_id"],
                "total_minutes": group["total_minutes"],
                "total_amount": amount(row_amount),
            }
        )
        entry["total_minutes"] += group["total_minutes"]
        total_minutes += group["total_minutes"]
        if sees_rates:
            entry["total_amount"] += row_amount
            total_amount += row_amount
    for entry in days.values():
        entry["total_amount"] = amount(entry["total_amount"])
    return {
        "report_type": "tracked_hours",
        "start_date": day(data["start_date"]),
        "end_date": day(data["end_date"]),
        "currency": currency if sees_rates else None,
        "total": {"total_minutes": total_minutes, "total_amount": amount(total_amount)},
        "days": days,
    }


# --- Daily timeline ------------------------------------------------------------------


def daily_timeline(request):
    workspace, caller = workspace_for(request)
    the_day = validate(TimelineForm, request, today=_today(workspace))["date"]
    user_ids = _member_ids(request, workspace, "user_ids")
    members, pagination = _page_of_members(request, _report_members(workspace, the_day, the_day, user_ids))
    user_ids = [m.user_id for m in members]
    entries = defaultdict(list)
    for entry in _entries(workspace, the_day, the_day, user_ids).select_related(
        "project", "task", "contract"
    ):
        entries[entry.user_id].append(entry)
    running = _running_entries(workspace, the_day, user_ids)
    return Response(
        [
            _timeline_row(
                m, the_day, entries[m.user_id], workspace, caller.sees_rates, running.get(m.user_id)
            )
            for m in members
        ],
        pagination=pagination,
    )


def _running_entries(workspace, the_day, user_ids):
    """Today's running trackers as open entries (`end_time: null`), by user id.

    A tracker started before today's local midnight is shown from midnight: the part before
    it becomes an entry of its own day when the tracker stops.
    """
    if the_day != _today(workspace):
        return {}
    now = timezone.now()
    midnight = local_midnight(workspace, the_day)
    running = {}
    trackers = RunningTracker.objects.filter(workspace=workspace, user_id__in=user_ids).select_related(
        "project", "task", "contract"
    )
    for tracker in trackers:
        start = max(tracker.started_at, midnight)
        running[tracker.user_id] = TimeEntry(
            id=uuid.uuid5(
                uuid.NAMESPACE_URL, f"webwork-sandbox:tracker:{tracker.pk}:{tracker.started_at.isoformat()}"
            ),
            workspace=workspace,
            user_id=tracker.user_id,
            contract=tracker.contract,
            project=tracker.project,
            task=tracker.task,
            activity_description=tracker.activity_description,
            method=tracker.method,
            date=the_day,
            start_time=start,
            end_time=None,
            duration_minutes=max(0, int((now - start).total_seconds() // 60)),
            activity_level=0,
        )
    return running


def _timeline_row(membership, the_day, entries, workspace, sees_rates, running=None):
    """A member's day. Totals count finished entries; a running tracker is listed last, open."""
    minutes = sum(e.duration_minutes for e in entries)
    rate_minutes = sum(e.duration_minutes * _entry_rate(e) for e in entries)
    return {
        **_member_head(membership),
        "email": membership.user.email,
        "date": day(the_day),
        "timezone": workspace.timezone,
        "total_minutes": minutes,
        "activity_level": _level(sum(e.duration_minutes * e.activity_level for e in entries), minutes),
        "total_amount": number(_money(rate_minutes)) if sees_rates else None,
        "currency": workspace.currency if sees_rates else None,
        "time_entries": [_timeline_entry(e, workspace.timezone) for e in entries]
        + ([_timeline_entry(running, workspace.timezone, is_running=True)] if running else []),
    }


def _entry_rate(entry):
    if entry.contract_id and entry.contract.rate is not None:
        return entry.contract.rate
    if entry.project_id and entry.project.rate is not None:
        return entry.project.rate
    return Decimal(0)


def _timeline_entry(entry, tz_name, *, is_running=False):
    return {
        **serialize_time_entry(entry),
        "start_time_local": iso_local(entry.start_time, tz_name),
        "end_time_local": iso_local(entry.end_time, tz_name),
        "activity_level": entry.activity_level,
        "is_running": is_running,
    }


# --- Daily attendance -----------------------------------------------------------------


def daily_attendance(request):
    workspace, _caller = workspace_for(request)
    the_day = validate(DayForm, request)["date"]
    wanted = _status_filter(request)
    members = _report_members(workspace, the_day, the_day, _member_ids(request, workspace, "users"))
    if not wanted:
        page, pagination = _page_of_members(request, members)
        return Response(_attendance_rows(workspace, page, the_day), pagination=pagination)
    # Statuses are computed, so filtering on them needs the whole day before paging.
    rows = [r for r in _attendance_rows(workspace, list(members), the_day) if wanted & set(r["statuses"])]
    page, pagination = _page_of_members(request, rows)
    return Response(page, pagination=pagination)


def _attendance_rows(workspace, members, the_day):
    user_ids = [m.user_id for m in members]
    entries = defaultdict(list)
    for entry in _entries(workspace, the_day, the_day, user_ids).order_by("start_time", "id"):
        entries[entry.user_id].append(entry)
    on_leave = set(
        LeaveRequest.objects.filter(
            workspace=workspace,
            user_id__in=user_ids,
            status=LeaveRequest.Status.APPROVED,
            start_date__lte=the_day,
            end_date__gte=the_day,
        ).values_list("user_id", flat=True)
    )
    tz = workspace_zone(workspace)
    return [_attendance_row(m, the_day, entries[m.user_id], m.user_id in on_leave, tz) for m in members]


def _attendance_row(membership, the_day, entries, approved_leave, tz):
    worked = [e for e in entries if e.method not in ABSENCE_METHODS]
    on_leave = approved_leave or any(e.method == Method.PAID_LEAVE for e in entries)
    holiday = any(e.method == Method.PAID_HOLIDAY for e in entries)
    tracked = sum(e.duration_minutes for e in entries)
    expected = _expected_minutes(membership)
    first_start = min((e.start_time for e in worked), default=None)
    last_end = max((e.end_time for e in worked), default=None)
    late = _minutes_between(datetime.combine(the_day, DAY_STARTS, tz), first_start) if worked else 0
    early = _minutes_between(last_end, datetime.combine(the_day, DAY_ENDS, tz)) if worked else 0
    breaks = _breaks(worked)
    statuses = []
    if worked:
        statuses.append("Present")
        if not (on_leave or holiday):
            statuses += [label for label, flag in _lapses(late, early, tracked < expected) if flag]
    if on_leave:
        statuses.append("On leave")
    if holiday:
        statuses.append("Holiday")
    if not statuses:
        statuses.append("Absent")
    return {
        **_member_head(membership),
        "date": day(the_day),
        "statuses": statuses,
        "first_start": _clock(first_start, tz),
        "last_end": _clock(last_end, tz),
        "tracked_minutes": tracked,
        "expected_minutes": expected,
        "late_minutes": late,
        "left_early_minutes": early,
        "break_minutes": sum(_minutes_between(start, end) for start, end in breaks),
        "breaks": [f"{_clock(start, tz)} - {_clock(end, tz)}" for start, end in breaks],
    }


def _lapses(late, early, tracked_less):
    return [("Late", late > 0), ("Left early", early > 0), ("Tracked less", tracked_less)]


def _expected_minutes(membership):
    if membership.weekly_hours_limit is None:
        return DEFAULT_EXPECTED_MINUTES
    return int(Decimal(membership.weekly_hours_limit * 60 / 5).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _minutes_between(earlier, later):
    """Whole minutes from `earlier` to `later`, 0 if `later` is not after it."""
    return max(0, int((later - earlier).total_seconds() // 60))


def _breaks(entries):
    """Gaps of at least MIN_BREAK_MINUTES between the day's entries (overlaps are not gaps)."""
    gaps, reached = [], None
    for entry in sorted(entries, key=lambda e: e.start_time):
        if reached is not None and _minutes_between(reached, entry.start_time) >= MIN_BREAK_MINUTES:
            gaps.append((reached, entry.start_time))
        reached = entry.end_time if reached is None else max(reached, entry.end_time)
    return gaps


def _clock(value, tz):
    return value.astimezone(tz).strftime("%H:%M") if value is not None else None


# --- Task report ----------------------------------------------------------------------


def task_report(request):
    workspace, _caller = workspace_for(request)
    data = validate(TaskReportForm, request)
    start, end = data["start_date"], data["end_date"]
    users = _member_ids(request, workspace, "users")
    projects = _ids_in_workspace(request, workspace, "project_id", Project, "a project")
    tasks = _ids_in_workspace(request, workspace, "task_id", Task, "a task")
    members, pagination = _page_of_members(request, _report_members(workspace, start, end, users))
    entries = _entries(workspace, start, end, [m.user_id for m in members])
    if projects:
        entries = entries.filter(project_id__in=projects)
    with_task = Q(task_id__in=tasks) if tasks else Q(task__isnull=False)
    entries = (
        entries.filter(with_task | Q(task__isnull=True))
        if data["include_no_task"]
        else entries.filter(with_task)
    )
    groups = (
        entries.values("user_id", "date", "project_id", "project__name", "task_id", "task__title")
        .annotate(total_minutes=Sum("duration_minutes"))
        .order_by("user_id", "date", "project_id", "task_id")
    )
    by_user = defaultdict(list)
    for group in groups:
        by_user[group["user_id"]].append(group)
    return Response([_task_row(m, by_user[m.user_id]) for m in members], pagination=pagination)


def _task_row(membership, groups):
    tasks, daily = {}, defaultdict(list)
    for group in groups:
        key = (group["project_id"], group["task_id"])
        task = tasks.setdefault(
            key,
            {
                "task_id": group["task_id"],
                "task_title": group["task__title"],
                "project_id": group["project_id"],
                "project_name": group["project__name"],
                "total_minutes": 0,
            },
        )
        task["total_minutes"] += group["total_minutes"]
        daily[day(group["date"])].append(
            {
                "task_id": group["task_id"],
                "task_title": group["task__title"],
                "project_id": group["project_id"],
                "total_minutes": group["total_minutes"],
            }
        )
    breakdown = sorted(
        tasks.values(), key=lambda t: (-t["total_minutes"], t["project_id"] or 0, t["task_id"] or 0)
    )
    return {
        **_member_head(membership),
        "total_minutes": sum(t["total_minutes"] for t in breakdown),
        "tasks_breakdown": breakdown,
        "daily_breakdown": dict(daily),
    }


# --- Activity level -------------------------------------------------------------------


def activity_level(request):
    workspace, _caller = workspace_for(request)
    data = validate(ActivityLevelForm, request)
    start, end = data["start_date"], data["end_date"]
    user_ids = _member_ids(request, workspace, "user_ids")
    members = _report_members(workspace, start, end, user_ids)
    contract = None
    if data["contract_id"] is not None:
        contract = Contract.objects.filter(workspace=workspace, pk=data["contract_id"]).first()
        if contract is None:
            raise _unknown("contract_id", [data["contract_id"]], "a contract")
        members = members.filter(user_id=contract.user_id)
    members, pagination = _page_of_members(request, members)
    entries = _entries(workspace, start, end, [m.user_id for m in members])
    if contract is not None:
        entries = entries.filter(contract=contract)
    groups = entries.values("user_id", "date").annotate(
        minutes=Sum("duration_minutes"), activity=Sum(ACTIVITY_MINUTES)
    )
    by_user_day = {(g["user_id"], g["date"]): g for g in groups.order_by("user_id", "date")}
    rows = [_activity_row(m, _days(start, end), by_user_day) for m in members]
    minutes = sum(g["minutes"] for g in by_user_day.values())
    activity = sum(g["activity"] for g in by_user_day.values())
    overall = {
        "start_date": day(start),
        "end_date": day(end),
        "users": len(rows),
        "tracked_minutes": minutes,
        "activity_level": _percent(activity, minutes),
    }
    return Response(rows, pagination=pagination, extra={"overall": overall})


def _percent(activity_minutes, minutes):
    """This report's activity level: WebWork documents it as a number, so a stretch without
    tracked time holds 0 (its `tracked_minutes` of 0 tell it from time tracked at 0 %), never null."""
    return _level(activity_minutes, minutes, untracked=0)


def _activity_row(membership, days, by_user_day):
    row_days, minutes, activity = [], 0, 0
    for the_day in days:
        group = by_user_day.get((membership.user_id, the_day), {"minutes": 0, "activity": 0})
        row_days.append(
            {
                "date": day(the_day),
                "tracked_minutes": group["minutes"],
                "activity_level": _percent(group["activity"], group["minutes"]),
            }
        )
        minutes += group["minutes"]
        activity += group["activity"]
    return {
        **_member_head(membership),
        "days": row_days,
        "overall": {"tracked_minutes": minutes, "activity_level": _percent(activity, minutes)},
    }


# --- Activity descriptions ------------------------------------------------------------


def activity_descriptions(request):
    workspace, _caller = workspace_for(request)
    data = validate(DescriptionsForm, request, default_range=_current_week(workspace))
    start, end = data["start_date"], data["end_date"]
    users = _member_ids(request, workspace, "users")
    members, pagination = _page_of_members(request, _report_members(workspace, start, end, users))
    groups = (
        _entries(workspace, start, end, [m.user_id for m in members])
        .values("user_id", "activity_description", "project_id")
        .annotate(total_minutes=Sum("duration_minutes"), entries=Count("id"))
        .order_by("user_id")
    )
    by_user = defaultdict(dict)
    for group in groups:
        # A blank description and none at all are the same group.
        key = ((group["activity_description"] or "").strip() or None, group["project_id"])
        merged = by_user[group["user_id"]].setdefault(
            key,
            {"activity_description": key[0], "project_id": key[1], "total_minutes": 0, "entries": 0},
        )
        merged["total_minutes"] += group["total_minutes"]
        merged["entries"] += group["entries"]
    return Response(
        [_descriptions_row(m, by_user[m.user_id].values()) for m in members],
        pagination=pagination,
        extra={"start_date": day(start), "end_date": day(end)},
    )


def _descriptions_row(membership, descriptions):
    ordered = sorted(
        descriptions,
        key=lambda d: (-d["total_minutes"], d["activity_description"] or "", d["project_id"] or 0),
    )
    return {
        **_member_head(membership),
        "total_minutes": sum(d["total_minutes"] for d in ordered),
        "descriptions": ordered,
    }


urlpatterns = [
    route("reports/tracked-hours", "report-tracked-hours", GET=tracked_hours),
    route("reports/daily-timeline", "report-daily-timeline", GET=daily_timeline),
    route("reports/daily-attendance", "report-daily-attendance", GET=daily_attendance),
    route("reports/task-report", "report-task", GET=task_report),
    route("reports/activity-level", "report-activity-level", GET=activity_level),
    route("reports/activity-descriptions", "report-activity-descriptions", GET=activity_descriptions),
]
