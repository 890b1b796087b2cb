"""A manager checks a member's day on the timeline and spots low activity with a threshold, in a
real Chromium, against the sandbox over HTTP after a real sync. What the pages say is read back
from WebWork (the sandbox's entries and its /reports/activity-level)."""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sandbox.models.time import Method
from integrations.sync import orchestrator
from tests.sandbox_world import mirror_connected

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(databases=["default", "sandbox"], transaction=True),
]


def duration(minutes):
    hours, mins = divmod(minutes, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


@pytest.fixture
def yesterday(world):
    """Yesterday in Acme: Alice worked 9:00-11:30 on the Website's Homepage at 80 %, then added
    13:00-13:45 on the Brand book by hand; Bob worked 10:00-12:00 at 30 %."""
    acme = world.acme
    day = timekeeping.local_date(acme, timezone.now()) - timedelta(days=1)
    website = sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Website")
    brand = sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Brand book")
    homepage = sandbox.Task.objects.create(
        workspace=acme, project=website, owner=world.owner, creator=world.owner, title="Homepage"
    )
    plans = (
        (world.alice, website, homepage, 9, 150, 80, Method.DESKTOP, "Hero section"),
        (world.alice, brand, None, 13, 45, 0, Method.MANUAL, "Logo notes"),
        (world.bob, website, None, 10, 120, 30, Method.DESKTOP, "Reading the brief"),
    )
    for user, project, task, hour, minutes, level, method, text in plans:
        contract = sandbox.Contract.objects.get_or_create(workspace=acme, project=project, user=user)[0]
        start = timekeeping.local_moment(acme, day, timedelta(hours=hour))
        recorded = timekeeping.time_entry_create(
            workspace=acme,
            user=user,
            start=start,
            end=start + timedelta(minutes=minutes),
            assignment=timekeeping.Assignment(contract=contract, project=project, task=task),
            activity_description=text,
            method=method,
        )
        sandbox.TimeEntry.objects.filter(pk__in=[e.pk for e in recorded.entries]).update(activity_level=level)
    return day


@pytest.fixture
def signed_in(world, yesterday, live_webwork, page, settings):
    """Acme synced in full into the mirror, and the browser signed in as its Owner."""
    settings.WEBWORK_HISTORY_DAYS = 3
    tenant = mirror_connected(world.acme, world.owner)
    user = get_user_model().objects.get(username=f"webwork-{world.owner.id}")
    mirror.WorkspaceAccess.objects.create(
        user=user, workspace=tenant, connection=tenant.sync_connection, role="Owner", can_manage=True
    )
    assert orchestrator.workspace_sync(tenant, kind="full").status == orchestrator.DONE
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_webwork.url,
            }
        ]
    )
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def test_a_manager_checks_a_members_day_on_the_timeline(world, yesterday, live_webwork, page, signed_in):
    page.goto(f"{live_webwork.url}/w/{world.acme.id}/")
    page.get_by_role("navigation", name="Acme Studio").get_by_role("link", name="Reports").click()
    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Timeline").click()
    expect(page.get_by_role("heading", level=2, name=re.compile(r"\d{4}$"))).to_be_visible()
    page.wait_for_load_state()
    page.get_by_label("Day", exact=True).fill(yesterday.isoformat())  # htmx asks on change
    expect(page.locator("#timeline-title")).to_have_text(yesterday.strftime("%A %-d %B %Y"))
    expect(page).to_have_url(re.compile(rf"date={yesterday.isoformat()}"))

    alice = page.locator(f".timeline-row[data-member='{world.alice.id}']")
    expect(alice.locator("a.timeline-bar")).to_have_count(2)
    expect(alice.locator(".timeline-sum")).to_have_text(duration(150 + 45))
    expect(alice).to_contain_text("09:00\u201313:45 · gaps 1 h 30 min · 45 min by hand")
    expect(page.locator(f".timeline-row[data-member='{world.bob.id}'] a.timeline-bar")).to_have_count(1)

    # The bar added by hand, chosen with the mouse: its entry in a dialog.
    manual = alice.locator("a.timeline-bar").nth(1)
    expect(manual.locator("title")).to_have_text(
        re.compile(r"^Brand book · 13:00.13:45, 45 min, added by hand$")
    )
    manual.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text(f"Alice Moreau · {yesterday.strftime('%a %-d %b %Y')}")
    facts = dialog.locator("dl.facts")
    entry = sandbox.TimeEntry.objects.get(workspace=world.acme, user=world.alice, method=Method.MANUAL)
    zone = timekeeping.workspace_zone(world.acme)
    expect(facts).to_contain_text(f"Start{entry.start_time.astimezone(zone):%H:%M}")
    expect(facts).to_contain_text(f"End{entry.end_time.astimezone(zone):%H:%M}")
    expect(facts).to_contain_text(f"Duration{duration(entry.duration_minutes)}")
    expect(facts).to_contain_text("ProjectBrand book")
    expect(facts).to_contain_text("DescriptionLogo notes")
    expect(facts).to_contain_text("HowAdded by hand")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The other bar, from the keyboard.
    first = alice.locator("a.timeline-bar").first
    first.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog.locator("dl.facts")).to_contain_text("TaskHomepage")
    expect(dialog.locator("dl.facts")).to_contain_text(f"Duration{duration(150)}")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    # Alice's week: her day is the only one with time.
    alice.get_by_role("link", name="Alice Moreau").click()
    expect(page.locator("#timeline-title")).to_contain_text("Alice Moreau")
    expect(page.locator(".timeline-row a.timeline-bar")).to_have_count(2)
    assert signed_in == []


def test_a_manager_spots_low_activity_with_a_threshold(world, yesterday, live_webwork, page, signed_in, api):
    page.goto(f"{live_webwork.url}/w/{world.acme.id}/reports/activity/")
    page.wait_for_load_state()
    page.get_by_label("From", exact=True).fill(yesterday.isoformat())  # the period becomes custom
    page.get_by_label("To", exact=True).fill(yesterday.isoformat())
    expect(page.get_by_label("Period")).to_have_value("custom")
    expect(page.locator("#report-title")).to_contain_text(yesterday.strftime("%a %-d %b %Y"))

    page.get_by_label("Mark members below").fill("50")
    page.get_by_label("Mark members below").press("Enter")
    page.get_by_label("List them first").check()
    rows = page.locator("tr.heat-row")
    expect(rows.first).to_have_attribute("data-member", str(world.bob.id))
    expect(rows.first).to_have_class(re.compile("below-threshold"))
    expect(rows.first.locator(".below-badge")).to_have_text("below 50 %")
    expect(page.locator(".below-list")).to_contain_text("Bob Okafor 30 %")
    expect(page).to_have_url(re.compile(r"below=50&first=1"))
    alice = page.locator(f"tr.heat-row[data-member='{world.alice.id}']")
    expect(alice).not_to_have_class(re.compile("below-threshold"))

    # The page says what WebWork's own activity report says.
    report = api.as_user(world.owner).get(
        "reports/activity-level",
        workspace_id=world.acme.id,
        start_date=yesterday.isoformat(),
        end_date=yesterday.isoformat(),
    )
    levels = {row["user_id"]: row["overall"]["activity_level"] for row in report.json()["data"]}
    expect(alice.locator("[data-level='average']")).to_have_text(f"{levels[world.alice.id]} %")
    expect(rows.first.locator("[data-level='average']")).to_have_text(f"{levels[world.bob.id]} %")
    assert levels[world.bob.id] == 30
    assert signed_in == []
