"""`bench upsert`: writing time entries with the sync's `upsert` vs a bare `bulk_create`.

The rows are built the way sync/time_entries.py builds them (`time_entry_row` from daily-timeline
items, foreign keys resolved to local members, projects, tasks and contracts). Each way writes the
same rows in chunks of UPSERT_BATCH, one transaction per chunk, into a table holding none of this
workspace's entries:

* bulk_create: `TimeEntry.objects.bulk_create` of new rows (the floor: no conflict handling);
* upsert (inserts): `integrations.sync.base.upsert` of the same rows, all new;
* upsert (updates): the same rows again, all already there.

Each is timed ROUNDS times, alternating, and the median counts. No request is made.
"""

import random
import time
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import Contract, Member, Project, Task, TimeEntry, Workspace
from ..sync.base import UPSERT_BATCH, local_ids, upsert
from ..sync.time_entries import time_entry_row
from .report import Table, load_average, median

ROUNDS = 3
TARGET_RATIO = 0.5
MEMBERS, PROJECTS, TASKS_PER_PROJECT = 60, 12, 6
WORKSPACE_ID = 990_001  # the bench's own tenant in the throwaway database
TIMEZONE = "Europe/Berlin"
WORDS = ["review", "layout", "api", "sprint", "fix", "copy", "brand", "deploy", "client", "call", "design"]


def _parents(workspace):
    """Members, projects, tasks and contracts for the entries to point at."""
    now = timezone.now()
    common = {"workspace": workspace, "synced_at": now}
    Member.objects.bulk_create(
        [
            Member(
                webwork_id=str(1000 + n),
                email=f"m{n}@bench.test",
                role="Regular user",
                status="active",
                **common,
            )
            for n in range(MEMBERS)
        ]
    )
    Project.objects.bulk_create(
        [Project(webwork_id=str(2000 + n), name=f"Project {n}", **common) for n in range(PROJECTS)]
    )
    projects = local_ids(Project, workspace, [str(2000 + n) for n in range(PROJECTS)])
    Task.objects.bulk_create(
        [
            Task(
                webwork_id=str(3000 + p * TASKS_PER_PROJECT + t),
                project_id=projects[str(2000 + p)],
                project_webwork_id=2000 + p,
                title=f"Task {t}",
                **common,
            )
            for p in range(PROJECTS)
            for t in range(TASKS_PER_PROJECT)
        ]
    )
    Contract.objects.bulk_create(
        [
            Contract(
                webwork_id=str(4000 + m * PROJECTS + p),
                project_webwork_id=2000 + p,
                user_webwork_id=1000 + m,
                **common,
            )
            for m in range(MEMBERS)
            for p in range(PROJECTS)
        ]
    )


def timeline_items(count, seed=1):
    """`count` time entries as the daily timeline lists them (with the report's extra fields)."""
    rng = random.Random(seed)
    items = []
    day = date(2025, 1, 6)
    per_day = MEMBERS * 4
    for n in range(count):
        if n and n % per_day == 0:
            day -= timedelta(days=1)
        member = n % MEMBERS
        project = rng.randrange(PROJECTS)
        start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(minutes=7 * 60 + (n % 4) * 130)
        minutes = rng.randint(15, 125)
        end = start + timedelta(minutes=minutes)
        items.append(
            {
                "id": str(5_000_000 + n),
                "user_id": 1000 + member,
                "contract_id": 4000 + member * PROJECTS + project,
                "project_id": 2000 + project,
                "project_name": f"Project {project}",
                "task_id": 3000 + project * TASKS_PER_PROJECT + rng.randrange(TASKS_PER_PROJECT),
                "task_title": "Task",
                "activity_description": " ".join(rng.sample(WORDS, 3)),
                "method": rng.choice(["tracker", "tracker", "manual"]),
                "date": day.isoformat(),
                "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end_time": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration_minutes": minutes,
                "start_time_local": start.isoformat(),
                "end_time_local": end.isoformat(),
                "activity_level": rng.randint(20, 95),
                "is_running": False,
            }
        )
    return items


def time_entry_rows(workspace, items):
    refs = {
        "members": local_ids(Member, workspace, {item["user_id"] for item in items}),
        "projects": local_ids(Project, workspace, {item["project_id"] for item in items}),
        "tasks": local_ids(Task, workspace, {item["task_id"] for item in items}),
        "contracts": local_ids(Contract, workspace, {item["contract_id"] for item in items}),
    }
    return [time_entry_row(item, TIMEZONE, **refs) for item in items]


def _chunks(rows):
    return [rows[start : start + UPSERT_BATCH] for start in range(0, len(rows), UPSERT_BATCH)]


def _bulk_create(workspace, rows, now):
    for chunk in _chunks(rows):
        with transaction.atomic():
            TimeEntry.objects.bulk_create(
                [TimeEntry(workspace=workspace, synced_at=now, removed_at=None, **row) for row in chunk]
            )


def _upsert(workspace, rows, now):
    created = updated = 0
    for chunk in _chunks(rows):
        with transaction.atomic():
            c, u = upsert(TimeEntry, workspace, chunk, now=now)
        created += c
        updated += u
    return created, updated


def _timed(function, *args):
    started = time.perf_counter()
    answer = function(*args)
    return time.perf_counter() - started, answer


def _empty(workspace):
    TimeEntry.objects.filter(workspace=workspace).delete()


def bench_upsert(*, rows, say):
    workspace, _ = Workspace.objects.get_or_create(webwork_id=WORKSPACE_ID, defaults={"name": "Upsert bench"})
    if not Member.objects.filter(workspace=workspace).exists():
        _parents(workspace)
    say(f"Building {rows:,} time-entry rows...")
    entries = time_entry_rows(workspace, timeline_items(rows))
    timings = {"bulk_create": [], "upsert (inserts)": [], "upsert (updates)": []}
    counts = {}
    for round_ in range(ROUNDS):
        say(f"  round {round_ + 1} of {ROUNDS}")
        _empty(workspace)
        seconds, _ = _timed(_bulk_create, workspace, entries, timezone.now())
        timings["bulk_create"].append(seconds)
        _empty(workspace)
        seconds, counts["inserts"] = _timed(_upsert, workspace, entries, timezone.now())
        timings["upsert (inserts)"].append(seconds)
        seconds, counts["updates"] = _timed(_upsert, workspace, entries, timezone.now())
        timings["upsert (updates)"].append(seconds)
    stored = TimeEntry.objects.filter(workspace=workspace).count()
    _empty(workspace)

    rate = {name: rows / median(values) for name, values in timings.items()}
    table = Table(
        f"bench upsert: {rows:,} time-entry rows, chunks of {UPSERT_BATCH}, median of {ROUNDS} rounds"
    )
    table.note(f"load average {load_average()}")
    for name in timings:
        table.add(f"{name} rows/s", f"{rate[name]:,.0f}")
    inserts = rate["upsert (inserts)"] / rate["bulk_create"]
    updates = rate["upsert (updates)"] / rate["bulk_create"]
    table.add(
        "upsert (inserts) / bulk_create", f"{inserts:.2f}", f">= {TARGET_RATIO}", inserts >= TARGET_RATIO
    )
    table.add(
        "upsert (updates) / bulk_create", f"{updates:.2f}", f">= {TARGET_RATIO}", updates >= TARGET_RATIO
    )
    (first_created, first_updated), (again_created, again_updated) = counts["inserts"], counts["updates"]
    table.add(
        "upsert counted (created+updated)",
        f"{first_created:,}+{first_updated:,}, {again_created:,}+{again_updated:,}",
        f"{rows:,}+0, 0+{rows:,}",
        counts["inserts"] == (rows, 0) and counts["updates"] == (0, rows) and stored == rows,
    )
    return table
