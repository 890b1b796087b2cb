"""Time requests: GET /time-requests, one request per 100 requests in the window.

WebWork's R docs require `date_from` and `date_to` (the request's start date); without them
the sync asks for a wide window, a year back to a month ahead. As for timesheets, a request
missing from a narrowed listing (the approval queue is `status=pending`) is read again one by
one (GET /time-requests/{id}) and updated, or marked removed when WebWork no longer has it.
"""

from datetime import datetime, time, timedelta

from django.db.models import Q

from ..models import Member, Project, Task, TimeRequest
from ..webwork.errors import NotFoundError
from ..webwork.payloads import calendar_day, integer, moment, text, today_in, zone
from .base import SyncContext, fetch_all, local_ids, replace_all, reread_unlisted, resource_run, with_ids

STATUS_LENGTH = TimeRequest._meta.get_field("status").max_length


def time_request_row(payload, *, members=None, projects=None, tasks=None):
    """The TimeRequest fields of one item; None when it has no id.

    `members`, `projects` and `tasks` map WebWork ids to our keys (rows we already have).
    """
    if not isinstance(payload, dict) or payload.get("id") in (None, ""):
        return None
    user_id = integer(payload.get("user_id"))
    project_id = integer(payload.get("project_id"))
    task_id = integer(payload.get("task_id"))
    updated_by = payload.get("updated_by")
    if isinstance(updated_by, dict):
        updated_by = updated_by.get("id")
    return {
        "webwork_id": str(payload["id"]),
        "member_id": (members or {}).get(str(user_id)),
        "project_id": (projects or {}).get(str(project_id)),
        "task_id": (tasks or {}).get(str(task_id)),
        "user_webwork_id": user_id,
        "project_webwork_id": project_id,
        "task_webwork_id": task_id,
        "contract_webwork_id": integer(payload.get("contract_id")),
        "start": moment(payload.get("start")),
        "end": moment(payload.get("end")),
        "status": text(payload.get("status")).strip().lower()[:STATUS_LENGTH],
        # R names the text `activity_description`, V `notes`.
        "notes": text(payload.get("notes") or payload.get("activity_description")),
        "comment": text(payload.get("comment")),
        "updated_by_webwork_id": integer(updated_by),
        "requested_at": moment(payload.get("created_at")),
        "raw": payload,
    }


def time_request_rows(workspace, payloads):
    """The TimeRequest rows of `payloads`, members, projects and tasks resolved from the mirror;
    items that cannot be stored are left out. Used by the sync and the services alike."""
    payloads = [p for p in payloads if isinstance(p, dict)]
    refs = {
        "members": local_ids(Member, workspace, (p.get("user_id") for p in payloads)),
        "projects": local_ids(Project, workspace, (p.get("project_id") for p in payloads)),
        "tasks": local_ids(Task, workspace, (p.get("task_id") for p in payloads)),
    }
    rows = (time_request_row(payload, **refs) for payload in payloads)
    return [row for row in rows if row is not None]


def time_request_fetch_one(ctx: SyncContext, webwork_id, around=None):
    """One time request as WebWork has it now, or None when it is gone.

    GET /time-requests/{id} (V); when that answers 404, the R listing filtered by id (around
    the request's start, `around`) confirms before the request is called gone.
    """
    try:
        result = ctx.client.get(f"time-requests/{webwork_id}", params={"workspace_id": ctx.workspace_id})
    except NotFoundError:
        pass
    else:
        if isinstance(result.data, dict) and str(result.data.get("id")) == str(webwork_id):
            return result.data
    day = around or today_in(ctx.workspace.timezone, ctx.now)
    try:
        result = ctx.client.get(
            "time-requests",
            params={
                "workspace_id": ctx.workspace_id,
                "id": webwork_id,
                "date_from": str(day - timedelta(days=1)),
                "date_to": str(day + timedelta(days=1)),
            },
        )
    except NotFoundError:
        return None
    items = result.data if isinstance(result.data, list) else []
    return next((i for i in items if isinstance(i, dict) and str(i.get("id")) == str(webwork_id)), None)


# Time requests are listed within a window (WebWork requires one): a year back, a month ahead.
TIME_REQUEST_DAYS_BACK = 365
TIME_REQUEST_DAYS_AHEAD = 31


def time_request_window(today):
    return {
        "date_from": today - timedelta(TIME_REQUEST_DAYS_BACK),
        "date_to": today + timedelta(TIME_REQUEST_DAYS_AHEAD),
    }


def default_window(ctx: SyncContext):
    window = time_request_window(today_in(ctx.workspace.timezone, ctx.now))
    return window["date_from"], window["date_to"]


def _local_scope(ctx, status, date_from, date_to):
    """The mirror rows the listing covers: `status`, starting on date_from..date_to (workspace-local)."""
    tz = zone(ctx.workspace.timezone)
    scope = Q(start__gte=datetime.combine(date_from, time.min, tzinfo=tz)) & Q(
        start__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    )
    if status:
        scope &= Q(status=status)
    return scope


def sync_time_requests(ctx: SyncContext, status=None, date_from=None, date_to=None):
    """Mirror the time requests WebWork lists for `status` (pending, approved, rejected) that start
    on date_from..date_to (a year back to a month ahead when not given).

    Every listing is narrowed (by dates at least), so a mirrored request of the scope that is not
    listed any more is read again before it is called gone.
    """
    status = text(status).strip().lower() or None
    window = default_window(ctx)
    date_from = calendar_day(date_from) or window[0]
    date_to = calendar_day(date_to) or max(window[1], date_from)
    with resource_run(ctx, "time_requests", scope=f"{status or 'all'},{date_from}..{date_to}"[:40]) as stats:
        params = {"date_from": str(date_from), "date_to": str(date_to)}
        if status:
            params["status"] = status
        payloads = with_ids(fetch_all(ctx, "time-requests", params, stats=stats))
        scope = _local_scope(ctx, status, date_from, date_to)
        workspace_tz = zone(ctx.workspace.timezone)

        def fetch_one(row):
            around = row.start.astimezone(workspace_tz).date() if row.start else None
            return time_request_fetch_one(ctx, row.webwork_id, around)

        payloads += reread_unlisted(ctx, TimeRequest, payloads, fetch_one, scope)
        replace_all(
            TimeRequest,
            ctx,
            time_request_rows(ctx.workspace, payloads),
            stats,
            scope,
            seen=(str(p["id"]) for p in payloads),
        )
    return stats
