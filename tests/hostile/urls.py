"""Every named dashboard URL, what it reads from the query string and the form, and how to reach it
for a workspace's rows: the table the hostile walks (test_page_parameters.py,
test_isolation_walk.py) go through. A URL pattern added to dashboard/urls.py without a line here
fails `test_every_dashboard_url_is_in_the_table`.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.urls import URLPattern, URLResolver, get_resolver

# The report filters every report page reads (dashboard/selectors/reports.py).
REPORT = ("member", "project", "task", "contract", "period", "from", "to", "by", "then", "saved")
APPROVAL_FILTERS = ("tab", "member", "project", "status", "from", "to", "page")


@dataclass(frozen=True)
class Spec:
    get: tuple = ()  # the query parameters the view reads on GET (and HEAD)
    post: tuple | None = None  # the form fields it reads on POST; None: it answers no POST
    rows: str = ""  # which rows a <webwork_id> names (a key of Rows.path_values()["webwork_id"])
    csv: bool = False  # answers a CSV file, not HTML
    workspace: bool = True  # a page of one workspace (/w/<id>/...)
    elsewhere: str = ""  # walked by another module of the package (e.g. the OAuth callback)


TABLE = {
    "home": Spec(workspace=False),
    "webwork_login": Spec(get=("next",), workspace=False),
    "webwork_callback": Spec(
        get=("state", "code", "error", "error_description"),
        workspace=False,
        elsewhere="test_oauth_callback.py",
    ),
    "logout": Spec(post=(), workspace=False),
    "workspace": Spec(get=("part",)),
    "freshness": Spec(get=("of",)),
    "approvals": Spec(get=APPROVAL_FILTERS),
    "approval_tabs": Spec(get=APPROVAL_FILTERS),
    "approval_bulk_start": Spec(post=("kind", "verb", "item", "scope", "reason", "next", *APPROVAL_FILTERS)),
    "approval_bulk": Spec(get=("rows", "next")),
    "approval_item": Spec(get=("next",), rows="approval"),
    "approval_approve": Spec(post=("next",), rows="approval"),
    "approval_reject": Spec(get=("next",), post=("reason", "next"), rows="approval"),
    "approval_history": Spec(get=("next",), rows="approval"),
    "contracts": Spec(get=("project", "member", "status", "sort", "group", "page")),
    "contract_new": Spec(
        get=("member", "project"),
        post=("member", "project", "weekly_hours_limit", "rate", "screenshots"),
    ),
    "contract": Spec(get=("page", "next"), rows="contract"),
    "contract_edit": Spec(post=("weekly_hours_limit", "rate", "screenshots", "next"), rows="contract"),
    "contract_pause": Spec(post=("next",), rows="contract"),
    "contract_resume": Spec(post=("next",), rows="contract"),
    "contract_delete": Spec(post=("next",), rows="contract"),
    "viewers": Spec(get=("q", "status", "project", "page", "part")),
    "viewer_add": Spec(post=("email", "firstname", "lastname")),
    "viewer": Spec(),
    "viewer_assign": Spec(post=("project",)),
    "viewer_unassign": Spec(post=("project",)),
    "viewer_remove": Spec(post=()),
    "viewer_restore": Spec(post=()),
    "people": Spec(get=("q", "role", "status", "page")),
    "people_invite": Spec(post=("email", "firstname", "lastname", "role")),
    "person": Spec(rows="person"),
    "person_role": Spec(post=("role",), rows="person"),
    "projects": Spec(get=("q", "status", "page")),
    "project": Spec(get=("q", "state", "page"), rows="project"),
    "expenses": Spec(get=("member", "project", "category", "currency", "from", "to", "page", "part")),
    "expenses_csv": Spec(get=("member", "project", "category", "currency", "from", "to"), csv=True),
    "expense_add": Spec(
        post=("name", "date", "amount", "category", "project", "member", "note", "is_billable")
    ),
    "expense": Spec(rows="expense"),
    "expense_edit": Spec(
        post=("name", "date", "amount", "category", "project", "note", "is_billable"), rows="expense"
    ),
    "expense_delete": Spec(post=(), rows="expense"),
    "report_timeline": Spec(get=(*REPORT, "date", "view")),
    "report_timeline_entry": Spec(rows="entry"),
    "report_activity": Spec(get=(*REPORT, "below", "first", "page")),
    "report_activity_csv": Spec(get=(*REPORT, "below", "first"), csv=True),
    "report_tasks": Spec(get=(*REPORT, "page")),
    "report_tasks_csv": Spec(get=REPORT, csv=True),
    "report_descriptions": Spec(get=(*REPORT, "q", "page")),
    "report_descriptions_csv": Spec(get=(*REPORT, "q"), csv=True),
    "reports": Spec(get=REPORT),
    "reports_csv": Spec(get=REPORT, csv=True),
    "report_save": Spec(post=("report", "name", "query")),
    "report_saved": Spec(),
    "report_saved_rename": Spec(post=("name", "query")),
    "report_saved_delete": Spec(post=()),
    "report_attendance": Spec(get=("member", "status", "order", "period", "from", "to", "page", "saved")),
    "report_attendance_csv": Spec(get=("member", "status", "order", "period", "from", "to"), csv=True),
    "report_attendance_fetch": Spec(
        post=("member", "status", "order", "period", "from", "to", "fetch_from", "fetch_to")
    ),
    "audit": Spec(get=("actor", "action", "member", "from", "to", "page")),
    "audit_csv": Spec(get=("actor", "action", "member", "from", "to"), csv=True),
    "sync_health": Spec(get=("page",)),
    "sync_now": Spec(post=()),
    "workspace_disconnect": Spec(post=()),
    "workspace_connect": Spec(post=()),
}


def dashboard_patterns():
    """{URL name: URLPattern} of every named URL of the dashboard (its namespace, walked with
    get_resolver)."""
    found = {}

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace == "dashboard":
                found[entry.name] = entry

    walk(get_resolver().url_patterns, None)
    return found


def url_of(name, rows, **replace):
    """The path of dashboard URL `name` for `rows` (a Rows), any path argument replaced by
    `replace` (quoted as a browser would)."""
    pattern = dashboard_patterns()[name]
    spec = TABLE[name]
    values = rows.path_values()
    kwargs = {}
    for key in pattern.pattern.converters:
        value = values[key]
        kwargs[key] = value[spec.rows] if key == "webwork_id" else value
    kwargs.update(replace)
    path = str(pattern.pattern)
    for key, value in kwargs.items():
        path = re.sub(rf"<(\w+:)?{key}>", lambda _, value=value: quote(str(value), safe=""), path)
    assert "<" not in path, path
    return "/" + path


def path_arguments(name):
    """The text path arguments of `name` a hostile value may take (not the workspace's id)."""
    pattern = dashboard_patterns()[name]
    return [key for key in pattern.pattern.converters if key != "workspace_id"]
