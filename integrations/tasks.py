"""django-q2 entry points: one line each; the work lives in sync/ (scheduler.py queues and runs the
syncs, orchestrator.py runs a plan) and services/.

The schedules that call them are created by integrations/schedules.py.
"""

from .services import approvals, attendance
from .sync import scheduler


def workspace_sync_task(workspace_id, kind="incremental"):
    return scheduler.workspace_sync_for_task(workspace_id, kind)


def sync_queues_all_task():
    return scheduler.workspaces_sync_queue("queues")


def sync_recent_all_task():
    return scheduler.workspaces_sync_queue("recent")


def sync_incremental_all_task():
    return scheduler.workspaces_sync_queue("incremental")


def reconcile_all_task():
    return scheduler.workspaces_sync_queue("full")


def bulk_decision_run_task(bulk_id):
    return approvals.bulk_decision_run_for_task(bulk_id)


def attendance_fetch_task(fetch_id):
    return attendance.attendance_fetch_run(fetch_id)
