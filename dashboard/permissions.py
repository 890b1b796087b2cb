"""Tenant scoping: a dashboard URL names its workspace, and only that workspace's managers reach it."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from config.logs import log_workspace_set
from integrations.models import Workspace


def workspace_for_request(request, workspace_id):
    """The Workspace with WebWork id `workspace_id`, if `request.user` may manage it; else Http404.

    A workspace the user cannot open answers exactly like one that does not exist, so ids reveal
    nothing. The workspace comes with its sync connection (the frame's freshness reads it).
    """
    user = request.user
    if not user.is_authenticated:
        raise Http404("No such workspace.")
    try:
        webwork_id = int(workspace_id)
    except (TypeError, ValueError):
        raise Http404("No such workspace.") from None
    workspace = (
        Workspace.objects.filter(webwork_id=webwork_id, accesses__user=user, accesses__can_manage=True)
        .select_related("sync_connection")
        .first()
    )
    if workspace is None:
        raise Http404("No such workspace.")
    log_workspace_set(workspace)  # the request's log lines name it from here on
    return workspace


def sign_in_first(request):
    """A signed-out visitor of a workspace page goes to sign in and comes back to the page.

    An htmx request (a panel polling after the session ended) cannot follow a redirect through
    WebWork's sign-in, so the browser is sent there whole (HX-Redirect) and comes back to the
    page it showed.
    """
    if request.htmx:
        back = request.htmx.current_url_abs_path or "/"
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{reverse('dashboard:webwork_login')}?{urlencode({'next': back})}"
        return response
    return redirect_to_login(request.get_full_path())


def workspace_view(view=None, *, methods=("GET", "HEAD")):
    """A view of one workspace: `view(request, workspace)`.

    Signed out: to sign-in and back. Signed in: the workspace if the user manages it, else 404
    (before the method is checked, so only its managers learn which methods a URL takes); then
    405 for a method not in `methods`. The view runs in the workspace's time zone, so every
    time it renders reads as the workspace's managers expect.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, workspace_id, *args, **kwargs):
            if not request.user.is_authenticated:
                if request.method in ("GET", "HEAD"):
                    return sign_in_first(request)
                raise Http404("No such workspace.")
            workspace = workspace_for_request(request, workspace_id)
            if request.method not in methods:
                return HttpResponseNotAllowed(list(methods))
            # Every time on a workspace's pages reads in the workspace's time zone.
            with timezone.override(workspace.zone):
                return view(request, workspace, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def require_workspace_post(view):
    """For a view that only acts on POST: `view(request, workspace)` (see `workspace_view`)."""
    return workspace_view(view, methods=("POST",))
