"""Members: GET /members, one request per 100 members."""

from ..models import Member
from ..webwork.errors import ServerError
from ..webwork.payloads import decimal, integer, moment, text
from .base import SyncContext, fetch_all, replace_all, resource_run, with_ids
from .links import links_resolve


def member_row(payload):
    return {
        "webwork_id": str(payload["id"]),
        "email": text(payload.get("email")),
        "firstname": text(payload.get("firstname")),
        "lastname": text(payload.get("lastname")),
        "role": text(payload.get("current_role") or payload.get("role")),
        "status": text(payload.get("status")),
        "team_name": text(payload.get("team_name")),
        "title": text(payload.get("title")),
        "timezone": text(payload.get("timezone")),
        "rate": decimal(payload.get("rate")),
        "rate_status": integer(payload.get("rate_status")) or 0,
        "weekly_hours_limit": integer(payload.get("weekly_hours_limit")),
        "is_blocked": bool(payload.get("is_blocked")),
        "archived_at": moment(payload.get("deleted_at")),
        "raw": payload,
    }


def _has_role(payload):
    role = payload.get("current_role") or payload.get("role")
    return isinstance(role, str) and bool(role.strip())


def sync_members(ctx: SyncContext):
    with resource_run(ctx, "members") as stats:
        payloads = with_ids(fetch_all(ctx, "members", stats=stats))
        roleless = sum(1 for payload in payloads if not _has_role(payload))
        if roleless:
            # Roles decide who may open the workspace: a listing without them is a corrupt answer,
            # not a reason to lock its managers out (and disconnect it).
            raise ServerError(f"WebWork listed {roleless} of {len(payloads)} members without a role.")
        rows = [member_row(payload) for payload in payloads]
        replace_all(Member, ctx, rows, stats)
        links_resolve(ctx.workspace, Member)
    return stats
