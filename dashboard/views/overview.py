"""The front door: a landing page to sign in, the manager's workspaces, and each workspace's home."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from dashboard import selectors
from dashboard.permissions import workspace_for_request


@require_GET
def home(request):
    """Signed out: the landing page. Signed in: the workspaces WebWork lets this user open."""
    if not request.user.is_authenticated:
        return render(request, "dashboard/overview/landing.html")
    accesses = selectors.workspace_accesses_for_user(request.user)
    context = {
        "manageable": [access for access in accesses if access.can_manage],
        "others": [access for access in accesses if not access.can_manage],
        "reconnect": selectors.connections_needing_sign_in_for_user(request.user),
    }
    return render(request, "dashboard/overview/home.html", context)


@require_GET
def workspace_home(request, workspace_id):
    """One workspace: the progress of its sync, what the mirror holds, and "Sync now".

    While a sync runs (or waits for a worker) the sync card asks for itself again every 2 s: an
    htmx request gets only that partial.
    """
    workspace = workspace_for_request(request, workspace_id)
    context = sync_status_context(workspace)
    if request.htmx and not request.htmx.history_restore_request:
        return partial_response(request, "dashboard/overview/workspace.html#sync-status", context)
    # Only the whole page shows whose sign-in the syncs use; the card polled every 2 s does not.
    connection = selectors.sync_connection_for_workspace(workspace=workspace)
    context.update(
        sync_connection=connection,
        reconnect=selectors.connections_needing_sign_in_for_user(request.user),
        sync_banner=connection.needs_attention_of_others(request.user),
    )
    return partial_response(request, "dashboard/overview/workspace.html", context)


def sync_status_context(workspace, *, sync_message="", sync_message_level="info"):
    """What the sync card of the workspace home shows (also the answer of "Sync now")."""
    return {
        "workspace": workspace,
        "overview": selectors.sync_overview_for_workspace(workspace=workspace),
        "counts": selectors.mirror_counts_for_workspace(workspace=workspace),
        "sync_message": sync_message,
        "sync_message_level": sync_message_level,
    }


def partial_response(request, template_name, context):
    """Render a page or one of its partials; the answer differs for htmx, so say so to caches."""
    response = render(request, template_name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
