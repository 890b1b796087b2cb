"""Page-shaped reads of the mirror, one module per area of the dashboard.

Every selector of a workspace's data takes `workspace=` and reads only that workspace's rows;
views import this package (`from dashboard import selectors`) and call `selectors.<name>`.
"""

from .sync import (
    DELIVERY_WINDOW,
    STEP_KIND_LABELS,
    connections_needing_sign_in_for_user,
    failure_reason,
    mirror_counts_for_workspace,
    owed_parts_for_workspace,
    sync_connection_for_workspace,
    sync_health_for_workspace,
    sync_overview_for_workspace,
    time_left_text,
    workspace_accesses_for_user,
)

__all__ = [
    "DELIVERY_WINDOW",
    "STEP_KIND_LABELS",
    "connections_needing_sign_in_for_user",
    "failure_reason",
    "mirror_counts_for_workspace",
    "owed_parts_for_workspace",
    "sync_connection_for_workspace",
    "sync_health_for_workspace",
    "sync_overview_for_workspace",
    "time_left_text",
    "workspace_accesses_for_user",
]
