"""The Timeline, Activity, Tasks and Descriptions reports: what each shows, their filters and
CSVs, tenant isolation, and their cost in queries."""

import csv
import html
import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.selectors.report_data import (
    MANUAL_METHOD,
    member_choices_for_workspace,
    project_colour,
    timeline_day_for_workspace,
)
from dashboard.selectors.reports import ReportFilters
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

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
DASH = "\u2013"  # an en dash, between two times
MONDAY = date(2026, 11, 30)  # a week that crosses into December
WEEK = f"period=custom&from={MONDAY}&to={MONDAY + timedelta(days=6)}"


def shown(response):
    return html.unescape(response.content.decode())


def words_of(text):
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def words(response):
    return words_of(shown(response))


def csv_rows(response):
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


class Acme:
    """A workspace in Tokyo (far from UTC): Alice and Bob track time, Dora is active but tracks
    none, Carol left (archived), Vera is a project viewer; two projects with a task each."""

    def __init__(self):
        self.workspace = WorkspaceFactory(webwork_id=1, name="Acme Studio", timezone="Asia/Tokyo")
        ws = self.workspace
        self.alice = MemberFactory(workspace=ws, webwork_id="11", firstname="Alice", lastname="Archer")
        self.bob = MemberFactory(workspace=ws, webwork_id="12", firstname="Bob", lastname="Baker")
        self.carol = MemberFactory(
            workspace=ws, webwork_id="13", firstname="Carol", lastname="Clay", archived_at=timezone.now()
        )
        self.dora = MemberFactory(workspace=ws, webwork_id="15", firstname="Dora", lastname="Dunn")
        self.vera = MemberFactory(
            workspace=ws, webwork_id="14", firstname="Vera", lastname="Viewer", role="Project viewer"
        )
        self.website = ProjectFactory(workspace=ws, webwork_id="21", name="Website")
        self.brand = ProjectFactory(workspace=ws, webwork_id="22", name="Brand book")
        self.homepage = TaskFactory(workspace=ws, webwork_id="31", project=self.website, title="Homepage")
        self.logo = TaskFactory(workspace=ws, webwork_id="32", project=self.brand, title="Logo")
        self._contracts = {}

    def at(self, day, hour, minute=0):
        return datetime.combine(day, time(hour, minute), self.workspace.zone)

    def contract(self, member, project):
        key = (member.pk, project.pk)
        if key not in self._contracts:
            self._contracts[key] = ContractFactory(workspace=self.workspace, member=member, project=project)
        return self._contracts[key]

    def entry(self, member, project, day, hour, minutes, *, minute=0, task=None, **fields):
        start = fields.pop("start", None) or self.at(day, hour, minute)
        running = fields.pop("running", False)
        return TimeEntryFactory(
            workspace=self.workspace,
            contract=self.contract(member, project),
            task=task,
            task_webwork_id=int(task.webwork_id) if task else None,
            date=day,
            start_time=start,
            end_time=None if running else start.astimezone(UTC) + timedelta(minutes=minutes),
            duration_minutes=minutes,
            method=fields.pop("method", "Desktop tracker"),
            **fields,
        )

    def activity(self, member, day, level):
        return mirror.DailyActivity.objects.create(
            workspace=self.workspace,
            webwork_id=f"{member.webwork_id}:{day}",
            member=member,
            user_webwork_id=int(member.webwork_id),
            date=day,
            activity_level=level,
        )


@pytest.fixture
def acme():
    return Acme()


@pytest.fixture
def manager(acme, client):
    user = manager_of(acme.workspace, username="maria", first_name="Maria", last_name="Moss")
    client.force_login(user)
    return user


@pytest.fixture
def globex():
    """Another workspace, with a member, a project and an entry of the same days."""
    workspace = WorkspaceFactory(webwork_id=2, name="Globex")
    spy = MemberFactory(workspace=workspace, webwork_id="91", firstname="Secret", lastname="Agent")
    project = ProjectFactory(workspace=workspace, webwork_id="92", name="Classified project")
    entry = TimeEntryFactory(
        workspace=workspace,
        contract=ContractFactory(workspace=workspace, member=spy, project=project),
        webwork_id="globex-entry",
        date=MONDAY + timedelta(days=1),
        start_time=datetime.combine(MONDAY + timedelta(days=1), time(10), workspace.zone),
        end_time=datetime.combine(MONDAY + timedelta(days=1), time(12), workspace.zone),
        duration_minutes=120,
        activity_description="classified description",
    )
    return {"workspace": workspace, "spy": spy, "project": project, "entry": entry}


# --- Timeline ------------------------------------------------------------------------------------


def bars(text):
    """[(member id, [(x, width, class, title)])] of the timeline's rows, in order."""
    found = []
    for member, row in re.findall(
        r'<div class="timeline-row[^"]*" data-member="(\d+)"[^>]*>(.*?)</svg>', text, re.S
    ):
        found.append(
            (
                member,
                re.findall(
                    r'<a class="timeline-bar" href="[^"]+"><title>([^<]*)</title><rect class="bar ([^"]+)" '
                    r'x="(\d+)" y="2" width="(\d+)"',
                    row,
                ),
            )
        )
    return [(member, [(int(x), int(w), cls, title) for title, cls, x, w in items]) for member, items in found]


@pytest.fixture
def tuesday(acme):
    """Alice's Tuesday: 9:00-10:30 on Website's Homepage, a gap, 11:00-11:45 on Brand book added
    by hand, 13:00-14:00 without a project. Bob: 8:00-9:00 on Website. Nothing for Carol."""
    day = MONDAY + timedelta(days=1)
    acme.entry(acme.alice, acme.website, day, 9, 90, task=acme.homepage, webwork_id="e-home")
    acme.entry(acme.alice, acme.brand, day, 11, 45, method=MANUAL_METHOD, webwork_id="e-logo")
    no_project = acme.entry(acme.alice, acme.brand, day, 13, 60, webwork_id="e-none")
    mirror.TimeEntry.objects.filter(pk=no_project.pk).update(project=None, project_webwork_id=None)
    acme.entry(acme.bob, acme.website, day, 8, 60, webwork_id="e-bob")
    acme.entry(acme.bob, acme.website, day, 15, 30, webwork_id="e-gone", removed_at=timezone.now())
    return day


def test_the_timeline_draws_each_members_day_as_bars_coloured_by_project(acme, manager, tuesday, client):
    response = client.get(f"/w/1/reports/timeline/?date={tuesday}")

    assert response.status_code == 200
    text = shown(response)
    drawn = dict(bars(text))
    assert list(drawn) == ["11", "12"]  # by name; Carol (archived, no time) and Vera (viewer) are not rows
    # The window runs from 8:00 (Bob's first minute) to 16:00 at least: x is minutes from 8:00.
    alice = drawn["11"]
    assert [(x, width) for x, width, _, _ in alice] == [(60, 90), (180, 45), (300, 60)]
    website = project_colour(21)
    assert alice[0][2] == website
    assert drawn["12"][0][2] == website
    assert alice[1][2] == project_colour(22) != website
    assert alice[2][2] == "project-none"
    assert alice[0][3] == f"Website · Homepage · 09:00{DASH}10:30, 1 h 30 min"
    assert alice[1][3] == f"Brand book · 11:00{DASH}11:45, 45 min, added by hand"  # not colour alone
    assert alice[2][3].startswith(f"No project · 13:00{DASH}14:00")
    assert text.count('fill="url(#timeline-hatch)"') == 2  # the legend's swatch and Alice's manual bar
    assert "15:00" not in " ".join(title for _, _, _, title in drawn["12"])  # a deleted entry is gone
    page = words(response)
    assert f"09:00{DASH}14:00 · gaps 1 h 45 min · 45 min by hand" in page
    assert "Tuesday 1 December 2026" in page
    assert "4 h 15 min tracked by 2 members" in page
    for legend in ("Brand book", "Website", "No project", "Added by hand"):
        assert legend in re.search(r'<ul class="timeline-legend".*?</ul>', text, re.S).group(0)
    assert re.search(r"<li>08<span", text)  # the first hour of the axis
    assert f'date={tuesday - timedelta(days=1)}"' in text
    assert f'date={tuesday + timedelta(days=1)}"' in text
    idle = re.search(r'<details class="timeline-idle">.*?</details>', text, re.S).group(0)
    assert "1 member tracked no time this day" in words_of(idle)
    assert "Dora Dunn" in idle
    assert "Carol" not in idle
    assert "Vera" not in idle


def test_the_timeline_marks_gaps_and_keeps_bars_within_the_day(acme, manager, client):
    day = MONDAY + timedelta(days=2)
    # A running tracker started the day before is drawn from midnight, up to the end of the day
    # at most (it is an old day, so "now" is past it).
    acme.entry(acme.alice, acme.website, day, 0, 0, start=acme.at(day, 0) - timedelta(hours=2), running=True)
    response = client.get(f"/w/1/reports/timeline/?date={day}")

    ((_, alice),) = bars(shown(response))
    ((x, width, cls, title),) = alice
    assert (x, width) == (0, 24 * 60)
    assert "bar-running" in cls
    assert "now (running)" in title


def test_a_running_tracker_is_drawn_up_to_now(acme, manager):
    day = date(2026, 12, 2)
    now = acme.at(day, 10, 30)
    acme.entry(acme.alice, acme.website, day, 8, 0, running=True)
    filters = ReportFilters.from_query({}, workspace=acme.workspace)
    members = member_choices_for_workspace(workspace=acme.workspace)

    timeline = timeline_day_for_workspace(
        workspace=acme.workspace, filters=filters, members=members, day=day, now=now
    )

    (row,) = timeline.rows
    (bar,) = row.bars
    assert bar.running
    assert bar.minutes == 150
    assert row.minutes == 150
    assert (timeline.window_start, bar.x, bar.width) == (8 * 60, 0, 150)
    assert timeline.now_x == 150
    assert timeline.has_running


def test_a_day_when_the_clocks_change_counts_real_minutes(acme, manager):
    acme.workspace.timezone = "Europe/Berlin"
    acme.workspace.save()
    day = date(2026, 10, 25)  # 03:00 summer time becomes 02:00 winter time
    start = datetime(2026, 10, 25, 1, 0, tzinfo=acme.workspace.zone)
    acme.entry(acme.alice, acme.website, day, 1, 240, start=start)  # 01:00 to 04:00 on the wall
    filters = ReportFilters.from_query({}, workspace=acme.workspace)

    timeline = timeline_day_for_workspace(
        workspace=acme.workspace,
        filters=filters,
        members=member_choices_for_workspace(workspace=acme.workspace),
        day=day,
        now=timezone.now(),
    )

    (bar,) = timeline.rows[0].bars
    assert bar.width == 240
    assert bar.end.strftime("%H:%M") == "04:00"
    assert [label for _, label in timeline.hours][:5] == ["01:00", "02:00", "02:00", "03:00", "04:00"]


def test_a_members_week_shows_seven_days(acme, manager, tuesday, client):
    response = client.get(f"/w/1/reports/timeline/?view=week&member=11&date={tuesday}")

    text = shown(response)
    rows = bars(text)
    assert [member for member, _ in rows] == ["11"] * 7
    assert [len(drawn) for _, drawn in rows] == [0, 3, 0, 0, 0, 0, 0]
    page = words(response)
    assert "Alice Archer, Mon 30 Nov to Sun 6 Dec 2026" in page
    assert f'date={tuesday - timedelta(days=7)}"' in text  # the previous week
    assert "Bob" not in "".join(re.findall(r'<div class="timeline">.*', text, re.S))


def test_a_week_asked_for_another_workspaces_member_is_the_day_of_everyone(
    acme, manager, tuesday, globex, client
):
    response = client.get(f"/w/1/reports/timeline/?view=week&member=91&project=92&date={tuesday}")

    assert response.status_code == 200
    page = words(response)
    assert "Choose a member to see their week" in page
    assert [member for member, _ in bars(shown(response))] == ["11", "12"]
    assert "Secret" not in page
    assert "Classified" not in page


def test_a_bar_opens_its_entry(acme, manager, tuesday, client):
    text = shown(client.get(f"/w/1/reports/timeline/?date={tuesday}"))
    link = re.search(r'<a class="timeline-bar" href="([^"]+e-logo/)"', text).group(1)

    card = client.get(link, headers=HTMX)
    assert card.status_code == 200
    assert "Vary" in card
    assert "HX-Request" in card["Vary"]
    facts = words(card)
    assert "<html" not in shown(card)
    assert "Alice Archer · Tue 1 Dec 2026" in facts
    for fact in (
        "Start 11:00",
        "End 11:45",
        "Duration 45 min",
        "Project Brand book",
        "Task No task",
        "How Added by hand",
    ):
        assert fact in facts
    page = client.get(link)
    assert "<html" in shown(page)
    assert "Start 11:00" in words(page)
    assert "The timeline of Tue 1 Dec 2026" in words(page)


def test_an_entry_of_another_workspace_or_deleted_is_not_found(acme, manager, tuesday, globex, client):
    for entry_id in ("globex-entry", "e-gone", "nope"):
        for headers in ({}, HTMX):
            response = client.get(f"/w/1/reports/timeline/entries/{entry_id}/", headers=headers)
            assert response.status_code == 404, entry_id


def test_an_empty_day_says_so(acme, manager, client):
    response = client.get("/w/1/reports/timeline/?date=2026-06-01")

    assert "Nobody in Acme Studio tracked time on this day." in words(response)
    assert "3 members tracked no time" in words(response)


def test_the_timeline_answers_htmx_with_the_chart(acme, manager, tuesday, client):
    response = client.get(f"/w/1/reports/timeline/?date={tuesday}", headers=HTMX)

    text = shown(response)
    assert text.lstrip().startswith('<section id="timeline-report"')
    assert "HX-Request" in response["Vary"]
    assert len(bars(text)) == 2


# --- Activity ------------------------------------------------------------------------------------


@pytest.fixture
def activity_week(acme):
    """Alice: Monday 80 % over 1 h, Tuesday 40 % over 3 h (hours-weighted: 50 %, not 60 %).
    Bob: Monday 70 % over 2 h, Wednesday tracked but no level. Carol (archived): nothing."""
    acme.entry(acme.alice, acme.website, MONDAY, 9, 60)
    acme.activity(acme.alice, MONDAY, 80)
    acme.entry(acme.alice, acme.brand, MONDAY + timedelta(days=1), 9, 180)
    acme.activity(acme.alice, MONDAY + timedelta(days=1), 40)
    acme.entry(acme.bob, acme.website, MONDAY, 9, 120)
    acme.activity(acme.bob, MONDAY, 70)
    acme.entry(acme.bob, acme.website, MONDAY + timedelta(days=2), 9, 30)
    acme.activity(acme.bob, MONDAY + timedelta(days=2), None)
    # A running tracker and a deleted entry weigh nothing.
    acme.entry(acme.bob, acme.brand, MONDAY + timedelta(days=3), 9, 50, running=True)
    acme.entry(acme.alice, acme.website, MONDAY + timedelta(days=4), 9, 500, removed_at=timezone.now())
    return acme


def heat_rows(text):
    """{member id: (cells [(class, text)], average text)} of the heat map."""
    found = {}
    for member, row in re.findall(r'<tr class="heat-row[^"]*" data-member="(\d+)">(.*?)</tr>', text, re.S):
        cells = re.findall(r'<td class="act ([\w-]+)"[^>]*>(.*?)</td>', row, re.S)
        average = re.search(r'data-level="average">(.*?)</td>', row, re.S).group(1)
        found[member] = (
            [(cls, re.sub(r"<[^>]+>", "", value)) for cls, value in cells],
            re.sub(r"<[^>]+>", "", average),
        )
    return found


def test_the_heat_map_shows_each_days_level_and_hours_weighted_averages(acme, manager, activity_week, client):
    response = client.get(f"/w/1/reports/activity/?{WEEK}")

    text = shown(response)
    rows = heat_rows(text)
    assert list(rows) == ["11", "12", "15"]  # Carol left and has no activity; Vera is a viewer
    alice_cells, alice_average = rows["11"]
    assert alice_cells[:3] == [("act-band-5", "80"), ("act-band-3", "40"), ("act-none", "—")]
    assert alice_average == "50 %"  # (80 x 60 + 40 x 180) / 240
    bob_cells, bob_average = rows["12"]
    assert bob_cells[0] == ("act-band-4", "70")
    assert bob_cells[2] == ("act-none", "—")
    assert bob_average == "70 %"  # the day without a level weighs nothing
    assert rows["15"] == ([("act-none", "—")] * 7, "—")
    assert re.search(r'data-level="team">\s*57 %', text)  # (4800 + 7200 + 8400) / 360
    page = words(response)
    assert "Tracked 6 h 30 min" in page  # 60 + 180 + 120 + 30: finished, current entries only
    assert "Mon 30 Nov to Sun 6 Dec 2026" in page


def test_members_below_the_threshold_are_marked_and_listed_first(acme, manager, activity_week, client):
    response = client.get(f"/w/1/reports/activity/?{WEEK}&below=60")

    text = shown(response)
    assert list(heat_rows(text)) == ["11", "12", "15"]
    assert re.search(r'<tr class="heat-row below-threshold" data-member="11">', text)
    assert not re.search(r'below-threshold" data-member="1[25]"', text)  # Dora has no data: not below
    note = words(response)
    assert "Averaging below 60 % Alice Archer 50 %" in note
    assert "below 60 %" in re.search(r'data-member="11">.*?</th>', text, re.S).group(0)

    first = shown(client.get(f"/w/1/reports/activity/?{WEEK}&below=75&first=1"))
    assert list(heat_rows(first)) == ["11", "12", "15"]  # both below: lowest first
    nobody = words(client.get(f"/w/1/reports/activity/?{WEEK}&below=10"))
    assert "Nobody averaged below 10 % over this period." in nobody


def test_a_threshold_lists_the_one_below_first(acme, manager, activity_week, client):
    acme.activity(acme.bob, MONDAY + timedelta(days=1), 20)
    acme.entry(acme.bob, acme.website, MONDAY + timedelta(days=1), 9, 600)  # Bob: (8400 + 12000) / 720 = 28 %

    text = shown(client.get(f"/w/1/reports/activity/?{WEEK}&below=40&first=1"))

    assert list(heat_rows(text)) == ["12", "11", "15"]
    assert heat_rows(text)["12"][1] == "28 %"
    assert list(heat_rows(shown(client.get(f"/w/1/reports/activity/?{WEEK}&below=40")))) == ["11", "12", "15"]


@pytest.mark.parametrize("below", ["0", "101", "abc", "", "-5"])
def test_a_threshold_out_of_range_is_ignored(acme, manager, activity_week, client, below):
    response = client.get(f"/w/1/reports/activity/?{WEEK}&below={below}")

    assert response.status_code == 200
    assert "below-threshold" not in shown(response)


def test_the_activity_csv_is_what_the_page_shows(acme, manager, activity_week, client):
    response = client.get(f"/w/1/reports/activity/export.csv?{WEEK}&below=60")

    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="activity-1-2026-11-30_2026-12-06.csv"' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][0] == "Member (days in Asia/Tokyo)"
    assert rows[0][1:8] == [str(MONDAY + timedelta(days=n)) for n in range(7)]
    assert rows[0][8:] == ["Average activity (%)", "Hours tracked", "Below threshold"]
    assert rows[1] == ["Alice Archer", "80", "40", "", "", "", "", "", "50", "4.00", "yes"]
    assert rows[2] == ["Bob Baker", "70", "", "", "", "", "", "", "70", "2.50", "no"]
    assert rows[3] == ["Dora Dunn", "", "", "", "", "", "", "", "", "0.00", "no"]
    assert rows[4] == ["Team average", "", "", "", "", "", "", "", "57", "6.50", ""]


def test_a_project_filter_keeps_the_members_who_worked_on_it(acme, manager, activity_week, client):
    text = shown(client.get(f"/w/1/reports/activity/?{WEEK}&project=22"))

    assert list(heat_rows(text)) == ["11"]  # only Alice tracked (finished) time on Brand book
    assert heat_rows(text)["11"][1] == "50 %"  # levels are the whole day's


def test_a_long_period_shows_its_first_31_days(acme, manager, activity_week, client):
    response = client.get("/w/1/reports/activity/?period=custom&from=2026-11-01&to=2026-12-31")

    assert len(heat_rows(shown(response))["11"][0]) == 31
    assert "The heat map shows 31 days at most" in words(response)


# --- Tasks ---------------------------------------------------------------------------------------


@pytest.fixture
def task_week(acme):
    acme.entry(acme.alice, acme.website, MONDAY, 9, 120, task=acme.homepage)
    acme.entry(acme.bob, acme.website, MONDAY, 9, 30, task=acme.homepage)
    acme.entry(acme.alice, acme.brand, MONDAY + timedelta(days=1), 9, 45, task=acme.logo)
    acme.entry(acme.bob, acme.brand, MONDAY + timedelta(days=2), 9, 20)  # no task
    acme.entry(acme.alice, acme.website, MONDAY + timedelta(days=3), 9, 10)  # no task, another project
    acme.entry(acme.bob, acme.brand, MONDAY + timedelta(days=4), 9, 99, task=acme.logo, running=True)
    acme.entry(
        acme.bob, acme.brand, MONDAY + timedelta(days=4), 12, 77, task=acme.logo, removed_at=timezone.now()
    )
    acme.entry(acme.bob, acme.brand, MONDAY + timedelta(days=7), 9, 66, task=acme.logo)  # next week
    return acme


def task_groups(text):
    """[(task label, total, [(member id, minutes text)])] in the page's order."""
    found = []
    for group in re.findall(r'<tbody class="task-group".*?</tbody>', text, re.S):
        label = re.sub(r"<[^>]+>", "", re.search(r'<th scope="rowgroup">(.*?)</th>', group, re.S).group(1))
        total = re.search(r'data-minutes="task">(.*?)</td>', group).group(1)
        members = re.findall(r'data-member="(\d+)">.*?data-minutes="member">(.*?)</td>', group, re.S)
        found.append((" ".join(label.split()), total, members))
    return found


def test_the_tasks_report_shows_each_tasks_time_per_member(acme, manager, task_week, client):
    response = client.get(f"/w/1/reports/tasks/?{WEEK}")

    assert task_groups(shown(response)) == [
        ("Homepage · Website", "2 h 30 min", [("11", "2 h 00 min"), ("12", "30 min")]),
        ("Logo · Brand book", "45 min", [("11", "45 min")]),
        ("No task", "30 min", [("12", "20 min"), ("11", "10 min")]),
    ]
    assert "3 h 45 min on 3 tasks." in words(response)


def test_the_tasks_filters_narrow_and_ignore_another_workspaces_ids(acme, manager, task_week, globex, client):
    only_bob = shown(client.get(f"/w/1/reports/tasks/?{WEEK}&member=12&member=91&project=92"))
    assert task_groups(only_bob) == [
        ("Homepage · Website", "30 min", [("12", "30 min")]),
        ("No task", "20 min", [("12", "20 min")]),
    ]
    assert "91" not in re.findall(r'name="member" value="(\d+)"[^>]* checked', only_bob)
    assert "Secret" not in only_bob
    assert "Classified" not in only_bob
    brand = shown(client.get(f"/w/1/reports/tasks/?{WEEK}&project=22"))
    assert [label for label, _, _ in task_groups(brand)] == ["Logo · Brand book", "No task"]


def test_the_tasks_csv_is_what_the_page_shows(acme, manager, task_week, client):
    rows = csv_rows(client.get(f"/w/1/reports/tasks/export.csv?{WEEK}"))

    assert rows == [
        ["Project", "Task", "Member", "Hours (2026-11-30 to 2026-12-06, Asia/Tokyo)", "Row"],
        ["Website", "Homepage", "Alice Archer", "2.00", "member"],
        ["Website", "Homepage", "Bob Baker", "0.50", "member"],
        ["Website", "Homepage", "All members", "2.50", "task total"],
        ["Brand book", "Logo", "Alice Archer", "0.75", "member"],
        ["Brand book", "Logo", "All members", "0.75", "task total"],
        ["", "No task", "Bob Baker", "0.33", "member"],
        ["", "No task", "Alice Archer", "0.17", "member"],
        ["", "No task", "All members", "0.50", "task total"],
        ["", "All tasks", "All members", "3.75", "total"],
    ]


def test_the_tasks_pages_keep_the_filters(acme, manager, client):
    for number in range(55):
        task = TaskFactory(workspace=acme.workspace, project=acme.website, title=f"Task {number:02d}")
        acme.entry(acme.alice, acme.website, MONDAY, 0, 1 + number, minute=number, task=task)

    first = client.get(f"/w/1/reports/tasks/?{WEEK}&member=11")
    text = shown(first)
    assert len(task_groups(text)) == 50
    assert "Page 1 of 2" in words(first)
    assert f'href="?{WEEK}&member=11&page=2"' in text
    second = client.get(f"/w/1/reports/tasks/?{WEEK}&member=11&page=2", headers=HTMX)
    assert len(task_groups(shown(second))) == 5
    assert task_groups(shown(second))[-1][0] == "Task 00 · Website"


def test_a_period_without_time_says_so(acme, manager, task_week, client):
    assert "No time was tracked in Acme Studio over this period." in words(
        client.get("/w/1/reports/tasks/?period=custom&from=2025-01-01&to=2025-01-31")
    )


# --- Descriptions --------------------------------------------------------------------------------


@pytest.fixture
def described(acme):
    tuesday = MONDAY + timedelta(days=1)
    acme.entry(acme.alice, acme.website, MONDAY, 9, 60, activity_description="Homepage hero")
    acme.entry(acme.alice, acme.website, MONDAY, 11, 30, activity_description="Homepage hero")
    acme.entry(acme.alice, acme.brand, MONDAY, 14, 20, activity_description="Logo sketches")
    acme.entry(acme.alice, acme.brand, tuesday, 9, 15)  # nothing written
    acme.entry(acme.bob, acme.website, tuesday, 9, 40, activity_description="Invoice for the homepage")
    acme.entry(acme.bob, acme.website, tuesday, 11, 5, activity_description="draft", running=True)
    return acme


def description_lines(text):
    """[(member id, day, description, minutes text)] in the page's order."""
    found = []
    for member, section in re.findall(
        r'<section class="desc-member card" data-member="(\d+)">(.*?)</section>', text, re.S
    ):
        for day, items in re.findall(r'<time datetime="([\d-]+)">.*?</h4>(.*?)</ul>', section, re.S):
            for item in re.findall(r'<li class="desc-item">(.*?)</li>', items, re.S):
                description = re.sub(
                    r"<[^>]+>",
                    "",
                    re.search(
                        r'class="desc-text">(.*?)</span>\s*<span class="desc-project', item, re.S
                    ).group(1),
                )
                minutes = re.search(r'data-minutes="line">(.*?)</span>', item).group(1)
                found.append((member, day, " ".join(description.split()), minutes))
    return found


def test_descriptions_are_grouped_by_member_and_day_with_their_time(acme, manager, described, client):
    response = client.get(f"/w/1/reports/descriptions/?{WEEK}")

    assert description_lines(shown(response)) == [
        ("11", "2026-11-30", "Homepage hero", "1 h 30 min"),
        ("11", "2026-11-30", "Logo sketches", "20 min"),
        ("11", "2026-12-01", "No description written", "15 min"),
        ("12", "2026-12-01", "Invoice for the homepage", "40 min"),
    ]
    assert "2 h 45 min in 4 lines." in words(response)
    assert "2 entries" in words(response)  # the hero took two entries


def test_descriptions_are_searchable(acme, manager, described, client):
    response = client.get(f"/w/1/reports/descriptions/?{WEEK}&q=HOMEPAGE", headers=HTMX)

    assert [line[2] for line in description_lines(shown(response))] == [
        "Homepage hero",
        "Invoice for the homepage",
    ]
    assert "whose description contains “HOMEPAGE”" in words(response)
    assert 'data-period-start="2026-11-30" data-period-end="2026-12-06"' in shown(response)  # for the form
    nothing = client.get(f"/w/1/reports/descriptions/?{WEEK}&q=zebra")
    assert "No description over this period contains “zebra”." in words(nothing)


def test_the_descriptions_csv_is_what_the_page_shows(acme, manager, described, client):
    rows = csv_rows(client.get(f"/w/1/reports/descriptions/export.csv?{WEEK}&q=home"))

    assert rows == [
        ["Member", "Date (Asia/Tokyo)", "Description", "Project", "Entries", "Hours"],
        ["Alice Archer", "2026-11-30", "Homepage hero", "Website", "2", "1.50"],
        ["Bob Baker", "2026-12-01", "Invoice for the homepage", "Website", "1", "0.67"],
    ]


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://evil.example","Click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"],
)
def test_a_description_a_spreadsheet_would_run_is_written_as_text(typed, acme, manager, client):
    acme.entry(acme.alice, acme.website, MONDAY, 9, 30, activity_description=typed)

    rows = csv_rows(client.get(f"/w/1/reports/descriptions/export.csv?{WEEK}"))

    assert rows[1][2] == "'" + typed
    assert "'" + typed not in shown(client.get(f"/w/1/reports/descriptions/?{WEEK}"))  # the page is as typed


def test_numbers_in_a_csv_are_left_as_numbers():
    from dashboard.views.exports import spreadsheet_safe

    assert spreadsheet_safe("\t=1+1") == "'\t=1+1"
    assert [spreadsheet_safe(value) for value in ("-1.50", "+2", "-3", 7, None, "")] == [
        "-1.50",
        "+2",
        "-3",
        7,
        None,
        "",
    ]


def test_descriptions_paginate_keeping_the_search(acme, manager, client):
    for number in range(105):
        acme.entry(
            acme.alice,
            acme.website,
            MONDAY,
            0,
            1,
            minute=number % 60,
            activity_description=f"note {number:03d}",
            start=acme.at(MONDAY, 0) + timedelta(minutes=number * 2),
        )

    first = client.get(f"/w/1/reports/descriptions/?{WEEK}&q=note")
    assert len(description_lines(shown(first))) == 100
    assert f'href="?{WEEK}&q=note&page=2"' in shown(first)
    second = client.get(f"/w/1/reports/descriptions/?{WEEK}&q=note&page=2")
    assert len(description_lines(shown(second))) == 5


# --- Every report --------------------------------------------------------------------------------

REPORTS = ("timeline", "activity", "tasks", "descriptions")


@pytest.mark.parametrize("report", REPORTS)
def test_every_report_is_a_tab_of_the_reports_section_and_varies_on_htmx(acme, manager, report, client):
    full = client.get(f"/w/1/reports/{report}/")
    partial = client.get(f"/w/1/reports/{report}/", headers=HTMX)

    for response in (full, partial):
        assert response.status_code == 200
        assert "HX-Request" in response["Vary"]
    text = shown(full)
    assert re.search(rf'<a href="/w/1/reports/{report}/" aria-current="page">', text)
    assert re.search(r'<a href="[^"]+" aria-current="page">Reports</a>', text)
    assert "<html" not in shown(partial)


@pytest.mark.parametrize("report", REPORTS)
def test_another_workspaces_ids_in_every_filter_are_ignored_without_a_trace(
    acme, manager, tuesday, globex, report, client
):
    query = f"?{WEEK}&member=91&project=92&date={tuesday}&q=classified"
    paths = [f"/w/1/reports/{report}/{query}"]
    if report != "timeline":
        paths.append(f"/w/1/reports/{report}/export.csv{query}")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content).decode() if response.streaming else shown(response)
        assert "Secret" not in body
        assert "Classified" not in body
        assert "classified description" not in body
        assert 'value="91" checked' not in body
        assert 'value="92" checked' not in body


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize(
    "query",
    [
        "date=0001-01-01&period=custom&from=0001-01-01&to=0001-01-02",
        "date=9999-12-31&period=custom&from=9999-12-30&to=9999-12-31",
        "date=2026-02-30&period=custom&from=2026-13-01&to=nope",
        "period=last_month&member=x&member=999999999999999999999&project=-1&below=&page=9999",
    ],
)
def test_odd_dates_and_ids_are_read_plainly(acme, manager, tuesday, report, query, client):
    response = client.get(f"/w/1/reports/{report}/?{query}")

    assert response.status_code == 200


@pytest.mark.parametrize("report", REPORTS)
def test_a_manager_of_another_workspace_is_not_let_in(acme, tuesday, globex, report, client):
    client.force_login(manager_of(globex["workspace"], username="gus"))

    assert client.get(f"/w/1/reports/{report}/").status_code == 404
    assert client.get("/w/1/reports/timeline/entries/e-home/").status_code == 404


def busy_workspace(size):
    """A workspace of `size` members, each with two entries (one with a task) on two days of the
    week, a level each day, and one running tracker."""
    workspace = WorkspaceFactory()
    members = bulk(MemberFactory, size, workspace=workspace)
    project = ProjectFactory(workspace=workspace)
    task = TaskFactory(workspace=workspace, project=project)
    contracts = [ContractFactory(workspace=workspace, member=member, project=project) for member in members]
    entries = []
    for n, contract in enumerate(contracts):
        for offset, with_task in ((0, True), (1, False)):
            day = MONDAY + timedelta(days=offset)
            start = datetime.combine(day, time(8), workspace.zone) + timedelta(minutes=n % 120)
            entries.append(
                TimeEntryFactory.build(
                    workspace=workspace,
                    contract=contract,
                    task=task if with_task else None,
                    task_webwork_id=int(task.webwork_id) if with_task else None,
                    date=day,
                    start_time=start,
                    end_time=start + timedelta(minutes=60),
                    duration_minutes=60,
                    activity_description=f"Work {n % 7}",
                )
            )
            mirror.DailyActivity.objects.create(
                workspace=workspace,
                webwork_id=f"{contract.member.webwork_id}:{day}",
                member=contract.member,
                user_webwork_id=int(contract.member.webwork_id),
                date=day,
                activity_level=30 + n % 60,
            )
    mirror.TimeEntry.objects.bulk_create(entries)
    TimeEntryFactory(
        workspace=workspace,
        contract=contracts[0],
        date=MONDAY,
        start_time=datetime.combine(MONDAY, time(18), workspace.zone),
        end_time=None,
        duration_minutes=0,
    )
    return workspace, members


def queries_of(client, path, headers=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers=headers or {})
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, path
    return len(captured)


def test_every_report_costs_the_same_queries_for_5_or_150_members(client):
    counts = {}
    for size in (5, 150):
        workspace, members = busy_workspace(size)
        client.force_login(manager_of(workspace, username=f"manager-{size}"))
        base = f"/w/{workspace.webwork_id}/reports"
        some = f"member={members[0].webwork_id}&member={members[-1].webwork_id}"
        paths = [
            (f"{base}/timeline/?date={MONDAY}", None),
            (f"{base}/timeline/?date={MONDAY}", HTMX),
            (f"{base}/timeline/?view=week&member={members[-1].webwork_id}&date={MONDAY}", None),
            (f"{base}/activity/?{WEEK}&below=50&first=1", None),
            (f"{base}/activity/?{WEEK}&{some}", HTMX),
            (f"{base}/activity/export.csv?{WEEK}", None),
            (f"{base}/tasks/?{WEEK}", None),
            (f"{base}/tasks/?{WEEK}&{some}", HTMX),
            (f"{base}/tasks/export.csv?{WEEK}", None),
            (f"{base}/descriptions/?{WEEK}&q=work", None),
            (f"{base}/descriptions/?{WEEK}&{some}", HTMX),
            (f"{base}/descriptions/export.csv?{WEEK}", None),
        ]
        counts[size] = [queries_of(client, path, headers) for path, headers in paths]
        entry_id = mirror.TimeEntry.objects.filter(workspace=workspace).values_list("webwork_id", flat=True)[
            0
        ]
        counts[size].append(queries_of(client, f"{base}/timeline/entries/{entry_id}/", HTMX))
    assert counts[5] == counts[150], counts
    assert max(counts[150]) <= 14, counts


# --- Saving any report ----------------------------------------------------------------------------


SAVES = [
    # (report, the query on screen, what is kept: this workspace's ids, presets by name, the
    # report's own filters; another workspace's member 91 and unknown keys dropped)
    (
        "tasks",
        "period=last_week&member=11&member=91&project=21&page=3&by=task",
        "period=last_week&member=11&project=21",
    ),
    (
        "activity",
        "period=this_month&below=40&first=1&member=12",
        "period=this_month&member=12&below=40&first=1",
    ),
    ("descriptions", "period=last_month&q=  logo   draft &member=91", "period=last_month&q=logo+draft"),
    ("timeline", f"view=week&member=11&date={MONDAY}&project=22", "view=week&member=11&project=22"),
    (
        "attendance",
        "period=last_week&status=late&member=12&order=date&member=91",
        "period=last_week&member=12&status=late&order=date",
    ),
]


@pytest.mark.parametrize(("report", "on_screen", "kept"), SAVES)
def test_every_report_can_be_saved_and_reopened_with_its_filters(
    report, on_screen, kept, acme, manager, globex, client
):
    from dashboard.models import SavedReport

    page = shown(client.get(f"/w/1/reports/{report}/?{on_screen}"))
    assert f'name="report" value="{report}"' in page
    assert "Save this report as" in page

    response = client.post(
        "/w/1/reports/saved/", {"report": report, "query": on_screen, "name": "Friday look"}
    )

    saved = SavedReport.objects.get(workspace=acme.workspace)
    assert (saved.report, saved.query, saved.created_by) == (report, kept, manager)
    assert response["Location"] == f"/w/1/reports/saved/{saved.pk}/"
    opened = client.get(response["Location"])
    assert opened.status_code == 302
    assert opened["Location"] == f"/w/1/reports/{report}/?{kept}&saved={saved.pk}"
    reopened = words(client.get(opened["Location"]))
    assert "Saved report Friday look" in reopened
    assert f"Friday look {report.capitalize()} · saved by Maria Moss" in reopened
    # Every report's page lists it, the Hours report included.
    assert f"Friday look {report.capitalize()} · saved by Maria Moss" in words(client.get("/w/1/reports/"))


def test_a_saved_last_week_names_the_days_it_is_read_as(acme, manager, client, time_machine):
    from dashboard.models import SavedReport

    time_machine.move_to(datetime(2026, 12, 9, 12, tzinfo=UTC))  # a Wednesday in Tokyo
    saved = SavedReport.objects.create(
        workspace=acme.workspace, report="tasks", name="Weekly tasks", query="period=last_week"
    )

    first = words(client.get(client.get(f"/w/1/reports/saved/{saved.pk}/")["Location"]))
    time_machine.move_to(datetime(2026, 12, 16, 12, tzinfo=UTC))
    later = words(client.get(client.get(f"/w/1/reports/saved/{saved.pk}/")["Location"]))

    assert "Saved report Weekly tasks : last week, which today is Mon 30 Nov to Sun 6 Dec 2026" in first
    assert "Saved report Weekly tasks : last week, which today is Mon 7 Dec to Sun 13 Dec 2026" in later


def test_a_refused_name_goes_back_to_the_report_saying_why(acme, manager, client):
    from dashboard.models import SavedReport

    SavedReport.objects.create(workspace=acme.workspace, name="Weekly", query="period=this_week")

    response = client.post(
        "/w/1/reports/saved/",
        {"report": "activity", "query": "period=last_week&below=30", "name": " weekly "},
        follow=True,
    )

    assert response.redirect_chain == [("/w/1/reports/activity/?period=last_week&below=30", 302)]
    assert "Not saved: Acme Studio already has a saved report called “weekly”" in words(response)
    assert SavedReport.objects.count() == 1


@pytest.mark.parametrize("report", ["", "payroll", "../hours"])
def test_an_unknown_report_is_not_saved(report, acme, manager, client):
    from dashboard.models import SavedReport

    response = client.post("/w/1/reports/saved/", {"report": report, "query": "", "name": "Odd"}, follow=True)

    assert response.status_code == 200
    if report:
        assert "That report cannot be saved." in words(response)
        assert not SavedReport.objects.exists()
    else:  # a form without the field is the Hours report's
        assert SavedReport.objects.get().report == "hours"


def test_a_saved_report_of_another_workspace_named_in_the_query_is_ignored(acme, manager, globex, client):
    from dashboard.models import SavedReport

    theirs = SavedReport.objects.create(workspace=globex["workspace"], report="tasks", name="Secret plan")

    page = words(client.get(f"/w/1/reports/tasks/?saved={theirs.pk}"))

    assert "Secret plan" not in page
    assert "Saved report" not in page
