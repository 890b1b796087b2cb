"""What every mirrored row has in common."""

from django.db import models
from django.utils import timezone

from .tenancy import Workspace


class MirrorQuerySet(models.QuerySet):
    def current(self):
        """Rows WebWork still returns (removed ones are kept for history, hidden from pages)."""
        return self.filter(removed_at__isnull=True)

    def for_workspace(self, workspace):
        return self.filter(workspace=workspace)


class MirrorModel(models.Model):
    """A row mirrored from WebWork: our own key, the tenant, WebWork's id unique per workspace,
    typed columns for what pages filter and sort on, the last payload in `raw`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    webwork_id = models.CharField(max_length=64)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = MirrorQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["workspace", "webwork_id"], name="%(class)s_webwork_id_unique"),
        ]
