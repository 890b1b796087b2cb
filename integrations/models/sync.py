"""Sync bookkeeping: runs, the per-workspace lock and plan, and the shared request budget."""

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

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


# A sync queued (or waiting to resume) longer than this is taken as lost.
QUEUED_GRACE = timedelta(minutes=10)


@dataclass
class SyncProgress:
    """How far the current (or last) sync of a workspace got, as the pages show it."""

    running: bool
    status: str  # idle | queued | running | done | partial | stopped | interrupted
    scope: str
    requests_planned: int
    requests_done: int
    requests_remaining: int
    seconds_left: int
    percent: int
    current_step: str
    steps: list
    started_at: object
    finished_at: object
    last_error: str


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
    # The front: the approval queues and who is working now, refreshed every minute by
    # a task of their own, the least recently refreshed workspaces first (sync/scheduler.py)...
    queues_synced_at = models.DateTimeField(null=True, blank=True)
    # ...when such a task was last queued (not queued again while it waits)...
    queues_queued_at = models.DateTimeField(null=True, blank=True)
    # ...and the requests the last refresh made (what the next one should cost its user's budget).
    queues_requests = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"sync state of {self.workspace}"

    def progress(self, now=None) -> SyncProgress:
        """How far the current (or last) sync got, and the time left at the current rate: the
        requests remaining over WEBWORK_RATE_LIMIT_PER_MINUTE, or over the rate measured so far
        when that is slower. An unsaved state reads as idle."""
        if self.pk is None and not self.plan:
            return SyncProgress(False, "idle", "", 0, 0, 0, 0, 0, "", [], None, None, "")
        now = now or timezone.now()
        running = bool(self.locked_by) and self.locked_until is not None and self.locked_until > now
        data = self.plan or {}
        steps = data.get("steps", [])
        done = sum(int(s.get("done") or 0) for s in steps)
        remaining = sum(
            int(s.get("planned") or 0) for s in steps if s.get("status") not in ("done", "failed")
        )
        per_minute = float(settings.WEBWORK_RATE_LIMIT_PER_MINUTE)
        if running and self.started_at and done >= 10:
            elapsed = max(1.0, (now - self.started_at).total_seconds())
            per_minute = min(per_minute, done / elapsed * 60)
        total = done + remaining
        recorded = data.get("status", "idle")
        return SyncProgress(
            running=running,
            # A plan recorded as running whose lock lapsed: its worker died mid-way.
            status="running" if running else ("interrupted" if recorded == "running" else recorded),
            scope=data.get("scope", ""),
            requests_planned=sum(int(s.get("planned") or 0) for s in steps),
            requests_done=done,
            requests_remaining=remaining,
            seconds_left=math.ceil(remaining / per_minute * 60) if per_minute > 0 else 0,
            percent=100 if total == 0 else min(100, round(done * 100 / total)),
            current_step=next((s["name"] for s in steps if s.get("status") == "running"), ""),
            steps=steps,
            started_at=self.started_at,
            finished_at=self.finished_at,
            last_error=self.last_error,
        )

    def waiting(self, now=None):
        """ "queued" (a sync waits for its turn or for a worker), "continuing" (a sync stopped by
        its time budget waits for its next turn), or None. The scheduler looks at every waiting sync
        at least every few minutes (`seen_at` in the plan) and notes when it handed it to a worker
        (`admitted_at`); a sync neither looked at nor started for QUEUED_GRACE is taken as lost
        (no task cluster runs, or its task was lost)."""
        plan = self.plan or {}
        status = plan.get("status")
        if status not in ("queued", "partial"):
            return None
        now = now or timezone.now()
        moments = [_moment(plan.get(name)) for name in ("queued_at", "seen_at", "admitted_at")]
        if status == "partial":
            moments.append(self.finished_at)
        latest = max((moment for moment in moments if moment is not None), default=None)
        if latest is None or now - latest >= QUEUED_GRACE:
            return None
        return "queued" if status == "queued" else "continuing"


def _moment(value):
    """An ISO datetime kept in a plan, or None."""
    try:
        return parse_datetime(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


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
