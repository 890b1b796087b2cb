"""Syncing time requests: a dated window (R requires one), and the pending queue, which re-reads
what left it."""

from datetime import timedelta

import pytest

from integrations.models import Member, SyncRun, TimeRequest
from integrations.sandbox import timekeeping
from integrations.sync.members import sync_members
from integrations.sync.time_requests import sync_time_requests, time_request_row
from tests.integrations.convergence import assert_converged
from tests.integrations.helpers import days_ago

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def ask(world, user, start, hours=2, note=None):
    return timekeeping.time_request_create(
        workspace=world.acme, user=user, start=start, end=start + timedelta(hours=hours), notes=note
    )


@pytest.fixture
def requests(world):
    """Two pending requests of Alice, one of Bob, one of Bob's already rejected."""
    made = {
        "alice_1": ask(world, world.alice, days_ago(3), note="Forgot the tracker"),
        "alice_2": ask(world, world.alice, days_ago(2)),
        "bob_1": ask(world, world.bob, days_ago(40), note="Offline work"),
        "bob_old": ask(world, world.bob, days_ago(60)),
    }
    timekeeping.time_request_reject(made["bob_old"], by=world.owner, comment="Not on a workday")
    return made


def test_a_first_sync_mirrors_every_request_of_the_window(world, mirror_workspace, sync_context, requests):
    sync_members(sync_context)

    stats = sync_time_requests(sync_context)

    assert_converged(mirror_workspace, "time_requests")
    assert stats.created == 4
    mirrored = TimeRequest.objects.get(webwork_id=str(requests["alice_1"].id))
    assert mirrored.member == Member.objects.get(email="alice@acme.test")
    assert (mirrored.status, mirrored.notes) == ("pending", "Forgot the tracker")
    rejected = TimeRequest.objects.get(webwork_id=str(requests["bob_old"].id))
    assert (rejected.status, rejected.comment, rejected.updated_by_webwork_id) == (
        "rejected",
        "Not on a workday",
        world.owner.id,
    )
    run = SyncRun.objects.get(resource="time_requests")
    assert run.requests == 1


def test_without_dates_a_year_back_to_a_month_ahead_is_asked(world, mirror_workspace, sync_context, requests):
    too_old = ask(world, world.alice, days_ago(400))
    ahead = ask(world, world.alice, days_ago(-20))

    sync_time_requests(sync_context)

    mirrored = set(TimeRequest.objects.values_list("webwork_id", flat=True))
    assert str(ahead.id) in mirrored
    assert str(too_old.id) not in mirrored
    assert len(mirrored) == 5


def test_the_pending_queue_rereads_decided_requests(world, mirror_workspace, sync_context, requests):
    sync_time_requests(sync_context, status="pending")
    assert TimeRequest.objects.current().count() == 3
    timekeeping.time_request_approve(requests["alice_1"], by=world.owner)
    timekeeping.time_request_reject(requests["bob_1"], by=world.owner, comment="Duplicate")
    deleted_id = str(requests["alice_2"].id)
    requests["alice_2"].delete()
    made_before = sync_context.client.requests_made

    stats = sync_time_requests(sync_context, status="pending")

    # The queue, one read for each decided request, and two to confirm the deleted one is gone.
    assert sync_context.client.requests_made - made_before == 1 + 2 + 2
    assert TimeRequest.objects.current().get(webwork_id=str(requests["alice_1"].id)).status == "approved"
    rejected = TimeRequest.objects.current().get(webwork_id=str(requests["bob_1"].id))
    assert (rejected.status, rejected.comment) == ("rejected", "Duplicate")
    assert TimeRequest.objects.get(webwork_id=deleted_id).removed_at is not None
    assert (stats.updated, stats.removed) == (2, 1)

    sync_time_requests(sync_context)
    assert_converged(mirror_workspace, "time_requests")


def test_a_window_sync_marks_deleted_requests_removed(world, mirror_workspace, sync_context, requests):
    sync_time_requests(sync_context)
    deleted_id = str(requests["bob_1"].id)
    requests["bob_1"].delete()
    requests["alice_2"].notes = "Client workshop"
    requests["alice_2"].save()

    stats = sync_time_requests(sync_context)

    assert (stats.updated, stats.removed) == (3, 1)
    assert TimeRequest.objects.get(webwork_id=deleted_id).removed_at is not None
    assert TimeRequest.objects.get(webwork_id=str(requests["alice_2"].id)).notes == "Client workshop"
    assert_converged(mirror_workspace, "time_requests")


def test_a_narrow_window_leaves_requests_outside_it_alone(world, mirror_workspace, sync_context, requests):
    sync_time_requests(sync_context)
    made_before = sync_context.client.requests_made
    day = days_ago(3).date()

    sync_time_requests(sync_context, date_from=day, date_to=day)

    assert sync_context.client.requests_made - made_before == 1
    assert TimeRequest.objects.current().count() == 4


def test_both_documented_forms_of_a_request_are_read():
    r_form = {"id": "encoded_id_string", "user_id": 100, "status": "Pending", "activity_description": "Docs"}
    v_form = {
        "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "user_id": 100,
        "contract_id": 500,
        "project_id": 200,
        "task_id": 300,
        "start": "2024-01-15T09:00:00Z",
        "end": "2024-01-15T17:00:00+00:00",
        "status": "rejected",
        "notes": "Working on project documentation",
        "comment": "Time entry conflicts with project schedule",
        "updated_by": 101,
        "created_at": "2024-01-15T08:00:00Z",
    }

    r_row, v_row = time_request_row(r_form), time_request_row(v_form)

    assert (r_row["status"], r_row["notes"], r_row["start"]) == ("pending", "Docs", None)
    assert (v_row["end"] - v_row["start"]).total_seconds() == 8 * 3600
    assert (v_row["project_webwork_id"], v_row["task_webwork_id"], v_row["updated_by_webwork_id"]) == (
        200,
        300,
        101,
    )
    assert time_request_row({"status": "pending"}) is None
