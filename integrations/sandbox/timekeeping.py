"""Timekeeping in the sandbox: trackers, time entries, timesheets and time requests.

Domain functions on the sandbox models, free of HTTP: the API operations, the seeder, the
simulator and the reports call the same code, so their numbers agree. Broken business rules
raise a `TimekeepingError` subclass; the caller decides how to answer (the API maps them to
400 or 422).

Invariants kept here:
- a user's time entries never overlap (new time fills only the free stretches);
- an entry lies within one workspace-local calendar day (`TimeEntry.date`); longer stretches
  are split at local midnight;
- every week (Monday..Sunday) in which a member has time has a timesheet;
- timesheet totals are always computed from the TimeEntry rows, never stored.
"""

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone

from .models import Contract, Membership, Project, RunningTracker, Task, TimeEntry, TimeRequest, Timesheet
from .models.accounts import API_ROLES, MemberStatus
from .models.time import Method

DB = "sandbox"
CENT = Decimal("0.01")
# Shorter stretches are not recorded: WebWork's timeline counts whole minutes.
MIN_ENTRY = timedelta(minutes=1)


# --- Errors -------------------------------------------------------------------------


class TimekeepingError(Exception):
    """A broken business rule. `field` names the offending input when there is one."""

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidField(TimekeepingError):
    """An input that does not fit the workspace (a contract of another user, a task elsewhere...)."""


class AlreadyTracking(TimekeepingError):
    pass


class NotTracking(TimekeepingError):
    pass


class Overlap(TimekeepingError):
    """The time lies entirely within (or, for an edit, runs into) the user's existing entries."""


class InvalidTransition(TimekeepingError):
    """A timesheet or time request is not in a state that allows the action."""

    def __init__(self, message, *, current):
        super().__init__(message)
        self.current = current


# --- Local time ---------------------------------------------------------------------


def workspace_zone(workspace):
    return ZoneInfo(workspace.timezone or "UTC")


def local_date(workspace, moment):
    """The workspace-local calendar date of an aware datetime."""
    return moment.astimezone(workspace_zone(workspace)).date()


def local_midnight(workspace, day):
    return datetime.combine(day, time.min, tzinfo=workspace_zone(workspace))


def local_moment(workspace, day, offset):
    """The aware datetime at wall-clock `offset` (a timedelta) after local midnight of `day`.

    `timedelta(hours=24)` is the next midnight; "09:30" is `timedelta(hours=9, minutes=30)`.
    """
    naive = datetime.combine(day, time.min) + offset
    return naive.replace(tzinfo=workspace_zone(workspace))


def local_offset(workspace, moment, day):
    """The wall-clock time of `moment` as a timedelta after local midnight of `day` (inverse of
    local_moment): an entry ending at the next midnight gives 24:00."""
    naive = moment.astimezone(workspace_zone(workspace)).replace(tzinfo=None)
    return naive - datetime.combine(day, time.min)


def week_start(day):
    """The Monday of `day`'s week: timesheets run Monday..Sunday."""
    return day - timedelta(days=day.weekday())


def split_at_midnight(workspace, start, end):
    """[(local date, start, end)] covering start..end, cut at each workspace-local midnight."""
    pieces = []
    cursor = start
    while cursor < end:
        day = local_date(workspace, cursor)
        piece_end = min(end, local_midnight(workspace, day + timedelta(days=1)))
        pieces.append((day, cursor, piece_end))
        cursor = piece_end
    return pieces


def minutes_between(start, end):
    return int((end - start).total_seconds() // 60)


# --- Contracts and tasks --------------------------------------------------------------


@dataclass
class Assignment:
    """What a stretch of time is booked on. All None: time without a project."""

    contract: Contract | None = None
    project: Project | None = None
    task: Task | None = None

    @classmethod
    def of(cls, record):
        """The assignment a tracker, entry or time request is booked on."""
        return cls(record.contract, record.project, record.task)

    def columns(self):
        """The model fields a tracker, entry or time request stores it in."""
        return {"contract": self.contract, "project": self.project, "task": self.task}


def assignment_resolve(*, workspace, user, contract_id=None, task_id=None, require_active=True):
    """The contract and task a user's time is booked on, checked against the workspace.

    The contract must belong to the user in this workspace (and, with `require_active`, be
    active); a task needs a contract and must be in its project. Raises InvalidField.
    """
    if contract_id is None:
        if task_id is not None:
            raise InvalidField("A task can only be given together with a contract.", field="task_id")
        return Assignment()
    contract = (
        Contract.objects.select_related("project")
        .filter(pk=contract_id, workspace=workspace, project__deleted_at__isnull=True)
        .first()
    )
    if contract is None:
        raise InvalidField("The selected contract does not exist in this workspace.", field="contract_id")
    if contract.user_id != user.pk:
        raise InvalidField("The selected contract belongs to another member.", field="contract_id")
    if require_active and contract.status != Contract.Status.ACTIVE:
        raise InvalidField(f"The selected contract is {contract.status}.", field="contract_id")
    if require_active and contract.project.status != Project.Status.ACTIVE:
        raise InvalidField("The contract's project is archived.", field="contract_id")
    task = None
    if task_id is not None:
        task = Task.objects.filter(pk=task_id, workspace=workspace, deleted_at__isnull=True).first()
        if task is None:
            raise InvalidField("The selected task does not exist in this workspace.", field="task_id")
        if task.project_id != contract.project_id:
            raise InvalidField("The selected task is not in the contract's project.", field="task_id")
    return Assignment(contract=contract, project=contract.project, task=task)


def member_is_active(membership):
    return (
        membership.status == MemberStatus.ACTIVE
        and membership.deleted_at is None
        and not membership.is_blocked
    )


# --- Recording time -------------------------------------------------------------------


def free_stretches(user, start, end, *, exclude=()):
    """The parts of start..end not covered by the user's existing entries (any workspace)."""
    busy = (
        TimeEntry.objects.filter(user=user, start_time__lt=end, end_time__gt=start)
        .exclude(pk__in=list(exclude))
        .order_by("start_time")
        .values_list("start_time", "end_time")
    )
    free = []
    cursor = start
    for busy_start, busy_end in busy:
        if busy_start > cursor:
            free.append((cursor, min(busy_start, end)))
        cursor = max(cursor, busy_end)
        if cursor >= end:
            break
    if cursor < end:
        free.append((cursor, end))
    return free


def _record(*, workspace, user, start, end, assignment, activity_description, method):
    """Store the free parts of start..end as entries, split at local midnight. Returns them."""
    entries = []
    for free_start, free_end in free_stretches(user, start, end):
        for day, piece_start, piece_end in split_at_midnight(workspace, free_start, free_end):
            if piece_end - piece_start < MIN_ENTRY:
                continue
            entries.append(
                TimeEntry(
                    workspace=workspace,
                    user=user,
                    **assignment.columns(),
                    activity_description=activity_description,
                    method=method,
                    date=day,
                    start_time=piece_start,
                    end_time=piece_end,
                    duration_minutes=minutes_between(piece_start, piece_end),
                )
            )
    TimeEntry.objects.bulk_create(entries)
    timesheets_ensure(workspace=workspace, user=user, days={entry.date for entry in entries})
    return entries


@dataclass
class Recorded:
    """The outcome of adding time: what was saved, and how much was asked for."""

    entries: list = field(default_factory=list)
    requested_minutes: int = 0

    @property
    def saved_minutes(self):
        return sum(entry.duration_minutes for entry in self.entries)

    @property
    def skipped_minutes(self):
        return max(0, self.requested_minutes - self.saved_minutes)


def time_entry_create(
    *,
    workspace,
    user,
    start,
    end,
    assignment=None,
    activity_description=None,
    method=Method.MANUAL,
):
    """Add start..end for `user`; only the parts not overlapping existing entries are saved.

    Raises InvalidField when end is not after start, Overlap when nothing is left to save.
    """
    if end <= start:
        raise InvalidField("The end time must be after the start time.", field="end_time")
    with transaction.atomic(using=DB):
        entries = _record(
            workspace=workspace,
            user=user,
            start=start,
            end=end,
            assignment=assignment or Assignment(),
            activity_description=activity_description,
            method=method,
        )
    if not entries:
        raise Overlap("The time overlaps the member's existing time entries; nothing was saved.")
    return Recorded(entries=entries, requested_minutes=minutes_between(start, end))


KEEP = object()


def time_entry_update(
    entry, *, start=KEEP, end=KEEP, assignment=KEEP, activity_description=KEEP, workspace=None
):
    """Change an entry in place; omitted arguments keep the stored values.

    The new range must end after it starts, stay within one local day and not run into the
    user's other entries (Overlap). `workspace` defaults to the entry's (pass it to save a query).
    """
    workspace = workspace or entry.workspace
    new_start = entry.start_time if start is KEEP else start
    new_end = entry.end_time if end is KEEP else end
    if new_end <= new_start:
        raise InvalidField("The end time must be after the start time.", field="end_time")
    day = local_date(workspace, new_start)
    if new_end > local_midnight(workspace, day + timedelta(days=1)):
        raise InvalidField("A time entry must end on the day it starts.", field="end_time")
    if (new_start, new_end) != (entry.start_time, entry.end_time):
        free = free_stretches(entry.user, new_start, new_end, exclude=[entry.pk])
        if free != [(new_start, new_end)]:
            raise Overlap(
                "The new time range overlaps another time entry of this member.", field="start_time"
            )
    entry.start_time, entry.end_time, entry.date = new_start, new_end, day
    entry.duration_minutes = minutes_between(new_start, new_end)
    if assignment is not KEEP:
        for name, value in assignment.columns().items():
            setattr(entry, name, value)
    if activity_description is not KEEP:
        entry.activity_description = activity_description
    with transaction.atomic(using=DB):
        entry.save()
        timesheets_ensure(workspace=workspace, user=entry.user, days={day})
    return entry


def time_entry_delete(entry):
    """Delete an entry for good (its timesheet's totals drop with it)."""
    entry.delete()


# --- Trackers ---------------------------------------------------------------------------


def tracker_start(
    *,
    workspace,
    user,
    assignment=None,
    activity_description=None,
    method=Method.WEB,
    started_at=None,
):
    """Start `user`'s tracker; one running tracker per user. Raises AlreadyTracking."""
    if RunningTracker.objects.filter(user=user).exists():
        raise AlreadyTracking("User is already tracking time")
    assignment = assignment or Assignment()
    try:
        with transaction.atomic(using=DB):
            return RunningTracker.objects.create(
                workspace=workspace,
                user=user,
                **assignment.columns(),
                activity_description=activity_description,
                method=method,
                started_at=(started_at or timezone.now()).replace(microsecond=0),
            )
    except IntegrityError:  # started by a concurrent request
        raise AlreadyTracking("User is already tracking time") from None


def tracker_running(*, user, workspace=None):
    trackers = RunningTracker.objects.select_related("workspace", "project", "task").filter(user=user)
    if workspace is not None:
        trackers = trackers.filter(workspace=workspace)
    return trackers.first()


def tracker_stop(*, user, workspace=None, stopped_at=None):
    """Stop `user`'s tracker (in `workspace`, when given) and record its time as entries.

    The stretch is split at local midnight and skips time already covered by other entries.
    Returns (the stopped tracker, stopped_at, the new entries). Raises NotTracking.
    """
    tracker = tracker_running(user=user, workspace=workspace)
    if tracker is None:
        raise NotTracking("No active tracker for this user")
    stopped_at = max(stopped_at or timezone.now(), tracker.started_at).replace(microsecond=0)
    with transaction.atomic(using=DB):
        deleted, _ = RunningTracker.objects.filter(pk=tracker.pk).delete()
        if not deleted:  # stopped by a concurrent request
            raise NotTracking("No active tracker for this user")
        entries = _record(
            workspace=tracker.workspace,
            user=user,
            start=tracker.started_at,
            end=stopped_at,
            assignment=Assignment.of(tracker),
            activity_description=tracker.activity_description,
            method=tracker.method,
        )
    return tracker, stopped_at, entries


@dataclass
class TrackerToday:
    """A running tracker's live numbers for the local day."""

    date: date
    total_minutes: int  # today's recorded minutes plus the running tracker's whole minutes today
    total_seconds: int  # the running tracker's seconds past its last whole minute


def tracker_today(tracker):
    now = timezone.now()
    workspace = tracker.workspace
    today = local_date(workspace, now)
    running_since = max(tracker.started_at, local_midnight(workspace, today))
    running = max(0, int((now - running_since).total_seconds()))
    recorded = (
        TimeEntry.objects.filter(workspace=workspace, user_id=tracker.user_id, date=today).aggregate(
            minutes=Sum("duration_minutes")
        )["minutes"]
        or 0
    )
    return TrackerToday(date=today, total_minutes=recorded + running // 60, total_seconds=running % 60)


# --- Timesheets --------------------------------------------------------------------------


def timesheets_ensure(*, workspace, user, days):
    """Create the open weekly timesheets missing for `days` of `user` in `workspace`."""
    starts = {week_start(day) for day in days}
    if not starts:
        return
    existing = set(
        Timesheet.objects.filter(workspace=workspace, user=user, date_from__in=starts).values_list(
            "date_from", flat=True
        )
    )
    Timesheet.objects.bulk_create(
        [
            Timesheet(workspace=workspace, user=user, date_from=start, date_to=start + timedelta(days=6))
            for start in sorted(starts - existing)
        ],
        ignore_conflicts=True,
    )


def effective_rate(*, rate_type, contract_rate, project_rate, member_rate):
    """The hourly rate a contract pays: its own, the member's or the project's."""
    if rate_type == Contract.RateType.MEMBER:
        return member_rate
    if rate_type == Contract.RateType.PROJECT:
        return project_rate
    return contract_rate


def amount_for(minutes, rate):
    if rate is None:
        return Decimal("0.00")
    return (Decimal(minutes) * Decimal(rate) / 60).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class TimesheetTotals:
    """Totals of one timesheet. `daily_breakdown`: {date: [{project_id, project_name,
    contract_id, total_minutes, total_amount}]}, only days with time, in date order."""

    total_minutes: int = 0
    total_amount: Decimal = Decimal("0.00")
    currency: str = "USD"
    daily_breakdown: dict = field(default_factory=dict)

    @property
    def total_hours(self):
        return round(self.total_minutes / 60, 2)


def timesheet_totals_many(timesheets):
    """{timesheet.id: TimesheetTotals} for many timesheets in ONE aggregated query.

    Groups the TimeEntry rows by workspace, user, date, project and contract. Amounts use the
    contract's effective rate and count only on billable projects. Timesheets should come
    with `workspace` selected.
    """
    timesheets = list(timesheets)
    totals = {
        ts.id: TimesheetTotals(currency=ts.workspace.currency if ts.workspace_id else "USD")
        for ts in timesheets
    }
    if not timesheets:
        return totals
    periods = defaultdict(list)
    condition = Q()
    for ts in timesheets:
        periods[(ts.workspace_id, ts.user_id)].append(ts)
        condition |= Q(
            workspace_id=ts.workspace_id, user_id=ts.user_id, date__range=(ts.date_from, ts.date_to)
        )
    member_rate = Membership.objects.filter(
        workspace_id=OuterRef("workspace_id"), user_id=OuterRef("user_id")
    ).values("rate")[:1]
    rows = (
        TimeEntry.objects.filter(condition)
        .annotate(member_rate=Subquery(member_rate))
        .values(
            "workspace_id",
            "user_id",
            "date",
            "project_id",
            "project__name",
            "project__is_billable",
            "project__rate",
            "contract_id",
            "contract__rate",
            "contract__rate_type",
            "member_rate",
        )
        .annotate(minutes=Sum("duration_minutes"))
        .order_by("date", "project_id", "contract_id")
    )
    for row in rows:
        ts = next(
            (
                t
                for t in periods[(row["workspace_id"], row["user_id"])]
                if t.date_from <= row["date"] <= t.date_to
            ),
            None,
        )
        if ts is None:
            continue
        rate = None
        if row["contract_id"] is not None and row["project__is_billable"]:
            rate = effective_rate(
                rate_type=row["contract__rate_type"],
                contract_rate=row["contract__rate"],
                project_rate=row["project__rate"],
                member_rate=row["member_rate"],
            )
        amount = amount_for(row["minutes"], rate)
        sheet = totals[ts.id]
        sheet.total_minutes += row["minutes"]
        sheet.total_amount += amount
        sheet.daily_breakdown.setdefault(row["date"], []).append(
            {
                "project_id": row["project_id"],
                "project_name": row["project__name"],
                "contract_id": row["contract_id"],
                "total_minutes": row["minutes"],
                "total_amount": amount,
            }
        )
    return totals


def _move(record, *, allowed, refusal, **changes):
    """Save `changes` to a timesheet or time request whose status is one of `allowed`; race-safe
    (a conditional UPDATE). Otherwise raise InvalidTransition: `refusal`, then the current status."""
    model = type(record)
    changes.setdefault("updated_at", timezone.now())
    updated = model.objects.filter(pk=record.pk, status__in=allowed).update(**changes)
    if not updated:
        current = model.objects.filter(pk=record.pk).values_list("status", flat=True).first()
        raise InvalidTransition(f"{refusal} {current}.", current=current)
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def _transition(timesheet, *, allowed, action, **changes):
    """Move a timesheet from one of `allowed` states."""
    states = " or ".join(allowed)
    refusal = f"Only a timesheet that is {states} can be {action}; this timesheet is"
    return _move(timesheet, allowed=allowed, refusal=refusal, **changes)


def timesheet_submit(timesheet, *, at=None):
    S = Timesheet.Status
    return _transition(
        timesheet,
        allowed=[S.OPEN, S.REJECTED],
        action="submitted",
        status=S.SUBMITTED,
        submitted_on=at or timezone.now(),
        reject_reason=None,
        reviewed_by=None,
    )


def timesheet_approve(timesheet, *, by):
    S = Timesheet.Status
    return _transition(timesheet, allowed=[S.SUBMITTED], action="approved", status=S.APPROVED, reviewed_by=by)


def timesheet_reject(timesheet, *, by, reason):
    S = Timesheet.Status
    return _transition(
        timesheet,
        allowed=[S.SUBMITTED],
        action="rejected",
        status=S.REJECTED,
        reviewed_by=by,
        reject_reason=reason,
    )


def timesheet_unsubmit(timesheet):
    S = Timesheet.Status
    return _transition(
        timesheet, allowed=[S.SUBMITTED], action="unsubmitted", status=S.OPEN, submitted_on=None
    )


# --- Time requests -------------------------------------------------------------------------


def time_request_create(*, workspace, user, start, end, assignment=None, notes=None, created_by=None):
    """A pending request for start..end of `user`'s time.

    Approved at once when the workspace auto-approves managers' requests and an Owner or
    Executive manager asks for their own time (unless that time is already covered: then it
    stays pending). Raises InvalidField when end is not after start.
    """
    if end <= start:
        raise InvalidField("The end must be after the start.", field="end")
    assignment = assignment or Assignment()
    with transaction.atomic(using=DB):
        time_request = TimeRequest.objects.create(
            workspace=workspace,
            user=user,
            **assignment.columns(),
            start=start,
            end=end,
            notes=notes,
        )
        if _auto_approves(workspace, user, created_by):
            with contextlib.suppress(Overlap):
                time_request_approve(time_request, by=created_by)
    return time_request


def _auto_approves(workspace, user, created_by):
    return (
        workspace.auto_approve_manager_time_requests
        and created_by is not None
        and created_by.pk == user.pk
        and Membership.objects.filter(
            workspace=workspace, user=user, role__in=API_ROLES, deleted_at__isnull=True
        ).exists()
    )


def _decide(time_request, *, action, **changes):
    """Move a pending request on."""
    refusal = f"Only a pending time request can be {action}; this one is"
    return _move(time_request, allowed=[TimeRequest.Status.PENDING], refusal=refusal, **changes)


def time_request_approve(time_request, *, by):
    """Approve a pending request and add its time as "Manually added time" entries.

    Raises InvalidTransition unless pending, Overlap when its time is already fully covered
    (the request then stays pending).
    """
    try:
        with transaction.atomic(using=DB):
            _decide(time_request, action="approved", status=TimeRequest.Status.APPROVED, updated_by=by)
            entries = _record(
                workspace=time_request.workspace,
                user=time_request.user,
                start=time_request.start,
                end=time_request.end,
                assignment=Assignment.of(time_request),
                activity_description=time_request.notes,
                method=Method.MANUAL,
            )
            if not entries:
                raise Overlap("The requested time is already covered by the member's time entries.")
            TimeRequest.objects.filter(pk=time_request.pk).update(time_entry=entries[0])
            time_request.time_entry = entries[0]
    except Overlap:
        time_request.refresh_from_db()  # the approval was rolled back
        raise
    return time_request


def time_request_reject(time_request, *, by, comment):
    return _decide(
        time_request, action="rejected", status=TimeRequest.Status.REJECTED, updated_by=by, comment=comment
    )
