"""The tenant (a WebWork workspace), who may open it, and the WebWork connections that sync it."""

import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.utils import timezone

from ..crypto import EncryptedTextField


class Workspace(models.Model):
    """A WebWork workspace mirrored by Clockroom: the tenant. Managers of it share one mirror."""

    webwork_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=200)
    owner_webwork_id = models.BigIntegerField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    currency = models.CharField(max_length=3, blank=True)
    # The connection whose token the syncs use (any manager's).
    sync_connection = models.ForeignKey(
        "Connection", on_delete=models.SET_NULL, null=True, blank=True, related_name="synced_workspaces"
    )
    # Webhook intake: WebWork posts to /integrations/webhooks/<webhook_uuid>/ with webhook_token.
    webhook_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook_token = EncryptedTextField(blank=True)
    webhook_webwork_id = models.CharField(max_length=64, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def is_connected(self):
        return self.connected_at is not None and self.disconnected_at is None

    # --- The workspace's calendar: every page's dates, weeks and totals use these. ---------

    # WebWork's weeks (timesheets, weekly hour limits, its reports) start on Monday.
    WEEK_STARTS_ON = 0

    @property
    def zone(self):
        """The workspace's time zone (UTC when WebWork gave none Clockroom knows)."""
        try:
            return ZoneInfo(self.timezone) if self.timezone else ZoneInfo("UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def local(self, moment):
        """An aware datetime in the workspace's time zone."""
        return moment.astimezone(self.zone) if moment else moment

    def today(self, now=None):
        """Today's date in the workspace's time zone."""
        return (now or timezone.now()).astimezone(self.zone).date()

    def week_start(self, day: date) -> date:
        """The first day of the workspace week that holds `day`."""
        return day - timedelta(days=(day.weekday() - self.WEEK_STARTS_ON) % 7)

    def week_of(self, day: date) -> tuple[date, date]:
        """(first, last) day of the workspace week that holds `day`."""
        start = self.week_start(day)
        return start, start + timedelta(days=6)


class Connection(models.Model):
    """A WebWork account's tokens, encrypted at rest. One per WebWork user."""

    class Kind(models.TextChoices):
        OAUTH = "oauth", "OAuth2 sign-in"
        PERSONAL = "personal", "Personal access token"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_SIGN_IN = "needs_sign_in", "Needs sign-in again"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webwork_connections"
    )
    webwork_user_id = models.BigIntegerField(unique=True)
    email = models.EmailField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OAUTH)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    access_token = EncryptedTextField()
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return f"{self.email or self.webwork_user_id} ({self.get_kind_display()})"

    @property
    def needs_sign_in(self):
        return self.status == self.Status.NEEDS_SIGN_IN

    def expires_within(self, seconds):
        return self.expires_at is not None and self.expires_at <= timezone.now() + timezone.timedelta(
            seconds=seconds
        )


class WorkspaceAccess(models.Model):
    """Which workspaces a Clockroom user may open: WebWork says their role there."""

    MANAGER_ROLES = ("Owner", "Executive manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workspace_accesses"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="accesses")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="accesses")
    role = models.CharField(max_length=32)
    can_manage = models.BooleanField(default=False)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workspace__name"]
        verbose_name_plural = "workspace accesses"
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="workspace_access_unique"),
        ]

    def __str__(self):
        return f"{self.user} in {self.workspace} ({self.role})"
