"""Project viewers: list, create, get, archive, restore, assign and unassign a project.

GET/POST /project-viewers, GET/DELETE /project-viewers/{id}, POST /project-viewers/{id}/restore,
POST /project-viewers/{id}/assign-project, DELETE /project-viewers/{id}/unassign-project.

A project viewer (a client) is a workspace member with the role "Project viewer"; its id is the
user's id. Archiving keeps the viewer listed with status "inactive" and keeps its projects, so a
restore gives back the same access.
"""

from django import forms
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from ..models import Membership, Project, SandboxUser, ViewerProject
from ..models.accounts import MemberStatus, Role
from .base import (
    ApiError,
    IdField,
    Response,
    id_in_range,
    iso,
    not_found,
    paginate,
    route,
    validate,
    validation_error,
    workspace_for,
)


def serialize_viewer(membership):
    """A viewer as the API answers it (its projects prefetched)."""
    user = membership.user
    return {
        "id": user.id,
        "email": user.email,
        "firstname": user.firstname,
        "lastname": user.lastname,
        "status": membership.status,
        "member_since": iso(membership.created_at),
        "projects": [
            {"project_id": link.project_id, "project_name": link.project.name}
            for link in membership.viewer_projects.all()
        ],
    }


class ViewerFilterForm(forms.Form):
    email = forms.CharField(required=False, max_length=254)


class ViewerCreateForm(forms.Form):
    email = forms.EmailField(max_length=254)
    firstname = forms.CharField(max_length=100)
    lastname = forms.CharField(max_length=100)


class ProjectRefForm(forms.Form):
    project_id = IdField(required=True)


def _viewers(workspace):
    links = ViewerProject.objects.select_related("project").order_by("project_id")
    return (
        Membership.objects.filter(workspace=workspace, role=Role.PROJECT_VIEWER)
        .select_related("user")
        .prefetch_related(Prefetch("viewer_projects", queryset=links))
    )


def _viewer(workspace, viewer_id):
    viewer = _viewers(workspace).filter(user_id=viewer_id).first() if id_in_range(viewer_id) else None
    if viewer is None:
        raise not_found("Project viewer")
    return viewer


def _live(viewer):
    if viewer.deleted_at is not None:
        raise ApiError(
            422,
            f"{viewer.user.email} is archived; restore the viewer first.",
            error="Unprocessable Content",
        )
    return viewer


def _refuse_if_known(workspace, email):
    """400 (a business rule) when the email already belongs to someone of the workspace (archived
    or not), saying what to do instead."""
    existing = (
        Membership.objects.select_related("user")
        .filter(workspace=workspace, user__email__iexact=email)
        .first()
    )
    if existing is None:
        return
    if existing.deleted_at is None:
        message = f"{email} is already a member of this workspace ({existing.role})."
    elif existing.role == Role.PROJECT_VIEWER:
        message = (
            f"{email} is an archived project viewer of this workspace; restore them with "
            f"POST /project-viewers/{existing.user_id}/restore."
        )
    else:
        message = f"{email} is an archived member of this workspace; restore the member instead."
    raise ApiError(400, message, error="Bad Request")


# --- Operations ---------------------------------------------------------------


def viewer_list(request):
    workspace, _caller = workspace_for(request)
    filters = validate(ViewerFilterForm, request)
    viewers = _viewers(workspace).order_by("user_id")
    if filters["email"]:
        viewers = viewers.filter(user__email__iexact=filters["email"])
    items, pagination = paginate(request, viewers)
    return Response([serialize_viewer(v) for v in items], pagination=pagination)


@transaction.atomic(using="sandbox")
def viewer_create(request):
    workspace, _caller = workspace_for(request)
    data = validate(ViewerCreateForm, request)
    _refuse_if_known(workspace, data["email"])
    user = SandboxUser.objects.filter(email__iexact=data["email"]).first()
    if user is None:
        user = SandboxUser.objects.create(
            email=data["email"].lower(), firstname=data["firstname"], lastname=data["lastname"]
        )
    Membership.objects.create(
        workspace=workspace, user=user, role=Role.PROJECT_VIEWER, status=MemberStatus.ACTIVE
    )
    return Response(
        serialize_viewer(_viewer(workspace, user.id)),
        message="Project viewer created successfully",
        status=201,
    )


def viewer_detail(request, viewer_id):
    workspace, _caller = workspace_for(request)
    return Response(
        serialize_viewer(_viewer(workspace, viewer_id)), message="Project viewer retrieved successfully"
    )


@transaction.atomic(using="sandbox")
def viewer_archive(request, viewer_id):
    """Archive the viewer (status "inactive"). Archiving an archived viewer changes nothing."""
    workspace, _caller = workspace_for(request)
    viewer = _viewer(workspace, viewer_id)
    if viewer.deleted_at is None:
        viewer.status = MemberStatus.INACTIVE
        viewer.deleted_at = timezone.now()
        viewer.save(update_fields=["status", "deleted_at", "updated_at"])
    return Response(None, message="Project viewer archived successfully")


@transaction.atomic(using="sandbox")
def viewer_restore(request, viewer_id):
    workspace, _caller = workspace_for(request)
    viewer = _viewer(workspace, viewer_id)
    if viewer.deleted_at is None:
        raise ApiError(
            422,
            f"{viewer.user.email} is not archived; only an archived viewer can be restored.",
            error="Unprocessable Content",
        )
    viewer.status = MemberStatus.ACTIVE
    viewer.deleted_at = None
    viewer.save(update_fields=["status", "deleted_at", "updated_at"])
    return Response(None, message="Project viewer restored successfully")


@transaction.atomic(using="sandbox")
def viewer_assign_project(request, viewer_id):
    workspace, _caller = workspace_for(request)
    viewer = _live(_viewer(workspace, viewer_id))
    project_id = validate(ProjectRefForm, request)["project_id"]
    project = Project.objects.filter(workspace=workspace, pk=project_id).first()
    if project is None:
        raise validation_error(
            {"project_id": ["The selected project_id is not a project of this workspace."]}
        )
    if ViewerProject.objects.filter(viewer=viewer, project=project).exists():
        raise ApiError(400, f"{viewer.user.email} already sees {project.name}.", error="Bad Request")
    ViewerProject.objects.create(viewer=viewer, project=project)
    return Response(None, message="Project assigned to viewer successfully")


@transaction.atomic(using="sandbox")
def viewer_unassign_project(request, viewer_id):
    workspace, _caller = workspace_for(request)
    viewer = _viewer(workspace, viewer_id)
    project_id = validate(ProjectRefForm, request)["project_id"]
    link = ViewerProject.objects.filter(viewer=viewer, project_id=project_id).first()
    if link is None:
        raise validation_error({"project_id": ["The project is not assigned to this viewer."]})
    link.delete()
    return Response(None, message="Project unassigned from viewer successfully")


urlpatterns = [
    route("project-viewers", "project-viewers", GET=viewer_list, POST=viewer_create),
    route("project-viewers/<int:viewer_id>", "project-viewer", GET=viewer_detail, DELETE=viewer_archive),
    route("project-viewers/<int:viewer_id>/restore", "project-viewer-restore", POST=viewer_restore),
    route(
        "project-viewers/<int:viewer_id>/assign-project",
        "project-viewer-assign-project",
        POST=viewer_assign_project,
    ),
    route(
        "project-viewers/<int:viewer_id>/unassign-project",
        "project-viewer-unassign-project",
        DELETE=viewer_unassign_project,
    ),
]
