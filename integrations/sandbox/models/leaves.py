import uuid

from django.db import models
from django.utils import timezone

from .accounts import SandboxUser, Workspace


class LeavePolicy(models.Model):
    class Kind(models.TextChoices):
        DAY_BASED = "day-based"
        HOUR_BASED = "hour-based"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="leave_policies")
    name = models.CharField(max_length=100)
    is_paid = models.CharField(max_length=3, choices=[("yes", "yes"), ("no", "no")], default="yes")
    type = models.CharField(max_length=16, choices=Kind.choices, default=Kind.DAY_BASED)
    # Days (or hours, for an hour-based policy) each member may take per year.
    yearly_allowance = models.DecimalField(max_digits=6, decimal_places=2, default=20)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "leave policies"

    def __str__(self):
        return self.name


class LeaveAllowance(models.Model):
    """A member's own allowance under a policy, where it differs from the policy's."""

    policy = models.ForeignKey(LeavePolicy, on_delete=models.CASCADE, related_name="allowances")
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="leave_allowances")
    amount = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "user"], name="sandbox_leave_allowance_unique"),
        ]

    def __str__(self):
        return f"{self.user} {self.policy}: {self.amount}"


class LeaveRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    class Period(models.IntegerChoices):
        FULL_DAY = 0, "Full day"
        FIRST_HALF = 1, "First half"
        SECOND_HALF = 2, "Second half"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="leave_requests")
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="leave_requests")
    policy = models.ForeignKey(LeavePolicy, on_delete=models.PROTECT, related_name="requests")
    start_date = models.DateField()
    end_date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    hours_per_day = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    leave_period = models.PositiveSmallIntegerField(choices=Period.choices, default=Period.FULL_DAY)
    note = models.TextField(blank=True, null=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(SandboxUser, on_delete=models.SET_NULL, null=True, related_name="+")
    approved_by = models.ForeignKey(
        SandboxUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rejected_by = models.ForeignKey(
        SandboxUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reject_reason = models.TextField(blank=True, null=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "id"]

    def __str__(self):
        return f"{self.user} {self.start_date}..{self.end_date} ({self.status})"
