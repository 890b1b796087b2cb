"""Workspaces: GET /workspaces."""

from ..models import Membership
from .base import Response, iso_micro, paginate, route


def serialize_workspace(membership):
    workspace = membership.workspace
    return {
        "id": workspace.id,
        "owner_id": workspace.owner_id,
        "user_id": membership.user_id,
        "workspace_name": workspace.name,
        "role": membership.role,
        "status": membership.status,
        "created_at": iso_micro(workspace.created_at),
        # WebWork answers this one without the ISO 'T'.
        "activated_at": workspace.activated_at.strftime("%Y-%m-%d %H:%M:%S")
        if workspace.activated_at
        else None,
    }


def workspace_list(request):
    """Every active workspace the caller belongs to, whatever their role there."""
    memberships = (
        Membership.objects.select_related("workspace")
        .filter(user=request.api_user, deleted_at__isnull=True, workspace__status="active")
        .order_by("workspace_id")
    )
    items, pagination = paginate(request, memberships)
    return Response([serialize_workspace(m) for m in items], pagination=pagination)


urlpatterns = [
    route("workspaces", "workspaces", GET=workspace_list),
]
