"""The Attendance report: statuses per member per day from the mirror, filters, counts, a CSV of
what is shown, and the dates the mirror lacks fetched from WebWork on demand."""

import csv
import html
import io
from datetime import time, timedelta

import factory
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations.models import AttendanceFetch, Member
from tests.factories import DailyAttendanceFactory, MemberFactory, WorkspaceFactory, bulk, manager_of

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def shown(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def acme():
    return WorkspaceFactory(webwork_id=1, name="Acme Studio", timezone="Europe/Berlin")


@pytest.fixture
def manager(acme, client):
    user = manager_of(acme, username="maria")
    client.force_login(user)
    return user


def url(acme, name="dashboard:report_attendance"):
    return reverse(name, kwargs={"workspace_id": acme.webwork_id})


@pytest.fixture
def week(acme):
    """Last week, Monday to Sunday, in Acme's calendar."""
    today = acme.today()
    monday = today - timedelta(days=today.weekday() + 7)
    return [monday + timedelta(days=n) for n in range(7)]


def late(member, day, minutes=25):
    return DailyAttendanceFactory(
        workspace=member.workspace,
        member=member,
        date=day,
        statuses=["Present", "Late", "Tracked less"],
        late=True,
        tracked_less=True,
        first_start=time(9, 30 + minutes) if minutes < 30 else time(10, minutes - 30),
        late_minutes=minutes,
        tracked_minutes=400,
    )


def absent(member, day):
    return DailyAttendanceFactory(
        workspace=member.workspace,
        member=member,
        date=day,
        statuses=["Absent"],
        present=False,
        absent=True,
        first_start=None,
        last_end=None,
        tracked_minutes=0,
        break_minutes=0,
        breaks=[],
    )


@pytest.fixture
def held(acme, week):
    """Last week held whole: Alice late on Monday, Bob absent on Tuesday and on leave on
    Wednesday, everyone else present; weekends absent."""
    alice = MemberFactory(workspace=acme, webwork_id="11", firstname="Alice", lastname="Archer")
    bob = MemberFactory(workspace=acme, webwork_id="12", firstname="Bob", lastname="Baker")
    for day in week:
        for member in (alice, bob):
            if day.weekday() >= 5:
                absent(member, day)
            elif (member, day.weekday()) == (alice, 0):
                late(member, day)
            elif (member, day.weekday()) == (bob, 1):
                absent(member, day)
            elif (member, day.weekday()) == (bob, 2):
                DailyAttendanceFactory(
                    workspace=acme,
                    member=bob,
                    date=day,
                    statuses=["On leave"],
                    present=False,
                    on_leave=True,
                    first_start=None,
                    last_end=None,
                    tracked_minutes=0,
                    breaks=[],
                    break_minutes=0,
                )
            else:
                DailyAttendanceFactory(workspace=acme, member=member, date=day)
    return alice, bob


def last_week(acme, **extra):
    return {"period": "last_week", **extra}


def test_the_report_shows_each_member_s_days_with_statuses_times_breaks_and_counts(
    acme, manager, client, held, week
):
    response = client.get(url(acme), last_week(acme))

    assert response.status_code == 200
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]
    page = shown(response)
    assert 'aria-current="page">Attendance</a>' in page  # the reports' tabs
    assert "Alice Archer" in page
    assert "Bob Baker" in page
    assert f'datetime="{week[0]}"' in page
    assert 'Late <span class="att-by">by 25 min</span>' in page
    assert "Tracked less" in page
    assert "09:55" in page  # Alice's first start on Monday
    assert "17:00" in page
    assert "12:30 - 13:00" in page
    assert "6 h 40 min" in page  # her tracked time that day
    # Counts per status, over the whole period.
    counts = page.split('aria-label="Days per status"')[1].split("</ul>")[0]
    assert '<span class="att-count-n">8</span> <span class="att-badge att-present">' in counts  # 5 + 3
    assert '<span class="att-count-n">1</span> <span class="att-badge att-late">Late' in counts
    assert '<span class="att-count-n">5</span> <span class="att-badge att-absent">Absent' in counts
    assert '<span class="att-count-n">1</span> <span class="att-badge att-on-leave">On leave' in counts
    assert "att-holiday" not in counts  # no holiday: not counted
    assert "Clockroom does not hold" not in page  # every date of last week is held


def test_htmx_gets_the_report_and_the_period_s_days_only(acme, manager, client, held, week):
    response = client.get(url(acme), last_week(acme), headers=HTMX)

    page = shown(response)
    assert "<html" not in page
    assert page.lstrip().startswith('<section id="attendance-report"')
    assert 'id="att-dates" class="att-dates" hx-swap-oob="true"' in page
    assert f'value="{week[0]}"' in page
    assert "HX-Request" in response["Vary"]


def test_status_and_member_filters_narrow_the_rows_but_not_the_counts(acme, manager, client, held, week):
    _alice, bob = held

    only_absent = shown(client.get(url(acme), last_week(acme, status="absent")))
    rows = only_absent.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count('class="att-row') == 5  # Bob's Tuesday, and both members' weekends
    assert "att-late" not in rows
    assert 'aria-current="true" title="Show every status again"' in only_absent

    late_or_leave = shown(client.get(url(acme), last_week(acme, status=["late", "on_leave"])))
    rows = late_or_leave.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count('class="att-row') == 2
    assert "Statuses: Late or On leave" in late_or_leave

    just_bob = shown(client.get(url(acme), last_week(acme, member=bob.webwork_id)))
    rows = just_bob.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count('class="att-row') == 7
    assert "Alice" not in rows
    assert "Members: Bob Baker" in just_bob


def test_another_workspace_s_rows_and_ids_never_show(acme, manager, client, held, week):
    globex = WorkspaceFactory(webwork_id=2, name="Globex")
    stranger = MemberFactory(workspace=globex, webwork_id="99", firstname="Gus", lastname="Hale")
    late(stranger, week[0])

    page = shown(client.get(url(acme), last_week(acme, member="99")))

    assert "Gus" not in page
    assert "Members:" not in page  # the foreign id is dropped, as if not asked
    assert page.split("<tbody>")[1].count('class="att-row') == 14
    # Globex's report is not this manager's to open, nor its CSV, nor its fetch.
    for name in ("dashboard:report_attendance", "dashboard:report_attendance_csv"):
        assert client.get(url(globex, name)).status_code == 404
    assert client.post(url(globex, "dashboard:report_attendance_fetch"), {}).status_code == 404


def test_the_csv_is_what_the_page_shows_streamed_with_the_time_zone_in_its_header(
    acme, manager, client, held, week
):
    response = client.get(url(acme, "dashboard:report_attendance_csv"), last_week(acme, status="late"))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:6] == [
        "Date",
        "Member",
        "Member's WebWork id",
        "Statuses",
        "First start (Europe/Berlin)",
        "Last end (Europe/Berlin)",
    ]
    assert "Breaks (Europe/Berlin)" in rows[0]
    assert rows[1:] == [
        [
            week[0].isoformat(),
            "Alice Archer",
            "11",
            "Present, Late, Tracked less",
            "09:55",
            "17:00",
            "6.67",
            "8.00",
            "25",
            "0",
            "12:30 - 13:00",
            "0.50",
        ]
    ]
    every = client.get(url(acme, "dashboard:report_attendance_csv"), last_week(acme))
    assert len(list(csv.reader(io.StringIO(b"".join(every.streaming_content).decode())))) == 1 + 14


@pytest.fixture
def older(acme):
    """Six weeks ago, Monday to Sunday: nothing held yet."""
    today = acme.today()
    monday = today - timedelta(days=today.weekday() + 42)
    return monday, monday + timedelta(days=6)


def custom(first, last):
    return {"period": "custom", "from": first.isoformat(), "to": last.isoformat()}


def test_dates_the_mirror_lacks_are_fetched_once_by_the_page_itself_then_polled(acme, manager, client, older):
    first, last = older
    page = shown(client.get(url(acme), custom(first, last)))

    assert "Clockroom does not hold WebWork's attendance for" in page
    fetch_url = url(acme, "dashboard:report_attendance_fetch")
    assert f'hx-post="{fetch_url}"' in page
    assert 'hx-trigger="load, submit"' in page  # asked for by itself, once
    assert f'name="fetch_from" value="{first}"' in page
    assert f'name="fetch_to" value="{last}"' in page

    answer = client.post(
        fetch_url,
        {"fetch_from": first, "fetch_to": last, **custom(first, last)},
        headers=HTMX,
    )
    fetch = AttendanceFetch.objects.get()
    assert (fetch.date_from, fetch.date_to, fetch.requested_by) == (first, last, manager)
    polling = shown(answer)
    assert "Fetching attendance for" in polling
    assert fetch.period_words in polling
    assert 'hx-trigger="every 2s"' in polling
    assert "HX-Request" in answer["Vary"]

    # Opened again meanwhile: still fetching, nothing asked twice.
    again = shown(client.get(url(acme), custom(first, last)))
    assert "Fetching attendance for" in again
    assert "load, submit" not in again
    client.post(fetch_url, {"fetch_from": first, "fetch_to": last}, headers=HTMX)
    assert AttendanceFetch.objects.count() == 1

    # The task read the dates: the report is whole and stops polling.
    member = MemberFactory(workspace=acme, firstname="Alice", lastname="Archer")
    for n in range(7):
        late(member, first + timedelta(days=n))
    AttendanceFetch.objects.update(status=AttendanceFetch.Status.DONE, dates_done=7)
    done = shown(client.get(url(acme), custom(first, last), headers=HTMX))
    assert "every 2s" not in done
    assert "Clockroom does not hold" not in done
    assert done.split("<tbody>")[1].count('class="att-row') == 7


def test_a_failed_fetch_says_why_and_offers_to_try_again_without_asking_by_itself(
    acme, manager, client, older
):
    first, last = older
    AttendanceFetch.objects.create(
        workspace=acme,
        date_from=first,
        date_to=last,
        status=AttendanceFetch.Status.FAILED,
        error="WebWork did not give the attendance of 3 Nov 2026. Try again in a minute.",
    )

    page = shown(client.get(url(acme), custom(first, last)))

    assert "did not finish: WebWork did not give the attendance of 3 Nov 2026." in page
    assert "Try again: fetch attendance for" in page
    assert "load, submit" not in page


def test_the_fetch_is_a_csrf_protected_post_and_a_plain_post_comes_back_with_a_message(acme, manager, older):
    first, last = older
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    refused = strict.post(
        url(acme, "dashboard:report_attendance_fetch"), {"fetch_from": first, "fetch_to": last}
    )
    assert refused.status_code == 403
    assert not AttendanceFetch.objects.exists()
    assert strict.get(url(acme, "dashboard:report_attendance_fetch")).status_code == 405

    plain = Client()
    plain.force_login(manager)
    response = plain.post(
        url(acme, "dashboard:report_attendance_fetch"),
        {"fetch_from": first, "fetch_to": last, **custom(first, last)},
        follow=True,
    )
    assert response.redirect_chain[-1][0].startswith(url(acme) + "?period=custom")
    assert "Clockroom is asking WebWork for the attendance of" in shown(response)
    assert AttendanceFetch.objects.count() == 1


def test_a_fetch_webwork_cannot_answer_is_refused_in_words(acme, manager, client):
    today = acme.today()
    answer = client.post(
        url(acme, "dashboard:report_attendance_fetch"),
        {
            "fetch_from": today + timedelta(days=1),
            "fetch_to": today + timedelta(days=2),
            "period": "this_week",
        },
        headers=HTMX,
    )
    assert "WebWork has no attendance for dates to come" in shown(answer)
    assert not AttendanceFetch.objects.exists()


def test_days_to_come_and_beyond_the_year_are_said_not_fetched(acme, manager, client):
    today = acme.today()
    ahead = shown(client.get(url(acme), custom(today + timedelta(days=1), today + timedelta(days=3))))
    assert "3 days of this period are still to come." in ahead
    assert "Clockroom does not hold" not in ahead
    assert "This period has not begun yet" in ahead

    long_ago = shown(client.get(url(acme), custom(today - timedelta(days=400), today - timedelta(days=395))))
    assert "the 6 earlier days of this period are left out" in long_ago
    assert "fetch_from" not in long_ago


def test_a_long_period_fetches_its_latest_31_days_first_with_a_button(acme, manager, client):
    today = acme.today()
    first, last = today - timedelta(days=99), today - timedelta(days=30)
    page = shown(client.get(url(acme), custom(first, last)))
    assert f'name="fetch_from" value="{last - timedelta(days=30)}"' in page
    assert f'name="fetch_to" value="{last}"' in page
    assert "load, submit" not in page  # more than one fetch: the manager decides
    assert "39 earlier days can be fetched next" in page


def member_ids(acme):
    return list(Member.objects.filter(workspace=acme).order_by("pk").values_list("webwork_id", flat=True))


def fill(acme, days, count):
    """`count` more members, each with a row on every one of `days`."""
    members = bulk(MemberFactory, count, workspace=acme)
    for day in days:
        bulk(DailyAttendanceFactory, count, workspace=acme, date=day, member=factory.Iterator(members))


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("narrowed", [False, True], ids=["everyone", "two members, late"])
def test_the_report_costs_the_same_queries_for_5_and_150_members(acme, manager, client, week, htmx, narrowed):
    headers = HTMX if htmx else {}

    def queries():
        params = last_week(acme)
        if narrowed:
            params.update(member=member_ids(acme)[:2], status="late")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(acme), params, headers=headers)
        assert response.status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    fill(acme, week, 5)
    small = queries()
    fill(acme, week, 145)
    large = queries()
    assert len(large) == len(small), large
    assert len(large) <= (8 if htmx else 13)


def test_a_day_whose_member_the_mirror_lacks_yet_reads_webwork_s_name(acme, manager, client, week):
    DailyAttendanceFactory(
        workspace=acme,
        member=None,
        user_webwork_id=77,
        date=week[0],
        raw={"user_id": 77, "user_name": "Dana Dee"},
    )
    page = shown(client.get(url(acme), last_week(acme)))
    assert "Dana Dee" in page
    csv_rows = b"".join(
        client.get(url(acme, "dashboard:report_attendance_csv"), last_week(acme)).streaming_content
    )
    assert "Dana Dee,77" in csv_rows.decode()


def test_a_fetch_whose_worker_was_lost_stops_the_polling_and_offers_a_button(acme, manager, client, older):
    first, last = older
    AttendanceFetch.objects.create(
        workspace=acme,
        date_from=first,
        date_to=last,
        status=AttendanceFetch.Status.RUNNING,
        requested_at=timezone.now() - timedelta(minutes=30),
    )
    page = shown(client.get(url(acme), custom(first, last), headers=HTMX))
    assert "every 2s" not in page
    assert "Fetch attendance for" in page
    assert "load, submit" not in page  # asked for before: the manager decides
