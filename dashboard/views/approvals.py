"""The approvals inbox: timesheets, time requests and leaves waiting for a manager's decision.

One page (`dashboard:approvals`) with a tab per queue and filters in the query string; each row
carries the evidence for its decision. Approve and reject act on one row (htmx swaps the row in
place and triggers `approvals-changed` and `mirror-changed` for the tab counts and the frame's
freshness); a bulk decision runs as a queued task whose progress is its own panel. Every form
also works as a plain page without JavaScript.

Items are named by their WebWork id and looked up within the URL's workspace: another
workspace's id answers 404.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.validators import RegexValidator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import reswap, retarget, trigger_client_event

from dashboard.permissions import require_workspace_post, workspace_view
from dashboard.selectors import approvals as inbox
from dashboard.views.overview import partial_response
from dashboard.views.pages import framed, next_or, trigger, wants_partial
from integrations.models import BulkDecision
from integrations.services import (
    ServiceError,
    bulk_decision_start,
    leave_approve,
    leave_reject,
    time_request_approve,
    time_request_reject,
    timesheet_approve,
    timesheet_reject,
)

FRESHNESS_RESOURCES = ("timesheets", "time_requests", "leave_requests")
TEMPLATE = "dashboard/approvals/inbox.html"
ROWS = "dashboard/approvals/rows.html"
ITEM_TEMPLATE = "dashboard/approvals/item.html"
BULK_TEMPLATE = "dashboard/approvals/bulk.html"
BULK_REJECT_TEMPLATE = "dashboard/approvals/bulk_reject.html"

APPROVE = {
    "timesheets": lambda workspace, actor, item: timesheet_approve(
        workspace=workspace, actor=actor, timesheet=item
    ),
    "time_requests": lambda workspace, actor, item: time_request_approve(
        workspace=workspace, actor=actor, time_request=item
    ),
    "leaves": lambda workspace, actor, item: leave_approve(workspace=workspace, actor=actor, leave=item),
}
REJECT = {
    "timesheets": lambda workspace, actor, item, reason: timesheet_reject(
        workspace=workspace, actor=actor, timesheet=item, reason=reason
    ),
    "time_requests": lambda workspace, actor, item, reason: time_request_reject(
        workspace=workspace, actor=actor, time_request=item, comment=reason
    ),
    "leaves": lambda workspace, actor, item, reason: leave_reject(
        workspace=workspace, actor=actor, leave=item, reason=reason
    ),
}
REASON_REQUIRED = "Give a reason for the rejection; the member will see it."


# --- Filters ------------------------------------------------------------------------------------


digits = RegexValidator(r"^\d{1,19}$", "Choose from the list.")


class ApprovalFilterForm(forms.Form):
    """The inbox's query string: ?tab=&member=&project=&from=&to=&status=&page=."""

    tab = forms.ChoiceField(
        required=False, choices=[(slug, kind.label) for slug, kind in inbox.KINDS.items()]
    )
    member = forms.CharField(required=False, validators=[digits])
    project = forms.CharField(required=False, validators=[digits])
    status = forms.ChoiceField(required=False)
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" and "to" are the period's names in the query string.
        self.fields["from"] = forms.DateField(required=False, label="From")
        self.fields["to"] = forms.DateField(required=False, label="To")
        self.fields["status"].choices = kind.statuses

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("from"), cleaned.get("to")
        if first and last and last < first:
            self.add_error("to", "The period ends before it starts.")
        return cleaned

    def filters(self):
        """The valid filters (an invalid value is left out, and shown as an error)."""
        data = self.cleaned_data if self.is_bound else {}
        return inbox.ApprovalFilters(
            member=data.get("member") or "",
            project=data.get("project") or "",
            date_from=data.get("from") if "to" not in self.errors else None,
            date_to=data.get("to") if "to" not in self.errors else None,
            status=data.get("status") or inbox.STATUS_WAITING,
        )


def kind_from_tab(value):
    return inbox.KINDS.get(value or "", inbox.KINDS[inbox.DEFAULT_KIND])


def kind_or_404(slug):
    kind = inbox.KINDS.get(slug)
    if kind is None:
        raise Http404("No such queue.")
    return kind


def read_filters(data):
    """(kind, form, filters, page) from a query dict."""
    kind = kind_from_tab(data.get("tab"))
    form = ApprovalFilterForm(data, kind=kind)
    form.is_valid()
    return kind, form, form.filters(), form.cleaned_data.get("page") or 1


def inbox_url(workspace, kind, filters):
    query = {"tab": kind.slug, **filters.query()}
    page = reverse("dashboard:approvals", kwargs={"workspace_id": workspace.webwork_id})
    return f"{page}?{urlencode(query)}"


def safe_next(request, workspace):
    """Where a plain form post goes back to: its `next` when it is a page of ours, else the inbox."""
    return next_or(request, reverse("dashboard:approvals", kwargs={"workspace_id": workspace.webwork_id}))


def render_in_zone(request, workspace, template, context):
    """Render with dates and times in the workspace's time zone."""
    with timezone.override(workspace.zone):
        return partial_response(request, template, context)


def changed(response):
    """Tell the page that the queues and the mirror changed (tab counts, freshness line)."""
    return trigger(response, "approvals-changed", "mirror-changed")


# --- The inbox ----------------------------------------------------------------------------------


def inbox_context(request, workspace):
    kind, form, filters, page = read_filters(request.GET)
    page_obj, rows = inbox.approval_page_for_workspace(
        workspace=workspace, kind=kind, filters=filters, page=page
    )
    members, projects = inbox.approval_filter_choices(workspace=workspace)
    counts = inbox.approval_counts_for_workspace(workspace=workspace)
    query = {"tab": kind.slug, **filters.query()}
    context = {
        "workspace": workspace,
        "kind": kind,
        "kinds": inbox.KINDS.values(),
        "counts": counts,
        "tabs": tabs_of(workspace, kind, filters, counts),
        "form": form,
        "filters": filters,
        "members": members,
        "projects": projects,
        "page_obj": page_obj,
        "rows": rows,
        "query": query,
        "tabs_query": urlencode(query),
        "here": request.get_full_path(),
        "inbox_url": inbox_url(workspace, kind, filters),
    }
    if not rows and not filters.narrowed:
        context["approved_this_week"] = inbox.decided_this_week_count(workspace=workspace, kind=kind)
        context["approved_url"] = inbox_url(workspace, kind, filters.__class__(status="approved"))
    return context


def tabs_of(workspace, current, filters, counts):
    """The tabs: each queue's label, waiting count and link (member, project and period kept)."""
    kept = inbox.ApprovalFilters(
        member=filters.member, project=filters.project, date_from=filters.date_from, date_to=filters.date_to
    )
    return [
        {
            "kind": kind,
            "count": counts.get(slug, 0),
            "url": inbox_url(workspace, kind, kept),
            "current": kind == current,
        }
        for slug, kind in inbox.KINDS.items()
    ]


@workspace_view
def approvals(request, workspace):
    """The inbox. htmx (a tab, a filter, a page) gets the inbox partial; the page around it shows
    the bulk decisions under way and the reject dialog."""
    context = inbox_context(request, workspace)
    if wants_partial(request):
        return render_in_zone(request, workspace, f"{TEMPLATE}#inbox", context)
    framed(request, workspace, context, section="approvals", resources=FRESHNESS_RESOURCES)
    context["bulks"] = inbox.bulk_decisions_showing_for_workspace(workspace=workspace)
    return render_in_zone(request, workspace, TEMPLATE, context)


@workspace_view
def approval_tabs(request, workspace):
    """The tabs with their waiting counts (asked for again on `approvals-changed`)."""
    if not wants_partial(request):
        page = reverse("dashboard:approvals", kwargs={"workspace_id": workspace.webwork_id})
        return redirect(f"{page}?{request.GET.urlencode()}")
    kind, _form, filters, _page = read_filters(request.GET)
    counts = inbox.approval_counts_for_workspace(workspace=workspace)
    context = {
        "workspace": workspace,
        "kind": kind,
        "tabs": tabs_of(workspace, kind, filters, counts),
        "tabs_query": urlencode({"tab": kind.slug, **filters.query()}),
    }
    return render_in_zone(request, workspace, f"{TEMPLATE}#tabs", context)


# --- One item -----------------------------------------------------------------------------------


def item_or_404(workspace, kind, webwork_id):
    try:
        return inbox.approval_item_for_workspace(workspace=workspace, kind=kind, webwork_id=webwork_id)
    except kind.model.DoesNotExist:
        raise Http404(f"No such {kind.noun}.") from None


def row_of(workspace, kind, item, *, refusal=""):
    (row,) = inbox.approval_rows(workspace=workspace, kind=kind, items=[item])
    row.refusal = refusal
    return row


def row_response(request, workspace, kind, item, *, refusal="", next_url=""):
    context = {
        "workspace": workspace,
        "kind": kind,
        "row": row_of(workspace, kind, item, refusal=refusal),
        "next": next_url or safe_next(request, workspace),
    }
    return render_in_zone(request, workspace, f"{ROWS}#row", context)


def item_page(request, workspace, kind, item, *, mode="item", reason="", errors=(), refusal=""):
    context = {
        "workspace": workspace,
        "kind": kind,
        "row": row_of(workspace, kind, item, refusal=refusal),
        "history": inbox.approval_history_for_item(
            workspace=workspace, kind=kind, webwork_id=item.webwork_id
        ),
        "mode": mode,
        "reason": reason,
        "errors": list(errors),
        "next": safe_next(request, workspace),
        "standalone": True,
        "standalone_hide_actions": mode == "reject",
    }
    framed(request, workspace, context, section="approvals", resources=FRESHNESS_RESOURCES)
    return render_in_zone(request, workspace, ITEM_TEMPLATE, context)


@workspace_view
def approval_item(request, workspace, kind, webwork_id):
    """One item: its row (htmx) or its own page with its history."""
    kind = kind_or_404(kind)
    item = item_or_404(workspace, kind, webwork_id)
    if wants_partial(request):
        return row_response(request, workspace, kind, item)
    return item_page(request, workspace, kind, item)


@workspace_view
def approval_history(request, workspace, kind, webwork_id):
    """The item's audit trail: the history disclosure's content (htmx), or the item's page."""
    kind = kind_or_404(kind)
    item = item_or_404(workspace, kind, webwork_id)
    if wants_partial(request):
        context = {
            "workspace": workspace,
            "kind": kind,
            "history": inbox.approval_history_for_item(
                workspace=workspace, kind=kind, webwork_id=item.webwork_id
            ),
        }
        return render_in_zone(request, workspace, f"{ROWS}#history", context)
    return item_page(request, workspace, kind, item)


@require_workspace_post
def approval_approve(request, workspace, kind, webwork_id):
    """POST: approve one item at WebWork. htmx gets the row back (with WebWork's reason when it
    refused); a plain form goes back to the page it came from, with a message."""
    kind = kind_or_404(kind)
    item = item_or_404(workspace, kind, webwork_id)
    refusal = ""
    try:
        APPROVE[kind.slug](workspace, request.user, item)
    except ServiceError as exc:
        refusal = exc.message
    item = item_or_404(workspace, kind, webwork_id)  # as the mirror holds it now
    if request.htmx:
        response = row_response(request, workspace, kind, item, refusal=refusal)
        return response if refusal else changed(response)
    if refusal:
        messages.error(request, f"WebWork did not approve this {kind.noun}: {refusal}")
    else:
        messages.success(request, f"Approved the {kind.noun} of {row_of(workspace, kind, item).member_name}.")
    return redirect(safe_next(request, workspace))


@workspace_view(methods=("GET", "HEAD", "POST"))
def approval_reject(request, workspace, kind, webwork_id):
    """GET: the reject form as a page of its own (without JavaScript). POST: reject with the reason
    (required). htmx gets the row back, or the reason's error in the dialog."""
    kind = kind_or_404(kind)
    item = item_or_404(workspace, kind, webwork_id)
    if request.method != "POST":
        return item_page(request, workspace, kind, item, mode="reject")
    reason = request.POST.get("reason", "")
    try:
        REJECT[kind.slug](workspace, request.user, item, reason)
    except ServiceError as exc:
        if exc.status is None and exc.kind == "invalid" and exc.field_errors:  # WebWork was not asked
            errors = [message for field in exc.field_errors.values() for message in field] or [exc.message]
            if request.htmx:
                response = render_in_zone(request, workspace, f"{ROWS}#reject-errors", {"errors": errors})
                return reswap(retarget(response, "#reject-errors"), "innerHTML")
            return item_page(request, workspace, kind, item, mode="reject", reason=reason, errors=errors)
        item = item_or_404(workspace, kind, webwork_id)
        if request.htmx:
            return row_response(request, workspace, kind, item, refusal=exc.message)
        messages.error(request, f"WebWork did not reject this {kind.noun}: {exc.message}")
        return redirect(safe_next(request, workspace))
    item = item_or_404(workspace, kind, webwork_id)
    if request.htmx:
        return changed(row_response(request, workspace, kind, item))
    messages.success(request, f"Rejected the {kind.noun} of {row_of(workspace, kind, item).member_name}.")
    return redirect(safe_next(request, workspace))


# --- Bulk decisions -----------------------------------------------------------------------------


def bulk_items_from(request, workspace, kind):
    """(items, carried) of a bulk form: the mirror rows chosen (the ticked ones, or every waiting
    one matching the filter) and the form's fields to carry to the reason page. An id that is not
    an item of this workspace is a 404."""
    carried = [("kind", kind.slug), ("next", safe_next(request, workspace))]
    if request.POST.get("scope") == "matching":
        data = request.POST.copy()
        data["tab"] = kind.slug
        _kind, _form, filters, _page = read_filters(data)
        carried += [("scope", "matching"), *filters.query().items()]
        items = inbox.approval_items_for_workspace(workspace=workspace, kind=kind, filters=filters)
        return list(items.filter(status=kind.waiting)), carried
    ids = list(dict.fromkeys(request.POST.getlist("item")))
    items = list(
        kind.model.objects.filter(
            workspace=workspace, removed_at__isnull=True, webwork_id__in=ids
        ).select_related("member")
    )
    if len(items) != len(ids):
        raise Http404(f"No such {kind.noun}.")
    order = {webwork_id: index for index, webwork_id in enumerate(ids)}
    items.sort(key=lambda item: order[item.webwork_id])
    carried += [("item", webwork_id) for webwork_id in ids]
    return items, carried


def bulk_problem(request, workspace, message):
    """A bulk form that cannot start: said beside its buttons (htmx), or as a message."""
    if request.htmx:
        response = render_in_zone(request, workspace, f"{ROWS}#reject-errors", {"errors": [message]})
        return reswap(retarget(response, "#bulk-errors"), "innerHTML")
    messages.warning(request, message)
    return redirect(safe_next(request, workspace))


@require_workspace_post
def approval_bulk_start(request, workspace):
    """POST: decide many items at once (a queued task). Without a reason, a rejection first asks
    for one (a page of its own without JavaScript; the dialog with it). htmx gets the progress
    panel for the top of the inbox; a plain form goes back to the inbox, which shows it."""
    kind = kind_or_404(request.POST.get("kind"))
    verb = request.POST.get("verb")
    if verb not in ("approve", "reject"):
        return HttpResponseBadRequest("Choose to approve or to reject.")
    items, carried = bulk_items_from(request, workspace, kind)
    if not items:
        return bulk_problem(request, workspace, f"Choose the {kind.plural} to {verb} first.")
    reason = request.POST.get("reason", "").strip()
    if verb == "reject" and not reason:
        if request.htmx:
            return bulk_problem(request, workspace, REASON_REQUIRED)
        context = {
            "workspace": workspace,
            "kind": kind,
            "count": len(items),
            "carried": carried,
            "next": safe_next(request, workspace),
            "errors": [REASON_REQUIRED] if "reason" in request.POST else [],
        }
        framed(request, workspace, context, section="approvals", resources=FRESHNESS_RESOURCES)
        return render_in_zone(request, workspace, BULK_REJECT_TEMPLATE, context)
    try:
        bulk = bulk_decision_start(
            workspace=workspace,
            actor=request.user,
            kind=kind.bulk_kind,
            verb=verb,
            items=items,
            reason=reason,
        )
    except ServiceError as exc:
        return bulk_problem(request, workspace, exc.message)
    if request.htmx:
        progress = inbox.bulk_decision_for_workspace(workspace=workspace, pk=bulk.pk, with_items=False)
        context = {"workspace": workspace, "progress": progress}
        response = render_in_zone(request, workspace, f"{BULK_TEMPLATE}#panel", context)
        trigger_client_event(response, "bulk-started", {})
        return changed(response)
    doing = "Approving" if verb == "approve" else "Rejecting"
    messages.success(request, f"{doing} {len(items)} {kind.plural}: the progress is shown above.")
    return redirect(safe_next(request, workspace))


@workspace_view
def approval_bulk(request, workspace, bulk_pk):
    """A bulk decision's progress: its own page, or (htmx, polled every 2 s while it runs) the
    panel's parts and the rows (named in `?rows=`, the ones the page shows) decided meanwhile."""
    try:
        progress = inbox.bulk_decision_for_workspace(workspace=workspace, pk=bulk_pk)
    except BulkDecision.DoesNotExist:
        raise Http404("No such bulk decision.") from None
    if wants_partial(request):
        shown = [value for value in request.GET.get("rows", "").split(",") if value][: inbox.PER_PAGE]
        landed = []
        if progress.kind is not None and shown:
            landed = inbox.bulk_landed_rows(
                workspace=workspace, kind=progress.kind, progress=progress, shown=shown
            )
        context = {
            "workspace": workspace,
            "progress": progress,
            "landed": landed,
            "next": request.htmx.current_url_abs_path or safe_next(request, workspace),
        }
        response = render_in_zone(request, workspace, f"{BULK_TEMPLATE}#poll", context)
        if progress.done:
            response.status_code = 286  # htmx: stop polling
        return changed(response) if landed or progress.done else response
    context = {"workspace": workspace, "progress": progress, "standalone": True}
    framed(request, workspace, context, section="approvals", resources=FRESHNESS_RESOURCES)
    return render_in_zone(request, workspace, BULK_TEMPLATE, context)
