"""Clockroom's mirror of WebWork, the tenants, and the sync bookkeeping (the `default` database)."""

from .approvals import BulkDecision, BulkDecisionItem
from .attendance import AttendanceFetch, AttendanceStatus, DailyAttendance
from .audit import AuditEvent
from .base import MirrorModel
from .expenses import Expense, ExpenseCategory
from .leaves import LeaveBalance, LeavePolicy, LeaveRequest
from .people import Member, ProjectViewer, ViewerProject
from .sync import ApiBudget, OwedSync, SyncRun, SyncState
from .tenancy import Connection, Workspace, WorkspaceAccess
from .time import DailyActivity, RunningTracker, TimeEntry, TimeRequest, Timesheet
from .webhooks import WebhookDelivery, WebhookRegistration
from .work import Contract, Project, Task, TaskAssignee

__all__ = [
    "ApiBudget",
    "AttendanceFetch",
    "AttendanceStatus",
    "AuditEvent",
    "BulkDecision",
    "BulkDecisionItem",
    "Connection",
    "Contract",
    "DailyActivity",
    "DailyAttendance",
    "Expense",
    "ExpenseCategory",
    "LeaveBalance",
    "LeavePolicy",
    "LeaveRequest",
    "Member",
    "MirrorModel",
    "OwedSync",
    "Project",
    "ProjectViewer",
    "RunningTracker",
    "SyncRun",
    "SyncState",
    "Task",
    "TaskAssignee",
    "TimeEntry",
    "TimeRequest",
    "Timesheet",
    "ViewerProject",
    "WebhookDelivery",
    "WebhookRegistration",
    "Workspace",
    "WorkspaceAccess",
]
