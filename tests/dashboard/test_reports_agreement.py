"""The Hours report agrees with WebWork's own reports.

The sandbox (WebWork) is given a few weeks of time in a workspace of each time zone — Berlin,
and two far from UTC: Auckland and Los Angeles — with time that crosses local midnight (and the
last midnight of a month), time without a task and on a project that is not billable, an entry
deleted after a first sync and a tracker running now. The mirror is filled by the real sync over
the real client; then, for several periods (a week that crosses a month boundary, last week,
this week, the whole month, a custom range up to today), the page's total, and the CSV's rows per
day and member, equal what `/reports/tracked-hours` answers over the same client; minutes per
member and task equal `/reports/task-report`; amounts on billable projects equal WebWork's.
"""

import csv
import io
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sync.base import SyncContext
from integrations.sync.contracts import sync_contracts
from integrations.sync.members import sync_members
from integrations.sync.project_tasks import sync_tasks
from integrations.sync.projects import sync_projects
from integrations.sync.time_entries import sync_time_entries
from tests.sandbox_world import mirror_connected

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
CENT = Decimal("0.01")


def at(zone, day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), zone)


def boundary_week(today):
    """The Monday of the latest week before last week whose days span two months."""
    monday = today - timedelta(days=today.weekday() + 14)
    while monday.month == (monday + timedelta(days=6)).month:
        monday -= timedelta(days=7)
    return monday


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


class KeptConnections(httpx.BaseTransport):
    """The sandbox's wire between the test client's requests: Django's test client connects
    `close_old_connections` to the request signals again after each of its requests, and a
    sandbox request must not close the test's database connections."""

    def __init__(self, wire):
        self.wire = wire

    def handle_request(self, request):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        return self.wire.handle_request(request)


@pytest.fixture(params=["Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles"])
def acme(request, world, sandbox_transport, make_client, client, settings):
    """Acme in the time zone of the parameter: its time in WebWork, then mirrored by a sync."""
    settings.WEBWORK_HTTP_TRANSPORT = KeptConnections(sandbox_transport)
    zone_name = request.param
    sandbox.Workspace.objects.filter(pk=world.acme.pk).update(timezone=zone_name)
    world.acme.refresh_from_db()
    tenant = mirror_connected(world.acme, world.owner)
    zone = tenant.zone
    today = tenant.today()
    monday = boundary_week(today)
    first = next(monday + timedelta(days=n) for n in range(7) if (monday + timedelta(days=n)).day == 1)
    last_week = today - timedelta(days=today.weekday() + 7)

    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website", rate=80)
    internal = sandbox.Project.objects.create(
        workspace=world.acme, owner=world.owner, name="Internal", is_billable=False
    )
    homepage = sandbox.Task.objects.create(
        workspace=world.acme, project=website, owner=world.owner, creator=world.owner, title="Homepage"
    )
    alice_web = sandbox.Contract.objects.create(
        workspace=world.acme, project=website, user=world.alice, rate=50
    )
    bob_web = sandbox.Contract.objects.create(
        workspace=world.acme, project=website, user=world.bob, rate=Decimal("33.33"), rate_type=2
    )
    alice_internal = sandbox.Contract.objects.create(
        workspace=world.acme, project=internal, user=world.alice, rate=40
    )
    web = timekeeping.Assignment(contract=alice_web, project=website)
    web_task = timekeeping.Assignment(contract=alice_web, project=website, task=homepage)
    bob = timekeeping.Assignment(contract=bob_web, project=website)
    inside = timekeeping.Assignment(contract=alice_internal, project=internal)

    def add(user, assignment, start, end):
        timekeeping.time_entry_create(
            workspace=world.acme, user=user, start=start, end=end, assignment=assignment
        )

    # The week across two months.
    add(world.alice, web_task, at(zone, monday, 9), at(zone, monday, 12, 15))
    add(
        world.alice,
        web,
        at(zone, monday + timedelta(days=2), 22, 30),
        at(zone, monday + timedelta(days=3), 1, 45),
    )
    add(
        world.bob, bob, at(zone, first - timedelta(days=1), 23), at(zone, first, 0, 30)
    )  # the month's last midnight
    add(world.bob, bob, at(zone, first, 8), at(zone, first, 16, 20))
    add(
        world.alice,
        inside,
        at(zone, monday + timedelta(days=4), 13),
        at(zone, monday + timedelta(days=4), 15),
    )
    add(
        world.alice,
        web,
        at(zone, monday + timedelta(days=5), 11, 30),
        at(zone, monday + timedelta(days=5), 13, 31),
    )
    # Last week, its Sunday night running into this week's Monday.
    add(world.alice, web, at(zone, last_week, 10), at(zone, last_week, 11, 7))
    add(
        world.bob,
        bob,
        at(zone, last_week + timedelta(days=1), 9),
        at(zone, last_week + timedelta(days=1), 17, 3),
    )
    add(
        world.alice,
        web_task,
        at(zone, last_week + timedelta(days=6), 23, 30),
        at(zone, last_week + timedelta(days=7), 0, 40),
    )
    # Deleted after the first sync.
    doomed = timekeeping.time_entry_create(
        workspace=world.acme,
        user=world.alice,
        start=at(zone, last_week + timedelta(days=2), 14),
        end=at(zone, last_week + timedelta(days=2), 16),
        assignment=web,
    ).entries
    # Running now, since 3 hours ago (maybe since yesterday, local time).
    timekeeping.tracker_start(
        workspace=world.acme, user=world.bob, assignment=bob, started_at=timezone.now() - timedelta(hours=3)
    )

    ctx = SyncContext(workspace=tenant, client=make_client(world.owner))
    for sync in (sync_members, sync_projects, sync_contracts, sync_tasks):
        sync(ctx)
    days = [monday - timedelta(days=3) + timedelta(days=n) for n in range((today - monday).days + 4)]
    sync_time_entries(ctx, days)
    for entry in doomed:
        timekeeping.time_entry_delete(entry)
    sync_time_entries(ctx, days)

    user = get_user_model().objects.get(username=f"webwork-{world.owner.id}")
    mirror.WorkspaceAccess.objects.create(
        user=user, workspace=tenant, connection=tenant.sync_connection, role="Owner", can_manage=True
    )
    client.force_login(user)
    names = {person.id: f"{person.firstname} {person.lastname}" for person in (world.alice, world.bob)}
    return {
        "tenant": tenant,
        "webwork": make_client(world.owner),
        "today": today,
        "monday": monday,
        "first": first,
        "last_week": last_week,
        "website": website,
        "names": names,
    }


def periods(acme):
    monday, first, today = acme["monday"], acme["first"], acme["today"]
    month_end = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return {
        "a week across two months": (monday, monday + timedelta(days=6)),
        "last week": (acme["last_week"], acme["last_week"] + timedelta(days=6)),
        "this week": (
            today - timedelta(days=today.weekday()),
            today - timedelta(days=today.weekday()) + timedelta(days=6),
        ),
        "the month of that week's 1st": (first, month_end),
        "up to today": (monday - timedelta(days=3), today),
    }


def tracked_hours(acme, start, end, **params):
    answer = acme["webwork"].get(
        "reports/tracked-hours",
        params={
            "workspace_id": acme["tenant"].webwork_id,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            **params,
        },
    )
    return answer.data


def by_day_and_member(acme, answer):
    found = {}
    for day, group in answer["days"].items():
        for row in group["users"]:
            key = (day, acme["names"][row["user_id"]])
            found[key] = found.get(key, 0) + row["total_minutes"]
    return found


def test_the_hours_report_and_its_csv_agree_with_webworks_tracked_hours(acme, client):
    tenant = acme["tenant"]
    checked = 0
    for name, (start, end) in periods(acme).items():
        query = f"period=custom&from={start.isoformat()}&to={end.isoformat()}&by=day&then=member"
        answer = tracked_hours(acme, start, end)

        page = client.get(f"/w/{tenant.webwork_id}/reports/?{query}")
        total = int(re.search(r'data-total-minutes="(\d+)"', page.content.decode()).group(1))
        rows = csv_rows(client.get(f"/w/{tenant.webwork_id}/reports/hours.csv?{query}"))
        ours = {
            (row[0], row[1]): int(row[3])
            for row in rows[1:]
            if row and row[0][:2] == "20" and row[1] != "Subtotal"
        }
        csv_total = next(int(row[3]) for row in rows if row and row[0] == "Total")

        assert total == answer["total"]["total_minutes"], name
        assert csv_total == answer["total"]["total_minutes"], name
        assert ours == by_day_and_member(acme, answer), name
        checked += bool(ours)
    assert checked >= 4  # the periods hold time


def test_amounts_on_billable_projects_agree_to_the_cent(acme, client):
    tenant, website = acme["tenant"], acme["website"]
    for name, (start, end) in periods(acme).items():
        query = f"period=custom&from={start}&to={end}&project={website.id}&by=member&then=day"
        answer = tracked_hours(acme, start, end, projects=str(website.id))

        rows = csv_rows(client.get(f"/w/{tenant.webwork_id}/reports/hours.csv?{query}"))
        header, total = rows[0], next(row for row in rows if row and row[0] == "Total")

        expected = Decimal(str(answer["total"]["total_amount"]["EUR"])).quantize(CENT)
        assert header[-1] == "Amount (EUR)", name
        assert Decimal(total[-1] or "0") == expected, name
        assert int(total[3]) == answer["total"]["total_minutes"], name


def test_time_on_a_project_that_is_not_billable_earns_nothing_here_unlike_webworks_tracked_hours(
    acme, client
):
    """WebWork shows no rate on a project that is not billable (contracts, timesheets), yet its
    tracked-hours report still multiplies that contract's rate: Clockroom shows what it may see."""
    tenant, monday = acme["tenant"], acme["monday"]
    start, end = monday, monday + timedelta(days=6)
    answer = tracked_hours(acme, start, end)
    billable = tracked_hours(acme, start, end, projects=str(acme["website"].id))

    rows = csv_rows(
        client.get(
            f"/w/{tenant.webwork_id}/reports/hours.csv?period=custom&from={start}&to={end}&by=project&then=none"
        )
    )
    total = next(row for row in rows if row and row[0] == "Total")

    webwork_total = Decimal(str(answer["total"]["total_amount"]["EUR"]))
    webwork_billable = Decimal(str(billable["total"]["total_amount"]["EUR"])).quantize(CENT)
    internal = webwork_total - webwork_billable
    assert internal == Decimal("80.00")  # Alice's 2 h at 40 on Internal
    assert Decimal(total[-1]) == webwork_billable
    assert int(total[2]) == answer["total"]["total_minutes"]


def test_minutes_per_member_and_task_agree_with_webworks_task_report(acme, client):
    tenant = acme["tenant"]
    compared = 0
    for name, (start, end) in periods(acme).items():
        if (end - start).days >= 31:  # WebWork's task report spans a month at most
            continue
        compared += 1
        answer = acme["webwork"].get(
            "reports/task-report",
            params={
                "workspace_id": tenant.webwork_id,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
            },
        )
        theirs_tasks, theirs_members = {}, {}
        for row in answer.data:
            theirs_members[row["user_id"]] = row["total_minutes"]
            for task in row["tasks_breakdown"]:
                if task["task_id"] is not None:
                    theirs_tasks[(row["user_id"], task["task_id"])] = task["total_minutes"]

        page = client.get(
            f"/w/{tenant.webwork_id}/reports/?period=custom&from={start.isoformat()}&to={end.isoformat()}&by=member&then=task"
        )
        hours = page.context["hours"]
        ours_tasks, ours_members = {}, {}
        for row in hours.rows:
            member = row.first.key[0]
            if row.kind == "subtotal":
                ours_members[member] = row.minutes
            elif row.second.key[0] is not None:
                ours_tasks[(member, row.second.key[0])] = row.minutes

        assert ours_tasks == theirs_tasks, name
        assert ours_members == {member: minutes for member, minutes in theirs_members.items() if minutes}, (
            name
        )
    assert compared >= 4
