"""Project viewers: the clients of a workspace who see chosen projects, and what they see.

WebWork lists archived viewers too (status "inactive"), with the projects they keep should they be
restored; both are shown here, the archived ones marked "Removed".

What WebWork shows a viewer of the projects they see (rates, screenshots) is a setting of
WebWork's own web app: neither its API (GET /project-viewers answers id, email, names, status,
member_since and projects) nor the sandbox says it, so Clockroom cannot show it. The page says so
rather than guess.

A page of viewers costs a fixed number of queries, however many viewers or projects: the viewers
(one query), their projects (one prefetch query), the count.

Every selector takes `workspace=` and reads only that workspace's rows.
"""

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When

from integrations.models import Project, ProjectViewer, ViewerProject

from .query import webwork_id_from_query

VIEWERS_PER_PAGE = 50
ACTIVE = "active"
REMOVED = "removed"
# WebWork's viewer statuses, in a manager's words.
STATUS_WORDS = {"active": "Active", "inactive": "Removed", "left": "Left"}
VISIBILITY_NOTE = (
    "What each viewer is shown of rates and screenshots is set in WebWork itself; WebWork's API "
    "does not tell Clockroom, so it is not shown here."
)


@dataclass(frozen=True)
class ViewerFilters:
    """The viewers page's filters, as its query string gives them (bad values are ignored)."""

    search: str = ""  # part of a name or an email address
    status: str = ""  # "", "active" or "removed"
    project: str = ""  # a project's WebWork id: the viewers who see it

    @classmethod
    def from_query(cls, query):
        status = query.get("status", "")
        project = query.get("project", "").strip()
        return cls(
            search=" ".join(query.get("q", "").split())[:100],
            status=status if status in (ACTIVE, REMOVED) else "",
            project=webwork_id_from_query(project),
        )

    @property
    def active(self):
        return bool(self.search or self.status or self.project)

    def as_query(self):
        pairs = {"q": self.search, "status": self.status, "project": self.project}
        return {key: value for key, value in pairs.items() if value}


@dataclass
class ShownProject:
    """A project a viewer sees: its WebWork id, its name, and whether the mirror has it."""

    webwork_id: str
    name: str
    known: bool = True
    archived: bool = False


@dataclass
class ViewerRow:
    viewer: ProjectViewer
    projects: list = field(default_factory=list)

    @property
    def webwork_id(self):
        return self.viewer.webwork_id

    @property
    def dom_id(self):
        return f"viewer-{self.viewer.webwork_id}"

    @property
    def name(self):
        return str(self.viewer)

    @property
    def is_active(self):
        return self.viewer.status in ("", "active")

    @property
    def status_key(self):
        return "active" if self.is_active else (self.viewer.status or "active")

    @property
    def status_words(self):
        return STATUS_WORDS.get(self.viewer.status or "active", self.viewer.status.capitalize())


def _links():
    return ViewerProject.objects.select_related("project").order_by(
        "project__name", "project_webwork_id", "pk"
    )


def viewers_for_workspace(*, workspace, filters: ViewerFilters):
    """The workspace's viewers matching `filters` (active ones first, then by name), with their
    projects prefetched."""
    viewers = (
        ProjectViewer.objects.current()
        .filter(workspace=workspace)
        .prefetch_related(Prefetch("viewerproject_set", queryset=_links(), to_attr="links"))
    )
    if filters.search:
        for word in filters.search.split():
            viewers = viewers.filter(
                Q(firstname__icontains=word) | Q(lastname__icontains=word) | Q(email__icontains=word)
            )
    if filters.status == ACTIVE:
        viewers = viewers.filter(Q(status="active") | Q(status=""))
    elif filters.status == REMOVED:
        viewers = viewers.exclude(Q(status="active") | Q(status=""))
    if filters.project:
        viewers = viewers.filter(
            Q(viewerproject__project__webwork_id=filters.project)
            | Q(viewerproject__project_webwork_id=int(filters.project))
        ).distinct()
    order = Case(
        When(Q(status="active") | Q(status=""), then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return viewers.annotate(removed_order=order).order_by("removed_order", "firstname", "lastname", "id")


def viewer_rows(viewers):
    """A ViewerRow for each viewer (their `links` prefetched, see `viewers_for_workspace`)."""
    return [_row(viewer) for viewer in viewers]


def _row(viewer):
    # WebWork's answer names the projects: the name of one the mirror does not have yet.
    listed = viewer.raw.get("projects") if isinstance(viewer.raw, dict) else None
    names = {
        str(link["project_id"]): str(link.get("project_name") or "")
        for link in listed or []
        if isinstance(link, dict) and link.get("project_id") is not None
    }
    links = getattr(viewer, "links", None)
    if links is None:
        links = list(_links().filter(viewer=viewer))
    projects = []
    for link in links:
        if link.project is not None:
            projects.append(
                ShownProject(
                    webwork_id=link.project.webwork_id,
                    name=link.project.name,
                    known=link.project.removed_at is None,
                    archived=link.project.status == 0,
                )
            )
        elif link.project_webwork_id is not None:
            webwork_id = str(link.project_webwork_id)
            projects.append(
                ShownProject(
                    webwork_id=webwork_id, name=names.get(webwork_id) or f"Project {webwork_id}", known=False
                )
            )
    projects.sort(key=lambda project: (project.name.casefold(), project.webwork_id))
    return ViewerRow(viewer=viewer, projects=projects)


def viewer_page_for_workspace(*, workspace, filters: ViewerFilters, page=1):
    """(page, rows): a page of the workspace's viewers and their ViewerRows."""
    page_obj = Paginator(
        viewers_for_workspace(workspace=workspace, filters=filters), VIEWERS_PER_PAGE
    ).get_page(page)
    return page_obj, viewer_rows(page_obj.object_list)


def viewer_row_for_workspace(*, workspace, webwork_id):
    """The ViewerRow of the viewer with `webwork_id` in `workspace`; ProjectViewer.DoesNotExist
    when the workspace has no such (current) viewer."""
    viewer = (
        ProjectViewer.objects.current()
        .prefetch_related(Prefetch("viewerproject_set", queryset=_links(), to_attr="links"))
        .get(workspace=workspace, webwork_id=str(webwork_id))
    )
    return _row(viewer)


def viewer_counts_for_workspace(*, workspace):
    """{"active": n, "removed": n}: the workspace's viewers by state (one query)."""
    viewers = ProjectViewer.objects.current().filter(workspace=workspace).order_by()
    active = Q(status="active") | Q(status="")
    counts = viewers.aggregate(active=Count("pk", filter=active), removed=Count("pk", filter=~active))
    return {key: value or 0 for key, value in counts.items()}


def viewer_project_choices(*, workspace):
    """The workspace's projects (current ones), by name: what the project filter offers."""
    return list(
        Project.objects.current()
        .filter(workspace=workspace)
        .order_by("name", "id")
        .only("webwork_id", "name", "status")
    )


def viewer_assignable_projects(*, workspace, row: ViewerRow):
    """The workspace's projects `row`'s viewer does not see yet, active ones first."""
    seen = {project.webwork_id for project in row.projects}
    return (
        Project.objects.current()
        .filter(workspace=workspace)
        .exclude(webwork_id__in=seen)
        .order_by("-status", "name", "id")
    )
