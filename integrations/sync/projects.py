"""Projects: GET /projects, one request per 100 projects, archived ones included (status 0)."""

from ..models import Project
from ..webwork.payloads import calendar_day, decimal, integer, text
from .base import SyncContext, fetch_all, replace_all, resource_run, with_ids
from .links import links_resolve


def project_row(payload):
    status = integer(payload.get("status"))
    budget = payload.get("budget_estimation", payload.get("budget"))
    return {
        "webwork_id": str(payload["id"]),
        "name": text(payload.get("name"))[:200],
        "status": 1 if status is None else status,  # 1 active, 0 archived
        "is_billable": bool(payload.get("is_billable", True)),
        "rate": decimal(payload.get("rate")),
        "weekly_hours_limit": integer(payload.get("weekly_hours_limit")),
        "start_date": calendar_day(payload.get("start_date")),
        "deadline": calendar_day(payload.get("deadline")),
        "estimation": decimal(payload.get("estimation")),
        "budget": decimal(budget),
        "raw": payload,
    }


def sync_projects(ctx: SyncContext):
    with resource_run(ctx, "projects") as stats:
        rows = [project_row(p) for p in with_ids(fetch_all(ctx, "projects", stats=stats))]
        replace_all(Project, ctx, rows, stats)
        links_resolve(ctx.workspace, Project)
    return stats
