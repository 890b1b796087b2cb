"""The approvals inbox in a real Chromium, against the sandbox over HTTP after a real sync: a
manager approves a timesheet inline, rejects a time request with a reason in the dialog, and
approves five leaves at once while one of them was approved in WebWork meanwhile (a real
django-q2 cluster runs the bulk decision). Each outcome is read back from the sandbox's API."""

import re
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.cluster import Cluster
from playwright.sync_api import expect

from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from tests.browser.helpers import sign_in_as_owner
from tests.integrations.helpers import weekday

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(databases=["default", "sandbox"], transaction=True),
]


@pytest.fixture
def waiting(world):
    """In Acme: Alice's and Bob's submitted timesheets of last week, a pending time request of
    Alice's, and five pending leaves."""
    acme = world.acme
    today = timekeeping.local_date(acme, timezone.now())
    monday = timekeeping.week_start(today) - timedelta(days=7)
    for user, hours in ((world.alice, 3), (world.bob, 2)):
        start = timekeeping.local_moment(acme, monday, timedelta(hours=9))
        timekeeping.time_entry_create(
            workspace=acme, user=user, start=start, end=start + timedelta(hours=hours)
        )
    sheets = {s.user_id: s for s in sandbox.Timesheet.objects.filter(workspace=acme, date_from=monday)}
    for sheet in sheets.values():
        timekeeping.timesheet_submit(sheet)
    yesterday = today - timedelta(days=1)
    asked = timekeeping.time_request_create(
        workspace=acme,
        user=world.alice,
        start=timekeeping.local_moment(acme, yesterday, timedelta(hours=14)),
        end=timekeeping.local_moment(acme, yesterday, timedelta(hours=15, minutes=30)),
        notes="Forgot the tracker at the client's",
    )
    vacation = sandbox.LeavePolicy.objects.create(workspace=acme, name="Vacation", yearly_allowance=25)
    leaves = [
        sandbox.LeaveRequest.objects.create(
            workspace=acme, user=user, policy=vacation, start_date=weekday(week), end_date=weekday(week, 3)
        )
        for user, week in (
            (world.alice, 40),
            (world.bob, 41),
            (world.team_manager, 42),
            (world.manager, 43),
            (world.alice, 45),
        )
    ]
    return {"sheet": sheets[world.alice.id], "time_request": asked, "leaves": leaves}


@pytest.fixture
def inbox(world, waiting, live_webwork, page, settings):
    """Acme connected by its Owner and synced over HTTP; the Owner signed in in the browser.
    Yields the inbox's address; no error may reach the browser's console meanwhile."""
    settings.WEBWORK_HISTORY_DAYS = 3
    _tenant, problems = sign_in_as_owner(world, page, live_webwork, first_name="Olivia", last_name="Owens")
    yield f"{live_webwork.url}/w/{world.acme.id}/approvals/"
    assert problems == []


def test_a_manager_approves_a_timesheet_inline(inbox, page, world, owner_api, waiting):
    page.goto(inbox)
    expect(page.get_by_role("heading", level=1)).to_have_text("Approvals")
    expect(page.locator("[data-count='timesheets']")).to_have_text("2")
    row = page.get_by_role("row", name=re.compile(r"^Alice Moreau's timesheet"))
    expect(row).to_contain_text("3 h 00 min")
    expect(row.get_by_role("img")).to_have_attribute("aria-label", re.compile(r"^Mon 3 h 00 min, Tue 0 min"))

    row.get_by_role("button", name=re.compile(r"^Approve")).click()

    expect(row.locator(".cell-decision .status")).to_have_text("Approved")
    expect(row.get_by_role("button", name=re.compile(r"^Approve"))).to_have_count(0)
    expect(page.locator("[data-count='timesheets']")).to_have_text("1")  # the tab followed
    expect(row).to_be_focused()  # the keyboard stays where it was
    sheet = waiting["sheet"]
    answer = owner_api.get("timesheets", workspace_id=world.acme.id, id=str(sheet.id)).json()["data"]
    assert [(t["id"], t["status"]) for t in answer] == [(str(sheet.id), "approved")]
    row.locator("summary", has_text="History").click()
    expect(row.locator(".history-list")).to_contain_text("Olivia Owens approved")

    # Bob's, with the keyboard: j moves to his row, x selects it and a approves it.
    bobs = page.get_by_role("row", name=re.compile(r"^Bob Okafor's timesheet"))
    row.focus()
    page.keyboard.press("j")
    expect(bobs).to_be_focused()
    page.keyboard.press("x")
    expect(bobs.get_by_role("checkbox")).to_be_checked()
    expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
    page.keyboard.press("a")
    expect(bobs.locator(".cell-decision .status")).to_have_text("Approved")
    expect(page.locator("[data-count='timesheets']")).to_have_text("0")


def test_a_manager_rejects_a_time_request_with_a_reason(inbox, page, world, owner_api, waiting):
    page.goto(f"{inbox}?tab=time_requests")
    row = page.get_by_role("row", name=re.compile(r"^Alice Moreau's time request"))
    expect(row).to_contain_text("1 h 30 min")
    expect(row).to_contain_text("Forgot the tracker at the client's")
    dialog = page.get_by_role("dialog")

    # With the keyboard: j to the row, r opens the dialog, Escape closes it, focus comes back.
    page.keyboard.press("j")
    expect(row).to_be_focused()
    page.keyboard.press("r")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Reason")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(row.get_by_role("link", name=re.compile(r"^Reject"))).to_be_focused()

    row.get_by_role("link", name=re.compile(r"^Reject")).click()
    expect(dialog).to_contain_text("Reject Alice Moreau's time request")
    dialog.get_by_label("Reason").fill("Please add it to the Support project instead.")
    dialog.get_by_role("button", name="Reject").click()

    expect(dialog).to_be_hidden()
    expect(row.locator(".cell-decision .status")).to_have_text("Rejected")
    expect(row).to_contain_text("Please add it to the Support project instead.")
    expect(page.locator("[data-count='time_requests']")).to_have_text("0")
    asked = waiting["time_request"]
    answer = owner_api.get(f"time-requests/{asked.id}", workspace_id=world.acme.id).json()["data"]
    assert (answer["status"], answer["comment"]) == (
        "rejected",
        "Please add it to the Support project instead.",
    )


@pytest.fixture
def cluster(db):
    """A real django-q2 cluster, for the queued bulk decision."""
    connections.close_all()  # the cluster's processes open their own
    running = Cluster(get_broker())
    running.start()
    yield running
    running.stop()


def test_a_manager_approves_five_leaves_at_once_and_one_was_decided_meanwhile(
    inbox, page, world, owner_api, waiting, cluster
):
    leaves = waiting["leaves"]
    page.goto(f"{inbox}?tab=leaves")
    expect(page.locator("tr[data-row]")).to_have_count(5)
    # Meanwhile, in WebWork itself, Marcus approves Tara's leave.
    changed = leaves[2]
    sandbox.LeaveRequest.objects.filter(pk=changed.pk).update(status="approved", approved_by=world.manager)

    page.get_by_label("Select all 5 on this page").check()
    expect(page.locator("[data-selected-count]")).to_have_text("5 selected")
    page.get_by_role("button", name="Approve selected").click()

    panel = page.locator(".bulk-panel").first
    expect(panel).to_be_visible()
    expect(panel.locator(".bulk-status")).to_have_attribute("aria-live", "polite")
    expect(panel.locator(".bulk-status")).to_contain_text("5 of 5 decided · 1 refused", timeout=30_000)
    expect(panel).to_contain_text("refused — This leave request is no longer pending (it is approved).")
    refused_row = page.get_by_role("row", name=re.compile(r"^Tara Lind's leave"))
    expect(refused_row.locator(".refusal")).to_contain_text(
        "WebWork refused: This leave request is no longer pending (it is approved)."
    )
    for name in ("Alice Moreau", "Bob Okafor", "Marcus Reed"):
        expect(
            page.get_by_role("row", name=re.compile(rf"^{name}'s leave")).first.locator(
                ".cell-decision .status"
            )
        ).to_have_text("Approved")
    expect(page.locator("[data-count='leaves']")).to_have_text("1")  # Tara's, until the next sync

    answers = {
        leave["id"]: (leave["status"], leave["approved_by"])
        for leave in owner_api.get("leaves", workspace_id=world.acme.id, per_page=50).json()["data"]
    }
    assert answers[str(changed.id)] == ("approved", world.manager.id)
    for leave in leaves:
        if leave is not changed:
            assert answers[str(leave.id)] == ("approved", world.owner.id)

    # The audit trail shows all of it: four approvals through Clockroom, one refused by WebWork.
    page.get_by_role("navigation", name="Acme Studio").get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    events = page.locator("tr.audit-event")
    expect(page.locator("tr.audit-done", has_text="approved leave")).to_have_count(4)
    refused = page.locator("tr.audit-refused")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("Tara Lind")
    expect(refused).to_contain_text(
        "WebWork refused: This leave request is no longer pending (it is approved)."
    )
    assert events.count() >= 5
