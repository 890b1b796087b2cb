"""What every workspace page's frame shows: how fresh its data is, and what needs attention."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max, Q

from integrations.models import SyncRun, SyncState, WorkspaceAccess

# A resource's name in the sentence "the last sync of … failed".
RESOURCE_WORDS = {
    "timesheets": "timesheets",
    "time_requests": "time requests",
    "leave_requests": "leaves",
    "leave_balances": "leave balances",
    "leave_policies": "leave policies",
    "time_entries": "tracked time",
    "running_trackers": "who is working now",
    "members": "members",
    "projects": "projects",
    "tasks": "tasks",
    "contracts": "contracts",
    "project_viewers": "project viewers",
    "expenses": "expenses",
    "expense_categories": "expense categories",
    "webhooks": "webhook registrations",
    "list_sizes": "list sizes",
    "attendance": "attendance",
}


@dataclass
class Freshness:
    """How current the data of one page is.

    updated_at: when the least recently synced of the page's resources was last synced whole
        (None: never yet).
    failed: the page's resources whose last sync failed, in words.
    """

    updated_at: datetime | None
    failed: list[str] = field(default_factory=list)
    needs_sign_in: bool = False
    disconnected: bool = False
    syncing: bool = False
    first_sync: bool = False

    @property
    def warning(self):
        """A sentence for the page's warning, or ""."""
        if self.disconnected:
            return "This workspace is disconnected: what you see is how it was when it was last synced."
        if self.needs_sign_in:
            return (
                "WebWork no longer accepts the sign-in this workspace syncs with, so what you see is not "
                "being updated. Sign in with WebWork again."
            )
        if self.failed:
            return f"The last sync of {_and(self.failed)} failed; Clockroom tries again by itself."
        return ""


def _and(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def freshness_for_workspace(*, workspace, resources) -> Freshness:
    """How fresh `resources` (sync resource names) are in `workspace`'s mirror: one query for
    the runs, one for the sync state."""
    runs = (
        SyncRun.objects.filter(workspace=workspace, resource__in=resources)
        .values("resource")
        .annotate(
            last_ok=Max("finished_at", filter=Q(status=SyncRun.Status.SUCCEEDED)),
            last_failed=Max("finished_at", filter=Q(status=SyncRun.Status.FAILED)),
        )
        .order_by()
    )
    by_resource = {run["resource"]: run for run in runs}
    oks = [by_resource.get(name, {}).get("last_ok") for name in resources]
    failed = [
        RESOURCE_WORDS.get(name, name.replace("_", " "))
        for name in resources
        if (run := by_resource.get(name))
        and run["last_failed"]
        and (run["last_ok"] is None or run["last_failed"] > run["last_ok"])
    ]
    state = SyncState.objects.filter(workspace=workspace).first()
    progress = state.progress() if state else None
    connection = workspace.sync_connection
    return Freshness(
        updated_at=None if not oks or None in oks else min(oks),
        failed=failed,
        needs_sign_in=connection is not None and connection.needs_sign_in,
        disconnected=workspace.disconnected_at is not None,
        syncing=bool(progress and progress.running),
        first_sync=state is None or state.first_sync_done_at is None,
    )


def managed_workspaces_for_user(user):
    """The workspaces `user` manages, by name (the workspace switcher): one query."""
    return list(
        WorkspaceAccess.objects.filter(user=user, can_manage=True)
        .select_related("workspace")
        .order_by("workspace__name", "workspace__webwork_id")
        .values_list("workspace__webwork_id", "workspace__name", "workspace__disconnected_at", named=True)
    )
