"""What each WebWork event does to the mirror: the event -> handler table.

A handler decides in two steps, so that no database transaction waits on WebWork:

1. It reads the mirror and, when needed, WebWork (outside any transaction), and returns an
   `Outcome`: either `ignore(note)` (a stale or unusable event) or `change(apply, note)`.
2. processing.py runs `apply()` in the transaction that marks the delivery processed, so the
   mirror change and "this event was applied" commit together or not at all.

Member and project events carry a snapshot that may already be out of date, so the object is
read again from WebWork (`GET /members/{id}`, `GET /projects/{id}`) and upserted the way the sync
does; a 404 marks the row removed. That holds for `member.deleted` and `project.deleted` too:
WebWork keeps archived members and projects readable (and listed, with their archived state), so
the mirror keeps them as the sync would, and only an object WebWork no longer has is marked
removed. Tracker events carry everything "who is working now" needs and
are applied from the payload.

Ordering: an event older than the row it would change is ignored. A row read from WebWork at
`synced_at` already reflects every change made before that moment; WebWork's timestamps have
whole seconds, so an event is older only when its second ended before the read (`at + 1 s <=
synced_at`). Trackers compare the session's start time instead: a tracker started at S is ended
by a stop of S (or a later session), never by the stop of an earlier one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.utils import timezone

from ..models import Member, Project, RunningTracker, Task, Workspace
from ..sync.base import local_ids, upsert
from ..sync.links import links_resolve
from ..sync.members import member_row
from ..sync.projects import project_row
from ..webwork import errors
from ..webwork.payloads import integer, moment, text

# WebWork's event timestamps have whole seconds.
TIMESTAMP_PRECISION = timedelta(seconds=1)


@dataclass
class Event:
    """One delivery as a handler sees it."""

    workspace: Workspace
    name: str
    data: dict
    at: datetime | None  # when it happened at WebWork (the body's `timestamp`)
    client: Callable  # gives the workspace's WebWorkClient (made on first use)


@dataclass
class Outcome:
    note: str = ""
    ignored: bool = False
    # Writes the mirror inside the transaction that marks the delivery processed; may return a note.
    apply: Callable[[], str | None] | None = None


def ignore(note):
    return Outcome(note=note, ignored=True)


def change(apply, note=""):
    return Outcome(note=note, apply=apply)


def older_than_row(row, at) -> bool:
    """The event happened before `row` was last read from WebWork: the row already holds its effect."""
    return row is not None and at is not None and at + TIMESTAMP_PRECISION <= row.synced_at


def older_than_row_removal(row, at) -> bool:
    """The row was marked "not there" (e.g. a sync saw no running tracker) after the event happened."""
    return at is not None and row.removed_at is not None and at + TIMESTAMP_PRECISION <= row.removed_at


def _second(value):
    return value.replace(microsecond=0) if value is not None else None


# --- Members and projects: read again from WebWork ------------------------------------


@dataclass(frozen=True)
class Resource:
    label: str
    model: type
    path: str  # "members/{id}"
    to_row: Callable[[dict], dict]


MEMBER = Resource("member", Member, "members/{id}", member_row)
PROJECT = Resource("project", Project, "projects/{id}", project_row)


def _object_id(data, *keys):
    for key in keys:
        value = integer(data.get(key))
        if value is not None and value > 0:  # WebWork's ids are positive
            return value
    return None


def member_changed(event: Event) -> Outcome:
    member_id = _object_id(event.data, "id", "user_id")
    if member_id is None:
        return ignore("The event names no member (no `id` in its data).")
    return reread(event, MEMBER, member_id)


def project_changed(event: Event) -> Outcome:
    project_id = _object_id(event.data, "id", "project_id")
    if project_id is None:
        return ignore("The event names no project (no `id` in its data).")
    return reread(event, PROJECT, project_id)


def reread(event: Event, resource: Resource, object_id: int) -> Outcome:
    """Upsert the object as WebWork has it now (or mark it removed when WebWork no longer has it)."""
    webwork_id = str(object_id)
    row = (
        resource.model.objects.filter(workspace=event.workspace, webwork_id=webwork_id)
        .only("pk", "synced_at")
        .first()
    )
    if older_than_row(row, event.at):
        return ignore(
            f"Older than the mirror's {resource.label} {webwork_id}, read from WebWork at "
            f"{row.synced_at:%Y-%m-%d %H:%M:%S} UTC: nothing to change."
        )
    read_at = timezone.now()
    path = resource.path.format(id=object_id)
    try:
        payload = event.client().get(path, {"workspace_id": event.workspace.webwork_id}).data
    except errors.NotFoundError:
        return change(
            partial(_mark_removed, resource, event.workspace, webwork_id, read_at),
            note=f"WebWork no longer has {resource.label} {webwork_id}: marked removed.",
        )
    if not isinstance(payload, dict):
        raise errors.ServerError(f"WebWork answered GET /{path} without the {resource.label}.", path=path)
    payload = {**payload, "id": payload.get("id") or object_id}
    values = resource.to_row(payload)
    return change(
        partial(_upsert_read, resource, event.workspace, values, read_at),
        note=f"{resource.label.capitalize()} {webwork_id} read again from WebWork and updated.",
    )


def _newer_read_exists(resource, workspace, webwork_id, read_at):
    return resource.model.objects.filter(
        workspace=workspace, webwork_id=webwork_id, synced_at__gt=read_at
    ).exists()


def _upsert_read(resource, workspace, values, read_at):
    if _newer_read_exists(resource, workspace, values["webwork_id"], read_at):
        return f"A newer read of {resource.label} {values['webwork_id']} was applied meanwhile; kept it."
    upsert(resource.model, workspace, [values], now=read_at)
    links_resolve(workspace, resource.model)  # rows that arrived before this member or project
    return None


def _mark_removed(resource, workspace, webwork_id, read_at):
    if _newer_read_exists(resource, workspace, webwork_id, read_at):
        return f"A newer read of {resource.label} {webwork_id} was applied meanwhile; kept it."
    rows = resource.model.objects.filter(workspace=workspace, webwork_id=webwork_id)
    if not rows.exists():
        return f"WebWork no longer has {resource.label} {webwork_id}, and the mirror never had it."
    rows.filter(removed_at__isnull=True).update(removed_at=read_at)
    rows.update(synced_at=read_at)
    return None


# --- Trackers: who is working now, from the payload --------------------------------------


def _tracker_values(event: Event, user_id, started_at):
    data = event.data
    project_id, task_id = integer(data.get("project_id")), integer(data.get("task_id"))
    members = local_ids(Member, event.workspace, [user_id])
    projects = local_ids(Project, event.workspace, [project_id])
    tasks = local_ids(Task, event.workspace, [task_id])
    return {
        "webwork_id": str(user_id),
        "member_id": members.get(str(user_id)),
        "project_id": projects.get(str(project_id)),
        "task_id": tasks.get(str(task_id)),
        "project_webwork_id": project_id,
        "task_webwork_id": task_id,
        "contract_webwork_id": integer(data.get("contract_id")),
        "started_at": started_at,
        "activity_description": text(data.get("activity_description")),
        "raw": data,
    }


def _tracker_row(event, user_id):
    return RunningTracker.objects.filter(workspace=event.workspace, webwork_id=str(user_id)).first()


def tracker_started(event: Event) -> Outcome:
    user_id = _object_id(event.data, "user_id")
    started_at = moment(event.data.get("start_time")) or event.at
    if user_id is None or started_at is None:
        return ignore("The event names no member or no start time.")
    row = _tracker_row(event, user_id)
    if row is not None and _second(row.started_at) >= _second(started_at):
        state = "stopped" if row.removed_at else "running"
        return ignore(
            f"The mirror already knows this tracker (or a later one) of member {user_id} ({state})."
        )
    if row is not None and row.removed_at is not None and older_than_row_removal(row, event.at):
        return ignore(f"Member {user_id} was seen not tracking after this event.")
    values = _tracker_values(event, user_id, started_at)
    return change(
        partial(_tracker_start, event.workspace, values),
        note=f"Member {user_id} is working since {started_at:%Y-%m-%d %H:%M:%S %z}.",
    )


def tracker_stopped(event: Event) -> Outcome:
    user_id = _object_id(event.data, "user_id")
    stopped_at = moment(event.data.get("stopped_at")) or event.at or timezone.now()
    started_at = moment(event.data.get("start_time")) or stopped_at
    if user_id is None:
        return ignore("The event names no member.")
    row = _tracker_row(event, user_id)
    if row is not None and _second(row.started_at) > _second(started_at):
        return ignore(f"Member {user_id} has started a later tracker; it keeps running.")
    if row is not None and row.removed_at is not None and _second(row.started_at) >= _second(started_at):
        return ignore(f"The mirror already has this tracker of member {user_id} stopped.")
    # Recorded even when the start was never seen, so a late tracker.started of it changes nothing.
    values = _tracker_values(event, user_id, started_at)
    return change(
        partial(_tracker_stop, event.workspace, values, stopped_at),
        note=f"Member {user_id} stopped tracking at {stopped_at:%Y-%m-%d %H:%M:%S %z}.",
    )


def _tracker_start(workspace, values):
    upsert(RunningTracker, workspace, [values])


def _tracker_stop(workspace, values, stopped_at):
    upsert(RunningTracker, workspace, [values])
    RunningTracker.objects.filter(workspace=workspace, webwork_id=values["webwork_id"]).update(
        removed_at=stopped_at
    )


HANDLERS: dict[str, Callable[[Event], Outcome]] = {
    "tracker.started": tracker_started,
    "tracker.stopped": tracker_stopped,
    "member.invited": member_changed,
    "member.updated": member_changed,
    "member.deleted": member_changed,
    "member.activated": member_changed,
    "member.archived": member_changed,
    "project.created": project_changed,
    "project.updated": project_changed,
    "project.deleted": project_changed,
}

EVENTS = tuple(HANDLERS)
