"""Life in the sandbox while a demo runs: members start and stop trackers, submit timesheets,
ask for time and leave, and file expenses, a few times a minute.

Everything goes through model saves and the timekeeping functions the API uses (never bulk
inserts), so webhook signals fire as they would for real activity. `Simulator.step()` does one
thing and returns its log line; `Simulator.run()` paces the steps.
"""

import logging
import random
import time
from datetime import timedelta
from decimal import Decimal

from django.db import DatabaseError
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from .models import (
    Contract,
    Expense,
    ExpenseCategory,
    LeavePolicy,
    LeaveRequest,
    Membership,
    RunningTracker,
    Task,
    TimeEntry,
    Timesheet,
)
from .models.accounts import MemberStatus, Role
from .models.projects import Project
from .models.time import Method
from .seeding import vocabulary as words
from .timekeeping import (
    Assignment,
    TimekeepingError,
    local_date,
    local_moment,
    time_request_create,
    timesheet_submit,
    tracker_start,
    tracker_stop,
)

logger = logging.getLogger(__name__)

# At speed 1, one action every 15 seconds on average: four a minute.
MEAN_PAUSE_SECONDS = 15.0
# Trackers should not stop the moment they start.
MIN_TRACKED = timedelta(minutes=1)
LEAVE_POLICY_WEIGHTS = {"Vacation": 4, "Sick leave": 1, "Unpaid leave": 1}


class Simulator:
    """Makes the agency's members do what they do, one action per `step()`.

    `rng` decides who does what (pass a seeded Random for a repeatable run); `workspace_id`
    keeps the activity to one workspace; `clock` gives "now".
    """

    def __init__(self, *, rng=None, workspace_id=None, clock=timezone.now):
        self.rng = rng or random.Random()
        self.workspace_id = workspace_id
        self.clock = clock
        self.actions = 0

    # --- Choosing --------------------------------------------------------------------

    def step(self):
        """Do one thing someone would do now. Returns its log line, or None if nothing was possible."""
        for action in self._weighted_order(self._weights()):
            try:
                line = getattr(self, action)()
            except TimekeepingError as error:  # e.g. a tracker started meanwhile through the API
                logger.info("Simulator skipped %s: %s", action, error.message)
                continue
            if line:
                self.actions += 1
                return line
        return None

    def _weights(self):
        running = self._scoped(RunningTracker.objects.all()).count()
        working = self._active_contracts().values("user_id").distinct().count()
        wanted = max(2, working // 6)
        few_running = running < wanted
        return {
            "start_tracker": 6 if few_running else 2,
            "stop_tracker": 2 if few_running else 6,
            "submit_timesheet": 1,
            "request_time": 1,
            "request_leave": 1,
            "file_expense": 1,
        }

    def _weighted_order(self, weights):
        remaining = dict(weights)
        order = []
        while remaining:
            names = list(remaining)
            name = self.rng.choices(names, [remaining[n] for n in names])[0]
            order.append(name)
            del remaining[name]
        return order

    def _scoped(self, queryset):
        return queryset.filter(workspace_id=self.workspace_id) if self.workspace_id else queryset

    def _live_memberships(self):
        """Members who work: active, not archived or blocked, not a project viewer."""
        return self._scoped(
            Membership.objects.filter(status=MemberStatus.ACTIVE, deleted_at__isnull=True, is_blocked=False)
        ).exclude(role=Role.PROJECT_VIEWER)

    def _active_contracts(self):
        live = Membership.objects.filter(
            workspace_id=OuterRef("workspace_id"),
            user_id=OuterRef("user_id"),
            status=MemberStatus.ACTIVE,
            deleted_at__isnull=True,
            is_blocked=False,
        ).exclude(role=Role.PROJECT_VIEWER)
        return self._scoped(
            Contract.objects.filter(
                Exists(live),
                status=Contract.Status.ACTIVE,
                project__status=Project.Status.ACTIVE,
                project__deleted_at__isnull=True,
            )
        )

    def _pick(self, queryset, limit=500):
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])
        return self.rng.choice(ids) if ids else None

    def _contract(self, queryset):
        pk = self._pick(queryset)
        if pk is None:
            return None
        return Contract.objects.select_related("workspace", "project", "user").get(pk=pk)

    def _task_for(self, contract):
        tasks = Task.objects.filter(
            project_id=contract.project_id,
            deleted_at__isnull=True,
            status__in=[Task.Status.INCOMPLETE, Task.Status.DOING],
        )
        own = self._pick(tasks.filter(assignees=contract.user_id))
        pk = own or (self._pick(tasks) if self.rng.random() < 0.5 else None)
        return Task.objects.get(pk=pk) if pk else None

    def _description(self, contract, task):
        team = (
            Membership.objects.filter(workspace_id=contract.workspace_id, user_id=contract.user_id)
            .values_list("team_name", flat=True)
            .first()
        )
        template = self.rng.choice(words.ACTIVITIES.get(team, words.ACTIVITIES["Delivery"]))
        subject = task.title if task else contract.project.name.split(" — ")[-1]
        client = contract.project.name.split(" — ")[0] if " — " in contract.project.name else "the team"
        return template.format(task=subject, client=client, n=self.rng.randint(100, 999))

    # --- Actions -----------------------------------------------------------------------

    def start_tracker(self):
        contract = self._contract(self._active_contracts().filter(user__running_tracker__isnull=True))
        if contract is None:
            return None
        task = self._task_for(contract)
        tracker_start(
            workspace=contract.workspace,
            user=contract.user,
            assignment=Assignment(contract=contract, project=contract.project, task=task),
            activity_description=self._description(contract, task),
            method=self.rng.choices([Method.DESKTOP, Method.WEB, Method.MOBILE], [8, 1, 1])[0],
            started_at=self.clock(),
        )
        on = f"{contract.project.name}" + (f" ({task.title})" if task else "")
        return f"{contract.workspace.name}: {contract.user.full_name} started the tracker on {on}"

    def stop_tracker(self):
        now = self.clock()
        trackers = self._scoped(RunningTracker.objects.filter(started_at__lte=now - MIN_TRACKED))
        oldest = list(trackers.order_by("started_at", "pk").values_list("pk", flat=True)[:20])
        if not oldest:
            return None
        # The longer a tracker runs, the likelier it stops.
        pk = self.rng.choice(oldest[: max(1, len(oldest) // 2 + 1)])
        tracker = RunningTracker.objects.select_related("workspace", "user", "project").get(pk=pk)
        _, _, entries = tracker_stop(user=tracker.user, workspace=tracker.workspace, stopped_at=now)
        minutes = sum(entry.duration_minutes for entry in entries)
        project = tracker.project.name if tracker.project else "no project"
        return (
            f"{tracker.workspace.name}: {tracker.user.full_name} stopped the tracker on {project} "
            f"after {minutes} min"
        )

    def submit_timesheet(self):
        now = self.clock()
        has_time = TimeEntry.objects.filter(
            workspace_id=OuterRef("workspace_id"),
            user_id=OuterRef("user_id"),
            date__gte=OuterRef("date_from"),
            date__lte=OuterRef("date_to"),
        )
        live = self._live_memberships().filter(
            workspace_id=OuterRef("workspace_id"), user_id=OuterRef("user_id")
        )
        candidates = self._scoped(
            Timesheet.objects.filter(
                Exists(has_time), Exists(live), status=Timesheet.Status.OPEN, date_to__lt=now.date()
            )
        )
        pk = self._pick(candidates.order_by("-date_from"), limit=200)
        if pk is None:
            return None
        timesheet = Timesheet.objects.select_related("workspace", "user").get(pk=pk)
        timesheet_submit(timesheet, at=now)
        period = f"{timesheet.date_from:%b %d} to {timesheet.date_to:%b %d}"
        return f"{timesheet.workspace.name}: {timesheet.user.full_name} submitted the timesheet for {period}"

    def request_time(self):
        contract = self._contract(self._active_contracts())
        if contract is None:
            return None
        workspace, user = contract.workspace, contract.user
        now = self.clock()
        day = local_date(workspace, now) - timedelta(days=self.rng.randint(1, 6))
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        last_end = TimeEntry.objects.filter(user=user, date=day).aggregate(end=Max("end_time"))["end"]
        start = (last_end or local_moment(workspace, day, timedelta(hours=9))) + timedelta(
            minutes=self.rng.randint(20, 60)
        )
        end = start + timedelta(minutes=self.rng.choice([30, 45, 60, 90, 120]))
        if end > now or local_date(workspace, end) != day:
            return None
        task = self._task_for(contract)
        note = self.rng.choice(words.TIME_REQUEST_NOTES)
        time_request_create(
            workspace=workspace,
            user=user,
            start=start,
            end=end,
            assignment=Assignment(contract=contract, project=contract.project, task=task),
            notes=note,
            created_by=user,
        )
        minutes = int((end - start).total_seconds() // 60)
        return (
            f"{workspace.name}: {user.full_name} asked for {minutes} min on {day:%b %d} "
            f"({contract.project.name}): {note}"
        )

    def request_leave(self):
        pk = self._pick(self._live_memberships())
        if pk is None:
            return None
        membership = Membership.objects.select_related("workspace", "user").get(pk=pk)
        policies = {p.name: p for p in LeavePolicy.objects.filter(workspace_id=membership.workspace_id)}
        names = [name for name in LEAVE_POLICY_WEIGHTS if name in policies] or list(policies)
        if not names:
            return None
        name = self.rng.choices(names, [LEAVE_POLICY_WEIGHTS.get(n, 1) for n in names])[0]
        today = local_date(membership.workspace, self.clock())
        if name == "Sick leave":
            days = [today]
        else:
            first = today + timedelta(days=self.rng.randint(7, 60))
            days = [first + timedelta(days=n) for n in range(21) if (first + timedelta(days=n)).weekday() < 5]
            days = days[: self.rng.randint(1, 5)]
        user = membership.user
        overlapping = LeaveRequest.objects.filter(
            user=user,
            status__in=[LeaveRequest.Status.PENDING, LeaveRequest.Status.APPROVED],
            start_date__lte=days[-1],
            end_date__gte=days[0],
        )
        if overlapping.exists():
            return None
        note = self.rng.choice(words.LEAVE_NOTES.get(name, [None]))
        LeaveRequest.objects.create(
            workspace=membership.workspace,
            user=user,
            policy=policies[name],
            start_date=days[0],
            end_date=days[-1],
            note=note,
            created_by=user,
        )
        span = f"{days[0]:%b %d}" + (f" to {days[-1]:%b %d}" if len(days) > 1 else "")
        return f"{membership.workspace.name}: {user.full_name} asked for {name.lower()} on {span}"

    def file_expense(self):
        contract = self._contract(self._active_contracts())
        if contract is None:
            return None
        workspace = contract.workspace
        categories = list(ExpenseCategory.objects.filter(workspace=workspace).order_by("name", "pk"))
        catalogue = [c for c in categories if c.name in words.EXPENSES]
        if not categories:
            return None
        category = self.rng.choice(catalogue or categories)
        template, low, high, billable_share = self.rng.choice(
            words.EXPENSES.get(category.name, [("Expense", 10, 100, 0.0)])
        )
        billable = contract.project.is_billable and self.rng.random() < billable_share
        client = contract.project.name.split(" — ")[0]
        amount = Decimal(f"{self.rng.uniform(low, high):.2f}")
        expense = Expense.objects.create(
            workspace=workspace,
            user=contract.user,
            project=contract.project if billable else None,
            category=category,
            expense_name=template.format(client=client),
            date=local_date(workspace, self.clock()),
            amount=amount,
            is_billable=billable,
        )
        return (
            f"{workspace.name}: {contract.user.full_name} filed an expense: {expense.expense_name}, "
            f"{amount} {workspace.currency} ({category.name})"
        )

    # --- Pacing -----------------------------------------------------------------------------

    def run(self, *, seconds=None, speed=1.0, log=print, sleep=None, monotonic=None):
        """Step until `seconds` have passed (forever without), a few actions a minute at speed 1.

        Returns the number of actions done. A database error skips the step, it does not stop
        the run; KeyboardInterrupt is left to the caller.
        """
        sleep, monotonic = sleep or time.sleep, monotonic or time.monotonic
        deadline = monotonic() + seconds if seconds is not None else None
        mean_pause = MEAN_PAUSE_SECONDS / speed
        while deadline is None or monotonic() < deadline:
            try:
                line = self.step()
            except DatabaseError as error:
                log(f"skipped a step: {error}")
                line = None
            if line:
                log(line)
            pause = min(self.rng.expovariate(1 / mean_pause), 3 * mean_pause)
            if deadline is not None:
                pause = min(pause, max(0.0, deadline - monotonic()))
            sleep(pause)
        return self.actions
