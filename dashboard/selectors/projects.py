"""The projects of a workspace: who works on them, how much time they take, their tasks and who
else sees them (project viewers, the clients).

Every selector takes `workspace=` and reads only that workspace's rows, as WebWork still lists
them (`.current()`). A page of projects, or of a project's tasks, costs the same queries however
many rows there are: each row's figures are subqueries of the page's one query, and the running
trackers of the page's rows are read in one more query.

Hours count as on every page (`dashboard.selectors.hours`, the overview's rules): the
workspace's week (Monday start) and month, in its time zone; closed entries up to today, an open
entry of this week (a tracker running now) up to `now`.

Tasks: WebWork's statuses 0 (Incomplete) and 10 (Doing) are open; 20 (Done) and 30 (Completed)
are closed. Rates are not shown here (see the contracts page).
"""

from dataclasses import dataclass
from functools import reduce
from operator import and_

from django.core.paginator import Paginator
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.models import Contract, Project, ProjectViewer, Task, TaskAssignee, TimeEntry

from .hours import (
    contracts_with_week_minutes,
    minutes_by,
    running_minutes_by,
    tracked_subquery,
    week_for_workspace,
)
from .people import count_subquery

PROJECTS_PER_PAGE = 50
TASKS_PER_PAGE = 50

OPEN_TASK_STATUSES = (0, 10)
CLOSED_TASK_STATUSES = (20, 30)
TASK_STATUS_WORDS = {0: "Incomplete", 10: "Doing", 20: "Done", 30: "Completed"}
TASK_PRIORITY_WORDS = {10: "Urgent", 20: "High", 30: "Normal", 40: "Low"}

# WebWork's project statuses (1 active, 0 archived), by the filter's value.
PROJECT_STATUSES = {"active": ("Active", 1), "archived": ("Archived", 0)}
TASK_STATES = {"open": ("Open", OPEN_TASK_STATUSES), "closed": ("Closed", CLOSED_TASK_STATUSES)}


def _words(words, *fields):
    return reduce(
        and_, (reduce(lambda q, f: q | Q(**{f"{f}__icontains": w}), fields, Q()) for w in words), Q()
    )


# --- The list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFilters:
    q: str = ""
    status: str = ""

    @classmethod
    def from_query(cls, query):
        status = query.get("status", "")
        return cls(
            q=" ".join(query.get("q", "").split())[:100],
            status=status if status in PROJECT_STATUSES else "",
        )

    @property
    def active(self):
        return bool(self.q or self.status)

    def as_query(self):
        pairs = {"q": self.q, "status": self.status}
        return {key: value for key, value in pairs.items() if value}


def projects_for_workspace(*, workspace, filters: ProjectFilters = ProjectFilters()):
    """The workspace's projects matching `filters`, active first then by name, each annotated
    with members (distinct members with a current contract on it), tasks_open and tasks_closed.
    `projects_with_hours` adds the hours."""
    projects = Project.objects.current().filter(workspace=workspace)
    if filters.q:
        projects = projects.filter(_words(filters.q.split(), "name"))
    if filters.status:
        projects = projects.filter(status=PROJECT_STATUSES[filters.status][1])
    members = (
        Contract.objects.current()
        .filter(workspace=workspace, project=OuterRef("pk"), user_webwork_id__isnull=False)
        .order_by()
        .values("project")
        .annotate(n=Count("user_webwork_id", distinct=True))
        .values("n")
    )
    tasks = Task.objects.current().filter(workspace=workspace, project=OuterRef("pk"))
    return (
        projects.defer("raw")
        .annotate(
            members=Coalesce(Subquery(members, output_field=IntegerField()), 0),
            tasks_open=count_subquery(tasks.filter(status__in=OPEN_TASK_STATUSES)),
            tasks_closed=count_subquery(tasks.filter(status__in=CLOSED_TASK_STATUSES)),
        )
        .order_by("-status", "name", "id")
    )


def projects_with_hours(projects, *, workspace, now=None):
    """Give each project of `projects` `week_minutes` and `month_minutes`: its closed time plus
    the trackers running on it now, up to `now`. Two queries: the closed time of the page's
    projects in one pass over the period's entries, and their running trackers."""
    projects = list(projects)
    week = week_for_workspace(workspace=workspace, now=now)
    hours = {}
    if projects:
        entries = TimeEntry.objects.current().filter(
            workspace=workspace, project__in=[p.pk for p in projects]
        )
        periods = {"week": (week.start, week.today), "month": (week.today.replace(day=1), week.today)}
        hours = minutes_by(entries, week, periods, key="project")
    for project in projects:
        figures = hours.get(project.pk, {})
        project.week_minutes = figures.get("week", 0)
        project.month_minutes = figures.get("month", 0)
        project.tasks_total = project.tasks_open + project.tasks_closed
    return projects


def projects_page_for_workspace(*, workspace, filters: ProjectFilters = ProjectFilters(), page=1, now=None):
    """A page of `projects_for_workspace`, with its hours: four queries."""
    now = now or timezone.now()
    paginated = Paginator(
        projects_for_workspace(workspace=workspace, filters=filters), PROJECTS_PER_PAGE
    ).get_page(page)
    paginated.object_list = projects_with_hours(paginated.object_list, workspace=workspace, now=now)
    return paginated


def project_for_workspace(*, workspace, webwork_id, now=None):
    """The project with WebWork id `webwork_id`, annotated as in the list; Project.DoesNotExist
    for one WebWork does not list in this workspace."""
    found = projects_with_hours(
        projects_for_workspace(workspace=workspace).filter(webwork_id=str(webwork_id))[:1],
        workspace=workspace,
        now=now,
    )
    if not found:
        raise Project.DoesNotExist(f"No project {webwork_id} in {workspace}.")
    return found[0]


# --- One project ------------------------------------------------------------------------------


def contracts_for_project(*, workspace, project, now=None):
    """The project's current contracts, active first then by member, each with `week_minutes`
    (its running trackers up to now): two queries."""
    contracts = (
        Contract.objects.current()
        .filter(workspace=workspace, project=project)
        .select_related("member")
        .order_by(
            "status",
            F("member__firstname").asc(nulls_last=True),
            F("member__lastname").asc(nulls_last=True),
            "id",
        )
    )
    week = week_for_workspace(workspace=workspace, now=now)
    return contracts_with_week_minutes(contracts, workspace=workspace, week=week)


@dataclass(frozen=True)
class TaskFilters:
    q: str = ""
    state: str = ""

    @classmethod
    def from_query(cls, query):
        state = query.get("state", "")
        return cls(q=" ".join(query.get("q", "").split())[:100], state=state if state in TASK_STATES else "")

    @property
    def active(self):
        return bool(self.q or self.state)

    def as_query(self):
        pairs = {"q": self.q, "state": self.state}
        return {key: value for key, value in pairs.items() if value}


def tasks_for_project(*, workspace, project, filters: TaskFilters = TaskFilters(), now=None):
    """The project's current tasks matching `filters` (the search reads titles), open first then
    by title, with their assignees (`assignments`: TaskAssignee rows with their member) and
    `closed_minutes`, the time of their entries but the trackers running now."""
    tasks = Task.objects.current().filter(workspace=workspace, project=project)
    if filters.q:
        tasks = tasks.filter(_words(filters.q.split(), "title"))
    if filters.state:
        tasks = tasks.filter(status__in=TASK_STATES[filters.state][1])
    spent = TimeEntry.objects.current().filter(workspace=workspace, task=OuterRef("pk"))
    assignees = TaskAssignee.objects.select_related("member").order_by(
        F("member__firstname").asc(nulls_last=True), F("member__lastname").asc(nulls_last=True), "id"
    )
    return (
        tasks.annotate(
            closed_minutes=tracked_subquery(spent, week_for_workspace(workspace=workspace, now=now))
        )
        .prefetch_related(Prefetch("taskassignee_set", queryset=assignees, to_attr="assignments"))
        .order_by("status", "title", "id")
    )


def tasks_page_for_project(*, workspace, project, filters: TaskFilters = TaskFilters(), page=1, now=None):
    """A page of the project's tasks, each with `minutes` (closed entries plus a tracker of this
    week running on it now, up to `now`), `status_words`, `priority_words` and `is_open`: four queries."""
    week = week_for_workspace(workspace=workspace, now=now)
    paginated = Paginator(
        tasks_for_project(workspace=workspace, project=project, filters=filters, now=week.now), TASKS_PER_PAGE
    ).get_page(page)
    tasks = list(paginated.object_list)
    running = {}
    if tasks:
        entries = TimeEntry.objects.current().filter(workspace=workspace, task__in=[t.pk for t in tasks])
        running = running_minutes_by(entries, "task", week)
    for task in tasks:
        task.minutes = task.closed_minutes + running.get(task.pk, 0)
        task.status_words = TASK_STATUS_WORDS.get(task.status, f"Status {task.status}")
        task.priority_words = TASK_PRIORITY_WORDS.get(task.priority, "")
        task.is_open = task.status in OPEN_TASK_STATUSES
    paginated.object_list = tasks
    return paginated


def viewers_for_project(*, workspace, project):
    """The project viewers (clients) WebWork lets see the project, by name: one query."""
    return list(
        ProjectViewer.objects.current()
        .filter(workspace=workspace, viewerproject__project=project)
        .distinct()
        .order_by("firstname", "lastname", "id")
    )
