"""Mirrored time: entries, who is tracking now, timesheets, time requests."""

from django.db import models

from .base import MirrorModel


class TimeEntry(MirrorModel):
    member = models.ForeignKey(
        "integrations.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="time_entries"
    )
    project = models.ForeignKey("integrations.Project", on_delete=models.SET_NULL, null=True, blank=True)
    task = models.ForeignKey("integrations.Task", on_delete=models.SET_NULL, null=True, blank=True)
    contract = models.ForeignKey("integrations.Contract", on_delete=models.SET_NULL, null=True, blank=True)
    user_webwork_id = models.BigIntegerField()
    project_webwork_id = models.BigIntegerField(null=True, blank=True)
    task_webwork_id = models.BigIntegerField(null=True, blank=True)
    contract_webwork_id = models.BigIntegerField(null=True, blank=True)
    date = models.DateField()
    start_time = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(default=0)
    method = models.CharField(max_length=32, blank=True)
    activity_description = models.TextField(blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["start_time", "id"]
        verbose_name_plural = "time entries"
        indexes = [
            models.Index(fields=["workspace", "date"], name="time_entry_day_idx"),
            models.Index(fields=["workspace", "user_webwork_id", "date"], name="time_entry_member_day_idx"),
        ]

    def __str__(self):
        return f"{self.member or self.user_webwork_id} {self.date} {self.duration_minutes} min"


class RunningTracker(MirrorModel):
    """Who is working now: a member's running tracker (`webwork_id` is the member's id)."""

    member = models.ForeignKey("integrations.Member", on_delete=models.CASCADE, null=True, blank=True)
    project = models.ForeignKey("integrations.Project", on_delete=models.SET_NULL, null=True, blank=True)
    task = models.ForeignKey("integrations.Task", on_delete=models.SET_NULL, null=True, blank=True)
    project_webwork_id = models.BigIntegerField(null=True, blank=True)
    task_webwork_id = models.BigIntegerField(null=True, blank=True)
    contract_webwork_id = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    activity_description = models.TextField(blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["started_at"]

    def __str__(self):
        return f"{self.member} since {self.started_at}"


class Timesheet(MirrorModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"  # WebWork's R docs call it "pending"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    member = models.ForeignKey(
        "integrations.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="timesheets"
    )
    user_webwork_id = models.BigIntegerField(null=True, blank=True)
    date_from = models.DateField()
    date_to = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices)
    total_minutes = models.PositiveIntegerField(default=0)
    total_amount = models.JSONField(null=True, blank=True)
    daily_breakdown = models.JSONField(default=dict, blank=True)
    submitted_on = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["-date_from", "id"]
        indexes = [models.Index(fields=["workspace", "status"], name="timesheet_status_idx")]

    def __str__(self):
        return f"{self.member} {self.date_from}..{self.date_to} ({self.status})"


class TimeRequest(MirrorModel):
    member = models.ForeignKey(
        "integrations.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="time_requests"
    )
    project = models.ForeignKey("integrations.Project", on_delete=models.SET_NULL, null=True, blank=True)
    task = models.ForeignKey("integrations.Task", on_delete=models.SET_NULL, null=True, blank=True)
    user_webwork_id = models.BigIntegerField(null=True, blank=True)
    project_webwork_id = models.BigIntegerField(null=True, blank=True)
    task_webwork_id = models.BigIntegerField(null=True, blank=True)
    contract_webwork_id = models.BigIntegerField(null=True, blank=True)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16)
    notes = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    updated_by_webwork_id = models.BigIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["-start", "id"]
        indexes = [models.Index(fields=["workspace", "status"], name="time_request_status_idx")]

    def __str__(self):
        return f"{self.member} {self.start} ({self.status})"


class DailyActivity(MirrorModel):
    """A member's activity level on one date, as the daily timeline reports it beside the date's
    entries (read in the same request, so it costs nothing more). `webwork_id` is
    "<member id>:<date>"; `activity_level` is a percentage, None when WebWork gives none."""

    member = models.ForeignKey(
        "integrations.Member", on_delete=models.CASCADE, null=True, blank=True, related_name="daily_activity"
    )
    user_webwork_id = models.BigIntegerField()
    date = models.DateField()
    activity_level = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta(MirrorModel.Meta):
        verbose_name_plural = "daily activity"
        indexes = [models.Index(fields=["workspace", "date"], name="daily_activity_day_idx")]

    def __str__(self):
        return f"{self.member or self.user_webwork_id} {self.date} {self.activity_level}%"
