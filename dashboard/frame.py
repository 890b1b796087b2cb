"""The frame every workspace page shares: the workspace switcher, the main navigation, and how
fresh the page's data is.

A view builds its context with `page_context(request, workspace, section=..., resources=...)`
and its template extends `dashboard/workspace_base.html`. `resources` are the sync resources
the page shows (e.g. ("timesheets", "time_requests")); the frame says when they were last
synced and warns when their last sync failed or the workspace's sign-in needs renewing.
"""

from django.urls import NoReverseMatch, reverse

from dashboard.selectors.frame import RESOURCE_WORDS, freshness_for_workspace, managed_workspaces_for_user
from dashboard.selectors.query import webwork_id_from_query
from dashboard.selectors.reports import saved_reports_for_workspace

# (section, label, URL name): the main navigation, in a manager's order. A page that does not
# exist yet has no URL and is left out, so no link is dead.
NAVIGATION = (
    ("overview", "Overview", "dashboard:workspace"),
    ("approvals", "Approvals", "dashboard:approvals"),
    ("contracts", "Contracts", "dashboard:contracts"),
    ("people", "People", "dashboard:people"),
    ("projects", "Projects", "dashboard:projects"),
    ("viewers", "Project viewers", "dashboard:viewers"),
    ("expenses", "Expenses", "dashboard:expenses"),
    ("reports", "Reports", "dashboard:reports"),
    ("audit", "Audit trail", "dashboard:audit"),
    ("sync", "Sync health", "dashboard:sync_health"),
)


def navigation(workspace, section):
    """The main navigation of `workspace`'s pages, `section` marked current."""
    items = []
    for key, label, name in NAVIGATION:
        try:
            url = reverse(name, kwargs={"workspace_id": workspace.webwork_id})
        except NoReverseMatch:
            continue
        items.append({"key": key, "label": label, "url": url, "current": key == section})
    return items


def freshness_resources(value):
    """The resource names of a `?of=` query value, keeping only known ones."""
    return tuple(name for name in (value or "").split(",") if name in RESOURCE_WORDS)


def page_context(request, workspace, *, section, resources=()):
    """The frame's part of a workspace page's context."""
    return {
        "workspace": workspace,
        "section": section,
        "navigation": navigation(workspace, section),
        "switcher": managed_workspaces_for_user(request.user),
        "freshness": freshness_for_workspace(workspace=workspace, resources=resources),
        "freshness_of": ",".join(resources),
    }


# The reports, as tabs of the Reports section: (key, label, URL name). A report appears once its
# URL exists. Each report view passes `report_tabs(workspace, "<URL name>")` to its template. The
# key is what a saved report (dashboard.SavedReport.report) names its report by.
REPORTS = (
    ("hours", "Hours", "dashboard:reports"),
    ("timeline", "Timeline", "dashboard:report_timeline"),
    ("activity", "Activity", "dashboard:report_activity"),
    ("attendance", "Attendance", "dashboard:report_attendance"),
    ("tasks", "Tasks", "dashboard:report_tasks"),
    ("descriptions", "Descriptions", "dashboard:report_descriptions"),
)
REPORT_LABELS = {key: label for key, label, _ in REPORTS}
REPORT_URL_NAMES = {key: name for key, _, name in REPORTS}


def report_tabs(workspace, current):
    """The reports' tabs of `workspace`, `current` (a URL name) marked."""
    tabs = []
    for _, label, name in REPORTS:
        try:
            url = reverse(name, kwargs={"workspace_id": workspace.webwork_id})
        except NoReverseMatch:
            continue
        tabs.append({"label": label, "url": url, "current": name == current})
    return tabs


def saved_reports_context(workspace, saved_id=None):
    """The saved reports of `workspace` for the reports' pages (each with its report's label), and
    the one opened (`saved_id`, from `?saved=`; None when it is not one of this workspace's)."""
    saved_reports = saved_reports_for_workspace(workspace=workspace)
    for item in saved_reports:
        item.report_label = REPORT_LABELS.get(item.report, "Report")
    saved = None
    if webwork_id_from_query(saved_id):
        saved = next((item for item in saved_reports if item.pk == int(saved_id)), None)
    return {"saved_reports": saved_reports, "saved": saved}
