"""The sandbox's state: the WebWork side of the world, on the `sandbox` database alias."""

from .accounts import Membership, SandboxUser, Workspace
from .control import FaultSettings, RateLimitWindow
from .expenses import Expense, ExpenseCategory
from .leaves import LeaveAllowance, LeavePolicy, LeaveRequest
from .oauth import AccessToken, AuthorizationCode, OAuthApplication, RefreshToken
from .projects import Contract, Project, ProjectTag, ProjectTagging, Task, TaskAssignee, ViewerProject
from .time import RunningTracker, TimeEntry, TimeRequest, Timesheet
from .webhooks import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "AccessToken",
    "AuthorizationCode",
    "Contract",
    "Expense",
    "ExpenseCategory",
    "FaultSettings",
    "LeaveAllowance",
    "LeavePolicy",
    "LeaveRequest",
    "Membership",
    "OAuthApplication",
    "Project",
    "ProjectTag",
    "ProjectTagging",
    "RateLimitWindow",
    "RefreshToken",
    "RunningTracker",
    "SandboxUser",
    "Task",
    "TaskAssignee",
    "TimeEntry",
    "TimeRequest",
    "Timesheet",
    "ViewerProject",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "Workspace",
]
