"""The front door: a landing page to sign in, the manager's workspaces, and each workspace's home."""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard.permissions import workspace_for_request
from integrations.models import Connection, Member, Project, SyncRun, WorkspaceAccess


@require_GET
def home(request):
    """Signed out: the landing page. Signed in: the workspaces WebWork lets this user open."""
    if not request.user.is_authenticated:
        return render(request, "dashboard/overview/landing.html")
    accesses = list(
        WorkspaceAccess.objects.filter(user=request.user)
        .select_related("workspace")
        .annotate(
            member_count=_current_count(Member, OuterRef("workspace")),
            project_count=_current_count(Project, OuterRef("workspace")),
        )
        .order_by("workspace__name", "workspace__webwork_id")
    )
    context = {
        "manageable": [access for access in accesses if access.can_manage],
        "others": [access for access in accesses if not access.can_manage],
        "reconnect": _connections_needing_sign_in(request.user),
    }
    return render(request, "dashboard/overview/home.html", context)


@require_GET
def workspace_home(request, workspace_id):
    """One workspace: what the mirror holds, and the last sync of each resource."""
    workspace = workspace_for_request(request, workspace_id)
    latest_per_resource = SyncRun.objects.filter(workspace=workspace, resource=OuterRef("resource")).order_by(
        "-started_at", "-pk"
    )
    context = {
        "workspace": workspace,
        "member_count": Member.objects.current().filter(workspace=workspace).count(),
        "project_count": Project.objects.current().filter(workspace=workspace).count(),
        "sync_runs": SyncRun.objects.filter(
            workspace=workspace, pk=Subquery(latest_per_resource.values("pk")[:1])
        ).order_by("resource"),
        "reconnect": _connections_needing_sign_in(request.user),
    }
    return render(request, "dashboard/overview/workspace.html", context)


def _current_count(model, workspace):
    """The number of `model` rows WebWork still lists for `workspace`, as a subquery."""
    counted = (
        model.objects.current()
        .filter(workspace=workspace)
        .order_by()
        .values("workspace")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _connections_needing_sign_in(user):
    return list(
        Connection.objects.filter(user=user, status=Connection.Status.NEEDS_SIGN_IN).only(
            "pk", "email", "kind", "status", "last_error", "webwork_user_id"
        )
    )
