"""Reports: the Hours report (the Reports section's landing page), its CSV, and saved reports.

`dashboard:reports` shows tracked time over a period (this week, last week, this month, last
month or custom days), filtered by members, projects, tasks and contracts, grouped by one or two
of member, project, task, day, week and month, with subtotals, a grand total, amounts per currency
for a manager who may see rates, and a chart of the same numbers. The filters are a GET form;
htmx swaps only the report (`hours-report` partial) and pushes the URL. `dashboard:reports_csv`
is exactly the table (same query string), streamed.

A saved report keeps a report's query string under a name, for every manager of the workspace:
any report (Hours, Timeline, Activity, Attendance, Tasks, Descriptions) can be saved from its page.
`dashboard:report_saved` opens it, reading a relative period such as "last week" on the day it is
opened: the Hours report in place, the others by going to their page with the saved filters and
`saved=<id>` (which names it on the page). Saving, renaming and deleting (after saying what it
does) are plain POST forms that go back with a message. A saved report of another workspace
answers 404.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from dashboard.frame import REPORT_URL_NAMES, page_context, report_tabs, saved_reports_context
from dashboard.models import SavedReport
from dashboard.permissions import workspace_view
from dashboard.saved_reports import (
    SavedReportError,
    saved_report_create,
    saved_report_delete,
    saved_report_rename,
)
from dashboard.selectors.attendance import AttendanceFilters
from dashboard.selectors.contracts import manager_sees_rates
from dashboard.selectors.report_data import report_query, threshold_from_query
from dashboard.selectors.reports import (
    GROUPINGS,
    PERIODS,
    ReportFilters,
    hours_page_for_workspace,
    hours_report_for_workspace,
    report_choices_for_workspace,
    saved_report_for_workspace,
    trackers_running_for_workspace,
)
from dashboard.templatetags.clockroom import duration
from dashboard.views.exports import csv_download, csv_writer
from dashboard.views.overview import partial_response
from dashboard.views.pages import back_with_message
from dashboard.views.report_views import Q_MAX

TEMPLATE = "dashboard/reports/hours.html"
SAVED_TEMPLATE = "dashboard/reports/saved.html"
RESOURCES = ("time_entries", "members", "projects", "tasks", "contracts")
CSV_BATCH = 200  # CSV lines a streamed chunk


class SavedReportForm(forms.Form):
    name = forms.CharField(
        max_length=SavedReport._meta.get_field("name").max_length,
        label="Name",
        error_messages={"required": "Give the report a name."},
    )
    query = forms.CharField(required=False, widget=forms.HiddenInput)


def _htmx(request):
    return bool(request.htmx) and not request.htmx.history_restore_request


def _hours_url(workspace):
    return reverse("dashboard:reports", kwargs={"workspace_id": workspace.webwork_id})


def _for_display(hours):
    """Each shown row's words, made once here rather than by filters in a loop of a thousand rows:
    its time (`7 h 05 min`), its amounts (`1,234.50`), and whether it starts its first-level group."""
    previous = None
    for row in [*hours.rows, hours.total]:
        row.time_text = duration(row.minutes)
        row.amount_texts = ["" if amount is None else f"{amount:,.2f}" for amount in row.cells]
        key = row.first.key if row.first is not None else None
        row.starts_group = row.kind == "row" and key != previous
        previous = key


def _hours_context(request, workspace, query, *, saved=None):
    filters = ReportFilters.from_query(query, workspace=workspace)
    sees_rates = manager_sees_rates(workspace=workspace, user=request.user)
    hours = hours_page_for_workspace(
        workspace=workspace, filters=filters, sees_rates=sees_rates, page=query.get("page") or 1
    )
    _for_display(hours)
    return {
        "workspace": workspace,
        "filters": filters,
        "hours": hours,
        "sees_rates": sees_rates,
        "saved": saved,
        "hours_url": _hours_url(workspace),
        "today": workspace.today(),
        "running": trackers_running_for_workspace(workspace=workspace)
        if filters.period.start <= workspace.today() <= filters.period.end
        else 0,
    }


def _hours_response(request, workspace, query, *, saved=None, save_form=None, status=200):
    context = _hours_context(request, workspace, query, saved=saved)
    if _htmx(request) and save_form is None:
        return partial_response(request, f"{TEMPLATE}#hours-report", context)
    context.update(page_context(request, workspace, section="reports", resources=RESOURCES))
    filters = context["filters"]
    context.update(
        report_tabs=report_tabs(workspace, "dashboard:reports"),
        choices=report_choices_for_workspace(workspace=workspace, filters=filters),
        periods=PERIODS,
        groupings=GROUPINGS,
        saved_reports=saved_reports_context(workspace)["saved_reports"],
        save_form=save_form or SavedReportForm(initial={"query": filters.query_string}),
    )
    response = partial_response(request, TEMPLATE, context)
    response.status_code = status
    return response


@workspace_view
def reports(request, workspace):
    """The Hours report of the query string's period, filters and grouping; htmx gets the report."""
    return _hours_response(request, workspace, request.GET)


# --- CSV -----------------------------------------------------------------------------------------


def _batched(lines, size=CSV_BATCH):
    """CSV text of `lines`, `size` lines a chunk (a chunk a line costs the response more)."""
    writer, chunk = csv_writer(), []
    for line in lines:
        chunk.append(writer.writerow(line))
        if len(chunk) >= size:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _money(value):
    return "" if value is None else f"{value:.2f}"


def hours_csv_rows(report, *, zone_name):
    """The CSV's lines (lists of cells) of an HoursReport: the header, every table row, the total,
    then what the numbers are (period, time zone, filters). Reads the rows as they stream."""
    filters = report.filters
    header = []
    for dimension in report.dimensions:
        if dimension.key == "day":
            header.append(f"Day ({zone_name})")
        elif dimension.key == "week":
            header.append(f"Week from (Monday, {zone_name})")
        elif dimension.key == "month":
            header.append(f"Month ({zone_name})")
        else:
            header.append(dimension.label)
    header += ["Hours", "Minutes"]
    header += [f"Amount ({currency})" if currency else "Amount" for currency in report.currencies]
    yield header
    width = len(report.dimensions)
    for row in report.rows(stream=True):
        if row.kind == "total":
            labels = ["Total"] + [""] * (width - 1)
        elif row.kind == "subtotal":
            labels = [row.first.csv, "Subtotal"]
        else:
            labels = [row.first.csv] + ([row.second.csv] if row.second is not None else [])
        yield [
            *labels,
            f"{row.hours}",
            row.minutes,
            *(_money(value) for value in row.amounts_in(report.currencies)),
        ]
    yield []
    period = filters.period
    yield ["Period", f"{period.start.isoformat()} to {period.end.isoformat()} ({period.label.lower()})"]
    yield ["Time zone", f"{zone_name}: days, weeks and months are this time zone's calendar days"]
    yield ["Filters", filters.words() or "None: all tracked time"]
    yield ["Counted", "Ended time entries; a running tracker counts once it stops"]


@workspace_view
def reports_csv(request, workspace):
    """The Hours report of the query string as CSV: exactly the page's table, streamed (the rows
    are read from the database as they are written), decimal hours, the time zone stated."""
    filters = ReportFilters.from_query(request.GET, workspace=workspace)
    sees_rates = manager_sees_rates(workspace=workspace, user=request.user)
    report = hours_report_for_workspace(workspace=workspace, filters=filters, sees_rates=sees_rates)
    lines = _batched(hours_csv_rows(report, zone_name=workspace.zone.key))
    period = filters.period
    return csv_download(
        lines, f"hours-{workspace.webwork_id}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    )


# --- Saved reports ------------------------------------------------------------------------------


def _saved_or_404(workspace, saved_id):
    try:
        return saved_report_for_workspace(workspace=workspace, saved_id=saved_id)
    except SavedReport.DoesNotExist:
        raise Http404("No such saved report.") from None


def _saved_url(saved):
    return reverse(
        "dashboard:report_saved", kwargs={"workspace_id": saved.workspace.webwork_id, "saved_id": saved.pk}
    )


def _add_errors(form, error):
    for name, problems in error.field_errors.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)
    if not error.field_errors:
        form.add_error(None, error.message)


def saved_report_query(report, query, *, workspace):
    """What a saved `report` keeps of `query`: the report's own filters read again (this
    workspace's ids only, a preset period by its name so it stays relative), nothing else.
    A timeline keeps no day: it opens on the day it is opened."""
    filters = ReportFilters.from_query(query, workspace=workspace)
    if report == "hours":
        return filters.query_string
    if report == "attendance":
        return urlencode(AttendanceFilters.from_query(query, workspace=workspace).as_query())
    if report == "timeline":
        pairs = [("view", "week")] if query.get("view") == "week" else []
        pairs += [("member", value) for value in filters.members]
        pairs += [("project", value) for value in filters.projects]
        return urlencode(pairs)
    extra = {}
    if report == "activity":
        extra["below"] = threshold_from_query(query.get("below"))
        first = extra["below"] is not None and query.get("first") in ("1", "on", "true")
        extra["first"] = "1" if first else ""
    if report == "descriptions":
        extra["q"] = " ".join((query.get("q") or "").split())[:Q_MAX]
    return urlencode(report_query(filters, **extra))


def _report_url(workspace, report, query=""):
    url = reverse(REPORT_URL_NAMES[report], kwargs={"workspace_id": workspace.webwork_id})
    return f"{url}?{query}" if query else url


@workspace_view(methods=("POST",))
def report_save(request, workspace):
    """Keep a report's filters (the form's `report` and `query`, read again so only this
    workspace's ids and relative periods are kept) under a name; then open the saved report.
    A refused name shows the Hours report's form again, or goes back to the other report with
    the reason."""
    report = request.POST.get("report") or "hours"
    if report not in REPORT_URL_NAMES:
        return back_with_message(request, _hours_url(workspace), refusal="That report cannot be saved.")
    form = SavedReportForm(request.POST)
    query = QueryDict(request.POST.get("query", ""))
    kept = saved_report_query(report, query, workspace=workspace)
    if form.is_valid():
        try:
            saved = saved_report_create(
                workspace=workspace,
                user=request.user,
                name=form.cleaned_data["name"],
                query=kept,
                report=report,
            )
        except SavedReportError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Saved “{saved.name}”. Every manager of {workspace.name} can open it.")
            return redirect(_saved_url(saved))
    if report == "hours":
        return _hours_response(request, workspace, query, save_form=form, status=400)
    problems = [problem for problems in form.errors.values() for problem in problems]
    refusal = " ".join(problems) or "The report was not saved."
    return back_with_message(request, _report_url(workspace, report, kept), refusal=f"Not saved: {refusal}")


@workspace_view
def report_saved(request, workspace, saved_id):
    """A saved report, opened with its filters; a relative period is read on today's date."""
    saved = _saved_or_404(workspace, saved_id)
    if saved.report not in REPORT_URL_NAMES:
        raise Http404("No such report.")
    if saved.report != "hours":
        query = f"{saved.query}&saved={saved.pk}" if saved.query else f"saved={saved.pk}"
        return redirect(_report_url(workspace, saved.report, query))
    return _hours_response(request, workspace, QueryDict(saved.query), saved=saved)


def _saved_page(request, workspace, saved, *, mode, form=None, status=200):
    context = page_context(request, workspace, section="reports", resources=())
    context.update(
        report_tabs=report_tabs(workspace, "dashboard:reports"),
        saved=saved,
        mode=mode,
        form=form,
        saved_url=_saved_url(saved),
    )
    return render(request, SAVED_TEMPLATE, context, status=status)


@workspace_view(methods=("GET", "HEAD", "POST"))
def report_saved_rename(request, workspace, saved_id):
    """Rename a saved report: a form (GET), then the report with a message (POST)."""
    saved = _saved_or_404(workspace, saved_id)
    if request.method != "POST":
        return _saved_page(
            request, workspace, saved, mode="rename", form=SavedReportForm(initial={"name": saved.name})
        )
    form = SavedReportForm(request.POST)
    if form.is_valid():
        old = saved.name
        try:
            saved_report_rename(saved_report=saved, name=form.cleaned_data["name"])
        except SavedReportError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Renamed “{old}” to “{saved.name}”.")
            return redirect(_saved_url(saved))
    return _saved_page(request, workspace, saved, mode="rename", form=form, status=400)


@workspace_view(methods=("GET", "HEAD", "POST"))
def report_saved_delete(request, workspace, saved_id):
    """Delete a saved report: a page saying what it does (GET), then the Hours report (POST)."""
    saved = _saved_or_404(workspace, saved_id)
    if request.method != "POST":
        return _saved_page(request, workspace, saved, mode="delete")
    name = saved.name
    saved_report_delete(saved_report=saved)
    messages.success(
        request, f"Deleted the saved report “{name}”. The time it showed is still in every report."
    )
    return redirect(_hours_url(workspace))
