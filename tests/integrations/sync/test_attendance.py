"""Attendance from WebWork's daily-attendance report: one request per date per 100 members, each
date replaced atomically, the rows exactly what WebWork answered; planned and priced like the
time entries' dates."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import DailyAttendance, Member, OwedSync, SyncRun
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sandbox.models.accounts import Role
from integrations.sandbox.models.time import Method
from integrations.sandbox.tokens import access_token_issue
from integrations.sync import owed
from integrations.sync.attendance import attendance_row, clock, sync_attendance
from integrations.sync.base import SyncContext
from integrations.sync.members import sync_members
from integrations.sync.owed import PartsFailed
from integrations.sync.plan import ATTENDANCE_FRESH_DAYS, plan_build, recent_days
from tests.integrations.helpers import at, berlin_today, faults_on_requests

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def work(world, user, day, start, end, method=Method.DESKTOP):
    """Time of `user` on `day` from `start` to `end` ((hour, minute), Acme's time)."""
    return timekeeping.time_entry_create(
        workspace=world.acme, user=user, start=at(day, *start), end=at(day, *end), method=method
    ).entries[0]


@pytest.fixture
def days():
    today = berlin_today()
    return [today - timedelta(days=3), today - timedelta(days=2), today - timedelta(days=1)]


@pytest.fixture
def tracked(world, days):
    """First day: Alice late, leaving early, a break; the manager a full day; the team manager on
    approved leave for the first two days; Bob and the Owner absent. Second day: Bob on a paid
    holiday, Alice half on leave. Third day: Bob a full day with a long lunch."""
    first, second, third = days
    work(world, world.alice, first, (9, 45), (12, 0))
    work(world, world.alice, first, (12, 30), (16, 0))
    work(world, world.manager, first, (9, 0), (13, 0))
    work(world, world.manager, first, (13, 15), (17, 30))
    policy = sandbox.LeavePolicy.objects.create(workspace=world.acme, name="Vacation")
    sandbox.LeaveRequest.objects.create(
        workspace=world.acme,
        user=world.team_manager,
        policy=policy,
        start_date=first,
        end_date=second,
        status=sandbox.LeaveRequest.Status.APPROVED,
    )
    work(world, world.bob, second, (9, 0), (17, 0), method=Method.PAID_HOLIDAY)
    work(world, world.alice, second, (9, 0), (13, 0), method=Method.PAID_LEAVE)
    work(world, world.alice, second, (14, 0), (16, 0))
    work(world, world.bob, third, (9, 0), (12, 0))
    work(world, world.bob, third, (13, 30), (17, 45))


@pytest.fixture
def ctx(wire, mirror_workspace, make_client, world):
    """The sync's context, its client on the counting wire."""
    return SyncContext(workspace=mirror_workspace, client=make_client(world.owner))


def report(ctx, day):
    """WebWork's own answer for `day`: every member's row, by member id."""
    rows = ctx.client.get(
        "reports/daily-attendance",
        params={"workspace_id": ctx.workspace_id, "date": day.isoformat(), "per_page": 100},
    ).data
    return {row["user_id"]: row for row in rows}


def hhmm(value):
    return value.strftime("%H:%M") if value is not None else None


def stored(day):
    return {row.user_webwork_id: row for row in DailyAttendance.objects.current().filter(date=day)}


def test_the_rows_are_what_webwork_answers_for_each_date_at_one_request_a_date(
    world, ctx, wire, days, tracked
):
    sync_members(ctx)
    sent = wire.sent

    sync_attendance(ctx, days)

    # Five members tracking time: one page of 100 a date.
    assert wire.sent - sent == len(days)
    runs = SyncRun.objects.filter(resource="attendance").order_by("scope")
    assert [(run.scope, run.requests, run.status) for run in runs] == [
        (day.isoformat(), 1, "succeeded") for day in days
    ]
    for day in days:
        answer, mirror = report(ctx, day), stored(day)
        assert set(mirror) == set(answer), day  # every member WebWork lists, and only them
        for user_id, theirs in answer.items():
            ours = mirror[user_id]
            assert ours.webwork_id == f"{user_id}:{day}"
            assert ours.statuses == theirs["statuses"]
            assert (hhmm(ours.first_start), hhmm(ours.last_end)) == (
                theirs["first_start"],
                theirs["last_end"],
            )
            assert ours.tracked_minutes == theirs["tracked_minutes"]
            assert ours.expected_minutes == theirs["expected_minutes"]
            assert ours.late_minutes == theirs["late_minutes"]
            assert ours.left_early_minutes == theirs["left_early_minutes"]
            assert ours.break_minutes == theirs["break_minutes"]
            assert ours.breaks == theirs["breaks"]
            assert ours.raw == theirs
            assert ours.member == Member.objects.get(webwork_id=str(user_id))
            flags = {
                status for status, field in DailyAttendance.STATUS_FIELDS.items() if getattr(ours, field)
            }
            assert flags == set(theirs["statuses"])

    first, second, third = days
    alice = stored(first)[world.alice.id]
    assert alice.statuses == ["Present", "Late", "Left early", "Tracked less"]
    assert (alice.late, alice.left_early, alice.tracked_less, alice.absent) == (True, True, True, False)
    assert alice.breaks == ["12:00 - 12:30"]
    assert alice.break_minutes == 30
    assert stored(first)[world.team_manager.id].on_leave
    assert stored(first)[world.bob.id].statuses == ["Absent"]
    assert stored(second)[world.bob.id].statuses == ["Holiday"]
    assert stored(second)[world.alice.id].statuses == ["Present", "On leave"]
    assert stored(third)[world.bob.id].breaks == ["12:00 - 13:30"]
    assert world.viewer.id not in stored(first)  # a project viewer tracks no time


def test_a_date_read_again_follows_webwork_and_marks_a_member_no_longer_listed_removed(
    world, ctx, days, tracked
):
    sync_attendance(ctx, days)
    first, second, third = days
    # Bob leaves the workspace: WebWork lists him only on the dates he tracked time.
    sandbox.Membership.objects.filter(workspace=world.acme, user=world.bob).update(deleted_at=timezone.now())
    # Alice arrives on time the third day after all (an entry added late).
    work(world, world.alice, third, (9, 0), (17, 0))

    stats = sync_attendance(ctx, [first, third])

    assert stats.removed == 1
    bob = {row.date: row for row in DailyAttendance.objects.filter(user_webwork_id=world.bob.id)}
    assert bob[first].removed_at is not None  # absent, and no longer a member: not listed
    assert bob[third].removed_at is None  # listed: he tracked time that day
    assert bob[second].removed_at is None  # not read again: left as it was
    assert stored(third)[world.alice.id].statuses == ["Present"]
    assert not stored(third)[world.alice.id].absent


def test_rows_read_before_their_member_is_linked_when_the_member_arrives(world, ctx, days, tracked):
    sync_attendance(ctx, days[:1])
    assert not DailyAttendance.objects.filter(member__isnull=False).exists()

    sync_members(ctx)

    row = DailyAttendance.objects.get(webwork_id=f"{world.alice.id}:{days[0]}")
    assert row.member.email == "alice@acme.test"
    assert not DailyAttendance.objects.filter(member__isnull=True).exists()


@pytest.fixture
def crowd(world):
    """120 more members tracking nothing: 125 members WebWork lists, two pages of 100."""
    users = sandbox.SandboxUser.objects.bulk_create(
        sandbox.SandboxUser(email=f"crew{n}@acme.test", firstname="Crew", lastname=str(n)) for n in range(120)
    )
    sandbox.Membership.objects.bulk_create(
        sandbox.Membership(workspace=world.acme, user=user, role=Role.REGULAR_USER) for user in users
    )
    return users


def test_the_plan_prices_attendance_as_it_costs_two_requests_a_date_for_125_members(
    world, ctx, wire, crowd, settings
):
    settings.WEBWORK_RECENT_DAYS = 14
    sync_members(ctx)
    members = Member.objects.current().exclude(role="Project viewer").count()
    assert members == 125
    per_date = math.ceil(members / 100)
    today = berlin_today()

    recent = plan_build(ctx.workspace, "recent", today=today, first=False)
    steps = [step for step in recent.steps if step.resource == "attendance"]
    # The 15-minute sync: today and yesterday, where late arrivals show.
    assert [step.dates() for step in steps] == [[today - timedelta(days=1), today]]
    assert [step.kind for step in steps] == ["recent"]
    assert steps[0].planned == ATTENDANCE_FRESH_DAYS * per_date == 4

    sent = wire.sent
    steps[0].call(ctx)
    assert wire.sent - sent == steps[0].planned
    assert DailyAttendance.objects.current().filter(date=today).count() == 125

    hourly = plan_build(ctx.workspace, "incremental", today=today, first=False)
    steps = [step for step in hourly.steps if step.resource == "attendance"]
    # The hourly sync: today and yesterday too.
    assert [step.dates() for step in steps] == [[today - timedelta(days=1), today]]
    assert steps[0].planned == 4

    nightly = plan_build(ctx.workspace, "full", today=today, first=False)
    steps = [step for step in nightly.steps if step.resource == "attendance"]
    # The nightly sync: today and the 14 days before, in weeks.
    covered = sorted(day for step in steps for day in step.dates())
    assert covered == [today - timedelta(days=n) for n in range(recent_days(), -1, -1)]
    assert sum(step.planned for step in steps) == (recent_days() + 1) * per_date == 30
    assert {step.kind for step in steps} == {"recent"}


def test_a_failing_date_is_owed_alone_and_retried_at_its_own_price(
    world, mirror_workspace, make_client, days
):
    # The second request (the second date) fails: WebWork answers 500, the client does not retry.
    client = make_client(world.owner, get_token=faults_on_requests(world.owner, [2]), max_retries=0)
    ctx = SyncContext(workspace=mirror_workspace, client=client)
    plan = plan_build(mirror_workspace, "recent", today=days[-1], first=False)
    (step,) = [step for step in plan.steps if step.resource == "attendance"]
    assert [day.isoformat() for day in step.dates()] == [str(days[-2]), str(days[-1])]

    with pytest.raises(PartsFailed) as failed:
        sync_attendance(ctx, step.dates())

    assert list(failed.value.failed) == [str(days[-1])]
    assert DailyAttendance.objects.filter(date=days[-2]).exists()  # the other date was written
    owed.record(mirror_workspace, step, failed=failed.value.failed)
    (debt,) = OwedSync.objects.all()
    assert (debt.resource, debt.key, debt.params) == ("attendance", str(days[-1]), {"dates": [str(days[-1])]})
    assert debt.label.startswith("attendance of ")

    OwedSync.objects.update(retry_at=timezone.now() - timedelta(minutes=1))
    later = plan_build(mirror_workspace, "queues", first=False)
    (retry,) = [s for s in later.steps if s.kind == "retry"]
    assert (retry.resource, retry.params, retry.planned) == ("attendance", {"dates": [str(days[-1])]}, 1)
    raw, _ = access_token_issue(user=world.owner)
    sandbox.FaultSettings.objects.update_or_create(pk=1, defaults={"server_error_rate": 0.0})
    retry.call(
        SyncContext(workspace=mirror_workspace, client=make_client(world.owner, get_token=lambda: raw))
    )
    owed.record(mirror_workspace, retry)
    assert not OwedSync.objects.exists()
    assert DailyAttendance.objects.filter(date=days[-1]).exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("09:45", "09:45"),
        ("9:05", "09:05"),
        ("17:30:15", "17:30"),
        ("2026-10-01T07:45:00Z", "09:45"),  # a moment: read in Berlin (summer time)
        ("2026-10-01 09:45:00", "09:45"),  # no offset: the workspace's own time
        ("", None),
        (None, None),
        ("late", None),
        ("25:00", None),
    ],
)
def test_a_clock_time_is_read_in_the_workspace_time_zone(value, expected):
    assert hhmm(clock(value, "Europe/Berlin")) == expected


def test_a_row_keeps_statuses_as_given_and_flags_the_ones_it_knows():
    day = berlin_today()
    row = attendance_row(
        {
            "user_id": "7",
            "statuses": ["Present", "late", "left_early", "Sleepy", 3],
            "breaks": ["10:00 - 10:20", "12:00 - 12:45", None],
            "tracked_minutes": "300",
        },
        day,
        "Europe/Berlin",
    )
    assert row["webwork_id"] == f"7:{day}"
    assert row["statuses"] == ["Present", "late", "left_early", "Sleepy"]
    assert (row["present"], row["late"], row["left_early"], row["absent"]) == (True, True, True, False)
    assert row["breaks"] == ["10:00 - 10:20", "12:00 - 12:45"]
    assert row["break_minutes"] == 65  # not given: the breaks' own minutes
    assert row["tracked_minutes"] == 300
    assert row["first_start"] is None
    assert row["member_id"] is None
    assert attendance_row({"statuses": ["Absent"]}, day, "UTC") is None  # no member
