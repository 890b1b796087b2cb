"""The manager's home and a workspace's overview, read from the mirror."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from dashboard.selectors.overview import hours_for_workspace
from integrations import models
from tests.dashboard.helpers import HTMX, counts_shown, entry, shown
from tests.factories import (
    ContractFactory,
    LeaveRequestFactory,
    MemberFactory,
    ProjectFactory,
    TaskFactory,
    TimeEntryFactory,
    TimeRequestFactory,
    TimesheetFactory,
    WorkspaceFactory,
    bulk,
    manager_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return WorkspaceFactory(webwork_id=1, name="Acme Studio", timezone="America/Los_Angeles")


@pytest.fixture
def manager(acme, client):
    user = manager_of(acme)
    client.force_login(user)
    return user


# --- signing in first -------------------------------------------------------------------------


def test_a_bookmarked_page_leads_a_signed_out_visitor_to_sign_in_and_back(acme, client):
    answer = client.get("/w/1/audit/?actor=webwork")

    assert answer.status_code == 302
    assert answer["Location"] == "/auth/webwork/login/?next=/w/1/audit/%3Factor%3Dwebwork"


def test_a_panel_polling_after_the_session_ended_sends_the_whole_page_to_sign_in(acme, client):
    answer = client.get("/w/1/?part=figures", headers={**HTMX, "HX-Current-URL": "http://testserver/w/1/"})

    assert answer.status_code == 204
    assert answer["HX-Redirect"] == "/auth/webwork/login/?next=%2Fw%2F1%2F"


def test_a_signed_out_post_is_refused_without_a_hint(acme, client):
    assert client.post("/w/1/sync/now/").status_code == 404


# --- the overview ------------------------------------------------------------------------------


@pytest.fixture
def busy_week(acme):
    """Acme's week: tracked time today, earlier this week and last week, a running tracker,
    contracts at 90% and over their limits, leaves ahead and queues."""
    today = acme.today()
    week_start = acme.week_start(today)
    alice = MemberFactory(workspace=acme, firstname="Alice", lastname="Archer")
    bob = MemberFactory(workspace=acme, firstname="Bob", lastname="Baker")
    website = ProjectFactory(workspace=acme, name="Website")
    near = ContractFactory(workspace=acme, member=alice, project=website, weekly_hours_limit=10)
    over = ContractFactory(workspace=acme, member=bob, project=website, weekly_hours_limit=5)
    roomy = ContractFactory(
        workspace=acme, member=bob, project=ProjectFactory(workspace=acme), weekly_hours_limit=40
    )
    entry(acme, near, today, 120, hour=1)
    entry(acme, near, week_start, 420) if week_start != today else entry(acme, near, today, 420, hour=3)
    entry(acme, over, today, 360, hour=2)
    entry(acme, roomy, today, 60, hour=0)
    entry(acme, near, week_start - timedelta(days=7), 240)  # last week, to this weekday
    entry(acme, near, week_start - timedelta(days=1), 60, hour=1)  # last week's last day
    # Bob is tracking now, on a task, since 90 minutes ago.
    task = TaskFactory(workspace=acme, project=website, title="Landing page")
    started = timezone.now() - timedelta(minutes=90)
    TimeEntryFactory(
        workspace=acme, contract=over, date=today, start_time=started, end_time=None, duration_minutes=0
    )
    models.RunningTracker.objects.create(
        workspace=acme, webwork_id=bob.webwork_id, member=bob, project=website, task=task, started_at=started
    )
    TimesheetFactory.create_batch(2, workspace=acme)
    TimesheetFactory(workspace=acme, status="approved")
    TimeRequestFactory(workspace=acme)
    LeaveRequestFactory(
        workspace=acme,
        member=alice,
        status="approved",
        start_date=today + timedelta(3),
        end_date=today + timedelta(4),
    )
    LeaveRequestFactory(workspace=acme, member=bob, status="pending", start_date=today + timedelta(14))
    LeaveRequestFactory(workspace=acme, status="pending", start_date=today + timedelta(20))
    LeaveRequestFactory(workspace=acme, status="rejected", start_date=today + timedelta(2))
    return {"today": today, "started": started, "week_start": week_start}


def test_the_overview_shows_the_day_at_a_glance(acme, manager, client, busy_week):
    text = shown(client.get("/w/1/"))

    assert counts_shown(text) == {
        "approvals": 5,  # 2 timesheets, 1 time request, 2 leaves (one starts in 20 days)
        "timesheets_submitted": 2,
        "time_requests_pending": 1,
        "leaves_pending": 2,
        "working_now": 1,
    }
    # Today: 2 h + 6 h + 1 h (+ 7 h when the week starts today) closed, and Bob's 1 h 30 min running.
    closed_today = 120 + 360 + 60 + (420 if busy_week["week_start"] == busy_week["today"] else 0)
    today = re.search(r'data-minutes="today">([^<]+)<', text).group(1)
    assert today == duration(closed_today + 90)
    week = re.search(r'data-minutes="week">([^<]+)<', text).group(1)
    assert week == duration(120 + 420 + 360 + 60 + 90)
    assert "Last week in all: 5 h 00 min." in text
    # Working now: who, on what, since when (in the workspace's time zone), for how long.
    row = re.search(r'<table class="working-now">.*?</table>', text, re.S).group(0)
    local = timezone.localtime(busy_week["started"], acme.zone).strftime("%H:%M")
    assert "Bob Baker" in row
    assert "Website" in row
    assert "Landing page" in row
    assert f">{local}</time>" in row
    assert "1 h 30 min" in row


def test_contracts_at_80_percent_of_their_weekly_limit_or_over_are_listed_fullest_first(
    acme, manager, client, busy_week
):
    text = shown(client.get("/w/1/"))

    panel = text.split('id="limits-heading"')[1].split("</section>")[0]
    items = re.findall(r'<li class="limit-item[^"]*">(.*?)</li>', panel, re.S)
    assert len(items) == 2  # the 40-hour contract at 1 h is not near its limit
    bob, alice = items
    assert "Bob Baker" in bob
    assert "over by" in bob
    assert "Alice Archer" in alice
    assert "9 h 00 min of 10 h" in alice
    assert "1 h 00 min left" in alice


def test_leaves_of_the_next_14_days_say_which_wait_for_approval(acme, manager, client, busy_week):
    text = shown(client.get("/w/1/"))

    panel = text.split('id="leaves-heading"')[1].split("</section>")[0]
    assert "Alice Archer" in panel
    assert "Bob Baker" in panel
    assert "waiting for approval" in panel
    assert panel.count("<li>") == 2  # not the one in 20 days, not the rejected one


def test_an_empty_workspace_says_so_in_each_panel(acme, manager, client):
    text = shown(client.get("/w/1/"))

    assert "Nobody is tracking time in Acme Studio right now." in text
    assert "No contract has used 80% of its weekly limit this week." in text
    assert "No leave starts in the next 14 days." in text
    assert "nothing tracked by this time last week" in text


@pytest.mark.parametrize("part", ["figures", "working-now"])
def test_each_live_part_refreshes_alone(acme, manager, client, busy_week, part):
    answer = client.get(f"/w/1/?part={part}", headers=HTMX)

    body = answer.content.decode()
    assert body.lstrip().startswith(f'<section id="{part}"')
    assert "<html" not in body
    assert "HX-Request" in answer["Vary"]
    assert f'hx-get="/w/1/?part={part}"' in body


def test_an_unknown_part_gets_the_sync_card(acme, manager, client):
    body = client.get("/w/1/?part=<script>", headers=HTMX).content.decode()

    assert body.lstrip().startswith('<section id="sync-status"')


def test_the_sync_card_tells_the_page_the_mirror_changed_once_no_sync_runs(acme, manager, client):
    answer = client.get("/w/1/", headers=HTMX)

    assert answer["HX-Trigger"] == "mirror-changed"
    assert 'hx-trigger="every 60s"' in answer.content.decode()


def test_the_overview_costs_the_same_queries_for_5_and_for_150_members(
    acme, manager, client, django_assert_max_num_queries
):
    def fill(count):
        members = bulk(MemberFactory, count, workspace=acme)
        project = ProjectFactory(workspace=acme)
        for member in members:
            contract = ContractFactory(workspace=acme, member=member, project=project, weekly_hours_limit=2)
            entry(acme, contract, acme.today(), 110, hour=0)
            models.RunningTracker.objects.create(
                workspace=acme,
                webwork_id=member.webwork_id,
                member=member,
                project=project,
                started_at=timezone.now(),
            )
            LeaveRequestFactory(workspace=acme, member=member, start_date=acme.today() + timedelta(2))

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fill(5)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/w/1/").status_code == 200
    fill(145)
    with django_assert_max_num_queries(len(small.captured_queries)):
        text = shown(client.get("/w/1/"))
    assert counts_shown(text)["working_now"] == 150
    assert len(small.captured_queries) <= 20


# --- freshness ---------------------------------------------------------------------------------


def run(workspace, resource, status, minutes_ago):
    finished = timezone.now() - timedelta(minutes=minutes_ago)
    return models.SyncRun.objects.create(
        workspace=workspace, resource=resource, status=status, started_at=finished, finished_at=finished
    )


def test_the_freshness_line_says_when_the_page_s_data_was_last_synced(acme, manager, client):
    models.SyncState.objects.create(workspace=acme, first_sync_done_at=timezone.now())
    for resource in ("timesheets", "time_requests", "leave_requests"):
        run(acme, resource, "succeeded", 2)
    run(acme, "timesheets", "succeeded", 30)

    answer = client.get("/w/1/freshness/?of=timesheets,time_requests,leave_requests,nonsense", headers=HTMX)

    text = shown(answer)
    assert re.search(r"Updated\s*<time[^>]*>2\xa0min ago</time>", text)
    assert "freshness-warning" not in text
    assert 'of=timesheets%2Ctime_requests%2Cleave_requests"' in answer.content.decode()


def test_a_failed_last_sync_of_the_page_s_data_is_a_warning(acme, manager, client):
    models.SyncState.objects.create(workspace=acme, first_sync_done_at=timezone.now())
    run(acme, "timesheets", "succeeded", 20)
    run(acme, "timesheets", "failed", 5)
    run(acme, "leave_requests", "succeeded", 5)

    text = shown(client.get("/w/1/freshness/?of=timesheets,leave_requests", headers=HTMX))

    assert "The last sync of timesheets failed; Clockroom tries again by itself." in text
    assert 'role="alert"' in text


def test_a_sign_in_that_needs_renewing_is_a_warning_on_every_page(acme, manager, client):
    connection = manager.webwork_connections.get()
    connection.status = models.Connection.Status.NEEDS_SIGN_IN
    connection.save()
    acme.sync_connection = connection
    acme.save()

    for url in ("/w/1/", "/w/1/sync/", "/w/1/audit/"):
        assert "WebWork no longer accepts the sign-in this workspace syncs with" in shown(client.get(url)), (
            url
        )


# --- the frame ---------------------------------------------------------------------------------


def test_the_navigation_marks_the_page_and_links_only_to_pages_that_exist(acme, manager, client):
    text = shown(client.get("/w/1/audit/"))

    nav = re.search(r'<nav class="section-nav".*?</nav>', text, re.S).group(0)
    links = re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav)
    assert ("/w/1/audit/", ' aria-current="page"', "Audit trail") in links
    assert [label for *_, label in links][:1] == ["Overview"]
    for href, _, label in links:
        assert client.get(href).status_code == 200, label


def test_the_switcher_lists_every_workspace_the_manager_manages(acme, client):
    other = WorkspaceFactory(webwork_id=2, name="Beta Labs", disconnected_at=timezone.now())
    hidden = WorkspaceFactory(webwork_id=3, name="Gamma")
    client.force_login(manager_of(acme, other))
    manager_of(hidden)

    text = shown(client.get("/w/1/"))

    switcher = re.search(r'<details class="switcher">.*?</details>', text, re.S).group(0)
    assert "Acme Studio" in switcher
    assert "Beta Labs" in switcher
    assert "(disconnected)" in switcher
    assert "Gamma" not in switcher


def test_a_manager_without_an_email_in_webwork_is_named_by_their_account(acme, client):
    user = manager_of(
        acme, username="webwork-4", first_name="", last_name="", email="webwork-4@users.webwork.invalid"
    )
    client.force_login(user)

    text = shown(client.get("/w/1/"))

    assert "webwork.invalid" not in text
    assert '<span class="account-name">WebWork user 4</span>' in text


# --- home ---------------------------------------------------------------------------------------


def test_home_shows_each_workspace_s_queues_and_who_is_working(acme, client, busy_week):
    beta = WorkspaceFactory(webwork_id=2, name="Beta Labs", disconnected_at=timezone.now())
    fresh = WorkspaceFactory(webwork_id=3, name="Gamma")
    client.force_login(manager_of(acme, beta, fresh))
    models.SyncState.objects.create(workspace=acme, first_sync_done_at=timezone.now())

    text = shown(client.get("/"))

    cards = dict(
        re.findall(r'<a class="workspace-name" href="/w/\d+/">([^<]+)</a>(.*?)</li>\s*</ul>', text, re.S)
    )
    assert re.search(r"<strong class=\"num\">2</strong> timesheets", cards["Acme Studio"])
    assert re.search(r"<strong class=\"num\">1</strong> time request<", cards["Acme Studio"])
    assert re.search(r"<strong class=\"num\">2</strong> leaves", cards["Acme Studio"])
    assert re.search(
        r'href="/w/1/#working-now-heading"><strong class="num">1</strong> working now', cards["Acme Studio"]
    )
    assert "First sync" not in cards["Acme Studio"]
    assert "Disconnected" in cards["Beta Labs"]
    assert "Connect it again" in cards["Beta Labs"]
    assert "First sync starting" in cards["Gamma"]
    assert 'hx-trigger="every 3s"' in text  # Gamma's first sync: the list refreshes itself


def test_home_refreshes_its_list_alone(acme, client):
    client.force_login(manager_of(acme))
    models.SyncState.objects.create(workspace=acme, first_sync_done_at=timezone.now())

    answer = client.get("/", headers=HTMX)

    body = answer.content.decode()
    assert body.lstrip().startswith('<div id="workspace-list"')
    assert 'hx-trigger="every 60s"' in body
    assert "HX-Request" in answer["Vary"]


def duration(minutes):
    hours, mins = divmod(minutes, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def test_this_week_is_held_against_last_week_up_to_the_same_moment(acme):
    wednesday = acme.week_start(acme.today()) + timedelta(days=2)
    now = datetime.combine(wednesday, time(10), acme.zone)
    contract = ContractFactory(workspace=acme)
    last_wednesday = now.date() - timedelta(days=7)
    entry(acme, contract, last_wednesday - timedelta(days=1), 300)  # last Tuesday: counts
    entry(acme, contract, last_wednesday, 60, hour=8)  # last Wednesday 8:00: before this moment, counts
    entry(acme, contract, last_wednesday, 240, hour=13)  # last Wednesday afternoon: not yet
    entry(acme, contract, now.date(), 90, hour=8)

    hours = hours_for_workspace(workspace=acme, now=now)

    assert hours.last_week_to_date == 360
    assert hours.last_week == 600
    assert hours.week == 90
    assert hours.change == -270
    assert hours.change_percent == 75
