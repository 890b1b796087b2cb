import secrets
import uuid

from django.db import models
from django.utils import timezone

from .accounts import SandboxUser, Workspace


class Event(models.TextChoices):
    TRACKER_STARTED = "tracker.started"
    TRACKER_STOPPED = "tracker.stopped"
    MEMBER_INVITED = "member.invited"
    MEMBER_UPDATED = "member.updated"
    MEMBER_DELETED = "member.deleted"
    MEMBER_ACTIVATED = "member.activated"
    MEMBER_ARCHIVED = "member.archived"
    PROJECT_CREATED = "project.created"
    PROJECT_UPDATED = "project.updated"
    PROJECT_DELETED = "project.deleted"


def new_webhook_id():
    return secrets.token_hex(8)


def new_webhook_token():
    return f"whsec_{secrets.token_hex(16)}"


class Webhook(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_webhook_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhooks")
    created_by = models.ForeignKey(SandboxUser, on_delete=models.SET_NULL, null=True, related_name="+")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    token = models.CharField(max_length=64, default=new_webhook_token)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.url} ({', '.join(self.events)})"


class WebhookDelivery(models.Model):
    """One event sent to one webhook, with every attempt logged."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"  # gave up after the last attempt
        DROPPED = "dropped"  # lost on purpose by fault injection

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=32, choices=Event.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set on a delivery queued again from the admin: the delivery it repeats.
    resent_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resends"
    )
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["event_id"], name="sandbox_delivery_event_idx")]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event} -> {self.webhook.url} ({self.status})"


class WebhookAttempt(models.Model):
    """One POST of a delivery to the receiver: its answer's status, or why there was none."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    # The second copy sent by the duplicate-delivery fault (same number and event id).
    is_duplicate = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["delivery_id", "number", "id"]

    def __str__(self):
        return f"attempt {self.number}: {self.status_code or self.error}"

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300
