"""Syncing timesheets: the whole list, and the approval queue, which re-reads what left it."""

from datetime import timedelta

import pytest

from integrations.models import SyncRun, Timesheet
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sync.members import sync_members
from integrations.sync.timesheets import sync_timesheets, timesheet_row
from tests.integrations.convergence import assert_converged
from tests.integrations.helpers import at, berlin_today

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def weeks(world):
    """Alice and Bob have time in the last two weeks; both of Alice's timesheets and Bob's older
    one are submitted."""
    today = berlin_today()
    monday = today - timedelta(days=today.weekday())
    last_monday = monday - timedelta(days=7)
    project = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website", rate=80)
    contract = sandbox.Contract.objects.create(
        workspace=world.acme, project=project, user=world.alice, rate=50
    )
    site = timekeeping.Assignment(contract=contract, project=project)
    for week_start in (last_monday, monday):
        for offset, user in ((1, world.alice), (0, world.bob)):
            day = week_start + timedelta(days=offset)
            timekeeping.time_entry_create(
                workspace=world.acme,
                user=user,
                start=at(day, 9),
                end=at(day, 11),
                assignment=site if user == world.alice else None,
            )
    sheets = {(ts.user_id, ts.date_from): ts for ts in sandbox.Timesheet.objects.filter(workspace=world.acme)}
    for key in ((world.alice.id, last_monday), (world.alice.id, monday), (world.bob.id, last_monday)):
        timekeeping.timesheet_submit(sheets[key])
    return {
        "alice_last": sheets[(world.alice.id, last_monday)],
        "alice_this": sheets[(world.alice.id, monday)],
        "bob_last": sheets[(world.bob.id, last_monday)],
        "bob_this": sheets[(world.bob.id, monday)],
        "monday": monday,
    }


def test_a_first_sync_mirrors_every_timesheet_with_its_totals(world, mirror_workspace, sync_context, weeks):
    sync_members(sync_context)

    stats = sync_timesheets(sync_context)

    assert_converged(mirror_workspace, "timesheets")
    assert stats.created == 4
    sheet = Timesheet.objects.get(webwork_id=str(weeks["alice_this"].id))
    assert sheet.member.email == "alice@acme.test"
    assert sheet.status == "submitted"
    assert sheet.total_minutes == 120
    assert sheet.total_amount == {"EUR": 100}  # 2 h at the contract's 50
    day = (weeks["monday"] + timedelta(days=1)).isoformat()
    assert sheet.daily_breakdown[day][0]["total_minutes"] == 120
    assert Timesheet.objects.get(webwork_id=str(weeks["bob_this"].id)).status == "open"


def test_the_queue_rereads_what_left_it_instead_of_removing_it(world, mirror_workspace, sync_context, weeks):
    sync_timesheets(sync_context, status="submitted")
    assert set(Timesheet.objects.current().values_list("webwork_id", flat=True)) == {
        str(weeks[key].id) for key in ("alice_last", "alice_this", "bob_last")
    }
    timekeeping.timesheet_approve(weeks["alice_last"], by=world.owner)
    timekeeping.timesheet_reject(weeks["bob_last"], by=world.owner, reason="Hours missing")
    deleted_id = str(weeks["alice_this"].id)
    weeks["alice_this"].delete()
    made_before = sync_context.client.requests_made

    stats = sync_timesheets(sync_context, status="submitted")

    assert sync_context.client.requests_made - made_before == 1 + 3  # the queue, then one read per leaver
    approved = Timesheet.objects.current().get(webwork_id=str(weeks["alice_last"].id))
    assert approved.status == "approved"
    rejected = Timesheet.objects.current().get(webwork_id=str(weeks["bob_last"].id))
    assert (rejected.status, rejected.reject_reason) == ("rejected", "Hours missing")
    assert Timesheet.objects.get(webwork_id=deleted_id).removed_at is not None
    assert (stats.updated, stats.removed) == (2, 1)
    assert SyncRun.objects.filter(resource="timesheets").first().scope == "submitted"

    # A full listing agrees with the queue's result.
    sync_timesheets(sync_context)
    assert_converged(mirror_workspace, "timesheets")


def test_the_editable_state_is_open_whichever_spelling_is_asked(world, mirror_workspace, sync_context, weeks):
    sync_timesheets(sync_context, status="pending")

    assert set(Timesheet.objects.current().values_list("webwork_id", flat=True)) == {
        str(weeks["bob_this"].id)
    }
    assert Timesheet.objects.get().status == "open"


def test_a_date_range_lists_overlapping_weeks_and_rereads_the_rest(
    world, mirror_workspace, sync_context, weeks
):
    sync_timesheets(sync_context)
    weeks["bob_last"].delete()
    made_before = sync_context.client.requests_made

    stats = sync_timesheets(sync_context, date_from=weeks["monday"] - timedelta(days=3))

    # Both weeks overlap the range: one listing, and Bob's deleted week read once to confirm.
    assert sync_context.client.requests_made - made_before == 2
    assert stats.removed == 1
    assert_converged(mirror_workspace, "timesheets")


def test_a_full_listing_marks_deleted_timesheets_removed(world, mirror_workspace, sync_context, weeks):
    sync_timesheets(sync_context)
    deleted_id = str(weeks["bob_this"].id)
    weeks["bob_this"].delete()

    stats = sync_timesheets(sync_context)

    assert stats.removed == 1
    assert Timesheet.objects.get(webwork_id=deleted_id).removed_at is not None
    assert_converged(mirror_workspace, "timesheets")


def test_both_documented_forms_of_a_timesheet_are_read():
    v_form = {
        "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "user_id": 100,
        "date_from": "2024-01-01",
        "date_to": "2024-01-15",
        "total_hours": 80.5,
        "submitted_on": "2024-01-15T10:30:00Z",
        "reject_reason": None,
        "status": "submitted",
    }
    r_form = {
        "id": "abc123xyz",
        "member": {"id": 100, "firstname": "John"},
        "date_from": "2024-01-01",
        "date_to": "2024-01-07",
        "status": "pending",
        "total_minutes": 95,
        "total_amount": 12.5,
        "daily_breakdown": [],  # an empty object as a PHP array
    }

    v_row, r_row = timesheet_row(v_form), timesheet_row(r_form)

    assert (v_row["total_minutes"], v_row["status"], v_row["daily_breakdown"]) == (4830, "submitted", {})
    assert (r_row["total_minutes"], r_row["status"], r_row["user_webwork_id"]) == (95, "open", 100)
    assert r_row["total_amount"] == 12.5
    assert timesheet_row({"id": "x", "status": "open"}) is None  # no period: not stored
