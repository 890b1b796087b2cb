"""Expense categories (GET /expenses/categories) and expenses (GET /expenses), one request per
100 rows.

The two doc versions name an expense's fields differently; both forms are read: `expense_name`
or `name`, `date` (YYYY-MM-DD) or `expense_date` ("Jan 15, 2024"), `note` or `description`,
`is_billable` or `type` ("billable" / "non-billable"), `category_id` or only the category's name.

A sync over a date range only answers for that range: a mirrored expense of the range that the
listing no longer returns may have been deleted, or moved to another date. Each such expense is
re-read on its own (GET /expenses?id=...) and updated, or marked removed if WebWork has it no more.
"""

from datetime import date
from decimal import Decimal

from ..models import Expense, ExpenseCategory, Member, Project
from ..webwork.payloads import calendar_day, decimal, integer, iso_day, text
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

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, start=1)}


def expense_category_row(payload):
    return {"webwork_id": str(payload["id"]), "name": text(payload.get("name"))[:100], "raw": payload}


def sync_expense_categories(ctx: SyncContext):
    with resource_run(ctx, "expense_categories") as stats:
        rows = [expense_category_row(p) for p in with_ids(fetch_all(ctx, "expenses/categories", stats=stats))]
        replace_all(ExpenseCategory, ctx, rows, stats)
        links_resolve(ctx.workspace, ExpenseCategory)
    return stats


def expense_day(payload):
    """The expense's date: `date` as YYYY-MM-DD, else `expense_date` as "Jan 15, 2024"."""
    return calendar_day(payload.get("date")) or display_day(payload.get("expense_date"))


def display_day(value):
    """A date written as WebWork displays it ("Jan 15, 2024"), or None."""
    if not isinstance(value, str):
        return calendar_day(value)
    parts = value.replace(",", " ").split()
    if len(parts) != 3:
        return calendar_day(value)
    month, day, year = MONTHS.get(parts[0][:3].lower()), integer(parts[1]), integer(parts[2])
    try:
        return date(year, month, day) if month and day and year else None
    except (TypeError, ValueError):
        return None


def is_billable(payload):
    if "is_billable" in payload and payload["is_billable"] is not None:
        value = payload["is_billable"]
        return value.strip().lower() in ("1", "true", "yes") if isinstance(value, str) else bool(value)
    return text(payload.get("type")).strip().lower() == "billable"


def expense_row(payload, *, members=None, projects=None, categories=None, category_names=None):
    """An Expense row; `members`, `projects`, `categories` map WebWork ids to our keys (see
    `local_ids`), `category_names` category names to our keys (for answers without `category_id`)."""
    user_webwork_id = integer(payload.get("user_id"))
    project_webwork_id = integer(payload.get("project_id"))
    category_webwork_id = text(payload.get("category_id"))[:64]
    if category_webwork_id:
        category = (categories or {}).get(category_webwork_id)
    else:
        category = (category_names or {}).get(text(payload.get("category")))
    note = payload.get("note") if payload.get("note") is not None else payload.get("description")
    return {
        "webwork_id": str(payload["id"]),
        "member_id": (members or {}).get(str(user_webwork_id)),
        "project_id": (projects or {}).get(str(project_webwork_id)),
        "category_id": category,
        "user_webwork_id": user_webwork_id,
        "project_webwork_id": project_webwork_id,
        "category_webwork_id": category_webwork_id,
        "name": text(payload.get("expense_name") or payload.get("name"))[:200],
        "date": expense_day(payload),
        "amount": decimal(payload.get("amount")) or Decimal(0),
        "note": text(note),
        "is_billable": is_billable(payload),
        "raw": payload,
    }


def sync_expenses(ctx: SyncContext, date_from=None, date_to=None):
    """Every expense, or those dated within [date_from, date_to] (either bound may be left open)."""
    date_from, date_to = calendar_day(date_from), calendar_day(date_to)
    ranged = date_from is not None or date_to is not None
    scope = {}
    if date_from is not None:
        scope["date__gte"] = date_from
    if date_to is not None:
        scope["date__lte"] = date_to
    with resource_run(ctx, "expenses", scope=range_label(date_from, date_to)) as stats:
        params = {"date_from": iso_day(date_from), "date_to": iso_day(date_to)}
        payloads = with_ids(fetch_all(ctx, "expenses", params, stats=stats))
        if ranged:
            payloads += reread_unlisted(ctx, Expense, payloads, fetch_by_id(ctx, "expenses", stats), **scope)
        replace_all(Expense, ctx, expense_rows(ctx.workspace, payloads), stats, **scope)
    return stats


def expense_rows(workspace, payloads):
    """The Expense rows of `payloads` (objects with an id), members, projects and categories
    resolved from the mirror (a category by name when the answer gives no id). Used by the sync and
    the services alike."""
    members = local_ids(Member, workspace, {p.get("user_id") for p in payloads})
    projects = local_ids(Project, workspace, {p.get("project_id") for p in payloads})
    categories = local_ids(ExpenseCategory, workspace, {p.get("category_id") for p in payloads})
    names = {text(p.get("category")) for p in payloads if not p.get("category_id") and p.get("category")}
    category_names = (
        dict(
            ExpenseCategory.objects.current()
            .filter(workspace=workspace, name__in=names)
            .values_list("name", "pk")
        )
        if names
        else {}
    )
    return [
        expense_row(
            p, members=members, projects=projects, categories=categories, category_names=category_names
        )
        for p in payloads
    ]
