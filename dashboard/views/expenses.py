"""Expenses: review and bookkeeping of what members spent (WebWork's API has no approval of them).

One page (`dashboard:expenses`) lists the expenses the query string's filters select (member,
project, category, currency, period), with their totals per currency and per category, and a CSV
of exactly those rows (`dashboard:expenses_csv`). Recording, changing and deleting an expense go
through the services (integrations.services.expenses), which ask WebWork, update the mirror from
its answer and record the audit event. With htmx a change answers the expense's row and triggers
`expenses-changed` (the totals refresh) and `mirror-changed` (the freshness line); recording one
triggers `expense-added` (the list refreshes). Every form also works as a plain page.

An expense is named in URLs by its WebWork id and looked up within the URL's workspace: another
workspace's expense (or member, project or category, in a form) answers 404.
"""

from datetime import UTC

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode

from dashboard.forms import ExpenseForm, add_service_error
from dashboard.permissions import workspace_view
from dashboard.selectors.expenses import (
    ExpenseFilters,
    expense_choices_for_workspace,
    expense_default_currency,
    expense_for_workspace,
    expense_page_for_workspace,
    expense_periods,
    expense_totals_for_workspace,
    expenses_for_workspace,
)
from dashboard.views.exports import csv_download, csv_writer
from dashboard.views.overview import partial_response
from dashboard.views.pages import back_with_message, framed, trigger, wants_partial
from integrations.models import Expense, Member, WorkspaceAccess
from integrations.services import ServiceError, expense_create, expense_delete, expense_update

TEMPLATE = "dashboard/expenses/list.html"
EXPENSE_TEMPLATE = "dashboard/expenses/expense.html"
ROW = f"{TEMPLATE}#expense-row"
RESOURCES = ("expenses", "expense_categories")
ADD_ID = "expense-add-%s"
CSV_COLUMNS = (
    "Date ({zone})",
    "Expense",
    "Member",
    "Project",
    "Category",
    "Billable",
    "Amount",
    "Currency",
    "Note",
    "Added in WebWork ({zone})",
    "WebWork id",
)


def _list_url(workspace):
    return reverse("dashboard:expenses", kwargs={"workspace_id": workspace.webwork_id})


def _frame(request, workspace, context):
    return framed(request, workspace, context, section="expenses", resources=RESOURCES)


def _changed(response, *events):
    return trigger(response, "expenses-changed", "mirror-changed", *events)


def _expense_or_404(workspace, webwork_id, currency=None):
    try:
        return expense_for_workspace(workspace=workspace, webwork_id=webwork_id, currency=currency)
    except Expense.DoesNotExist:
        raise Http404("No such expense.") from None


def _spender(request, workspace):
    """The manager's own member row in the workspace (the form's default spender), or None."""
    access = (
        WorkspaceAccess.objects.filter(user=request.user, workspace=workspace)
        .select_related("connection")
        .first()
    )
    if access is None or access.connection is None:
        return None
    return (
        Member.objects.current()
        .filter(workspace=workspace, webwork_id=str(access.connection.webwork_user_id))
        .values_list("webwork_id", flat=True)
        .first()
    )


def _add_form(request, workspace, data=None):
    initial = {"date": workspace.today(), "member": _spender(request, workspace)}
    return ExpenseForm(data, workspace=workspace, initial=initial, auto_id=ADD_ID)


def _edit_form(workspace, expense, data=None):
    return ExpenseForm(
        data,
        workspace=workspace,
        editing=True,
        initial=ExpenseForm.initial_of(expense),
        auto_id=f"expense-{expense.webwork_id}-%s",
    )


# --- The list -----------------------------------------------------------------------------------


def _periods(workspace, filters):
    """The period shortcuts as links keeping the other filters: (label, query, current)."""
    kept = {key: value for key, value in filters.as_query().items() if key not in ("from", "to")}
    return [
        (
            label,
            urlencode({**kept, "from": first.isoformat(), "to": last.isoformat()}),
            (filters.date_from, filters.date_to) == (first, last),
        )
        for label, first, last in expense_periods(workspace.today())
    ]


@workspace_view
def expenses(request, workspace):
    """The expenses the filters select, 50 a page, with their totals. htmx (filters, pages, the list
    refreshing after an addition) gets the list partial; `?part=totals` the totals alone."""
    filters = ExpenseFilters.from_query(request.GET)
    currency = expense_default_currency(workspace=workspace)
    query = filters.as_query()
    context = {
        "workspace": workspace,
        "filters": filters,
        "query": query,
        "default_currency": currency,
        "totals": expense_totals_for_workspace(workspace=workspace, filters=filters, currency=currency),
        "list_url": _list_url(workspace),
    }
    if wants_partial(request) and request.GET.get("part") == "totals":
        return partial_response(request, f"{TEMPLATE}#expense-totals", context)
    context["page_obj"] = expense_page_for_workspace(
        workspace=workspace, filters=filters, page=request.GET.get("page") or 1, currency=currency
    )
    if wants_partial(request):
        return partial_response(request, f"{TEMPLATE}#expense-list", context)
    context.update(
        choices=expense_choices_for_workspace(workspace=workspace, currency=currency),
        periods=_periods(workspace, filters),
    )
    return partial_response(request, TEMPLATE, _frame(request, workspace, context))


@workspace_view(methods=("GET", "HEAD", "POST"))
def expense_add(request, workspace):
    """GET: the form (htmx: for the list page's "Record an expense", which reads it when opened;
    else a page of its own). POST: record the expense at WebWork. htmx gets the form back (empty,
    saying what was recorded; or with WebWork's refusal on its fields)."""
    form = _add_form(request, workspace, request.POST if request.method == "POST" else None)
    added = None
    if request.method == "POST" and form.is_valid():
        try:
            added = expense_create(workspace=workspace, actor=request.user, **form.service_kwargs())
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            added = _expense_or_404(workspace, added.webwork_id)
            if not wants_partial(request):
                messages.success(request, f"Recorded {_words(added)}.")
                return redirect(_list_url(workspace))
            form = _add_form(request, workspace)
    context = {
        "workspace": workspace,
        "add_form": form,
        "added": added,
        "default_currency": expense_default_currency(workspace=workspace),
    }
    if wants_partial(request):
        response = partial_response(request, f"{TEMPLATE}#add-form", context)
        return _changed(response, "expense-added") if added is not None else response
    context["mode"] = "add"
    return partial_response(request, EXPENSE_TEMPLATE, _frame(request, workspace, context))


# --- One expense ----------------------------------------------------------------------------------


def _words(expense):
    """An expense in a sentence: `“Train ticket” of Alice Archer, 42.50 EUR on 7 Dec 2026`."""
    who = f" of {expense.member}" if expense.member_id else ""
    amount = f"{expense.amount:.2f}" + (f" {expense.currency}" if expense.currency else "")
    day = f" on {expense.date:%-d %b %Y}" if expense.date else ""
    return f"“{expense.name}”{who}, {amount}{day}"


def _row_response(request, workspace, expense, **extra):
    context = {
        "workspace": workspace,
        "expense": expense,
        "mode": "",
        "default_currency": expense.currency,
        **extra,
    }
    return partial_response(request, ROW, context)


def _expense_page(request, workspace, expense, *, mode, form=None, refusal=""):
    context = {
        "workspace": workspace,
        "expense": expense,
        "mode": mode,
        "form": form,
        "refusal": refusal,
        "default_currency": expense.currency,
    }
    return partial_response(request, EXPENSE_TEMPLATE, _frame(request, workspace, context))


@workspace_view
def expense(request, workspace, webwork_id):
    """One expense: its row (htmx, e.g. a form's "Cancel"), or the page to change it."""
    found = _expense_or_404(workspace, webwork_id)
    if wants_partial(request):
        return _row_response(request, workspace, found)
    return _expense_page(request, workspace, found, mode="edit", form=_edit_form(workspace, found))


@workspace_view(methods=("GET", "HEAD", "POST"))
def expense_edit(request, workspace, webwork_id):
    """GET: the form to change the expense (in its row with htmx, else a page). POST: change it at
    WebWork; the row comes back as it is now, or the form with WebWork's refusal on its fields."""
    found = _expense_or_404(workspace, webwork_id)
    form = _edit_form(workspace, found, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            expense_update(workspace=workspace, actor=request.user, expense=found, **form.service_kwargs())
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            found = _expense_or_404(workspace, webwork_id)
            done = f"Saved {_words(found)}."
            if wants_partial(request):
                return _changed(_row_response(request, workspace, found, note=done))
            messages.success(request, done)
            return redirect(_list_url(workspace))
    if wants_partial(request):
        return _row_response(request, workspace, found, mode="edit", form=form)
    return _expense_page(request, workspace, found, mode="edit", form=form)


@workspace_view(methods=("GET", "HEAD", "POST"))
def expense_delete_view(request, workspace, webwork_id):
    """GET: what deleting does, and the button to do it (in the row with htmx, else a page). POST:
    delete the expense at WebWork (the mirror keeps it, marked removed, for the audit trail)."""
    found = _expense_or_404(workspace, webwork_id)
    if request.method != "POST":
        if wants_partial(request):
            return _row_response(request, workspace, found, mode="delete")
        return _expense_page(request, workspace, found, mode="delete")
    try:
        expense_delete(workspace=workspace, actor=request.user, expense=found)
    except ServiceError as exc:
        if wants_partial(request):
            return _row_response(
                request, workspace, _expense_or_404(workspace, webwork_id), refusal=exc.message
            )
        return back_with_message(request, _list_url(workspace), refusal=exc.message)
    done = f"Deleted {_words(found)}. The audit trail keeps a record of it."
    if wants_partial(request):
        return _changed(_row_response(request, workspace, found, mode="deleted", note=done))
    return back_with_message(request, _list_url(workspace), done=done)


# --- CSV ------------------------------------------------------------------------------------------


def _raw(expense, key):
    """A name WebWork's answer gave (the member's, the project's, the category's), for a row the
    mirror has not linked (yet)."""
    raw = expense.raw if isinstance(expense.raw, dict) else {}
    return str(raw.get(key) or "")


@workspace_view
def expenses_csv(request, workspace):
    """The expenses the filters select, as CSV, streamed (never all held in memory): amounts as
    text with two places, dates and times in the workspace's time zone."""
    filters = ExpenseFilters.from_query(request.GET)
    rows_of = expenses_for_workspace(workspace=workspace, filters=filters)
    writer = csv_writer()
    zone = workspace.zone

    def added(expense):
        raw = expense.raw if isinstance(expense.raw, dict) else {}
        moment = parse_datetime(str(raw.get("created_at") or ""))
        if moment is None:
            return str(raw.get("added_dte") or raw.get("added_date") or "")
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=UTC)
        return timezone.localtime(moment, zone).isoformat(timespec="seconds")

    def rows():
        yield writer.writerow([column.format(zone=zone.key) for column in CSV_COLUMNS])
        for expense in rows_of.iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    expense.date.isoformat() if expense.date else "",
                    expense.name,
                    str(expense.member) if expense.member_id else _raw(expense, "member"),
                    expense.project.name if expense.project_id else _raw(expense, "project"),
                    expense.category.name if expense.category_id else _raw(expense, "category"),
                    "yes" if expense.is_billable else "no",
                    f"{expense.amount:.2f}",
                    expense.currency,
                    expense.note,
                    added(expense),
                    expense.webwork_id,
                ]
            )

    stamp = timezone.localdate(timezone=zone).isoformat()
    return csv_download(rows(), f"expenses-{workspace.webwork_id}-{stamp}.csv")
