"""Connecting and disconnecting workspaces: what turns a manager's sign-in into a mirror that fills itself.

* `workspace_connect()` makes a workspace one Clockroom keeps in sync: it picks the connection whose
  token the syncs use (when the workspace has none that works), registers the workspace's webhook at
  WebWork, and queues the first sync, which the pages can then watch. Calling it again changes
  nothing and queues nothing more. A webhook WebWork refuses does not stop the connect: the reason
  is kept on the workspace's SyncState (the scheduled syncs keep the mirror fresh meanwhile).
* `workspace_disconnect()` removes the webhook and stops the schedules from syncing the workspace;
  its mirror is kept.
* `connection_workspaces_connect()` connects every workspace a connection's user manages and that
  is not connected yet: run after each sign-in and by `webwork_connect`.
* `workspace_sync_now()` is the pages' "Sync now": it queues a sync, or says politely why not;
  `workspace_sync_run()` syncs in the foreground (`manage.py webwork_sync`).

WebWork is asked first (the webhook), outside any transaction; the rows are written after, in one.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..connections import connection_client, workspace_connection
from ..models import AuditEvent, Connection, SyncState, Workspace, WorkspaceAccess
from ..sync import orchestrator, scheduler
from ..sync.plan import SYNCS

logger = logging.getLogger(__name__)

WEBHOOK_NOT_REGISTERED = (
    "Could not register Clockroom's webhook at WebWork ({reason}), so changes arrive with the scheduled "
    "syncs instead of at once. Connecting again retries."
)
WEBHOOK_NOT_REMOVED = (
    "Could not remove Clockroom's webhook at WebWork ({reason}); its deliveries are refused."
)


def workspace_connect(*, workspace, connection) -> Workspace:
    """Connect `workspace` through `connection` (a manager's): idempotent. Returns the workspace.

    Sets the workspace's sync connection when it has none (or one WebWork no longer accepts), marks
    it connected, registers its webhook and queues its first sync once the connecting transaction
    commits. A workspace already connected whose first sync is queued, running or done gets no
    second one.
    """
    workspace, _changed = _connect(workspace, connection)
    return workspace


def _connect(workspace, connection):
    """workspace_connect; also says whether it connected the workspace or queued its first sync now."""
    webhook_error = _webhook_register(workspace, connection)
    return _workspace_connected_store(workspace=workspace, connection=connection, webhook_error=webhook_error)


def _webhook_register(workspace, connection):
    """Register the webhook; returns why it failed, or "" when it is registered."""
    from ..webhooks.registration import webhook_register

    try:
        with connection_client(connection) as client:
            webhook_register(workspace, client)
    except Exception as exc:  # a webhook never blocks the connect; the reason is shown on the pages
        logger.warning("Could not register the webhook of workspace %s: %s", workspace.pk, exc, exc_info=True)
        return WEBHOOK_NOT_REGISTERED.format(reason=_reason(exc))
    return ""


@transaction.atomic
def _workspace_connected_store(*, workspace, connection, webhook_error):
    locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
    was_connected = locked.is_connected
    changed = []
    current = Connection.objects.filter(pk=locked.sync_connection_id).first()
    if current is None or (current.needs_sign_in and not connection.needs_sign_in):
        locked.sync_connection = connection
        changed.append("sync_connection")
    if not was_connected:
        locked.connected_at = timezone.now()
        locked.disconnected_at = None
        changed += ["connected_at", "disconnected_at"]
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])

    state, _created = SyncState.objects.get_or_create(workspace=locked)
    queue_first_sync = not was_connected or _first_sync_missing(locked, state)
    if queue_first_sync:
        scheduler.workspace_first_sync_queue(locked)
    if webhook_error:
        SyncState.objects.filter(pk=state.pk).update(last_error=webhook_error)

    # The webhook's id and token as the registration stored them.
    for name in ("sync_connection", "connected_at", "disconnected_at", "webhook_webwork_id", "webhook_token"):
        setattr(workspace, name, getattr(locked, name))
    return workspace, queue_first_sync


def _first_sync_missing(workspace, state):
    """Connected, but no first sync ran to its end, none runs and none waits (e.g. its task was lost)."""
    if state.first_sync_ran_at is not None:
        return False
    return not orchestrator.sync_is_running(workspace) and state.waiting() is None


def workspace_disconnect(*, workspace, actor) -> Workspace:
    """Stop keeping `workspace` in sync: remove its webhook at WebWork and take it off the schedules.
    Its mirror is kept as it was; connecting again resumes the syncs. Idempotent. `actor`: the
    Clockroom user who disconnected it (recorded in the audit log)."""
    from ..webhooks.registration import webhook_unregister

    problem = ""
    try:
        with connection_client(workspace_connection(workspace)) as client:
            webhook_unregister(workspace, client)
    except Exception as exc:  # WebWork unreachable or the sign-in gone: disconnect all the same
        logger.warning("Could not remove the webhook of workspace %s: %s", workspace.pk, exc, exc_info=True)
        problem = WEBHOOK_NOT_REMOVED.format(reason=_reason(exc))
    return _workspace_disconnected_store(workspace=workspace, actor=actor, problem=problem)


@transaction.atomic
def _workspace_disconnected_store(*, workspace, actor, problem):
    locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
    if locked.disconnected_at is None:
        now = timezone.now()
        locked.disconnected_at = now
        # Whatever still arrives for the old registration is refused by the intake.
        locked.webhook_token = ""
        locked.save(update_fields=["disconnected_at", "webhook_token", "updated_at"])
        AuditEvent.objects.create(
            workspace=locked,
            actor=actor if getattr(actor, "pk", None) else None,
            action="workspace_disconnect",
            object_type="workspace",
            object_id=str(locked.webwork_id),
            before={"connected_at": locked.connected_at.isoformat() if locked.connected_at else None},
            after={"disconnected_at": now.isoformat()},
            note=problem,
            created_at=now,
        )
    if problem:
        SyncState.objects.filter(workspace=locked).update(last_error=problem)
    workspace.disconnected_at = locked.disconnected_at
    workspace.webhook_token = locked.webhook_token
    return workspace


def connection_workspaces_connect(*, connection) -> list[Workspace]:
    """Connect every workspace `connection`'s user manages that is not connected yet, has no working
    sync connection, or has no finished first sync (e.g. it stopped when a sign-in expired). A
    workspace a manager disconnected stays disconnected. Returns the workspaces connected now or
    whose first sync was queued now (never one whose first sync is already queued, running or done)."""
    if connection.needs_sign_in:
        return []
    accesses = (
        WorkspaceAccess.objects.filter(
            connection=connection, can_manage=True, workspace__disconnected_at=None
        )
        .select_related("workspace__sync_connection", "workspace__sync_state")
        .order_by("workspace__name", "workspace__webwork_id")
    )
    connected = []
    for access in accesses:
        workspace = access.workspace
        syncs_through = workspace.sync_connection
        state = getattr(workspace, "sync_state", None)
        if (
            workspace.connected_at is not None
            and syncs_through is not None
            and not syncs_through.needs_sign_in
            and state is not None
            and state.first_sync_ran_at is not None
        ):
            continue
        workspace, changed = _connect(workspace, connection)
        if changed:
            connected.append(workspace)
    return connected


def _reason(exc):
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(message).rstrip(".")[:300]


@dataclass
class SyncNowAnswer:
    queued: bool
    message: str


def workspace_sync_now(*, workspace) -> SyncNowAnswer:
    """Queue an incremental sync of `workspace`, or say in a manager's words why not (one runs or
    waits already, or the workspace is disconnected)."""
    if not workspace.is_connected:
        return SyncNowAnswer(
            False,
            f"{workspace} is not connected, so Clockroom does not sync it. Signing in with WebWork "
            "as one of its managers connects it.",
        )
    state, _created = SyncState.objects.get_or_create(workspace=workspace)
    progress = state.progress()
    done = f"{progress.requests_done} of {progress.requests_done + progress.requests_remaining} requests done"
    if progress.running:
        return SyncNowAnswer(
            False,
            f"A sync of {workspace} is already running ({done}); it will bring everything up to date.",
        )
    waiting = state.waiting()
    if waiting == "queued":
        return SyncNowAnswer(False, f"A sync of {workspace} is already queued and will start shortly.")
    if waiting == "continuing":
        return SyncNowAnswer(False, f"A sync of {workspace} is under way ({done}) and continues shortly.")
    scheduler.incremental_sync_queue(workspace)
    return SyncNowAnswer(True, f"A sync of {workspace} is queued; this page shows its progress.")


# What `workspace_sync_run` can sync on its own (`resource=`), and how its run can end.
SYNC_RESOURCES = tuple(SYNCS)
SYNC_DONE, SYNC_ALREADY_RUNNING, SYNC_STOPPED, SYNC_LOST_LOCK = (
    orchestrator.DONE,
    orchestrator.ALREADY_RUNNING,
    orchestrator.STOPPED,
    orchestrator.LOST_LOCK,
)


def workspace_sync_run(*, workspace, full=False, resource="", progress=None):
    """Sync `workspace` now, in this process, under the same lock as the scheduled syncs: an
    incremental sync (the first one is full), the history too with `full`, or only `resource`.
    Returns the orchestrator's SyncResult; `progress(plan, step, event)` hears every step."""
    if resource and resource not in SYNC_RESOURCES:
        raise ValueError(f"Unknown resource {resource!r}; one of {', '.join(SYNC_RESOURCES)}.")
    kind = "full" if full else "incremental"
    return orchestrator.workspace_sync(workspace, kind=kind, resource=resource, progress=progress)
