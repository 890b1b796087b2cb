"""The Hours report: periods in the workspace's calendar, filters that read only the workspace's
rows, one or two groupings with subtotals and a total that add up, amounts only for a manager who
may see rates, the chart of the same numbers, the CSV of exactly the table; saved reports that
keep "last week" relative; tenant isolation, CSRF and query counts that do not grow."""

import csv
import html
import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboard.models import SavedReport
from dashboard.selectors.reports import (
    MAX_PERIOD_DAYS,
    ReportFilters,
    hours_page_for_workspace,
    period_resolve,
)
from integrations import models as mirror
from tests.factories import (
    ContractFactory,
    MemberFactory,
    ProjectFactory,
    TaskFactory,
    TimeEntryFactory,
    WorkspaceFactory,
    bulk,
    manager_of,
)

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
HTMX = {"HX-Request": "true"}
# Two weeks of Acme's time, the second crossing from November into December.
PERIOD = "period=custom&from=2026-11-23&to=2026-12-06"


def shown(response):
    return html.unescape(response.content.decode())


def csv_of(response):
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def table_rows(response):
    """[(kind, [cell texts])] of the page's table body and footer."""
    text = shown(response)
    found = []
    for kind, row in re.findall(
        r'<tr class="hours-(row|subtotal|total)" data-minutes="\d+">(.*?)</tr>', text, re.S
    ):
        cells = [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        found.append((kind, cells))
    return found


def minutes_of(response):
    return [
        (kind, int(minutes))
        for kind, minutes in re.findall(
            r'<tr class="hours-(row|subtotal|total)" data-minutes="(\d+)"', shown(response)
        )
    ]


def chart_of(response):
    found = re.search(
        r'<script id="hours-chart-data" type="application/json">(.*?)</script>', shown(response), re.S
    )
    return json.loads(found.group(1)) if found else None


def entry(workspace, contract, day, minutes, *, hour=9, task=None, **fields):
    start = datetime.combine(day, time(hour), workspace.zone)
    return TimeEntryFactory(
        workspace=workspace,
        contract=contract,
        task=task,
        task_webwork_id=int(task.webwork_id) if task else None,
        date=day,
        start_time=start,
        end_time=start + timedelta(minutes=minutes),
        duration_minutes=minutes,
        **fields,
    )


@pytest.fixture
def acme():
    return WorkspaceFactory(webwork_id=1, name="Acme Studio", timezone="Europe/Berlin", currency="EUR")


@pytest.fixture
def owner(acme, client):
    user = manager_of(acme, username="olivia", first_name="Olivia", last_name="Owens")
    client.force_login(user)
    return user


@pytest.fixture
def team(acme):
    """Alice on Design (50 EUR/h, a task) and Build (33.33 USD/h), Bob on Build (no rate shown),
    over the two weeks of PERIOD; and Globex's rows, which must never count or show."""
    alice = MemberFactory(workspace=acme, webwork_id="31", firstname="Alice", lastname="Archer")
    bob = MemberFactory(workspace=acme, webwork_id="32", firstname="Bob", lastname="Baker")
    design = ProjectFactory(workspace=acme, webwork_id="41", name="Design")
    build = ProjectFactory(workspace=acme, webwork_id="42", name="Build")
    logo = TaskFactory(workspace=acme, webwork_id="51", project=design, title="Logo")
    alice_design = ContractFactory(
        workspace=acme, webwork_id="61", member=alice, project=design, rate=Decimal("50"), currency="EUR"
    )
    alice_build = ContractFactory(
        workspace=acme, webwork_id="62", member=alice, project=build, rate=Decimal("33.33"), currency="USD"
    )
    bob_build = ContractFactory(
        workspace=acme, webwork_id="63", member=bob, project=build, rate=None, currency="EUR"
    )
    entry(acme, alice_design, date(2026, 11, 24), 120, task=logo)  # Tuesday of the first week
    entry(acme, alice_design, date(2026, 11, 30), 60)  # Monday of the second week, November
    entry(acme, alice_build, date(2026, 12, 1), 30)  # Tuesday, December: the same week
    entry(acme, alice_build, date(2026, 12, 1), 31, hour=14)  # 61 min that day: 33.885 -> 33.89 USD
    entry(acme, bob_build, date(2026, 12, 2), 45)
    # Not counted: outside the period, a running tracker, a deleted entry.
    entry(acme, bob_build, date(2026, 11, 22), 500)
    running = entry(acme, bob_build, date(2026, 12, 3), 0, hour=8)
    mirror.TimeEntry.objects.filter(pk=running.pk).update(end_time=None)
    gone = entry(acme, bob_build, date(2026, 12, 3), 400, hour=12)
    mirror.TimeEntry.objects.filter(pk=gone.pk).update(removed_at=gone.synced_at)

    globex = WorkspaceFactory(webwork_id=2, name="Globex", currency="USD")
    gus = MemberFactory(workspace=globex, webwork_id="91", firstname="Gus", lastname="Hidden")
    secret = ProjectFactory(workspace=globex, webwork_id="92", name="Secret plan")
    secret_task = TaskFactory(workspace=globex, webwork_id="93", project=secret, title="Secret task")
    secret_contract = ContractFactory(
        workspace=globex, webwork_id="94", member=gus, project=secret, rate=Decimal("999")
    )
    entry(globex, secret_contract, date(2026, 12, 1), 700, task=secret_task)
    return {
        "alice": alice,
        "bob": bob,
        "design": design,
        "build": build,
        "logo": logo,
        "alice_design": alice_design,
        "alice_build": alice_build,
        "globex": globex,
    }


# --- Periods -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "today", "start", "end"),
    [
        ("this_week", date(2026, 12, 2), date(2026, 11, 30), date(2026, 12, 6)),
        ("this_week", date(2026, 11, 29), date(2026, 11, 23), date(2026, 11, 29)),  # a Sunday
        ("last_week", date(2026, 12, 2), date(2026, 11, 23), date(2026, 11, 29)),
        ("last_week", date(2027, 1, 4), date(2026, 12, 28), date(2027, 1, 3)),  # across the year
        ("this_month", date(2026, 2, 10), date(2026, 2, 1), date(2026, 2, 28)),
        ("this_month", date(2028, 2, 10), date(2028, 2, 1), date(2028, 2, 29)),
        ("last_month", date(2027, 1, 15), date(2026, 12, 1), date(2026, 12, 31)),
        ("last_month", date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
        ("nonsense", date(2026, 12, 2), date(2026, 11, 30), date(2026, 12, 6)),
    ],
)
def test_presets_are_days_of_the_workspaces_calendar(key, today, start, end):
    period = period_resolve(key, today=today)

    assert (period.start, period.end) == (start, end)


def test_a_custom_period_takes_its_days_in_either_order_and_spans_a_year_at_most():
    today = date(2026, 12, 2)

    assert period_resolve("custom", today=today, start=date(2026, 12, 5), end=date(2026, 11, 1)).days == 35
    assert period_resolve("custom", today=today, start=date(2026, 11, 1)).end == today
    long = period_resolve("custom", today=today, start=date(2020, 1, 1), end=date(2026, 1, 1))
    assert long.days == MAX_PERIOD_DAYS
    assert long.shortened


def test_a_preset_is_read_on_the_workspaces_today_not_utcs():
    auckland = WorkspaceFactory(webwork_id=7, timezone="Pacific/Auckland")
    # Sunday 6 Dec 2026, 12:30 UTC: already Monday 7 Dec in Auckland.
    now = datetime(2026, 12, 6, 12, 30, tzinfo=UTC)

    filters = ReportFilters.from_query(QueryDict("period=this_week"), workspace=auckland, now=now)

    assert (filters.period.start, filters.period.end) == (date(2026, 12, 7), date(2026, 12, 13))


# --- The table -----------------------------------------------------------------------------------


def test_member_then_project_adds_up_with_subtotals_and_a_total(acme, owner, team, client):
    response = client.get(f"/w/1/reports/?{PERIOD}&by=member&then=project")

    assert response.status_code == 200
    assert table_rows(response) == [
        ("row", ["Alice Archer", "Build", "1 h 01 min", "1.02", "", "33.89"]),
        ("row", ["Alice Archer", "Design", "3 h 00 min", "3.00", "150.00", ""]),
        ("subtotal", ["Alice Archer, Subtotal", "", "4 h 01 min", "4.02", "150.00", "33.89"]),
        ("row", ["Bob Baker", "Build", "45 min", "0.75", "", ""]),
        ("subtotal", ["Bob Baker, Subtotal", "", "45 min", "0.75", "", ""]),
        ("total", ["Total", "4 h 46 min", "4.77", "150.00", "33.89"]),
    ]
    text = shown(response)
    assert "Amount (EUR)" in text
    assert "Amount (USD)" in text
    assert "Globex" not in text
    assert "Gus" not in text
    assert "Secret" not in text


@pytest.mark.parametrize(
    ("grouping", "expected"),
    [
        ("by=project&then=none", [("row", 106), ("row", 180), ("total", 286)]),
        (
            "by=task&then=member",
            [
                ("row", 120),
                ("subtotal", 120),
                ("row", 61),
                ("row", 45),
                ("subtotal", 106),
                ("row", 60),
                ("subtotal", 60),
                ("total", 286),
            ],
        ),
        # The week of 30 Nov crosses into December: one week; by month it is split.
        ("by=week&then=none", [("row", 120), ("row", 166), ("total", 286)]),
        (
            "by=month&then=member",
            [("row", 180), ("subtotal", 180), ("row", 61), ("row", 45), ("subtotal", 106), ("total", 286)],
        ),
        (
            "by=day&then=project",
            [
                ("row", 120),
                ("subtotal", 120),
                ("row", 60),
                ("subtotal", 60),
                ("row", 61),
                ("subtotal", 61),
                ("row", 45),
                ("subtotal", 45),
                ("total", 286),
            ],
        ),
    ],
)
def test_each_grouping_adds_up(acme, owner, team, client, grouping, expected):
    response = client.get(f"/w/1/reports/?{PERIOD}&{grouping}")

    assert minutes_of(response) == expected


def test_weeks_and_months_read_as_the_days_the_period_holds(acme, owner, team, client):
    weeks = table_rows(client.get(f"/w/1/reports/?{PERIOD}&by=week&then=none"))
    months = table_rows(client.get(f"/w/1/reports/?{PERIOD}&by=month&then=none"))

    assert [cells[0] for _, cells in weeks] == ["23 to 29 Nov 2026", "30 Nov to 6 Dec 2026", "Total"]
    assert [cells[0] for _, cells in months] == ["23 to 30 Nov 2026", "1 to 6 Dec 2026", "Total"]


def test_filters_narrow_by_members_projects_tasks_and_contracts(acme, owner, team, client):
    def total(query):
        return minutes_of(client.get(f"/w/1/reports/?{PERIOD}&{query}"))[-1]

    assert total("member=32") == ("total", 45)
    assert total("member=31&member=32") == ("total", 286)
    assert total("project=41") == ("total", 180)
    assert total("task=51") == ("total", 120)
    assert total("contract=62&contract=63") == ("total", 106)
    assert total("member=31&project=42") == ("total", 61)


def test_another_workspaces_ids_in_every_filter_are_ignored_without_a_word(acme, owner, team, client):
    for query in (
        "member=91",
        "project=92",
        "task=93",
        "contract=94",
        "member=91&project=92&task=93&contract=94",
    ):
        response = client.get(f"/w/1/reports/?{PERIOD}&{query}")

        assert response.status_code == 200
        assert minutes_of(response)[-1] == ("total", 286), query
        text = shown(response)
        assert "Gus" not in text, query
        assert "Secret" not in text, query
        assert 'value="91" checked' not in text
        assert "91" not in response.context["filters"].query_string
    mixed = client.get(f"/w/1/reports/?{PERIOD}&member=91&member=32")
    assert minutes_of(mixed)[-1] == ("total", 45)


def test_running_trackers_deleted_entries_and_other_days_are_not_counted(acme, owner, team, client):
    page = hours_page_for_workspace(
        workspace=acme, filters=ReportFilters.from_query(QueryDict(PERIOD), workspace=acme), sees_rates=True
    )

    assert page.total.minutes == 286
    assert page.total.amounts == {"EUR": Decimal("150.00"), "USD": Decimal("33.89")}


def test_amounts_show_only_to_a_manager_who_may_see_rates(acme, team, client):
    executive = manager_of(acme, role="Executive manager", username="executive")
    client.force_login(executive)

    page = client.get(f"/w/1/reports/?{PERIOD}")
    rows = csv_of(client.get(f"/w/1/reports/hours.csv?{PERIOD}"))

    assert "Amount" not in shown(page)
    assert rows[0] == ["Member", "Project", "Hours", "Minutes"]
    # The same manager once WebWork lets them see rates (rate_status 1 on their member row).
    MemberFactory(workspace=acme, webwork_id=str(900_000 + executive.pk), rate_status=1)
    assert "Amount (EUR)" in shown(client.get(f"/w/1/reports/?{PERIOD}"))


def test_the_chart_shows_what_the_table_shows(acme, owner, team, client):
    chart = chart_of(client.get(f"/w/1/reports/?{PERIOD}&by=member&then=project"))

    assert chart["unit"] == "day"
    assert chart["stacked_by"] == "Project"
    assert len(chart["labels"]) == 14
    assert chart["labels"][0] == "Mon 23 Nov"
    by_label = {dataset["label"]: dataset["hours"] for dataset in chart["datasets"]}
    assert by_label["Design"][1] == 2.0
    assert by_label["Design"][7] == 1.0
    assert round(sum(by_label["Build"]), 2) == round(106 / 60, 2)
    weekly = chart_of(client.get(f"/w/1/reports/?{PERIOD}&by=week&then=member"))
    assert weekly["unit"] == "week"
    assert weekly["labels"] == ["23 to 29 Nov 2026", "30 Nov to 6 Dec 2026"]
    assert {d["label"]: d["hours"] for d in weekly["datasets"]} == {
        "Alice Archer": [2.0, 2.02],
        "Bob Baker": [0, 0.75],
    }


def test_an_empty_period_says_so(acme, owner, team, client):
    response = client.get("/w/1/reports/?period=custom&from=2025-01-01&to=2025-01-31")

    assert "Nobody tracked time in Acme Studio in this period" in shown(response)
    assert chart_of(response) is None
    filtered = client.get("/w/1/reports/?period=custom&from=2025-01-01&to=2025-01-31&member=31")
    assert "No tracked time matches these filters" in shown(filtered)


def test_the_full_page_keeps_the_filters_in_its_form(acme, owner, team, client):
    text = shown(client.get(f"/w/1/reports/?{PERIOD}&member=31&project=42&by=week&then=member"))

    assert 'name="member" value="31" checked' in text
    assert 'name="project" value="42" checked' in text
    assert '<option value="week" selected>' in text
    assert 'value="2026-11-23"' in text
    assert 'value="2026-12-06"' in text


def test_htmx_gets_the_report_only(acme, owner, team, client):
    response = client.get(f"/w/1/reports/?{PERIOD}", headers=HTMX)

    text = shown(response)
    assert response.status_code == 200
    assert text.lstrip().startswith('<section id="hours-report"')
    assert "<html" not in text
    assert 'id="hours-filters"' not in text
    assert "HX-Request" in response["Vary"]
    assert minutes_of(response)[-1] == ("total", 286)
    assert "HX-Request" in client.get(f"/w/1/reports/?{PERIOD}")["Vary"]


# --- The CSV -------------------------------------------------------------------------------------


def test_the_csv_is_exactly_the_table_in_decimal_hours_with_the_time_zone(acme, owner, team, client):
    response = client.get(f"/w/1/reports/hours.csv?{PERIOD}&by=member&then=project")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="hours-1-2026-11-23-2026-12-06.csv"' in response["Content-Disposition"]
    rows = csv_of(response)
    assert rows[:7] == [
        ["Member", "Project", "Hours", "Minutes", "Amount (EUR)", "Amount (USD)"],
        ["Alice Archer", "Build", "1.02", "61", "", "33.89"],
        ["Alice Archer", "Design", "3.00", "180", "150.00", ""],
        ["Alice Archer", "Subtotal", "4.02", "241", "150.00", "33.89"],
        ["Bob Baker", "Build", "0.75", "45", "", ""],
        ["Bob Baker", "Subtotal", "0.75", "45", "", ""],
        ["Total", "", "4.77", "286", "150.00", "33.89"],
    ]
    meta = {row[0]: row[1] for row in rows[8:]}
    assert meta["Period"] == "2026-11-23 to 2026-12-06 (custom)"
    assert meta["Time zone"].startswith("Europe/Berlin")
    page_total = minutes_of(client.get(f"/w/1/reports/?{PERIOD}&by=member&then=project"))[-1]
    assert page_total == ("total", int(rows[6][3]))


def test_the_csv_keeps_the_filters_and_the_grouping_and_states_the_zone_of_days(acme, owner, team, client):
    rows = csv_of(client.get(f"/w/1/reports/hours.csv?{PERIOD}&member=31&member=91&by=day&then=none"))

    assert rows[0][0] == "Day (Europe/Berlin)"
    assert rows[1:5] == [
        ["2026-11-24", "2.00", "120", "100.00", ""],
        ["2026-11-30", "1.00", "60", "50.00", ""],
        ["2026-12-01", "1.02", "61", "", "33.89"],
        ["Total", "4.02", "241", "150.00", "33.89"],
    ]
    meta = {row[0]: row[1] for row in rows[6:]}
    assert meta["Filters"] == "Members: Alice Archer"
    weeks = csv_of(client.get(f"/w/1/reports/hours.csv?{PERIOD}&by=week&then=project"))
    assert weeks[0][:2] == ["Week from (Monday, Europe/Berlin)", "Project"]
    assert [row[0] for row in weeks[1:6]] == [
        "2026-11-23",
        "2026-11-23",
        "2026-11-30",
        "2026-11-30",
        "2026-11-30",
    ]


def test_the_csv_is_the_same_file_when_htmx_asks_for_it(acme, owner, team, client):
    plain = csv_of(client.get(f"/w/1/reports/hours.csv?{PERIOD}&by=project&then=member"))
    htmx = client.get(f"/w/1/reports/hours.csv?{PERIOD}&by=project&then=member", headers=HTMX)

    assert htmx["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_of(htmx) == plain


def test_the_admin_lists_saved_reports(acme, owner, team, client):
    SavedReport.objects.create(workspace=acme, name="Weekly", query=PERIOD, created_by=owner)
    admin = manager_of(acme, username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.get("/admin/dashboard/savedreport/")

    assert response.status_code == 200
    assert "Weekly" in shown(response)


def test_the_csv_link_carries_the_reports_query(acme, owner, team, client):
    text = shown(client.get(f"/w/1/reports/?{PERIOD}&member=31&by=task&then=none"))

    link = re.search(r'href="(/w/1/reports/hours\.csv\?[^"]+)"', text).group(1)
    assert (
        link
        == "/w/1/reports/hours.csv?period=custom&from=2026-11-23&to=2026-12-06&member=31&by=task&then=none"
    )


# --- Saved reports -------------------------------------------------------------------------------


def test_saving_keeps_a_relative_period_relative_and_opens_the_saved_report(acme, owner, team, client):
    response = client.post(
        "/w/1/reports/saved/",
        {
            "name": "Alice last week",
            "query": "period=last_week&from=2026-11-23&to=2026-11-29&member=31&member=91&by=project",
        },
    )

    saved = SavedReport.objects.get()
    assert saved.workspace == acme
    assert saved.created_by == owner
    assert saved.query == "period=last_week&member=31&by=project&then=none"
    assert response.status_code == 302
    assert response["Location"] == f"/w/1/reports/saved/{saved.pk}/"
    page = client.get(response["Location"])
    text = shown(page)
    assert "Saved “Alice last week”" in text
    assert "Saved report <strong>Alice last week</strong>: last week, which today is" in text
    assert page.context["filters"].period.key == "last_week"
    assert page.context["filters"].members == ("31",)


def test_a_saved_last_week_is_read_again_on_the_day_it_is_opened(acme, owner, team, client, time_machine):
    saved = SavedReport.objects.create(
        workspace=acme, name="Weekly", query="period=last_week&by=member&then=none"
    )
    # Opened on Wednesday 2 Dec 2026 (Berlin): last week is 23 to 29 Nov.
    time_machine.move_to(datetime(2026, 12, 2, 9, 0, tzinfo=acme.zone), tick=False)
    first = client.get(f"/w/1/reports/saved/{saved.pk}/")
    # Opened again the next Monday: last week is 30 Nov to 6 Dec.
    time_machine.move_to(datetime(2026, 12, 7, 9, 0, tzinfo=acme.zone), tick=False)
    later = client.get(f"/w/1/reports/saved/{saved.pk}/")

    assert "which today is Mon 23 Nov to Sun 29 Nov 2026" in shown(first)
    assert minutes_of(first)[-1] == ("total", 120)
    assert "which today is Mon 30 Nov to Sun 6 Dec 2026" in shown(later)
    assert minutes_of(later)[-1] == ("total", 166)


def test_a_saved_report_is_read_with_any_now():
    workspace = WorkspaceFactory(timezone="America/Los_Angeles")
    saved_query = QueryDict("period=last_month")

    november = ReportFilters.from_query(
        saved_query, workspace=workspace, now=datetime(2026, 12, 1, 7, 59, tzinfo=UTC)
    )
    december = ReportFilters.from_query(
        saved_query, workspace=workspace, now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    )

    # 07:59 UTC on 1 Dec is still 30 Nov in Los Angeles.
    assert (november.period.start, november.period.end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert (december.period.start, december.period.end) == (date(2026, 11, 1), date(2026, 11, 30))


def test_a_name_is_needed_and_taken_once_whatever_its_case(acme, owner, team, client):
    SavedReport.objects.create(workspace=acme, name="Weekly")

    taken = client.post("/w/1/reports/saved/", {"name": "  WEEKLY ", "query": PERIOD})
    empty = client.post("/w/1/reports/saved/", {"name": "   ", "query": PERIOD})

    assert taken.status_code == 400
    assert "Acme Studio already has a saved report called “WEEKLY”" in shown(taken)
    assert 'value="  WEEKLY "' in shown(taken)
    assert empty.status_code == 400
    assert "Give the report a name." in shown(empty)
    assert SavedReport.objects.count() == 1
    # Another workspace may use the name.
    SavedReport.objects.create(workspace=team["globex"], name="Monthly")
    assert client.post("/w/1/reports/saved/", {"name": "Monthly", "query": PERIOD}).status_code == 302


def test_saved_reports_are_shared_with_the_workspaces_other_managers(acme, owner, team, client):
    SavedReport.objects.create(workspace=acme, name="Billing", query=PERIOD, created_by=owner)
    colleague = manager_of(acme, role="Executive manager", username="marcus", first_name="Marcus")
    client.force_login(colleague)

    text = shown(client.get("/w/1/reports/"))

    assert "Billing" in text
    assert "saved by Olivia Owens" in text


def test_renaming_and_deleting_a_saved_report(acme, owner, team, client):
    saved = SavedReport.objects.create(workspace=acme, name="Weekly", query=PERIOD)
    SavedReport.objects.create(workspace=acme, name="Monthly")
    base = f"/w/1/reports/saved/{saved.pk}"

    assert 'value="Weekly"' in shown(client.get(f"{base}/rename/"))
    refused = client.post(f"{base}/rename/", {"name": "monthly"})
    assert refused.status_code == 400
    assert "already has a saved report called “monthly”" in shown(refused)
    renamed = client.post(f"{base}/rename/", {"name": "Team week"})
    assert renamed["Location"] == f"{base}/"
    saved.refresh_from_db()
    assert saved.name == "Team week"

    confirm = shown(client.get(f"{base}/delete/"))
    assert "Delete the saved report “Team week”?" in confirm
    assert 'method="post"' in confirm
    deleted = client.post(f"{base}/delete/")
    assert deleted["Location"] == "/w/1/reports/"
    assert not SavedReport.objects.filter(pk=saved.pk).exists()
    assert client.get(f"{base}/").status_code == 404
    assert "Deleted the saved report “Team week”" in shown(client.get("/w/1/reports/"))


# --- Tenant isolation, CSRF, query counts ---------------------------------------------------------


def test_another_workspaces_manager_and_saved_reports_are_not_found(acme, owner, team, client):
    theirs = SavedReport.objects.create(workspace=team["globex"], name="Secret", query="period=this_week")
    ours = SavedReport.objects.create(workspace=acme, name="Ours", query="period=this_week")

    for path in (
        f"/w/1/reports/saved/{theirs.pk}/",
        f"/w/1/reports/saved/{theirs.pk}/rename/",
        f"/w/1/reports/saved/{theirs.pk}/delete/",
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"name": "Mine now"}).status_code in (404, 405), path
    theirs.refresh_from_db()
    assert theirs.name == "Secret"
    assert "Secret" not in shown(client.get("/w/1/reports/"))

    client.force_login(manager_of(team["globex"], username="gus"))
    for path in ("/w/1/reports/", f"/w/1/reports/hours.csv?{PERIOD}", f"/w/1/reports/saved/{ours.pk}/"):
        assert client.get(path).status_code == 404, path
        assert client.get(path, headers=HTMX).status_code == 404, path
    assert client.post("/w/1/reports/saved/", {"name": "Sneaky", "query": ""}).status_code == 404
    assert not SavedReport.objects.filter(name="Sneaky").exists()


def test_saving_renaming_and_deleting_need_the_csrf_token(acme, owner, team):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    saved = SavedReport.objects.create(workspace=acme, name="Weekly", query=PERIOD)

    assert browser.post("/w/1/reports/saved/", {"name": "No token", "query": PERIOD}).status_code == 403
    assert browser.post(f"/w/1/reports/saved/{saved.pk}/rename/", {"name": "No token"}).status_code == 403
    assert browser.post(f"/w/1/reports/saved/{saved.pk}/delete/").status_code == 403
    assert list(SavedReport.objects.values_list("name", flat=True)) == ["Weekly"]

    page = shown(browser.get(f"/w/1/reports/?{PERIOD}"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    answer = browser.post(
        "/w/1/reports/saved/", {"name": "With token", "query": PERIOD, "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 302


def busy_workspace(size):
    """`size` members with two contracts each (rates shown), a task, and time on 10 days."""
    workspace = WorkspaceFactory(currency="EUR")
    members = bulk(MemberFactory, size, workspace=workspace)
    design = ProjectFactory(workspace=workspace)
    build = ProjectFactory(workspace=workspace)
    task = TaskFactory(workspace=workspace, project=design)
    entries = []
    for member in members:
        for project in (design, build):
            contract = ContractFactory(
                workspace=workspace, member=member, project=project, rate=Decimal("40"), currency="EUR"
            )
            for offset in range(10):
                day = date(2026, 11, 16) + timedelta(days=offset)
                entries.append(
                    TimeEntryFactory.build(
                        workspace=workspace,
                        contract=contract,
                        task=task if project == design else None,
                        date=day,
                        start_time=datetime.combine(day, time(9), workspace.zone),
                        end_time=datetime.combine(day, time(10), workspace.zone),
                        duration_minutes=60,
                    )
                )
    mirror.TimeEntry.objects.bulk_create(entries)
    return workspace, members


def queries_of(client, path, headers=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers=headers or {})
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, path
    return len(captured), response


def test_the_report_its_csv_and_a_saved_report_cost_the_same_queries_for_5_or_150_members(client):
    counts = {}
    for size in (5, 150):
        workspace, members = busy_workspace(size)
        user = manager_of(workspace, username=f"manager-{size}")
        client.force_login(user)
        saved = SavedReport.objects.create(
            workspace=workspace, name="Two weeks", query="period=custom&from=2026-11-16&to=2026-11-29"
        )
        base = f"/w/{workspace.webwork_id}/reports/"
        chosen = f"member={members[0].webwork_id}&member={members[-1].webwork_id}"
        query = f"?period=custom&from=2026-11-16&to=2026-11-29&{chosen}&by=member&then=day"
        full, response = queries_of(
            client, f"{base}?period=custom&from=2026-11-16&to=2026-11-29&by=member&then=project"
        )
        filtered, _ = queries_of(client, base + query)
        partial, _ = queries_of(client, base + query, HTMX)
        export, _ = queries_of(client, f"{base}hours.csv" + query)
        opened, _ = queries_of(client, f"{base}saved/{saved.pk}/")
        counts[size] = (full, filtered, partial, export, opened)
        assert minutes_of(response)[-1] == ("total", size * 2 * 10 * 60)
    assert counts[5] == counts[150], counts
    full, filtered, partial, export, opened = counts[150]
    assert full <= 14, counts
    assert filtered <= 15, counts  # the chosen ids are checked against the workspace's rows
    assert partial <= 7, counts
    assert export <= 7, counts
    assert opened <= 15, counts


def test_bars_read_from_a_week_grouping_are_the_bars_read_from_each_day(client):
    workspace, _ = busy_workspace(3)
    client.force_login(manager_of(workspace, username="paula"))
    period = "period=custom&from=2026-10-05&to=2026-12-06"  # 9 weeks: without a time grouping, weekly bars

    by_day = chart_of(client.get(f"/w/{workspace.webwork_id}/reports/?{period}&by=member&then=none"))
    by_week = chart_of(client.get(f"/w/{workspace.webwork_id}/reports/?{period}&by=member&then=week"))

    assert by_day["unit"] == by_week["unit"] == "week"
    assert by_day["labels"] == by_week["labels"]
    assert by_day["datasets"] == by_week["datasets"]
    assert sum(sum(dataset["hours"]) for dataset in by_week["datasets"]) == 3 * 2 * 10


def test_a_long_table_comes_in_pages_with_the_whole_total_on_each(client):
    workspace, _ = busy_workspace(25)  # 25 members x 10 days + 25 subtotals = 275 rows
    client.force_login(manager_of(workspace, username="paula"))
    base = f"/w/{workspace.webwork_id}/reports/"
    query = "period=custom&from=2026-11-16&to=2026-11-29&by=member&then=day"

    first = client.get(f"{base}?{query}")
    second = client.get(f"{base}?{query}&page=2", headers=HTMX)

    first_rows, second_rows = table_rows(first), table_rows(second)
    assert [kind for kind, _ in first_rows].count("total") == 1
    assert len(first_rows) == 200 + 1
    assert len(second_rows) == 75 + 1
    assert first_rows[-1] == second_rows[-1]  # the total of every row, on each page
    every = first_rows[:-1] + second_rows[:-1]
    assert sum(int(m) for kind, m in minutes_of(first)[:-1] + minutes_of(second)[:-1] if kind == "row") == (
        25 * 2 * 10 * 60
    )
    assert len(every) == 275
    text = " ".join(re.sub(r"<[^>]+>", " ", shown(first)).split())
    assert "275 rows, 200 a page; the CSV has every one in one file." in text
    assert "Page 1 of 2 · 1\N{EN DASH}200 of 275" in text
    assert f'href="{base}?{query.replace("&", "&amp;")}&amp;page=2"' in first.content.decode()
    # A group cut by the page is named again, visibly, at the top of the next page.
    top = re.search(r'<tr class="hours-row"[^>]*>\s*<th scope="row">(.*?)</th>', shown(second), re.S).group(1)
    assert "visually-hidden" not in top
    assert top.strip()
    # The CSV has every row of every page: its header, 275 rows and the total, then what they are.
    csv_lines = csv_of(client.get(f"/w/{workspace.webwork_id}/reports/hours.csv?{query}"))
    assert csv_lines[1 + 275][0] == "Total"
