"""The sandbox's OAuth2 authorization server: apps, authorization codes and the token grants.

Follows RFC 6749 (authorization code, refresh token and client credentials grants) and
RFC 7636 (PKCE, S256 only). Codes, tokens and client secrets are random and stored only
as SHA-256 digests; the raw values are returned once, to the caller that asked for them.
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import AccessToken, AuthorizationCode, OAuthApplication, RefreshToken, SandboxUser
from ..models.oauth import Scope, digest, new_secret
from ..tokens import access_token_issue

# An authorization code is exchanged right after the redirect; a minute is plenty.
AUTHORIZATION_CODE_SECONDS = 60
# The scope granted when a client names none.
DEFAULT_SCOPE = "read write"
SCOPES = tuple(Scope.values)  # read, write, admin: the canonical order
PKCE_METHOD = "S256"
_PKCE_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Compared against when the client id is unknown, so both failures take the same time.
_UNKNOWN_CLIENT_DIGEST = digest("unknown client")


class OAuthRefusal(Exception):
    """An OAuth2 error (RFC 6749 §4.1.2.1 and §5.2): an `error` code and a description for people."""

    def __init__(self, error, description, *, status=400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint answers: the raw tokens, shown once."""

    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None

    def as_json(self):
        body = {"token_type": "Bearer", "expires_in": self.expires_in, "access_token": self.access_token}
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        body["scope"] = self.scope
        return body


# --- Scopes, redirect URIs, PKCE ---------------------------------------------------


def scope_parse(raw, *, default=DEFAULT_SCOPE):
    """A space-separated scope in canonical order ("read write admin"); `default` when empty."""
    requested = set((raw or "").split())
    if not requested:
        return default
    unknown = sorted(requested - set(SCOPES))
    if unknown:
        raise OAuthRefusal(
            "invalid_scope",
            f"Unknown scope {', '.join(unknown)}; the sandbox knows {', '.join(SCOPES)} (space-separated).",
        )
    return " ".join(scope for scope in SCOPES if scope in requested)


def redirect_uri_validate(redirect_uri):
    """An absolute http(s) URI without a fragment (RFC 6749 §3.1.2), or ValidationError."""
    parts = urlsplit(redirect_uri or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("The redirect URI must be an absolute http:// or https:// URL.")
    if parts.fragment or redirect_uri.endswith("#"):
        raise ValidationError("The redirect URI must not contain a fragment (#...).")
    if len(redirect_uri) > OAuthApplication._meta.get_field("redirect_uri").max_length:
        raise ValidationError("The redirect URI is too long.")


def pkce_challenge_valid(challenge):
    """A code challenge is 43-128 unreserved characters (RFC 7636 §4.2)."""
    return 43 <= len(challenge) <= 128 and set(challenge) <= _PKCE_ALPHABET


def pkce_challenge(verifier):
    """The S256 code challenge of `verifier`: BASE64URL(SHA256(verifier)) without padding."""
    hashed = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(hashed).rstrip(b"=").decode("ascii")


# --- Apps and users --------------------------------------------------------------------


@transaction.atomic(using="sandbox")
def oauth_application_register(
    *, name, redirect_uri, grant_type=OAuthApplication.GrantType.AUTHORIZATION_CODE, owner=None
):
    """Register an app; returns (application, raw client secret). The secret is shown only here."""
    if grant_type not in OAuthApplication.GrantType.values:
        raise ValidationError(f"Unknown grant type {grant_type!r}.")
    if redirect_uri or grant_type == OAuthApplication.GrantType.AUTHORIZATION_CODE:
        redirect_uri_validate(redirect_uri)
    raw_secret = new_secret("wwcs_")
    application = OAuthApplication.objects.create(
        name=name,
        client_id=secrets.token_hex(20),
        client_secret_digest=digest(raw_secret),
        redirect_uri=redirect_uri or "",
        grant_type=grant_type,
        owner=owner,
    )
    return application, raw_secret


@transaction.atomic(using="sandbox")
def oauth_application_secret_rotate(*, application):
    """Give `application` a new client secret (the old one stops working); returns the raw secret."""
    raw_secret = new_secret("wwcs_")
    application.client_secret_digest = digest(raw_secret)
    application.save(update_fields=["client_secret_digest"])
    return raw_secret


def oauth_application_authenticate(*, client_id, client_secret):
    """The app whose id and secret these are, or OAuthRefusal(invalid_client, 401)."""
    application = OAuthApplication.objects.select_related("owner").filter(client_id=client_id or "").first()
    expected = application.client_secret_digest if application else _UNKNOWN_CLIENT_DIGEST
    if not secrets.compare_digest(expected, digest(client_secret or "")) or application is None:
        raise OAuthRefusal(
            "invalid_client", "Client authentication failed: unknown client or wrong secret.", status=401
        )
    return application


def sandbox_user_authenticate(*, email, password):
    """The sandbox user with this email and password, or None."""
    user = SandboxUser.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None or not user.check_password(password):
        return None
    return user


# --- Authorization codes -----------------------------------------------------------------


@transaction.atomic(using="sandbox")
def authorization_code_issue(
    *, application, user, redirect_uri, scope, code_challenge="", code_challenge_method=""
):
    """A single-use code for `user`'s consent to `application`; returns the raw code."""
    raw = new_secret()
    AuthorizationCode.objects.create(
        application=application,
        user=user,
        code_digest=digest(raw),
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        expires_at=timezone.now() + timedelta(seconds=AUTHORIZATION_CODE_SECONDS),
    )
    return raw


def authorization_code_exchange(*, application, code, redirect_uri, code_verifier=None):
    """Exchange a code for a token pair (RFC 6749 §4.1.3, RFC 7636 §4.6).

    A code works once. A second exchange is refused and revokes every token issued from it,
    since someone other than the app may hold the code.
    """
    _require_authorization_code_app(application)
    if not code:
        raise OAuthRefusal("invalid_request", "The code parameter is required.")
    if not redirect_uri:
        raise OAuthRefusal("invalid_request", "The redirect_uri parameter is required.")
    now = timezone.now()
    with transaction.atomic(using="sandbox"):
        grant = (
            AuthorizationCode.objects.select_for_update()
            .filter(code_digest=digest(code), application=application)
            .first()
        )
        if grant is None:
            raise OAuthRefusal("invalid_grant", "The authorization code is invalid.")
        if grant.used_at is None:
            _code_check(grant, redirect_uri=redirect_uri, code_verifier=code_verifier, now=now)
            claimed = AuthorizationCode.objects.filter(pk=grant.pk, used_at__isnull=True).update(used_at=now)
            if claimed:
                return _token_pair_issue(
                    application=application, user=grant.user, scope=grant.scope, authorization_code=grant
                )
    # Revoked outside the block above, so that refusing the exchange does not undo it.
    _tokens_from_code_revoke(grant)
    raise OAuthRefusal(
        "invalid_grant",
        "The authorization code has already been used; the tokens issued for it are revoked.",
    )


def _code_check(grant, *, redirect_uri, code_verifier, now):
    if grant.expires_at <= now:
        raise OAuthRefusal(
            "invalid_grant", "The authorization code has expired; ask the user to sign in again."
        )
    if redirect_uri != grant.redirect_uri:
        raise OAuthRefusal(
            "invalid_grant", "The redirect_uri does not match the one the authorization code was issued for."
        )
    if grant.code_challenge:
        if not code_verifier:
            raise OAuthRefusal("invalid_request", "The code_verifier parameter is required (PKCE).")
        if not secrets.compare_digest(pkce_challenge(code_verifier), grant.code_challenge):
            raise OAuthRefusal("invalid_grant", "The code_verifier does not match the code_challenge (PKCE).")
    elif code_verifier:
        raise OAuthRefusal(
            "invalid_grant", "A code_verifier was sent, but the authorization request had no code_challenge."
        )


@transaction.atomic(using="sandbox")
def _tokens_from_code_revoke(grant):
    now = timezone.now()
    AccessToken.objects.filter(authorization_code=grant, revoked_at__isnull=True).update(revoked_at=now)
    RefreshToken.objects.filter(access_token__authorization_code=grant, revoked_at__isnull=True).update(
        revoked_at=now
    )


# --- Token grants ----------------------------------------------------------------------------


def refresh_token_rotate(*, application, refresh_token, scope=None):
    """A new token pair for a refresh token (RFC 6749 §6). The old refresh token and its access
    token stop working; a spent refresh token is refused. `scope` may only narrow the grant."""
    _require_authorization_code_app(application)
    if not refresh_token:
        raise OAuthRefusal("invalid_request", "The refresh_token parameter is required.")
    now = timezone.now()
    with transaction.atomic(using="sandbox"):
        old = (
            RefreshToken.objects.select_for_update(of=("self",))
            .select_related("access_token__authorization_code", "user")
            .filter(token_digest=digest(refresh_token), application=application)
            .first()
        )
        if old is None:
            raise OAuthRefusal("invalid_grant", "The refresh token is invalid.")
        if old.revoked_at is not None:
            raise OAuthRefusal("invalid_grant", "The refresh token has been revoked.")
        if old.used_at is not None:
            raise OAuthRefusal("invalid_grant", "The refresh token has already been used.")
        if old.expires_at <= now:
            raise OAuthRefusal(
                "invalid_grant", "The refresh token has expired; ask the user to sign in again."
            )
        granted = scope_parse(scope, default=old.scope)
        if not set(granted.split()) <= set(old.scope.split()):
            raise OAuthRefusal("invalid_scope", f"The scope may not exceed the original grant ({old.scope}).")
        claimed = RefreshToken.objects.filter(
            pk=old.pk, used_at__isnull=True, revoked_at__isnull=True
        ).update(used_at=now)
        if not claimed:
            raise OAuthRefusal("invalid_grant", "The refresh token has already been used.")
        AccessToken.objects.filter(pk=old.access_token_id, revoked_at__isnull=True).update(revoked_at=now)
        return _token_pair_issue(
            application=application,
            user=old.user,
            scope=granted,
            refresh_scope=old.scope,
            authorization_code=old.access_token.authorization_code,
        )


@transaction.atomic(using="sandbox")
def client_credentials_grant(*, application, scope=None):
    """An access token acting as the app's owner (RFC 6749 §4.4); no refresh token."""
    if application.grant_type != OAuthApplication.GrantType.CLIENT_CREDENTIALS:
        raise OAuthRefusal(
            "unauthorized_client",
            "This app is registered for the authorization code grant, not client_credentials.",
        )
    if application.owner is None:
        raise OAuthRefusal("unauthorized_client", "This app has no owner account for its tokens to act as.")
    granted = scope_parse(scope)
    raw, _ = access_token_issue(user=application.owner, application=application, scope=granted)
    return TokenGrant(access_token=raw, expires_in=settings.SANDBOX_ACCESS_TOKEN_SECONDS, scope=granted)


def _require_authorization_code_app(application):
    if application.grant_type != OAuthApplication.GrantType.AUTHORIZATION_CODE:
        raise OAuthRefusal(
            "unauthorized_client",
            "This app is registered for the client_credentials grant only.",
        )


def _token_pair_issue(*, application, user, scope, authorization_code=None, refresh_scope=None):
    """An access token and its refresh token; lifetimes are read from the settings now."""
    raw_access, access = access_token_issue(
        user=user, application=application, scope=scope, authorization_code=authorization_code
    )
    raw_refresh = new_secret("wwrt_")
    RefreshToken.objects.create(
        access_token=access,
        application=application,
        user=user,
        token_digest=digest(raw_refresh),
        scope=refresh_scope or scope,
        expires_at=timezone.now() + timedelta(seconds=settings.SANDBOX_REFRESH_TOKEN_SECONDS),
    )
    return TokenGrant(
        access_token=raw_access,
        refresh_token=raw_refresh,
        expires_in=settings.SANDBOX_ACCESS_TOKEN_SECONDS,
        scope=scope,
    )
