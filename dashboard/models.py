"""The dashboard's own rows: what managers keep in Clockroom itself, not in WebWork."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class SavedReport(models.Model):
    """A report's filters kept under a name, shared by every manager of the workspace.

    `query` is the report's query string with relative periods kept relative (`period=last_week`,
    not its dates), so opening it reads the period again on that day. `report` names which report
    it is ("hours" is the Hours report at `dashboard:reports`).
    """

    workspace = models.ForeignKey(
        "integrations.Workspace", on_delete=models.CASCADE, related_name="saved_reports"
    )
    report = models.CharField(max_length=32, default="hours")
    name = models.CharField(max_length=100)
    query = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "workspace", name="saved_report_name_unique"),
        ]

    def __str__(self):
        return self.name
