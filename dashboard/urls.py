from django.urls import path

from dashboard.views import approvals, audit, auth, frame, overview, sync
from dashboard.views import contracts as contract_views
from dashboard.views import expenses as expense_views
from dashboard.views import people as people_views
from dashboard.views import projects as project_views
from dashboard.views import report_attendance as attendance_views
from dashboard.views import report_views as report_pages
from dashboard.views import reports as hours_views
from dashboard.views import viewers as viewer_views

app_name = "dashboard"

urlpatterns = [
    path("", overview.home, name="home"),
    path("auth/webwork/login/", auth.webwork_login, name="webwork_login"),
    path("auth/webwork/callback/", auth.webwork_callback, name="webwork_callback"),
    path("auth/logout/", auth.sign_out, name="logout"),
    # Every workspace page: /w/<the WebWork workspace id>/..., resolved by workspace_for_request.
    path("w/<int:workspace_id>/", overview.workspace_home, name="workspace"),
    path("w/<int:workspace_id>/freshness/", frame.freshness, name="freshness"),
    path("w/<int:workspace_id>/approvals/", approvals.approvals, name="approvals"),
    path("w/<int:workspace_id>/approvals/tabs/", approvals.approval_tabs, name="approval_tabs"),
    path("w/<int:workspace_id>/approvals/bulk/", approvals.approval_bulk_start, name="approval_bulk_start"),
    path("w/<int:workspace_id>/approvals/bulk/<int:bulk_pk>/", approvals.approval_bulk, name="approval_bulk"),
    path(
        "w/<int:workspace_id>/approvals/<slug:kind>/<str:webwork_id>/",
        approvals.approval_item,
        name="approval_item",
    ),
    path(
        "w/<int:workspace_id>/approvals/<slug:kind>/<str:webwork_id>/approve/",
        approvals.approval_approve,
        name="approval_approve",
    ),
    path(
        "w/<int:workspace_id>/approvals/<slug:kind>/<str:webwork_id>/reject/",
        approvals.approval_reject,
        name="approval_reject",
    ),
    path(
        "w/<int:workspace_id>/approvals/<slug:kind>/<str:webwork_id>/history/",
        approvals.approval_history,
        name="approval_history",
    ),
    path("w/<int:workspace_id>/contracts/", contract_views.contracts, name="contracts"),
    path("w/<int:workspace_id>/contracts/new/", contract_views.contract_new, name="contract_new"),
    path("w/<int:workspace_id>/contracts/<str:webwork_id>/", contract_views.contract_detail, name="contract"),
    path(
        "w/<int:workspace_id>/contracts/<str:webwork_id>/edit/",
        contract_views.contract_edit,
        name="contract_edit",
    ),
    path(
        "w/<int:workspace_id>/contracts/<str:webwork_id>/pause/",
        contract_views.contract_pause_view,
        name="contract_pause",
    ),
    path(
        "w/<int:workspace_id>/contracts/<str:webwork_id>/resume/",
        contract_views.contract_resume_view,
        name="contract_resume",
    ),
    path(
        "w/<int:workspace_id>/contracts/<str:webwork_id>/delete/",
        contract_views.contract_delete_view,
        name="contract_delete",
    ),
    path("w/<int:workspace_id>/viewers/", viewer_views.viewers, name="viewers"),
    path("w/<int:workspace_id>/viewers/add/", viewer_views.viewer_add, name="viewer_add"),
    path("w/<int:workspace_id>/viewers/<int:viewer_id>/", viewer_views.viewer, name="viewer"),
    path(
        "w/<int:workspace_id>/viewers/<int:viewer_id>/assign/",
        viewer_views.viewer_assign,
        name="viewer_assign",
    ),
    path(
        "w/<int:workspace_id>/viewers/<int:viewer_id>/unassign/",
        viewer_views.viewer_unassign,
        name="viewer_unassign",
    ),
    path(
        "w/<int:workspace_id>/viewers/<int:viewer_id>/remove/",
        viewer_views.viewer_remove,
        name="viewer_remove",
    ),
    path(
        "w/<int:workspace_id>/viewers/<int:viewer_id>/restore/",
        viewer_views.viewer_restore,
        name="viewer_restore",
    ),
    path("w/<int:workspace_id>/people/", people_views.people, name="people"),
    path("w/<int:workspace_id>/people/invite/", people_views.people_invite, name="people_invite"),
    path("w/<int:workspace_id>/people/<str:webwork_id>/", people_views.person, name="person"),
    path("w/<int:workspace_id>/people/<str:webwork_id>/role/", people_views.person_role, name="person_role"),
    path("w/<int:workspace_id>/projects/", project_views.projects, name="projects"),
    path("w/<int:workspace_id>/projects/<str:webwork_id>/", project_views.project, name="project"),
    path("w/<int:workspace_id>/expenses/", expense_views.expenses, name="expenses"),
    path("w/<int:workspace_id>/expenses/export.csv", expense_views.expenses_csv, name="expenses_csv"),
    path("w/<int:workspace_id>/expenses/add/", expense_views.expense_add, name="expense_add"),
    path("w/<int:workspace_id>/expenses/<str:webwork_id>/", expense_views.expense, name="expense"),
    path(
        "w/<int:workspace_id>/expenses/<str:webwork_id>/edit/",
        expense_views.expense_edit,
        name="expense_edit",
    ),
    path(
        "w/<int:workspace_id>/expenses/<str:webwork_id>/delete/",
        expense_views.expense_delete_view,
        name="expense_delete",
    ),
    path("w/<int:workspace_id>/reports/timeline/", report_pages.report_timeline, name="report_timeline"),
    path(
        "w/<int:workspace_id>/reports/timeline/entries/<str:webwork_id>/",
        report_pages.report_timeline_entry,
        name="report_timeline_entry",
    ),
    path("w/<int:workspace_id>/reports/activity/", report_pages.report_activity, name="report_activity"),
    path(
        "w/<int:workspace_id>/reports/activity/export.csv",
        report_pages.report_activity_csv,
        name="report_activity_csv",
    ),
    path("w/<int:workspace_id>/reports/tasks/", report_pages.report_tasks, name="report_tasks"),
    path(
        "w/<int:workspace_id>/reports/tasks/export.csv",
        report_pages.report_tasks_csv,
        name="report_tasks_csv",
    ),
    path(
        "w/<int:workspace_id>/reports/descriptions/",
        report_pages.report_descriptions,
        name="report_descriptions",
    ),
    path(
        "w/<int:workspace_id>/reports/descriptions/export.csv",
        report_pages.report_descriptions_csv,
        name="report_descriptions_csv",
    ),
    path("w/<int:workspace_id>/reports/", hours_views.reports, name="reports"),
    path("w/<int:workspace_id>/reports/hours.csv", hours_views.reports_csv, name="reports_csv"),
    path("w/<int:workspace_id>/reports/saved/", hours_views.report_save, name="report_save"),
    path("w/<int:workspace_id>/reports/saved/<int:saved_id>/", hours_views.report_saved, name="report_saved"),
    path(
        "w/<int:workspace_id>/reports/saved/<int:saved_id>/rename/",
        hours_views.report_saved_rename,
        name="report_saved_rename",
    ),
    path(
        "w/<int:workspace_id>/reports/saved/<int:saved_id>/delete/",
        hours_views.report_saved_delete,
        name="report_saved_delete",
    ),
    path(
        "w/<int:workspace_id>/reports/attendance/",
        attendance_views.report_attendance,
        name="report_attendance",
    ),
    path(
        "w/<int:workspace_id>/reports/attendance/export.csv",
        attendance_views.report_attendance_csv,
        name="report_attendance_csv",
    ),
    path(
        "w/<int:workspace_id>/reports/attendance/fetch/",
        attendance_views.report_attendance_fetch,
        name="report_attendance_fetch",
    ),
    path("w/<int:workspace_id>/audit/", audit.audit_trail, name="audit"),
    path("w/<int:workspace_id>/audit/export.csv", audit.audit_trail_csv, name="audit_csv"),
    path("w/<int:workspace_id>/sync/", sync.sync_health, name="sync_health"),
    path("w/<int:workspace_id>/sync/now/", sync.sync_now, name="sync_now"),
    path("w/<int:workspace_id>/disconnect/", sync.workspace_disconnect_view, name="workspace_disconnect"),
    path("w/<int:workspace_id>/connect/", sync.workspace_connect_view, name="workspace_connect"),
]
