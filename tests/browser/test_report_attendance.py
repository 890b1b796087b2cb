"""A manager opens the Attendance report in a real Chromium: last week's late arrivals, read from
the mirror a real sync filled; then an older week the mirror lacks, which the page asks WebWork
for by itself and shows once a django-q2 worker has read it."""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from django_q.brokers import get_broker
from django_q.cluster import Cluster
from playwright.sync_api import expect

from integrations import models as mirror
from integrations.sandbox import timekeeping
from integrations.sandbox.models.time import Method
from integrations.sync import orchestrator
from tests.integrations.helpers import at, berlin_today
from tests.sandbox_world import mirror_connected

pytestmark = [
    pytest.mark.browser,
    pytest.mark.cluster,
    pytest.mark.django_db(databases=["default", "sandbox"], transaction=True),
]


def work(world, user, day, start, end):
    timekeeping.time_entry_create(
        workspace=world.acme, user=user, start=at(day, *start), end=at(day, *end), method=Method.DESKTOP
    )


@pytest.fixture
def weeks(world):
    """Last week's Monday: Alice starts at 10:20 (late), Bob on time. Six weeks earlier, Monday:
    Alice late again (10:05), Bob not at all."""
    today = berlin_today()
    last_monday = today - timedelta(days=today.weekday() + 7)
    older_monday = last_monday - timedelta(weeks=6)
    work(world, world.alice, last_monday, (10, 20), (17, 30))
    work(world, world.bob, last_monday, (9, 0), (17, 30))
    work(world, world.alice, older_monday, (10, 5), (17, 0))
    return last_monday, older_monday


def sign_in(page, live_webwork, user):
    signed_in = Client()
    signed_in.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": signed_in.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_webwork.url,
            }
        ]
    )


def test_a_manager_sees_last_week_s_late_arrivals_and_an_older_week_fetched(
    world, weeks, live_webwork, page, settings
):
    settings.WEBWORK_HISTORY_DAYS = 14  # the nightly sync reads today and the 14 days before
    last_monday, older_monday = weeks
    tenant = mirror_connected(world.acme, world.owner)
    user = get_user_model().objects.get(username=f"webwork-{world.owner.id}")
    mirror.WorkspaceAccess.objects.create(
        user=user, workspace=tenant, connection=tenant.sync_connection, role="Owner", can_manage=True
    )
    assert orchestrator.workspace_sync(tenant, kind="full").status == orchestrator.DONE
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    sign_in(page, live_webwork, user)

    # Last week: held by the sync; Alice's late Monday is there with how late she was.
    page.goto(f"{live_webwork.url}/w/{world.acme.id}/reports/")
    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Attendance").click()
    expect(page.get_by_role("link", name="Attendance", exact=True)).to_have_attribute("aria-current", "page")
    page.get_by_label("Period").select_option("last_week")
    expect(page).to_have_url(re.compile(r"/reports/attendance/\?period=last_week"))
    expect(page.locator("#att-title")).to_contain_text(f"{last_monday.day} {last_monday:%b}")
    late_rows = page.locator("tr.att-row").filter(has=page.locator(".att-badge.att-late"))
    expect(late_rows).to_have_count(1)
    expect(late_rows.first).to_contain_text("Alice Moreau")
    expect(late_rows.first).to_contain_text("Late by 50 min")
    expect(late_rows.first.locator(".att-start")).to_contain_text("10:20")
    page.locator(".att-count a").filter(has_text="Late").click()  # only the late days
    expect(page).to_have_url(re.compile(r"status=late"))
    expect(page.locator("tr.att-row")).to_have_count(1)
    assert not page.locator(".att-notice").count()  # nothing of last week is missing

    # Six weeks ago: not held. The page asks WebWork for it by itself and says so.
    older_sunday = older_monday + timedelta(days=6)
    page.goto(
        f"{live_webwork.url}/w/{world.acme.id}/reports/attendance/"
        f"?period=custom&from={older_monday}&to={older_sunday}"
    )
    fetching = page.get_by_role("status").filter(has_text="Fetching attendance for")
    expect(fetching).to_be_visible()
    fetch = mirror.AttendanceFetch.objects.get()
    assert (fetch.date_from, fetch.date_to, fetch.requested_by) == (older_monday, older_sunday, user)

    connections.close_all()  # the cluster's processes open their own
    cluster = Cluster(get_broker())
    cluster.start()
    try:
        rows = page.locator("tr.att-row")
        expect(rows).to_have_count(7 * 5, timeout=30_000)  # five members, seven days
        expect(fetching).to_have_count(0)
    finally:
        cluster.stop()
    alice_monday = rows.filter(has_text="Alice Moreau").filter(
        has=page.locator(f"time[datetime='{older_monday}']")
    )
    expect(alice_monday).to_contain_text("Late by 35 min")
    bob_monday = rows.filter(has_text="Bob Okafor").filter(
        has=page.locator(f"time[datetime='{older_monday}']")
    )
    expect(bob_monday.locator(".att-badge")).to_have_text(["Absent"])
    fetch.refresh_from_db()
    assert fetch.status == mirror.AttendanceFetch.Status.DONE
    assert fetch.requests == 7  # one request a date: five members
    stored = mirror.DailyAttendance.objects.get(webwork_id=f"{world.alice.id}:{older_monday}")
    assert stored.late_minutes == 35
    assert not problems, problems
