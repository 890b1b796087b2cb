"""`bench memory`: a sync's memory does not grow with the number of pages.

Time entries are synced date by date (sync/time_entries.py holds one date at a time), so the peak
while syncing many dates should be the peak of syncing a few. Measured with tracemalloc (Python
allocations; both sides of the wire, since the sandbox answers in this process) while syncing the
MANY most recent dates, then the FEW busiest of them (so both runs hold the same largest date, and
only the number of dates differs), each into an empty time-entry table, after one unmeasured date
that warms caches and imports up.
"""

import gc
import time
import tracemalloc
from datetime import timedelta

from django.db.models import Count

from ..models import TimeEntry
from ..sync.base import SyncContext
from ..sync.plan import SYNCS, workspace_today
from ..sync.time_entries import sync_time_entries
from .report import Table, load_average

TARGET_GROWTH = 1.25  # the many-dates peak at most this much above the few-dates peak
REFERENCE = ("members", "projects", "contracts", "tasks")


def reference_sync(world, say):
    """Members, projects, contracts and tasks, so entries resolve their parents as in a real sync."""
    say("Syncing the reference lists (members, projects, contracts, tasks)...")
    with world.client() as client:
        ctx = SyncContext(workspace=world.workspace, client=client)
        for resource in REFERENCE:
            SYNCS[resource](ctx)


def _measure(world, dates):
    TimeEntry.objects.filter(workspace=world.workspace).delete()
    gc.collect()
    tracemalloc.start()
    started = time.monotonic()
    try:
        with world.client() as client:
            stats = sync_time_entries(SyncContext(workspace=world.workspace, client=client), dates)
            requests = client.requests_made
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "peak": peak,
        "retained": current,
        "requests": requests,
        "rows": stats.created + stats.updated,
        "seconds": time.monotonic() - started,
    }


def bench_memory(world, *, few, many, say):
    today = workspace_today(world.workspace)
    # Yesterday backwards: complete dates, no tracker running on them.
    dates = [today - timedelta(days=n) for n in range(1, many + 2)]
    warm_up, dates = dates[-1:], dates[:-1]
    say(f"Measuring memory: {many} dates, then the {few} busiest of them...")
    with world.client() as client:
        sync_time_entries(SyncContext(workspace=world.workspace, client=client), warm_up)
    large = _measure(world, dates)
    sizes = dict(
        TimeEntry.objects.filter(workspace=world.workspace, date__in=dates)
        .values_list("date")
        .annotate(n=Count("id"))
        .values_list("date", "n")
    )
    busiest = sorted(dates, key=lambda day: (-sizes.get(day, 0), day))[:few]
    small = _measure(world, sorted(busiest, reverse=True))
    growth = large["peak"] / small["peak"] if small["peak"] else float("inf")

    table = Table(f"bench memory: time entries of {few} vs {many} dates ({world.workspace.name})")
    table.note(
        f"tracemalloc, after one warm-up date; the {few} dates are the busiest of the {many} "
        f"(largest: {max(sizes.values(), default=0):,} entries); load average {load_average()}"
    )
    for figures, count in ((small, few), (large, many)):
        table.add(
            f"{count} dates: requests, rows, seconds",
            f"{figures['requests']}, {figures['rows']:,}, {figures['seconds']:.1f}",
        )
        table.add(f"{count} dates: peak MiB", f"{figures['peak'] / 2**20:.2f}")
        table.add(f"{count} dates: retained after the sync MiB", f"{figures['retained'] / 2**20:.2f}")
    table.add(f"peak {many} / peak {few}", f"{growth:.2f}", f"<= {TARGET_GROWTH}", growth <= TARGET_GROWTH)
    return table
