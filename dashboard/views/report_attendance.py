"""The Attendance report: per member per day, WebWork's statuses (late, left early, tracked less,
absent, on leave, holiday), first start, last end and breaks, with counts per status.

The page (`dashboard:report_attendance`) reads its period, members, statuses and order from the
query string (dashboard.selectors.attendance) and answers the whole page, or for htmx (the
filters, pagination, and the poll while a fetch runs) the report partial with the period's days
out of band. When dates of the period are not in the mirror (older than the recent weeks the
schedule reads), the report says so and asks WebWork for them through
`integrations.services.attendance.attendance_fetch` (`dashboard:report_attendance_fetch`, a POST):
by itself once, when nothing was asked for those dates before, else with a button; while the
fetch runs the report polls every 2 seconds until the dates are there. The CSV
(`dashboard:report_attendance_csv`) streams every row the filters select, times in the
workspace's time zone, stated in its header.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode

from dashboard.frame import page_context, report_tabs, saved_reports_context
from dashboard.permissions import workspace_view
from dashboard.selectors.attendance import (
    ORDERS,
    STATUSES,
    AttendanceFilters,
    attendance_counts_for_workspace,
    attendance_coverage_for_workspace,
    attendance_member_choices,
    attendance_name,
    attendance_page_for_workspace,
    attendance_rows_for_workspace,
)
from dashboard.selectors.reports import PERIODS
from dashboard.templatetags.clockroom import decimal_hours
from dashboard.views.exports import csv_download, csv_writer
from dashboard.views.overview import partial_response
from integrations.services import ServiceError
from integrations.services.attendance import attendance_fetch

TEMPLATE = "dashboard/reports/attendance.html"
URL_NAME = "dashboard:report_attendance"
RESOURCES = ("attendance",)
POLL_SECONDS = 2
CSV_COLUMNS = (
    "Date",
    "Member",
    "Member's WebWork id",
    "Statuses",
    "First start ({zone})",
    "Last end ({zone})",
    "Tracked (hours)",
    "Expected (hours)",
    "Late by (minutes)",
    "Left early by (minutes)",
    "Breaks ({zone})",
    "Breaks (hours)",
)


def _is_partial(request):
    return request.htmx and not request.htmx.history_restore_request


def _page_url(workspace, pairs=()):
    url = reverse(URL_NAME, kwargs={"workspace_id": workspace.webwork_id})
    return f"{url}?{urlencode(list(pairs))}" if pairs else url


def _report_context(request, workspace, filters, *, page=1, fetch_error=""):
    """What the report partial shows: the rows of one page, the counts, what the mirror holds."""
    query = filters.as_query()
    counts = attendance_counts_for_workspace(workspace=workspace, filters=filters)
    base = filters.as_query(statuses=False)
    for status in counts.statuses:
        # A status's count shows only that status; the one shown alone shows every status again.
        only = filters.statuses == (status.key,)
        status.url = _page_url(workspace, base if only else [*base, ("status", status.key)])
    return {
        "workspace": workspace,
        "filters": filters,
        "rows": attendance_page_for_workspace(workspace=workspace, filters=filters, page=page),
        "counts": counts,
        "coverage": attendance_coverage_for_workspace(workspace=workspace, period=filters.period),
        "fetch_error": fetch_error,
        "query": urlencode(query),
        "report_url": _page_url(workspace),
        "every_status_url": _page_url(workspace, base),
        "poll_url": _page_url(workspace, [*query, ("page", page)] if str(page) != "1" else query),
        "poll_seconds": POLL_SECONDS,
    }


@workspace_view
def report_attendance(request, workspace):
    """The report of the query string's period (this week by default), 100 member-days a page."""
    filters = AttendanceFilters.from_query(request.GET, workspace=workspace)
    context = _report_context(request, workspace, filters, page=request.GET.get("page") or 1)
    if _is_partial(request):
        return partial_response(request, f"{TEMPLATE}#attendance-answer", context)
    return partial_response(request, TEMPLATE, _full_page(request, workspace, filters, context))


def _full_page(request, workspace, filters, context):
    context.update(page_context(request, workspace, section="reports", resources=RESOURCES))
    context.update(saved_reports_context(workspace, request.GET.get("saved")))
    context.update(
        report_tabs=report_tabs(workspace, URL_NAME),
        periods=PERIODS,
        statuses=STATUSES,
        orders=ORDERS,
        member_choices=attendance_member_choices(workspace=workspace, chosen=filters.members),
    )
    return context


def _day(value):
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


@workspace_view(methods=("POST",))
def report_attendance_fetch(request, workspace):
    """Ask WebWork for the attendance of `fetch_from`..`fetch_to` (a queued task). The form also
    carries the report's filters: htmx gets the report partial for them (saying it is fetching,
    or why not); a plain POST goes back to the report with a message."""
    filters = AttendanceFilters.from_query(request.POST, workspace=workspace)
    fetch_error = ""
    try:
        fetch = attendance_fetch(
            workspace=workspace,
            date_from=_day(request.POST.get("fetch_from")),
            date_to=_day(request.POST.get("fetch_to")),
            actor=request.user,
        )
    except ServiceError as refused:
        fetch, fetch_error = None, refused.message
    if _is_partial(request):
        context = _report_context(request, workspace, filters, fetch_error=fetch_error)
        return partial_response(request, f"{TEMPLATE}#attendance-answer", context)
    if fetch is None:
        messages.error(request, fetch_error)
    else:
        messages.success(
            request,
            f"Clockroom is asking WebWork for the attendance of {fetch.period_words}; "
            "this page shows it once it is there.",
        )
    return redirect(_page_url(workspace, filters.as_query()))


def _clock(value):
    return value.strftime("%H:%M") if value is not None else ""


def _hours(minutes):
    return decimal_hours(minutes) if minutes is not None else ""


@workspace_view
def report_attendance_csv(request, workspace):
    """Every member-day the filters select (all pages), as CSV, streamed in the report's order;
    clock times in the workspace's time zone, named in the header; durations in decimal hours."""
    filters = AttendanceFilters.from_query(request.GET, workspace=workspace)
    rows = attendance_rows_for_workspace(workspace=workspace, filters=filters)
    writer = csv_writer()
    zone = workspace.zone.key

    def lines():
        yield writer.writerow([column.format(zone=zone) for column in CSV_COLUMNS])
        for row in rows.iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    row.date.isoformat(),
                    attendance_name(row),
                    row.user_webwork_id,
                    ", ".join(str(status) for status in row.statuses),
                    _clock(row.first_start),
                    _clock(row.last_end),
                    _hours(row.tracked_minutes),
                    _hours(row.expected_minutes),
                    "" if row.late_minutes is None else row.late_minutes,
                    "" if row.left_early_minutes is None else row.left_early_minutes,
                    "; ".join(str(item) for item in row.breaks),
                    _hours(row.break_minutes),
                ]
            )

    stamp = timezone.localdate(timezone=workspace.zone).isoformat()
    name = f"attendance-{workspace.webwork_id}-{filters.period.start}-{filters.period.end}-{stamp}.csv"
    return csv_download(lines(), name)
