"""Timesheets: GET /timesheets, one request per 100 timesheets.

A listing narrowed by status or dates (the approval queue is `status=submitted`) is not the
whole truth: a timesheet missing from it may merely have moved on (approved, rejected). Those
are re-read one by one (GET /timesheets?id=<id>) and updated, or marked removed when WebWork
no longer has them. Only a listing of everything marks rows removed on its own.
"""

from django.db.models import Q

from ..models import Member, Timesheet
from ..webwork.errors import NotFoundError, ValidationError
from ..webwork.payloads import calendar_day, decimal, integer, moment, text
from .base import SyncContext, fetch_all, local_ids, replace_all, reread_unlisted, resource_run, with_ids

# WebWork's R docs call the editable state "pending", V calls it "open"; the mirror says "open".
STATUS_ALIASES = {"pending": Timesheet.Status.OPEN}
STATUS_LENGTH = Timesheet._meta.get_field("status").max_length


def timesheet_status(value):
    status = text(value).strip().lower()
    return STATUS_ALIASES.get(status, status)[:STATUS_LENGTH]


def total_minutes_of(payload):
    """R gives `total_minutes`; V only `total_hours` (80.5)."""
    minutes = integer(payload.get("total_minutes"))
    if minutes is None:
        hours = decimal(payload.get("total_hours"))
        minutes = int((hours * 60).to_integral_value()) if hours is not None else 0
    return max(0, minutes)


def timesheet_row(payload, *, members=None):
    """The Timesheet fields of one item; None when it cannot be stored (no id or period).

    `members` maps WebWork user ids to our Member keys (rows we already have).
    """
    if not isinstance(payload, dict) or payload.get("id") in (None, ""):
        return None
    date_from, date_to = calendar_day(payload.get("date_from")), calendar_day(payload.get("date_to"))
    if date_from is None or date_to is None:
        return None
    member = payload.get("member") if isinstance(payload.get("member"), dict) else {}
    user_id = integer(payload.get("user_id")) or integer(member.get("id"))
    breakdown = payload.get("daily_breakdown")
    total_amount = payload.get("total_amount")
    return {
        "webwork_id": str(payload["id"]),
        "member_id": (members or {}).get(str(user_id)),
        "user_webwork_id": user_id,
        "date_from": date_from,
        "date_to": date_to,
        "status": timesheet_status(payload.get("status")),
        "total_minutes": total_minutes_of(payload),
        "total_amount": total_amount if isinstance(total_amount, dict | int | float) else None,
        "daily_breakdown": breakdown if isinstance(breakdown, dict) else {},
        "submitted_on": moment(payload.get("submitted_on")),
        "reject_reason": text(payload.get("reject_reason")),
        "raw": payload,
    }


def _user_ids(payloads):
    for payload in payloads:
        member = payload.get("member") if isinstance(payload.get("member"), dict) else {}
        yield payload.get("user_id") or member.get("id")


def timesheet_rows(workspace, payloads):
    """The Timesheet rows of `payloads`, members resolved from the mirror (one query); items that
    cannot be stored are left out. Used by the sync and the services alike."""
    payloads = [p for p in payloads if isinstance(p, dict)]
    members = local_ids(Member, workspace, _user_ids(payloads))
    rows = (timesheet_row(payload, members=members) for payload in payloads)
    return [row for row in rows if row is not None]


def _list(ctx, params, stats):
    """The listing; the editable state is asked for in V's spelling, then R's if refused."""
    try:
        return fetch_all(ctx, "timesheets", params, stats=stats)
    except ValidationError:
        if params.get("status") != Timesheet.Status.OPEN:
            raise
        return fetch_all(ctx, "timesheets", {**params, "status": "pending"}, stats=stats)


def timesheet_fetch_one(ctx: SyncContext, webwork_id):
    """One timesheet as WebWork has it now (GET /timesheets?id=<id>), or None when it is gone."""
    try:
        result = ctx.client.get("timesheets", params={"workspace_id": ctx.workspace_id, "id": webwork_id})
    except NotFoundError:
        return None
    items = result.data if isinstance(result.data, list) else [result.data]
    return next((i for i in items if isinstance(i, dict) and str(i.get("id")) == str(webwork_id)), None)


def _local_scope(status, date_from, date_to):
    """The mirror rows the listing covers (the dates select timesheets overlapping the range)."""
    scope = Q()
    if status:
        scope &= Q(status=status)
    if date_from:
        scope &= Q(date_to__gte=date_from)
    if date_to:
        scope &= Q(date_from__lte=date_to)
    return scope


def sync_timesheets(ctx: SyncContext, status=None, date_from=None, date_to=None):
    """Mirror the timesheets WebWork lists for `status` (open/pending, submitted, approved, rejected)
    and the period date_from..date_to (timesheets overlapping it); everything when not given."""
    status = timesheet_status(status) if status else None
    date_from, date_to = calendar_day(date_from), calendar_day(date_to)
    scope_name = (
        ",".join(part for part in (status, date_from and f"{date_from}..{date_to or ''}") if part) or "all"
    )
    with resource_run(ctx, "timesheets", scope=scope_name[:40]) as stats:
        params = {"status": status, "date_from": date_from, "date_to": date_to}
        params = {key: str(value) for key, value in params.items() if value}
        payloads = with_ids(_list(ctx, params, stats))
        scope = _local_scope(status, date_from, date_to)  # everything when not narrowed
        if params:
            # Rows that left the listing's scope are read again: moved on, or deleted?
            payloads += reread_unlisted(
                ctx, Timesheet, payloads, lambda row: timesheet_fetch_one(ctx, row.webwork_id), scope
            )
        replace_all(
            Timesheet,
            ctx,
            timesheet_rows(ctx.workspace, payloads),
            stats,
            scope,
            seen=(str(p["id"]) for p in payloads),
        )
    return stats
