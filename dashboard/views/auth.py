"""Signing in with WebWork (OAuth2 authorization code flow with PKCE) and signing out."""

import logging

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from integrations.connections import NoWorkspaceError, connection_from_oauth_code, connection_sign_in_start
from integrations.webwork.errors import WebWorkError
from integrations.webwork.oauth import OAuthError, OAuthGrantError, OAuthNotConfiguredError
from integrations.workspaces import connection_workspaces_connect

logger = logging.getLogger(__name__)

# What the sign-in keeps in the session between leaving for WebWork and coming back.
SESSION_KEY = "webwork_oauth"
AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"

STATE_MISMATCH = (
    "The sign-in could not be verified: it was started in another browser or tab, or it took too long. "
    "Please sign in again."
)
DECLINED = (
    "You declined to let Clockroom use your WebWork account, so you are not signed in. "
    "Sign in again whenever you are ready."
)
CODE_SPENT = "This sign-in has expired or was already used. Please sign in again."
NO_CODE = "WebWork sent you back without a sign-in code. Please sign in again."


@never_cache
@require_GET
def webwork_login(request):
    """Send the manager to WebWork's consent page, remembering state and PKCE verifier."""
    try:
        start = connection_sign_in_start()
    except OAuthNotConfiguredError as exc:
        return render(request, "dashboard/auth/not_configured.html", {"problem": exc.message}, status=503)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    request.session[SESSION_KEY] = {
        "state": start.state,
        "code_verifier": start.code_verifier,
        "next": next_url,
    }
    return HttpResponseRedirect(start.url)


@never_cache
@require_GET
def webwork_callback(request):
    """WebWork sends the manager back here with a code (or an error) and our state."""
    pending = request.session.pop(SESSION_KEY, None)
    state = request.GET.get("state", "")
    if (
        not isinstance(pending, dict)
        or not state
        or not constant_time_compare(state, str(pending.get("state", "")))
    ):
        return _sign_in_failed(request, STATE_MISMATCH)
    error = request.GET.get("error", "")
    if error == "access_denied":
        return _sign_in_failed(request, DECLINED, level=messages.WARNING)
    if error:
        description = request.GET.get("error_description", "")[:200] or error[:60]
        return _sign_in_failed(request, f"WebWork could not sign you in: {description}")
    code = request.GET.get("code", "")
    if not code:
        return _sign_in_failed(request, NO_CODE)

    try:
        connection = connection_from_oauth_code(code=code, code_verifier=pending.get("code_verifier", ""))
    except OAuthGrantError:
        return _sign_in_failed(request, CODE_SPENT)
    except OAuthError as exc:
        logger.warning("WebWork sign-in failed: %s", exc)
        return _sign_in_failed(request, exc.message)
    except NoWorkspaceError as exc:
        return _sign_in_failed(request, exc.message)
    except WebWorkError as exc:
        logger.warning("WebWork sign-in could not read the account: %s", exc)
        return _sign_in_failed(
            request,
            f"You signed in to WebWork, but Clockroom could not read your workspaces ({exc.message}). "
            "Please try again in a minute.",
        )

    login(request, connection.user, backend=AUTH_BACKEND)
    messages.success(request, f"Signed in with WebWork as {connection.email or connection.user.username}.")
    _workspaces_connect(request, connection)
    return redirect(pending.get("next") or "dashboard:home")


def _workspaces_connect(request, connection):
    """Connect the workspaces this manager may manage that are not connected yet: their first sync
    starts by itself. The sign-in stands even if this fails; the next sign-in tries again."""
    try:
        connected = connection_workspaces_connect(connection=connection)
    except Exception:
        logger.exception("Could not connect the workspaces of WebWork user %s", connection.webwork_user_id)
        messages.warning(
            request,
            "You are signed in, but Clockroom could not start syncing your workspaces. "
            "Sign in again in a minute to retry.",
        )
        return
    if connected:
        names = ", ".join(workspace.name for workspace in connected)
        messages.info(
            request,
            f"Connected {names}: the first sync starts by itself, and each workspace's page shows it.",
        )


@require_POST
def sign_out(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("dashboard:home")


def _sign_in_failed(request, message, *, level=messages.ERROR):
    messages.add_message(request, level, message)
    return redirect("dashboard:home")
