"""Expenses: create, update, delete.

WebWork answers a create or an update with the expense; a delete with nothing, and the mirror
row is then marked removed (kept for history, hidden from pages). Both doc versions' names are
sent where they differ (`note` and `description`).
"""

from datetime import date as date_type
from decimal import Decimal, InvalidOperation

from ..models import Expense, ExpenseCategory, Member, Project
from ..sync.expenses import expense_rows
from ..webwork.payloads import calendar_day, text
from .base import (
    UNSET,
    InputErrors,
    ServiceError,
    created_object,
    find_item,
    object_delete,
    one_row,
    own_row,
    read_object,
    record,
    required_text,
    service_client,
    snapshot,
    updated_object,
    webwork_int,
    workspace_call,
)

WHAT = "expense"
NAME_REQUIRED = "Give the expense a name."
# WebWork's field -> (the input's name, in plain words).
FIELDS = {
    "expense_name": ("name", "name"),
    "name": ("name", "name"),
    "date": ("date", "date"),
    "amount": ("amount", "amount"),
    "category_id": ("category", "category"),
    "project_id": ("project", "project"),
    "user_id": ("member", "member"),
    "note": ("note", "note"),
    "description": ("note", "note"),
    "is_billable": ("is_billable", "billable setting"),
}


def expense_create(
    *,
    workspace,
    actor,
    name,
    date,
    amount,
    category,
    project=None,
    member=None,
    note="",
    is_billable=False,
) -> Expense:
    """Record an expense (for `member`, or for whoever Clockroom acts as when not given)."""
    inputs = InputErrors()
    body = {
        "expense_name": inputs.take(required_text, name, "name", NAME_REQUIRED),
        "date": inputs.take(_day, date),
        "amount": inputs.take(_amount, amount),
        "category_id": inputs.take(_category, workspace, category),
        "is_billable": bool(is_billable),
        **_note(note),
    }
    inputs.raise_any()
    if project is not None:
        body["project_id"] = webwork_int(own_row(Project, workspace, project, "project"))
    if member is not None:
        body["user_id"] = webwork_int(own_row(Member, workspace, member, "member"))
    with service_client(workspace, actor) as api:
        result = workspace_call(api, "POST", "expenses", workspace, json=body, what=WHAT, fields=FIELDS)
    payload = created_object(
        result, "WebWork recorded the expense but did not say how; it will appear after the next sync."
    )
    return record(
        workspace=workspace,
        actor=actor,
        action="expense_create",
        model=Expense,
        object_id=payload["id"],
        before=None,
        row=_row(workspace, payload),
    )


def expense_update(
    *,
    workspace,
    actor,
    expense,
    name=UNSET,
    date=UNSET,
    amount=UNSET,
    category=UNSET,
    project=UNSET,
    note=UNSET,
    is_billable=UNSET,
) -> Expense:
    """Change what is given of an expense (`project=None` takes its project away)."""
    row = own_row(Expense, workspace, expense, WHAT)
    inputs = InputErrors()
    body = {}
    if name is not UNSET:
        body["expense_name"] = inputs.take(required_text, name, "name", NAME_REQUIRED)
    if date is not UNSET:
        body["date"] = inputs.take(_day, date)
    if amount is not UNSET:
        body["amount"] = inputs.take(_amount, amount)
    if category is not UNSET:
        body["category_id"] = inputs.take(_category, workspace, category)
    inputs.raise_any()
    if project is not UNSET:
        body["project_id"] = (
            None if project is None else webwork_int(own_row(Project, workspace, project, "project"))
        )
    if note is not UNSET:
        body.update(_note(note))
    if is_billable is not UNSET:
        body["is_billable"] = bool(is_billable)
    if not body:
        return row
    before = snapshot(row)
    with service_client(workspace, actor) as api:
        result = workspace_call(
            api, "PUT", f"expenses/{row.webwork_id}", workspace, json=body, what=WHAT, fields=FIELDS
        )
        payload = updated_object(result, lambda: _read(api, workspace, row))
    return record(
        workspace=workspace,
        actor=actor,
        action="expense_update",
        model=Expense,
        object_id=row.webwork_id,
        before=before,
        row=_row(workspace, payload) if payload else None,
    )


def expense_delete(*, workspace, actor, expense) -> Expense:
    """Delete an expense at WebWork; the mirror keeps it, marked removed."""
    return object_delete(
        workspace=workspace,
        actor=actor,
        model=Expense,
        obj=expense,
        what=WHAT,
        path="expenses",
        action="expense_delete",
    )


# --- Inputs and answers ----------------------------------------------------------------------


def _day(value):
    day = value if isinstance(value, date_type) else calendar_day(value)
    if day is None:
        message = "Give the date of the expense (YYYY-MM-DD)."
        raise ServiceError(message, field_errors={"date": [message]})
    return day.isoformat()


def _amount(value):
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0:
        message = "Give the amount as a number greater than 0."
        raise ServiceError(message, field_errors={"amount": [message]})
    # A JSON number, as WebWork documents it; two decimals are exact enough as a float.
    return float(amount.quantize(Decimal("0.01")))


def _category(workspace, category):
    if category is None:
        message = "Choose the expense's category."
        raise ServiceError(message, field_errors={"category": [message]})
    return own_row(ExpenseCategory, workspace, category, "expense category").webwork_id


def _note(value):
    note = text(value).strip()
    return {"note": note, "description": note}


def _read(api, workspace, row):
    return find_item(read_object(api, "expenses", workspace, {"id": row.webwork_id}), row.webwork_id)


def _row(workspace, payload):
    return one_row(expense_rows, workspace, payload)
