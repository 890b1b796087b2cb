"""The issue's promise, end to end in a real Chromium: a manager signs in through WebWork's consent
page, finds their workspace, and watches its first sync (run by a real django-q2 cluster) fill the
mirror until the page shows the sandbox's approval queues and who is working now."""

import re
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.cluster import Cluster
from playwright.sync_api import expect

from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping

pytestmark = [
    pytest.mark.browser,
    pytest.mark.cluster,
    pytest.mark.django_db(databases=["default", "sandbox"], transaction=True),
]


@pytest.fixture
def waiting_work(world):
    """Something in each of Acme's approval queues, and Bob tracking time right now."""
    acme = world.acme
    today = timekeeping.local_date(acme, timezone.now())
    monday = timekeeping.week_start(today) - timedelta(days=7)
    for user in (world.alice, world.bob):
        sandbox.Timesheet.objects.create(
            workspace=acme,
            user=user,
            date_from=monday,
            date_to=monday + timedelta(days=6),
            status="submitted",
            submitted_on=timezone.now(),
        )
    yesterday = today - timedelta(days=1)
    sandbox.TimeRequest.objects.create(
        workspace=acme,
        user=world.alice,
        start=timekeeping.local_moment(acme, yesterday, timedelta(hours=14)),
        end=timekeeping.local_moment(acme, yesterday, timedelta(hours=15)),
        notes="Forgot the tracker",
    )
    vacation = sandbox.LeavePolicy.objects.create(workspace=acme, name="Vacation", yearly_allowance=25)
    for days in (10, 20, 30):
        sandbox.LeaveRequest.objects.create(
            workspace=acme,
            user=world.bob,
            policy=vacation,
            start_date=today + timedelta(days=days),
            end_date=today + timedelta(days=days + 2),
        )
    timekeeping.tracker_start(workspace=acme, user=world.bob)
    return world


def sandbox_queues(acme):
    return {
        "timesheets_submitted": sandbox.Timesheet.objects.filter(workspace=acme, status="submitted").count(),
        "time_requests_pending": sandbox.TimeRequest.objects.filter(workspace=acme, status="pending").count(),
        "leaves_pending": sandbox.LeaveRequest.objects.filter(workspace=acme, status="pending").count(),
        "working_now": sandbox.RunningTracker.objects.filter(workspace=acme).count(),
    }


def test_a_manager_signs_in_and_watches_the_first_sync_fill_the_mirror(
    waiting_work,
    live_webwork,
    page,
    settings,
):
    settings.WEBWORK_HISTORY_DAYS = 3  # a short history keeps the first sync to a few seconds
    acme = waiting_work.acme
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    polls = []
    page.on("request", lambda r: polls.append(r.url) if r.headers.get("hx-request") == "true" else None)

    # Sign in on WebWork's own consent page.
    page.goto(f"{live_webwork.url}/")
    page.locator("main").get_by_role("link", name="Sign in with WebWork").click()
    expect(page.get_by_role("heading", name="Sign in to WebWork")).to_be_visible()
    page.get_by_label("Email").fill("owner@acme.test")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Allow").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your workspaces")
    expect(page.get_by_role("status")).to_contain_text(
        "Connected Acme Studio: the first sync starts by itself"
    )
    page.get_by_role("link", name="Acme Studio", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Studio")
    headline = page.locator("#sync-headline")
    expect(headline).to_have_text("First sync queued")
    assert page.locator("#sync-status[hx-trigger='every 2s']").count() == 1

    # A worker picks the first sync up; the page, polling, shows it through to the end. WebWork
    # answering a little slower keeps the sync running over several polls.
    sandbox.FaultSettings.objects.update_or_create(pk=1, defaults={"latency_ms": 150})
    connections.close_all()  # the cluster's processes open their own
    cluster = Cluster(get_broker())
    cluster.start()
    try:
        expect(headline).to_have_text("First sync in progress", timeout=15_000)
        expect(page.locator(".sync-detail")).to_contain_text("Now: ")
        expect(headline).to_contain_text(re.compile(r"^Up to date, last synced"), timeout=25_000)
    finally:
        cluster.stop()

    workspace = mirror.Workspace.objects.get(webwork_id=acme.id)
    state = mirror.SyncState.objects.get(workspace=workspace)
    assert state.first_sync_done_at is not None
    assert state.last_error == ""
    # Polling every 2 s stopped; the card only refreshes once a minute, as the rest of the page does.
    assert page.locator("#sync-status[hx-trigger='every 2s']").count() == 0
    polled = len(polls)
    assert polled >= 1
    page.wait_for_timeout(2500)
    assert len(polls) == polled

    shown = {
        name: int(page.locator(f"[data-count='{name}']").inner_text())
        for name in (
            "timesheets_submitted",
            "time_requests_pending",
            "leaves_pending",
            "working_now",
            "approvals",
        )
    }
    expected = sandbox_queues(acme)
    assert expected == {
        "timesheets_submitted": 2,
        "time_requests_pending": 1,
        "leaves_pending": 3,
        "working_now": 1,
    }
    assert shown == {**expected, "approvals": 6}
    done = state.requests_done
    page.get_by_role("navigation", name="Acme Studio").get_by_role("link", name="Sync health").click()
    expect(page.locator(".sync-plan .sync-numbers")).to_contain_text(f"{done} of {done} requests (100%)")
    assert problems == []
