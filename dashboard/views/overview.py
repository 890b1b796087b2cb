"""The front door: a landing page to sign in, the manager's workspaces, and each workspace's overview."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from dashboard import selectors
from dashboard.permissions import workspace_view
from dashboard.selectors.overview import home_workspaces_for_user, overview_for_workspace
from dashboard.views.pages import framed, wants_partial

# What the overview shows, for its freshness line.
OVERVIEW_RESOURCES = ("running_trackers", "time_entries", "timesheets", "time_requests", "leave_requests")


@require_GET
def home(request):
    """Signed out: the landing page. Signed in: every workspace WebWork lets this user open, with
    what waits in each and who is working now. htmx (the list refreshing itself) gets the list."""
    if not request.user.is_authenticated:
        return render(request, "dashboard/overview/landing.html")
    accesses = home_workspaces_for_user(request.user)
    context = {
        "manageable": [access for access in accesses if access.can_manage],
        "others": [access for access in accesses if not access.can_manage],
    }
    context["first_syncs"] = any(_first_sync_running(access.workspace) for access in context["manageable"])
    if wants_partial(request):
        return partial_response(request, "dashboard/overview/home.html#workspace-list", context)
    context["reconnect"] = selectors.connections_needing_sign_in_for_user(request.user)
    return partial_response(request, "dashboard/overview/home.html", context)


def _first_sync_running(workspace):
    state = getattr(workspace, "sync_state", None)
    return workspace.is_connected and (state is None or state.first_sync_done_at is None)


# The overview's parts that refresh by themselves; each is a named partial of the page.
OVERVIEW_PARTS = {"figures", "working-now", "sync-status"}


@workspace_view
def workspace_home(request, workspace):
    """A workspace's overview: what waits for a decision, who is working now, hours today and this
    week, contracts near their weekly limit, leaves ahead, and the sync.

    Its parts refresh by themselves: an htmx request names the part in `?part=` (the sync card
    is the default, as it always was) and gets only that partial.
    """
    if wants_partial(request):
        part = request.GET.get("part", "sync-status")
        if part not in OVERVIEW_PARTS:
            part = "sync-status"
        if part == "sync-status":
            return sync_status_response(request, sync_status_context(workspace))
        context = {"workspace": workspace, "overview": overview_for_workspace(workspace=workspace)}
        return partial_response(request, f"dashboard/overview/workspace.html#{part}", context)
    context = framed(
        request, workspace, sync_status_context(workspace), section="overview", resources=OVERVIEW_RESOURCES
    )
    connection = selectors.sync_connection_for_workspace(workspace=workspace)
    context.update(
        overview=overview_for_workspace(workspace=workspace),
        sync_connection=connection,
        sync_banner=connection.needs_attention_of_others(request.user),
    )
    return partial_response(request, "dashboard/overview/workspace.html", context)


def sync_status_context(workspace, *, sync_message="", sync_message_level="info"):
    """What the sync card of the overview shows (also the answer of "Sync now")."""
    return {
        "workspace": workspace,
        "sync": selectors.sync_overview_for_workspace(workspace=workspace),
        "sync_message": sync_message,
        "sync_message_level": sync_message_level,
    }


def sync_status_response(request, context):
    """The sync card. When it no longer shows a sync under way, the page's other parts are told
    the mirror changed (`mirror-changed`), so counts and freshness follow the sync's end."""
    response = partial_response(request, "dashboard/overview/workspace.html#sync-status", context)
    if not context["sync"].active:
        response["HX-Trigger"] = "mirror-changed"
    return response


def partial_response(request, template_name, context):
    """Render a page or one of its partials; the answer differs for htmx, so say so to caches."""
    response = render(request, template_name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
