"""The approvals inbox: tabs, filters and pages; the evidence on each row computed from known
mirror rows; approving and rejecting through the real sandbox; WebWork's refusals; the history
disclosure; bulk decisions; tenant isolation, CSRF and query counts that do not grow with rows."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import factory
import pytest
from django.test import Client
from django.utils import timezone

from dashboard.selectors import approvals as inbox
from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.services import bulk_decision_run
from integrations.sync.base import SyncContext
from integrations.sync.leaves import sync_leave_policies, sync_leave_requests
from integrations.sync.members import sync_members
from integrations.sync.time_requests import sync_time_requests
from integrations.sync.timesheets import sync_timesheets
from tests.dashboard.helpers import (
    HTMX,
    NestedWire,
    connected_by_owner,
    queries_of,
    shown,
    triggers,
    vary,
    words,
)
from tests.dashboard.test_auth import manager_of
from tests.factories import (
    ContractFactory,
    LeavePolicyFactory,
    LeaveRequestFactory,
    MemberFactory,
    ProjectFactory,
    TimeEntryFactory,
    TimeRequestFactory,
    TimesheetFactory,
    WorkspaceFactory,
    bulk,
)
from tests.integrations.helpers import at, berlin_today, queued_tasks, weekday

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

BERLIN = ZoneInfo("Europe/Berlin")
DASH = "\N{EN DASH}"
KINDS = ("timesheets", "time_requests", "leaves")


def local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


@pytest.fixture
def acme():
    return WorkspaceFactory(webwork_id=4242, name="Acme Studio", timezone="Europe/Berlin")


@pytest.fixture
def globex():
    return WorkspaceFactory(webwork_id=5353, name="Globex Labs")


@pytest.fixture
def owner(acme):
    return manager_of(acme, username="olivia", webwork_user_id=901)


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def url(workspace, *parts, query=""):
    path = "/".join(str(part) for part in parts)
    return f"/w/{workspace.webwork_id}/approvals/{path + '/' if path else ''}{'?' + query if query else ''}"


def last_monday(workspace):
    return workspace.week_start(workspace.today()) - timedelta(days=7)


# --- The page, its tabs, filters and pages ---------------------------------------------------------


@pytest.mark.parametrize("tab", KINDS)
def test_each_tab_is_a_page_and_an_htmx_partial(signed_in, acme, tab):
    TimesheetFactory(workspace=acme)
    TimeRequestFactory(workspace=acme)
    LeaveRequestFactory(workspace=acme)

    page = signed_in.get(url(acme, query=f"tab={tab}"))
    partial = signed_in.get(url(acme, query=f"tab={tab}"), headers=HTMX)

    assert page.status_code == partial.status_code == 200
    assert "HX-Request" in vary(page)
    assert "HX-Request" in vary(partial)
    assert "<html" in shown(page)
    assert "<html" not in shown(partial)
    assert 'id="approval-inbox"' in shown(partial)
    assert 'id="reject-dialog"' in shown(page)
    assert 'id="reject-dialog"' not in shown(partial)
    assert shown(page).count("data-row ") == 1
    assert "css/approvals.css" in shown(page)
    assert "js/approvals.js" in shown(page)
    assert '<a href="/w/4242/approvals/" aria-current="page">Approvals</a>' in shown(page)


def test_a_history_restore_gets_the_whole_page(signed_in, acme):
    response = signed_in.get(url(acme), headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert "<html" in shown(response)


def test_the_tabs_count_what_waits_in_each_queue(signed_in, acme):
    people = factory.Iterator(bulk(MemberFactory, 3, workspace=acme))
    bulk(TimesheetFactory, 3, workspace=acme, member=people)
    TimesheetFactory(workspace=acme, status="approved")
    bulk(TimeRequestFactory, 2, workspace=acme, member=people)
    TimeRequestFactory(workspace=acme, status="rejected")
    LeaveRequestFactory(workspace=acme)
    LeaveRequestFactory(workspace=acme, removed_at=timezone.now())

    response = signed_in.get(url(acme))
    tabs = signed_in.get(url(acme, "tabs", query="tab=leaves&member=7"), headers=HTMX)

    counts = dict(re.findall(r'data-count="(\w+)"[^>]*>(\d+)<', shown(response)))
    assert counts == {"timesheets": "3", "time_requests": "2", "leaves": "1"}
    assert dict(re.findall(r'data-count="(\w+)"[^>]*>(\d+)<', shown(tabs))) == counts
    assert 'hx-trigger="approvals-changed from:body"' in shown(tabs)
    assert 'href="/w/4242/approvals/?tab=timesheets&member=7"' in shown(tabs)  # the member is kept
    assert "HX-Request" in vary(tabs)
    plain = signed_in.get(url(acme, "tabs", query="tab=leaves"))
    assert plain.status_code == 302
    assert plain["Location"] == "/w/4242/approvals/?tab=leaves"


def test_the_default_is_what_waits_and_filters_narrow_it(signed_in, acme):
    alice = MemberFactory(workspace=acme, firstname="Alice", lastname="Moreau")
    bob = MemberFactory(workspace=acme, firstname="Bob", lastname="Okafor")
    website = ProjectFactory(workspace=acme, name="Website")
    monday = last_monday(acme)
    TimesheetFactory(workspace=acme, member=alice, date_from=monday, date_to=monday + timedelta(days=6))
    TimesheetFactory(workspace=acme, member=bob, date_from=monday, date_to=monday + timedelta(days=6))
    older = monday - timedelta(days=14)
    TimesheetFactory(workspace=acme, member=bob, date_from=older, date_to=older + timedelta(days=6))
    TimesheetFactory(
        workspace=acme, member=alice, status="approved", date_from=older, date_to=older + timedelta(days=6)
    )
    TimeEntryFactory(
        workspace=acme, contract=ContractFactory(workspace=acme, member=bob, project=website), date=monday
    )

    def names(query):
        response = signed_in.get(url(acme, query=query))
        return re.findall(r'<th scope="row" class="cell-member">([^<]+)</th>', shown(response))

    assert names("") == ["Bob Okafor", "Alice Moreau", "Bob Okafor"]  # waiting, oldest first
    assert names(f"member={alice.webwork_id}") == ["Alice Moreau"]
    assert names(f"project={website.webwork_id}") == ["Bob Okafor"]
    assert names(f"from={monday}&to={monday + timedelta(days=2)}") == ["Alice Moreau", "Bob Okafor"]
    assert names("status=approved") == ["Alice Moreau"]
    assert len(names("status=all")) == 4
    # A bookmarked filter shows itself in the form; a bad value is said, not a crash.
    response = signed_in.get(
        url(acme, query=f"member={alice.webwork_id}&status=approved&from=2020-01-09&to=2020-01-01")
    )
    assert f'<option value="{alice.webwork_id}" selected>Alice Moreau</option>' in shown(response)
    assert '<option value="approved" selected>Approved</option>' in shown(response)
    assert "The period ends before it starts." in words(response)


def test_filters_are_a_plain_get_form_that_pushes_the_url(signed_in, acme):
    response = shown(signed_in.get(url(acme, query="tab=leaves")))

    form = re.search(r'<form class="approval-filters[^>]*>', response).group(0)
    assert 'method="get"' in form
    assert 'action="/w/4242/approvals/"' in form
    assert 'hx-push-url="true"' in form
    assert 'hx-target="#approval-inbox"' in form
    assert '<input type="hidden" name="tab" value="leaves">' in response
    for label in ("Member", "Project", "From", "To", "Status"):
        assert re.search(rf'<label for="filter-\w+">{label}', response)


def test_fifty_rows_a_page(signed_in, acme):
    bulk(TimeRequestFactory, 120, workspace=acme, member=MemberFactory(workspace=acme))

    first = signed_in.get(url(acme, query="tab=time_requests"))
    third = signed_in.get(url(acme, query="tab=time_requests&page=3"), headers=HTMX)

    assert shown(first).count("data-row ") == 50
    assert shown(third).count("data-row ") == 20
    assert f"Page 1 of 3 · 1{DASH}50 of 120" in words(first)
    assert 'href="/w/4242/approvals/?tab=time_requests&amp;page=2"' in first.content.decode()
    assert "All 120 matching the filter" in words(first)


def test_nothing_waiting_says_so_and_links_to_what_was_approved(signed_in, acme):
    sheet = TimesheetFactory(workspace=acme, status="approved")
    mirror.AuditEvent.objects.create(
        workspace=acme,
        action="timesheet_approve",
        object_type="timesheet",
        object_id=sheet.webwork_id,
        before={"status": "submitted"},
        after={"status": "approved"},
    )
    mirror.AuditEvent.objects.create(
        workspace=acme,
        source="webwork",
        action="timesheet_changed",
        object_type="timesheet",
        object_id="77",
        after={"status": "approved"},
    )
    mirror.AuditEvent.objects.create(  # last week's decision does not count
        workspace=acme,
        action="timesheet_approve",
        object_type="timesheet",
        object_id="78",
        after={"status": "approved"},
        created_at=timezone.now() - timedelta(days=8),
    )

    response = signed_in.get(url(acme))

    assert "Nothing is waiting for you in timesheets. 2 approved this week." in words(response)
    assert 'href="/w/4242/approvals/?tab=timesheets&amp;status=approved"' in response.content.decode()
    narrowed = signed_in.get(url(acme, query="tab=leaves&member=3"))
    assert "No leaves match these filters." in words(narrowed)


# --- The evidence on each row --------------------------------------------------------------------


@pytest.fixture
def week(acme):
    """Alice's week before this one: known hours per day, two contracts (30 h + 10 h), entries with
    an overlap on Monday and manual time, an approved leave on Thursday and Friday (Friday worked,
    Thursday only paid leave), activity on two days, and last week's timesheet approved."""
    monday = last_monday(acme)
    day = {name: monday + timedelta(days=n) for n, name in enumerate(["mon", "tue", "wed", "thu", "fri"])}
    alice = MemberFactory(workspace=acme, webwork_id="101", firstname="Alice", lastname="Moreau")
    bob = MemberFactory(workspace=acme, webwork_id="102", firstname="Bob", lastname="Okafor")
    website = ContractFactory(workspace=acme, member=alice, weekly_hours_limit=30)
    ContractFactory(workspace=acme, member=alice, weekly_hours_limit=10)
    ContractFactory(workspace=acme, member=alice, weekly_hours_limit=20, status="paused")
    minutes = {"mon": 425, "tue": 480, "wed": 540, "thu": 515, "fri": 500}
    sheet = TimesheetFactory(
        workspace=acme,
        member=alice,
        date_from=monday,
        date_to=monday + timedelta(days=6),
        total_minutes=sum(minutes.values()),
        daily_breakdown={
            str(day[name]): [
                {"project_id": 1, "total_minutes": value - 5},
                {"project_id": 2, "total_minutes": 5},
            ]
            for name, value in minutes.items()
        },
    )

    def entry(when, start, end, method="Desktop tracker", member=alice):
        first, last = local(day[when], *start), local(day[when], *end)
        return TimeEntryFactory(
            workspace=acme,
            contract=website
            if member == alice
            else ContractFactory(workspace=acme, member=member, weekly_hours_limit=168),
            date=day[when],
            start_time=first,
            end_time=last,
            duration_minutes=int((last - first).total_seconds() // 60),
            method=method,
        )

    entry("mon", (9, 0), (11, 0))
    entry("mon", (10, 30), (12, 0), method="Manually added time")  # overlaps the one before
    entry("tue", (9, 0), (12, 0))
    entry("wed", (13, 0), (14, 0))
    entry("wed", (14, 0), (15, 0))  # touching is not overlapping
    entry("thu", (9, 0), (17, 0), method="Paid leave")
    entry("fri", (9, 0), (11, 0))
    entry("tue", (9, 0), (12, 0), member=bob)  # Bob's time is not Alice's
    LeaveRequestFactory(
        workspace=acme, member=alice, status="approved", start_date=day["thu"], end_date=day["fri"]
    )
    LeaveRequestFactory(
        workspace=acme, member=alice, status="pending", start_date=day["tue"], end_date=day["tue"]
    )
    for when, level, who in [("mon", 50, alice), ("tue", 70, alice), ("mon", 99, bob)]:
        mirror.DailyActivity.objects.create(
            workspace=acme,
            webwork_id=f"{who.webwork_id}:{day[when]}",
            member=who,
            user_webwork_id=int(who.webwork_id),
            date=day[when],
            activity_level=level,
        )
    mirror.DailyActivity.objects.create(
        workspace=acme,
        webwork_id=f"101:{day['wed']}",
        member=alice,
        user_webwork_id=101,
        date=day["wed"],
    )
    TimesheetFactory(
        workspace=acme,
        member=alice,
        status="approved",
        date_from=monday - timedelta(days=7),
        date_to=monday - timedelta(days=1),
    )
    bobs = TimesheetFactory(
        workspace=acme, member=bob, date_from=monday, date_to=monday + timedelta(days=6), total_minutes=180
    )
    return {"sheet": sheet, "bobs": bobs, "day": day}


def test_a_timesheet_row_carries_its_weeks_evidence(acme, week):
    alice, bob = inbox.timesheet_rows_with_evidence(workspace=acme, timesheets=[week["sheet"], week["bobs"]])

    assert [bar.minutes for bar in alice.days] == [425, 480, 540, 515, 500, 0, 0]
    assert alice.days_text == (
        "Mon 7 h 05 min, Tue 8 h 00 min, Wed 9 h 00 min, Thu 8 h 35 min, Fri 8 h 20 min, Sat 0 min, Sun 0 min"
    )
    assert [bar.height for bar in alice.days] == [20, 22, 25, 24, 23, 1, 1]  # 9 h is the tallest of 28
    assert (alice.total_minutes, alice.limit_minutes, alice.over_limit) == (2460, 2400, True)
    assert (alice.entries_minutes, alice.manual_minutes, alice.manual_percent) == (630, 90, 14)
    assert alice.activity == 61  # (50 * 425 + 70 * 480) / 905, weighted by each day's hours
    assert alice.overlap_days == [week["day"]["mon"]]
    assert alice.leave_days == [week["day"]["fri"]]  # Thursday was paid leave, not work
    assert alice.previous_status == "approved"
    assert (bob.limit_minutes, bob.activity, bob.previous_status) == (None, 99, "")


def test_the_timesheet_row_shows_it(signed_in, acme, week):
    response = signed_in.get(url(acme))
    text = words(response)

    row = re.search(
        rf'<tr id="approval-timesheets-{week["sheet"].webwork_id}".*?</tr>', shown(response), re.S
    ).group(0)
    assert 'aria-label="Mon 7 h 05 min, Tue 8 h 00 min, Wed 9 h 00 min' in row
    assert '<rect x="0" y="8" width="8" height="20"' in row
    assert "41 h 00 min / 40 h 00 min over" in " ".join(re.sub(r"<[^>]+>", " ", row).split())
    assert "14 %" in row
    assert "61 %" in row
    assert "Overlapping entries: Mon" in row
    assert "Worked on approved leave: Fri" in row
    assert "Approved" in row
    assert "3 h 00 min / no limit" in text
    assert "No timesheet" in text


def test_a_time_request_row_carries_overlaps_and_the_weeks_manual_time(acme):
    alice = MemberFactory(workspace=acme, webwork_id="101", firstname="Alice", lastname="Moreau")
    project = ProjectFactory(workspace=acme, name="Website")
    monday = last_monday(acme)
    tue, wed = monday + timedelta(days=1), monday + timedelta(days=2)
    contract = ContractFactory(workspace=acme, member=alice, project=project)

    def request(start, end, **extra):
        return TimeRequestFactory(
            workspace=acme, member=alice, start=start, end=end, project=project, **extra
        )

    first = request(local(tue, 14), local(tue, 15, 30), notes="Client call from my phone")
    second = request(local(tue, 15, 15), local(tue, 16))
    third = request(local(wed, 8), local(wed, 9))
    request(local(wed, 8, 30), local(wed, 9, 30), status="rejected")  # rejected: not an overlap
    for when, hours, method in [
        (tue, (15, 45, 17, 0), "Desktop tracker"),
        (monday, (9, 0, 10, 30), "Manually added time"),
        (monday + timedelta(days=3), (9, 0, 9, 30), "Manually added time"),
        (monday - timedelta(days=1), (9, 0, 12, 0), "Manually added time"),  # the week before
    ]:
        start, end = local(when, hours[0], hours[1]), local(when, hours[2], hours[3])
        TimeEntryFactory(
            workspace=acme,
            contract=contract,
            date=when,
            start_time=start,
            end_time=end,
            duration_minutes=int((end - start).total_seconds() // 60),
            method=method,
        )

    rows = inbox.time_request_rows_with_evidence(workspace=acme, time_requests=[first, second, third])

    assert [(r.overlaps_tracked, r.overlaps_request) for r in rows] == [
        (False, True),
        (True, True),
        (False, False),
    ]
    assert [r.minutes for r in rows] == [90, 45, 60]
    assert {r.week_manual_minutes for r in rows} == {120}
    assert rows[0].start.tzinfo.key == "Europe/Berlin"
    assert rows[0].start.hour == 14


def test_the_time_request_row_shows_it(signed_in, acme):
    alice = MemberFactory(workspace=acme, firstname="Alice", lastname="Moreau")
    task = ProjectFactory(workspace=acme, name="Website").tasks.create(
        workspace=acme, webwork_id="900", title="Landing page"
    )
    monday = last_monday(acme)
    TimeRequestFactory(
        workspace=acme,
        member=alice,
        project=task.project,
        task=task,
        notes="Offline at the client",
        start=local(monday + timedelta(days=1), 14),
        end=local(monday + timedelta(days=1), 15, 30),
    )

    text = words(signed_in.get(url(acme, query="tab=time_requests")))

    assert "Alice Moreau" in text
    assert "Tue" in text
    assert f"14:00{DASH}15:30 1 h 30 min Website · Landing page Offline at the client None 0 min" in text


def test_a_leave_row_carries_its_length_balance_and_who_else_is_away(acme):
    vacation = LeavePolicyFactory(workspace=acme, name="Vacation", kind="day-based")
    hours = LeavePolicyFactory(workspace=acme, name="Overtime off", kind="hour-based")
    alice, bob, carol, dave, erin = (
        MemberFactory(workspace=acme, webwork_id=str(n), firstname=name, lastname="Test")
        for n, name in enumerate(["Alice", "Bob", "Carol", "Dave", "Erin"], start=101)
    )
    mirror.LeaveBalance.objects.create(
        workspace=acme,
        webwork_id="101:Vacation",
        member=alice,
        user_webwork_id=101,
        leave_type="Vacation",
        balance="12 days",
    )
    mirror.LeaveBalance.objects.create(
        workspace=acme,
        webwork_id="101:Overtime off",
        member=alice,
        user_webwork_id=101,
        leave_type="Overtime off",
        balance="20 hours",
    )
    monday = weekday(40)
    leave = LeaveRequestFactory(
        workspace=acme,
        member=alice,
        policy=vacation,
        start_date=monday,
        end_date=monday + timedelta(days=4),
        raw={"leave_period": 0, "total": {"days": 5, "hours": 40}},
    )
    half = LeaveRequestFactory(
        workspace=acme,
        member=alice,
        policy=vacation,
        start_date=monday + timedelta(days=14),
        end_date=monday + timedelta(days=14),
        raw={"leave_period": 1, "total": {"days": 0.5, "hours": 4}},
    )
    by_hours = LeaveRequestFactory(
        workspace=acme,
        member=alice,
        policy=hours,
        start_date=monday + timedelta(days=21),
        end_date=monday + timedelta(days=22),
        raw={"total": {"days": 2, "hours": 16}},
    )
    for who, first, last, status in [
        (bob, 2, 3, "approved"),
        (carol, 4, 8, "pending"),
        (dave, 1, 1, "rejected"),
        (erin, 7, 9, "approved"),
        (alice, 7, 7, "approved"),
    ]:
        LeaveRequestFactory(
            workspace=acme,
            member=who,
            policy=vacation,
            status=status,
            start_date=monday + timedelta(days=first),
            end_date=monday + timedelta(days=last),
        )

    five, half_day, hourly = inbox.leave_rows_with_evidence(workspace=acme, leaves=[leave, half, by_hours])

    assert (five.length_words, five.policy_name, five.balance, five.balance_after) == (
        "5 days",
        "Vacation",
        "12 days",
        "7 days",
    )
    assert [(a.name, a.status) for a in five.away] == [("Bob Test", "approved"), ("Carol Test", "pending")]
    assert (half_day.length_words, half_day.half_day, half_day.balance_after) == (
        "0.5 days",
        "first half of the day",
        "11.5 days",
    )
    assert (hourly.length_words, hourly.balance, hourly.balance_after) == ("16 hours", "20 hours", "4 hours")


def test_a_balance_is_shown_as_given_and_after_only_when_it_reads_as_a_number():
    assert inbox.parse_balance("12.5 days") == (Decimal("12.5"), "days")
    assert inbox.parse_balance("-2 hours") == (Decimal("-2"), "hours")
    assert inbox.parse_balance("1 day") == (Decimal("1"), "days")
    assert inbox.parse_balance("Unlimited") is None
    assert inbox.parse_balance("") is None


def test_the_leave_row_shows_it(signed_in, acme):
    alice = MemberFactory(workspace=acme, webwork_id="101", firstname="Alice", lastname="Moreau")
    bob = MemberFactory(workspace=acme, firstname="Bob", lastname="Okafor")
    vacation = LeavePolicyFactory(workspace=acme, name="Vacation")
    mirror.LeaveBalance.objects.create(
        workspace=acme,
        webwork_id="101:Vacation",
        user_webwork_id=101,
        leave_type="Vacation",
        balance="3 days",
    )
    monday = weekday(40)
    LeaveRequestFactory(
        workspace=acme,
        member=alice,
        policy=vacation,
        start_date=monday,
        end_date=monday + timedelta(days=4),
        raw={"total": {"days": 5}},
        note="Family trip",
    )
    LeaveRequestFactory(
        workspace=acme,
        member=bob,
        policy=vacation,
        status="approved",
        start_date=monday,
        end_date=monday,
    )

    response = signed_in.get(url(acme, query="tab=leaves"))

    assert "Family trip 5 days Vacation 3 days → -2 days Bob Okafor" in words(response)
    assert 'class="nowrap over">-2 days' in shown(response)


# --- The history disclosure ------------------------------------------------------------------------


def test_the_history_lists_who_decided_what_and_what_webwork_answered(signed_in, acme, owner):
    leave = LeaveRequestFactory(workspace=acme, status="rejected")
    other = LeaveRequestFactory(workspace=acme)
    owner.first_name, owner.last_name = "Olivia", "Owens"
    owner.save()
    start = timezone.now() - timedelta(hours=3)
    for minutes, extra in [
        (
            0,
            {
                "actor": owner,
                "action": "leave_approve",
                "outcome": "refused",
                "answer": "It starts in the past.",
            },
        ),
        (
            10,
            {
                "source": "webwork",
                "action": "leave_changed",
                "before": {"status": "pending"},
                "after": {"status": "approved"},
            },
        ),
        (
            20,
            {
                "actor": owner,
                "action": "leave_reject",
                "note": "Release week",
                "after": {"status": "rejected"},
            },
        ),
    ]:
        mirror.AuditEvent.objects.create(
            workspace=acme,
            object_type="leaverequest",
            object_id=leave.webwork_id,
            created_at=start + timedelta(minutes=minutes),
            **extra,
        )
    mirror.AuditEvent.objects.create(
        workspace=acme,
        object_type="leaverequest",
        object_id=other.webwork_id,
        action="leave_approve",
        actor=owner,
    )

    page = signed_in.get(url(acme, query="tab=leaves&status=all"))
    partial = signed_in.get(url(acme, "leaves", leave.webwork_id, "history"), headers=HTMX)
    full = signed_in.get(url(acme, "leaves", leave.webwork_id, "history"))

    assert f'hx-get="/w/4242/approvals/leaves/{leave.webwork_id}/history/"' in shown(page)
    assert 'hx-trigger="toggle from:closest details once"' in shown(page)
    text = words(partial)
    assert text.index("Olivia Owens rejected") < text.index("Someone in WebWork set it to approved")
    assert "Reason: “Release week” WebWork accepted it." in text
    assert "Olivia Owens tried: approved" in text
    assert "WebWork refused: It starts in the past." in text
    assert text.count("Olivia Owens") == 2
    assert "HX-Request" in vary(partial)
    assert "<html" in shown(full)
    assert "Olivia Owens rejected" in words(full)


# --- Tenant isolation and CSRF ---------------------------------------------------------------------


def test_another_workspaces_items_are_not_found_in_any_url_or_form(signed_in, acme, globex):
    theirs = {
        "timesheets": TimesheetFactory(workspace=globex),
        "time_requests": TimeRequestFactory(workspace=globex),
        "leaves": LeaveRequestFactory(workspace=globex),
    }
    foreign_bulk = mirror.BulkDecision.objects.create(workspace=globex, kind="leave", verb="approve")

    for kind, item in theirs.items():
        for part in ("", "history"):
            for headers in ({}, HTMX):
                assert (
                    signed_in.get(url(acme, kind, item.webwork_id, part), headers=headers).status_code == 404
                )
        assert signed_in.get(url(acme, kind, item.webwork_id, "reject")).status_code == 404
        assert signed_in.post(url(acme, kind, item.webwork_id, "approve")).status_code == 404
        assert signed_in.post(url(acme, kind, item.webwork_id, "reject"), {"reason": "No"}).status_code == 404
        for verb in ("approve", "reject"):
            posted = signed_in.post(
                url(acme, "bulk"), {"kind": kind, "verb": verb, "item": [item.webwork_id], "reason": "No"}
            )
            assert posted.status_code == 404
        assert item.__class__.objects.get(pk=item.pk).status == item.status
    assert signed_in.get(url(acme, "bulk", foreign_bulk.pk)).status_code == 404
    assert signed_in.get(url(acme, "bulk", foreign_bulk.pk), headers=HTMX).status_code == 404
    assert signed_in.get(url(acme, "nonsense", "1")).status_code == 404
    assert signed_in.get(url(globex)).status_code == 404
    assert mirror.BulkDecision.objects.filter(workspace=acme).count() == 0


def test_every_action_needs_the_csrf_token(acme, owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    sheet = TimesheetFactory(workspace=acme)

    for path, data in [
        (url(acme, "timesheets", sheet.webwork_id, "approve"), {}),
        (url(acme, "timesheets", sheet.webwork_id, "reject"), {"reason": "Wrong project"}),
        (url(acme, "bulk"), {"kind": "timesheets", "verb": "approve", "item": [sheet.webwork_id]}),
    ]:
        assert browser.post(path, data).status_code == 403
        assert browser.post(path, data, headers=HTMX).status_code == 403
    assert mirror.Timesheet.objects.get(pk=sheet.pk).status == "submitted"
    assert not mirror.BulkDecision.objects.exists()


def test_signed_out_visitors_go_to_sign_in_and_posts_are_not_found(client, acme):
    sheet = TimesheetFactory(workspace=acme)

    assert client.get(url(acme)).status_code == 302
    assert client.post(url(acme, "timesheets", sheet.webwork_id, "approve")).status_code == 404


# --- Rejecting without a reason, and the pages that work without JavaScript ------------------------


def test_the_reject_page_asks_for_a_reason_and_keeps_the_way_back(signed_in, acme):
    sheet = TimesheetFactory(
        workspace=acme, member=MemberFactory(workspace=acme, firstname="Alice", lastname="Moreau")
    )
    back = "/w/4242/approvals/?tab=timesheets&status=all"

    page = signed_in.get(url(acme, "timesheets", sheet.webwork_id, "reject", query=urlencode({"next": back})))
    blank = signed_in.post(
        url(acme, "timesheets", sheet.webwork_id, "reject"), {"reason": "  ", "next": back}
    )
    blank_htmx = signed_in.post(
        url(acme, "timesheets", sheet.webwork_id, "reject"), {"reason": ""}, headers=HTMX
    )
    outside = signed_in.get(
        url(acme, "timesheets", sheet.webwork_id, "reject", query="next=https://evil.test/")
    )

    assert page.status_code == 200
    assert "<html" in shown(page)
    assert "Approve" not in words(page)  # the page is for rejecting
    assert "Reject Alice Moreau's timesheet" in words(page)
    assert re.search(r'<textarea id="reject-reason" name="reason" rows="4" required', shown(page))
    assert f'<input type="hidden" name="next" value="{back}">' in shown(page)
    assert "Give a reason for the rejection; the member will see it." in words(blank)
    assert 'aria-invalid="true"' in shown(blank)
    assert blank_htmx["HX-Retarget"] == "#reject-errors"
    assert blank_htmx["HX-Reswap"] == "innerHTML"
    assert "Give a reason for the rejection" in words(blank_htmx)
    assert 'href="https://evil.test/"' not in shown(outside)
    assert mirror.Timesheet.objects.get(pk=sheet.pk).status == "submitted"
    assert not mirror.AuditEvent.objects.exists()


def test_an_item_is_a_row_for_htmx_and_a_page_of_its_own_otherwise(signed_in, acme):
    request = TimeRequestFactory(workspace=acme)

    row = signed_in.get(url(acme, "time_requests", request.webwork_id), headers=HTMX)
    page = signed_in.get(url(acme, "time_requests", request.webwork_id))

    assert shown(row).strip().startswith(f'<tr id="approval-time_requests-{request.webwork_id}"')
    assert "HX-Request" in vary(row)
    assert "HX-Request" in vary(page)
    assert "<html" in shown(page)
    assert "History" in words(page)


# --- Query counts that do not grow with the rows --------------------------------------------------


def busy_workspace(members_count):
    """A workspace of `members_count` members, each with everything the inbox reads."""
    workspace = WorkspaceFactory()
    monday = last_monday(workspace)
    members = bulk(MemberFactory, members_count, workspace=workspace)
    project = ProjectFactory(workspace=workspace)
    contracts = bulk(
        ContractFactory, members_count, workspace=workspace, project=project, member=factory.Iterator(members)
    )
    for days in (0, 1):
        bulk(
            TimeEntryFactory,
            members_count,
            workspace=workspace,
            date=monday + timedelta(days=days),
            contract=factory.Iterator(contracts),
            member=factory.Iterator(members),
            project=project,
        )
    for weeks in (0, 1):
        first = monday - timedelta(days=7 * weeks)
        bulk(
            TimesheetFactory,
            members_count,
            workspace=workspace,
            member=factory.Iterator(members),
            date_from=first,
            date_to=first + timedelta(days=6),
            status="submitted" if weeks == 0 else "approved",
        )
    mirror.DailyActivity.objects.bulk_create(
        mirror.DailyActivity(
            workspace=workspace,
            webwork_id=f"{m.webwork_id}:{monday}",
            member=m,
            user_webwork_id=int(m.webwork_id),
            date=monday,
            activity_level=60,
        )
        for m in members
    )
    bulk(
        TimeRequestFactory,
        members_count,
        workspace=workspace,
        member=factory.Iterator(members),
        project=project,
    )
    policy = LeavePolicyFactory(workspace=workspace)
    bulk(
        LeaveRequestFactory,
        members_count,
        workspace=workspace,
        member=factory.Iterator(members),
        policy=policy,
    )
    mirror.LeaveBalance.objects.bulk_create(
        mirror.LeaveBalance(
            workspace=workspace,
            webwork_id=f"{m.webwork_id}:Vacation",
            member=m,
            user_webwork_id=int(m.webwork_id),
            leave_type="Vacation",
            balance="10 days",
        )
        for m in members
    )
    return workspace


@pytest.mark.parametrize("tab", KINDS)
def test_the_inbox_reads_a_page_in_the_same_few_queries_for_5_or_150_members(client, tab):
    counts = {}
    for size in (5, 150):
        workspace = busy_workspace(size)
        user = manager_of(workspace, username=f"manager-{size}", webwork_user_id=size)
        client.force_login(user)
        path = f"/w/{workspace.webwork_id}/approvals/?tab={tab}"
        full, response = queries_of(client, path)
        partial, _ = queries_of(client, path, HTMX)
        counts[size] = (full, partial)
        assert shown(response).count("data-row ") == min(size, 50)
    assert counts[5] == counts[150]
    full, partial = counts[150]
    assert full <= 25, counts
    assert partial <= 18, counts


# --- Deciding through the real sandbox -----------------------------------------------------------


@pytest.fixture
def acme_live(world, wire, make_client, settings):
    """Acme as Clockroom knows it after its Owner connected it, with its approval queues mirrored:
    Alice's and Bob's submitted timesheets of last week, a pending time request of Alice and two
    pending leaves. Returns the tenant, the Django user signed in as the Owner, and the sandbox rows."""
    settings.WEBWORK_HTTP_TRANSPORT = NestedWire(wire)
    tenant, user = connected_by_owner(world, first_name="Olivia", last_name="Owens")
    today = berlin_today()
    monday = today - timedelta(days=today.weekday() + 7)
    for person in (world.alice, world.bob):
        timekeeping.time_entry_create(
            workspace=world.acme, user=person, start=at(monday, 9), end=at(monday, 12)
        )
    sheets = {s.user_id: s for s in sandbox.Timesheet.objects.filter(workspace=world.acme, date_from=monday)}
    for sheet in sheets.values():
        timekeeping.timesheet_submit(sheet)
    asked = timekeeping.time_request_create(
        workspace=world.acme,
        user=world.alice,
        start=at(today - timedelta(days=1), 14),
        end=at(today - timedelta(days=1), 15),
        notes="Forgot the tracker",
    )
    vacation = sandbox.LeavePolicy.objects.create(workspace=world.acme, name="Vacation", yearly_allowance=25)
    leaves = [
        sandbox.LeaveRequest.objects.create(
            workspace=world.acme,
            user=person,
            policy=vacation,
            start_date=weekday(44 + n),
            end_date=weekday(44 + n, 3),
        )
        for n, person in enumerate((world.alice, world.bob))
    ]
    ctx = SyncContext(workspace=tenant, client=make_client(world.owner))
    sync_members(ctx)
    sync_timesheets(ctx)
    sync_time_requests(ctx)
    sync_leave_policies(ctx)
    sync_leave_requests(ctx)
    return {
        "tenant": tenant,
        "user": user,
        "sheet": sheets[world.alice.id],
        "time_request": asked,
        "leaves": leaves,
    }


@pytest.fixture
def live_client(client, acme_live):
    client.force_login(acme_live["user"])
    return client


def test_approving_a_timesheet_inline_swaps_its_row_and_changes_webwork(live_client, acme_live, world):
    tenant, sheet = acme_live["tenant"], acme_live["sheet"]
    path = url(tenant, "timesheets", sheet.id, "approve")

    response = live_client.post(path, {"next": url(tenant)}, headers=HTMX)

    assert response.status_code == 200
    assert shown(response).strip().startswith(f'<tr id="approval-timesheets-{sheet.id}"')
    assert {"approvals-changed", "mirror-changed"} <= triggers(response)
    assert "HX-Request" in vary(response)
    row = words(response)
    assert "Approved" in row
    assert "Approve" not in row.replace("Approved", "")
    sheet.refresh_from_db()
    assert (sheet.status, sheet.reviewed_by) == ("approved", world.owner)
    assert mirror.Timesheet.objects.get(workspace=tenant, webwork_id=str(sheet.id)).status == "approved"
    event = mirror.AuditEvent.objects.get(action="timesheet_approve")
    assert event.actor == acme_live["user"]
    history = live_client.get(url(tenant, "timesheets", sheet.id, "history"), headers=HTMX)
    assert "Olivia Owens approved" in words(history)
    assert "WebWork accepted it." in words(history)


def test_rejecting_a_time_request_from_the_plain_page_sends_the_reason(live_client, acme_live):
    tenant, asked = acme_live["tenant"], acme_live["time_request"]
    back = url(tenant, query="tab=time_requests")

    response = live_client.post(
        url(tenant, "time_requests", asked.id, "reject"),
        {"reason": "Please track it next time.", "next": back},
    )

    assert response.status_code == 302
    assert response["Location"] == back
    asked.refresh_from_db()
    assert (asked.status, asked.comment) == ("rejected", "Please track it next time.")
    row = mirror.TimeRequest.objects.get(workspace=tenant, webwork_id=str(asked.id))
    assert (row.status, row.comment) == ("rejected", "Please track it next time.")
    page = live_client.get(back)
    assert "Rejected the time request of Alice Moreau." in words(page)
    assert "Nothing is waiting for you in time requests." in words(page)


def test_a_refusal_shows_webworks_reason_on_the_row_and_changes_nothing_here(live_client, acme_live, world):
    tenant, leave = acme_live["tenant"], acme_live["leaves"][0]
    timekeeping_status = "approved"
    sandbox.LeaveRequest.objects.filter(pk=leave.pk).update(
        status=timekeeping_status, approved_by=world.manager
    )
    mirrored = mirror.LeaveRequest.objects.get(workspace=tenant, webwork_id=str(leave.id))

    response = live_client.post(url(tenant, "leaves", leave.id, "approve"), headers=HTMX)

    assert response.status_code == 200
    text = words(response)
    assert "WebWork refused: This leave request is no longer pending (it is approved)." in text
    assert "Clockroom's copy says waiting for approval" in text
    assert 'class="approval-row approval-row-refused"' in shown(response)
    assert "approvals-changed" not in triggers(response)
    after = mirror.LeaveRequest.objects.get(pk=mirrored.pk)
    assert (after.status, after.synced_at, after.raw) == ("pending", mirrored.synced_at, mirrored.raw)
    assert not mirror.AuditEvent.objects.filter(outcome="done").exists()
    plain = live_client.post(
        url(tenant, "leaves", leave.id, "approve"), {"next": url(tenant, query="tab=leaves")}, follow=True
    )
    assert "WebWork did not approve this leave request: This leave request is no longer pending" in words(
        plain
    )


# --- Bulk decisions --------------------------------------------------------------------------------


def test_a_bulk_approval_is_queued_and_its_panel_polls_until_done(
    signed_in, acme, django_capture_on_commit_callbacks
):
    people = bulk(MemberFactory, 3, workspace=acme)
    sheets = [TimesheetFactory(workspace=acme, member=person) for person in people]
    chosen = [sheets[0].webwork_id, sheets[2].webwork_id]

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            url(acme, "bulk"), {"kind": "timesheets", "verb": "approve", "item": chosen}, headers=HTMX
        )

    bulk_decision = mirror.BulkDecision.objects.get(workspace=acme)
    assert (bulk_decision.kind, bulk_decision.verb) == ("timesheet", "approve")
    assert sorted(bulk_decision.items.values_list("object_id", flat=True)) == sorted(chosen)
    assert [t["args"] for t in queued_tasks() if t["func"].endswith("bulk_decision_run_task")] == [
        (bulk_decision.pk,)
    ]
    assert {"bulk-started", "approvals-changed"} <= triggers(response)
    panel = shown(response)
    assert f'hx-get="/w/4242/approvals/bulk/{bulk_decision.pk}/" hx-trigger="every 2s"' in panel
    assert 'aria-live="polite"' in panel
    assert "Approving 2 timesheets… by olivia" in words(response)
    assert "0 of 2 decided" in words(response)

    # The inbox marks the items as being decided, and shows the decision at its top.
    inbox_page = signed_in.get(url(acme))
    assert shown(inbox_page).count("data-in-bulk") == 2
    assert f'id="bulk-{bulk_decision.pk}"' in shown(inbox_page)
    assert "Deciding in bulk…" in words(inbox_page)

    # The first result lands: the poll updates the panel and the row the page still shows.
    first = bulk_decision.items.get(object_id=chosen[0])
    first.status, first.decided_at = "done", timezone.now()
    first.save()
    mirror.Timesheet.objects.filter(pk=sheets[0].pk).update(status="approved")
    poll = signed_in.get(url(acme, "bulk", bulk_decision.pk, query=f"rows={','.join(chosen)}"), headers=HTMX)
    assert poll.status_code == 200
    assert 'hx-swap-oob="innerHTML"' in shown(poll)
    assert "1 of 2 decided" in words(poll)
    assert f'<tr id="approval-timesheets-{chosen[0]}"' in shown(poll)
    assert f'<tr id="approval-timesheets-{chosen[1]}"' not in shown(poll)  # still waiting
    assert "approvals-changed" in triggers(poll)

    # The last one is refused: the poll says so, and stops (286).
    last = bulk_decision.items.get(object_id=chosen[1])
    last.status, last.message, last.decided_at = "refused", "It is approved already.", timezone.now()
    last.save()
    mirror.BulkDecision.objects.filter(pk=bulk_decision.pk).update(status="done", finished_at=timezone.now())
    done = signed_in.get(url(acme, "bulk", bulk_decision.pk, query=f"rows={chosen[1]}"), headers=HTMX)
    assert done.status_code == 286
    assert "2 of 2 decided · 1 refused · done" in words(done)
    assert "refused — It is approved already." in words(done)
    page = signed_in.get(url(acme, "bulk", bulk_decision.pk))
    assert "<html" in shown(page)
    assert "Approved 1 of 2 timesheets" in words(page)
    assert "hx-trigger" not in re.search(r'<section id="bulk-[^>]*>', shown(page)).group(0)


def test_all_matching_the_filter_decides_every_waiting_match(signed_in, acme):
    alice = MemberFactory(workspace=acme)
    bulk(LeaveRequestFactory, 60, workspace=acme, member=alice, policy=LeavePolicyFactory(workspace=acme))
    LeaveRequestFactory(workspace=acme, member=alice, status="approved")
    LeaveRequestFactory(workspace=acme)  # someone else's

    response = signed_in.post(
        url(acme, "bulk"),
        {
            "kind": "leaves",
            "verb": "approve",
            "scope": "matching",
            "member": alice.webwork_id,
            "next": url(acme),
        },
    )

    assert response.status_code == 302
    assert mirror.BulkDecision.objects.get().items.count() == 60
    assert "Approving 60 leaves" in words(signed_in.get(response["Location"]))


def test_a_bulk_rejection_asks_for_the_reason_first(signed_in, acme):
    sheets = [TimesheetFactory(workspace=acme) for _ in range(2)]
    ids = [sheet.webwork_id for sheet in sheets]

    asked = signed_in.post(url(acme, "bulk"), {"kind": "timesheets", "verb": "reject", "item": ids})
    in_dialog = signed_in.post(
        url(acme, "bulk"), {"kind": "timesheets", "verb": "reject", "item": ids}, headers=HTMX
    )

    assert asked.status_code == 200
    assert "Reject 2 timesheets" in words(asked)
    for webwork_id in ids:
        assert f'<input type="hidden" name="item" value="{webwork_id}">' in shown(asked)
    assert in_dialog["HX-Retarget"] == "#bulk-errors"
    assert not mirror.BulkDecision.objects.exists()

    started = signed_in.post(
        url(acme, "bulk"), {"kind": "timesheets", "verb": "reject", "item": ids, "reason": "Wrong project"}
    )
    assert started.status_code == 302
    assert mirror.BulkDecision.objects.get().reason == "Wrong project"


def test_a_bulk_form_without_a_choice_says_so(signed_in, acme):
    TimesheetFactory(workspace=acme)

    plain = signed_in.post(
        url(acme, "bulk"), {"kind": "timesheets", "verb": "approve", "next": url(acme)}, follow=True
    )
    htmx = signed_in.post(url(acme, "bulk"), {"kind": "timesheets", "verb": "approve"}, headers=HTMX)
    wrong = signed_in.post(url(acme, "bulk"), {"kind": "timesheets", "verb": "delete", "item": ["1"]})

    assert "Choose the timesheets to approve first." in words(plain)
    assert htmx["HX-Retarget"] == "#bulk-errors"
    assert wrong.status_code == 400
    assert not mirror.BulkDecision.objects.exists()


def test_a_bulk_decision_through_the_sandbox_reports_each_result(live_client, acme_live, world):
    tenant = acme_live["tenant"]
    changed, kept = acme_live["leaves"]
    sandbox.LeaveRequest.objects.filter(pk=changed.pk).update(status="approved", approved_by=world.manager)

    live_client.post(
        url(tenant, "bulk"),
        {"kind": "leaves", "verb": "approve", "item": [str(changed.id), str(kept.id)]},
        headers=HTMX,
    )
    started = mirror.BulkDecision.objects.get(workspace=tenant)
    bulk_decision_run(bulk_id=started.pk)
    poll = live_client.get(
        url(tenant, "bulk", started.pk, query=f"rows={changed.id},{kept.id}"), headers=HTMX
    )

    kept.refresh_from_db()
    assert kept.status == "approved"
    assert "2 of 2 decided · 1 refused" in words(poll)
    assert "refused — This leave request is no longer pending (it is approved)." in words(poll)
    assert shown(poll).count('hx-swap-oob="true"') == 2
    assert mirror.LeaveRequest.objects.get(workspace=tenant, webwork_id=str(kept.id)).status == "approved"
    assert mirror.LeaveRequest.objects.get(workspace=tenant, webwork_id=str(changed.id)).status == "pending"


def test_every_page_and_partial_answers_full_and_htmx_with_vary(signed_in, acme):
    sheet = TimesheetFactory(workspace=acme)
    decision = mirror.BulkDecision.objects.create(workspace=acme, kind="timesheet", verb="approve")
    decision.items.create(object_id=sheet.webwork_id)

    for path in [
        url(acme),
        url(acme, "tabs"),
        url(acme, "timesheets", sheet.webwork_id),
        url(acme, "timesheets", sheet.webwork_id, "history"),
        url(acme, "timesheets", sheet.webwork_id, "reject"),
        url(acme, "bulk", decision.pk),
    ]:
        partial = signed_in.get(path, headers=HTMX)
        assert partial.status_code == 200, path
        assert "HX-Request" in vary(partial), path
        assert "<html" not in shown(partial) or path.endswith("/reject/"), path
        full = signed_in.get(path)
        assert full.status_code in (200, 302), path
        if full.status_code == 200:
            assert "<html" in shown(full), path
            assert "HX-Request" in vary(full), path


def test_the_inbox_shows_decisions_under_way_and_the_last_few_done(signed_in, acme, globex):
    now = timezone.now()
    running = mirror.BulkDecision.objects.create(
        workspace=acme, kind="leave", verb="reject", status="running"
    )
    running.items.create(object_id="a", status="done", decided_at=now)
    running.items.create(object_id="b")
    for minutes in (1, 2, 3, 4):
        done = mirror.BulkDecision.objects.create(
            workspace=acme,
            kind="timesheet",
            verb="approve",
            status="done",
            created_at=now - timedelta(minutes=minutes),
            finished_at=now - timedelta(minutes=minutes),
        )
        done.items.create(object_id="c", status="refused", message="No.", decided_at=now)
    mirror.BulkDecision.objects.create(  # long done: not shown
        workspace=acme, kind="timesheet", verb="approve", status="done", finished_at=now - timedelta(hours=1)
    )
    mirror.BulkDecision.objects.create(workspace=globex, kind="leave", verb="approve")  # not Acme's

    page = shown(signed_in.get(url(acme)))

    assert len(re.findall(r'class="bulk-panel[ "]', page)) == 4
    assert page.count('hx-trigger="every 2s"') == 1
    assert "Rejecting 2 leaves… started just now" in words(signed_in.get(url(acme)))
    assert "1 of 2 decided" in page
    assert page.count("bulk-compact") == 3
    assert "Approved 0 of 1 timesheets · 1 refused" in words(signed_in.get(url(acme)))
