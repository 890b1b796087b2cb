"""The sync, as a manager sees it: "Sync now", and the sync health of a workspace."""

from django.contrib import messages
from django.shortcuts import redirect

from dashboard import selectors
from dashboard.frame import page_context
from dashboard.permissions import require_workspace_post, workspace_view
from dashboard.views.overview import partial_response, sync_status_context, sync_status_response
from dashboard.views.pages import framed, wants_partial
from integrations.models import WorkspaceAccess
from integrations.services.workspaces import workspace_connect, workspace_disconnect, workspace_sync_now

# The resources whose freshness Sync health's frame states: what the approval pages and the
# overview rest on.
HEALTH_RESOURCES = ("members", "projects", "timesheets", "time_requests", "leave_requests", "time_entries")


@require_workspace_post
def sync_now(request, workspace):
    """POST: queue a sync of the workspace, or say politely why not (one runs or waits already).

    htmx gets the refreshed sync card with the answer in it; a plain form post is redirected to the
    workspace home, where the answer is shown as a message.
    """
    answer = workspace_sync_now(workspace=workspace)
    level = "success" if answer.queued else "warning"
    if request.htmx:
        context = sync_status_context(workspace, sync_message=answer.message, sync_message_level=level)
        return sync_status_response(request, context)
    messages.add_message(request, messages.SUCCESS if answer.queued else messages.WARNING, answer.message)
    return redirect("dashboard:workspace", workspace_id=workspace.webwork_id)


@workspace_view
def sync_health(request, workspace):
    """The sync under way (step by step), what is not synced yet, per resource its last run,
    every run (paginated), the webhook deliveries of the last 24 hours and the WebWork sign-in
    the syncs use. htmx (the runs' pagination) gets the runs partial only."""
    health = selectors.sync_health_for_workspace(workspace=workspace, page=request.GET.get("page") or 1)
    context = {
        "workspace": workspace,
        "health": health,
        "overview": selectors.sync_overview_for_workspace(workspace=workspace),
        "delivery_window_hours": int(selectors.DELIVERY_WINDOW.total_seconds() // 3600),
    }
    if wants_partial(request):
        return partial_response(request, "dashboard/sync/health.html#sync-runs", context)
    framed(request, workspace, context, section="sync", resources=HEALTH_RESOURCES)
    return partial_response(request, "dashboard/sync/health.html", context)


@workspace_view(methods=("GET", "HEAD", "POST"))
def workspace_disconnect_view(request, workspace):
    """GET: what disconnecting does, and a button to confirm. POST: stop syncing the workspace
    (its webhook is removed at WebWork; the mirror is kept)."""
    if request.method != "POST":
        context = page_context(request, workspace, section="sync", resources=HEALTH_RESOURCES)
        return partial_response(request, "dashboard/sync/disconnect.html", context)
    workspace_disconnect(workspace=workspace, actor=request.user)
    messages.success(
        request,
        f"{workspace} is disconnected: Clockroom no longer syncs it or receives its webhooks. "
        "What was mirrored stays; connect it again any time.",
    )
    return redirect("dashboard:sync_health", workspace_id=workspace.webwork_id)


@require_workspace_post
def workspace_connect_view(request, workspace):
    """POST: connect the workspace again through the signed-in manager's WebWork sign-in."""
    access = WorkspaceAccess.objects.select_related("connection").get(user=request.user, workspace=workspace)
    if access.connection.needs_sign_in:
        messages.warning(request, "Your WebWork sign-in needs renewing first: sign in with WebWork again.")
    else:
        workspace_connect(workspace=workspace, connection=access.connection)
        messages.success(request, f"{workspace} is connected again; a sync starts in a moment.")
    return redirect("dashboard:sync_health", workspace_id=workspace.webwork_id)
