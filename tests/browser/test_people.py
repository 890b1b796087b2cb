"""A manager looks a person up by name in a real Chromium, opens their page and reads their
contracts and this week's hours: the figures WebWork (the sandbox) holds, after a real sync over
HTTP."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from tests.browser.helpers import duration, sign_in_as_owner

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(databases=["default", "sandbox"], transaction=True),
]


@pytest.fixture
def alices_week(world):
    """Alice on two of Acme's projects, with time this week on both, and Bob with time too."""
    acme = world.acme
    website = sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Website relaunch")
    brand = sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Brand book")
    contracts = [
        sandbox.Contract.objects.create(
            workspace=acme, project=website, user=world.alice, weekly_hours_limit=20
        ),
        sandbox.Contract.objects.create(workspace=acme, project=brand, user=world.alice),
        sandbox.Contract.objects.create(workspace=acme, project=brand, user=world.bob),
    ]
    today = timekeeping.local_date(acme, timezone.now())
    for hour, contract, minutes in ((1, contracts[0], 95), (3, contracts[1], 40), (1, contracts[2], 30)):
        start = timekeeping.local_moment(acme, today, timedelta(hours=hour))
        timekeeping.time_entry_create(
            workspace=acme,
            user=contract.user,
            start=start,
            end=start + timedelta(minutes=minutes),
            assignment=timekeeping.Assignment(contract=contract, project=contract.project),
        )
    return world


def test_a_manager_looks_up_a_person_and_reads_their_contracts_and_hours(
    alices_week, live_webwork, page, settings
):
    settings.WEBWORK_HISTORY_DAYS = 3
    world = alices_week
    _tenant, problems = sign_in_as_owner(world, page, live_webwork)

    page.goto(f"{live_webwork.url}/w/{world.acme.id}/")
    page.get_by_role("navigation", name="Acme Studio").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    page.wait_for_load_state()  # htmx ready to hear the typing
    rows = page.locator("tr.person-row")
    expect(rows).to_have_count(sandbox.Membership.objects.filter(workspace=world.acme).count())

    page.get_by_label("Name or email").fill("alice")  # htmx asks as one types
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/people/\?q=alice$"))
    alice_minutes = 95 + 40
    expect(rows.first.locator("td[data-label='This week']")).to_have_text(duration(alice_minutes))
    expect(rows.first.locator("td[data-label='Contracts']")).to_have_text("2")

    rows.first.get_by_role("link", name="Alice Moreau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alice Moreau")
    expect(page.locator("#person-summary [data-minutes='week']")).to_have_text(duration(alice_minutes))
    contracts = page.locator("tr.contract-row")
    expect(contracts).to_have_count(
        sandbox.Contract.objects.filter(workspace=world.acme, user=world.alice).count()
    )
    website = contracts.filter(has_text="Website relaunch")
    expect(website).to_contain_text("20 h")
    expect(website.locator(".contract-week")).to_contain_text(duration(95))
    expect(contracts.filter(has_text="Brand book")).to_contain_text(duration(40))
    this_week = page.locator(".weeks-table tr.week-current td.num")
    expect(this_week).to_have_text(duration(alice_minutes))
    tracked = sum(
        sandbox.TimeEntry.objects.filter(workspace=world.acme, user=world.alice).values_list(
            "duration_minutes", flat=True
        )
    )
    assert tracked == alice_minutes  # what WebWork holds is what the page says

    website.get_by_role("link", name="Website relaunch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Website relaunch")
    expect(page.locator("tr.contract-row")).to_contain_text("Alice Moreau")
    assert problems == []
