"""Contracts: who works on which project, on what terms, and how this week is going against each
weekly limit.

`dashboard:contracts` lists them (filters, sort and grouping in the query string; htmx gets the
list partial), each with this week's tracked time against its limit and a forecast. A contract's
page shows its terms, the last 8 weeks of hours and its change history. Creating, editing,
pausing, resuming and deleting go through the contract services; WebWork's refusals land on the
form's fields (or, for a pause or resume in the list, in the row).

Contracts are named by their WebWork id and looked up within the URL's workspace: another
workspace's id answers 404, in a URL and in a form alike.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from dashboard.forms import ContractForm, add_service_error
from dashboard.permissions import require_workspace_post, workspace_view
from dashboard.selectors.contracts import (
    GROUPS,
    IDLE_DAYS,
    SORTS,
    STATUSES,
    ContractFilters,
    contract_chart_data,
    contract_filter_choices,
    contract_for_workspace,
    contract_history_for_workspace,
    contract_page_for_workspace,
    contract_row,
    contract_tracking_now,
    contract_weeks_for_workspace,
    limit_words,
    manager_sees_rates,
)
from dashboard.views.overview import partial_response
from dashboard.views.pages import back_with_message, framed, next_or, trigger, wants_partial
from integrations.models import Contract
from integrations.services import (
    ServiceError,
    contract_create,
    contract_delete,
    contract_pause,
    contract_resume,
    contract_update,
)

FRESHNESS_RESOURCES = ("contracts", "time_entries")
LIST_TEMPLATE = "dashboard/contracts/list.html"
CONTRACT_TEMPLATE = "dashboard/contracts/contract.html"
FORM_TEMPLATE = "dashboard/contracts/form.html"
DELETE_TEMPLATE = "dashboard/contracts/delete.html"


def _framed(request, workspace, context):
    return framed(request, workspace, context, section="contracts", resources=FRESHNESS_RESOURCES)


def _contract_or_404(workspace, webwork_id):
    try:
        return contract_for_workspace(workspace=workspace, webwork_id=webwork_id)
    except Contract.DoesNotExist:
        raise Http404("No such contract.") from None


def _list_url(workspace):
    return reverse("dashboard:contracts", kwargs={"workspace_id": workspace.webwork_id})


def _contract_url(workspace, contract):
    return reverse(
        "dashboard:contract", kwargs={"workspace_id": workspace.webwork_id, "webwork_id": contract.webwork_id}
    )


def _named(contract):
    """ "Alice Moreau on Website": a contract as a sentence names it."""
    member = str(contract.member) if contract.member_id else "A member"
    project = contract.project.name if contract.project_id else "a project"
    return f"{member} on {project}"


# --- The list ----------------------------------------------------------------------------------


@workspace_view
def contracts(request, workspace):
    """Every current contract of the workspace, filtered, sorted and grouped by the query string,
    50 a page. htmx (filters, pagination) gets the list partial."""
    filters = ContractFilters.from_query(request.GET)
    today = workspace.today()
    page_obj, rows = contract_page_for_workspace(
        workspace=workspace, filters=filters, page=request.GET.get("page") or 1, today=today
    )
    week_start, week_end = workspace.week_of(today)
    context = {
        "workspace": workspace,
        "filters": filters,
        "page_obj": page_obj,
        "rows": rows,
        "query": filters.as_query(),
        "sees_rates": manager_sees_rates(workspace=workspace, user=request.user),
        "week_start": week_start,
        "week_end": week_end,
        "here": request.get_full_path(),
        "idle_days": IDLE_DAYS,
    }
    if wants_partial(request):
        return partial_response(request, f"{LIST_TEMPLATE}#contract-list", context)
    context.update(
        choices=contract_filter_choices(workspace=workspace),
        statuses=STATUSES,
        sorts=SORTS,
        groups=GROUPS,
    )
    return partial_response(request, LIST_TEMPLATE, _framed(request, workspace, context))


# --- One contract ------------------------------------------------------------------------------


@workspace_view
def contract_detail(request, workspace, webwork_id):
    """A contract's page: its terms, this week against its limit, the last 8 weeks of hours and its
    change history. htmx (the history's pagination) gets the history partial."""
    contract = _contract_or_404(workspace, webwork_id)
    sees_rates = manager_sees_rates(workspace=workspace, user=request.user)
    history = contract_history_for_workspace(
        workspace=workspace,
        webwork_id=contract.webwork_id,
        page=request.GET.get("page") or 1,
        sees_rates=sees_rates,
    )
    context = {"workspace": workspace, "contract": contract, "history": history, "sees_rates": sees_rates}
    if wants_partial(request):
        return partial_response(request, f"{CONTRACT_TEMPLATE}#contract-history", context)
    today = workspace.today()
    weeks = contract_weeks_for_workspace(workspace=workspace, contract=contract, today=today)
    week_start, week_end = workspace.week_of(today)
    context.update(
        row=contract_row(contract, workspace=workspace, today=today),
        weeks=weeks,
        chart=contract_chart_data(weeks),
        week_start=week_start,
        week_end=week_end,
        here=request.get_full_path(),
    )
    return partial_response(request, CONTRACT_TEMPLATE, _framed(request, workspace, context))


def _form_page(request, workspace, form, *, contract=None, status=200):
    context = {
        "workspace": workspace,
        "form": form,
        "contract": contract,
        "next": next_or(
            request, _contract_url(workspace, contract) if contract is not None else _list_url(workspace)
        ),
    }
    response = partial_response(request, FORM_TEMPLATE, _framed(request, workspace, context))
    response.status_code = status
    return response


@workspace_view(methods=("GET", "HEAD", "POST"))
def contract_new(request, workspace):
    """Put a member on a project (`contract_create`); the new contract's page afterwards."""
    sees_rates = manager_sees_rates(workspace=workspace, user=request.user)
    initial = {key: request.GET[key] for key in ("member", "project") if request.GET.get(key)}
    form = ContractForm(
        request.POST if request.method == "POST" else None,
        workspace=workspace,
        sees_rates=sees_rates,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            made = contract_create(workspace=workspace, actor=request.user, **form.create_kwargs())
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                f"{_named(made)} is under contract now: {limit_words(made.weekly_hours_limit)} a week.",
            )
            return redirect(_contract_url(workspace, made))
    return _form_page(request, workspace, form)


@workspace_view(methods=("GET", "HEAD", "POST"))
def contract_edit(request, workspace, webwork_id):
    """Change a contract's weekly limit, rate or screenshots (`contract_update`): only what was
    changed is sent."""
    contract = _contract_or_404(workspace, webwork_id)
    sees_rates = manager_sees_rates(workspace=workspace, user=request.user)
    form = ContractForm(
        request.POST if request.method == "POST" else None,
        workspace=workspace,
        sees_rates=sees_rates,
        contract=contract,
    )
    if request.method == "POST" and form.is_valid():
        changes = form.update_kwargs()
        back = next_or(request, _contract_url(workspace, contract))
        if not changes:
            messages.info(request, "Nothing was changed: the terms are as they were.")
            return redirect(back)
        try:
            saved = contract_update(workspace=workspace, actor=request.user, contract=contract, **changes)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                f"Saved the contract of {_named(saved)}: {limit_words(saved.weekly_hours_limit)} a week.",
            )
            return redirect(back)
    return _form_page(request, workspace, form, contract=contract)


def _status_change(request, workspace, webwork_id, act, done):
    """Pause or resume (`act`): htmx gets the contract's row again (with WebWork's refusal in it,
    if any) and `contracts-changed`/`mirror-changed`; a plain post goes back with a message."""
    contract = _contract_or_404(workspace, webwork_id)
    refusal = ""
    try:
        act(workspace=workspace, actor=request.user, contract=contract)
    except ServiceError as exc:
        refusal = exc.message
    if wants_partial(request):
        contract = _contract_or_404(workspace, webwork_id)
        context = {
            "workspace": workspace,
            "row": contract_row(contract, workspace=workspace),
            "refusal": refusal,
            "sees_rates": manager_sees_rates(workspace=workspace, user=request.user),
            "here": next_or(request, _list_url(workspace)),
            "idle_days": IDLE_DAYS,
        }
        response = partial_response(request, f"{LIST_TEMPLATE}#contract-row", context)
        return response if refusal else trigger(response, "contracts-changed", "mirror-changed")
    back = next_or(request, _contract_url(workspace, contract))
    said = f"The contract of {_named(contract)} is {done} now."
    return back_with_message(request, back, done=said, refusal=refusal)


@require_workspace_post
def contract_pause_view(request, workspace, webwork_id):
    return _status_change(request, workspace, webwork_id, contract_pause, "paused")


@require_workspace_post
def contract_resume_view(request, workspace, webwork_id):
    return _status_change(request, workspace, webwork_id, contract_resume, "active")


@workspace_view(methods=("GET", "HEAD", "POST"))
def contract_delete_view(request, workspace, webwork_id):
    """GET: what deleting the contract means, and the button. POST: delete it at WebWork
    (`contract_delete`) and go to the list."""
    contract = _contract_or_404(workspace, webwork_id)
    refusal = ""
    if request.method == "POST":
        try:
            contract_delete(workspace=workspace, actor=request.user, contract=contract)
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, f"Deleted the contract of {_named(contract)}.")
            return redirect(_list_url(workspace))
    context = {
        "workspace": workspace,
        "contract": contract,
        "row": contract_row(contract, workspace=workspace),
        "tracking_now": contract_tracking_now(workspace=workspace, contract=contract),
        "refusal": refusal,
        "next": next_or(request, _contract_url(workspace, contract)),
    }
    return partial_response(request, DELETE_TEMPLATE, _framed(request, workspace, context))
