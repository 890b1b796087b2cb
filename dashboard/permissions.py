"""Tenant scoping: a dashboard URL names its workspace, and only that workspace's managers reach it."""

from functools import wraps

from django.http import Http404, HttpResponseNotAllowed

from integrations.models import Workspace


def workspace_for_request(request, workspace_id):
    """The Workspace with WebWork id `workspace_id`, if `request.user` may manage it; else Http404.

    Every dashboard view under /w/<workspace_id>/ starts with this. A workspace the user cannot
    open answers exactly like one that does not exist, so ids reveal nothing.
    """
    user = request.user
    if not user.is_authenticated:
        raise Http404("No such workspace.")
    try:
        webwork_id = int(workspace_id)
    except (TypeError, ValueError):
        raise Http404("No such workspace.") from None
    workspace = Workspace.objects.filter(
        webwork_id=webwork_id, accesses__user=user, accesses__can_manage=True
    ).first()
    if workspace is None:
        raise Http404("No such workspace.")
    return workspace


def require_workspace_post(view):
    """For a view that only acts on POST: `view(request, workspace)` with the workspace resolved
    by `workspace_for_request`, which runs before the method is checked, so a user who may not
    manage the workspace gets 404 whatever the method, and only its managers learn that it wants
    POST (405)."""

    @wraps(view)
    def wrapper(request, workspace_id):
        workspace = workspace_for_request(request, workspace_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, workspace)

    return wrapper
