"""Mirrored members and project viewers (clients)."""

from django.db import models

from .base import MirrorModel


class Member(MirrorModel):
    email = models.EmailField()
    firstname = models.CharField(max_length=100, blank=True)
    lastname = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=32)
    status = models.CharField(max_length=16)
    team_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=100, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    rate_status = models.PositiveSmallIntegerField(default=0)
    weekly_hours_limit = models.PositiveIntegerField(null=True, blank=True)
    is_blocked = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["firstname", "lastname", "id"]

    def __str__(self):
        return self.full_name or self.email

    @property
    def full_name(self):
        return f"{self.firstname} {self.lastname}".strip()


class ProjectViewer(MirrorModel):
    """A client with read-only access to some projects (WebWork role "Project viewer")."""

    email = models.EmailField()
    firstname = models.CharField(max_length=100, blank=True)
    lastname = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, blank=True)
    member_since = models.DateTimeField(null=True, blank=True)
    projects = models.ManyToManyField("integrations.Project", through="ViewerProject", related_name="viewers")

    class Meta(MirrorModel.Meta):
        ordering = ["firstname", "lastname", "id"]

    def __str__(self):
        return f"{self.firstname} {self.lastname}".strip() or self.email


class ViewerProject(models.Model):
    """A project a viewer may see. A project the mirror does not have yet leaves `project` empty
    and keeps WebWork's project id, until a later sync resolves it."""

    viewer = models.ForeignKey(ProjectViewer, on_delete=models.CASCADE)
    project = models.ForeignKey("integrations.Project", on_delete=models.CASCADE, null=True, blank=True)
    project_webwork_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["viewer", "project"], name="viewer_project_unique"),
            models.UniqueConstraint(
                fields=["viewer", "project_webwork_id"], name="viewer_project_webwork_id_unique"
            ),
        ]

    def __str__(self):
        return f"{self.viewer} sees {self.project}"
