"""A manager reads the Hours report in a real Chromium: changes the period and the grouping and sees
the chart follow, downloads the CSV and finds the page's total in it (and WebWork's), saves the
report and reopens it from the list of saved reports."""

import csv
import json
import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from dashboard.models import SavedReport
from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sync import orchestrator
from tests.sandbox_world import mirror_connected

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(databases=["default", "sandbox"], transaction=True),
]


def chart_data(page):
    """What the chart's canvas draws, once it is drawn: its labels and each dataset's label and values."""
    page.wait_for_function(
        """() => {
            const canvas = document.querySelector("canvas.hours-chart-canvas");
            return canvas && window.Chart && window.Chart.getChart(canvas);
        }"""
    )
    return page.evaluate(
        """() => {
            const chart = window.Chart.getChart(document.querySelector("canvas.hours-chart-canvas"));
            return chart ? {labels: chart.data.labels,
                            datasets: chart.data.datasets.map(d => ({label: d.label, data: d.data}))} : null;
        }"""
    )


@pytest.fixture
def two_weeks(world):
    """Alice and Bob on Acme's Website: time on each working day of last week, and this morning."""
    acme = world.acme
    website = sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Website", rate=80)
    design = sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Design", rate=90)
    jobs = [
        (
            world.alice,
            sandbox.Contract.objects.create(workspace=acme, project=website, user=world.alice, rate=50),
        ),
        (
            world.alice,
            sandbox.Contract.objects.create(workspace=acme, project=design, user=world.alice, rate=60),
        ),
        (
            world.bob,
            sandbox.Contract.objects.create(workspace=acme, project=website, user=world.bob, rate=40),
        ),
    ]
    today = timekeeping.local_date(acme, timezone.now())
    last_monday = today - timedelta(days=today.weekday() + 7)
    for n in range(5):
        day = last_monday + timedelta(days=n)
        for index, (user, contract) in enumerate(jobs):
            start = timekeeping.local_moment(acme, day, timedelta(hours=8 + 3 * index))
            timekeeping.time_entry_create(
                workspace=acme,
                user=user,
                start=start,
                end=start + timedelta(minutes=90 + 15 * n + 10 * index),
                assignment=timekeeping.Assignment(contract=contract, project=contract.project),
            )
    start = timekeeping.local_moment(acme, today, timedelta(minutes=30))
    timekeeping.time_entry_create(
        workspace=acme,
        user=world.bob,
        start=start,
        end=start + timedelta(minutes=75),
        assignment=timekeeping.Assignment(contract=jobs[2][1], project=website),
    )
    return {"last_monday": last_monday, "today": today}


@pytest.fixture
def signed_in_page(world, two_weeks, live_webwork, page, settings):
    """Acme connected by its Owner and fully synced (the last two weeks); the browser signed in."""
    settings.WEBWORK_HISTORY_DAYS = 16
    tenant = mirror_connected(world.acme, world.owner)
    user = get_user_model().objects.get(username=f"webwork-{world.owner.id}")
    user.first_name, user.last_name = "Olivia", "Owens"
    user.save()
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
    page.problems = []
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.tenant = tenant
    return page


def test_a_manager_changes_the_period_and_grouping_downloads_the_csv_and_reopens_a_saved_report(
    signed_in_page, two_weeks, live_webwork, world, tmp_path
):
    page, tenant = signed_in_page, signed_in_page.tenant
    last_monday = two_weeks["last_monday"]
    page.goto(f"{live_webwork.url}/w/{world.acme.id}/")
    page.get_by_role("navigation", name="Acme Studio").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    expect(
        page.get_by_role("navigation", name="Reports").get_by_role("link", name="Hours")
    ).to_have_attribute("aria-current", "page")
    report = page.locator("#hours-report")
    expect(report.get_by_role("heading", level=2)).to_contain_text("This week")
    this_week = chart_data(page)
    assert len(this_week["labels"]) == 7
    assert [d["label"] for d in this_week["datasets"]] == ["Website"]

    # Last week, by member then project: the chart follows, a bar a day, stacked by project.
    page.get_by_label("Period").select_option("last_week")
    expect(report.get_by_role("heading", level=2)).to_contain_text(f"Last week: {last_monday:%a %-d %b}")
    expect(page.get_by_label("From")).to_have_value(last_monday.isoformat())
    last_week = chart_data(page)
    assert last_week != this_week
    assert last_week["labels"][0] == f"{last_monday:%a %-d %b}"
    assert sorted(d["label"] for d in last_week["datasets"]) == ["Design", "Website"]

    # Grouped by week, then by member: a bar for the week, stacked by member.
    page.get_by_label("Group by").select_option("week")
    expect(page.locator(".hours-table thead")).to_contain_text("Week")
    page.get_by_label("Then by").select_option("member")
    expect(page.locator(".hours-table thead th").nth(1)).to_have_text("Member")
    by_member = chart_data(page)
    assert len(by_member["labels"]) == 1
    assert {d["label"] for d in by_member["datasets"]} == {"Alice Moreau", "Bob Okafor"}
    expect(page).to_have_url(re.compile(r"period=last_week.*by=week.*then=member"))

    # The CSV holds the page's total, which is WebWork's.
    total_minutes = int(page.locator(".report-total-time").get_attribute("data-total-minutes"))
    shown_hours = page.locator(".hours-total td.num").nth(1).inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    path = tmp_path / "hours.csv"
    download.value.save_as(path)
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    total_row = next(row for row in rows if row and row[0] == "Total")
    assert rows[0][:2] == ["Week from (Monday, Europe/Berlin)", "Member"]
    assert int(total_row[3]) == total_minutes
    assert total_row[2] == shown_hours
    webwork = sandbox.TimeEntry.objects.filter(
        workspace=world.acme, date__range=(last_monday, last_monday + timedelta(days=6))
    ).aggregate(minutes=Sum("duration_minutes"))["minutes"]
    assert total_minutes == webwork
    assert sum(sum(d["data"]) for d in by_member["datasets"]) == pytest.approx(webwork / 60, abs=0.02)

    # Saved as "last week", reopened from the list.
    page.get_by_label("Save this report as").fill("Last week by member")
    page.get_by_role("button", name="Save report").click()
    saved = SavedReport.objects.get(workspace=tenant)
    expect(page).to_have_url(re.compile(rf"/reports/saved/{saved.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text("Saved “Last week by member”")
    assert saved.query == "period=last_week&by=week&then=member"

    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Hours").click()
    expect(report.get_by_role("heading", level=2)).to_contain_text("This week")
    page.locator("summary", has_text="Saved reports").click()
    page.get_by_role("link", name="Last week by member", exact=True).click()
    expect(page.locator(".saved-banner")).to_contain_text(
        "Saved report Last week by member: last week, which today is"
    )
    expect(page.locator(".report-total-time")).to_have_attribute("data-total-minutes", str(total_minutes))
    reopened = chart_data(page)
    assert json.dumps(reopened, sort_keys=True) == json.dumps(by_member, sort_keys=True)
    assert page.problems == []
