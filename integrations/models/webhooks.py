"""Webhook registrations Clockroom made at WebWork, and the deliveries WebWork posted to us."""

from django.db import models
from django.utils import timezone

from .base import MirrorModel
from .tenancy import Workspace


class WebhookRegistration(MirrorModel):
    """A webhook registered at WebWork (ours, pointing at our intake URL, or anyone's)."""

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)

    class Meta(MirrorModel.Meta):
        ordering = ["id"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One POST WebWork made to our intake: stored raw at once, processed by a task."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (duplicate or stale)"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhook_deliveries")
    event_id = models.CharField(max_length=64, blank=True)
    event = models.CharField(max_length=64, blank=True)
    body = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)
    event_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    # What processing decided, in words (e.g. why a delivery was ignored).
    note = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["workspace", "event_id"], name="webhook_delivery_event_idx")]
        constraints = [
            # An event is applied to the mirror once, however often WebWork delivers it.
            models.UniqueConstraint(
                fields=["workspace", "event_id"],
                condition=models.Q(status="processed") & ~models.Q(event_id=""),
                name="webhook_delivery_processed_once",
            ),
        ]

    def __str__(self):
        return f"{self.event or 'delivery'} {self.event_id} ({self.status})"
