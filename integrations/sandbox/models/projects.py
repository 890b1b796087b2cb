from django.db import models
from django.utils import timezone

from .accounts import Membership, SandboxUser, Workspace


class ScreenshotMode(models.TextChoices):
    FULL = "full", "Screenshot on"
    BLURRED = "blurred", "Blurred screenshots"
    NO_PREVIEW = "no_preview", "No preview"
    NO_SCREENSHOT = "no_screenshot", "Screenshot off"
    BACKGROUND_BLURRED = "background_blurred", "Background blurred"
    VIDEO_FULL = "video_full", "Video on"
    VIDEO_BLURRED = "video_blurred", "Blurred video"
    VIDEO_FULL_SILENT = "video_full_silent", "Silent video"
    VIDEO_BLURRED_SILENT = "video_blurred_silent", "Silent blurred video"


class Project(models.Model):
    class Status(models.IntegerChoices):
        ARCHIVED = 0
        ACTIVE = 1

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="projects")
    owner = models.ForeignKey(SandboxUser, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    start_date = models.DateField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True)
    estimation = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    budget_estimation = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    notes = models.TextField(blank=True, null=True)
    icon = models.CharField(max_length=100, blank=True, null=True)
    is_billable = models.BooleanField(default=True)
    rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    weekly_hours_limit = models.PositiveIntegerField(null=True, blank=True, default=168)
    screenshots = models.CharField(max_length=32, blank=True, null=True, default=ScreenshotMode.FULL)
    tags = models.ManyToManyField("ProjectTag", through="ProjectTagging", related_name="projects", blank=True)
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class ProjectTag(models.Model):
    """A tag of the workspace's projects; the API answers a project's `tags` as `{id, name, color}`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="project_tags")
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=16, blank=True, null=True)  # e.g. "#FF5733"; none is allowed
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="sandbox_project_tag_unique"),
        ]

    def __str__(self):
        return self.name


class ProjectTagging(models.Model):
    """A tag on a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="taggings")
    tag = models.ForeignKey(ProjectTag, on_delete=models.CASCADE, related_name="taggings")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "tag"], name="sandbox_project_tagging_unique"),
        ]

    def __str__(self):
        return f"{self.tag} on {self.project}"


class Contract(models.Model):
    """A member's assignment to a project, with its rate and weekly hours limit."""

    class RateType(models.IntegerChoices):
        CUSTOM = 1, "Custom Rate"
        MEMBER = 2, "Member Rate"
        PROJECT = 3, "Project Rate"

    class Status(models.TextChoices):
        ACTIVE = "active"
        PAUSED = "paused"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contracts")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="contracts")
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="contracts")
    weekly_hours_limit = models.PositiveIntegerField(default=168)
    screenshots = models.CharField(max_length=32, choices=ScreenshotMode.choices, default=ScreenshotMode.FULL)
    rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    rate_type = models.PositiveSmallIntegerField(choices=RateType.choices, default=RateType.CUSTOM)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="sandbox_contract_unique"),
        ]

    def __str__(self):
        return f"{self.user} on {self.project}"


class Task(models.Model):
    class Status(models.IntegerChoices):
        INCOMPLETE = 0, "Incomplete"
        DOING = 10, "Doing"
        DONE = 20, "Done"
        COMPLETED = 30, "Completed"

    class Priority(models.IntegerChoices):
        URGENT = 10, "Urgent"
        HIGH = 20, "High"
        NORMAL = 30, "Normal"
        LOW = 40, "Low"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tasks")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)
    owner = models.ForeignKey(SandboxUser, on_delete=models.PROTECT, related_name="+")
    creator = models.ForeignKey(SandboxUser, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, null=True)
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.INCOMPLETE)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    assignees = models.ManyToManyField(SandboxUser, through="TaskAssignee", related_name="tasks")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.title


class TaskAssignee(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE)
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "user"], name="sandbox_task_assignee_unique"),
        ]

    def __str__(self):
        return f"{self.user} on {self.task}"


class ViewerProject(models.Model):
    """A project a project viewer (a client, role "Project viewer") may see."""

    viewer = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="viewer_projects")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="viewer_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["viewer", "project"], name="sandbox_viewer_project_unique"),
        ]

    def __str__(self):
        return f"{self.viewer.user} sees {self.project}"
