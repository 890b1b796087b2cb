"""Time entries and who is working now: GET /reports/daily-timeline, one date at a time.

The daily timeline lists every entry of one date for 100 members per request, so a date costs
ceil(members / 100) requests, where GET /time-entries would cost one request per member.
A running tracker is listed as an open entry (`end_time: null`) of today.

Each date is fetched whole, then written in one short transaction: its entries are upserted
and the date's entries WebWork no longer lists are marked removed. Memory holds one date at a
time, and a failure leaves earlier dates written and the failed date as it was.

The timeline's row of each member also carries the member's `activity_level` for the date: it is
kept as a `DailyActivity` row ("<member id>:<date>") in the same transaction, at no extra request.
"""

import logging
from datetime import date
from decimal import ROUND_HALF_UP
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..models import Contract, DailyActivity, Member, Project, RunningTracker, Task, TimeEntry
from ..webwork.client import PAGE_CAP
from ..webwork.errors import AuthError, WebWorkError
from ..webwork.payloads import calendar_day, decimal, integer, text, today_in, zone
from .base import RunStats, SyncContext, local_ids, mark_removed, resource_run, unique_rows, upsert
from .owed import PartsFailed

logger = logging.getLogger(__name__)

TIMELINE = "reports/daily-timeline"
MEMBERS_PER_PAGE = 100  # the timeline pages by member, at most 100 a page
METHOD_LENGTH = TimeEntry._meta.get_field("method").max_length


def local_moment(value, workspace_tz):
    """An aware datetime from ISO-8601 with `Z` or an offset; a time without one is workspace-local."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=zone(workspace_tz))
    return parsed


# --- payload -> row -------------------------------------------------------------


def time_entry_row(
    payload, workspace_tz, *, user_id=None, day=None, members=None, projects=None, tasks=None, contracts=None
):
    """The TimeEntry fields of one timeline (or /time-entries) item; None when it cannot be stored.

    `user_id` and `day` stand in when the item leaves them to its timeline row. `members`,
    `projects`, `tasks` and `contracts` map WebWork ids to our keys (rows we already have);
    a parent we do not have yet keeps only its WebWork id. An item without `end_time` is a
    running tracker: it is kept, open.
    """
    if not isinstance(payload, dict) or payload.get("id") in (None, ""):
        return None
    user = integer(payload.get("user_id")) or integer(user_id)
    start = local_moment(payload.get("start_time"), workspace_tz) or local_moment(
        payload.get("start_time_local"), workspace_tz
    )
    if user is None or start is None:
        return None
    end = local_moment(payload.get("end_time"), workspace_tz) or local_moment(
        payload.get("end_time_local"), workspace_tz
    )
    entry_day = (
        calendar_day(payload.get("date")) or calendar_day(day) or start.astimezone(zone(workspace_tz)).date()
    )
    minutes = integer(payload.get("duration_minutes"))
    if minutes is None and end is not None:
        minutes = int((end - start).total_seconds() // 60)
    project_id = integer(payload.get("project_id"))
    task_id = integer(payload.get("task_id"))
    contract_id = integer(payload.get("contract_id"))
    return {
        "webwork_id": str(payload["id"]),
        "member_id": (members or {}).get(str(user)),
        "project_id": (projects or {}).get(str(project_id)),
        "task_id": (tasks or {}).get(str(task_id)),
        "contract_id": (contracts or {}).get(str(contract_id)),
        "user_webwork_id": user,
        "project_webwork_id": project_id,
        "task_webwork_id": task_id,
        "contract_webwork_id": contract_id,
        "date": entry_day,
        "start_time": start,
        "end_time": end,
        "duration_minutes": max(0, minutes or 0),
        "method": text(payload.get("method"))[:METHOD_LENGTH],
        "activity_description": text(payload.get("activity_description")),
        "raw": payload,
    }


def running_tracker_row(entry):
    """Who is working now, from an open entry's row (`webwork_id` is the member's id)."""
    return {
        "webwork_id": str(entry["user_webwork_id"]),
        "member_id": entry["member_id"],
        "project_id": entry["project_id"],
        "task_id": entry["task_id"],
        "project_webwork_id": entry["project_webwork_id"],
        "task_webwork_id": entry["task_webwork_id"],
        "contract_webwork_id": entry["contract_webwork_id"],
        "started_at": entry["start_time"],
        "activity_description": entry["activity_description"],
        "raw": entry["raw"],
    }


# --- one date -----------------------------------------------------------------------


def _users_of(data):
    """The per-member rows of a timeline page: a list, or `{"users": [...]}` (R's description)."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("users", "data", "items"):
            if isinstance(data.get(key), list):
                return data[key]
    return []


def timeline_fetch(ctx: SyncContext, day: date, stats: RunStats):
    """Every member's row of the daily timeline of `day`, page by page (100 members a page)."""
    users = []
    page = 1
    while page <= PAGE_CAP:
        result = ctx.client.get(
            TIMELINE,
            params={
                "workspace_id": ctx.workspace_id,
                "date": day.isoformat(),
                "page": page,
                "per_page": MEMBERS_PER_PAGE,
            },
        )
        stats.pages += 1
        rows = _users_of(result.data)
        users.extend(row for row in rows if isinstance(row, dict))
        if not rows or result.pagination is None or result.current_page >= result.last_page:
            return users
        page += 1
    raise WebWorkError(f"Stopped after {PAGE_CAP} pages of /{TIMELINE}.", path=TIMELINE)


ENTRY_KEYS = ("time_entries", "entries", "timeline")


def _entries_of(user_row):
    for key in ENTRY_KEYS:
        if isinstance(user_row.get(key), list):
            return [item for item in user_row[key] if isinstance(item, dict)]
    return []


def timeline_members(ctx: SyncContext, users):
    """{WebWork user id: our Member key} for every member a timeline names (its rows and their
    entries), in one query."""
    ids = {row.get("user_id") for row in users}
    ids.update(item.get("user_id") for row in users for item in _entries_of(row))
    return local_ids(Member, ctx.workspace, ids)


def timeline_rows(ctx: SyncContext, day: date, users, *, members=None):
    """(entry rows, seen entry ids, the timeline's time zone) of one date, foreign keys resolved
    locally (`members`: from `timeline_members`, looked up when not given)."""
    workspace_tz = next(
        (row["timezone"] for row in users if isinstance(row.get("timezone"), str) and row["timezone"]),
        ctx.workspace.timezone,
    )
    items = [(item, row.get("user_id")) for row in users for item in _entries_of(row)]
    refs = {
        "members": members
        if members is not None
        else local_ids(Member, ctx.workspace, {item.get("user_id") or user_id for item, user_id in items}),
        "projects": local_ids(Project, ctx.workspace, {item.get("project_id") for item, _ in items}),
        "tasks": local_ids(Task, ctx.workspace, {item.get("task_id") for item, _ in items}),
        "contracts": local_ids(Contract, ctx.workspace, {item.get("contract_id") for item, _ in items}),
    }
    rows, seen = [], set()
    for item, user_id in items:
        row = time_entry_row(item, workspace_tz, user_id=user_id, day=day, **refs)
        if item.get("id") not in (None, ""):
            seen.add(str(item["id"]))  # an unreadable item keeps its previous state, not removed
        if row is None:
            logger.warning("Skipped an unreadable time entry of %s in workspace %s", day, ctx.workspace_id)
            continue
        rows.append(row)
    return rows, seen, workspace_tz


def activity_level(value):
    """A timeline's `activity_level` as a whole percentage (0 to 100), or None when WebWork gives
    none (a day without tracked time) or something unreadable."""
    level = decimal(value)
    if level is None or not level.is_finite():
        return None
    level = int(level.to_integral_value(rounding=ROUND_HALF_UP))
    return level if 0 <= level <= 100 else None


def daily_activity_rows(day: date, users, *, members=None):
    """The DailyActivity rows of one date's timeline: one per member listed.
    `members` maps WebWork user ids to our Member keys (see `timeline_members`)."""
    rows = {}
    for user_row in users:
        user = integer(user_row.get("user_id"))
        if user is None:
            continue
        webwork_id = f"{user}:{day.isoformat()}"
        rows[webwork_id] = {
            "webwork_id": webwork_id,
            "member_id": (members or {}).get(str(user)),
            "user_webwork_id": user,
            "date": day,
            "activity_level": activity_level(user_row.get("activity_level")),
            "raw": {key: value for key, value in user_row.items() if key not in ENTRY_KEYS},
        }
    return list(rows.values())


def time_entries_write(
    ctx: SyncContext, day: date, rows, stats: RunStats, *, seen=None, is_today=False, activity=None
):
    """Replace `day` in one transaction: upsert its entries, mark the rest of the date removed,
    and record who is working now from the open entries.

    With `is_today` (the listing is today's, where WebWork shows running trackers), members
    no longer running have their tracker marked removed.

    activity: the date's DailyActivity rows (`daily_activity_rows`), the members' activity levels,
    written likewise (a member no longer listed for the date has its row marked removed); the
    date's activity is left as it was when not given.
    """
    seen = {row["webwork_id"] for row in rows} if seen is None else seen
    trackers = {}
    for row in rows:
        if row["end_time"] is None:
            trackers[str(row["user_webwork_id"])] = running_tracker_row(row)
    with transaction.atomic():
        stats.add(upsert(TimeEntry, ctx.workspace, unique_rows(rows), now=ctx.now))
        stats.removed += mark_removed(TimeEntry, ctx.workspace, seen, now=ctx.now, date=day)
        upsert(RunningTracker, ctx.workspace, list(trackers.values()), now=ctx.now)
        if is_today:
            mark_removed(RunningTracker, ctx.workspace, trackers, now=ctx.now)
        if activity is not None:
            listed = {row["webwork_id"] for row in activity}
            upsert(DailyActivity, ctx.workspace, activity, now=ctx.now)
            mark_removed(DailyActivity, ctx.workspace, listed, now=ctx.now, date=day)
    return stats


def _sync_date(ctx: SyncContext, day: date, resource: str):
    with resource_run(ctx, resource, scope=day.isoformat()) as stats:
        users = timeline_fetch(ctx, day, stats)
        members = timeline_members(ctx, users)
        rows, seen, workspace_tz = timeline_rows(ctx, day, users, members=members)
        activity = daily_activity_rows(day, users, members=members)
        del users
        time_entries_write(
            ctx,
            day,
            rows,
            stats,
            seen=seen,
            is_today=day == today_in(workspace_tz, ctx.now),
            activity=activity,
        )
        _learn_timezone(ctx, workspace_tz)
    return stats


def _learn_timezone(ctx: SyncContext, tz_name):
    """Keep the workspace's time zone as WebWork reports it: "today" and dates depend on it."""
    if not tz_name or tz_name == ctx.workspace.timezone:
        return
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return
    ctx.workspace.timezone = tz_name
    type(ctx.workspace).objects.filter(pk=ctx.workspace.pk).update(timezone=tz_name)


# --- entry points -----------------------------------------------------------------


def sync_time_entries(ctx: SyncContext, dates):
    """Mirror the entries of `dates` (dates or YYYY-MM-DD strings), one date per request round and
    transaction, one SyncRun per date. A failing date does not stop the others: when any failed,
    PartsFailed names them after every date was tried (the others are written). A refused token
    stops at once."""
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
            total.merge(_sync_date(ctx, day, "time_entries"))
        except AuthError:
            raise
        except Exception as exc:
            logger.warning("Time entries of %s in workspace %s failed: %s", day, ctx.workspace_id, exc)
            failed[day.isoformat()] = exc
    if failed:
        raise PartsFailed("time_entries", total, failed, of=len(days))
    return total


def sync_running_trackers(ctx: SyncContext):
    """Who is working now: today's timeline (workspace-local today), ceil(members / 100) requests.
    Today's entries are brought up to date on the way.

    Until the first timeline has told us the workspace's time zone, "today" is UTC's; when that
    turns out to be another day where the workspace is, the right day is read once more."""
    day = today_in(ctx.workspace.timezone, ctx.now)
    stats = _sync_date(ctx, day, "running_trackers")
    local_today = today_in(ctx.workspace.timezone, ctx.now)
    if local_today != day:
        stats.merge(_sync_date(ctx, local_today, "running_trackers"))
    return stats
