"""Sandbox API: workspaces and members."""

import pytest

from integrations.sandbox.models import Membership
from tests.integrations.sandbox.helpers import assert_envelope, assert_error

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


# --- workspaces ---------------------------------------------------------------


def test_workspaces_lists_every_workspace_of_the_caller_with_their_role(world, manager_api):
    body = assert_envelope(manager_api.get("workspaces"))

    assert [(w["workspace_name"], w["role"]) for w in body["data"]] == [
        ("Acme Studio", "Executive manager"),
        ("Globex Labs", "Regular User"),
    ]
    first = body["data"][0]
    assert first["id"] == world.acme.id
    assert first["owner_id"] == world.owner.id
    assert first["user_id"] == world.manager.id
    assert first["status"] == "active"
    assert "T" not in first["activated_at"]
    assert body["meta"]["pagination"] == {
        "total": 2,
        "per_page": 20,
        "current_page": 1,
        "last_page": 1,
        "from": 1,
        "to": 2,
    }


def test_requests_without_a_valid_token_are_401(world, api):
    missing = api.get("workspaces")
    wrong = api.request("GET", "workspaces", headers={"Authorization": "Bearer nope"})

    assert assert_error(missing, 401)["message"] == "Unauthenticated."
    assert assert_error(wrong, 401)["message"] == "Unauthenticated."


# --- members: list -----------------------------------------------------------


def test_member_list_shows_rates_only_to_callers_who_may_see_them(world, api):
    by_owner = assert_envelope(api.as_user(world.owner).get("members", workspace_id=world.acme.id))
    alice = next(m for m in by_owner["data"] if m["email"] == "alice@acme.test")
    assert alice["rate"] == 40
    assert alice["currency"] == "EUR"
    assert alice["current_role"] == "Regular User"
    assert alice["weekly_hours_limit"] == 40

    Membership.objects.filter(user=world.manager, workspace=world.acme).update(rate_status=0)
    by_manager = assert_envelope(api.as_user(world.manager).get("members", workspace_id=world.acme.id))
    alice = next(m for m in by_manager["data"] if m["email"] == "alice@acme.test")
    assert alice["rate"] is None


def test_member_list_filters_by_role_status_and_email(world, owner_api):
    acme = world.acme.id
    viewers = assert_envelope(owner_api.get("members", workspace_id=acme, role="Project viewer"))["data"]
    by_email = assert_envelope(owner_api.get("members", workspace_id=acme, email="BOB@acme.test"))["data"]
    inactive = assert_envelope(owner_api.get("members", workspace_id=acme, status="inactive"))["data"]

    assert [m["email"] for m in viewers] == ["client@northwind.test"]
    assert [m["id"] for m in by_email] == [world.bob.id]
    assert inactive == []


def test_member_list_paginates_with_bounds(world, owner_api):
    acme = world.acme.id
    page2 = assert_envelope(owner_api.get("members", workspace_id=acme, per_page=4, page=2))
    past_end = assert_envelope(owner_api.get("members", workspace_id=acme, per_page=4, page=9))

    assert len(page2["data"]) == 2
    assert page2["meta"]["pagination"] == {
        "total": 6,
        "per_page": 4,
        "current_page": 2,
        "last_page": 2,
        "from": 5,
        "to": 6,
    }
    assert past_end["data"] == []
    assert past_end["meta"]["pagination"]["from"] is None
    assert_error(owner_api.get("members", workspace_id=acme, per_page=101), 422, "per_page")
    assert_error(owner_api.get("members", workspace_id=acme, page=0), 422, "page")
    assert_error(owner_api.get("members", workspace_id=acme, status="sleeping"), 422, "status")


def test_member_list_needs_a_workspace_the_caller_manages(world, api):
    manager = api.as_user(world.manager)
    alice = api.as_user(world.alice)

    assert_error(manager.get("members"), 422, "workspace_id")
    assert_error(manager.get("members", workspace_id="acme"), 422, "workspace_id")
    # A regular user there, a stranger, or a workspace that does not exist: 403 alike.
    assert_error(manager.get("members", workspace_id=world.globex.id), 403)
    assert_error(alice.get("members", workspace_id=world.acme.id), 403)
    assert_error(manager.get("members", workspace_id=999999), 403)


# --- members: invite, get, update, archive --------------------------------------


def test_invite_creates_an_inactive_member_with_an_invitation_link(world, owner_api):
    response = owner_api.post(
        "members",
        {"email": "dana@acme.test", "firstname": "Dana", "lastname": "Kim", "role": "Regular User"},
        workspace_id=world.acme.id,  # R passes it in the query string
    )
    body = assert_envelope(response, 201)

    assert body["message"] == "Member invited successfully"
    assert body["data"]["invitation_link"].startswith("https://")
    member = assert_envelope(owner_api.get(f"members/{body['data']['user_id']}", workspace_id=world.acme.id))
    assert member["data"]["email"] == "dana@acme.test"
    assert member["data"]["status"] == "inactive"


def test_invite_accepts_workspace_id_in_the_body_and_refuses_bad_input(world, owner_api):
    acme = world.acme.id
    ok = owner_api.post(
        "members",
        {
            "workspace_id": acme,
            "email": "eve@acme.test",
            "firstname": "Eve",
            "lastname": "Lo",
            "role": "Team manager",
        },
    )
    assert_envelope(ok, 201)

    assert_error(
        owner_api.post("members", {"workspace_id": acme, "email": "not-an-email"}),
        422,
        "email",
        "firstname",
        "lastname",
        "role",
    )
    duplicate = owner_api.post(
        "members",
        {
            "workspace_id": acme,
            "email": "alice@acme.test",
            "firstname": "A",
            "lastname": "M",
            "role": "Regular User",
        },
    )
    # Inviting someone already in the workspace is a business rule's refusal: 400, as WebWork
    # answers "already tracking" (it documents no 409), with a message saying what to do instead.
    refused = assert_error(duplicate, 400)
    assert refused["error"] == "Bad Request"
    assert "errors" not in refused
    assert refused["message"] == (
        f"alice@acme.test is already a member of this workspace; change their role with "
        f"PUT /members/{world.alice.id} instead."
    )
    alice = Membership.objects.get(workspace=world.acme, user=world.alice)
    assert (alice.role, alice.status) == ("Regular User", "active")
    malformed = owner_api.request("POST", "members", raw_body="{nope", params={"workspace_id": acme})
    assert_error(malformed, 400)


def test_get_member_404s_for_someone_outside_the_workspace(world, owner_api):
    assert_error(owner_api.get(f"members/{world.globex_owner.id}", workspace_id=world.acme.id), 404)
    assert_error(owner_api.get("members/424242", workspace_id=world.acme.id), 404)


def test_update_member_changes_only_what_was_sent(world, owner_api):
    response = owner_api.put(
        f"members/{world.alice.id}",
        {"workspace_id": world.acme.id, "weekly_hours_limit": 30, "role": "Team manager", "rate_status": 1},
    )
    body = assert_envelope(response)

    assert body["message"] == "Member updated successfully"
    assert body["data"]["weekly_hours_limit"] == 30
    assert body["data"]["current_role"] == "Team manager"
    assert body["data"]["rate_status"] == 1
    assert body["data"]["firstname"] == "Alice"


def test_update_member_to_an_email_already_taken_is_a_422_naming_email(world, owner_api):
    """An email that belongs to another account is a field's value refused (422), not a 409."""
    acme = world.acme.id
    for taken in ("BOB@acme.test", world.globex_owner.email):  # a colleague's; another workspace's
        body = assert_error(
            owner_api.put(f"members/{world.alice.id}", {"workspace_id": acme, "email": taken}), 422, "email"
        )
        assert body["errors"] == {"email": ["The email has already been taken."]}
    assert_envelope(
        owner_api.put(f"members/{world.alice.id}", {"workspace_id": acme, "email": "ALICE@acme.test"})
    )
    world.alice.refresh_from_db()
    assert world.alice.email == "alice@acme.test"


def test_update_member_refuses_invalid_values(world, owner_api):
    acme = world.acme.id
    assert_error(
        owner_api.put(f"members/{world.alice.id}", {"workspace_id": acme, "role": "Owner"}), 422, "role"
    )
    assert_error(
        owner_api.put(f"members/{world.alice.id}", {"workspace_id": acme, "weekly_hours_limit": 500}),
        422,
        "weekly_hours_limit",
    )
    assert_error(
        owner_api.put(f"members/{world.alice.id}", {"workspace_id": acme, "timezone": "Mars/Base"}),
        422,
        "timezone",
    )
    assert_error(
        owner_api.put(f"members/{world.owner.id}", {"workspace_id": acme, "role": "Regular User"}),
        422,
        "role",
    )
    assert_error(owner_api.put("members/424242", {"workspace_id": acme}), 404)


def test_archive_member_keeps_them_listed_as_inactive(world, owner_api, api):
    acme = world.acme.id
    body = assert_envelope(owner_api.delete(f"members/{world.bob.id}", workspace_id=acme))
    assert body["data"] is None

    bob = assert_envelope(owner_api.get(f"members/{world.bob.id}", workspace_id=acme))["data"]
    assert bob["status"] == "inactive"
    assert bob["deleted_at"] is not None
    assert_error(owner_api.delete(f"members/{world.owner.id}", workspace_id=acme), 422)
    assert_error(api.as_user(world.alice).delete(f"members/{world.bob.id}", workspace_id=acme), 403)


def test_read_only_tokens_cannot_write(world, api):
    reader = api.as_user(world.owner, scope="read")

    assert_envelope(reader.get("members", workspace_id=world.acme.id))
    assert_error(reader.delete(f"members/{world.bob.id}", workspace_id=world.acme.id), 403)


def test_unsupported_methods_answer_405_in_the_envelope(world, owner_api):
    response = owner_api.request("PATCH", "members")

    assert_error(response, 405)
    assert response["Allow"] == "GET, POST"


def test_every_answer_carries_the_rate_limit_headers(world, owner_api):
    response = owner_api.get("workspaces")

    assert int(response["X-RateLimit-Limit"]) > 0
    assert int(response["X-RateLimit-Remaining"]) == int(response["X-RateLimit-Limit"]) - 1


def test_lists_and_objects_for_single_value_fields_are_422_not_500(world, owner_api):
    response = owner_api.post(
        "members",
        {
            "workspace_id": world.acme.id,
            "email": ["a@b.test"],
            "firstname": {"x": 1},
            "lastname": "L",
            "role": "Regular User",
        },
    )

    assert_error(response, 422, "email", "firstname")


def test_ids_too_large_for_the_database_are_404_not_500(world, owner_api):
    assert_error(owner_api.get(f"members/{10**20}", workspace_id=world.acme.id), 404)
