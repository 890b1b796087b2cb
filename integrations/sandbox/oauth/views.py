"""The sandbox's OAuth2 endpoints: the sign-in and consent page, and the token endpoint."""

import base64
import binascii
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..models import OAuthApplication
from .forms import SignInForm
from .services import (
    PKCE_METHOD,
    OAuthRefusal,
    authorization_code_exchange,
    authorization_code_issue,
    client_credentials_grant,
    oauth_application_authenticate,
    pkce_challenge_valid,
    refresh_token_rotate,
    scope_parse,
)

TEMPLATE = "sandbox/oauth/authorize.html"
AUTHORIZE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
SCOPE_DESCRIPTIONS = {
    "read": "See your workspaces, members, projects, contracts, time and reports.",
    "write": "Create and change projects, tasks, contracts, time and approvals.",
    "admin": "Manage your workspaces' settings, members and webhooks.",
}


# --- Authorization endpoint ----------------------------------------------------------


class AuthorizationPageError(Exception):
    """The client or its redirect URI cannot be trusted: show an error page, never redirect."""


class AuthorizationRedirectError(Exception):
    """An error the client should hear about: redirect to its redirect URI (RFC 6749 §4.1.2.1)."""

    def __init__(self, redirect_uri, state, error, description):
        super().__init__(description)
        self.redirect_uri = redirect_uri
        self.state = state
        self.error = error
        self.description = description


@dataclass(frozen=True)
class AuthorizationRequest:
    application: OAuthApplication
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str
    code_challenge_method: str
    params: tuple  # the request's own parameters, carried through the sign-in form


@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request):
    """GET: the sign-in and consent page. POST: the user's answer (Allow or Deny)."""
    params = request.POST if request.method == "POST" else request.GET
    try:
        auth = authorization_request_parse(params)
    except AuthorizationPageError as exc:
        return render(request, TEMPLATE, {"page_error": str(exc)}, status=400)
    except AuthorizationRedirectError as exc:
        return _redirect(
            exc.redirect_uri, error=exc.error, error_description=exc.description, state=exc.state
        )

    if request.method == "GET":
        return _consent_page(request, auth, SignInForm())
    decision = request.POST.get("decision")
    if decision == "deny":
        return _redirect(
            auth.redirect_uri,
            error="access_denied",
            error_description="The user denied the request.",
            state=auth.state,
        )
    form = SignInForm(request.POST)
    if decision != "allow":
        form.is_valid()
        form.add_error(None, "Choose Allow or Deny.")
        return _consent_page(request, auth, form)
    if not form.is_valid():
        return _consent_page(request, auth, form)
    code = authorization_code_issue(
        application=auth.application,
        user=form.user,
        redirect_uri=auth.redirect_uri,
        scope=auth.scope,
        code_challenge=auth.code_challenge,
        code_challenge_method=auth.code_challenge_method,
    )
    return _redirect(auth.redirect_uri, code=code, state=auth.state)


def authorization_request_parse(params):
    """Check an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3) in the order §4.1.2.1 asks:
    the client and its redirect URI first (error page), then the rest (redirect with an error)."""
    for name in ("client_id", "redirect_uri"):
        if len(params.getlist(name)) > 1:
            raise AuthorizationPageError(f"The {name} parameter is repeated.")
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if not client_id:
        raise AuthorizationPageError("The client_id parameter is missing.")
    application = OAuthApplication.objects.filter(client_id=client_id).first()
    if application is None:
        raise AuthorizationPageError("No app has this client_id.")
    if not redirect_uri:
        raise AuthorizationPageError("The redirect_uri parameter is missing.")
    if redirect_uri != application.redirect_uri:
        raise AuthorizationPageError("The redirect_uri does not match the one registered for this app.")

    state = params.get("state")

    def fail(error, description):
        raise AuthorizationRedirectError(redirect_uri, state, error, description)

    repeated = [name for name in AUTHORIZE_PARAMS if len(params.getlist(name)) > 1]
    if repeated:
        fail("invalid_request", f"Repeated parameter: {', '.join(repeated)}.")
    response_type = params.get("response_type", "")
    if not response_type:
        fail("invalid_request", "The response_type parameter is required (response_type=code).")
    if response_type != "code":
        fail("unsupported_response_type", "Only response_type=code is supported.")
    if application.grant_type != OAuthApplication.GrantType.AUTHORIZATION_CODE:
        fail("unauthorized_client", "This app is registered for the client_credentials grant only.")
    try:
        scope = scope_parse(params.get("scope"))
    except OAuthRefusal as exc:
        fail(exc.error, exc.description)
    challenge = params.get("code_challenge", "")
    method = params.get("code_challenge_method", "")
    if challenge or method:
        if not challenge:
            fail("invalid_request", "code_challenge_method was sent without a code_challenge.")
        if method != PKCE_METHOD:
            fail("invalid_request", "Only code_challenge_method=S256 is supported (PKCE).")
        if not pkce_challenge_valid(challenge):
            fail("invalid_request", "The code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~].")
    carried = tuple((name, params[name]) for name in AUTHORIZE_PARAMS if params.get(name))
    return AuthorizationRequest(application, redirect_uri, scope, state, challenge, method, carried)


def _consent_page(request, auth, form):
    origin = _origin(auth.redirect_uri)
    context = {
        "application": auth.application,
        "scopes": [{"name": name, "description": SCOPE_DESCRIPTIONS[name]} for name in auth.scope.split()],
        "form": form,
        "oauth_params": auth.params,
        "redirect_origin": origin,
    }
    response = render(request, TEMPLATE, context)
    # The answer redirects to the app: browsers hold form redirects to the form-action policy.
    response._csp_update = {"form-action": [origin]}
    return response


def _origin(uri):
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def _redirect(redirect_uri, **params):
    """`redirect_uri` with `params` added to its query (its own query is kept, RFC 6749 §3.1.2)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in params.items() if value is not None]
    return HttpResponseRedirect(urlunsplit(parts._replace(query=urlencode(query))))


# --- Token endpoint ---------------------------------------------------------------------------

GRANTS = {
    "authorization_code": lambda application, params: authorization_code_exchange(
        application=application,
        code=params.get("code"),
        redirect_uri=params.get("redirect_uri"),
        code_verifier=params.get("code_verifier"),
    ),
    "refresh_token": lambda application, params: refresh_token_rotate(
        application=application, refresh_token=params.get("refresh_token"), scope=params.get("scope")
    ),
    "client_credentials": lambda application, params: client_credentials_grant(
        application=application, scope=params.get("scope")
    ),
}
CLIENT_REALM = 'Basic realm="WebWork sandbox"'


@csrf_exempt
def token(request):
    """The token endpoint (RFC 6749 §3.2): form-encoded (or JSON) POST, client authenticated."""
    if request.method != "POST":
        response = _token_json(
            {"error": "invalid_request", "error_description": "Send the token request with POST."}, 405
        )
        response["Allow"] = "POST"
        return response
    try:
        params = _token_params(request)
        application = _client_authenticate(request, params)
        grant_type = params.get("grant_type")
        if not grant_type:
            raise OAuthRefusal("invalid_request", "The grant_type parameter is required.")
        if grant_type not in GRANTS:
            raise OAuthRefusal(
                "unsupported_grant_type",
                f"Unsupported grant_type {grant_type!r}; use {', '.join(GRANTS)}.",
            )
        grant = GRANTS[grant_type](application, params)
    except OAuthRefusal as exc:
        response = _token_json({"error": exc.error, "error_description": exc.description}, exc.status)
        if exc.error == "invalid_client":
            response["WWW-Authenticate"] = CLIENT_REALM
        return response
    return _token_json(grant.as_json(), 200)


def _token_json(body, status):
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _token_params(request):
    """The request's parameters as {name: str}: form-encoded (RFC 6749) or a JSON object."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise OAuthRefusal("invalid_request", "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise OAuthRefusal("invalid_request", "The request body must be a JSON object.")
        wrong = sorted(
            name for name, value in body.items() if value is not None and not isinstance(value, str)
        )
        if wrong:
            raise OAuthRefusal("invalid_request", f"These parameters must be strings: {', '.join(wrong)}.")
        return {name: value for name, value in body.items() if value is not None}
    if request.content_type == "application/x-www-form-urlencoded" or not request.body:
        repeated = sorted(name for name, values in request.POST.lists() if len(values) > 1)
        if repeated:
            raise OAuthRefusal("invalid_request", f"Repeated parameter: {', '.join(repeated)}.")
        return request.POST.dict()
    raise OAuthRefusal(
        "invalid_request", "Send the parameters form-encoded (application/x-www-form-urlencoded) or as JSON."
    )


def _client_authenticate(request, params):
    """HTTP Basic (RFC 6749 §2.3.1) or client_id and client_secret in the body; never both."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return oauth_application_authenticate(
            client_id=params.get("client_id"), client_secret=params.get("client_secret")
        )
    if "client_secret" in params:
        raise OAuthRefusal(
            "invalid_request", "Authenticate the client with HTTP Basic or the body, not both."
        )
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise OAuthRefusal("invalid_client", "The HTTP Basic credentials are malformed.", status=401)
    client_id, client_secret = unquote_plus(client_id), unquote_plus(client_secret)
    if params.get("client_id") not in (None, client_id):
        raise OAuthRefusal("invalid_request", "The client_id in the body differs from the HTTP Basic one.")
    return oauth_application_authenticate(client_id=client_id, client_secret=client_secret)
