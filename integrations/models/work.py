"""Mirrored projects, tasks and contracts."""

from django.db import models

from .base import MirrorModel


class Project(MirrorModel):
    name = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField(default=1)  # 1 active, 0 archived
    is_billable = models.BooleanField(default=True)
    rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    weekly_hours_limit = models.PositiveIntegerField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True)
    estimation = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    budget = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Task(MirrorModel):
    project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    project_webwork_id = models.BigIntegerField(null=True, blank=True)
    parent_webwork_id = models.BigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=255)
    status = models.PositiveSmallIntegerField(default=0)
    priority = models.PositiveSmallIntegerField(default=30)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    assignees = models.ManyToManyField("integrations.Member", through="TaskAssignee", related_name="tasks")

    class Meta(MirrorModel.Meta):
        ordering = ["title", "id"]

    def __str__(self):
        return self.title


class TaskAssignee(models.Model):
    """A member assigned to a task. A member the mirror does not have yet leaves `member` empty
    and keeps WebWork's user id, until a later sync resolves it."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE)
    member = models.ForeignKey("integrations.Member", on_delete=models.CASCADE, null=True, blank=True)
    user_webwork_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "member"], name="task_assignee_unique"),
            models.UniqueConstraint(fields=["task", "user_webwork_id"], name="task_assignee_user_unique"),
        ]

    def __str__(self):
        return f"{self.member} on {self.task}"


class Contract(MirrorModel):
    """A member on a project, with a rate and a weekly hours limit."""

    project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="contracts"
    )
    member = models.ForeignKey(
        "integrations.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="contracts"
    )
    project_webwork_id = models.BigIntegerField(null=True, blank=True)
    user_webwork_id = models.BigIntegerField(null=True, blank=True)
    weekly_hours_limit = models.PositiveIntegerField(default=168)
    screenshots = models.CharField(max_length=32, blank=True)
    rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    rate_type = models.PositiveSmallIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=16, default="active")

    class Meta(MirrorModel.Meta):
        ordering = ["id"]

    def __str__(self):
        return f"{self.member} on {self.project}"
