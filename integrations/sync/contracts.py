"""Contracts: GET /contracts, one request per 100 contracts.

The project and the member of a contract are resolved from the mirror's own rows; one the
mirror does not have yet leaves the foreign key empty and keeps WebWork's id
(`project_webwork_id`, `user_webwork_id`) for a later sync to resolve. Nothing is fetched inline.
The list's pagination block may come inside `meta` or at the top level; the client reads both.
"""

from ..models import Contract, Member, Project
from ..webwork.payloads import decimal, integer, text
from .base import SyncContext, fetch_all, local_ids, replace_all, resource_run, with_ids
from .links import links_resolve

DEFAULT_WEEKLY_HOURS_LIMIT = 168


def contract_row(payload, *, projects=None, members=None):
    """A Contract row; `projects` and `members` map WebWork ids to our keys (see `local_ids`)."""
    project_webwork_id = integer(payload.get("project_id"))
    user_webwork_id = integer(payload.get("user_id"))
    weekly_hours_limit = integer(payload.get("weekly_hours_limit"))
    return {
        "webwork_id": str(payload["id"]),
        "project_id": (projects or {}).get(str(project_webwork_id)),
        "member_id": (members or {}).get(str(user_webwork_id)),
        "project_webwork_id": project_webwork_id,
        "user_webwork_id": user_webwork_id,
        "weekly_hours_limit": DEFAULT_WEEKLY_HOURS_LIMIT
        if weekly_hours_limit is None
        else weekly_hours_limit,
        "screenshots": text(payload.get("screenshots"))[:32],
        "rate": decimal(payload.get("rate")),
        "rate_type": integer(payload.get("rate_type")),
        "currency": text(payload.get("currency"))[:3],
        "status": text(payload.get("status") or "active")[:16],
        "raw": payload,
    }


def contract_rows(workspace, payloads):
    """The Contract rows of `payloads` (objects with an id), projects and members resolved from the
    mirror. Used by the sync and the services alike."""
    projects = local_ids(Project, workspace, {p.get("project_id") for p in payloads})
    members = local_ids(Member, workspace, {p.get("user_id") for p in payloads})
    return [contract_row(p, projects=projects, members=members) for p in payloads]


def sync_contracts(ctx: SyncContext):
    with resource_run(ctx, "contracts") as stats:
        payloads = with_ids(fetch_all(ctx, "contracts", stats=stats))
        replace_all(Contract, ctx, contract_rows(ctx.workspace, payloads), stats)
        links_resolve(ctx.workspace, Contract)
    return stats
