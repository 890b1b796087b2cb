"""Tasks and their assignees: GET /tasks, one request per project (per 100 tasks of it).

WebWork lists tasks one project at a time, so a project is the consistent unit: its tasks are
fetched, then replaced in one transaction (removals scoped to that project), with the
TaskAssignee rows of each task's `assignees`. A failure mid-way leaves the projects synced so
far fresh and the others as they were. A project WebWork no longer knows (404) has no tasks.

Projects and assigned members are resolved from the mirror's own rows; one it does not have yet
stays recorded as WebWork's id (`project_webwork_id`, `TaskAssignee.user_webwork_id`) and is
never fetched inline. The parent task is kept as `parent_webwork_id`.
"""

import logging

from django.db import transaction

from ..models import Member, Project, Task, TaskAssignee
from ..webwork.errors import AuthError, NotFoundError
from ..webwork.payloads import calendar_day, integer, moment, text
from .base import SyncContext, fetch_all, local_ids, replace_all, replace_links, resource_run, with_ids
from .links import links_resolve
from .owed import PartsFailed

logger = logging.getLogger(__name__)

DEFAULT_PRIORITY = 30  # Normal


def task_row(payload, *, projects=None):
    """A Task row; `projects` maps WebWork project ids to our keys (see `local_ids`)."""
    project_webwork_id = integer(payload.get("project_id"))
    status = integer(payload.get("status"))
    priority = integer(payload.get("priority"))
    return {
        "webwork_id": str(payload["id"]),
        "project_id": (projects or {}).get(str(project_webwork_id)),
        "project_webwork_id": project_webwork_id,
        "parent_webwork_id": integer(payload.get("parent_id")),
        "title": text(payload.get("title"))[:255],
        "status": 0 if status is None else status,
        "priority": DEFAULT_PRIORITY if priority is None else priority,
        "start_date": calendar_day(payload.get("start_date")),
        "end_date": calendar_day(payload.get("end_date")),
        "completed_at": moment(payload.get("completed_at")),
        "raw": payload,
    }


def assignee_ids(payload):
    """The WebWork user ids of a task's `assignees` (objects with an `id`, or bare ids)."""
    ids = []
    for assignee in payload.get("assignees") or []:
        user_id = integer(assignee.get("id") if isinstance(assignee, dict) else assignee)
        if user_id is not None and user_id not in ids:
            ids.append(user_id)
    return ids


def sync_tasks(ctx: SyncContext, project_webwork_ids=None):
    """The tasks of the given projects, or of every project the mirror currently has."""
    full = project_webwork_ids is None
    if full:
        project_webwork_ids = list(
            Project.objects.current()
            .filter(workspace=ctx.workspace)
            .order_by("id")
            .values_list("webwork_id", flat=True)
        )
    with resource_run(ctx, "tasks", scope="" if full else "projects") as stats:
        # WebWork's project ids are integers; anything else names no project.
        wanted = list(dict.fromkeys(str(integer(p)) for p in project_webwork_ids if integer(p) is not None))
        failed = {}
        for project_webwork_id in wanted:
            try:
                try:
                    payloads = fetch_all(ctx, "tasks", {"project_id": project_webwork_id}, stats=stats)
                except NotFoundError:
                    payloads = []
                _replace_project_tasks(ctx, project_webwork_id, payloads, stats)
            except AuthError:
                raise
            except Exception as exc:
                # One project failing does not keep the others' tasks stale.
                logger.warning(
                    "Tasks of project %s in workspace %s failed: %s",
                    project_webwork_id,
                    ctx.workspace_id,
                    exc,
                )
                failed[project_webwork_id] = exc
        if full:
            # Tasks of projects the mirror no longer has are gone with them.
            stats.removed += _remove_tasks_of_other_projects(ctx, project_webwork_ids)
        links_resolve(ctx.workspace, Task)
        if failed:
            raise PartsFailed("tasks", stats, failed, of=len(wanted))
    return stats


def _replace_project_tasks(ctx, project_webwork_id, payloads, stats):
    payloads = with_ids(payloads)
    projects = local_ids(Project, ctx.workspace, [project_webwork_id])
    rows = []
    for payload in payloads:
        row = task_row(payload, projects=projects)
        # Listed under this project: that is where it is, whatever the payload omits.
        row["project_webwork_id"] = integer(project_webwork_id)
        row["project_id"] = projects.get(project_webwork_id)
        rows.append(row)
    with transaction.atomic():
        replace_all(Task, ctx, rows, stats, project_webwork_id=integer(project_webwork_id))
        # The TaskAssignee rows of the project's current tasks: exactly their `assignees`.
        tasks = Task.objects.current().filter(
            workspace=ctx.workspace, project_webwork_id=integer(project_webwork_id)
        )
        replace_links(
            ctx.workspace,
            tasks,
            payloads,
            ids_of=assignee_ids,
            model=TaskAssignee,
            parent="task",
            target="member",
            target_model=Member,
            target_webwork_id="user_webwork_id",
        )


def _remove_tasks_of_other_projects(ctx, project_webwork_ids):
    kept = [p for p in (integer(p) for p in project_webwork_ids) if p is not None]
    return (
        Task.objects.current()
        .filter(workspace=ctx.workspace)
        .exclude(project_webwork_id__in=kept)
        .update(removed_at=ctx.now)
    )
