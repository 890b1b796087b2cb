"""Foreign keys between mirror rows, filled in when their parent arrives.

A row is written with its parents resolved from the mirror's own rows; a parent the mirror does
not have yet (members arrive after the approval queues in a first sync, a project created since
the last projects sync) leaves the foreign key empty and keeps WebWork's id beside it
(`user_webwork_id`, `project_webwork_id`, ...). Whenever parents are written, `links_resolve`
fills every empty foreign key that now has its parent: one UPDATE per link, the parent found by
(workspace, webwork_id) through its unique index, never a query per row.
"""

from dataclasses import dataclass

from django.db.models import CharField, Exists, OuterRef, Subquery
from django.db.models.functions import Cast

from ..models import (
    Contract,
    DailyActivity,
    DailyAttendance,
    Expense,
    ExpenseCategory,
    LeaveBalance,
    LeavePolicy,
    LeaveRequest,
    Member,
    Project,
    RunningTracker,
    Task,
    TaskAssignee,
    TimeEntry,
    TimeRequest,
    Timesheet,
    ViewerProject,
)


@dataclass(frozen=True)
class Link:
    model: type
    field: str  # the foreign key
    webwork_id: str  # the column that keeps the parent's WebWork id
    parent: type
    workspace: str = "workspace"  # how a row reaches its workspace

    @property
    def label(self):
        return f"{self.model.__name__}.{self.field}"


LINKS = (
    Link(TimeEntry, "member", "user_webwork_id", Member),
    Link(TimeEntry, "project", "project_webwork_id", Project),
    Link(TimeEntry, "task", "task_webwork_id", Task),
    Link(TimeEntry, "contract", "contract_webwork_id", Contract),
    # A running tracker's WebWork id is its member's.
    Link(RunningTracker, "member", "webwork_id", Member),
    Link(RunningTracker, "project", "project_webwork_id", Project),
    Link(RunningTracker, "task", "task_webwork_id", Task),
    Link(DailyActivity, "member", "user_webwork_id", Member),
    Link(DailyAttendance, "member", "user_webwork_id", Member),
    Link(Timesheet, "member", "user_webwork_id", Member),
    Link(TimeRequest, "member", "user_webwork_id", Member),
    Link(TimeRequest, "project", "project_webwork_id", Project),
    Link(TimeRequest, "task", "task_webwork_id", Task),
    Link(LeaveRequest, "member", "user_webwork_id", Member),
    Link(LeaveRequest, "policy", "policy_webwork_id", LeavePolicy),
    Link(LeaveBalance, "member", "user_webwork_id", Member),
    Link(Expense, "member", "user_webwork_id", Member),
    Link(Expense, "project", "project_webwork_id", Project),
    Link(Expense, "category", "category_webwork_id", ExpenseCategory),
    Link(Contract, "member", "user_webwork_id", Member),
    Link(Contract, "project", "project_webwork_id", Project),
    Link(Task, "project", "project_webwork_id", Project),
    Link(TaskAssignee, "member", "user_webwork_id", Member, workspace="task__workspace"),
    Link(ViewerProject, "project", "project_webwork_id", Project, workspace="viewer__workspace"),
)

# The parents each resource sync writes: after it, the links to them are resolved.
PARENTS_OF = {
    "members": (Member,),
    "projects": (Project,),
    "tasks": (Task,),
    "contracts": (Contract,),
    "leave_policies": (LeavePolicy,),
    "expense_categories": (ExpenseCategory,),
}


def links_resolve(workspace, *parents) -> dict[str, int]:
    """Fill the empty foreign keys of `workspace`'s rows whose parent (of the given models, or
    any) the mirror now has. Returns {"Model.field": rows linked} for the links that changed."""
    linked = {}
    for link in LINKS:
        if parents and link.parent not in parents:
            continue
        count = _resolve(link, workspace)
        if count:
            linked[link.label] = count
    return linked


def _resolve(link: Link, workspace) -> int:
    outer = OuterRef(link.webwork_id)
    parent_webwork_id = outer if _is_text(link.model, link.webwork_id) else Cast(outer, CharField())
    parents = link.parent.objects.filter(workspace=workspace, webwork_id=parent_webwork_id)
    orphans = (
        link.model.objects.filter(**{link.workspace: workspace, f"{link.field}__isnull": True})
        .exclude(**{f"{link.webwork_id}__isnull": True})
        .exclude(**{link.webwork_id: ""} if _is_text(link.model, link.webwork_id) else {})
        .filter(Exists(parents))
    )
    return orphans.update(**{link.field: Subquery(parents.values("pk")[:1])})


def _is_text(model, name):
    return model._meta.get_field(name).get_internal_type() == "CharField"
