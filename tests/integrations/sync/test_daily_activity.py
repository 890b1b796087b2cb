"""Each member's activity level per date, read from the daily timeline the time entries come from:
no request more, and the same levels as WebWork's activity-level report."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import DailyActivity, Member, SyncRun
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sync.base import SyncContext
from integrations.sync.members import sync_members
from integrations.sync.time_entries import activity_level, sync_time_entries
from tests.integrations.helpers import at, berlin_today

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def work(world, user, day, start_hour, end_hour, level):
    (entry,) = timekeeping.time_entry_create(
        workspace=world.acme, user=user, start=at(day, start_hour), end=at(day, end_hour)
    ).entries
    sandbox.TimeEntry.objects.filter(pk=entry.pk).update(activity_level=level)
    return entry


@pytest.fixture
def days():
    today = berlin_today()
    return [today - timedelta(days=3), today - timedelta(days=2), today - timedelta(days=1)]


@pytest.fixture
def tracked(world, days):
    """Alice works every day at varying activity; Bob only on the first day."""
    work(world, world.alice, days[0], 9, 12, 80)
    work(world, world.alice, days[0], 13, 14, 40)  # the day: (180 x 80 + 60 x 40) / 240 = 70 %
    work(world, world.alice, days[1], 9, 10, 55)
    work(world, world.alice, days[2], 9, 11, 0)  # tracked, at 0 %
    work(world, world.bob, days[0], 10, 13, 33)


@pytest.fixture
def ctx(wire, mirror_workspace, make_client, world):
    """The sync's context, its client on the counting wire."""
    return SyncContext(workspace=mirror_workspace, client=make_client(world.owner))


def levels():
    return {
        (row.user_webwork_id, row.date): row.activity_level
        for row in DailyActivity.objects.current().order_by("pk")
    }


def test_the_levels_come_with_the_entries_at_no_extra_request(world, wire, ctx, days, tracked):
    sync_members(ctx)
    sent = wire.sent

    sync_time_entries(ctx, days)

    # One request per date (5 members, at most 100 a page), as before the levels were kept.
    assert wire.sent - sent == len(days)
    assert list(SyncRun.objects.filter(resource="time_entries").values_list("requests", flat=True)) == [
        1,
        1,
        1,
    ]
    report = ctx.client.get(
        "reports/activity-level",
        params={"workspace_id": world.acme.id, "start_date": str(days[0]), "end_date": str(days[-1])},
    ).data
    reported = {
        (row["user_id"], day["date"]): (day["tracked_minutes"], day["activity_level"])
        for row in report
        for day in row["days"]
    }
    stored = levels()
    assert {(user, str(day)) for user, day in stored} == set(reported)  # every member, every date
    for (user, day), level in stored.items():
        minutes, reported_level = reported[(user, str(day))]
        # WebWork's report says 0 for a day without tracked time; the timeline says nothing (None).
        assert level == (reported_level if minutes else None), (user, day)
    assert stored[(world.alice.id, days[0])] == 70
    assert stored[(world.alice.id, days[2])] == 0
    assert stored[(world.bob.id, days[0])] == 33
    assert stored[(world.bob.id, days[1])] is None

    alice_day = DailyActivity.objects.get(webwork_id=f"{world.alice.id}:{days[0]}")
    assert alice_day.member == Member.objects.get(email="alice@acme.test")
    assert alice_day.raw["total_minutes"] == 240
    assert "time_entries" not in alice_day.raw


def test_levels_follow_changes_and_a_member_no_longer_listed_is_marked_removed(world, ctx, days, tracked):
    sync_time_entries(ctx, days)
    # Bob leaves the workspace: the timeline keeps listing him only on the day he has time.
    sandbox.Membership.objects.filter(workspace=world.acme, user=world.bob).update(deleted_at=timezone.now())
    work(world, world.alice, days[1], 14, 15, 95)  # (60 x 55 + 60 x 95) / 120 = 75 %

    sync_time_entries(ctx, days[:2])

    assert DailyActivity.objects.get(webwork_id=f"{world.alice.id}:{days[1]}").activity_level == 75
    bob = {row.date: row for row in DailyActivity.objects.filter(user_webwork_id=world.bob.id)}
    assert bob[days[0]].removed_at is None  # listed: he has time that day
    assert bob[days[1]].removed_at is not None
    assert bob[days[2]].removed_at is None  # not read again: left as it was


def test_levels_read_before_their_member_is_linked_when_the_member_arrives(world, ctx, days, tracked):
    sync_time_entries(ctx, days[:1])
    assert not DailyActivity.objects.filter(member__isnull=False).exists()

    sync_members(ctx)

    alice_day = DailyActivity.objects.get(webwork_id=f"{world.alice.id}:{days[0]}")
    assert alice_day.member.email == "alice@acme.test"
    assert not DailyActivity.objects.filter(member__isnull=True).exists()


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (72, 72),
        ("72", 72),
        (72.5, 73),
        ("0", 0),
        (None, None),
        ("", None),
        ("high", None),
        (140, None),
        (-3, None),
        (True, None),
        ("NaN", None),
    ],
)
def test_an_activity_level_is_a_whole_percentage_or_none(value, level):
    assert activity_level(value) == level
