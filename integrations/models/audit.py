"""Who decided what: one row per write Clockroom made at WebWork."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .tenancy import Workspace


class AuditEvent(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=64)  # e.g. "timesheet_approve"
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)  # e.g. a rejection reason
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="audit_recent_idx")]

    def __str__(self):
        return f"{self.actor} {self.action} {self.object_type} {self.object_id}"
