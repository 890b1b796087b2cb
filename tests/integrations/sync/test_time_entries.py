"""Syncing time entries from the daily timeline: one request per date per 100 members, each date
replaced atomically, running trackers as "who is working now"."""

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from integrations.models import Member, Project, RunningTracker, SyncRun, TimeEntry
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sandbox.models.time import Method
from integrations.sandbox.tokens import access_token_issue
from integrations.sync.base import RunStats, SyncContext
from integrations.sync.members import sync_members
from integrations.sync.owed import PartsFailed
from integrations.sync.time_entries import (
    sync_running_trackers,
    sync_time_entries,
    time_entries_write,
    time_entry_row,
)
from integrations.webwork.errors import ServerError
from tests.integrations.convergence import assert_converged
from tests.integrations.helpers import at, berlin_today, faults_on_requests

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def record(world, user, day, start_hour, end_hour, assignment=None, note=None):
    return timekeeping.time_entry_create(
        workspace=world.acme,
        user=user,
        start=at(day, start_hour),
        end=at(day, end_hour),
        assignment=assignment,
        activity_description=note,
        method=Method.DESKTOP,
    ).entries[0]


@pytest.fixture
def days():
    today = berlin_today()
    return [today - timedelta(days=3), today - timedelta(days=2), today - timedelta(days=1)]


@pytest.fixture
def site(world):
    """A billable project with a contract for Alice."""
    project = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website", rate=80)
    contract = sandbox.Contract.objects.create(
        workspace=world.acme, project=project, user=world.alice, rate=50
    )
    return timekeeping.Assignment(contract=contract, project=project)


@pytest.fixture
def entries(world, days, site):
    """Alice and Bob worked on each of the three days; Alice on the Website project."""
    made = {}
    for day in days:
        made[(day, "alice")] = record(world, world.alice, day, 9, 12, site, note="Homepage")
        made[(day, "bob")] = record(world, world.bob, day, 10, 11, note="Support")
    return made


def timeline_requests(ctx):
    return sum(
        SyncRun.objects.filter(workspace=ctx.workspace, resource="time_entries").values_list(
            "requests", flat=True
        )
    )


def test_a_first_sync_mirrors_every_entry_of_the_dates(
    world, mirror_workspace, sync_context, days, entries, site
):
    sync_members(sync_context)
    # The project is mirrored already, its contract not yet.
    Project.objects.create(workspace=mirror_workspace, webwork_id=str(site.project.id), name="Website")
    made_before = sync_context.client.requests_made

    stats = sync_time_entries(sync_context, days)

    assert_converged(mirror_workspace, "time_entries")
    assert (stats.created, stats.updated, stats.removed) == (6, 0, 0)
    members = Member.objects.filter(workspace=mirror_workspace).count()
    assert sync_context.client.requests_made - made_before == len(days) * math.ceil(members / 100)
    runs = SyncRun.objects.filter(resource="time_entries").order_by("id")
    assert [run.scope for run in runs] == [day.isoformat() for day in days]
    assert all(run.status == "succeeded" and run.requests == 1 for run in runs)

    alice_entry = TimeEntry.objects.get(webwork_id=str(entries[(days[0], "alice")].id))
    assert alice_entry.member.email == "alice@acme.test"
    assert alice_entry.project.name == "Website"
    assert alice_entry.contract is None  # not mirrored yet: only its WebWork id is kept
    assert alice_entry.contract_webwork_id == site.contract.id
    assert alice_entry.duration_minutes == 180
    assert alice_entry.start_time == at(days[0], 9)


def test_edits_deletions_and_additions_on_a_synced_date_converge(
    world, mirror_workspace, sync_context, days, entries
):
    sync_time_entries(sync_context, days)
    edited = entries[(days[1], "alice")]
    timekeeping.time_entry_update(edited, end=at(days[1], 12, 30), activity_description="Homepage, menu")
    deleted_id = str(entries[(days[1], "bob")].id)
    timekeeping.time_entry_delete(entries[(days[1], "bob")])
    added = record(world, world.bob, days[1], 14, 16, note="Calls")

    stats = sync_time_entries(sync_context, [days[1]])

    assert_converged(mirror_workspace, "time_entries")
    assert (stats.created, stats.updated, stats.removed) == (1, 1, 1)
    mirrored = TimeEntry.objects.get(webwork_id=str(edited.id))
    assert (mirrored.duration_minutes, mirrored.activity_description) == (210, "Homepage, menu")
    gone = TimeEntry.objects.get(webwork_id=deleted_id)
    assert gone.removed_at is not None
    assert not TimeEntry.objects.current().filter(pk=gone.pk).exists()
    assert TimeEntry.objects.current().get(webwork_id=str(added.id)).duration_minutes == 120
    # The other dates were not asked for and not touched.
    assert TimeEntry.objects.current().filter(date=days[0]).count() == 2


def test_a_date_costs_one_request_per_100_members(world, mirror_workspace, sync_context, days, entries):
    crowd = [
        sandbox.SandboxUser(email=f"member{n}@acme.test", firstname="Member", lastname=str(n))
        for n in range(150)
    ]
    sandbox.SandboxUser.objects.bulk_create(crowd)
    crowd = list(sandbox.SandboxUser.objects.filter(email__startswith="member").order_by("id"))
    sandbox.Membership.objects.bulk_create(
        [sandbox.Membership(workspace=world.acme, user=user, role="Regular User") for user in crowd]
    )
    last = crowd[-1]  # listed on the second page
    late = record(world, last, days[0], 8, 9)
    made_before = sync_context.client.requests_made

    sync_time_entries(sync_context, days)

    members = 5 + len(crowd)  # everyone but the project viewer
    assert sync_context.client.requests_made - made_before == len(days) * math.ceil(members / 100) == 6
    assert timeline_requests(sync_context) == 6
    assert TimeEntry.objects.current().get(webwork_id=str(late.id)).user_webwork_id == last.id
    assert_converged(mirror_workspace, "time_entries")


def test_a_failed_date_keeps_its_previous_state_and_the_other_dates_are_still_read(
    world, mirror_workspace, make_client, sync_context, days, entries
):
    sync_time_entries(sync_context, days[:2])
    first, second = entries[(days[0], "alice")], entries[(days[1], "alice")]
    timekeeping.time_entry_update(first, activity_description="Changed on day one")
    timekeeping.time_entry_update(second, activity_description="Changed on day two")
    timekeeping.time_entry_delete(entries[(days[1], "bob")])
    failing = SyncContext(
        workspace=mirror_workspace,
        client=make_client(world.owner, get_token=faults_on_requests(world.owner, {2}), max_retries=0),
    )

    with pytest.raises(PartsFailed) as raised:
        sync_time_entries(failing, days)

    # Only the second date failed: it keeps its previous state, the dates around it are fresh.
    assert list(raised.value.failed) == [days[1].isoformat()]
    assert isinstance(raised.value.failed[days[1].isoformat()], ServerError)
    assert TimeEntry.objects.get(webwork_id=str(first.id)).activity_description == "Changed on day one"
    assert TimeEntry.objects.get(webwork_id=str(second.id)).activity_description == "Homepage"
    assert TimeEntry.objects.current().filter(date=days[1]).count() == 2  # nothing marked removed
    assert TimeEntry.objects.filter(date=days[2]).exists()  # read after the failed date
    runs = list(SyncRun.objects.filter(resource="time_entries").order_by("id").values_list("scope", "status"))
    assert runs[-3:] == [
        (days[0].isoformat(), "succeeded"),
        (days[1].isoformat(), "failed"),
        (days[2].isoformat(), "succeeded"),
    ]

    sync_time_entries(sync_context, days)
    assert_converged(mirror_workspace, "time_entries")


def test_each_date_is_written_before_the_next_is_fetched(world, mirror_workspace, make_client, days, entries):
    """Memory holds one date: by the time a date is asked for, the dates before it are in the mirror."""
    raw, _ = access_token_issue(user=world.owner)
    mirrored_at_request = []

    def get_token():
        mirrored_at_request.append(
            sorted({d.isoformat() for d in TimeEntry.objects.values_list("date", flat=True)})
        )
        return raw

    ctx = SyncContext(workspace=mirror_workspace, client=make_client(world.owner, get_token=get_token))
    sync_time_entries(ctx, days)

    names = [d.isoformat() for d in days]
    assert mirrored_at_request == [[], names[:1], names[:2]]


# --- who is working now ---------------------------------------------------------


def test_an_open_entry_is_kept_and_marks_its_member_as_working(world, mirror_workspace, sync_context):
    sync_members(sync_context)
    today = berlin_today()
    payload = {
        "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "user_id": world.alice.id,
        "contract_id": 20,
        "project_id": 10,
        "task_id": None,
        "activity_description": "Working on feature implementation",
        "method": "Web tracker",
        "date": today.isoformat(),
        "start_time": at(today, 0, 30).isoformat(),  # with an offset
        "end_time": None,
        "duration_minutes": 95,
    }
    members = dict(Member.objects.values_list("webwork_id", "pk"))

    row = time_entry_row(payload, "Europe/Berlin", members=members)
    time_entries_write(sync_context, today, [row], RunStats(), is_today=True)

    entry = TimeEntry.objects.current().get(webwork_id=payload["id"])
    assert entry.end_time is None
    assert entry.duration_minutes == 95
    tracker = RunningTracker.objects.current().get()
    assert tracker.member.email == "alice@acme.test"
    assert tracker.started_at == at(today, 0, 30)
    assert (tracker.project_webwork_id, tracker.contract_webwork_id) == (10, 20)

    # Today's listing without Alice's open entry: she stopped.
    time_entries_write(sync_context, today, [], RunStats(), is_today=True)
    assert not RunningTracker.objects.current().exists()
    assert not TimeEntry.objects.current().filter(webwork_id=payload["id"]).exists()


def test_times_with_an_offset_a_z_or_neither_mean_the_same_moment():
    base = {"id": "x", "user_id": 7, "date": "2026-01-29", "duration_minutes": 60}
    forms = [
        ("2026-01-29T09:00:00Z", "2026-01-29T10:00:00Z"),
        ("2026-01-29T10:00:00+01:00", "2026-01-29T11:00:00+01:00"),
        ("2026-01-29 10:00:00", "2026-01-29 11:00:00"),  # workspace-local
    ]
    rows = [time_entry_row({**base, "start_time": s, "end_time": e}, "Europe/Berlin") for s, e in forms]

    assert {(row["start_time"], row["end_time"]) for row in rows} == {
        (datetime(2026, 1, 29, 9, tzinfo=ZoneInfo("UTC")), datetime(2026, 1, 29, 10, tzinfo=ZoneInfo("UTC")))
    }


def test_unreadable_items_are_skipped_not_fatal():
    assert time_entry_row({"user_id": 1, "start_time": "2026-01-29T09:00:00Z"}, "UTC") is None  # no id
    assert time_entry_row({"id": "a", "user_id": 1, "start_time": "yesterday"}, "UTC") is None
    assert time_entry_row("not an entry", "UTC") is None
    row = time_entry_row({"id": "a", "start_time": "2026-01-29T09:00:00Z"}, "Bogus/Zone", user_id=3)
    assert row["user_webwork_id"] == 3
    assert row["date"].isoformat() == "2026-01-29"


def test_who_is_working_now_follows_trackers_started_and_stopped(world, mirror_workspace, sync_context, site):
    mirror_workspace.timezone = "Europe/Berlin"  # as the workspaces sync records it
    mirror_workspace.save()
    sync_members(sync_context)
    now = timezone.now().replace(microsecond=0)
    timekeeping.tracker_start(
        workspace=world.acme,
        user=world.alice,
        assignment=site,
        activity_description="Homepage",
        started_at=now - timedelta(minutes=40),
    )
    made_before = sync_context.client.requests_made

    sync_running_trackers(sync_context)

    assert sync_context.client.requests_made - made_before == 1  # 5 members: one page of today
    assert_converged(mirror_workspace, "running_trackers", "time_entries")
    tracker = RunningTracker.objects.current().get()
    assert tracker.member.email == "alice@acme.test"
    assert tracker.contract_webwork_id == site.contract.id
    assert TimeEntry.objects.current().get(end_time__isnull=True).user_webwork_id == world.alice.id

    timekeeping.tracker_stop(user=world.alice, stopped_at=now)
    sync_running_trackers(sync_context)
    today = berlin_today()
    sync_time_entries(sync_context, [today - timedelta(days=1), today])  # a tracker may cross midnight

    assert not RunningTracker.objects.current().exists()
    assert not TimeEntry.objects.current().filter(end_time__isnull=True).exists()
    assert_converged(mirror_workspace, "running_trackers", "time_entries")
    recorded = sandbox.TimeEntry.objects.filter(user=world.alice).values_list("duration_minutes", flat=True)
    assert sum(TimeEntry.objects.current().values_list("duration_minutes", flat=True)) == sum(recorded)
    assert sum(recorded) >= 39  # 40 minutes, less a minute's rounding when cut at midnight


def test_just_after_local_midnight_the_workspace_time_zone_is_learnt_and_trackers_found(
    world, mirror_workspace, make_client, site
):
    """Acme is in Berlin; the mirror starts out believing UTC. At 00:30 in Berlin (still
    yesterday in UTC) who is working now comes from Berlin's today all the same."""
    import time_machine

    berlin_half_past_midnight = datetime(2026, 11, 18, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert mirror_workspace.timezone == "UTC"
    with time_machine.travel(berlin_half_past_midnight, tick=False):
        timekeeping.tracker_start(
            workspace=world.acme,
            user=world.alice,
            assignment=site,
            started_at=berlin_half_past_midnight - timedelta(minutes=20),
        )
        client = make_client(world.owner)
        ctx = SyncContext(workspace=mirror_workspace, client=client)

        sync_running_trackers(ctx)

        mirror_workspace.refresh_from_db()
        assert mirror_workspace.timezone == "Europe/Berlin"
        assert client.requests_made == 2  # UTC's today, then Berlin's
        tracker = RunningTracker.objects.current().get()
        assert tracker.webwork_id == str(world.alice.id)

        client.requests_made = 0
        sync_running_trackers(ctx)
        assert client.requests_made == 1  # known now: one request
