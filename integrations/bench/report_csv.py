"""`bench_hours_csv`: the Hours report's CSV of a year of a 150-member workspace streams in flat
memory.

A throwaway mirror is filled with a year of time (MEMBERS members with two contracts each, three
entries every working day: about 117,000 entries), written day by day in bulk. The CSV (grouped
by member then day: a row per member and working day, ~39,000 rows, with subtotals and amounts)
is requested with Django's test client as the workspace's Owner and read to its end, twice: over
a month, then over the year. tracemalloc measures the Python allocations of each request (the
view, the query's rows, the writer; the database's own memory is the database's), and
`resource.getrusage` the process's peak resident size. Flat memory: the year's peak is close to
the month's although it writes ten times the rows.
"""

import gc
import resource
import time
import tracemalloc
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils.http import urlencode

from ..models import Connection, Contract, Member, Project, Task, TimeEntry, Workspace, WorkspaceAccess
from .pages import PLAIN_STATIC
from .report import Table, load_average

MEMBERS = 150
DAYS = 365
TARGET_GROWTH = 1.5  # the year's peak at most this much above the month's
ENTRY_MINUTES = (150, 95, 170)  # three entries a working day, on alternating contracts


def synthetic_year(*, members, days, say):
    """A workspace with `members` members and `days` days of time up to today; its Owner."""
    started = time.monotonic()
    workspace = Workspace.objects.create(
        webwork_id=990_001, name="Bench Hours", timezone="Europe/Berlin", currency="EUR"
    )
    people = Member.objects.bulk_create(
        Member(
            workspace=workspace,
            webwork_id=str(10_000 + n),
            email=f"member{n}@bench.test",
            firstname=f"Member{n:03d}",
            lastname="Bench",
            role="Regular user",
            status="active",
        )
        for n in range(members)
    )
    projects = Project.objects.bulk_create(
        Project(workspace=workspace, webwork_id=str(20_000 + n), name=f"Project {n}") for n in range(6)
    )
    tasks = Task.objects.bulk_create(
        Task(workspace=workspace, webwork_id=str(30_000 + n), project=projects[n % 6], title=f"Task {n}")
        for n in range(30)
    )
    contracts = Contract.objects.bulk_create(
        Contract(
            workspace=workspace,
            webwork_id=str(40_000 + 2 * n + k),
            member=member,
            project=projects[(n + k) % 6],
            user_webwork_id=int(member.webwork_id),
            project_webwork_id=int(projects[(n + k) % 6].webwork_id),
            rate=Decimal(40 + (n % 9) * 5),
            currency="EUR",
        )
        for n, member in enumerate(people)
        for k in range(2)
    )
    zone = workspace.zone
    today = workspace.today()
    count = 0
    for offset in range(days):
        day = today - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        rows = []
        for n, member in enumerate(people):
            start = datetime.combine(day, datetime.min.time(), zone) + timedelta(hours=8)
            for index, minutes in enumerate(ENTRY_MINUTES):
                contract = contracts[2 * n + index % 2]
                task = tasks[(n + index) % 30] if index != 2 else None
                rows.append(
                    TimeEntry(
                        workspace=workspace,
                        webwork_id=f"{member.webwork_id}-{day.isoformat()}-{index}",
                        member=member,
                        project=contract.project,
                        task=task,
                        contract=contract,
                        user_webwork_id=int(member.webwork_id),
                        project_webwork_id=contract.project_webwork_id,
                        task_webwork_id=int(task.webwork_id) if task else None,
                        contract_webwork_id=int(contract.webwork_id),
                        date=day,
                        start_time=start,
                        end_time=start + timedelta(minutes=minutes),
                        duration_minutes=minutes - (offset + n) % 7,
                        method="Desktop tracker",
                    )
                )
                start += timedelta(minutes=minutes + 20)
        TimeEntry.objects.bulk_create(rows, batch_size=2000)
        count += len(rows)
    user = get_user_model().objects.create_user("bench-hours-owner")
    connection = Connection.objects.create(user=user, webwork_user_id=990_002, access_token="wwat_bench")  # noqa: S106 (a throwaway row)
    WorkspaceAccess.objects.create(
        user=user, workspace=workspace, connection=connection, role="Owner", can_manage=True
    )
    seconds = time.monotonic() - started
    say(f"  {count:,} time entries of {members} members over {days} days in {seconds:.1f} s")
    return workspace, user, count


def _measure(client, url, *, trace=True):
    """Request `url` and read the answer to its end; with `trace`, under tracemalloc (slower)."""
    gc.collect()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        response = client.get(url, secure=True)
        lines = size = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            size += len(chunk)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
    finally:
        if trace:
            tracemalloc.stop()
    return {
        "status": response.status_code,
        "streaming": response.streaming,
        "lines": lines,
        "bytes": size,
        "seconds": seconds,
        "peak": peak,
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def bench_hours_csv(*, members=MEMBERS, days=DAYS, say):
    """Fill a throwaway mirror with a year of time and measure the CSV of a month and of the year."""
    say(f"Writing {days} days of time of {members} members into the mirror...")
    workspace, user, entries = synthetic_year(members=members, days=days, say=say)
    client = Client()
    client.force_login(user)
    path = reverse("dashboard:reports_csv", kwargs={"workspace_id": workspace.webwork_id})
    today = workspace.today()

    def url(first):
        query = {
            "period": "custom",
            "from": first.isoformat(),
            "to": today.isoformat(),
            "by": "member",
            "then": "day",
        }
        return f"{path}?{urlencode(query)}"

    month_url, year_url = url(today - timedelta(days=30)), url(today - timedelta(days=days - 1))
    with override_settings(STORAGES=PLAIN_STATIC):
        say("  warming up...")
        _measure(client, month_url)
        say(f"  the month: {month_url}")
        month = _measure(client, month_url)
        say(f"  the year: {year_url}")
        year = _measure(client, year_url)
        say("  the month and the year again, timed without tracemalloc...")
        month_seconds = _measure(client, month_url, trace=False)["seconds"]
        year_seconds = _measure(client, year_url, trace=False)["seconds"]
    growth = year["peak"] / month["peak"] if month["peak"] else float("inf")
    table = Table(f"bench hours csv: a month vs a year of {members} members ({entries:,} entries)")
    table.note("the Hours report's CSV by member then day, read to its end through Django's test client")
    table.note("peak: tracemalloc's peak of Python allocations during the request (the database's own aside)")
    table.note(f"max RSS: the process's peak resident size so far; load average {load_average()}")
    table.add(
        "status of both",
        f"{month['status']}, {year['status']}",
        "200, 200",
        month["status"] == year["status"] == 200,
    )
    table.add(
        "streamed", "yes" if month["streaming"] and year["streaming"] else "no", "yes", year["streaming"]
    )
    table.add("CSV lines: month, year", f"{month['lines']:,}, {year['lines']:,}")
    table.add("CSV size: month, year", f"{month['bytes'] / 1024:,.0f} KiB, {year['bytes'] / 1024:,.0f} KiB")
    table.add("seconds: month, year", f"{month_seconds:.2f}, {year_seconds:.2f}")
    table.add("seconds under tracemalloc", f"{month['seconds']:.2f}, {year['seconds']:.2f}")
    table.add("peak, the month", f"{month['peak'] / 1024:,.0f} KiB")
    table.add("peak, the year", f"{year['peak'] / 1024:,.0f} KiB")
    table.add("year / month peak", f"{growth:.2f}", f"<= {TARGET_GROWTH}", growth <= TARGET_GROWTH)
    table.add("max RSS after the year", f"{year['max_rss_kib'] / 1024:,.0f} MiB")
    return table
