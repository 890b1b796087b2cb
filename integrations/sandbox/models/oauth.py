"""OAuth2 apps and the tokens the sandbox issues. Secrets are stored as SHA-256 digests."""

import hashlib
import secrets

from django.db import models
from django.utils import timezone

from .accounts import SandboxUser


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix=""):
    return prefix + secrets.token_urlsafe(32)


class Scope(models.TextChoices):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class OAuthApplication(models.Model):
    class GrantType(models.TextChoices):
        AUTHORIZATION_CODE = "authorization_code", "Authorization Code Grant"
        CLIENT_CREDENTIALS = "client_credentials", "Client Credentials Grant"

    name = models.CharField(max_length=100)
    client_id = models.CharField(max_length=64, unique=True)
    client_secret_digest = models.CharField(max_length=64)
    redirect_uri = models.URLField(max_length=500, blank=True)
    grant_type = models.CharField(
        max_length=32, choices=GrantType.choices, default=GrantType.AUTHORIZATION_CODE
    )
    # The account a client-credentials token acts as.
    owner = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = "OAuth application"

    def __str__(self):
        return self.name

    def check_secret(self, secret):
        return secrets.compare_digest(self.client_secret_digest, digest(secret or ""))


class AuthorizationCode(models.Model):
    application = models.ForeignKey(OAuthApplication, on_delete=models.CASCADE)
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE)
    code_digest = models.CharField(max_length=64, unique=True)
    redirect_uri = models.URLField(max_length=500)
    scope = models.CharField(max_length=100)
    code_challenge = models.CharField(max_length=128, blank=True)
    code_challenge_method = models.CharField(max_length=10, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"code for {self.user} ({self.application})"


class AccessToken(models.Model):
    class Kind(models.TextChoices):
        OAUTH = "oauth", "OAuth2"
        PERSONAL = "personal", "Personal access token"

    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="access_tokens")
    application = models.ForeignKey(OAuthApplication, on_delete=models.CASCADE, null=True, blank=True)
    # The code this token (or the token it was refreshed from) was issued for: a replayed
    # code revokes every token issued from it (RFC 6749 §4.1.2).
    authorization_code = models.ForeignKey(
        AuthorizationCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="access_tokens"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OAUTH)
    name = models.CharField(max_length=100, blank=True)
    token_digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=100, default="read write")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.user.email}"

    @property
    def is_active(self):
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def scopes(self):
        return frozenset(self.scope.split())


class RefreshToken(models.Model):
    access_token = models.OneToOneField(AccessToken, on_delete=models.CASCADE, related_name="refresh")
    application = models.ForeignKey(OAuthApplication, on_delete=models.CASCADE)
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE)
    token_digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=100)
    expires_at = models.DateTimeField()
    # Set when the token was exchanged for a new pair (rotation): it is spent.
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"refresh token for {self.user} ({self.application})"
