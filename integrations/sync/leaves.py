"""Leave policies (GET /leaves/policies), leave requests (GET /leaves) and balances
(GET /leaves/balances).

Requests can be synced by scope: a status (the approval queue is `status=pending`) and/or a date
range (leaves overlapping it). A mirrored request of the scope that the listing no longer returns
has usually only left the scope (approved, rejected, moved): each one is re-read on its own
(GET /leaves?id=...) and updated, and only one WebWork no longer has is marked removed.

Balances come 20 members a page (the endpoint takes only `page`), one row per member and leave
type, `webwork_id` "<user id>:<leave type>".
"""

from ..models import LeaveBalance, LeavePolicy, LeaveRequest, Member
from ..webwork.payloads import calendar_day, integer, iso_day, text
from .base import (
    SyncContext,
    fetch_all,
    fetch_by_id,
    local_ids,
    range_label,
    replace_all,
    reread_unlisted,
    resource_run,
    with_ids,
)
from .links import links_resolve


def yes_no(value, default=True):
    """WebWork's `is_paid`: "yes"/"no" (or a boolean)."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "1", "paid")
    return bool(value)


# --- Policies -------------------------------------------------------------------


def leave_policy_row(payload):
    return {
        "webwork_id": str(payload["id"]),
        "name": text(payload.get("name"))[:100],
        "is_paid": yes_no(payload.get("is_paid")),
        "kind": text(payload.get("type"))[:16],
        "raw": payload,
    }


def sync_leave_policies(ctx: SyncContext):
    with resource_run(ctx, "leave_policies") as stats:
        rows = [leave_policy_row(p) for p in with_ids(fetch_all(ctx, "leaves/policies", stats=stats))]
        replace_all(LeavePolicy, ctx, rows, stats)
        links_resolve(ctx.workspace, LeavePolicy)
    return stats


# --- Requests -------------------------------------------------------------------


def leave_request_row(payload, *, members=None, policies=None):
    """A LeaveRequest row; `members` and `policies` map WebWork ids to our keys (see `local_ids`)."""
    user_webwork_id = integer(payload.get("user_id"))
    policy_webwork_id = integer(payload.get("policy_id"))
    return {
        "webwork_id": str(payload["id"]),
        "member_id": (members or {}).get(str(user_webwork_id)),
        "policy_id": (policies or {}).get(str(policy_webwork_id)),
        "user_webwork_id": user_webwork_id,
        "policy_webwork_id": policy_webwork_id,
        "start_date": calendar_day(payload.get("start_date") or payload.get("start")),
        "end_date": calendar_day(payload.get("end_date") or payload.get("end")),
        "status": text(payload.get("status"))[:16],
        "is_paid": yes_no(payload.get("is_paid")),
        "note": text(payload.get("note") if payload.get("note") is not None else payload.get("reason")),
        "reject_reason": text(payload.get("reject_reason")),
        "raw": payload,
    }


def leave_request_rows(workspace, payloads):
    """The LeaveRequest rows of `payloads` (objects with an id), members and policies resolved from
    the mirror. Used by the sync and the services alike."""
    members = local_ids(Member, workspace, {p.get("user_id") for p in payloads})
    policies = local_ids(LeavePolicy, workspace, {p.get("policy_id") for p in payloads})
    return [leave_request_row(p, members=members, policies=policies) for p in payloads]


def sync_leave_requests(ctx: SyncContext, status=None, date_from=None, date_to=None):
    """Every leave request, or those of a status and/or overlapping [date_from, date_to]."""
    date_from, date_to = calendar_day(date_from), calendar_day(date_to)
    scope = {}
    if status:
        scope["status"] = status
    if date_from is not None:
        scope["end_date__gte"] = date_from
    if date_to is not None:
        scope["start_date__lte"] = date_to
    label = " ".join(filter(None, [status or "", range_label(date_from, date_to)]))
    with resource_run(ctx, "leave_requests", scope=label[:40]) as stats:
        params = {"status": status or None, "date_from": iso_day(date_from), "date_to": iso_day(date_to)}
        payloads = with_ids(fetch_all(ctx, "leaves", params, stats=stats))
        if scope:
            payloads += reread_unlisted(
                ctx, LeaveRequest, payloads, fetch_by_id(ctx, "leaves", stats), **scope
            )
        replace_all(LeaveRequest, ctx, leave_request_rows(ctx.workspace, payloads), stats, **scope)
    return stats


# --- Balances -------------------------------------------------------------------


def leave_balance_rows(payload, *, members=None):
    """One LeaveBalance row per leave type of a member's balances entry."""
    user_webwork_id = integer(payload.get("user_id"))
    if user_webwork_id is None:
        return []
    rows = {}
    for information in payload.get("leave_information") or []:
        if not isinstance(information, dict) or not text(information.get("leave_type")):
            continue
        leave_type = text(information["leave_type"])[:100]
        webwork_id = f"{user_webwork_id}:{leave_type}"[:64]
        rows[webwork_id] = {
            "webwork_id": webwork_id,
            "member_id": (members or {}).get(str(user_webwork_id)),
            "user_webwork_id": user_webwork_id,
            "leave_type": leave_type,
            "balance": text(information.get("balance"))[:50],
            "raw": {"user_id": user_webwork_id, "user_name": payload.get("user_name"), **information},
        }
    return list(rows.values())


def sync_leave_balances(ctx: SyncContext, date_from, date_to):
    date_from, date_to = calendar_day(date_from), calendar_day(date_to)
    with resource_run(ctx, "leave_balances", scope=range_label(date_from, date_to)) as stats:
        params = {"date_from": iso_day(date_from), "date_to": iso_day(date_to)}
        payloads = [p for p in fetch_all(ctx, "leaves/balances", params, stats=stats) if isinstance(p, dict)]
        members = local_ids(Member, ctx.workspace, {p.get("user_id") for p in payloads})
        rows = [row for p in payloads for row in leave_balance_rows(p, members=members)]
        replace_all(LeaveBalance, ctx, rows, stats)
    return stats
