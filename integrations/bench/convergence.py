"""The convergence check: a mirrored table equals the sandbox's state for that workspace, field by field.

Each resource registers how to read both sides as {webwork_id: {field: value}}; `differences`
names every difference of one resource, `assert_converged` fails on any. The tests use it
(tests/integrations/convergence.py) and so does `bench faults`, which cannot import the tests.
Like sandbox_side.py, it reads the sandbox directly, as WebWork's operator would: only to compare.
"""

from decimal import Decimal

from integrations import models as mirror
from integrations.sandbox import models as sandbox

CHECKS = {}


def check(name):
    def register(fn):
        CHECKS[name] = fn
        return fn

    return register


def _num(value):
    return None if value is None else Decimal(str(value)).normalize()


@check("members")
def members(workspace):
    theirs = {
        str(m.user_id): {
            "email": m.user.email,
            "firstname": m.user.firstname,
            "lastname": m.user.lastname,
            "role": m.role,
            "status": m.status,
            "weekly_hours_limit": m.weekly_hours_limit,
            "archived": m.deleted_at is not None,
        }
        for m in sandbox.Membership.objects.select_related("user").filter(workspace_id=workspace.webwork_id)
    }
    ours = {
        m.webwork_id: {
            "email": m.email,
            "firstname": m.firstname,
            "lastname": m.lastname,
            "role": m.role,
            "status": m.status,
            "weekly_hours_limit": m.weekly_hours_limit,
            "archived": m.archived_at is not None,
        }
        for m in mirror.Member.objects.current().filter(workspace=workspace)
    }
    return ours, theirs


def differences(name, workspace):
    ours, theirs = CHECKS[name](workspace)
    problems = []
    for webwork_id in sorted(set(ours) | set(theirs)):
        if webwork_id not in ours:
            problems.append(f"{name} {webwork_id}: in WebWork, missing from the mirror")
        elif webwork_id not in theirs:
            problems.append(f"{name} {webwork_id}: in the mirror, gone from WebWork")
        else:
            for key, value in theirs[webwork_id].items():
                if ours[webwork_id].get(key) != value:
                    problems.append(
                        f"{name} {webwork_id}.{key}: mirror {ours[webwork_id].get(key)!r} != {value!r}"
                    )
    return problems


def assert_converged(workspace, *names):
    problems = [p for name in (names or CHECKS) for p in differences(name, workspace)]
    assert not problems, "The mirror differs from WebWork:\n" + "\n".join(problems[:50])


def _second(value):
    return None if value is None else value.replace(microsecond=0)


def _sandbox_viewer_role():
    from integrations.sandbox.models.accounts import Role

    return Role.PROJECT_VIEWER


@check("time_entries")
def time_entries(workspace):
    """Finished entries (a running tracker's open entry is compared by "running_trackers")."""
    theirs = {
        str(e.id): {
            "user": e.user_id,
            "date": e.date,
            "start_time": _second(e.start_time),
            "end_time": _second(e.end_time),
            "duration_minutes": e.duration_minutes,
            "method": e.method,
            "project": e.project_id,
            "task": e.task_id,
            "contract": e.contract_id,
            "activity_description": e.activity_description or "",
        }
        for e in sandbox.TimeEntry.objects.filter(workspace_id=workspace.webwork_id)
    }
    ours = {
        e.webwork_id: {
            "user": e.user_webwork_id,
            "date": e.date,
            "start_time": _second(e.start_time),
            "end_time": _second(e.end_time),
            "duration_minutes": e.duration_minutes,
            "method": e.method,
            "project": e.project_webwork_id,
            "task": e.task_webwork_id,
            "contract": e.contract_webwork_id,
            "activity_description": e.activity_description,
        }
        for e in mirror.TimeEntry.objects.current().filter(workspace=workspace, end_time__isnull=False)
    }
    return ours, theirs


@check("running_trackers")
def running_trackers(workspace):
    """Who is working now, as of a sync of today (a tracker running since before today's local
    midnight shows from midnight, as the daily timeline lists it)."""
    from django.utils import timezone

    from integrations.sandbox import timekeeping

    theirs = {}
    for t in sandbox.RunningTracker.objects.select_related("workspace").filter(
        workspace_id=workspace.webwork_id
    ):
        today = timekeeping.local_date(t.workspace, timezone.now())
        theirs[str(t.user_id)] = {
            "started_at": _second(max(t.started_at, timekeeping.local_midnight(t.workspace, today))),
            "project": t.project_id,
            "task": t.task_id,
            "contract": t.contract_id,
            "activity_description": t.activity_description or "",
        }
    ours = {
        t.webwork_id: {
            "started_at": _second(t.started_at),
            "project": t.project_webwork_id,
            "task": t.task_webwork_id,
            "contract": t.contract_webwork_id,
            "activity_description": t.activity_description,
        }
        for t in mirror.RunningTracker.objects.current().filter(workspace=workspace)
    }
    return ours, theirs


@check("timesheets")
def timesheets(workspace):
    from integrations.sandbox import timekeeping

    sheets = list(
        sandbox.Timesheet.objects.select_related("workspace").filter(workspace_id=workspace.webwork_id)
    )
    totals = timekeeping.timesheet_totals_many(sheets)
    theirs = {
        str(t.id): {
            "user": t.user_id,
            "date_from": t.date_from,
            "date_to": t.date_to,
            "status": t.status,
            "total_minutes": totals[t.id].total_minutes,
            "submitted_on": _second(t.submitted_on),
            "reject_reason": t.reject_reason or "",
        }
        for t in sheets
    }
    ours = {
        t.webwork_id: {
            "user": t.user_webwork_id,
            "date_from": t.date_from,
            "date_to": t.date_to,
            "status": t.status,
            "total_minutes": t.total_minutes,
            "submitted_on": _second(t.submitted_on),
            "reject_reason": t.reject_reason,
        }
        for t in mirror.Timesheet.objects.current().filter(workspace=workspace)
    }
    return ours, theirs


@check("time_requests")
def time_requests(workspace):
    theirs = {
        str(r.id): {
            "user": r.user_id,
            "project": r.project_id,
            "task": r.task_id,
            "contract": r.contract_id,
            "start": _second(r.start),
            "end": _second(r.end),
            "status": r.status,
            "notes": r.notes or "",
            "comment": r.comment or "",
            "updated_by": r.updated_by_id,
        }
        for r in sandbox.TimeRequest.objects.filter(workspace_id=workspace.webwork_id)
    }
    ours = {
        r.webwork_id: {
            "user": r.user_webwork_id,
            "project": r.project_webwork_id,
            "task": r.task_webwork_id,
            "contract": r.contract_webwork_id,
            "start": _second(r.start),
            "end": _second(r.end),
            "status": r.status,
            "notes": r.notes,
            "comment": r.comment,
            "updated_by": r.updated_by_webwork_id,
        }
        for r in mirror.TimeRequest.objects.current().filter(workspace=workspace)
    }
    return ours, theirs


# --- Projects, tasks, contracts, project viewers -----------------------------------------------


def _ref(row):
    """A mirrored foreign key as the WebWork id it resolved to (None when unresolved)."""
    return None if row is None else row.webwork_id


def _id(value):
    return None if value is None else str(value)


@check("projects")
def projects(workspace):
    theirs = {
        str(p.id): {
            "name": p.name,
            "status": p.status,
            "is_billable": p.is_billable,
            "rate": _num(p.rate),
            "weekly_hours_limit": p.weekly_hours_limit,
            "start_date": p.start_date,
            "deadline": p.deadline,
            "estimation": _num(p.estimation),
            "budget": _num(p.budget_estimation),
        }
        for p in sandbox.Project.objects.filter(workspace_id=workspace.webwork_id)
    }
    ours = {
        p.webwork_id: {
            "name": p.name,
            "status": p.status,
            "is_billable": p.is_billable,
            "rate": _num(p.rate),
            "weekly_hours_limit": p.weekly_hours_limit,
            "start_date": p.start_date,
            "deadline": p.deadline,
            "estimation": _num(p.estimation),
            "budget": _num(p.budget),
        }
        for p in mirror.Project.objects.current().filter(workspace=workspace)
    }
    return ours, theirs


@check("tasks")
def tasks(workspace):
    theirs = {
        str(t.id): {
            "title": t.title,
            "status": t.status,
            "priority": t.priority,
            "project": str(t.project_id),
            "project_webwork_id": t.project_id,
            "parent_webwork_id": t.parent_id,
            "start_date": t.start_date,
            "end_date": t.end_date,
            "completed_at": _second(t.completed_at),
            "assignees": sorted(a.id for a in t.assignees.all()),
            "assigned_members": sorted(str(a.id) for a in t.assignees.all()),
        }
        for t in sandbox.Task.objects.filter(
            workspace_id=workspace.webwork_id, deleted_at__isnull=True
        ).prefetch_related("assignees")
    }
    ours = {
        t.webwork_id: {
            "title": t.title,
            "status": t.status,
            "priority": t.priority,
            "project": _ref(t.project),
            "project_webwork_id": t.project_webwork_id,
            "parent_webwork_id": t.parent_webwork_id,
            "start_date": t.start_date,
            "end_date": t.end_date,
            "completed_at": _second(t.completed_at),
            "assignees": sorted(a.user_webwork_id for a in t.taskassignee_set.all()),
            "assigned_members": sorted(a.member.webwork_id for a in t.taskassignee_set.all() if a.member),
        }
        for t in mirror.Task.objects.current()
        .filter(workspace=workspace)
        .select_related("project")
        .prefetch_related("taskassignee_set__member")
    }
    return ours, theirs


@check("contracts")
def contracts(workspace):
    theirs = {
        str(c.id): {
            "project": str(c.project_id),
            "member": str(c.user_id),
            "project_webwork_id": c.project_id,
            "user_webwork_id": c.user_id,
            "weekly_hours_limit": c.weekly_hours_limit,
            "screenshots": c.screenshots,
            "rate": _num(c.rate) if c.project.is_billable else None,  # hidden on unbillable projects
            "rate_type": c.rate_type,
            "currency": c.workspace.currency,
            "status": c.status,
        }
        for c in sandbox.Contract.objects.filter(workspace_id=workspace.webwork_id).select_related(
            "project", "workspace"
        )
    }
    ours = {
        c.webwork_id: {
            "project": _ref(c.project),
            "member": _ref(c.member),
            "project_webwork_id": c.project_webwork_id,
            "user_webwork_id": c.user_webwork_id,
            "weekly_hours_limit": c.weekly_hours_limit,
            "screenshots": c.screenshots,
            "rate": _num(c.rate),
            "rate_type": c.rate_type,
            "currency": c.currency,
            "status": c.status,
        }
        for c in mirror.Contract.objects.current()
        .filter(workspace=workspace)
        .select_related("project", "member")
    }
    return ours, theirs


@check("project_viewers")
def project_viewers(workspace):
    theirs = {
        str(m.user_id): {
            "email": m.user.email,
            "firstname": m.user.firstname,
            "lastname": m.user.lastname,
            "status": m.status,
            "project_webwork_ids": sorted(link.project_id for link in m.viewer_projects.all()),
            "projects": sorted(str(link.project_id) for link in m.viewer_projects.all()),
        }
        for m in sandbox.Membership.objects.filter(
            workspace_id=workspace.webwork_id, role=_sandbox_viewer_role()
        )
        .select_related("user")
        .prefetch_related("viewer_projects")
    }
    ours = {
        v.webwork_id: {
            "email": v.email,
            "firstname": v.firstname,
            "lastname": v.lastname,
            "status": v.status,
            "project_webwork_ids": sorted(link.project_webwork_id for link in v.viewerproject_set.all()),
            "projects": sorted(link.project.webwork_id for link in v.viewerproject_set.all() if link.project),
        }
        for v in mirror.ProjectViewer.objects.current()
        .filter(workspace=workspace)
        .prefetch_related("viewerproject_set__project")
    }
    return ours, theirs


# --- Expenses --------------------------------------------------------------------------------------


@check("expense_categories")
def expense_categories(workspace):
    theirs = {
        str(c.id): {"name": c.name}
        for c in sandbox.ExpenseCategory.objects.filter(workspace_id=workspace.webwork_id)
    }
    ours = {
        c.webwork_id: {"name": c.name}
        for c in mirror.ExpenseCategory.objects.current().filter(workspace=workspace)
    }
    return ours, theirs


@check("expenses")
def expenses(workspace):
    theirs = {
        str(e.id): {
            "name": e.expense_name,
            "date": e.date,
            "amount": _num(e.amount),
            "note": e.note or "",
            "is_billable": e.is_billable,
            "member": _id(e.user_id),
            "project": _id(e.project_id),
            "category": _id(e.category_id),
        }
        for e in sandbox.Expense.objects.filter(workspace_id=workspace.webwork_id)
    }
    ours = {
        e.webwork_id: {
            "name": e.name,
            "date": e.date,
            "amount": _num(e.amount),
            "note": e.note,
            "is_billable": e.is_billable,
            "member": _ref(e.member),
            "project": _ref(e.project),
            "category": _ref(e.category),
        }
        for e in mirror.Expense.objects.current()
        .filter(workspace=workspace)
        .select_related("member", "project", "category")
    }
    return ours, theirs


# --- Leaves ----------------------------------------------------------------------------------------


@check("leave_policies")
def leave_policies(workspace):
    theirs = {
        str(p.id): {"name": p.name, "is_paid": p.is_paid == "yes", "kind": p.type}
        for p in sandbox.LeavePolicy.objects.filter(workspace_id=workspace.webwork_id)
    }
    ours = {
        p.webwork_id: {"name": p.name, "is_paid": p.is_paid, "kind": p.kind}
        for p in mirror.LeavePolicy.objects.current().filter(workspace=workspace)
    }
    return ours, theirs


@check("leave_requests")
def leave_requests(workspace):
    theirs = {
        str(r.id): {
            "status": r.status,
            "start_date": r.start_date,
            "end_date": r.end_date,
            "member": str(r.user_id),
            "policy": str(r.policy_id),
            "is_paid": r.policy.is_paid == "yes",
            "note": r.note or "",
            "reject_reason": r.reject_reason or "",
        }
        for r in sandbox.LeaveRequest.objects.filter(workspace_id=workspace.webwork_id).select_related(
            "policy"
        )
    }
    ours = {
        r.webwork_id: {
            "status": r.status,
            "start_date": r.start_date,
            "end_date": r.end_date,
            "member": _ref(r.member),
            "policy": _ref(r.policy),
            "is_paid": r.is_paid,
            "note": r.note,
            "reject_reason": r.reject_reason,
        }
        for r in mirror.LeaveRequest.objects.current()
        .filter(workspace=workspace)
        .select_related("member", "policy")
    }
    return ours, theirs


@check("leave_balances")
def leave_balances(workspace):
    """Balances for the current calendar year (what a sync over this year's dates mirrors)."""
    from datetime import date

    from django.utils import timezone

    from integrations.sandbox.api.leaves import _balances

    year = timezone.localdate().year
    members = (
        sandbox.Membership.objects.filter(workspace_id=workspace.webwork_id, deleted_at__isnull=True)
        .exclude(role=_sandbox_viewer_role())
        .select_related("user")
        .order_by("user_id")
    )
    answer = _balances(
        sandbox.Workspace.objects.get(pk=workspace.webwork_id),
        [m.user for m in members],
        date(year, 1, 1),
        date(year, 12, 31),
    )
    theirs = {
        f"{row['user_id']}:{info['leave_type']}": {
            "member": str(row["user_id"]),
            "leave_type": info["leave_type"],
            "balance": info["balance"],
        }
        for row in answer
        for info in row["leave_information"]
    }
    ours = {
        b.webwork_id: {"member": _ref(b.member), "leave_type": b.leave_type, "balance": b.balance}
        for b in mirror.LeaveBalance.objects.current().filter(workspace=workspace).select_related("member")
    }
    return ours, theirs


# --- Webhook registrations ---------------------------------------------------------------------------


@check("webhook_registrations")
def webhook_registrations(workspace):
    theirs = {
        w.id: {"url": w.url, "events": list(w.events), "token_kept": False}
        for w in sandbox.Webhook.objects.filter(workspace_id=workspace.webwork_id)
    }
    ours = {
        w.webwork_id: {"url": w.url, "events": list(w.events), "token_kept": "token" in w.raw}
        for w in mirror.WebhookRegistration.objects.current().filter(workspace=workspace)
    }
    return ours, theirs
