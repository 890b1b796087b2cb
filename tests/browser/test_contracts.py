"""A manager changes a contract's weekly limit in a real Chromium and sees this week's bar and
forecast follow; pauses and resumes a contract from the list. Each change is checked where it
counts: in WebWork (the sandbox), reached over real HTTP."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dashboard.selectors.contracts import Forecast, limit_forecast
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from tests.browser.helpers import duration, sign_in_as_owner

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(databases=["default", "sandbox"], transaction=True),
]
TRACKED = 6 * 60  # Alice's minutes on Website today


def forecast_words(tenant, tracked, limit):
    """What the forecast says today, worked out by the same arithmetic the page uses."""
    today = tenant.today()
    result = limit_forecast(
        tracked_minutes=tracked, weekly_hours_limit=limit, today=today, week_start=tenant.week_start(today)
    )
    if result.state == Forecast.OVER:
        return f"Over the limit by {duration(result.over_minutes)}."
    if result.state == Forecast.REACHED:
        return "The limit is reached."
    if result.state == Forecast.REACHES:
        return f"At this pace, reaches the limit on {result.reach_date:%A}."
    return f"At this pace, about {duration(result.left_minutes)} left at the week's end."


@pytest.fixture
def alice_on_website(world):
    """Alice on Acme's Website with a limit of 40 h and 6 h tracked today; Bob on it without one."""
    acme = world.acme
    website = sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Website", rate=80)
    contract = sandbox.Contract.objects.create(
        workspace=acme, project=website, user=world.alice, weekly_hours_limit=40
    )
    sandbox.Contract.objects.create(workspace=acme, project=website, user=world.bob)
    today = timekeeping.local_date(acme, timezone.now())
    start = timekeeping.local_moment(acme, today, timedelta(minutes=30))
    timekeeping.time_entry_create(
        workspace=acme,
        user=world.alice,
        start=start,
        end=start + timedelta(minutes=TRACKED),
        assignment=timekeeping.Assignment(contract=contract, project=website),
    )
    return contract


@pytest.fixture
def signed_in_page(world, alice_on_website, live_webwork, page, settings):
    """Acme connected by its Owner and fully synced; the browser signed in as the Owner."""
    settings.WEBWORK_HISTORY_DAYS = 3
    page.tenant, page.problems = sign_in_as_owner(
        world, page, live_webwork, first_name="Olivia", last_name="Owens"
    )
    return page


def test_a_manager_lowers_a_weekly_limit_and_sees_the_bar_and_the_forecast_follow(
    signed_in_page, alice_on_website, live_webwork, world
):
    page, tenant = signed_in_page, signed_in_page.tenant
    page.goto(f"{live_webwork.url}/w/{world.acme.id}/")
    page.get_by_role("navigation", name="Acme Studio").get_by_role("link", name="Contracts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contracts")
    row = page.locator(f"#contract-{alice_on_website.id}")
    expect(row).to_contain_text(f"{duration(TRACKED)} of 40 h (15%)")
    expect(row.locator("meter")).to_have_attribute("max", "2400")
    expect(row.locator("meter")).to_have_attribute("value", str(TRACKED))
    expect(row.locator(".forecast")).to_contain_text(forecast_words(tenant, TRACKED, 40))
    expect(page.locator(".contract-row").filter(has_text="Bob Okafor")).to_contain_text("no limit")

    row.get_by_role("link", name="Edit the contract of Alice Moreau on Website").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit the contract of Alice Moreau")
    page.get_by_label("Weekly limit (hours)").fill("5")
    page.get_by_role("button", name="Save the terms").click()

    # Back on the list it came from: the bar is full and red, the forecast says by how much.
    expect(page).to_have_url(re.compile(r"/contracts/$"))
    expect(page.get_by_role("status")).to_contain_text(
        "Saved the contract of Alice Moreau on Website: 5 h a week."
    )
    expect(row.locator("meter")).to_have_attribute("max", "300")
    expect(row.locator("meter")).to_have_attribute("value", "300")
    expect(row).to_contain_text(f"{duration(TRACKED)} of 5 h (120%)")
    expect(row.locator(".forecast")).to_have_text("Over the limit by 1 h 00 min.")
    expect(row).to_contain_text("Over its limit")
    alice_on_website.refresh_from_db()
    assert alice_on_website.weekly_hours_limit == 5  # WebWork has it

    # The contract's page: the same figures, the chart drawn, and the change in its history.
    row.get_by_role("link", name="Alice Moreau", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alice Moreau")
    expect(page.locator(".contract-week .forecast")).to_have_text("Over the limit by 1 h 00 min.")
    expect(page.locator(".contract-weeks-table tr.week-current td.num").first).to_have_text(duration(TRACKED))
    page.wait_for_function("() => !!Chart.getChart(document.getElementById('contract-weeks-chart'))")
    drawn = page.evaluate("() => Chart.getChart(document.getElementById('contract-weeks-chart')).data")
    assert drawn["datasets"][0]["data"][-1] == TRACKED / 60
    assert drawn["datasets"][1]["data"][-1] == 5
    expect(page.locator("#contract-history")).to_contain_text("Olivia Owens changed the contract")
    expect(page.locator("#contract-history")).to_contain_text("40 h → 5 h")
    assert page.problems == []


def test_a_manager_pauses_and_resumes_a_contract_from_the_list(
    signed_in_page, alice_on_website, live_webwork, world
):
    page = signed_in_page
    page.goto(f"{live_webwork.url}/w/{world.acme.id}/contracts/")
    row = page.locator(f"#contract-{alice_on_website.id}")

    row.get_by_role("button", name="Pause the contract of Alice Moreau on Website").click()

    expect(row.locator(".status-paused")).to_have_text("Paused")
    expect(row.locator(".forecast")).to_have_text("Paused: no forecast.")
    resume = row.get_by_role("button", name="Resume the contract of Alice Moreau on Website")
    expect(resume).to_be_visible()
    alice_on_website.refresh_from_db()
    assert alice_on_website.status == "paused"  # WebWork has it
    assert page.url.endswith("/contracts/")  # the row changed in place

    resume.click()

    expect(row.get_by_role("button", name="Pause the contract of Alice Moreau on Website")).to_be_visible()
    expect(row.locator(".status-paused")).to_have_count(0)
    alice_on_website.refresh_from_db()
    assert alice_on_website.status == "active"
    page.get_by_role("link", name="Audit trail").click()
    expect(page.locator(".audit-event").first).to_contain_text("resumed contract")
    assert page.problems == []
