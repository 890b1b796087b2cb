"""Sandbox API: time entries (GET/POST /time-entries, PUT/DELETE /time-entries/{id})."""

import uuid
from types import SimpleNamespace

import pytest

from integrations.sandbox.models import Contract, Membership, Project, Task
from tests.integrations.sandbox import helpers
from tests.integrations.sandbox.helpers import assert_envelope, assert_error

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

DAY = "2025-03-10"  # a Monday; Acme's clocks (Europe/Berlin) are at UTC+1


@pytest.fixture
def office(world):
    """Acme's projects Website (Alice and Bob have contracts, two tasks) and Mobile (Bob only)."""
    website = Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    mobile = Project.objects.create(workspace=world.acme, owner=world.owner, name="Mobile app")
    task = {"workspace": world.acme, "owner": world.owner, "creator": world.owner}
    return SimpleNamespace(
        website=website,
        mobile=mobile,
        alice_website=Contract.objects.create(workspace=world.acme, project=website, user=world.alice),
        bob_website=Contract.objects.create(workspace=world.acme, project=website, user=world.bob),
        bob_mobile=Contract.objects.create(workspace=world.acme, project=mobile, user=world.bob),
        homepage=Task.objects.create(project=website, title="Homepage", **task),
        footer=Task.objects.create(project=website, title="Footer", **task),
        push=Task.objects.create(project=mobile, title="Push notifications", **task),
    )


def add(api, world, user=None, *, date=DAY, start="09:00", end="17:00", **extra):
    body = {
        "workspace_id": world.acme.id,
        "user_id": (user or world.alice).id,
        "date": date,
        "start_time": start,
        "end_time": end,
        **extra,
    }
    return api.post("time-entries", body)


def entries_of(api, world, user=None, date=DAY, **params):
    return helpers.entries_of(api, world, date, user, **params)


# --- create -------------------------------------------------------------------------


def test_create_answers_201_with_saved_minutes_and_the_entry_is_listed(world, office, owner_api):
    body = assert_envelope(
        add(owner_api, world, contract_id=office.alice_website.id, task_id=office.homepage.id, notes="Hero"),
        201,
    )

    assert body["message"] == "8 hr successfully added for Alice Moreau."
    assert body["saved_minutes"] == 480
    data = body["data"]
    assert data["user_id"] == world.alice.id
    assert data["contract_id"] == office.alice_website.id
    assert data["project_id"] == office.website.id
    assert data["project_name"] == "Website"
    assert data["task_id"] == office.homepage.id
    assert data["task_title"] == "Homepage"
    assert data["activity_description"] == "Hero"
    assert data["method"] == "Manually added time"
    [listed] = entries_of(owner_api, world)
    assert listed["id"] == data["id"]
    assert listed["date"] == DAY
    # 09:00-17:00 in Berlin (UTC+1 in March) is 08:00-16:00 UTC.
    assert (listed["start_time"], listed["end_time"]) == ("2025-03-10T08:00:00Z", "2025-03-10T16:00:00Z")
    assert listed["duration_minutes"] == 480


def test_create_saves_only_the_part_that_does_not_overlap_and_says_so(world, office, owner_api):
    assert_envelope(add(owner_api, world, start="09:00", end="12:00"), 201)

    body = assert_envelope(add(owner_api, world, start="11:00", end="13:30"), 201)

    assert body["saved_minutes"] == 90
    assert body["message"].startswith("1 hr 30 min successfully added for Alice Moreau.")
    assert "1 hr not saved because it overlaps existing time entries" in body["message"]
    assert [(e["start_time"], e["duration_minutes"]) for e in entries_of(owner_api, world)] == [
        ("2025-03-10T08:00:00Z", 180),
        ("2025-03-10T11:00:00Z", 90),
    ]


def test_create_with_nothing_left_to_save_is_422_and_saves_nothing(world, office, owner_api):
    assert_envelope(add(owner_api, world, start="09:00", end="12:00"), 201)

    body = assert_error(add(owner_api, world, start="09:30", end="11:00"), 422, "start_time")

    assert "overlaps" in body["message"]
    assert len(entries_of(owner_api, world)) == 1


def test_create_entry_of_another_member_does_not_count_as_overlap(world, office, owner_api):
    assert_envelope(add(owner_api, world, start="09:00", end="12:00"), 201)

    body = assert_envelope(add(owner_api, world, world.bob, start="09:00", end="12:00"), 201)

    assert body["saved_minutes"] == 180
    assert body["message"] == "3 hr successfully added for Bob Okafor."


def test_create_validates_its_fields(world, office, owner_api):
    acme = world.acme.id
    assert_error(owner_api.post("time-entries", {"workspace_id": acme}), 422, "user_id", "date", "start_time")
    assert_error(add(owner_api, world, start="17:00", end="09:00"), 422, "end_time")
    assert_error(add(owner_api, world, start="09:00", end="09:00"), 422, "end_time")
    assert_error(add(owner_api, world, start="9am"), 422, "start_time")
    assert_error(add(owner_api, world, start="24:00"), 422, "start_time")
    assert_error(add(owner_api, world, date="10/03/2025"), 422, "date")
    assert_error(add(owner_api, world, date="0001-01-01"), 422, "date")
    assert_error(add(owner_api, world, date="9999-12-31", end="24:00"), 422, "date")
    assert_error(add(owner_api, world, user_id="abc"), 422, "user_id")


def test_create_checks_member_contract_and_task(world, office, owner_api):
    assert_error(add(owner_api, world, contract_id=office.bob_website.id), 422, "contract_id")
    assert_error(add(owner_api, world, contract_id=999_999), 422, "contract_id")
    assert_error(add(owner_api, world, task_id=office.homepage.id), 422, "task_id")
    assert_error(
        add(owner_api, world, world.bob, contract_id=office.bob_website.id, task_id=office.push.id),
        422,
        "task_id",
    )
    assert_error(add(owner_api, world, world.viewer), 422, "user_id")
    assert_error(add(owner_api, world, world.globex_owner), 422, "user_id")
    Membership.objects.filter(workspace=world.acme, user=world.bob).update(status="inactive")
    assert_error(add(owner_api, world, world.bob), 422, "user_id")


def test_create_until_midnight_with_24_00(world, office, owner_api):
    body = assert_envelope(add(owner_api, world, start="22:00", end="24:00"), 201)

    assert body["saved_minutes"] == 120
    [entry] = entries_of(owner_api, world)
    assert (entry["date"], entry["end_time"]) == (DAY, "2025-03-10T23:00:00Z")


# --- list ----------------------------------------------------------------------------


def test_list_requires_user_and_a_y_m_d_date(world, owner_api):
    acme = world.acme.id
    assert_error(owner_api.get("time-entries", workspace_id=acme), 422, "user_id", "date")
    assert_error(
        owner_api.get("time-entries", workspace_id=acme, user_id=world.alice.id, date="2025-13-01"),
        422,
        "date",
    )
    assert_error(
        owner_api.get("time-entries", workspace_id=acme, user_id=world.alice.id, date="10.03.2025"),
        422,
        "date",
    )
    assert_error(
        owner_api.get("time-entries", workspace_id=acme, user_id=world.globex_owner.id, date=DAY),
        422,
        "user_id",
    )


def test_list_shows_one_members_day_and_filters_by_project_and_task(world, office, owner_api):
    assert_envelope(
        add(owner_api, world, start="08:00", end="09:00", contract_id=office.alice_website.id), 201
    )
    assert_envelope(
        add(
            owner_api,
            world,
            start="09:00",
            end="10:00",
            contract_id=office.alice_website.id,
            task_id=office.footer.id,
        ),
        201,
    )
    assert_envelope(add(owner_api, world, start="10:00", end="11:00"), 201)
    assert_envelope(add(owner_api, world, date="2025-03-11"), 201)
    assert_envelope(add(owner_api, world, world.bob), 201)

    assert [e["start_time"][11:16] for e in entries_of(owner_api, world)] == ["07:00", "08:00", "09:00"]
    by_project = entries_of(owner_api, world, project_id=office.website.id)
    assert [e["project_id"] for e in by_project] == [office.website.id, office.website.id]
    by_task = entries_of(owner_api, world, task_id=office.footer.id)
    assert [e["task_title"] for e in by_task] == ["Footer"]
    assert entries_of(owner_api, world, project_id=office.mobile.id) == []


def test_list_pagination_is_bounded_at_50(world, office, owner_api):
    for start, end in [("08:00", "09:00"), ("09:00", "10:00"), ("10:00", "11:00")]:
        assert_envelope(add(owner_api, world, start=start, end=end), 201)
    base = {"workspace_id": world.acme.id, "user_id": world.alice.id, "date": DAY}

    page = assert_envelope(owner_api.get("time-entries", **base, per_page=2, page=2))

    assert len(page["data"]) == 1
    assert page["meta"]["pagination"] == {
        "total": 3,
        "per_page": 2,
        "current_page": 2,
        "last_page": 2,
        "from": 3,
        "to": 3,
    }
    assert_envelope(owner_api.get("time-entries", **base, per_page=50))
    assert_error(owner_api.get("time-entries", **base, per_page=51), 422, "per_page")
    assert_error(owner_api.get("time-entries", **base, page=0), 422, "page")


# --- update --------------------------------------------------------------------------


def entry_id(api, world, **extra):
    return assert_envelope(add(api, world, **extra), 201)["data"]["id"]


def test_update_changes_only_what_is_sent(world, office, owner_api):
    entry = entry_id(owner_api, world, start="09:00", end="12:00", notes="Draft")

    response = owner_api.put(f"time-entries/{entry}", {"workspace_id": world.acme.id, "end_time": "12:30"})

    body = assert_envelope(response)
    assert body["message"] == "Time entry updated successfully"
    assert "data" not in body
    [listed] = entries_of(owner_api, world)
    assert (listed["start_time"], listed["end_time"]) == ("2025-03-10T08:00:00Z", "2025-03-10T11:30:00Z")
    assert listed["duration_minutes"] == 210
    assert listed["activity_description"] == "Draft"

    assert_envelope(owner_api.put(f"time-entries/{entry}", {"workspace_id": world.acme.id, "notes": "Final"}))
    [listed] = entries_of(owner_api, world)
    assert listed["activity_description"] == "Final"
    assert listed["duration_minutes"] == 210


def test_update_date_moves_the_entry_and_keeps_its_times(world, office, owner_api):
    entry = entry_id(owner_api, world, start="09:00", end="12:00")

    assert_envelope(
        owner_api.put(f"time-entries/{entry}", {"workspace_id": world.acme.id, "date": "2025-03-12"})
    )

    assert entries_of(owner_api, world) == []
    [moved] = entries_of(owner_api, world, date="2025-03-12")
    assert (moved["start_time"], moved["end_time"]) == ("2025-03-12T08:00:00Z", "2025-03-12T11:00:00Z")


def test_update_project_and_task_books_the_members_contract(world, office, owner_api):
    entry = entry_id(owner_api, world, user_id=world.bob.id, contract_id=office.bob_website.id)
    body = {"workspace_id": world.acme.id, "project_id": office.mobile.id, "task_id": office.push.id}

    assert_envelope(owner_api.put(f"time-entries/{entry}", body))

    [listed] = entries_of(owner_api, world, world.bob)
    assert listed["project_id"] == office.mobile.id
    assert listed["contract_id"] == office.bob_mobile.id
    assert listed["task_title"] == "Push notifications"


def test_update_refuses_projects_without_contract_tasks_elsewhere_and_bad_ranges(world, office, owner_api):
    entry = entry_id(owner_api, world, start="09:00", end="12:00", contract_id=office.alice_website.id)
    entry_id(owner_api, world, start="13:00", end="14:00")
    path = f"time-entries/{entry}"
    acme = world.acme.id

    assert_error(
        owner_api.put(path, {"workspace_id": acme, "project_id": office.mobile.id}), 422, "project_id"
    )
    assert_error(owner_api.put(path, {"workspace_id": acme, "task_id": office.push.id}), 422, "task_id")
    assert_error(owner_api.put(path, {"workspace_id": acme, "end_time": "08:00"}), 422, "end_time")
    assert_error(owner_api.put(path, {"workspace_id": acme, "end_time": "13:30"}), 422, "start_time")
    assert_error(owner_api.put(path, {"workspace_id": acme, "start_time": "nine"}), 422, "start_time")
    [first, _second] = entries_of(owner_api, world)
    assert (first["end_time"], first["project_id"]) == ("2025-03-10T11:00:00Z", office.website.id)


# --- delete, ids, access ------------------------------------------------------------------


def test_delete_removes_the_entry_for_good(world, office, owner_api):
    entry = entry_id(owner_api, world)

    body = assert_envelope(owner_api.delete(f"time-entries/{entry}", {"workspace_id": world.acme.id}))

    assert body["message"] == "Time entry deleted successfully"
    assert entries_of(owner_api, world) == []
    assert_error(owner_api.delete(f"time-entries/{entry}", {"workspace_id": world.acme.id}), 404)


def test_unknown_or_foreign_entries_are_404(world, office, api, owner_api):
    globex_api = api.as_user(world.globex_owner)
    foreign = assert_envelope(
        globex_api.post(
            "time-entries",
            {
                "workspace_id": world.globex.id,
                "user_id": world.globex_owner.id,
                "date": DAY,
                "start_time": "09:00",
                "end_time": "10:00",
            },
        ),
        201,
    )["data"]["id"]

    for entry in (str(uuid.uuid4()), "not-a-uuid", foreign):
        path = f"time-entries/{entry}"
        assert_error(owner_api.put(path, {"workspace_id": world.acme.id, "notes": "x"}), 404)
        assert_error(owner_api.delete(path, {"workspace_id": world.acme.id}), 404)


def test_time_entries_need_a_token_and_an_owner_or_executive_manager(world, office, api, owner_api):
    entry = entry_id(owner_api, world)
    query = {"workspace_id": world.acme.id, "user_id": world.alice.id, "date": DAY}
    body = {**query, "start_time": "18:00", "end_time": "19:00"}
    path = f"time-entries/{entry}"

    for client, status in [
        (api, 401),
        (api.as_user(world.team_manager), 403),
        (api.as_user(world.globex_owner), 403),
    ]:
        assert_error(client.get("time-entries", **query), status)
        assert_error(client.post("time-entries", body), status)
        assert_error(client.put(path, {"workspace_id": world.acme.id, "notes": "x"}), status)
        assert_error(client.delete(path, {"workspace_id": world.acme.id}), status)
    assert len(entries_of(owner_api, world)) == 1
    assert entries_of(api.as_user(world.manager), world)[0]["id"] == entry
