"""The Tasks and Activity reports agree with WebWork's own /reports/task-report and
/reports/activity-level for the same period: the sandbox's time, mirrored by a real sync over
HTTP, read back through Clockroom's real client. Periods: a week that crosses a month boundary,
and this week (with a tracker running now and today's time); time zones: Berlin's, and one 14
hours ahead of UTC."""

import re
from collections import defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.selectors.report_data import (
    activity_for_workspace,
    member_choices_for_workspace,
    tasks_for_workspace,
)
from dashboard.selectors.reports import ReportFilters
from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sandbox.models.time import Method
from integrations.sync.base import SyncContext
from integrations.sync.contracts import sync_contracts
from integrations.sync.members import sync_members
from integrations.sync.project_tasks import sync_tasks
from integrations.sync.projects import sync_projects
from integrations.sync.time_entries import sync_time_entries
from tests.sandbox_world import mirror_connected

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def month_boundary_week(today):
    """The latest week (Monday to Sunday) before this one whose days span two months."""
    monday = today - timedelta(days=today.weekday() + 7)
    while monday.month == (monday + timedelta(days=6)).month:
        monday -= timedelta(days=7)
    return monday, monday + timedelta(days=6)


def this_week(today):
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def record(world, contract, start, end, *, task=None, level=0, method=Method.DESKTOP, text=None):
    recorded = timekeeping.time_entry_create(
        workspace=world.acme,
        user=contract.user,
        start=start,
        end=end,
        assignment=timekeeping.Assignment(contract=contract, project=contract.project, task=task),
        activity_description=text,
        method=method,
    )
    sandbox.TimeEntry.objects.filter(pk__in=[entry.pk for entry in recorded.entries]).update(
        activity_level=level
    )


@pytest.fixture(params=["Europe/Berlin", "Pacific/Kiritimati"])
def acme_time(request, world):
    """Alice and Bob's time around the chosen period in Acme, in the chosen time zone: tasks and
    no task, time added by hand, evenings that cross midnight, a tracker running now."""
    world.acme.timezone = request.param
    world.acme.save()
    acme = world.acme
    website = sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Website")
    brand = sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Brand book")
    task = {
        "homepage": sandbox.Task.objects.create(
            workspace=acme, project=website, owner=world.owner, creator=world.owner, title="Homepage"
        ),
        "logo": sandbox.Task.objects.create(
            workspace=acme, project=brand, owner=world.owner, creator=world.owner, title="Logo"
        ),
    }
    alice_web = sandbox.Contract.objects.create(workspace=acme, project=website, user=world.alice)
    alice_brand = sandbox.Contract.objects.create(workspace=acme, project=brand, user=world.alice)
    bob_brand = sandbox.Contract.objects.create(workspace=acme, project=brand, user=world.bob)
    now = timezone.now()
    today = timekeeping.local_date(acme, now)

    def at(day, hours):
        return timekeeping.local_moment(acme, day, timedelta(hours=hours))

    first = min(month_boundary_week(today)[0], this_week(today)[0]) - timedelta(days=1)
    day = first
    while day < today:
        n = (day - first).days
        record(
            world, alice_web, at(day, 9), at(day, 11.5), task=task["homepage"], level=50 + n % 40, text="Hero"
        )
        if n % 2:
            record(
                world, alice_brand, at(day, 13), at(day, 13.75), level=0, method=Method.MANUAL, text="Notes"
            )
        if n % 3 == 0:  # an evening past midnight: its two parts count on their own days
            record(world, bob_brand, at(day, 22), at(day, 25.5), task=task["logo"], level=30 + n % 50)
        else:
            record(world, bob_brand, at(day, 10), at(day, 12), level=75)
        day += timedelta(days=1)
    # Today: a finished hour, and a tracker running now (counted once it stops).
    record(
        world, alice_web, now - timedelta(hours=3), now - timedelta(hours=2), task=task["homepage"], level=64
    )
    timekeeping.tracker_start(
        workspace=acme,
        user=world.bob,
        assignment=timekeeping.Assignment(contract=bob_brand, project=brand, task=task["logo"]),
        started_at=now - timedelta(minutes=50),
    )
    return today


@pytest.fixture
def mirrored(world, acme_time, make_client):
    """Acme mirrored by real syncs: members, projects, tasks, contracts, then each date's
    timeline of both periods (their entries and daily activity levels)."""
    tenant = mirror_connected(world.acme, world.owner)
    ctx = SyncContext(workspace=tenant, client=make_client(world.owner))
    for sync in (sync_members, sync_projects, sync_tasks, sync_contracts):
        sync(ctx)
    days = set()
    for start, end in (month_boundary_week(acme_time), this_week(acme_time)):
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    sync_time_entries(ctx, sorted(days))
    assert mirror.TimeEntry.objects.filter(workspace=tenant, end_time__isnull=True).exists()  # running now
    return tenant, ctx.client


def period_filters(tenant, start, end, **more):
    return ReportFilters.from_query(
        {"period": "custom", "from": start.isoformat(), "to": end.isoformat(), **more}, workspace=tenant
    )


@pytest.mark.parametrize("period", [month_boundary_week, this_week], ids=["month-boundary", "this-week"])
def test_the_tasks_report_agrees_with_webworks_task_report(world, acme_time, mirrored, client, period):
    tenant, webwork = mirrored
    start, end = period(acme_time)

    ours = defaultdict(int)
    for task in tasks_for_workspace(workspace=tenant, filters=period_filters(tenant, start, end)):
        for member_id, _, minutes in task.members:
            ours[(int(member_id), task.task_id)] += minutes
    answer = webwork.get(
        "reports/task-report",
        params={"workspace_id": world.acme.id, "start_date": start.isoformat(), "end_date": end.isoformat()},
    )
    theirs = defaultdict(int)
    for row in answer.data:
        for task in row["tasks_breakdown"]:
            theirs[(row["user_id"], task["task_id"])] += task["total_minutes"]
    assert ours
    assert dict(ours) == dict(theirs)
    if period is month_boundary_week:
        assert any(task_id is None for _, task_id in ours)  # "No task" time is part of it

    # The page says the same total.
    manager = _manager_of(tenant)
    client.force_login(manager)
    page = client.get(f"/w/{tenant.webwork_id}/reports/tasks/?period=custom&from={start}&to={end}")
    total = re.search(r'data-minutes="total">([^<]+)<', page.content.decode()).group(1)
    assert total == _duration(sum(theirs.values()))


@pytest.mark.parametrize("period", [month_boundary_week, this_week], ids=["month-boundary", "this-week"])
def test_the_activity_report_agrees_with_webworks_activity_level(world, acme_time, mirrored, period):
    tenant, webwork = mirrored
    start, end = period(acme_time)

    report = activity_for_workspace(
        workspace=tenant,
        filters=period_filters(tenant, start, end),
        members=member_choices_for_workspace(workspace=tenant),
    )
    answer = webwork.get(
        "reports/activity-level",
        params={"workspace_id": world.acme.id, "start_date": start.isoformat(), "end_date": end.isoformat()},
    )
    theirs = {row["user_id"]: row for row in answer.data}
    ours = {int(row.member_id): row for row in report.rows}
    assert set(ours) == set(theirs)  # every member WebWork reports, and no other
    for user_id, row in ours.items():
        reported = {day["date"]: day for day in theirs[user_id]["days"]}
        for cell in row.cells:
            day = reported[cell.day.isoformat()]
            assert cell.minutes == day["tracked_minutes"], (user_id, cell.day)
            if day["tracked_minutes"]:
                assert cell.level == day["activity_level"], (user_id, cell.day)
        overall = theirs[user_id]["overall"]
        assert row.minutes == overall["tracked_minutes"]
        if overall["tracked_minutes"]:
            # Daily levels are whole percents: an hours-weighted average of them is within 1 point.
            assert abs(row.average - overall["activity_level"]) <= 1, user_id
    team = answer.body["overall"]
    assert report.minutes == team["tracked_minutes"]
    assert report.minutes > 0
    assert abs(report.team_average - team["activity_level"]) <= 1


def _manager_of(tenant):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=f"webwork-{tenant.sync_connection.webwork_user_id}")
    mirror.WorkspaceAccess.objects.get_or_create(
        user=user,
        workspace=tenant,
        defaults={"connection": tenant.sync_connection, "role": "Owner", "can_manage": True},
    )
    return user


def _duration(minutes):
    hours, mins = divmod(minutes, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"
