"""Mirrored attendance: WebWork's daily-attendance report, one row per member per date, and the
fetches of older dates a manager asked for."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .base import MirrorModel
from .tenancy import Workspace

EN_DASH = "\u2013"


def days_words(first, last):
    """A period as a manager reads it: "7 Oct 2026", "1-14 Oct 2026", "28 Sep - 4 Oct 2026",
    "29 Dec 2026 - 2 Jan 2027" (with en dashes)."""
    if first == last:
        return f"{first.day} {first:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}{EN_DASH}{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} {EN_DASH} {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} {EN_DASH} {last.day} {last:%b %Y}"


class AttendanceStatus(models.TextChoices):
    """WebWork's attendance statuses, as its report spells them (`value`), with the column of
    `DailyAttendance` that flags each (see `DailyAttendance.STATUS_FIELDS`)."""

    PRESENT = "Present", "Present"
    LATE = "Late", "Late"
    LEFT_EARLY = "Left early", "Left early"
    TRACKED_LESS = "Tracked less", "Tracked less"
    ABSENT = "Absent", "Absent"
    ON_LEAVE = "On leave", "On leave"
    HOLIDAY = "Holiday", "Holiday"


class DailyAttendance(MirrorModel):
    """A member's attendance on one date as WebWork's daily-attendance report gives it.

    `webwork_id` is "<member id>:<date>". `statuses` keeps WebWork's list as given (e.g.
    ["Present", "Late"]); each known status also sets its boolean column, so pages filter and
    count statuses in SQL on SQLite and PostgreSQL alike. `first_start` and `last_end` are clock
    times in the workspace's time zone; `breaks` keeps WebWork's strings ("12:00 - 12:30").
    """

    # status -> the boolean column that flags it
    STATUS_FIELDS = {
        AttendanceStatus.PRESENT: "present",
        AttendanceStatus.LATE: "late",
        AttendanceStatus.LEFT_EARLY: "left_early",
        AttendanceStatus.TRACKED_LESS: "tracked_less",
        AttendanceStatus.ABSENT: "absent",
        AttendanceStatus.ON_LEAVE: "on_leave",
        AttendanceStatus.HOLIDAY: "holiday",
    }

    member = models.ForeignKey(
        "integrations.Member", on_delete=models.CASCADE, null=True, blank=True, related_name="attendance"
    )
    user_webwork_id = models.BigIntegerField()
    date = models.DateField()
    statuses = models.JSONField(default=list, blank=True)
    present = models.BooleanField(default=False)
    late = models.BooleanField(default=False)
    left_early = models.BooleanField(default=False)
    tracked_less = models.BooleanField(default=False)
    absent = models.BooleanField(default=False)
    on_leave = models.BooleanField(default=False)
    holiday = models.BooleanField(default=False)
    first_start = models.TimeField(null=True, blank=True)
    last_end = models.TimeField(null=True, blank=True)
    tracked_minutes = models.PositiveIntegerField(default=0)
    expected_minutes = models.PositiveIntegerField(null=True, blank=True)
    late_minutes = models.PositiveIntegerField(null=True, blank=True)
    left_early_minutes = models.PositiveIntegerField(null=True, blank=True)
    break_minutes = models.PositiveIntegerField(default=0)
    breaks = models.JSONField(default=list, blank=True)

    class Meta(MirrorModel.Meta):
        verbose_name_plural = "daily attendance"
        ordering = ["date", "user_webwork_id"]
        indexes = [
            models.Index(fields=["workspace", "date"], name="attendance_day_idx"),
            models.Index(fields=["workspace", "user_webwork_id", "date"], name="attendance_member_day_idx"),
        ]

    def __str__(self):
        return f"{self.member or self.user_webwork_id} {self.date}: {', '.join(self.statuses)}"


class AttendanceFetch(models.Model):
    """A manager's request for the attendance of dates the schedule does not read (older than the
    recent weeks): queued, then run by a django-q2 task (see services/attendance.py). The pages
    read it to say "fetching attendance for 1-14 Oct..." until it is done."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="attendance_fetches")
    date_from = models.DateField()
    date_to = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dates_done = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["workspace", "status"], name="attendance_fetch_status_idx")]

    def __str__(self):
        return f"attendance of {self.date_from}..{self.date_to} in {self.workspace} ({self.status})"

    @property
    def period_words(self):
        return days_words(self.date_from, self.date_to)

    @property
    def days(self):
        return (self.date_to - self.date_from).days + 1

    @property
    def pending(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
