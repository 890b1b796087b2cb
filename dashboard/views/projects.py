"""Projects: each with its members, hours this week and this month and its tasks; a project's
own page with its contracts, its tasks (searchable, with assignees and time spent) and the
project viewers who see it.

The list (`dashboard:projects`) filters by name and status in the query string; htmx (the
filters, the pages) gets the list partial. A project's page (`dashboard:project`) answers htmx
(the task search, the task pages) with its tasks partial.

Projects are named by their WebWork id and looked up within the URL's workspace: another
workspace's id answers 404.
"""

from django.http import Http404

from dashboard.frame import page_context
from dashboard.permissions import workspace_view
from dashboard.selectors.projects import (
    PROJECT_STATUSES,
    TASK_STATES,
    ProjectFilters,
    TaskFilters,
    contracts_for_project,
    project_for_workspace,
    projects_page_for_workspace,
    tasks_page_for_project,
    viewers_for_project,
)
from dashboard.views.overview import partial_response
from dashboard.views.pages import push_clean_url, wants_partial
from integrations.models import Project

LIST_TEMPLATE = "dashboard/projects/list.html"
PROJECT_TEMPLATE = "dashboard/projects/project.html"
LIST_RESOURCES = ("projects", "contracts", "tasks", "time_entries")
PROJECT_RESOURCES = (*LIST_RESOURCES, "project_viewers")


@workspace_view
def projects(request, workspace):
    """The workspace's projects, active first, 50 a page."""
    filters = ProjectFilters.from_query(request.GET)
    found = projects_page_for_workspace(
        workspace=workspace, filters=filters, page=request.GET.get("page") or 1
    )
    today = workspace.today()
    context = {
        "workspace": workspace,
        "filters": filters,
        "projects": found,
        "query": filters.as_query(),
        "week_start": workspace.week_start(today),
        "month_start": today.replace(day=1),
    }
    if wants_partial(request):
        response = partial_response(request, f"{LIST_TEMPLATE}#project-list", context)
        return push_clean_url(response, request, filters.as_query(), found)
    context.update(page_context(request, workspace, section="projects", resources=LIST_RESOURCES))
    context["statuses"] = [(value, label) for value, (label, _) in PROJECT_STATUSES.items()]
    return partial_response(request, LIST_TEMPLATE, context)


@workspace_view
def project(request, workspace, webwork_id):
    """A project's page. htmx (the task search and pages) gets the tasks partial."""
    try:
        found = project_for_workspace(workspace=workspace, webwork_id=webwork_id)
    except Project.DoesNotExist:
        raise Http404("No such project.") from None
    filters = TaskFilters.from_query(request.GET)
    tasks = tasks_page_for_project(
        workspace=workspace, project=found, filters=filters, page=request.GET.get("page") or 1
    )
    context = {
        "workspace": workspace,
        "project": found,
        "task_filters": filters,
        "tasks": tasks,
        "task_query": filters.as_query(),
        "task_states": [(value, label) for value, (label, _) in TASK_STATES.items()],
    }
    if wants_partial(request):
        response = partial_response(request, f"{PROJECT_TEMPLATE}#project-tasks", context)
        return push_clean_url(response, request, filters.as_query(), tasks)
    context.update(page_context(request, workspace, section="projects", resources=PROJECT_RESOURCES))
    context.update(
        contracts=contracts_for_project(workspace=workspace, project=found),
        viewers=viewers_for_project(workspace=workspace, project=found),
        today=workspace.today(),
    )
    return partial_response(request, PROJECT_TEMPLATE, context)
