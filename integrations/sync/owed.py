"""What a sync still owes: the parts of its steps that failed, retried with backoff until they succeed.

A step is done only when every request of it succeeded. When one fails, the part that failed is
recorded as an `OwedSync` row: one date of time entries or attendance (the other dates of the step
are still read), one project's tasks, or else the step's whole listing. Every plan, whatever its scope,
retries the parts whose time has come (`retry_at`) unless one of its own steps covers them, and
any step that succeeds settles the parts it covers, so no failure waits for a manual full sync.

Backoff: 2 minutes after the first failure, doubling with each attempt, at most an hour apart.
"""

import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import OwedSync, Project

logger = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(minutes=2)
BACKOFF_MAX = timedelta(hours=1)
KEY_LENGTH = OwedSync._meta.get_field("key").max_length
LABEL_LENGTH = OwedSync._meta.get_field("label").max_length
# The resources synced date by date (a step's `dates`), each date owed on its own: what a date is of.
DATED = {"time_entries": "time entries", "attendance": "attendance"}


class PartsFailed(Exception):
    """Some parts of a resource sync failed; the others were synced and written.

    `failed` maps each failed part's key (a date's ISO form, a project's WebWork id) to its error;
    `stats` counts what the parts that succeeded changed.
    """

    def __init__(self, resource, stats, failed: dict, of: int):
        self.resource = resource
        self.stats = stats
        self.failed = failed
        self.of = of
        first = next(iter(failed.values()))
        super().__init__(
            f"{len(failed)} of {of} {_unit(resource, of)} failed ({', '.join(failed)}); "
            f"the first: {type(first).__name__}: {first}"
        )


def _unit(resource, count):
    noun = "date" if resource in DATED or resource == "running_trackers" else "project"
    return noun if count == 1 else f"{noun}s"


@dataclass(frozen=True)
class Part:
    """A part of a sync that can be owed and retried on its own."""

    resource: str
    key: str
    params: dict
    label: str


def backoff(attempts):
    """How long to wait before the next try after `attempts` failed ones."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempts - 1))


def _key_of(params):
    return json.dumps(params, sort_keys=True, default=str)[:KEY_LENGTH] if params else ""


def _day_label(iso, what="time entries"):
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return f"{what} of {iso}"
    return f"{what} of {day:%a} {day.day} {day:%b %Y}"


def part_of(resource, key, *, name="", project_names=None):
    """The owed part of `resource` with `key` (see `step_parts`); `project_names` ({WebWork id:
    name}) names the project of a part of tasks."""
    if resource in DATED:
        return Part(resource, key, {"dates": [key]}, _day_label(key, DATED[resource]))
    if resource == "tasks" and key:
        project = (project_names or {}).get(key)
        label = f"tasks of project {project}" if project else f"tasks of project #{key}"
        return Part(resource, key, {"project_webwork_ids": [key]}, label[:LABEL_LENGTH])
    return Part(resource, key, {}, name or resource.replace("_", " "))


def step_parts(step) -> list[Part]:
    """The parts a step syncs: a date each for time entries, a project each for a step over named
    projects' tasks, otherwise the step's listing as one part (its arguments are its key)."""
    if step.resource in DATED:
        return [part_of(step.resource, day) for day in step.params.get("dates", [])]
    if step.resource == "tasks" and step.params.get("project_webwork_ids"):
        return [part_of("tasks", str(pid)) for pid in step.params["project_webwork_ids"]]
    return [Part(step.resource, _key_of(step.params), dict(step.params), step.name[:LABEL_LENGTH])]


def covers(step, owed) -> bool:
    """Whether running `step` syncs the owed part: the same part, or the resource's whole listing."""
    if step.resource != owed.resource:
        return False
    if not step.params:
        return True
    return owed.key in {part.key for part in step_parts(step)}


def record(workspace, step, *, failed=None, error=None, now=None):
    """After `step` ran: owe what failed, settle what it synced.

    failed: {part key: exception} when some parts failed (PartsFailed); error: the exception
    that failed the whole step. Neither: the step succeeded.
    """
    now = now or timezone.now()
    parts = step_parts(step)
    if error is not None:
        owed = [(part, error) for part in parts]
    else:
        owed = [(part_of(step.resource, key), exc) for key, exc in (failed or {}).items()]
    if step.resource == "tasks" and owed:
        # Named after their projects, read in one query.
        names = _project_names(workspace, [part.key for part, _exc in owed])
        owed = [(part_of("tasks", p.key, project_names=names) if p.key else p, exc) for p, exc in owed]
    owed_keys = {part.key for part, _exc in owed}
    with transaction.atomic():
        if error is None:
            # What the step synced is settled: its parts that did not fail, or for a listing of
            # everything (no arguments), every part of the resource but the failed ones.
            settled = OwedSync.objects.filter(workspace=workspace, resource=step.resource)
            if step.params:
                settled = settled.filter(key__in=[part.key for part in parts if part.key not in owed_keys])
            else:
                settled = settled.exclude(key__in=owed_keys)
            settled.delete()
        for part, exc in owed:
            _owe(workspace, part, exc, now)


def _project_names(workspace, webwork_ids):
    return dict(
        Project.objects.filter(workspace=workspace, webwork_id__in=webwork_ids).values_list(
            "webwork_id", "name"
        )
    )


def _owe(workspace, part, exc, now):
    message = f"{type(exc).__name__}: {exc}"[:1000]
    row = (
        OwedSync.objects.select_for_update()
        .filter(workspace=workspace, resource=part.resource, key=part.key)
        .first()
    )
    if row is None:
        OwedSync.objects.create(
            workspace=workspace,
            resource=part.resource,
            key=part.key,
            label=part.label,
            params=part.params,
            since=now,
            attempts=1,
            retry_at=now + backoff(1),
            last_error=message,
        )
        return
    row.attempts += 1
    row.retry_at = now + backoff(row.attempts)
    row.last_error = message
    row.save(update_fields=["attempts", "retry_at", "last_error"])


def owed_due(workspace, now=None):
    """The owed parts whose next try has come, oldest first."""
    return list(OwedSync.objects.filter(workspace=workspace, retry_at__lte=now or timezone.now()))


def owed_prune(workspace, oldest_day):
    """Forget owed dates (of time entries, of attendance) older than any sync reads now (beyond
    the history)."""
    stale = [
        pk
        for pk, key in OwedSync.objects.filter(workspace=workspace, resource__in=DATED).values_list(
            "pk", "key"
        )
        if _before(key, oldest_day)
    ]
    if stale:
        OwedSync.objects.filter(pk__in=stale).delete()
    return len(stale)


def _before(iso, day):
    try:
        return date.fromisoformat(iso) < day
    except ValueError:
        return True


def owed_dates(workspace):
    """The dates whose time entries are owed."""
    days = []
    for key in OwedSync.objects.filter(workspace=workspace, resource="time_entries").values_list(
        "key", flat=True
    ):
        try:
            days.append(date.fromisoformat(key))
        except ValueError:
            continue
    return days
