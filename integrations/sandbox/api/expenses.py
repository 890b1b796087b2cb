"""Expenses: list, create, update, delete, categories.

GET/POST /expenses, PUT/DELETE /expenses/{id}, GET /expenses/categories.

Answers carry the fields WebWork documents (the member's full name, `expense_date` and
`added_dte` pre-formatted as "Jan 15, 2024", project and category names, `type`) and,
beside them, the machine-readable ones a client needs to mirror an expense (`user_id`,
`project_id`, `category_id`, `date`, `is_billable`, timestamps).
"""

from decimal import Decimal

from django import forms
from django.db import transaction

from ..models import Expense, ExpenseCategory, Project
from ..timekeeping import workspace_zone
from .base import (
    ApiError,
    DateRangeMixin,
    IdField,
    Response,
    date_field,
    day,
    iso_micro,
    member_of,
    not_found,
    number,
    paginate,
    request_values,
    route,
    uuid_or_none,
    validate,
    workspace_for,
)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TYPES = [("billable", "billable"), ("non-billable", "non-billable")]


def pretty_date(value):
    """WebWork's display form of a date: `Jan 15, 2024`."""
    if value is None:
        return None
    return f"{MONTHS[value.month - 1]} {value.day:02d}, {value.year}"


def serialize_expense(expense, tz):
    return {
        "id": str(expense.id),
        "member": expense.user.full_name,
        "user_id": expense.user_id,
        "expense_date": pretty_date(expense.date),
        "date": day(expense.date),
        "expense_name": expense.expense_name,
        "project": expense.project.name if expense.project else None,
        "project_id": expense.project_id,
        "category": expense.category.name,
        "category_id": str(expense.category_id),
        "amount": number(expense.amount),
        "note": expense.note,
        "type": "billable" if expense.is_billable else "non-billable",
        "is_billable": expense.is_billable,
        "added_dte": pretty_date(expense.created_at.astimezone(tz).date()),
        "created_at": iso_micro(expense.created_at),
        "updated_at": iso_micro(expense.updated_at),
    }


def serialize_category(category):
    return {"id": str(category.id), "name": category.name}


# --- Forms ------------------------------------------------------------------------


class StrictBooleanField(forms.Field):
    """true/false (JSON booleans, or 'true', 'false', '1', '0'); anything else is refused."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError("Give true or false.", code="invalid")


class ExpenseFilterForm(DateRangeMixin, forms.Form):
    id = forms.UUIDField(required=False, error_messages={"invalid": "Give an expense id (a UUID)."})
    user_id = IdField()
    project_id = IdField()
    category_id = forms.UUIDField(required=False, error_messages={"invalid": "Give a category id (a UUID)."})
    date_from = date_field(required=False)
    date_to = date_field(required=False)
    type = forms.ChoiceField(required=False, choices=TYPES)


class ExpenseForm(forms.Form):
    """Create (every required field) or update (`partial`: only what was sent)."""

    expense_name = forms.CharField(max_length=200)
    date = date_field()
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": "The amount must be greater than 0."},
    )
    category_id = forms.CharField(max_length=64)
    project_id = IdField()
    user_id = IdField()
    note = forms.CharField(required=False, max_length=5000)
    is_billable = StrictBooleanField(required=False)

    def __init__(self, *args, workspace, partial=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        if partial:  # a field that is sent must still be valid; one left out keeps its value
            for name, field in self.fields.items():
                if name not in self.data:
                    field.required = False

    def clean_category_id(self):
        value = self.cleaned_data["category_id"]
        if not value:
            return None
        category = ExpenseCategory.objects.filter(workspace=self.workspace, pk=uuid_or_none(value)).first()
        if category is None:
            raise forms.ValidationError(
                "Not an expense category of this workspace; see GET /expenses/categories."
            )
        return category

    def clean_project_id(self):
        value = self.cleaned_data["project_id"]
        if value is None:
            return None
        project = Project.objects.filter(workspace=self.workspace, pk=value, deleted_at__isnull=True).first()
        if project is None:
            raise forms.ValidationError("Not a project of this workspace.")
        return project

    def clean_user_id(self):
        value = self.cleaned_data["user_id"]
        if value is None:
            return None
        try:
            return member_of(self.workspace, value).user
        except ApiError as exc:
            raise forms.ValidationError(exc.message) from None


def _expense_data(request):
    """The request's fields, with R's `description` standing in for V's `note`."""
    data = request_values(request, ExpenseForm, "description")
    if "note" not in data and "description" in data:
        data["note"] = data["description"]
    return data


# --- Operations -------------------------------------------------------------------


def _expenses(workspace):
    return Expense.objects.select_related("user", "project", "category").filter(workspace=workspace)


def _expense(workspace, expense_id):
    expense = _expenses(workspace).filter(pk=expense_id).first()
    if expense is None:
        raise not_found("Expense")
    return expense


def expense_list(request):
    workspace, _caller = workspace_for(request)
    filters = validate(ExpenseFilterForm, request, data=request_values(request, ExpenseFilterForm))
    expenses = _expenses(workspace)
    for name, lookup in [("id", "pk"), ("user_id", "user_id"), ("project_id", "project_id")]:
        if filters[name] is not None:
            expenses = expenses.filter(**{lookup: filters[name]})
    if filters["category_id"] is not None:
        expenses = expenses.filter(category_id=filters["category_id"])
    if filters["date_from"]:
        expenses = expenses.filter(date__gte=filters["date_from"])
    if filters["date_to"]:
        expenses = expenses.filter(date__lte=filters["date_to"])
    if filters["type"]:
        expenses = expenses.filter(is_billable=filters["type"] == "billable")
    items, pagination = paginate(request, expenses.order_by("-date", "-created_at", "id"))
    tz = workspace_zone(workspace)
    return Response([serialize_expense(e, tz) for e in items], pagination=pagination)


@transaction.atomic(using="sandbox")
def expense_create(request):
    workspace, _caller = workspace_for(request)
    cleaned = validate(ExpenseForm, request, data=_expense_data(request), workspace=workspace)
    expense = Expense.objects.create(
        workspace=workspace,
        user=cleaned["user_id"] or request.api_user,
        project=cleaned["project_id"],
        category=cleaned["category_id"],
        expense_name=cleaned["expense_name"],
        date=cleaned["date"],
        amount=cleaned["amount"],
        note=cleaned["note"] or None,
        is_billable=bool(cleaned["is_billable"]),
    )
    return Response(
        serialize_expense(expense, workspace_zone(workspace)),
        message="Expense created successfully",
        status=201,
    )


@transaction.atomic(using="sandbox")
def expense_update(request, expense_id):
    workspace, _caller = workspace_for(request)
    expense = _expense(workspace, expense_id)
    data = _expense_data(request)
    cleaned = validate(ExpenseForm, request, data=data, workspace=workspace, partial=True)
    sent = {name for name in ExpenseForm.base_fields if name in data}
    for name in ("expense_name", "date", "amount"):
        if name in sent and cleaned[name] not in (None, ""):
            setattr(expense, name, cleaned[name])
    if "category_id" in sent and cleaned["category_id"] is not None:
        expense.category = cleaned["category_id"]
    if "user_id" in sent and cleaned["user_id"] is not None:
        expense.user = cleaned["user_id"]
    if "project_id" in sent:  # null clears the project
        expense.project = cleaned["project_id"]
    if "note" in sent:
        expense.note = cleaned["note"] or None
    if "is_billable" in sent and cleaned["is_billable"] is not None:
        expense.is_billable = cleaned["is_billable"]
    expense.save()
    return Response(
        serialize_expense(expense, workspace_zone(workspace)), message="Expense updated successfully"
    )


@transaction.atomic(using="sandbox")
def expense_delete(request, expense_id):
    workspace, _caller = workspace_for(request)
    _expense(workspace, expense_id).delete()
    return Response(None, message="Expense deleted successfully")


def expense_unknown(request, expense_id):
    """An expense id that is not a UUID: no such expense."""
    workspace_for(request)
    raise not_found("Expense")


def category_list(request):
    workspace, _caller = workspace_for(request)
    categories = ExpenseCategory.objects.filter(workspace=workspace).order_by("name", "id")
    items, pagination = paginate(request, categories)
    return Response([serialize_category(c) for c in items], pagination=pagination)


urlpatterns = [
    route("expenses", "expenses", GET=expense_list, POST=expense_create),
    # Before the id patterns, so that "categories" is never read as an expense id.
    route("expenses/categories", "expense-categories", GET=category_list),
    route("expenses/<uuid:expense_id>", "expense", PUT=expense_update, DELETE=expense_delete),
    route("expenses/<str:expense_id>", "expense-unknown", PUT=expense_unknown, DELETE=expense_unknown),
]
