"""Tasks: list, create, get, update, delete, assign, unassign, assignees.

GET/POST /tasks, GET/PUT/DELETE /tasks/{id}, POST /tasks/{id}/assign/{userId},
DELETE /tasks/{id}/unassign/{userId}, GET /tasks/{id}/assignees.

`project_id` names the task's project on the single-task operations; when sent, it must be the
task's project (404 otherwise). Deleting a task is soft: it disappears from every answer.
"""

from django import forms
from django.db import transaction
from django.utils import timezone

from ..models import Contract, Membership, Project, Task, TaskAssignee
from ..models.accounts import Role
from .base import (
    ApiError,
    DayField,
    IdField,
    Response,
    check_date_order,
    day,
    id_in_range,
    int_list,
    iso,
    iso_micro,
    member_of,
    not_found,
    paginate,
    route,
    sent_fields,
    sent_null,
    validate,
    validation_error,
    workspace_for,
)

# WebWork's task board colours (its docs name the field, not the values).
STATUS_COLORS = {
    Task.Status.INCOMPLETE: "#9E9E9E",
    Task.Status.DOING: "#2196F3",
    Task.Status.DONE: "#4CAF50",
    Task.Status.COMPLETED: "#00897B",
}
FINISHED = frozenset({Task.Status.DONE, Task.Status.COMPLETED})
TASK_CREATOR_ROLES = frozenset({Role.OWNER, Role.EXECUTIVE_MANAGER, Role.PROJECT_MANAGER, Role.TEAM_MANAGER})
ORDERINGS = {
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "title": ("title", "id"),
    "priority": ("priority", "id"),
    "status": ("status", "id"),
}


def serialize_assignee(user):
    return {"id": user.id, "firstname": user.firstname, "lastname": user.lastname, "email": user.email}


def serialize_task(task):
    """A task as the API answers it (its assignees prefetched)."""
    return {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "project_id": task.project_id,
        "parent_id": task.parent_id,
        "owner_id": task.owner_id,
        "creator_id": task.creator_id,
        "status": task.status,
        "status_name": Task.Status(task.status).label,
        "status_color": STATUS_COLORS[task.status],
        "priority": task.priority,
        "priority_name": Task.Priority(task.priority).label,
        "start_date": day(task.start_date),
        "end_date": day(task.end_date),
        "completed_at": iso(task.completed_at),
        "has_details": bool(task.description),
        "assignees": [serialize_assignee(user) for user in task.assignees.all()],
        "created_at": iso_micro(task.created_at),
        "updated_at": iso_micro(task.updated_at),
        "deleted_at": iso_micro(task.deleted_at),
    }


# --- Forms --------------------------------------------------------------------


def _choice_field(enum):
    return forms.TypedChoiceField(
        required=False, choices=[(v, str(v)) for v in enum.values], coerce=int, empty_value=None
    )


class TaskFilterForm(forms.Form):
    project_id = IdField()
    contract_id = IdField()
    parent_id = IdField()
    status = _choice_field(Task.Status)
    priority = _choice_field(Task.Priority)
    order_by = forms.ChoiceField(
        required=False,
        choices=[(key, key) for key in ORDERINGS],
        error_messages={"invalid_choice": f"Order by one of: {', '.join(ORDERINGS)}."},
    )


class TaskUpdateForm(forms.Form):
    title = forms.CharField(required=False, max_length=255)
    description = forms.CharField(required=False, max_length=20_000, strip=False)
    status = _choice_field(Task.Status)
    priority = _choice_field(Task.Priority)
    start_date = DayField()
    end_date = DayField()
    parent_id = IdField()


class TaskCreateForm(TaskUpdateForm):
    project_id = IdField(required=True)
    title = forms.CharField(max_length=255)


class ProjectRefForm(forms.Form):
    project_id = IdField()


# --- Queries ------------------------------------------------------------------


def _tasks(workspace):
    return Task.objects.filter(workspace=workspace, deleted_at__isnull=True).prefetch_related("assignees")


def _in_workspace(model, workspace, object_id, what):
    found = model.objects.filter(workspace=workspace, pk=object_id).first()
    if found is None:
        raise not_found(what)
    return found


def _task(request, workspace, task_id):
    """The live task `task_id` of the workspace; 404 unless it is in the `project_id` sent (if any)."""
    project_id = validate(ProjectRefForm, request)["project_id"]
    task = _tasks(workspace).filter(pk=task_id).first() if id_in_range(task_id) else None
    if task is None or (project_id is not None and task.project_id != project_id):
        raise not_found("Task")
    return task


def _project_for_task(workspace, project_id):
    project = Project.objects.filter(workspace=workspace, pk=project_id).first()
    if project is None:
        raise validation_error(
            {"project_id": ["The selected project_id is not a project of this workspace."]}
        )
    if project.status == Project.Status.ARCHIVED:
        raise validation_error({"project_id": ["The project is archived; tasks cannot be added to it."]})
    return project


def _parent_for(project, parent_id, *, task=None):
    """The parent task: a live task of the same project that is not `task` nor one of its subtasks."""
    parents = dict(
        Task.objects.filter(project=project, deleted_at__isnull=True).values_list("id", "parent_id")
    )
    if parent_id not in parents:
        raise validation_error({"parent_id": ["The parent_id must be a task of the same project."]})
    ancestor, seen = parent_id, set()
    while ancestor is not None and ancestor not in seen:
        if task is not None and ancestor == task.id:
            raise validation_error({"parent_id": ["A task cannot be placed under itself or its subtasks."]})
        seen.add(ancestor)
        ancestor = parents.get(ancestor)
    return parent_id


def _assignee_ids(request, workspace):
    """The `assignees` user ids, all members of the workspace (project viewers cannot be assigned)."""
    ids = list(dict.fromkeys(int_list(request, "assignees")))
    valid = [i for i in ids if id_in_range(i)]
    members = set(
        Membership.objects.filter(workspace=workspace, user_id__in=valid, deleted_at__isnull=True)
        .exclude(role=Role.PROJECT_VIEWER)
        .values_list("user_id", flat=True)
    )
    strangers = [str(i) for i in ids if i not in members]
    if strangers:
        raise validation_error({"assignees": [f"Not members of this workspace: {', '.join(strangers)}."]})
    return ids


def _set_status(task, status):
    if status in FINISHED and task.status not in FINISHED:
        task.completed_at = timezone.now()
    elif status not in FINISHED:
        task.completed_at = None
    task.status = status


def _fresh(task):
    return _tasks(task.workspace_id).get(pk=task.pk)


# --- Operations ---------------------------------------------------------------


def task_list(request):
    workspace, _caller = workspace_for(request)
    filters = validate(TaskFilterForm, request)
    tasks = _tasks(workspace).order_by(*ORDERINGS.get(filters["order_by"] or "", ("id",)))
    if filters["project_id"] is not None:
        tasks = tasks.filter(project=_in_workspace(Project, workspace, filters["project_id"], "Project"))
    if filters["contract_id"] is not None:
        contract = _in_workspace(Contract, workspace, filters["contract_id"], "Contract")
        tasks = tasks.filter(project_id=contract.project_id, assignees=contract.user_id)
    for name in ("parent_id", "status", "priority"):
        if filters[name] is not None:
            tasks = tasks.filter(**{name: filters[name]})
    items, pagination = paginate(request, tasks)
    return Response([serialize_task(t) for t in items], pagination=pagination)


@transaction.atomic(using="sandbox")
def task_create(request):
    workspace, caller = workspace_for(request, roles=TASK_CREATOR_ROLES)
    data = validate(TaskCreateForm, request)
    project = _project_for_task(workspace, data["project_id"])
    check_date_order(data["start_date"], data["end_date"], start_field="start_date", end_field="end_date")
    parent_id = _parent_for(project, data["parent_id"]) if data["parent_id"] is not None else None
    assignees = _assignee_ids(request, workspace)
    task = Task(
        workspace=workspace,
        project=project,
        parent_id=parent_id,
        owner_id=project.owner_id,
        creator_id=caller.user_id,
        title=data["title"],
        description=data["description"] or None,
        priority=Task.Priority.NORMAL if data["priority"] is None else data["priority"],
        start_date=data["start_date"],
        end_date=data["end_date"],
    )
    _set_status(task, Task.Status.INCOMPLETE if data["status"] is None else data["status"])
    task.save()
    TaskAssignee.objects.bulk_create([TaskAssignee(task=task, user_id=user_id) for user_id in assignees])
    return Response(serialize_task(_fresh(task)), message="Task created successfully", status=201)


def task_detail(request, task_id):
    workspace, _caller = workspace_for(request)
    return Response(serialize_task(_task(request, workspace, task_id)), message="Task retrieved successfully")


@transaction.atomic(using="sandbox")
def task_update(request, task_id):
    workspace, _caller = workspace_for(request)
    task = _task(request, workspace, task_id)
    data = validate(TaskUpdateForm, request)
    sent = sent_fields(request, TaskUpdateForm.base_fields)
    if "title" in sent:
        if not data["title"]:
            raise validation_error({"title": ["The title may not be empty."]})
        task.title = data["title"]
    if "description" in sent:
        task.description = None if sent_null(request, "description") else data["description"]
    if "status" in sent and data["status"] is not None:
        _set_status(task, data["status"])
    if "priority" in sent and data["priority"] is not None:
        task.priority = data["priority"]
    for name in ("start_date", "end_date"):
        if name in sent:
            setattr(task, name, data[name])
    if "parent_id" in sent:
        parent_id = data["parent_id"]
        task.parent_id = None if parent_id is None else _parent_for(task.project_id, parent_id, task=task)
    check_date_order(task.start_date, task.end_date, start_field="start_date", end_field="end_date")
    task.save()
    return Response(serialize_task(_fresh(task)), message="Task updated successfully")


@transaction.atomic(using="sandbox")
def task_delete(request, task_id):
    workspace, _caller = workspace_for(request)
    task = _task(request, workspace, task_id)
    task.deleted_at = timezone.now()
    task.save(update_fields=["deleted_at", "updated_at"])
    return Response(None, message="Task deleted successfully")


@transaction.atomic(using="sandbox")
def task_assign(request, task_id, user_id):
    workspace, _caller = workspace_for(request)
    task = _task(request, workspace, task_id)
    member = member_of(workspace, user_id if id_in_range(user_id) else 0)
    if TaskAssignee.objects.filter(task=task, user_id=member.user_id).exists():
        raise ApiError(400, f"{member.user.full_name} is already assigned to this task.", error="Bad Request")
    TaskAssignee.objects.create(task=task, user_id=member.user_id)
    return Response(None, message="User assigned to task successfully")


@transaction.atomic(using="sandbox")
def task_unassign(request, task_id, user_id):
    workspace, _caller = workspace_for(request)
    task = _task(request, workspace, task_id)
    assignment = (
        TaskAssignee.objects.filter(task=task, user_id=user_id).first() if id_in_range(user_id) else None
    )
    if assignment is None:
        raise validation_error({"user_id": [f"User {user_id} is not assigned to this task."]})
    assignment.delete()
    return Response(None, message="User unassigned from task successfully")


def task_assignees(request, task_id):
    workspace, _caller = workspace_for(request)
    task = _task(request, workspace, task_id)
    return Response([serialize_assignee(user) for user in task.assignees.all()])


urlpatterns = [
    route("tasks", "tasks", GET=task_list, POST=task_create),
    route("tasks/<int:task_id>", "task", GET=task_detail, PUT=task_update, DELETE=task_delete),
    route("tasks/<int:task_id>/assign/<int:user_id>", "task-assign", POST=task_assign),
    route("tasks/<int:task_id>/unassign/<int:user_id>", "task-unassign", DELETE=task_unassign),
    route("tasks/<int:task_id>/assignees", "task-assignees", GET=task_assignees),
]
