"""Older attendance on demand: a fetch is checked, queued once, run by its django-q2 task into the
mirror, and followed by the pages through its AttendanceFetch row."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Task

from integrations.models import AttendanceFetch, DailyAttendance, SyncRun
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sandbox.models.time import Method
from integrations.services.attendance import (
    ATTENDANCE_FETCH_TASK,
    FETCH_GRACE,
    MAX_FETCH_DAYS,
    attendance_fetch,
    attendance_fetch_run,
    attendance_window,
)
from integrations.services.base import ServiceError
from tests.integrations.helpers import at, berlin_today, queued_tasks
from tests.sandbox_world import ApiClient

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def connected(mirror_workspace):
    mirror_workspace.connected_at = timezone.now()
    mirror_workspace.save(update_fields=["connected_at"])
    return mirror_workspace


@pytest.fixture
def weeks_ago(world):
    """Six weeks ago, Monday to Wednesday: Alice late on Monday, Bob on Tuesday."""
    monday = berlin_today() - timedelta(days=berlin_today().weekday() + 42)
    for user, day, start in ((world.alice, monday, 10), (world.bob, monday + timedelta(days=1), 11)):
        timekeeping.time_entry_create(
            workspace=world.acme, user=user, start=at(day, start), end=at(day, 17), method=Method.DESKTOP
        )
    return [monday, monday + timedelta(days=1), monday + timedelta(days=2)]


@pytest.fixture
def inline_tasks(monkeypatch):
    """django-q2's sync mode: a queued task runs at once, in this process."""
    monkeypatch.setattr(Conf, "SYNC", True)


def test_a_fetch_runs_in_its_task_and_the_mirror_then_holds_webwork_s_answer(
    world, connected, weeks_ago, wire, inline_tasks, django_capture_on_commit_callbacks, actor
):
    first, last = weeks_ago[0], weeks_ago[-1]
    sent = wire.sent
    with django_capture_on_commit_callbacks(execute=True):
        fetch = attendance_fetch(workspace=connected, date_from=first, date_to=last, actor=actor)

    fetch.refresh_from_db()
    assert fetch.status == AttendanceFetch.Status.DONE, fetch.error
    assert (fetch.dates_done, fetch.requests, fetch.requested_by) == (3, 3, actor)
    assert wire.sent - sent == 3  # one request a date: five members
    task = Task.objects.get(func=ATTENDANCE_FETCH_TASK)
    assert task.success
    assert task.args == (fetch.pk,)
    assert SyncRun.objects.filter(resource="attendance").count() == 3
    for day in weeks_ago:
        theirs = {row["user_id"]: row["statuses"] for row in wire_client_report(world, day)}
        ours = dict(
            DailyAttendance.objects.current().filter(date=day).values_list("user_webwork_id", "statuses")
        )
        assert ours == theirs, day
    alice = DailyAttendance.objects.get(webwork_id=f"{world.alice.id}:{first}")
    assert alice.late
    assert alice.late_minutes == 30


def wire_client_report(world, day):
    """WebWork's own answer for `day`, asked through the sandbox API as the Owner."""
    body = (
        ApiClient()
        .as_user(world.owner)
        .get("reports/daily-attendance", workspace_id=world.acme.id, date=day.isoformat(), per_page=100)
    )
    return body.json()["data"]


def test_the_same_fetch_asked_twice_is_queued_once(world, connected, django_capture_on_commit_callbacks):
    today = berlin_today()
    first, last = today - timedelta(days=40), today - timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        fetch = attendance_fetch(workspace=connected, date_from=first, date_to=last)
    with django_capture_on_commit_callbacks(execute=True):
        again = attendance_fetch(workspace=connected, date_from=first, date_to=last)
        inside = attendance_fetch(workspace=connected, date_from=first + timedelta(days=2), date_to=last)
    assert again == fetch == inside
    assert fetch.status == AttendanceFetch.Status.QUEUED
    assert [task["args"] for task in queued_tasks() if task["func"] == ATTENDANCE_FETCH_TASK] == [(fetch.pk,)]

    # A wider period is another fetch; so is one whose task was lost long ago.
    with django_capture_on_commit_callbacks(execute=True):
        wider = attendance_fetch(workspace=connected, date_from=first - timedelta(days=1), date_to=last)
    assert wider != fetch
    AttendanceFetch.objects.filter(pk=fetch.pk).update(requested_at=timezone.now() - FETCH_GRACE * 2)
    AttendanceFetch.objects.filter(pk=wider.pk).update(requested_at=timezone.now() - FETCH_GRACE * 2)
    with django_capture_on_commit_callbacks(execute=True):
        fresh = attendance_fetch(workspace=connected, date_from=first, date_to=last)
    assert fresh not in (fetch, wider)
    assert len([task for task in queued_tasks() if task["func"] == ATTENDANCE_FETCH_TASK]) == 3


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        (-2, 1, "date_to", "dates to come"),  # tomorrow
        (-400, -390, "date_from", "the last year only"),
        (-40, -40 + MAX_FETCH_DAYS, "date_to", "at most 31 days"),
        (-10, -12, "date_from", "comes after"),
    ],
)
def test_a_fetch_outside_webwork_s_window_is_refused_and_nothing_is_queued(
    world, connected, django_capture_on_commit_callbacks, start, end, field, words
):
    today = berlin_today()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ServiceError) as refused:
        attendance_fetch(
            workspace=connected, date_from=today + timedelta(days=start), date_to=today + timedelta(days=end)
        )
    assert field in refused.value.field_errors
    assert words in refused.value.message
    assert not AttendanceFetch.objects.exists()
    assert queued_tasks() == []


def test_the_window_is_a_year_back_to_today_in_the_workspace_calendar(connected):
    first, last = attendance_window(workspace=connected)
    assert last == connected.today() == berlin_today()
    assert (last - first).days == 365
    # Its edges are accepted.
    assert attendance_fetch(workspace=connected, date_from=first, date_to=first + timedelta(days=30))
    assert attendance_fetch(workspace=connected, date_from=last, date_to=last)


def test_a_disconnected_workspace_fetches_nothing(world, mirror_workspace):
    today = berlin_today()
    with pytest.raises(ServiceError) as refused:
        attendance_fetch(workspace=mirror_workspace, date_from=today, date_to=today)
    assert refused.value.kind == "unavailable"
    assert not AttendanceFetch.objects.exists()


def test_a_fetch_webwork_fails_says_why_and_keeps_the_dates_it_read(world, connected, weeks_ago, settings):
    fetch = AttendanceFetch.objects.create(workspace=connected, date_from=weeks_ago[0], date_to=weeks_ago[-1])
    sandbox.FaultSettings.objects.update_or_create(pk=1, defaults={"server_error_rate": 1.0})

    attendance_fetch_run(fetch.pk)

    fetch.refresh_from_db()
    assert fetch.status == AttendanceFetch.Status.FAILED
    assert fetch.error.startswith("WebWork did not give the attendance of ")
    assert "Try again" in fetch.error
    assert fetch.finished_at is not None
    # Run once only: a second task for the same fetch does nothing.
    sandbox.FaultSettings.objects.update_or_create(pk=1, defaults={"server_error_rate": 0.0})
    assert "already run" in attendance_fetch_run(fetch.pk)
    assert not DailyAttendance.objects.exists()
