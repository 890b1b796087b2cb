"""Project viewers (clients with read-only access to some projects): create, assign a project,
unassign it, remove (archive) and restore.

WebWork answers a create with the viewer; the other actions with `data: null`, after which the
viewer is read again (GET /project-viewers/{id}). The viewer's row and its projects are updated
together from that answer. A refusal (WebWork's 400) is explained by reading again what WebWork
has: the person among the members, the project among the viewer's.
"""

from ..models import Project, ProjectViewer, ViewerProject
from ..sync.project_viewers import project_viewer_row, viewer_links_replace, viewer_project_ids
from ..webwork import errors
from .base import (
    InputErrors,
    created_object,
    own_row,
    read_object,
    record,
    required_text,
    service_client,
    snapshot,
    webwork_int,
    with_article,
    workspace_call,
)
from .members import members_by_email

WHAT = "project viewer"
FIELDS = {
    "email": ("email", "email address"),
    "firstname": ("firstname", "first name"),
    "lastname": ("lastname", "last name"),
    "project_id": ("project", "project"),
}


def project_viewer_create(*, workspace, actor, email, firstname, lastname) -> ProjectViewer:
    """Invite a client as a project viewer (WebWork emails them); give them projects afterwards."""
    inputs = InputErrors()
    body = {
        "email": inputs.take(required_text, email, "email", "Give the viewer's email address."),
        "firstname": inputs.take(required_text, firstname, "firstname", "Give the viewer's first name."),
        "lastname": inputs.take(required_text, lastname, "lastname", "Give the viewer's last name."),
    }
    inputs.raise_any()
    with service_client(workspace, actor) as api:
        result = workspace_call(
            api,
            "POST",
            "project-viewers",
            workspace,
            json=body,
            what=WHAT,
            fields=FIELDS,
            on_refused=lambda exc: _known(api, workspace, body["email"]),
        )
    payload = created_object(
        result, "WebWork invited the viewer but did not say how; they will appear after the next sync."
    )
    return _record(workspace, actor, "project_viewer_create", payload["id"], None, payload)


def project_viewer_assign(*, workspace, actor, viewer, project) -> ProjectViewer:
    """Let `viewer` see `project`."""
    return _project_link(
        workspace,
        actor,
        viewer,
        project,
        action="project_viewer_assign",
        method="POST",
        verb="assign-project",
        already="{viewer} can already see {project}.",
    )


def project_viewer_unassign(*, workspace, actor, viewer, project) -> ProjectViewer:
    """Stop `viewer` seeing `project`."""
    return _project_link(
        workspace,
        actor,
        viewer,
        project,
        action="project_viewer_unassign",
        method="DELETE",
        verb="unassign-project",
    )


def project_viewer_remove(*, workspace, actor, viewer) -> ProjectViewer:
    """Archive a viewer: they lose access, and keep their projects should they be restored."""
    row = own_row(ProjectViewer, workspace, viewer, WHAT)
    return _act(
        workspace,
        actor,
        row,
        action="project_viewer_remove",
        method="DELETE",
        path=f"project-viewers/{row.webwork_id}",
        expected={"status": "inactive"},
    )


def project_viewer_restore(*, workspace, actor, viewer) -> ProjectViewer:
    """Give an archived viewer their access back."""
    row = own_row(ProjectViewer, workspace, viewer, WHAT)
    return _act(
        workspace,
        actor,
        row,
        action="project_viewer_restore",
        method="POST",
        path=f"project-viewers/{row.webwork_id}/restore",
        expected={"status": "active"},
    )


def _project_link(workspace, actor, viewer, project, *, action, method, verb, already=None):
    """Give `viewer` `project`, or take it away (`<method> project-viewers/<id>/<verb>`).
    already: the message of a refusal because the viewer sees the project already (when WebWork,
    read again, lists it among theirs), formatted with the viewer's and the project's names."""
    row = own_row(ProjectViewer, workspace, viewer, WHAT)
    project = own_row(Project, workspace, project, "project")
    message = already and already.format(viewer=_name(row), project=project.name)

    def sees_it(api, exc):
        """`message` when WebWork refused a business rule (not a field: a 422) and, read again,
        lists the project among the viewer's."""
        if isinstance(exc, errors.ValidationError):
            return None
        payload = read_object(api, f"project-viewers/{row.webwork_id}", workspace)
        seen = viewer_project_ids(payload) if isinstance(payload, dict) else []
        return message if str(webwork_int(project)) in {str(i) for i in seen} else None

    return _act(
        workspace,
        actor,
        row,
        action=action,
        method=method,
        path=f"project-viewers/{row.webwork_id}/{verb}",
        body={"project_id": webwork_int(project)},
        note=project.name,
        on_refused=sees_it if message else None,
    )


def _act(workspace, actor, row, *, action, method, path, body=None, note="", expected=None, on_refused=None):
    """on_refused: None, or a function (api, exc) giving the message of a refusal (see `refusal`)."""
    before = _snapshot(row)
    with service_client(workspace, actor) as api:
        workspace_call(
            api,
            method,
            path,
            workspace,
            json=body,
            what=WHAT,
            fields=FIELDS,
            on_refused=(lambda exc: on_refused(api, exc)) if on_refused else None,
        )
        payload = read_object(api, f"project-viewers/{row.webwork_id}", workspace)
    if not isinstance(payload, dict) or str(payload.get("id")) != row.webwork_id:
        payload = None
    return _record(workspace, actor, action, row.webwork_id, before, payload, note=note, expected=expected)


def _record(workspace, actor, action, webwork_id, before, payload, *, note="", expected=None):
    return record(
        workspace=workspace,
        actor=actor,
        action=action,
        model=ProjectViewer,
        object_id=webwork_id,
        before=before,
        row=project_viewer_row(payload) if payload is not None else None,
        changes=expected if payload is None else None,
        note=note,
        related=(lambda viewer: _links_replace(workspace, viewer, payload)) if payload else _projects,
    )


def _links_replace(workspace, viewer, payload):
    """Make the viewer's ViewerProject rows exactly the answer's `projects`; returns the snapshot
    extra (the WebWork ids of the projects the viewer sees)."""
    viewer_links_replace(workspace, ProjectViewer.objects.filter(pk=viewer.pk), [payload])
    return {"projects": sorted(viewer_project_ids(payload))}


def _projects(viewer):
    ids = []
    for link in ViewerProject.objects.filter(viewer=viewer).select_related("project"):
        project_id = link.project_webwork_id
        if project_id is None and link.project is not None:
            project_id = webwork_int(link.project)
        ids.append(project_id)
    return {"projects": sorted(i for i in ids if i is not None)}


def _snapshot(row):
    return snapshot(row, **_projects(row))


def _known(api, workspace, email):
    """Why inviting `email` as a viewer was refused, when WebWork has them in the workspace
    already (archived or not); else None."""
    known = members_by_email(api, workspace, email)
    live = next((m for m in known if not m.get("deleted_at")), None)
    if live is not None:
        role = str(live.get("current_role") or "member")
        return f"{email} is already in {workspace.name}, as {with_article(role.lower())}."
    if any(m.get("current_role") == "Project viewer" for m in known):
        return f"{email} is an archived project viewer of {workspace.name}; restore them instead."
    if known:
        return f"{email} is an archived member of {workspace.name}; they cannot be invited as a viewer."
    return None


def _name(row):
    return f"{row.firstname} {row.lastname}".strip() or row.email
