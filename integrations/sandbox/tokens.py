"""Issuing the bearer tokens the sandbox API accepts (OAuth2 and personal access tokens)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import AccessToken
from .models.oauth import digest, new_secret

ALL_SCOPES = "read write admin"


def access_token_issue(
    *,
    user,
    kind=AccessToken.Kind.OAUTH,
    application=None,
    scope=ALL_SCOPES,
    name="",
    authorization_code=None,
):
    """A new access token for `user`; returns (raw token, AccessToken). Only the digest is stored.

    Lifetimes are read from the settings at call time: SANDBOX_ACCESS_TOKEN_SECONDS for OAuth2
    tokens (15 days), SANDBOX_PERSONAL_TOKEN_SECONDS for personal access tokens (6 months).
    """
    if kind == AccessToken.Kind.PERSONAL:
        lifetime = settings.SANDBOX_PERSONAL_TOKEN_SECONDS
        prefix = "wwpat_"
    else:
        lifetime = settings.SANDBOX_ACCESS_TOKEN_SECONDS
        prefix = "wwat_"
    raw = new_secret(prefix)
    token = AccessToken.objects.create(
        user=user,
        application=application,
        authorization_code=authorization_code,
        kind=kind,
        name=name,
        token_digest=digest(raw),
        scope=scope,
        expires_at=timezone.now() + timedelta(seconds=lifetime),
    )
    return raw, token


def personal_token_issue(*, user, name="Personal access token"):
    return access_token_issue(user=user, kind=AccessToken.Kind.PERSONAL, name=name)
