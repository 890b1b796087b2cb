import uuid

from django.db import models
from django.utils import timezone

from .accounts import SandboxUser, Workspace
from .projects import Contract, Project, Task


class Method(models.TextChoices):
    DESKTOP = "Desktop tracker"
    MOBILE = "Mobile tracker"
    MANUAL = "Manually added time"
    EXTENSION = "Extension tracker"
    WEB = "Web tracker"
    IDLE = "Idle time"
    PAID_LEAVE = "Paid leave"
    BREAK = "Break"
    PAID_HOLIDAY = "Paid holiday"


class TimeEntry(models.Model):
    """A stretch of tracked time. Reports and timesheets are computed from these."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="time_entries")
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="time_entries")
    contract = models.ForeignKey(Contract, on_delete=models.SET_NULL, null=True, blank=True)
    project = models.ForeignKey(Project, on_delete=models.SET_NULL, null=True, blank=True)
    task = models.ForeignKey(Task, on_delete=models.SET_NULL, null=True, blank=True)
    activity_description = models.TextField(blank=True, null=True)
    method = models.CharField(max_length=32, choices=Method.choices, default=Method.DESKTOP)
    # The workspace-local calendar date the entry belongs to.
    date = models.DateField()
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    # Keyboard and mouse activity, percent of the entry's minutes.
    activity_level = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_time", "id"]
        indexes = [
            models.Index(fields=["workspace", "date", "user"], name="sandbox_entry_day_idx"),
            models.Index(fields=["user", "date"], name="sandbox_entry_user_day_idx"),
        ]
        verbose_name_plural = "time entries"

    def __str__(self):
        return f"{self.user} {self.date} {self.duration_minutes} min"


class RunningTracker(models.Model):
    """The tracker a user is running now: one per user, across workspaces."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="running_trackers")
    user = models.OneToOneField(SandboxUser, on_delete=models.CASCADE, related_name="running_tracker")
    contract = models.ForeignKey(Contract, on_delete=models.SET_NULL, null=True, blank=True)
    project = models.ForeignKey(Project, on_delete=models.SET_NULL, null=True, blank=True)
    task = models.ForeignKey(Task, on_delete=models.SET_NULL, null=True, blank=True)
    activity_description = models.TextField(blank=True, null=True)
    method = models.CharField(max_length=32, choices=Method.choices, default=Method.WEB)
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["started_at"]

    def __str__(self):
        return f"{self.user} since {self.started_at:%H:%M}"


class Timesheet(models.Model):
    """A member's period for approval. Totals come from the period's time entries."""

    class Status(models.TextChoices):
        OPEN = "open"  # the R docs call this state "pending"
        SUBMITTED = "submitted"
        APPROVED = "approved"
        REJECTED = "rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="timesheets")
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="timesheets")
    date_from = models.DateField()
    date_to = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    submitted_on = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(blank=True, null=True)
    reviewed_by = models.ForeignKey(
        SandboxUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date_from", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user", "date_from"], name="sandbox_timesheet_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.date_from}..{self.date_to} ({self.status})"


class TimeRequest(models.Model):
    """A request to add time by hand; approving it creates the time entry."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="time_requests")
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="time_requests")
    contract = models.ForeignKey(Contract, on_delete=models.SET_NULL, null=True, blank=True)
    project = models.ForeignKey(Project, on_delete=models.SET_NULL, null=True, blank=True)
    task = models.ForeignKey(Task, on_delete=models.SET_NULL, null=True, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    notes = models.TextField(blank=True, null=True)
    comment = models.TextField(blank=True, null=True)
    updated_by = models.ForeignKey(
        SandboxUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    time_entry = models.OneToOneField(
        TimeEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="time_request"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self):
        return f"{self.user} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} ({self.status})"
