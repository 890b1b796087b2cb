"""Signing in with WebWork (OAuth2 authorization code flow with PKCE) and signing out."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from dashboard.views.pages import next_or
from integrations.services.sign_in import SignInError, SignInUnavailable, sign_in_complete, sign_in_start

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
NO_CODE = "WebWork sent you back without a sign-in code. Please sign in again."


@never_cache
@require_GET
def webwork_login(request):
    """Send the manager to WebWork's consent page, remembering state and PKCE verifier."""
    try:
        start = sign_in_start()
    except SignInUnavailable as exc:
        return render(request, "dashboard/auth/not_configured.html", {"problem": exc.message}, status=503)
    next_url = next_or(request, "")
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
        signed_in = sign_in_complete(code=code, code_verifier=pending.get("code_verifier", ""))
    except SignInError as exc:
        return _sign_in_failed(request, exc.message)

    login(request, signed_in.user, backend=AUTH_BACKEND)
    messages.success(request, f"Signed in with WebWork as {signed_in.who}.")
    if signed_in.problem:
        messages.warning(request, signed_in.problem)
    elif signed_in.connected:
        names = ", ".join(workspace.name for workspace in signed_in.connected)
        messages.info(
            request,
            f"Connected {names}: the first sync starts by itself, and each workspace's page shows it.",
        )
    return redirect(pending.get("next") or "dashboard:home")


@require_POST
def sign_out(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("dashboard:home")


def _sign_in_failed(request, message, *, level=messages.ERROR):
    messages.add_message(request, level, message)
    return redirect("dashboard:home")
