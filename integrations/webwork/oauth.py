"""Signing in with WebWork: the OAuth2 authorization code flow (RFC 6749) with PKCE (RFC 7636, S256).

requests-oauthlib builds the authorization URL and speaks to the token endpoint. Settings are
read when a flow starts, never at import time: `WEBWORK_OAUTH_CLIENT_ID` / `_SECRET`,
`WEBWORK_OAUTH_AUTHORIZE_URL`, `WEBWORK_OAUTH_TOKEN_URL`, and `WEBWORK_PUBLIC_BASE_URL` for the
redirect URI (`<base>/auth/webwork/callback/`, registered with WebWork exactly so).

Failures are raised as `OAuthError` (the OAuth2 `error` code and words for people);
`OAuthGrantError` means the code or refresh token is expired, spent or revoked, so the user has to
sign in again.
"""

import ipaddress
import logging
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from requests_oauthlib import OAuth2Session

logger = logging.getLogger(__name__)

SCOPE = ("read", "write")
CALLBACK_PATH = "/auth/webwork/callback/"
PKCE_METHOD = "S256"
PKCE_VERIFIER_LENGTH = 64
# (connect, read) seconds for the token endpoint.
TIMEOUT = (5.0, 20.0)


class OAuthError(Exception):
    """The sign-in or a token refresh failed. `message` is fit to show a manager."""

    def __init__(self, message, *, error="server_error", description=""):
        super().__init__(message)
        self.message = message
        self.error = error
        self.description = description

    def __str__(self):
        detail = f" ({self.error}: {self.description})" if self.description else f" ({self.error})"
        return self.message + detail


class OAuthNotConfiguredError(OAuthError):
    """Clockroom has no OAuth2 app (client id and secret) for WebWork."""


class OAuthGrantError(OAuthError):
    """invalid_grant: the code or refresh token is expired, already used or revoked."""


@dataclass(frozen=True)
class OAuthConfig:
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    redirect_uri: str

    @classmethod
    def from_settings(cls):
        client_id = settings.WEBWORK_OAUTH_CLIENT_ID
        if not client_id:
            raise OAuthNotConfiguredError(
                "Sign-in with WebWork is not set up: WEBWORK_OAUTH_CLIENT_ID is empty. Register an OAuth2 "
                "app in WebWork (Settings > REST API > OAuth2 Apps) with the redirect URI "
                f"{callback_url()} and set WEBWORK_OAUTH_CLIENT_ID and WEBWORK_OAUTH_CLIENT_SECRET "
                "(`make demo` does this for the sandbox).",
                error="not_configured",
            )
        config = cls(
            client_id=client_id,
            client_secret=settings.WEBWORK_OAUTH_CLIENT_SECRET,
            authorize_url=settings.WEBWORK_OAUTH_AUTHORIZE_URL,
            token_url=settings.WEBWORK_OAUTH_TOKEN_URL,
            redirect_uri=callback_url(),
        )
        for url in (config.authorize_url, config.token_url):
            _transport_check(url)
        return config


@dataclass(frozen=True)
class AuthorizationStart:
    """Where to send the user, and what to keep in their session until they come back."""

    url: str
    state: str
    code_verifier: str


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint granted. `refresh_token` is None when none was issued."""

    access_token: str
    refresh_token: str | None
    expires_in: int | None
    scope: str


def callback_url():
    return settings.WEBWORK_PUBLIC_BASE_URL.rstrip("/") + CALLBACK_PATH


def authorization_start(*, config=None) -> AuthorizationStart:
    """The authorization URL with a fresh `state` and PKCE challenge."""
    config = config or OAuthConfig.from_settings()
    pkce = WebApplicationClient(config.client_id)
    verifier = pkce.create_code_verifier(PKCE_VERIFIER_LENGTH)
    challenge = pkce.create_code_challenge(verifier, PKCE_METHOD)
    session = OAuth2Session(config.client_id, redirect_uri=config.redirect_uri, scope=list(SCOPE))
    url, state = session.authorization_url(
        config.authorize_url, code_challenge=challenge, code_challenge_method=PKCE_METHOD
    )
    return AuthorizationStart(url=url, state=state, code_verifier=verifier)


def token_exchange(*, code, code_verifier, config=None) -> TokenSet:
    """Exchange the code from the callback for tokens."""
    config = config or OAuthConfig.from_settings()
    # No scope on this session: WebWork may grant another scope than asked, and that is no error.
    session = OAuth2Session(config.client_id, redirect_uri=config.redirect_uri)
    with session:
        token = _token_call(
            lambda: session.fetch_token(
                config.token_url,
                code=code,
                code_verifier=code_verifier,
                include_client_id=True,
                client_secret=config.client_secret,
                timeout=TIMEOUT,
            ),
            "The sign-in could not be completed",
        )
    return _token_set(token)


def token_refresh(*, refresh_token, config=None) -> TokenSet:
    """A new token pair for `refresh_token` (WebWork rotates it: the old one stops working)."""
    config = config or OAuthConfig.from_settings()
    session = OAuth2Session(config.client_id)
    with session:
        token = _token_call(
            lambda: session.refresh_token(
                config.token_url,
                refresh_token=refresh_token,
                client_id=config.client_id,
                client_secret=config.client_secret,
                timeout=TIMEOUT,
            ),
            "WebWork did not renew the sign-in",
        )
    return _token_set(token)


def _token_call(call, failure):
    try:
        return call()
    except OAuth2Error as exc:
        error = exc.error or "server_error"
        description = exc.description or ""
        if error == "invalid_grant":
            raise OAuthGrantError(
                f"{failure}: the authorization has expired or was already used. Please sign in again.",
                error=error,
                description=description,
            ) from exc
        if error == "invalid_client":
            raise OAuthError(
                f"{failure}: WebWork does not accept Clockroom's client id and secret "
                "(WEBWORK_OAUTH_CLIENT_ID / WEBWORK_OAUTH_CLIENT_SECRET).",
                error=error,
                description=description,
            ) from exc
        raise OAuthError(f"{failure}: {description or error}.", error=error, description=description) from exc
    except requests.RequestException as exc:
        raise OAuthError(
            f"{failure}: WebWork did not answer ({type(exc).__name__}).", error="temporarily_unavailable"
        ) from exc
    except ValueError as exc:  # an answer that is not a token response at all
        raise OAuthError(
            f"{failure}: WebWork answered with something that is not a token.", error="server_error"
        ) from exc


def _token_set(token) -> TokenSet:
    access_token = token.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise OAuthError("WebWork answered without an access token.", error="server_error")
    refresh_token = token.get("refresh_token")
    try:
        expires_in = int(token["expires_in"]) if token.get("expires_in") not in (None, "") else None
    except (TypeError, ValueError):
        expires_in = None
    scope = token.get("scope")
    if isinstance(scope, list | tuple):
        scope = " ".join(scope)
    return TokenSet(
        access_token=access_token,
        refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
        expires_in=expires_in,
        scope=str(scope or " ".join(SCOPE)),
    )


def _transport_check(url):
    """OAuth2 needs TLS. Plain HTTP is allowed for this machine (the embedded sandbox) and in DEBUG."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and (_is_loopback(parts.hostname) or settings.DEBUG):
        # oauthlib refuses http:// unless told otherwise; only these URLs come from our settings.
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
        return
    raise OAuthNotConfiguredError(
        f"The WebWork OAuth2 URL {url!r} must use https:// (plain http:// only on this machine).",
        error="not_configured",
    )


def _is_loopback(host):
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
