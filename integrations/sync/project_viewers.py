"""Project viewers (clients) and the projects each may see: GET /project-viewers, one request
per 100 viewers. Archived viewers stay listed (status "inactive") with their projects.

Viewers and their links are replaced together in one transaction. A linked project the mirror
does not have yet leaves `project` empty and keeps WebWork's project id.
"""

from django.db import transaction

from ..models import Project, ProjectViewer, ViewerProject
from ..webwork.payloads import integer, moment, text
from .base import SyncContext, fetch_all, replace_all, replace_links, resource_run, with_ids


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


def viewer_links_replace(workspace, viewers, payloads):
    """Make the ViewerProject rows of `viewers` (current rows) exactly their payloads' `projects`."""
    replace_links(
        workspace,
        viewers,
        payloads,
        ids_of=viewer_project_ids,
        model=ViewerProject,
        parent="viewer",
        target="project",
        target_model=Project,
        target_webwork_id="project_webwork_id",
    )


def sync_project_viewers(ctx: SyncContext):
    with resource_run(ctx, "project_viewers") as stats:
        payloads = with_ids(fetch_all(ctx, "project-viewers", stats=stats))
        rows = [project_viewer_row(p) for p in payloads]
        with transaction.atomic():
            replace_all(ProjectViewer, ctx, rows, stats)
            # After the upsert, the current viewers are the listed ones.
            viewers = ProjectViewer.objects.current().filter(workspace=ctx.workspace)
            viewer_links_replace(ctx.workspace, viewers, payloads)
    return stats
