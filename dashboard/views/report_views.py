"""The Timeline, Activity, Tasks and Descriptions reports: tabs of the Reports section.

Each report reads its period and filters from the query string (`dashboard.selectors.reports`:
presets in the workspace's calendar, member and project ids of this workspace only), answers
the whole page or, for htmx (the filters, pagination), its report partial, and Activity, Tasks
and Descriptions stream a CSV of exactly what the page shows (every page of it), with decimal
hours and the workspace's time zone in the header.
"""

from django.urls import reverse
from django.utils.dateparse import parse_date

from dashboard.frame import report_tabs, saved_reports_context
from dashboard.permissions import workspace_view
from dashboard.selectors.report_data import (
    ACTIVITY_BANDS,
    ACTIVITY_MAX_DAYS,
    MANUAL_METHOD,
    activity_for_workspace,
    activity_page,
    descriptions_for_workspace,
    descriptions_page_for_workspace,
    descriptions_total_for_workspace,
    member_choices_for_workspace,
    project_choices_for_workspace,
    report_query,
    tasks_for_workspace,
    tasks_page_for_workspace,
    tasks_total_for_workspace,
    threshold_from_query,
    timeline_day_for_workspace,
    timeline_entry_for_workspace,
    timeline_week_for_workspace,
)
from dashboard.selectors.reports import PERIODS, ReportFilters
from dashboard.templatetags.clockroom import decimal_hours
from dashboard.views.exports import csv_download, csv_writer
from dashboard.views.overview import partial_response
from dashboard.views.pages import framed, wants_partial

TIME_RESOURCES = ("time_entries", "running_trackers")
Q_MAX = 200  # characters of a description search


def _framed(request, workspace, context, url_name, members, projects):
    """A report's whole page: the frame, the reports' tabs, the saved reports and the filters'
    choices (`*_options`: (id, words) pairs for dashboard/reports/_pick.html)."""
    framed(request, workspace, context, section="reports", resources=TIME_RESOURCES)
    context.update(saved_reports_context(workspace, request.GET.get("saved")))
    context.update(
        report_tabs=report_tabs(workspace, url_name),
        periods=PERIODS,
        member_choices=members,
        project_choices=projects,
        member_options=[(choice.webwork_id, choice.label) for choice in members],
        project_options=[(choice.webwork_id, choice.label) for choice in projects],
    )
    return context


def _choices(workspace):
    return member_choices_for_workspace(workspace=workspace), project_choices_for_workspace(
        workspace=workspace
    )


# --- Timeline -------------------------------------------------------------------------------------


TIMELINE_YEARS = 10  # how far from today the timeline goes (a day beyond is read as today)


def _day(value, today):
    """The day `?date=` names, if it is a date within TIMELINE_YEARS of `today`; else None."""
    try:
        day = parse_date(value) if value else None
    except ValueError:
        return None
    if day is None or abs((day - today).days) > TIMELINE_YEARS * 366:
        return None
    return day


@workspace_view
def report_timeline(request, workspace):
    """One day of the workspace (today by default) as a row of bars per member, or one member's
    week (`?view=week&member=<id>`). htmx (the filters, previous and next) gets the chart."""
    filters = ReportFilters.from_query(request.GET, workspace=workspace)
    members, projects = _choices(workspace)
    today = workspace.today()
    day = _day(request.GET.get("date"), today) or today
    view = "week" if request.GET.get("view") == "week" else "day"
    member = None
    if view == "week":
        member = next((choice for choice in members if choice.webwork_id in filters.members[:1]), None)
        if member is None:
            view = "day"
    if view == "week":
        timeline = timeline_week_for_workspace(workspace=workspace, filters=filters, member=member, day=day)
    else:
        timeline = timeline_day_for_workspace(workspace=workspace, filters=filters, members=members, day=day)
    context = {
        "workspace": workspace,
        "filters": filters,
        "timeline": timeline,
        "view": view,
        "week_asked_without_member": request.GET.get("view") == "week" and member is None,
        "today": today,
        "manual_method": MANUAL_METHOD,
    }
    context["base_query"] = _timeline_query(filters, view)
    # Each bar's link: this prefix and the entry's WebWork id (one reverse, not one per bar).
    context["entry_base"] = reverse(
        "dashboard:report_timeline_entry", kwargs={"workspace_id": workspace.webwork_id, "webwork_id": "-"}
    ).removesuffix("-/")
    if wants_partial(request):
        return partial_response(request, "dashboard/reports/timeline.html#timeline-report", context)
    _framed(request, workspace, context, "dashboard:report_timeline", members, projects)
    return partial_response(request, "dashboard/reports/timeline.html", context)


def _timeline_query(filters, view):
    """The timeline's filters without its day, as query-string pairs (links add `date`)."""
    pairs = [("view", "week")] if view == "week" else []
    pairs += [("member", value) for value in filters.members]
    pairs += [("project", value) for value in filters.projects]
    return pairs


@workspace_view
def report_timeline_entry(request, workspace, webwork_id):
    """One entry of the timeline: start, end, duration, project, task, description. htmx (a bar
    clicked) gets the entry's card; the whole page is a bar's link followed without JavaScript.
    Another workspace's entry (or a deleted one) is not found."""
    entry = timeline_entry_for_workspace(workspace=workspace, webwork_id=webwork_id)
    context = {"workspace": workspace, "entry": entry}
    if wants_partial(request):
        return partial_response(request, "dashboard/reports/timeline.html#timeline-entry", context)
    framed(request, workspace, context, section="reports", resources=TIME_RESOURCES)
    context["report_tabs"] = report_tabs(workspace, "dashboard:report_timeline")
    return partial_response(request, "dashboard/reports/timeline_entry.html", context)


# --- Activity -------------------------------------------------------------------------------------


def _activity(request, workspace):
    filters = ReportFilters.from_query(request.GET, workspace=workspace)
    members, projects = _choices(workspace)
    threshold = threshold_from_query(request.GET.get("below"))
    below_first = threshold is not None and request.GET.get("first") in ("1", "on", "true")
    report = activity_for_workspace(
        workspace=workspace, filters=filters, members=members, threshold=threshold, below_first=below_first
    )
    query = report_query(filters, below=threshold, first="1" if below_first else "")
    return filters, members, projects, report, query, below_first


@workspace_view
def report_activity(request, workspace):
    """Activity level per member per day over the period as a heat map, each member's
    hours-weighted average and the team's; members below `?below=<percent>` are marked (and
    listed first with `&first=1`). htmx gets the report."""
    filters, members, projects, report, query, below_first = _activity(request, workspace)
    context = {
        "workspace": workspace,
        "filters": filters,
        "report": report,
        "rows": activity_page(report, request.GET.get("page") or 1),
        "query": query,
        "below_first": below_first,
        "bands": ACTIVITY_BANDS,
        "max_days": ACTIVITY_MAX_DAYS,
    }
    if wants_partial(request):
        return partial_response(request, "dashboard/reports/activity.html#report-body", context)
    _framed(request, workspace, context, "dashboard:report_activity", members, projects)
    return partial_response(request, "dashboard/reports/activity.html", context)


@workspace_view
def report_activity_csv(request, workspace):
    """The activity heat map as CSV: a row per member (every page), a column per day, their
    average and hours, then the team's average."""
    filters, _, _, report, _, _ = _activity(request, workspace)
    zone = workspace.zone.key

    def rows(writer):
        yield writer.writerow(
            [f"Member (days in {zone})"]
            + [day.isoformat() for day in report.days]
            + ["Average activity (%)", "Hours tracked", "Below threshold"]
        )
        for row in report.rows:
            yield writer.writerow(
                [row.name]
                + ["" if cell.level is None else cell.level for cell in row.cells]
                + [
                    "" if row.average is None else row.average,
                    decimal_hours(row.minutes),
                    ("yes" if row.below else "no") if report.threshold is not None else "",
                ]
            )
        yield writer.writerow(
            ["Team average"]
            + [""] * len(report.days)
            + ["" if report.team_average is None else report.team_average, decimal_hours(report.minutes), ""]
        )

    return _csv_response(workspace, "activity", filters, rows)


# --- Tasks ----------------------------------------------------------------------------------------


@workspace_view
def report_tasks(request, workspace):
    """Time per task over the period, each task with its members' time, most time first; time
    without a task is "No task". htmx gets the report."""
    filters = ReportFilters.from_query(request.GET, workspace=workspace)
    context = {
        "workspace": workspace,
        "filters": filters,
        "tasks": tasks_page_for_workspace(
            workspace=workspace, filters=filters, page=request.GET.get("page") or 1
        ),
        "total": tasks_total_for_workspace(workspace=workspace, filters=filters),
        "query": report_query(filters),
    }
    if wants_partial(request):
        return partial_response(request, "dashboard/reports/tasks.html#report-body", context)
    members, projects = _choices(workspace)
    _framed(request, workspace, context, "dashboard:report_tasks", members, projects)
    return partial_response(request, "dashboard/reports/tasks.html", context)


@workspace_view
def report_tasks_csv(request, workspace):
    """The tasks report as CSV: a row per task and member, then each task's total, then the total."""
    filters = ReportFilters.from_query(request.GET, workspace=workspace)
    period = filters.period
    hours = f"Hours ({period.start.isoformat()} to {period.end.isoformat()}, {workspace.zone.key})"

    def rows(writer):
        yield writer.writerow(["Project", "Task", "Member", hours, "Row"])
        total = 0
        for task in tasks_for_workspace(workspace=workspace, filters=filters):
            for _, name, minutes in task.members:
                yield writer.writerow([task.project_name, task.label, name, decimal_hours(minutes), "member"])
            yield writer.writerow(
                [task.project_name, task.label, "All members", decimal_hours(task.minutes), "task total"]
            )
            total += task.minutes
        yield writer.writerow(["", "All tasks", "All members", decimal_hours(total), "total"])

    return _csv_response(workspace, "tasks", filters, rows)


# --- Descriptions ---------------------------------------------------------------------------------


def _q(request):
    return " ".join((request.GET.get("q") or "").split())[:Q_MAX]


@workspace_view
def report_descriptions(request, workspace):
    """What members wrote about their time over the period, by member and day, with the time
    spent on each description; `?q=` finds the ones that contain it. htmx gets the report."""
    filters = ReportFilters.from_query(request.GET, workspace=workspace)
    q = _q(request)
    context = {
        "workspace": workspace,
        "filters": filters,
        "q": q,
        "groups": descriptions_page_for_workspace(
            workspace=workspace, filters=filters, q=q, page=request.GET.get("page") or 1
        ),
        "total": descriptions_total_for_workspace(workspace=workspace, filters=filters, q=q),
        "query": report_query(filters, q=q),
    }
    if wants_partial(request):
        return partial_response(request, "dashboard/reports/descriptions.html#report-body", context)
    members, projects = _choices(workspace)
    _framed(request, workspace, context, "dashboard:report_descriptions", members, projects)
    return partial_response(request, "dashboard/reports/descriptions.html", context)


@workspace_view
def report_descriptions_csv(request, workspace):
    """The descriptions report as CSV: a row per member, day, description and project."""
    filters = ReportFilters.from_query(request.GET, workspace=workspace)
    q = _q(request)
    zone = workspace.zone.key

    def rows(writer):
        yield writer.writerow(["Member", f"Date ({zone})", "Description", "Project", "Entries", "Hours"])
        for group in descriptions_for_workspace(workspace=workspace, filters=filters, q=q):
            yield writer.writerow(
                [
                    group["member_name"],
                    group["date"].isoformat(),
                    group["description"],
                    group["project_name"],
                    group["entries"],
                    decimal_hours(group["minutes"]),
                ]
            )

    return _csv_response(workspace, "descriptions", filters, rows)


# --- CSV ------------------------------------------------------------------------------------------


def _csv_response(workspace, name, filters, rows):
    """Stream `rows(writer)` (an iterator of written lines) as a CSV download named after the
    report, the workspace and the period."""
    period = filters.period
    stamp = period.start.isoformat() if period.start == period.end else f"{period.start}_{period.end}"
    return csv_download(rows(csv_writer()), f"{name}-{workspace.webwork_id}-{stamp}.csv")
