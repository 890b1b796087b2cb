"""Bulk decisions: many approvals or rejections, taken one by one by a queued task.

WebWork allows 60 requests a minute, so a decision on a hundred items takes minutes. The manager's
request stores a `BulkDecision` with one `BulkDecisionItem` per item and queues the task; the
task decides the items still pending, one at a time, and stores each item's result as it lands.
An item is decided at most once: a retried task skips items that have a result, and an item is
claimed (`claimed_at`, set by a conditional UPDATE) before its request is sent, so a task retried
after a crash knows which items may already have been sent.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .tenancy import Workspace


class BulkDecision(models.Model):
    class Kind(models.TextChoices):
        TIMESHEET = "timesheet", "Timesheets"
        TIME_REQUEST = "time_request", "Time requests"
        LEAVE = "leave", "Leaves"

    class Verb(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="bulk_decisions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    verb = models.CharField(max_length=16, choices=Verb.choices)
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="bulk_decision_recent_idx")]

    def __str__(self):
        return f"{self.get_verb_display()} {self.get_kind_display().lower()} ({self.get_status_display()})"


class BulkDecisionItem(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"

    bulk = models.ForeignKey(BulkDecision, on_delete=models.CASCADE, related_name="items")
    object_id = models.CharField(max_length=64)  # the item's WebWork id
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)  # WebWork's refusal, in words a manager reads
    # When a task took the item, before asking WebWork; still pending with a claim: its request
    # may have been sent by a task that stopped before storing the result.
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["bulk", "object_id"], name="bulk_decision_item_unique")
        ]

    def __str__(self):
        return f"{self.object_id}: {self.get_status_display()}"
