"""Expenses: what members spent, filtered, with totals per currency and per category.

WebWork's API has no approval of expenses, so the page is review and bookkeeping.

Currency. WebWork's expenses carry no currency (its API documents none, the sandbox sends none):
every amount of a workspace is in the workspace's currency. An expense's currency is therefore,
in this order: a `currency` its payload carries (should WebWork ever send one), the workspace's
currency, else the currency the workspace's contracts are in (WebWork gives it on contracts).
It is computed in the database (`currency` annotation), so filtering and totals by currency are
SQL like any other column.

Amounts are Decimals from end to end. Totals are summed in the database as whole cents (an
integer sum is exact on SQLite as on PostgreSQL) and turned back into Decimals with two places.

Who may see amounts: WebWork shows expenses with their amounts to whoever may read expenses
through its API (Owners and Executive managers, the only roles that manage a workspace in
Clockroom); the sandbox hides no amount from an Executive manager without rate access (unlike
rates and earnings). So amounts are shown to every manager of the workspace.

A page of expenses costs a fixed number of queries, however many rows: the rows with their
member, project and category (one query), the count, the two totals, the filters' choices.

Every selector takes `workspace=` and reads only that workspace's rows.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import BigIntegerField, CharField, Count, F, Q, Sum, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, NullIf, Round, Upper
from django.utils.dateparse import parse_date

from integrations.models import Contract, Expense, ExpenseCategory, Member, Project

from .query import webwork_id_from_query

EXPENSES_PER_PAGE = 50
NO_PROJECT = "none"  # the project filter's value for expenses of no project
CENTS = Decimal("0.01")


def _day(value):
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


def _id(value):
    """A WebWork id of a category (a UUID), or ""."""
    value = (value or "").strip()
    return value if value and len(value) <= 64 and value.replace("-", "").isalnum() else ""


def _number(value):
    """A WebWork id of a member or project (digits), or ""."""
    return webwork_id_from_query(value)


def expense_periods(today):
    """The periods the page offers as shortcuts: (label, first day, last day), in the workspace's
    calendar (`today` is the workspace's today)."""
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return [
        ("This month", today.replace(day=1), today),
        ("Last month", last_month_end.replace(day=1), last_month_end),
        ("This year", today.replace(month=1, day=1), today),
        ("Last year", date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    ]


@dataclass(frozen=True)
class ExpenseFilters:
    """The expenses page's filters, as its query string gives them (bad values are ignored)."""

    member: str = ""  # a member's WebWork id
    project: str = ""  # a project's WebWork id, or "none"
    category: str = ""  # a category's WebWork id
    currency: str = ""  # three letters
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, query):
        currency = (query.get("currency") or "").strip()
        project = _number(query.get("project")) or (NO_PROJECT if query.get("project") == NO_PROJECT else "")
        date_from, date_to = _day(query.get("from")), _day(query.get("to"))
        return cls(
            member=_number(query.get("member")),
            project=project,
            category=_id(query.get("category")),
            currency=currency.upper() if len(currency) == 3 and currency.isalpha() else "",
            date_from=date_from,
            date_to=date_to,
        )

    @property
    def active(self):
        return bool(
            self.member or self.project or self.category or self.currency or self.date_from or self.date_to
        )

    def as_query(self):
        """The filters as query-string pairs (for pagination, the CSV link and list refreshes)."""
        pairs = {
            "member": self.member,
            "project": self.project,
            "category": self.category,
            "currency": self.currency,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in pairs.items() if value}


def expense_default_currency(*, workspace):
    """The currency of the workspace's expenses that do not name one: the workspace's, else the
    one its contracts are in (the most common, should they differ); "" when neither is known.
    At most one query."""
    if workspace.currency:
        return workspace.currency.upper()
    found = (
        Contract.objects.current()
        .filter(workspace=workspace)
        .exclude(currency="")
        .values("currency")
        .annotate(n=Count("pk"))
        .order_by("-n", "currency")
        .values_list("currency", flat=True)
        .first()
    )
    return (found or "").upper()


def _currency(default):
    """An expense's currency, in SQL: the payload's, else `default`."""
    return Coalesce(
        NullIf(Upper(KT("raw__currency")), Value("")), Value(default), output_field=CharField(max_length=3)
    )


def expenses_for_workspace(*, workspace, filters: ExpenseFilters, currency=None):
    """The workspace's current expenses matching `filters`, newest first, with their member,
    project and category, each annotated with its `currency`. `currency`: the default currency
    (see `expense_default_currency`), read when not given."""
    if currency is None:
        currency = expense_default_currency(workspace=workspace)
    expenses = (
        Expense.objects.current()
        .filter(workspace=workspace)
        .select_related("member", "project", "category")
        .annotate(currency=_currency(currency))
    )
    if filters.member:
        expenses = expenses.filter(
            Q(member__webwork_id=filters.member) | Q(member=None, user_webwork_id=int(filters.member))
        )
    if filters.project == NO_PROJECT:
        expenses = expenses.filter(project=None, project_webwork_id=None)
    elif filters.project:
        expenses = expenses.filter(
            Q(project__webwork_id=filters.project) | Q(project=None, project_webwork_id=int(filters.project))
        )
    if filters.category:
        expenses = expenses.filter(
            Q(category__webwork_id=filters.category) | Q(category=None, category_webwork_id=filters.category)
        )
    if filters.currency:
        expenses = expenses.filter(currency=filters.currency)
    if filters.date_from:
        expenses = expenses.filter(date__gte=filters.date_from)
    if filters.date_to:
        expenses = expenses.filter(date__lte=filters.date_to)
    return expenses.order_by(F("date").desc(nulls_last=True), "-id")


def expense_page_for_workspace(*, workspace, filters: ExpenseFilters, page=1, currency=None):
    return Paginator(
        expenses_for_workspace(workspace=workspace, filters=filters, currency=currency), EXPENSES_PER_PAGE
    ).get_page(page)


def expense_for_workspace(*, workspace, webwork_id, currency=None):
    """The current expense `webwork_id` of `workspace` (Expense.DoesNotExist otherwise)."""
    if currency is None:
        currency = expense_default_currency(workspace=workspace)
    return (
        Expense.objects.current()
        .select_related("member", "project", "category")
        .annotate(currency=_currency(currency))
        .get(workspace=workspace, webwork_id=str(webwork_id))
    )


# --- Totals ------------------------------------------------------------------------------------


@dataclass
class CategoryTotal:
    name: str
    total: Decimal
    count: int


@dataclass
class CurrencyTotal:
    currency: str  # "" when not known
    total: Decimal
    count: int
    categories: list = field(default_factory=list)


def _cents_sum():
    """The sum of the amounts as whole cents: exact in any database."""
    return Sum(Cast(Round(F("amount") * Value(100)), BigIntegerField()))


def _money(cents):
    return (Decimal(int(cents or 0)) / 100).quantize(CENTS)


def expense_totals_for_workspace(*, workspace, filters: ExpenseFilters, currency=None):
    """What the expenses matching `filters` add up to: a CurrencyTotal per currency (largest
    first), each with its CategoryTotals (largest first). Two queries, summed in the database."""
    matching = expenses_for_workspace(workspace=workspace, filters=filters, currency=currency).order_by()
    per_currency = (
        matching.values("currency").annotate(cents=_cents_sum(), n=Count("pk")).order_by("currency")
    )
    per_category = (
        matching.values("currency", "category_id", "category__name", "category_webwork_id")
        .annotate(cents=_cents_sum(), n=Count("pk"))
        .order_by("currency", "category__name", "category_id")
    )
    totals = {
        row["currency"] or "": CurrencyTotal(
            currency=row["currency"] or "", total=_money(row["cents"]), count=row["n"]
        )
        for row in per_currency
    }
    for row in per_category:
        total = totals.get(row["currency"] or "")
        if total is None:
            continue
        name = row["category__name"] or ("Unknown category" if row["category_webwork_id"] else "No category")
        total.categories.append(CategoryTotal(name=name, total=_money(row["cents"]), count=row["n"]))
    for total in totals.values():
        total.categories.sort(key=lambda c: (-c.total, c.name))
    return sorted(totals.values(), key=lambda t: (-t.total, t.currency))


# --- The filters' and the forms' choices ---------------------------------------------------------


@dataclass
class ExpenseChoices:
    members: list  # (webwork id, name)
    projects: list  # (webwork id, name)
    categories: list  # (webwork id, name)
    currencies: list  # codes


def expense_choices_for_workspace(*, workspace, currency=None):
    """What the filters offer: the workspace's members, projects and categories (current ones, and
    removed ones that still have expenses), and the currencies its expenses are in. Four queries."""
    if currency is None:
        currency = expense_default_currency(workspace=workspace)
    expenses = Expense.objects.current().filter(workspace=workspace).order_by()

    def offered(model, column):
        return model.objects.filter(workspace=workspace).filter(
            Q(removed_at__isnull=True) | Q(pk__in=expenses.exclude(**{column: None}).values(column))
        )

    members = offered(Member, "member").order_by("firstname", "lastname", "id")
    projects = offered(Project, "project").order_by("name", "id")
    categories = offered(ExpenseCategory, "category").order_by("name", "id")
    currencies = sorted(
        code
        for code in expenses.annotate(currency=_currency(currency))
        .values_list("currency", flat=True)
        .distinct()
        if code
    )
    return ExpenseChoices(
        members=[
            (m.webwork_id, str(m)) for m in members.only("webwork_id", "firstname", "lastname", "email")
        ],
        projects=[(p.webwork_id, p.name) for p in projects.only("webwork_id", "name")],
        categories=[(c.webwork_id, c.name) for c in categories.only("webwork_id", "name")],
        currencies=currencies,
    )
