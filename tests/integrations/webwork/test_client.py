"""The WebWork client against the sandbox: envelope, pagination, typed errors, refresh, retries."""

import time

import pytest

from integrations.sandbox.models import FaultSettings
from integrations.sandbox.tokens import access_token_issue
from integrations.webwork import errors
from integrations.webwork.ratelimit import MemoryBudgetStore, RateLimiter

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_unwraps_the_envelope(world, make_client):
    client = make_client(world.owner)

    result = client.get("workspaces")

    assert [w["workspace_name"] for w in result.data] == ["Acme Studio"]
    assert result.pagination["total"] == 1
    assert result.status == 200
    assert client.requests_made == 1


def test_iterates_every_page_at_the_size_asked(world, make_client):
    client = make_client(world.owner)

    members = list(client.iter_items("members", {"workspace_id": world.acme.id}, per_page=4))

    assert sorted(m["email"] for m in members) == sorted(
        [
            "owner@acme.test",
            "manager@acme.test",
            "lead@acme.test",
            "alice@acme.test",
            "bob@acme.test",
            "client@northwind.test",
        ]
    )
    assert client.requests_made == 2


def test_failures_are_typed_by_status(world, make_client):
    client = make_client(world.owner)
    acme = world.acme.id

    with pytest.raises(errors.ValidationError) as invalid:
        client.workspace_request("POST", "members", acme, json={"email": "not-an-email"})
    with pytest.raises(errors.NotFoundError):
        client.get("members/424242", {"workspace_id": acme})
    with pytest.raises(errors.ForbiddenError):
        client.get("members", {"workspace_id": world.globex.id})
    with pytest.raises(errors.BadRequestError):
        client.workspace_request(
            "POST",
            "members",
            acme,
            json={"email": "alice@acme.test", "firstname": "A", "lastname": "M", "role": "Regular User"},
        )

    assert {"email", "firstname", "lastname", "role"} <= set(invalid.value.field_errors)
    assert "email" in invalid.value.message


def test_a_401_refreshes_once_and_retries_once(world, make_client):
    fresh, _ = access_token_issue(user=world.owner)
    token = {"value": "expired-token"}
    refreshes = []

    def refresh():
        refreshes.append(1)
        token["value"] = fresh
        return fresh

    client = make_client(world.owner, get_token=lambda: token["value"], refresh_token=refresh)

    assert client.get("workspaces").data[0]["workspace_name"] == "Acme Studio"
    assert refreshes == [1]
    assert client.requests_made == 2


def test_a_second_401_after_refreshing_is_an_auth_error(world, make_client):
    refreshes = []
    client = make_client(
        world.owner, get_token=lambda: "still-wrong", refresh_token=lambda: refreshes.append(1)
    )

    with pytest.raises(errors.AuthError):
        client.get("workspaces")
    assert refreshes == [1]
    assert client.requests_made == 2


def test_server_errors_are_retried_for_reads_but_not_for_creates(world, make_client):
    FaultSettings.objects.create(pk=1, server_error_rate=1.0)
    client = make_client(world.owner, max_retries=3)

    with pytest.raises(errors.ServerError):
        client.get("members", {"workspace_id": world.acme.id})
    assert client.requests_made == 4

    client.requests_made = 0
    with pytest.raises(errors.ServerError):
        client.workspace_request("POST", "members", world.acme.id, json={})
    assert client.requests_made == 1


def test_a_429_is_waited_out_and_retried(world, make_client, settings):
    import time_machine

    settings.SANDBOX_RATE_LIMIT_PER_MINUTE = 2
    with time_machine.travel("2026-11-02 10:00:00+00:00", tick=False) as clock:
        slept = []

        def sleep(seconds):
            slept.append(seconds)
            clock.shift(seconds)

        client = make_client(world.owner, sleep=sleep)
        for _ in range(3):
            assert client.get("workspaces").status == 200

    assert client.rate_limited == 1
    assert len(slept) == 1
    assert 55 <= slept[0] <= 60


def test_a_request_whose_token_cannot_be_had_is_neither_counted_nor_spends_budget(world, make_client):
    def no_token():
        raise errors.AuthError("This WebWork connection needs sign-in again.")

    store = MemoryBudgetStore()
    limiter = RateLimiter("user:1", store=store, limit=60, sleep=lambda seconds: None)
    client = make_client(world.owner, get_token=no_token, limiter=limiter)

    with pytest.raises(errors.AuthError):
        client.get("workspaces")
    assert client.requests_made == 0
    assert store.reserve("user:1", time.time(), 1, 60.0) == 0  # the window is still empty
