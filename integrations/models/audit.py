"""Who decided what: one row per decision or change, made through Clockroom or seen in WebWork."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .tenancy import Workspace


class AuditEvent(models.Model):
    """One decision or change of a workspace's object.

    `source` says where it was made: through Clockroom (`actor` is the manager; `outcome` says
    whether WebWork accepted it and `answer` what WebWork said when it refused), or inside
    WebWork itself, seen by a sync or a webhook (no actor; `before`/`after` are the mirror rows
    on each side of the change). `member` is the workspace member the object belongs to.
    """

    class Source(models.TextChoices):
        CLOCKROOM = "clockroom", "Clockroom"
        WEBWORK = "webwork", "WebWork"

    class Outcome(models.TextChoices):
        DONE = "done", "Done"
        REFUSED = "refused", "Refused by WebWork"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.CLOCKROOM)
    action = models.CharField(max_length=64)  # e.g. "timesheet_approve"
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.DONE)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    member = models.ForeignKey(
        "integrations.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)  # e.g. a rejection reason
    answer = models.TextField(blank=True)  # WebWork's refusal, in words a manager reads
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="audit_recent_idx"),
            models.Index(fields=["workspace", "object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self):
        return f"{self.actor or self.get_source_display()} {self.action} {self.object_type} {self.object_id}"
