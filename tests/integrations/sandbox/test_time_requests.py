"""Sandbox API: time requests (GET/POST /time-requests, GET /time-requests/{id}, approve, reject)."""

import uuid
from types import SimpleNamespace

import pytest

from integrations.sandbox.models import Contract, Project, Task, Workspace
from tests.integrations.sandbox.helpers import assert_envelope, assert_error, entries_of

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def office(world):
    website = Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    mobile = Project.objects.create(workspace=world.acme, owner=world.owner, name="Mobile app")
    task = {"workspace": world.acme, "owner": world.owner, "creator": world.owner}
    return SimpleNamespace(
        website=website,
        mobile=mobile,
        alice_website=Contract.objects.create(workspace=world.acme, project=website, user=world.alice),
        bob_mobile=Contract.objects.create(workspace=world.acme, project=mobile, user=world.bob),
        homepage=Task.objects.create(project=website, title="Homepage", **task),
        push=Task.objects.create(project=mobile, title="Push notifications", **task),
    )


def ask(api, world, user=None, *, start="2025-03-10T08:00:00Z", end="2025-03-10T10:00:00Z", **extra):
    body = {
        "workspace_id": world.acme.id,
        "user_id": (user or world.alice).id,
        "start": start,
        "end": end,
        **extra,
    }
    return api.post("time-requests", body)


def asked(api, world, user=None, **extra):
    return assert_envelope(ask(api, world, user, **extra), 201)["data"]


def requests_listed(api, world, **params):
    return assert_envelope(api.get("time-requests", workspace_id=world.acme.id, **params))["data"]


def decide(api, world, time_request, action, **body):
    return api.post(f"time-requests/{time_request['id']}/{action}", {"workspace_id": world.acme.id, **body})


# --- create, get, list ---------------------------------------------------------------------


def test_create_answers_201_with_the_full_pending_request(world, office, owner_api):
    body = assert_envelope(
        ask(
            owner_api,
            world,
            contract_id=office.alice_website.id,
            task_id=office.homepage.id,
            notes="Client workshop",
        ),
        201,
    )

    assert body["message"] == "Time request created successfully"
    data = body["data"]
    assert uuid.UUID(data["id"])
    assert data["status"] == "pending"
    assert data["user_id"] == world.alice.id
    assert (data["contract_id"], data["project_id"], data["task_id"]) == (
        office.alice_website.id,
        office.website.id,
        office.homepage.id,
    )
    assert (data["start"], data["end"]) == ("2025-03-10T08:00:00Z", "2025-03-10T10:00:00Z")
    assert data["notes"] == data["activity_description"] == "Client workshop"
    assert (data["comment"], data["updated_by"]) == (None, None)
    assert data["created_at"].endswith("Z")
    assert data["updated_at"].endswith("Z")

    detail = assert_envelope(owner_api.get(f"time-requests/{data['id']}", workspace_id=world.acme.id))
    assert detail["data"] == data
    assert [r["id"] for r in requests_listed(owner_api, world)] == [data["id"]]
    assert entries_of(owner_api, world, "2025-03-10") == []  # nothing is tracked until approved


def test_create_accepts_rs_activity_description_and_local_times_without_offset(world, office, owner_api):
    data = asked(
        owner_api,
        world,
        start="2025-03-10T09:00:00",
        end="2025-03-10T11:30:00+01:00",
        activity_description="Planning",
    )

    # Acme runs on Berlin time: 09:00 there is 08:00 UTC in March.
    assert (data["start"], data["end"]) == ("2025-03-10T08:00:00Z", "2025-03-10T10:30:00Z")
    assert data["notes"] == "Planning"
    assert (data["contract_id"], data["project_id"]) == (None, None)


def test_create_validates_its_fields(world, office, owner_api):
    assert_error(
        owner_api.post("time-requests", {"workspace_id": world.acme.id}), 422, "user_id", "start", "end"
    )
    assert_error(ask(owner_api, world, end="2025-03-10T08:00:00Z"), 422, "end")
    assert_error(ask(owner_api, world, end="2025-03-10T07:00:00Z"), 422, "end")
    assert_error(ask(owner_api, world, end="2025-03-11T09:00:00Z"), 422, "end")  # more than 24 h
    assert_error(ask(owner_api, world, start="10 March, 9am"), 422, "start")
    assert_error(ask(owner_api, world, start="2025-03-10"), 422, "start")
    assert_error(ask(owner_api, world, start=20250310), 422, "start")
    assert_error(ask(owner_api, world, start="0001-01-01T00:30:00+05:00"), 422, "start")
    assert_error(ask(owner_api, world, contract_id=office.bob_mobile.id), 422, "contract_id")
    assert_error(ask(owner_api, world, task_id=office.homepage.id), 422, "task_id")
    assert_error(
        ask(owner_api, world, contract_id=office.alice_website.id, task_id=office.push.id), 422, "task_id"
    )
    assert_error(ask(owner_api, world, world.viewer), 422, "user_id")
    assert_error(ask(owner_api, world, world.globex_owner), 422, "user_id")
    assert requests_listed(owner_api, world) == []


def test_list_filters_by_status_user_project_id_and_dates(world, office, owner_api):
    first = asked(owner_api, world, contract_id=office.alice_website.id)
    bobs = asked(
        owner_api,
        world,
        world.bob,
        start="2025-03-12T08:00:00Z",
        end="2025-03-12T09:00:00Z",
        contract_id=office.bob_mobile.id,
    )
    late = asked(
        owner_api, world, start="2025-03-14T23:30:00Z", end="2025-03-15T00:30:00Z"
    )  # Saturday in Berlin
    assert_envelope(decide(owner_api, world, first, "approve"))

    def ids(**params):
        return {r["id"] for r in requests_listed(owner_api, world, **params)}

    assert ids() == {first["id"], bobs["id"], late["id"]}
    assert ids(status="approved") == {first["id"]}
    assert ids(status="pending") == {bobs["id"], late["id"]}
    assert ids(user_id=world.bob.id) == {bobs["id"]}
    assert ids(project_id=office.website.id) == {first["id"]}
    assert ids(id=late["id"]) == {late["id"]}
    assert ids(id="encoded_id_string") == set()
    assert ids(date_from="2025-03-10", date_to="2025-03-12") == {first["id"], bobs["id"]}
    assert ids(date_from="2025-03-15", date_to="2025-03-15") == {late["id"]}
    assert ids(date_from="2025-03-11") == {bobs["id"], late["id"]}


def test_list_validates_filters_and_bounds_pages(world, office, owner_api):
    for start in ("2025-03-10T08:00:00Z", "2025-03-11T08:00:00Z", "2025-03-12T08:00:00Z"):
        asked(owner_api, world, start=start, end=start.replace("08:", "09:"))
    acme = world.acme.id

    page = assert_envelope(owner_api.get("time-requests", workspace_id=acme, per_page=2, page=2))
    assert len(page["data"]) == 1
    assert (page["meta"]["pagination"]["total"], page["meta"]["pagination"]["last_page"]) == (3, 2)
    assert_error(owner_api.get("time-requests", workspace_id=acme, per_page=101), 422, "per_page")
    assert_error(owner_api.get("time-requests", workspace_id=acme, page=0), 422, "page")
    assert_error(owner_api.get("time-requests", workspace_id=acme, status="open"), 422, "status")
    assert_error(owner_api.get("time-requests", workspace_id=acme, date_from="03/10/2025"), 422, "date_from")
    assert_error(
        owner_api.get("time-requests", workspace_id=acme, date_from="2025-03-12", date_to="2025-03-10"),
        422,
        "date_to",
    )


# --- approve and reject ----------------------------------------------------------------------


def test_approving_adds_the_time_as_a_manual_entry(world, office, owner_api):
    time_request = asked(owner_api, world, contract_id=office.alice_website.id, notes="Workshop")

    body = assert_envelope(decide(owner_api, world, time_request, "approve"))

    assert (body["message"], body["data"]) == ("Time request approved successfully", None)
    detail = assert_envelope(owner_api.get(f"time-requests/{time_request['id']}", workspace_id=world.acme.id))
    assert (detail["data"]["status"], detail["data"]["updated_by"]) == ("approved", world.owner.id)
    [entry] = entries_of(owner_api, world, "2025-03-10")
    assert entry["method"] == "Manually added time"
    assert (entry["start_time"], entry["end_time"], entry["duration_minutes"]) == (
        "2025-03-10T08:00:00Z",
        "2025-03-10T10:00:00Z",
        120,
    )
    assert (entry["contract_id"], entry["project_name"], entry["activity_description"]) == (
        office.alice_website.id,
        "Website",
        "Workshop",
    )
    [sheet] = assert_envelope(owner_api.get("timesheets", workspace_id=world.acme.id))["data"]
    assert sheet["total_minutes"] == 120


def test_rejecting_needs_a_comment_and_records_it(world, office, owner_api):
    time_request = asked(owner_api, world)

    assert_error(decide(owner_api, world, time_request, "reject"), 422, "comment")
    body = assert_envelope(decide(owner_api, world, time_request, "reject", comment="Not on the schedule"))

    assert (body["message"], body["data"]) == ("Time request rejected successfully", None)
    detail = assert_envelope(owner_api.get(f"time-requests/{time_request['id']}", workspace_id=world.acme.id))
    assert detail["data"]["status"] == "rejected"
    assert detail["data"]["comment"] == "Not on the schedule"
    assert detail["data"]["updated_by"] == world.owner.id
    assert entries_of(owner_api, world, "2025-03-10") == []


def test_only_pending_requests_can_be_decided(world, office, owner_api):
    approved = asked(owner_api, world)
    rejected = asked(owner_api, world, start="2025-03-11T08:00:00Z", end="2025-03-11T09:00:00Z")
    assert_envelope(decide(owner_api, world, approved, "approve"))
    assert_envelope(decide(owner_api, world, rejected, "reject", comment="No"))

    assert "approved" in assert_error(decide(owner_api, world, approved, "approve"), 422)["message"]
    assert (
        "approved" in assert_error(decide(owner_api, world, approved, "reject", comment="No"), 422)["message"]
    )
    assert "rejected" in assert_error(decide(owner_api, world, rejected, "approve"), 422)["message"]
    assert len(entries_of(owner_api, world, "2025-03-10")) == 1
    assert entries_of(owner_api, world, "2025-03-11") == []


def test_approving_time_that_is_already_tracked_is_422_and_stays_pending(world, office, owner_api):
    manual = {"workspace_id": world.acme.id, "user_id": world.alice.id, "date": "2025-03-10"}
    assert_envelope(
        owner_api.post("time-entries", {**manual, "start_time": "08:00", "end_time": "12:00"}), 201
    )
    time_request = asked(owner_api, world)  # 09:00-11:00 Berlin

    body = assert_error(decide(owner_api, world, time_request, "approve"), 422)

    assert "already covered" in body["message"]
    detail = assert_envelope(owner_api.get(f"time-requests/{time_request['id']}", workspace_id=world.acme.id))
    assert detail["data"]["status"] == "pending"


def test_own_requests_of_managers_are_approved_at_once_when_the_workspace_says_so(world, office, owner_api):
    assert asked(owner_api, world, world.owner)["status"] == "pending"
    Workspace.objects.filter(pk=world.acme.pk).update(auto_approve_manager_time_requests=True)

    own = asked(owner_api, world, world.owner, start="2025-03-11T08:00:00Z", end="2025-03-11T09:00:00Z")
    for_alice = asked(owner_api, world, start="2025-03-11T08:00:00Z", end="2025-03-11T09:00:00Z")

    assert (own["status"], own["updated_by"]) == ("approved", world.owner.id)
    assert for_alice["status"] == "pending"
    assert [e["duration_minutes"] for e in entries_of(owner_api, world, "2025-03-11", world.owner)] == [60]
    assert entries_of(owner_api, world, "2025-03-11") == []


# --- ids and access -------------------------------------------------------------------------


def test_unknown_or_foreign_requests_are_404(world, office, api, owner_api):
    globex_api = api.as_user(world.globex_owner)
    foreign = assert_envelope(
        globex_api.post(
            "time-requests",
            {
                "workspace_id": world.globex.id,
                "user_id": world.manager.id,
                "start": "2025-03-10T08:00:00Z",
                "end": "2025-03-10T09:00:00Z",
            },
        ),
        201,
    )["data"]

    for time_request in ({"id": str(uuid.uuid4())}, {"id": "encoded_id_string"}, foreign):
        assert_error(owner_api.get(f"time-requests/{time_request['id']}", workspace_id=world.acme.id), 404)
        assert_error(decide(owner_api, world, time_request, "approve"), 404)
        assert_error(decide(owner_api, world, time_request, "reject", comment="No"), 404)


def test_time_requests_need_a_token_and_an_owner_or_executive_manager(world, office, api, owner_api):
    time_request = asked(owner_api, world)

    for client, status in [
        (api, 401),
        (api.as_user(world.team_manager), 403),
        (api.as_user(world.globex_owner), 403),
    ]:
        assert_error(client.get("time-requests", workspace_id=world.acme.id), status)
        assert_error(ask(client, world, world.bob), status)
        assert_error(client.get(f"time-requests/{time_request['id']}", workspace_id=world.acme.id), status)
        assert_error(decide(client, world, time_request, "approve"), status)
        assert_error(decide(client, world, time_request, "reject", comment="No"), status)
    assert [r["status"] for r in requests_listed(owner_api, world)] == ["pending"]
    assert_envelope(decide(api.as_user(world.manager), world, time_request, "approve"))
