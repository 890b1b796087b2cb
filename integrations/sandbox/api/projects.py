"""Projects: list, create, get, update, archive (GET/POST /projects, GET/PUT/DELETE /projects/{id}).

Archiving (DELETE) keeps the project: it stays listed with `status` 0 and can still be read.
"""

from django import forms
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from ..models import Project
from .base import (
    DayField,
    Response,
    check_date_order,
    day,
    id_in_range,
    iso_micro,
    not_found,
    number,
    paginate,
    route,
    sent_fields,
    sent_null,
    validate,
    validation_error,
    workspace_for,
)


def serialize_project(project, *, sees_rates, contracts_count=None):
    """A project as the API answers it. `contracts_count`: active contracts (counted if not given)."""
    if contracts_count is None:
        contracts_count = project.contracts.filter(status="active").count()
    return {
        "id": project.id,
        "name": project.name,
        "owner_id": project.owner_id,
        "start_date": day(project.start_date),
        "deadline": day(project.deadline),
        "estimation": number(project.estimation),
        "budget_estimation": number(project.budget_estimation),
        "notes": project.notes,
        "icon": project.icon,
        "is_billable": project.is_billable,
        "rate": number(project.rate) if sees_rates else None,
        "weekly_hours_limit": project.weekly_hours_limit,
        "screenshots": project.screenshots,
        "tags": [serialize_tag(tag) for tag in project.tags.all()],
        "contracts_count": contracts_count,
        "status": project.status,
        "created_at": iso_micro(project.created_at),
        "updated_at": iso_micro(project.updated_at),
    }


def serialize_tag(tag):
    """A project tag as WebWork documents it: `{id, name, color}` (color may be null)."""
    return {"id": tag.id, "name": tag.name, "color": tag.color}


# --- Forms --------------------------------------------------------------------


class ProjectFilterForm(forms.Form):
    name = forms.CharField(required=False, max_length=200)


class ProjectForm(forms.Form):
    """The fields of an update; every one optional. `budget` is stored as `budget_estimation`."""

    name = forms.CharField(required=False, max_length=200)
    start_date = DayField()
    deadline = DayField()
    estimation = forms.DecimalField(required=False, min_value=0, max_digits=10, decimal_places=2)
    budget = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    budget_estimation = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    notes = forms.CharField(required=False, max_length=10_000, strip=False)
    icon = forms.CharField(required=False, max_length=100)


class ProjectCreateForm(ProjectForm):
    name = forms.CharField(max_length=200)


# --- Queries ------------------------------------------------------------------


def _projects(workspace):
    """The workspace's projects, archived ones included, each with its count of active contracts
    (and its tags, fetched with the page)."""
    return (
        Project.objects.filter(workspace=workspace)
        .annotate(active_contracts=Count("contracts", filter=Q(contracts__status="active")))
        .prefetch_related("tags")
    )


def _project(workspace, project_id):
    project = _projects(workspace).filter(pk=project_id).first() if id_in_range(project_id) else None
    if project is None:
        raise not_found("Project")
    return project


def _answer(project, caller, **kwargs):
    data = serialize_project(project, sees_rates=caller.sees_rates, contracts_count=project.active_contracts)
    return Response(data, **kwargs)


def _values(request, data):
    """The sent fields of a project form, as model field -> value (`budget` -> `budget_estimation`)."""
    sent = sent_fields(request, ProjectForm.base_fields)
    if "budget" in sent:
        sent.discard("budget_estimation")
    values = {}
    for name in sent:
        target = "budget_estimation" if name == "budget" else name
        values[target] = None if sent_null(request, name) else data[name]
    return values


# --- Operations ---------------------------------------------------------------


def project_list(request):
    workspace, caller = workspace_for(request)
    filters = validate(ProjectFilterForm, request)
    projects = _projects(workspace).order_by("id")
    if filters["name"]:
        projects = projects.filter(name__icontains=filters["name"])
    items, pagination = paginate(request, projects)
    return Response(
        [
            serialize_project(p, sees_rates=caller.sees_rates, contracts_count=p.active_contracts)
            for p in items
        ],
        pagination=pagination,
    )


@transaction.atomic(using="sandbox")
def project_create(request):
    workspace, caller = workspace_for(request)
    data = validate(ProjectCreateForm, request)
    values = _values(request, data)
    check_date_order(
        values.get("start_date"), values.get("deadline"), start_field="start_date", end_field="deadline"
    )
    project = Project.objects.create(workspace=workspace, owner_id=workspace.owner_id, **values)
    project.active_contracts = 0
    return _answer(project, caller, message="Project created successfully", status=201)


def project_detail(request, project_id):
    workspace, caller = workspace_for(request)
    return _answer(_project(workspace, project_id), caller, message="Project retrieved successfully")


@transaction.atomic(using="sandbox")
def project_update(request, project_id):
    workspace, caller = workspace_for(request)
    project = _project(workspace, project_id)
    data = validate(ProjectForm, request)
    values = _values(request, data)
    if "name" in values and not values["name"]:
        raise validation_error({"name": ["The name may not be empty."]})
    for name, value in values.items():
        setattr(project, name, value)
    check_date_order(project.start_date, project.deadline, start_field="start_date", end_field="deadline")
    project.save()
    return _answer(project, caller, message="Project updated successfully")


@transaction.atomic(using="sandbox")
def project_archive(request, project_id):
    """Archive the project (status 0). Archiving an archived project changes nothing."""
    workspace, _caller = workspace_for(request)
    project = _project(workspace, project_id)
    if project.deleted_at is None:
        project.status = Project.Status.ARCHIVED
        project.deleted_at = timezone.now()
        project.save(update_fields=["status", "deleted_at", "updated_at"])
    return Response(None, message="Project archived successfully")


urlpatterns = [
    route("projects", "projects", GET=project_list, POST=project_create),
    route(
        "projects/<int:project_id>",
        "project",
        GET=project_detail,
        PUT=project_update,
        DELETE=project_archive,
    ),
]
