"""A believable WebWork world for the sandbox: Acme Studio, a design & software agency, its
people, clients, projects and weeks of tracked time, with something waiting in every queue.

    seed_sandbox(scale="small", seed=1)   # deterministic for a seed on a given day

The structure (structure.py) is built first, then the timeline (timeline.py) is generated
person by person and inserted in batches with `bulk_create`, which also keeps the webhook
signals quiet.
"""

import time
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import (
    Contract,
    Expense,
    LeaveRequest,
    Membership,
    Project,
    RunningTracker,
    SandboxUser,
    Task,
    TimeEntry,
    TimeRequest,
    Timesheet,
    Workspace,
)
from ..models.accounts import MemberStatus, Role
from .context import DB, SCALES, Context
from .reset import sandbox_counts, sandbox_is_empty, sandbox_reset
from .structure import DEMO_PASSWORD, OWNER_EMAIL, StructureBuilder
from .timeline import TimelineBuilder

__all__ = [
    "DEMO_PASSWORD",
    "OWNER_EMAIL",
    "SCALES",
    "SeedSummary",
    "sandbox_counts",
    "sandbox_is_empty",
    "sandbox_reset",
    "seed_sandbox",
]


@dataclass
class SeedSummary:
    scale: str
    seed: int
    seconds: float
    workspaces: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    def lines(self):
        c = self.counts
        return [
            f"Seeded the sandbox (scale {self.scale}, seed {self.seed}) in {self.seconds:.1f} s:",
            f"  {len(self.workspaces)} workspaces: {', '.join(self.workspaces)}",
            f"  {c['users']:,} users, {c['memberships']:,} memberships ({c['viewers']} project viewers, "
            f"{c['inactive']} inactive or archived)",
            f"  {c['projects']:,} projects, {c['contracts']:,} contracts ({c['over_limit']} over and "
            f"{c['near_limit']} near their weekly limit this week), {c['tasks']:,} tasks",
            f"  {c['time_entries']:,} time entries, {c['running_trackers']} trackers running now",
            f"  {c['timesheets']:,} timesheets ({c['timesheets_submitted']} submitted), "
            f"{c['time_requests_pending']} time requests and {c['leave_requests_pending']} leave requests "
            f"pending, {c['expenses']:,} expenses",
            f"Sign in as {OWNER_EMAIL} / {DEMO_PASSWORD}.",
        ]


def seed_sandbox(*, scale="small", seed=1, now=None, progress=None):
    """Fill an empty sandbox. Returns a SeedSummary. `progress(line)` hears about each phase."""
    say = progress or (lambda line: None)
    started = time.monotonic()
    ctx = Context(SCALES[scale], seed, now or timezone.now())
    with transaction.atomic(using=DB):
        structure = StructureBuilder(ctx).build()
        say(
            f"  people and projects ready ({len(structure.people)} staff, "
            f"{sum(len(s.projects) for s in structure.sites)} projects) "
            f"after {time.monotonic() - started:.1f} s"
        )
        timeline = TimelineBuilder(ctx, structure).build()
        say(f"  time and requests ready after {time.monotonic() - started:.1f} s")
    summary = SeedSummary(
        scale=scale,
        seed=seed,
        seconds=time.monotonic() - started,
        workspaces=[site.name for site in structure.sites],
        counts=_counts(),
    )
    summary.counts.update(over_limit=timeline.limits["over"], near_limit=timeline.limits["near"])
    return summary


def _counts():
    def count(model, **filters):
        return model.objects.using(DB).filter(**filters).count()

    inactive = Q(status__in=[MemberStatus.INACTIVE, MemberStatus.LEFT]) | Q(deleted_at__isnull=False)
    return {
        "workspaces": count(Workspace),
        "users": count(SandboxUser),
        "memberships": count(Membership),
        "viewers": count(Membership, role=Role.PROJECT_VIEWER),
        "inactive": Membership.objects.using(DB).filter(inactive).count(),
        "projects": count(Project),
        "contracts": count(Contract),
        "tasks": count(Task),
        "time_entries": count(TimeEntry),
        "running_trackers": count(RunningTracker),
        "timesheets": count(Timesheet),
        "timesheets_submitted": count(Timesheet, status=Timesheet.Status.SUBMITTED),
        "time_requests_pending": count(TimeRequest, status=TimeRequest.Status.PENDING),
        "leave_requests_pending": count(LeaveRequest, status=LeaveRequest.Status.PENDING),
        "expenses": count(Expense),
    }
