"""Mirrored leave policies, balances and requests."""

from django.db import models

from .base import MirrorModel


class LeavePolicy(MirrorModel):
    name = models.CharField(max_length=100)
    is_paid = models.BooleanField(default=True)
    kind = models.CharField(max_length=16, blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["name", "id"]
        verbose_name_plural = "leave policies"

    def __str__(self):
        return self.name


class LeaveBalance(MirrorModel):
    """One member's balance under one leave type (`webwork_id` is "<user id>:<leave type>")."""

    member = models.ForeignKey("integrations.Member", on_delete=models.CASCADE, null=True, blank=True)
    user_webwork_id = models.BigIntegerField()
    leave_type = models.CharField(max_length=100)
    balance = models.CharField(max_length=50)

    class Meta(MirrorModel.Meta):
        ordering = ["user_webwork_id", "leave_type"]

    def __str__(self):
        return f"{self.member} {self.leave_type}: {self.balance}"


class LeaveRequest(MirrorModel):
    member = models.ForeignKey(
        "integrations.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="leave_requests"
    )
    policy = models.ForeignKey(LeavePolicy, on_delete=models.SET_NULL, null=True, blank=True)
    user_webwork_id = models.BigIntegerField(null=True, blank=True)
    policy_webwork_id = models.BigIntegerField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16)
    is_paid = models.BooleanField(default=True)
    note = models.TextField(blank=True)
    reject_reason = models.TextField(blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["-start_date", "id"]
        indexes = [models.Index(fields=["workspace", "status"], name="leave_request_status_idx")]

    def __str__(self):
        return f"{self.member} {self.start_date}..{self.end_date} ({self.status})"
