"""Attendance: GET /reports/daily-attendance, one date at a time.

WebWork's daily-attendance report gives, for one date and 100 members a request, each member's
statuses (Present, Late, Left early, Tracked less, Absent, On leave, Holiday), first start and
last end (clock times in the workspace's time zone), the minutes tracked, expected, late and left
early, and the breaks. A date costs ceil(members / 100) requests; nothing else lists attendance.

Each date is fetched whole, then written in one short transaction: its rows are upserted
("<member id>:<date>") and the date's rows WebWork no longer lists are marked removed. A failing
date does not stop the others (PartsFailed names it; the plan owes it, see owed.py).

Which dates are read: the recent weeks on the schedule (see plan.py), older dates when a manager
asks for them (services/attendance.py). Statuses are WebWork's own: nothing is computed here.
"""

import logging
from datetime import date, datetime, time

from django.db import transaction

from ..models import DailyAttendance, Member
from ..models.attendance import AttendanceStatus
from ..webwork.errors import AuthError
from ..webwork.payloads import calendar_day, integer, text, zone
from .base import RunStats, SyncContext, fetch_all, local_ids, mark_removed, resource_run, unique_rows, upsert
from .owed import PartsFailed
from .time_entries import local_moment

logger = logging.getLogger(__name__)

ATTENDANCE = "reports/daily-attendance"
RESOURCE = "attendance"
MEMBERS_PER_PAGE = 100  # the report pages by member, at most 100 a page

# WebWork's status words, read whatever their case or spelling ("Left early", "left_early").
_STATUS_BY_KEY = {status.value.lower().replace(" ", "_"): status for status in AttendanceStatus}


# --- payload -> row -------------------------------------------------------------


def attendance_status(value):
    """The AttendanceStatus a status word of the report names, or None for one we do not know."""
    if not isinstance(value, str):
        return None
    return _STATUS_BY_KEY.get(value.strip().lower().replace(" ", "_").replace("-", "_"))


def clock(value, workspace_tz):
    """A time of day from "HH:MM", "HH:MM:SS" or a full ISO moment (read in the workspace's time
    zone); None when it is none of these."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) <= 8 and ":" in value:
        try:
            return time.fromisoformat(value if len(value.split(":")[0]) == 2 else f"0{value}")
        except ValueError:
            return None
    moment = local_moment(value, workspace_tz)
    if moment is None:
        return None
    return moment.astimezone(zone(workspace_tz)).time().replace(tzinfo=None)


def _minutes(value):
    number = integer(value)
    return max(0, number) if number is not None else None


def _break_minutes(breaks):
    """The minutes of breaks written "HH:MM - HH:MM" (those that cannot be read count nothing)."""
    total = 0
    for item in breaks:
        start, _, end = item.partition("-")
        start, end = clock(start.strip(), "UTC"), clock(end.strip(), "UTC")
        if start is not None and end is not None and end > start:
            day = date(2000, 1, 1)
            total += int((datetime.combine(day, end) - datetime.combine(day, start)).total_seconds() // 60)
    return total


def attendance_row(payload, day, workspace_tz, *, members=None):
    """The DailyAttendance fields of one member's row of the report of `day`; None when it names
    no member. `members` maps WebWork user ids to our Member keys (rows we already have)."""
    if not isinstance(payload, dict):
        return None
    user = integer(payload.get("user_id"))
    if user is None:
        return None
    the_day = calendar_day(payload.get("date")) or day
    statuses = [text(s).strip() for s in payload.get("statuses") or [] if isinstance(s, str) and s.strip()]
    known = {attendance_status(s) for s in statuses} - {None}
    breaks = [text(b).strip() for b in payload.get("breaks") or [] if isinstance(b, str) and b.strip()]
    break_minutes = _minutes(payload.get("break_minutes"))
    return {
        "webwork_id": f"{user}:{the_day.isoformat()}",
        "member_id": (members or {}).get(str(user)),
        "user_webwork_id": user,
        "date": the_day,
        "statuses": statuses,
        **{field: status in known for status, field in DailyAttendance.STATUS_FIELDS.items()},
        "first_start": clock(payload.get("first_start"), workspace_tz),
        "last_end": clock(payload.get("last_end"), workspace_tz),
        "tracked_minutes": _minutes(payload.get("tracked_minutes")) or 0,
        "expected_minutes": _minutes(payload.get("expected_minutes")),
        "late_minutes": _minutes(payload.get("late_minutes")),
        "left_early_minutes": _minutes(payload.get("left_early_minutes")),
        "break_minutes": break_minutes if break_minutes is not None else _break_minutes(breaks),
        "breaks": breaks,
        "raw": payload,
    }


def attendance_rows(ctx: SyncContext, day: date, items):
    """(rows, seen ids) of one date's report: members resolved from the mirror in one query."""
    items = [item for item in items if isinstance(item, dict)]
    members = local_ids(Member, ctx.workspace, {item.get("user_id") for item in items})
    rows = []
    for item in items:
        row = attendance_row(item, day, ctx.workspace.timezone, members=members)
        if row is None:
            logger.warning(
                "Skipped an unreadable attendance row of %s in workspace %s", day, ctx.workspace_id
            )
            continue
        if row["date"] != day:
            logger.warning("Skipped an attendance row of %s in the report of %s", row["date"], day)
            continue
        rows.append(row)
    rows = unique_rows(rows)
    return rows, {row["webwork_id"] for row in rows}


# --- one date -----------------------------------------------------------------------


def attendance_fetch_day(ctx: SyncContext, day: date, stats: RunStats):
    """Every member's row of the report of `day`, page by page (100 members a page)."""
    return fetch_all(ctx, ATTENDANCE, {"date": day.isoformat()}, stats=stats)


def attendance_write(ctx: SyncContext, day: date, rows, stats: RunStats, *, seen=None):
    """Replace `day` in one transaction: upsert its rows, mark the date's others removed."""
    seen = {row["webwork_id"] for row in rows} if seen is None else seen
    with transaction.atomic():
        stats.add(upsert(DailyAttendance, ctx.workspace, rows, now=ctx.now))
        stats.removed += mark_removed(DailyAttendance, ctx.workspace, seen, now=ctx.now, date=day)
    return stats


def _sync_date(ctx: SyncContext, day: date):
    with resource_run(ctx, RESOURCE, scope=day.isoformat()) as stats:
        items = attendance_fetch_day(ctx, day, stats)
        rows, seen = attendance_rows(ctx, day, items)
        attendance_write(ctx, day, rows, stats, seen=seen)
    return stats


# --- entry point ------------------------------------------------------------------


def sync_attendance(ctx: SyncContext, dates, *, on_date=None):
    """Mirror the attendance of `dates` (dates or YYYY-MM-DD strings), one date per request round,
    transaction and SyncRun. A failing date does not stop the others: when any failed, PartsFailed
    names them after every date was tried. A refused token stops at once.

    on_date(day, stats): called after each date written (the on-demand fetch counts its progress).
    """
    days = []
    for value in dates:
        day = calendar_day(value)
        if day is None:
            raise ValueError(f"Not a date: {value!r}")
        days.append(day)
    total = RunStats()
    failed = {}
    for day in days:
        try:
            stats = _sync_date(ctx, day)
        except AuthError:
            raise
        except Exception as exc:
            logger.warning("Attendance of %s in workspace %s failed: %s", day, ctx.workspace_id, exc)
            failed[day.isoformat()] = exc
            continue
        total.merge(stats)
        if on_date is not None:
            on_date(day, stats)
    if failed:
        raise PartsFailed(RESOURCE, total, failed, of=len(days))
    return total
