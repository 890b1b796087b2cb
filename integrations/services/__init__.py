"""Write-through actions: every change a page offers, made at WebWork first.

Each action takes keyword arguments only (`workspace=`, `actor=` the Django user, the mirror
rows and inputs), asks WebWork through the acting manager's sign-in (or the workspace's),
updates the mirror row from WebWork's answer and records an `AuditEvent`. When WebWork refuses
or does not answer, nothing local changes and a `ServiceError` says why in a manager's words
(with `field_errors` for forms). Bulk actions (`timesheets_approve`, `time_requests_approve`,
`leaves_approve`) return one `BulkResult` per item; a bulk decision too long for one request
(`bulk_decision_start`) is queued, and its task (`bulk_decision_run`) stores each item's result.
"""

from .approvals import bulk_decision_run, bulk_decision_start
from .base import UNSET, BulkResult, ServiceError
from .contracts import contract_create, contract_delete, contract_pause, contract_resume, contract_update
from .expenses import expense_create, expense_delete, expense_update
from .leaves import leave_approve, leave_reject, leaves_approve
from .members import member_invite, member_update
from .project_viewers import (
    project_viewer_assign,
    project_viewer_create,
    project_viewer_remove,
    project_viewer_restore,
    project_viewer_unassign,
)
from .time_requests import time_request_approve, time_request_reject, time_requests_approve
from .timesheets import (
    timesheet_approve,
    timesheet_reject,
    timesheet_submit,
    timesheet_unsubmit,
    timesheets_approve,
)

__all__ = [
    "UNSET",
    "BulkResult",
    "ServiceError",
    "bulk_decision_run",
    "bulk_decision_start",
    "contract_create",
    "contract_delete",
    "contract_pause",
    "contract_resume",
    "contract_update",
    "expense_create",
    "expense_delete",
    "expense_update",
    "leave_approve",
    "leave_reject",
    "leaves_approve",
    "member_invite",
    "member_update",
    "project_viewer_assign",
    "project_viewer_create",
    "project_viewer_remove",
    "project_viewer_restore",
    "project_viewer_unassign",
    "time_request_approve",
    "time_request_reject",
    "time_requests_approve",
    "timesheet_approve",
    "timesheet_reject",
    "timesheet_submit",
    "timesheet_unsubmit",
    "timesheets_approve",
]
