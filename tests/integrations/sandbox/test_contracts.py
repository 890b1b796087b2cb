"""Sandbox API: contracts."""

import pytest

from integrations.sandbox.models import Contract, Membership, Project
from tests.integrations.sandbox.helpers import assert_envelope, assert_error, sandbox_queries

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def projects(world):
    website = Project.objects.create(
        workspace=world.acme, owner=world.owner, name="Website", icon="globe", rate=50
    )
    internal = Project.objects.create(
        workspace=world.acme, owner=world.owner, name="Internal", is_billable=False, rate=10
    )
    other = Project.objects.create(workspace=world.globex, owner=world.globex_owner, name="Globex Site")
    return website, internal, other


@pytest.fixture
def contracts(world, projects):
    website, internal, other = projects
    alice_web = Contract.objects.create(workspace=world.acme, project=website, user=world.alice, rate=45)
    bob_web = Contract.objects.create(
        workspace=world.acme, project=website, user=world.bob, status="paused", weekly_hours_limit=20
    )
    alice_internal = Contract.objects.create(
        workspace=world.acme, project=internal, user=world.alice, rate=30
    )
    globex = Contract.objects.create(workspace=world.globex, project=other, user=world.globex_owner)
    return alice_web, bob_web, alice_internal, globex


# --- create -------------------------------------------------------------------


def test_create_contract_answers_the_full_contract(world, projects, owner_api):
    website, _internal, _other = projects
    response = owner_api.post(
        "contracts",
        {"project_id": website.id, "user_id": world.alice.id, "rate": 42.5, "screenshots": "blurred"},
        workspace_id=world.acme.id,  # R passes it in the query string
    )
    body = assert_envelope(response, 201)

    assert body["message"] == "Contract created successfully"
    data = body["data"]
    assert data["project_id"] == website.id
    assert data["project_name"] == "Website"
    assert data["project_icon"] == "globe"
    assert (data["user_id"], data["user_firstname"], data["user_lastname"], data["user_email"]) == (
        world.alice.id,
        "Alice",
        "Moreau",
        "alice@acme.test",
    )
    assert data["user_role"] == "Regular User"
    assert data["weekly_hours_limit"] == 168
    assert data["screenshots"] == "blurred"
    assert data["screenshots_label"] == "Blurred screenshots"
    assert data["rate"] == 42.5
    assert data["rate_type"] == 1
    assert data["status"] == "active"
    assert data["contract_name"] == "Website — Alice Moreau"
    assert data["currency"] == "EUR"
    assert data["created_at"].endswith("Z")
    assert data["updated_at"].endswith("Z")


def test_create_contract_saves_a_rate_only_for_callers_who_see_rates(world, projects, api, owner_api):
    website, _internal, _other = projects
    Membership.objects.filter(user=world.manager, workspace=world.acme).update(rate_status=0)
    manager = api.as_user(world.manager)
    body = {"workspace_id": world.acme.id, "project_id": website.id, "user_id": world.bob.id, "rate": 999}
    created = assert_envelope(manager.post("contracts", body), 201)["data"]

    assert created["rate"] is None
    seen_by_owner = assert_envelope(owner_api.get(f"contracts/{created['id']}", workspace_id=world.acme.id))
    assert seen_by_owner["data"]["rate"] == 35  # Bob's member rate, not the 999 sent
    assert seen_by_owner["data"]["rate_type"] == 2


def test_contract_rates_are_hidden_on_non_billable_projects(world, contracts, owner_api):
    _alice_web, _bob_web, alice_internal, _globex = contracts
    body = assert_envelope(owner_api.get(f"contracts/{alice_internal.id}", workspace_id=world.acme.id))

    assert body["data"]["rate"] is None
    assert body["data"]["rate_type"] == 1


def test_create_contract_refuses_duplicates_and_outsiders(world, projects, contracts, owner_api):
    website, _internal, other = projects
    acme = world.acme.id

    duplicate = owner_api.post(
        "contracts", {"workspace_id": acme, "project_id": website.id, "user_id": world.alice.id}
    )
    # One contract per member and project is a business rule: 400 (WebWork documents no 409).
    refused = assert_error(duplicate, 400)
    assert refused["error"] == "Bad Request"
    alice_web = Contract.objects.get(project=website, user=world.alice)
    assert refused["message"] == (
        f"Alice Moreau already has a contract on {website.name}; change that contract "
        f"(PUT /contracts/{alice_web.id}) instead."
    )
    assert Contract.objects.filter(project=website, user=world.alice).count() == 1
    stranger = owner_api.post(
        "contracts", {"workspace_id": acme, "project_id": website.id, "user_id": world.globex_owner.id}
    )
    assert_error(stranger, 422, "user_id")
    viewer = owner_api.post(
        "contracts", {"workspace_id": acme, "project_id": website.id, "user_id": world.viewer.id}
    )
    assert_error(viewer, 422, "user_id")
    foreign_project = owner_api.post(
        "contracts", {"workspace_id": acme, "project_id": other.id, "user_id": world.manager.id}
    )
    assert_error(foreign_project, 422, "project_id")
    assert Contract.objects.filter(workspace=world.acme).count() == 3


def test_create_contract_validates_its_fields(world, projects, owner_api):
    website, _internal, _other = projects
    acme = world.acme.id
    base = {"workspace_id": acme, "project_id": website.id, "user_id": world.alice.id}

    assert_error(owner_api.post("contracts", {"workspace_id": acme}), 422, "project_id", "user_id")
    assert_error(owner_api.post("contracts", {**base, "weekly_hours_limit": 169}), 422, "weekly_hours_limit")
    assert_error(owner_api.post("contracts", {**base, "weekly_hours_limit": -1}), 422, "weekly_hours_limit")
    assert_error(owner_api.post("contracts", {**base, "screenshots": "blur"}), 422, "screenshots")
    assert_error(owner_api.post("contracts", {**base, "rate": -5}), 422, "rate")
    assert_error(owner_api.post("contracts", {**base, "project_id": "web"}), 422, "project_id")
    website.status = Project.Status.ARCHIVED
    website.save()
    assert_error(owner_api.post("contracts", base), 422, "project_id")
    assert not Contract.objects.exists()


def test_create_contract_is_for_owners_and_executive_managers(world, projects, api):
    website, _internal, _other = projects
    body = {"workspace_id": world.acme.id, "project_id": website.id, "user_id": world.bob.id}

    assert_error(api.post("contracts", body), 401)
    assert_error(api.as_user(world.team_manager).post("contracts", body), 403)
    assert not Contract.objects.exists()


# --- list ---------------------------------------------------------------------


def test_contract_list_filters_and_mirrors_pagination_at_the_top_level(world, projects, contracts, owner_api):
    website, internal, _other = projects
    alice_web, bob_web, alice_internal, _globex = contracts
    acme = world.acme.id
    body = assert_envelope(owner_api.get("contracts", workspace_id=acme))

    assert body["message"] == "Contracts retrieved successfully"
    assert [c["id"] for c in body["data"]] == [alice_web.id, bob_web.id, alice_internal.id]
    assert body["pagination"] == body["meta"]["pagination"]
    assert body["pagination"]["total"] == 3

    def ids(**filters):
        return [
            c["id"] for c in assert_envelope(owner_api.get("contracts", workspace_id=acme, **filters))["data"]
        ]

    assert ids(project_id=website.id) == [alice_web.id, bob_web.id]
    assert ids(user_id=world.alice.id) == [alice_web.id, alice_internal.id]
    assert ids(status="paused") == [bob_web.id]
    assert ids(project_id=internal.id, status="paused") == []


def test_contract_list_refuses_bad_filters_and_pages(world, contracts, owner_api):
    acme = world.acme.id
    page2 = assert_envelope(owner_api.get("contracts", workspace_id=acme, per_page=2, page=2))

    assert len(page2["data"]) == 1
    assert page2["pagination"]["last_page"] == 2
    assert_error(owner_api.get("contracts", workspace_id=acme, status="finished"), 422, "status")
    assert_error(owner_api.get("contracts", workspace_id=acme, user_id="alice"), 422, "user_id")
    assert_error(owner_api.get("contracts", workspace_id=acme, per_page=101), 422, "per_page")
    assert_error(owner_api.get("contracts", workspace_id=acme, page=0), 422, "page")


def test_contract_list_needs_a_token_and_a_workspace_the_caller_manages(world, contracts, api):
    assert_error(api.get("contracts", workspace_id=world.acme.id), 401)
    assert_error(api.as_user(world.bob).get("contracts", workspace_id=world.acme.id), 403)
    assert_error(api.as_user(world.manager).get("contracts", workspace_id=world.globex.id), 403)


def test_contract_list_queries_do_not_grow_with_the_number_of_contracts(
    world, projects, contracts, owner_api
):
    _website, internal, _other = projects

    def count_queries():
        return sandbox_queries(lambda: owner_api.get("contracts", workspace_id=world.acme.id))

    count_queries()  # the caller's first request also opens their rate-limit window
    before = count_queries()
    for user in (world.bob, world.manager, world.team_manager, world.owner):
        Contract.objects.create(workspace=world.acme, project=internal, user=user)

    assert count_queries() == before


# --- get ----------------------------------------------------------------------


def test_get_contract(world, contracts, owner_api, api):
    alice_web, bob_web, _alice_internal, globex = contracts
    acme = world.acme.id
    body = assert_envelope(owner_api.get(f"contracts/{bob_web.id}", workspace_id=acme))

    assert body["message"] == "Contract retrieved successfully"
    assert body["data"]["status"] == "paused"
    assert body["data"]["weekly_hours_limit"] == 20
    assert body["data"]["screenshots_label"] == "Screenshot on"
    assert_error(owner_api.get(f"contracts/{globex.id}", workspace_id=acme), 404)
    assert_error(owner_api.get("contracts/424242", workspace_id=acme), 404)
    assert_error(api.get(f"contracts/{alice_web.id}", workspace_id=acme), 401)
    assert_error(api.as_user(world.alice).get(f"contracts/{alice_web.id}", workspace_id=acme), 403)


# --- update -------------------------------------------------------------------


def test_update_contract(world, contracts, owner_api):
    alice_web, _bob_web, _alice_internal, _globex = contracts
    response = owner_api.put(
        f"contracts/{alice_web.id}",
        {"weekly_hours_limit": 0, "screenshots": "video_full", "rate": 60, "status": "paused"},
        workspace_id=world.acme.id,
    )
    body = assert_envelope(response)

    data = body["data"]
    assert (data["weekly_hours_limit"], data["screenshots"], data["rate"], data["status"]) == (
        0,
        "video_full",
        60,
        "paused",
    )
    assert data["screenshots_label"] == "Video on"
    again = assert_envelope(
        owner_api.put(f"contracts/{alice_web.id}", {"workspace_id": world.acme.id, "status": "active"})
    )
    assert again["data"]["status"] == "active"
    assert again["data"]["weekly_hours_limit"] == 0


def test_update_contract_ignores_a_rate_from_a_caller_who_cannot_see_rates(world, contracts, api):
    alice_web, _bob_web, _alice_internal, _globex = contracts
    Membership.objects.filter(user=world.manager, workspace=world.acme).update(rate_status=0)
    manager = api.as_user(world.manager)
    body = assert_envelope(
        manager.put(
            f"contracts/{alice_web.id}", {"workspace_id": world.acme.id, "rate": 1, "weekly_hours_limit": 10}
        )
    )

    assert body["data"]["rate"] is None
    assert body["data"]["weekly_hours_limit"] == 10
    alice_web.refresh_from_db()
    assert alice_web.rate == 45


def test_update_contract_refuses_invalid_values(world, contracts, owner_api, api):
    alice_web, _bob_web, _alice_internal, globex = contracts
    acme = world.acme.id

    assert_error(
        owner_api.put(f"contracts/{alice_web.id}", {"workspace_id": acme, "status": "archived"}),
        422,
        "status",
    )
    assert_error(
        owner_api.put(f"contracts/{alice_web.id}", {"workspace_id": acme, "weekly_hours_limit": 200}),
        422,
        "weekly_hours_limit",
    )
    assert_error(
        owner_api.put(f"contracts/{alice_web.id}", {"workspace_id": acme, "screenshots": "sometimes"}),
        422,
        "screenshots",
    )
    assert_error(owner_api.put(f"contracts/{globex.id}", {"workspace_id": acme, "status": "paused"}), 404)
    assert_error(api.as_user(world.alice).put(f"contracts/{alice_web.id}", {"workspace_id": acme}), 403)
    assert_error(api.put(f"contracts/{alice_web.id}", {"workspace_id": acme}), 401)
    alice_web.refresh_from_db()
    assert alice_web.status == "active"


# --- delete -------------------------------------------------------------------


def test_delete_contract_removes_it(world, contracts, owner_api, api):
    alice_web, _bob_web, _alice_internal, globex = contracts
    acme = world.acme.id

    assert_error(api.as_user(world.team_manager).delete(f"contracts/{alice_web.id}", workspace_id=acme), 403)
    assert_error(api.delete(f"contracts/{alice_web.id}", workspace_id=acme), 401)
    assert_error(owner_api.delete(f"contracts/{globex.id}", workspace_id=acme), 404)
    body = assert_envelope(owner_api.delete(f"contracts/{alice_web.id}", workspace_id=acme))

    assert body["data"] is None
    assert body["message"] == "Contract deleted successfully"
    assert_error(owner_api.get(f"contracts/{alice_web.id}", workspace_id=acme), 404)
    assert_error(owner_api.delete(f"contracts/{alice_web.id}", workspace_id=acme), 404)
    assert Contract.objects.filter(pk=globex.id).exists()
