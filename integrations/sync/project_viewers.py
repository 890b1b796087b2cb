"""Project viewers (clients) and the projects each may see: GET /project-viewers, one request
per 100 viewers. Archived viewers stay listed (status "inactive") with their projects.

Viewers and their links are replaced together in one transaction. A linked project the mirror
does not have yet leaves `project` empty and keeps WebWork's project id.
"""

from django.db import transaction

from ..models import Project, ProjectViewer, ViewerProject
from .base import (
    SyncContext,
    fetch_all,
    integer,
    local_ids,
    mark_removed,
    moment,
    resource_run,
    text,
    upsert,
)


def project_viewer_row(payload):
    return {
        "webwork_id": str(payload["id"]),
        "email": text(payload.get("email"))[:254],
        "firstname": text(payload.get("firstname"))[:100],
        "lastname": text(payload.get("lastname"))[:100],
        "status": text(payload.get("status"))[:16],
        "member_since": moment(payload.get("member_since")),
        "raw": payload,
    }


def viewer_project_ids(payload):
    """The WebWork ids of the projects a viewer may see (`{project_id, ...}` objects or bare ids)."""
    ids = []
    for link in payload.get("projects") or []:
        project_id = integer(link.get("project_id", link.get("id")) if isinstance(link, dict) else link)
        if project_id is not None and project_id not in ids:
            ids.append(project_id)
    return ids


def sync_project_viewers(ctx: SyncContext):
    with resource_run(ctx, "project_viewers") as stats:
        payloads = [
            p
            for p in fetch_all(ctx, "project-viewers", stats=stats)
            if isinstance(p, dict) and p.get("id") not in (None, "")
        ]
        rows = [project_viewer_row(p) for p in payloads]
        with transaction.atomic():
            stats.add(upsert(ProjectViewer, ctx.workspace, rows, now=ctx.now))
            stats.removed += mark_removed(
                ProjectViewer, ctx.workspace, (row["webwork_id"] for row in rows), now=ctx.now
            )
            _replace_links(ctx, payloads)
    return stats


def _replace_links(ctx, payloads):
    """Make the ViewerProject rows of the listed viewers exactly their `projects`."""
    current = ProjectViewer.objects.current().filter(workspace=ctx.workspace)
    viewers = dict(current.values_list("webwork_id", "pk"))  # after the upsert: the listed ones
    wanted_keys = {
        (viewers[str(p["id"])], project_id)
        for p in payloads
        if str(p["id"]) in viewers
        for project_id in viewer_project_ids(p)
    }
    projects = local_ids(Project, ctx.workspace, {project_id for _, project_id in wanted_keys})
    wanted = {(viewer, project_id): projects.get(str(project_id)) for viewer, project_id in wanted_keys}
    existing = {}
    for link in ViewerProject.objects.filter(viewer__in=current).select_related("project"):
        project_id = link.project_webwork_id
        if project_id is None and link.project is not None:
            project_id = integer(link.project.webwork_id)
        existing[(link.viewer_id, project_id)] = link
    stale = [link.pk for key, link in existing.items() if key not in wanted]
    if stale:
        ViewerProject.objects.filter(pk__in=stale).delete()
    ViewerProject.objects.bulk_create(
        [
            ViewerProject(viewer_id=viewer, project_webwork_id=project_id, project_id=project)
            for (viewer, project_id), project in sorted(wanted.items(), key=lambda item: item[0])
            if (viewer, project_id) not in existing
        ]
    )
    changed = []
    for key, link in existing.items():
        if key in wanted and (link.project_id, link.project_webwork_id) != (wanted[key], key[1]):
            link.project_id, link.project_webwork_id = wanted[key], key[1]
            changed.append(link)
    ViewerProject.objects.bulk_update(changed, ["project", "project_webwork_id"])
