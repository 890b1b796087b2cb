"""Sync bookkeeping: runs, the per-workspace lock and plan, and the shared request budget."""

from django.db import models
from django.utils import timezone

from .tenancy import Workspace


class SyncRun(models.Model):
    """One resource synced once: what it cost and what it changed."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="sync_runs")
    resource = models.CharField(max_length=40)
    scope = models.CharField(max_length=40, blank=True)  # e.g. "queues", "recent", "full", a date range
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["workspace", "resource", "-started_at"], name="sync_run_recent_idx")]

    def __str__(self):
        return f"{self.workspace} {self.resource} {self.status}"

    @property
    def seconds(self):
        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()


class SyncState(models.Model):
    """Per workspace: who holds the sync lock, and the plan of the sync in progress."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="sync_state")
    locked_by = models.CharField(max_length=100, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    plan = models.JSONField(default=dict, blank=True)
    requests_planned = models.PositiveIntegerField(default=0)
    requests_done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The first full plan ran to its end (what failed in it is owed, see OwedSync)...
    first_sync_ran_at = models.DateTimeField(null=True, blank=True)
    # ...and the first sync is complete: nothing of it is owed any more.
    first_sync_done_at = models.DateTimeField(null=True, blank=True)
    # The oldest date the history steps have gone back to, failed dates included...
    history_reached = models.DateField(null=True, blank=True)
    # ...and the oldest date from which on every date's time entries were read (none owed).
    history_synced_until = models.DateField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self):
        return f"sync state of {self.workspace}"


class OwedSync(models.Model):
    """A part of a sync that failed and is owed: one date of time entries, one project's tasks, or
    one listing (a step's resource and arguments). Every sync plan retries the parts whose
    `retry_at` has come, with backoff, until they succeed; a success of the same part, in any
    sync, settles it (the row is deleted)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="owed_syncs")
    resource = models.CharField(max_length=40)
    key = models.CharField(max_length=200, blank=True)  # the part: a date, a project id, the arguments
    label = models.CharField(max_length=200)  # in words a manager reads: "time entries of Tue 1 Dec"
    params = models.JSONField(default=dict, blank=True)  # the step arguments that sync the part again
    since = models.DateTimeField(default=timezone.now)  # when it first failed
    attempts = models.PositiveIntegerField(default=1)
    retry_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["since", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "resource", "key"], name="owed_sync_part_unique"),
        ]

    def __str__(self):
        return f"{self.workspace}: {self.label} owed since {self.since:%Y-%m-%d %H:%M}"


class ApiBudget(models.Model):
    """The recent WebWork requests of one WebWork user, shared by every process (see webwork/ratelimit.py)."""

    key = models.CharField(max_length=64, unique=True)
    sent = models.JSONField(default=list)
    hold_until = models.FloatField(default=0)

    def __str__(self):
        return f"budget {self.key}: {len(self.sent)} recent"
