"""Sandbox API: time tracking (POST /time-tracking/start, /stop, GET /time-tracking/current-data)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from integrations.sandbox.models import Contract, Membership, Project, Task
from tests.integrations.sandbox.helpers import assert_envelope, assert_error, entries_of

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

# Monday 2025-03-10, 10:15 in Berlin (Acme's timezone, UTC+1 in March).
NOW = datetime(2025, 3, 10, 9, 15, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def office(world):
    website = Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    mobile = Project.objects.create(workspace=world.acme, owner=world.owner, name="Mobile app")
    task = {"workspace": world.acme, "owner": world.owner, "creator": world.owner}
    return SimpleNamespace(
        website=website,
        alice_website=Contract.objects.create(workspace=world.acme, project=website, user=world.alice),
        alice_mobile=Contract.objects.create(
            workspace=world.acme, project=mobile, user=world.alice, status="paused"
        ),
        bob_website=Contract.objects.create(workspace=world.acme, project=website, user=world.bob),
        homepage=Task.objects.create(project=website, title="Homepage", **task),
        push=Task.objects.create(project=mobile, title="Push notifications", **task),
    )


def start(api, world, user=None, **extra):
    body = {"workspace_id": world.acme.id, "user_id": (user or world.alice).id, **extra}
    return api.post("time-tracking/start", body)


def stop(api, world, user=None):
    return api.post(
        "time-tracking/stop", {"workspace_id": world.acme.id, "user_id": (user or world.alice).id}
    )


def current(api, world, user=None):
    return api.get("time-tracking/current-data", workspace_id=world.acme.id, user_id=(user or world.alice).id)


# --- start ----------------------------------------------------------------------------


def test_start_answers_the_tracker_with_the_workspace_offset(world, office, owner_api, clock):
    body = assert_envelope(
        start(
            owner_api,
            world,
            contract_id=office.alice_website.id,
            task_id=office.homepage.id,
            activity_description="Hero banner",
        )
    )

    assert body["message"] == "Time tracking started successfully"
    data = body["data"]
    assert data["message"] == "Time tracking started successfully"
    assert data["start_time"] == "2025-03-10T10:15:00+01:00"
    assert data["user_id"] == world.alice.id
    assert data["user_name"] == "Alice Moreau"
    assert data["user_email"] == "alice@acme.test"
    assert (data["contract_id"], data["project_id"], data["project_name"]) == (
        office.alice_website.id,
        office.website.id,
        "Website",
    )
    assert data["task_id"] == office.homepage.id
    assert data["activity_description"] == "Hero banner"


def test_start_without_contract_or_user_tracks_the_caller_without_a_project(world, owner_api, clock):
    data = assert_envelope(owner_api.post("time-tracking/start", {"workspace_id": world.acme.id}))["data"]

    assert data["user_id"] == world.owner.id
    assert (data["contract_id"], data["project_id"], data["project_name"]) == (None, None, None)
    assert assert_envelope(current(owner_api, world, world.owner))["data"]["user_id"] == world.owner.id


def test_a_second_start_is_400_already_tracking(world, office, owner_api, clock):
    assert_envelope(start(owner_api, world))

    body = assert_error(start(owner_api, world, contract_id=office.alice_website.id), 400)

    assert body["message"] == "User is already tracking time"


def test_start_checks_the_member_contract_and_task(world, office, owner_api, clock):
    assert_error(start(owner_api, world, contract_id=office.bob_website.id), 422, "contract_id")
    assert_error(start(owner_api, world, contract_id=office.alice_mobile.id), 422, "contract_id")
    assert_error(start(owner_api, world, contract_id=123_456), 422, "contract_id")
    assert_error(start(owner_api, world, task_id=office.homepage.id), 422, "task_id")
    assert_error(
        start(owner_api, world, contract_id=office.alice_website.id, task_id=office.push.id), 422, "task_id"
    )
    assert_error(start(owner_api, world, world.viewer), 422, "user_id")
    assert_error(start(owner_api, world, world.globex_owner), 422, "user_id")
    assert_error(start(owner_api, world, user_id="me"), 422, "user_id")
    Membership.objects.filter(workspace=world.acme, user=world.bob).update(status="inactive")
    assert_error(start(owner_api, world, world.bob), 422, "user_id")
    assert_error(current(owner_api, world), 400)  # nothing was started


# --- stop -------------------------------------------------------------------------------


def test_stop_records_the_tracked_time_as_an_entry(world, office, owner_api, clock):
    assert_envelope(start(owner_api, world, contract_id=office.alice_website.id, activity_description="Hero"))
    clock.shift(timedelta(hours=2, minutes=5, seconds=20))

    body = assert_envelope(stop(owner_api, world))

    assert body["message"] == "Time tracking stopped successfully"
    assert body["data"]["message"] == "Time tracking stopped successfully"
    assert body["data"]["stopped_at"] == "2025-03-10T12:20:20+01:00"
    [entry] = entries_of(owner_api, world, "2025-03-10")
    assert entry["method"] == "Web tracker"
    assert (entry["start_time"], entry["end_time"]) == ("2025-03-10T09:15:00Z", "2025-03-10T11:20:20Z")
    assert entry["duration_minutes"] == 125
    assert (entry["contract_id"], entry["activity_description"]) == (office.alice_website.id, "Hero")
    assert assert_error(stop(owner_api, world), 400)["message"] == "No active tracker for this user"
    assert_envelope(start(owner_api, world))  # free to start again


def test_stop_without_user_id_stops_the_callers_own_tracker(world, owner_api, clock):
    assert_envelope(owner_api.post("time-tracking/start", {"workspace_id": world.acme.id}))
    assert_envelope(start(owner_api, world))
    clock.shift(timedelta(minutes=30))

    assert_envelope(owner_api.post("time-tracking/stop", {"workspace_id": world.acme.id}))

    assert [e["duration_minutes"] for e in entries_of(owner_api, world, "2025-03-10", world.owner)] == [30]
    assert assert_envelope(current(owner_api, world))["data"]["user_id"] == world.alice.id


def test_a_tracker_running_past_local_midnight_is_split_into_two_days(world, owner_api, time_machine):
    time_machine.move_to(datetime(2025, 3, 10, 22, 30, tzinfo=UTC), tick=False)  # 23:30 in Berlin
    assert_envelope(start(owner_api, world))
    time_machine.move_to(datetime(2025, 3, 11, 0, 30, tzinfo=UTC), tick=False)  # 01:30 in Berlin

    assert_envelope(stop(owner_api, world))

    [evening] = entries_of(owner_api, world, "2025-03-10")
    [night] = entries_of(owner_api, world, "2025-03-11")
    assert (evening["end_time"], evening["duration_minutes"]) == ("2025-03-10T23:00:00Z", 30)
    assert (night["start_time"], night["duration_minutes"]) == ("2025-03-10T23:00:00Z", 90)


def test_stop_skips_time_already_covered_by_another_entry(world, owner_api, clock):
    assert_envelope(start(owner_api, world))  # 10:15 Berlin
    manual = {"workspace_id": world.acme.id, "user_id": world.alice.id, "date": "2025-03-10"}
    assert_envelope(
        owner_api.post("time-entries", {**manual, "start_time": "11:00", "end_time": "11:30"}), 201
    )
    clock.shift(timedelta(hours=2))  # 12:15 Berlin

    assert_envelope(stop(owner_api, world))

    assert [(e["method"], e["duration_minutes"]) for e in entries_of(owner_api, world, "2025-03-10")] == [
        ("Web tracker", 45),
        ("Manually added time", 30),
        ("Web tracker", 45),
    ]


# --- current data ------------------------------------------------------------------------


def test_current_data_counts_todays_entries_and_the_running_tracker(world, office, owner_api, clock):
    manual = {"workspace_id": world.acme.id, "user_id": world.alice.id, "date": "2025-03-10"}
    assert_envelope(
        owner_api.post("time-entries", {**manual, "start_time": "08:00", "end_time": "09:00"}), 201
    )
    assert_envelope(
        owner_api.post(
            "time-entries", {**manual, "date": "2025-03-09", "start_time": "08:00", "end_time": "09:00"}
        ),
        201,
    )
    assert_envelope(
        start(
            owner_api,
            world,
            contract_id=office.alice_website.id,
            task_id=office.homepage.id,
            activity_description="Hero",
        )
    )
    clock.shift(timedelta(minutes=5, seconds=30))

    body = assert_envelope(current(owner_api, world))

    assert body["message"] == "Current tracker data retrieved successfully"
    assert body["data"] == {
        "contract_id": office.alice_website.id,
        "user_id": world.alice.id,
        "activity_description": "Hero",
        "task_id": office.homepage.id,
        "task_title": "Homepage",
        "project_id": office.website.id,
        "project_name": "Website",
        "start_time": "2025-03-10T10:15:00+01:00",
        "total_seconds": 30,
        "total_minutes": 65,
        "date": "2025-03-10",
    }


def test_current_data_without_a_running_tracker_is_400(world, owner_api, clock):
    body = assert_error(current(owner_api, world), 400)

    assert body["message"] == "No active tracker for this user"
    assert_error(current(owner_api, world, world.globex_owner), 422, "user_id")


def test_a_tracker_in_another_workspace_is_not_visible_or_stoppable_here(world, api, clock):
    globex_api = api.as_user(world.globex_owner)
    assert_envelope(
        globex_api.post("time-tracking/start", {"workspace_id": world.globex.id, "user_id": world.manager.id})
    )
    owner_api = api.as_user(world.owner)

    assert_error(current(owner_api, world, world.manager), 400)
    assert_error(stop(owner_api, world, world.manager), 400)
    assert (
        assert_error(start(owner_api, world, world.manager), 400)["message"]
        == "User is already tracking time"
    )


# --- access --------------------------------------------------------------------------------


def test_tracking_needs_a_token_and_an_owner_or_executive_manager(world, api, clock):
    assert_envelope(start(api.as_user(world.manager), world))

    for client, status in [
        (api, 401),
        (api.as_user(world.team_manager), 403),
        (api.as_user(world.globex_owner), 403),
    ]:
        assert_error(start(client, world, world.bob), status)
        assert_error(stop(client, world), status)
        assert_error(current(client, world), status)
    assert_envelope(current(api.as_user(world.owner), world))  # still running
