"""Project viewers: the clients of a workspace who see chosen projects in WebWork.

One page (`dashboard:viewers`) lists them with their projects, filtered by the query string. Adding
a viewer, giving and taking a project, removing and restoring a viewer go through the services
(integrations.services.project_viewers), which ask WebWork, update the mirror from its answer and
record the audit event. With htmx a change answers the viewer's row (the list's own partial) and
triggers `viewers-changed` (the counts) and `mirror-changed` (the freshness line); adding one
triggers `viewer-added` (the list refreshes). Every form also works as a plain page without
JavaScript: a change then redirects to the list with a message.

A viewer is named in URLs by their WebWork id and looked up within the URL's workspace: another
workspace's viewer (or project, in a form) answers 404.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from dashboard.forms import ViewerAddForm, ViewerProjectForm, add_service_error
from dashboard.permissions import require_workspace_post, workspace_view
from dashboard.selectors.viewers import (
    VISIBILITY_NOTE,
    ViewerFilters,
    viewer_assignable_projects,
    viewer_counts_for_workspace,
    viewer_page_for_workspace,
    viewer_project_choices,
    viewer_row_for_workspace,
)
from dashboard.views.overview import partial_response
from dashboard.views.pages import back_with_message, framed, trigger, wants_partial
from integrations.models import ProjectViewer
from integrations.services import (
    ServiceError,
    project_viewer_assign,
    project_viewer_create,
    project_viewer_remove,
    project_viewer_restore,
    project_viewer_unassign,
)

TEMPLATE = "dashboard/viewers/list.html"
VIEWER_TEMPLATE = "dashboard/viewers/viewer.html"
ROW = f"{TEMPLATE}#viewer-row"
RESOURCES = ("project_viewers", "projects")
ADD_ID = "viewer-add-%s"


def _list_url(workspace):
    return reverse("dashboard:viewers", kwargs={"workspace_id": workspace.webwork_id})


def _frame(request, workspace, context):
    return framed(request, workspace, context, section="viewers", resources=RESOURCES)


def _changed(response, *events):
    return trigger(response, "viewers-changed", "mirror-changed", *events)


def refusal_on(form, error, field):
    """Put WebWork's refusal `error` on `form`: on the fields it names; a refusal of what was
    given that names no field (the email is someone's already, the viewer sees the project
    already) on `field`, the one input it can be about; anything else (WebWork not answering, a
    sign-in to renew) above the form."""
    if not error.field_errors and error.kind in ("conflict", "invalid"):
        form.add_error(field, error.message)
    else:
        add_service_error(form, error)
    return form


def _row_or_404(workspace, viewer_id):
    try:
        return viewer_row_for_workspace(workspace=workspace, webwork_id=viewer_id)
    except ProjectViewer.DoesNotExist:
        raise Http404("No such project viewer.") from None


# --- The list -----------------------------------------------------------------------------------


def _list_context(request, workspace):
    filters = ViewerFilters.from_query(request.GET)
    page_obj, rows = viewer_page_for_workspace(
        workspace=workspace, filters=filters, page=request.GET.get("page") or 1
    )
    query = filters.as_query()
    return {
        "workspace": workspace,
        "filters": filters,
        "query": query,
        "page_obj": page_obj,
        "rows": rows,
        "counts": viewer_counts_for_workspace(workspace=workspace),
        "list_url": _list_url(workspace),
    }


@workspace_view
def viewers(request, workspace):
    """Every viewer of the workspace with the projects they see. htmx (filters, pages, the list
    refreshing after an addition) gets the list partial; `?part=counts` the counts alone."""
    if wants_partial(request) and request.GET.get("part") == "counts":
        context = {"workspace": workspace, "counts": viewer_counts_for_workspace(workspace=workspace)}
        return partial_response(request, f"{TEMPLATE}#viewer-counts", context)
    context = _list_context(request, workspace)
    if wants_partial(request):
        return partial_response(request, f"{TEMPLATE}#viewer-list", context)
    context.update(
        add_form=ViewerAddForm(auto_id=ADD_ID),
        projects=viewer_project_choices(workspace=workspace),
        visibility_note=VISIBILITY_NOTE,
    )
    return partial_response(request, TEMPLATE, _frame(request, workspace, context))


@workspace_view(methods=("GET", "HEAD", "POST"))
def viewer_add(request, workspace):
    """GET: the form as a page of its own. POST: invite the viewer through WebWork. htmx gets the
    form back (empty, saying who was added; or with WebWork's refusal on its fields)."""
    form = ViewerAddForm(request.POST if request.method == "POST" else None, auto_id=ADD_ID)
    added = None
    if request.method == "POST" and form.is_valid():
        try:
            added = project_viewer_create(workspace=workspace, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            refusal_on(form, exc, "email")
        else:
            if not wants_partial(request):
                messages.success(
                    request,
                    f"Added {added} as a project viewer; WebWork emailed them an invitation. "
                    "Give them projects below.",
                )
                return redirect(_list_url(workspace))
            form = ViewerAddForm(auto_id=ADD_ID)
    context = {"workspace": workspace, "add_form": form, "added": added}
    if wants_partial(request):
        response = partial_response(request, f"{TEMPLATE}#add-form", context)
        return _changed(response, "viewer-added") if added is not None else response
    context["mode"] = "add"
    return partial_response(request, VIEWER_TEMPLATE, _frame(request, workspace, context))


# --- One viewer -----------------------------------------------------------------------------------


def _row_response(request, workspace, row, **extra):
    context = {"workspace": workspace, "row": row, "mode": "", **extra}
    return partial_response(request, ROW, context)


def _viewer_page(request, workspace, row, *, mode="", form=None, refusal=""):
    context = {
        "workspace": workspace,
        "row": row,
        "mode": mode,
        "assign_form": form,
        "refusal": refusal,
        "visibility_note": VISIBILITY_NOTE,
    }
    return partial_response(request, VIEWER_TEMPLATE, _frame(request, workspace, context))


def _assign_form(workspace, row, data=None):
    offered = viewer_assignable_projects(workspace=workspace, row=row)
    return ViewerProjectForm(data, workspace=workspace, offered=offered, auto_id=f"{row.dom_id}-%s")


@workspace_view
def viewer(request, workspace, viewer_id):
    """One viewer: their row (htmx, e.g. a form's "Cancel") or their own page."""
    row = _row_or_404(workspace, viewer_id)
    if wants_partial(request):
        return _row_response(request, workspace, row)
    return _viewer_page(request, workspace, row, form=_assign_form(workspace, row) if row.is_active else None)


@workspace_view(methods=("GET", "HEAD", "POST"))
def viewer_assign(request, workspace, viewer_id):
    """GET: the row (htmx) or the viewer's page with the form to give a project. POST: give it
    through WebWork; the row comes back with the project (htmx), or the form with WebWork's
    refusal on it."""
    row = _row_or_404(workspace, viewer_id)
    form = _assign_form(workspace, row, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        project = form.cleaned_data["project"]
        try:
            project_viewer_assign(workspace=workspace, actor=request.user, viewer=row.viewer, project=project)
        except ServiceError as exc:
            refusal_on(form, exc, "project")
        else:
            row = _row_or_404(workspace, viewer_id)
            done = f"{row.name} now sees {project.name}."
            if wants_partial(request):
                return _changed(_row_response(request, workspace, row, note=done))
            messages.success(request, done)
            return redirect(_list_url(workspace))
    if wants_partial(request):
        return _row_response(request, workspace, row, mode="assign", assign_form=form)
    return _viewer_page(request, workspace, row, mode="assign", form=form)


@require_workspace_post
def viewer_unassign(request, workspace, viewer_id):
    """POST: take a project from the viewer through WebWork. htmx gets the row back."""
    row = _row_or_404(workspace, viewer_id)
    form = ViewerProjectForm(request.POST, workspace=workspace)
    refusal = note = ""
    if not form.is_valid():
        refusal = " ".join(message for messages_ in form.errors.values() for message in messages_)
    else:
        project = form.cleaned_data["project"]
        try:
            project_viewer_unassign(
                workspace=workspace, actor=request.user, viewer=row.viewer, project=project
            )
        except ServiceError as exc:
            refusal = exc.message
        else:
            note = f"{row.name} no longer sees {project.name}."
    return _answer(request, workspace, viewer_id, note=note, refusal=refusal)


@workspace_view(methods=("GET", "HEAD", "POST"))
def viewer_remove(request, workspace, viewer_id):
    """GET: what removing does, and the button to do it (in the row with htmx, else a page).
    POST: remove (archive) the viewer at WebWork."""
    row = _row_or_404(workspace, viewer_id)
    if request.method != "POST":
        if wants_partial(request):
            return _row_response(request, workspace, row, mode="remove")
        return _viewer_page(request, workspace, row, mode="remove")
    refusal = note = ""
    try:
        project_viewer_remove(workspace=workspace, actor=request.user, viewer=row.viewer)
    except ServiceError as exc:
        refusal = exc.message
    else:
        note = (
            f"Removed {row.name}: they can no longer open WebWork. Their projects are kept "
            "should you restore them."
        )
    return _answer(request, workspace, viewer_id, note=note, refusal=refusal)


@require_workspace_post
def viewer_restore(request, workspace, viewer_id):
    """POST: give a removed viewer their access back at WebWork."""
    row = _row_or_404(workspace, viewer_id)
    refusal = note = ""
    try:
        project_viewer_restore(workspace=workspace, actor=request.user, viewer=row.viewer)
    except ServiceError as exc:
        refusal = exc.message
    else:
        note = f"Restored {row.name}: they see their projects again."
    return _answer(request, workspace, viewer_id, note=note, refusal=refusal)


def _answer(request, workspace, viewer_id, *, note, refusal):
    """After a change (or its refusal): the row as the mirror holds it now (htmx), or back to
    the list with a message."""
    if wants_partial(request):
        response = _row_response(
            request, workspace, _row_or_404(workspace, viewer_id), note=note, refusal=refusal
        )
        return response if refusal else _changed(response)
    return back_with_message(request, _list_url(workspace), done=note, refusal=refusal)
