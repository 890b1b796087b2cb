"""Sandbox API: webhook registrations (list, create, get, update, delete)."""

from urllib.parse import urlencode

import pytest

from integrations.sandbox.models import Webhook
from tests.integrations.sandbox.helpers import assert_envelope, assert_error

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def hooks(world):
    acme = Webhook.objects.create(
        workspace=world.acme, url="https://hooks.acme.test/webwork", events=["tracker.started"]
    )
    globex = Webhook.objects.create(
        workspace=world.globex, url="https://hooks.globex.test/webwork", events=["project.created"]
    )
    return acme, globex


# --- list ---------------------------------------------------------------------


def test_webhook_list_shows_the_workspaces_registrations(world, hooks, owner_api):
    acme_hook, _ = hooks
    body = assert_envelope(owner_api.get("webhooks", workspace_id=world.acme.id))

    assert len(body["data"]) == 1
    listed = body["data"][0]
    assert listed["id"] == acme_hook.id
    assert listed["url"] == "https://hooks.acme.test/webwork"
    assert listed["events"] == ["tracker.started"]
    assert listed["token"] == acme_hook.token
    assert listed["token"].startswith("whsec_")
    assert body["meta"]["pagination"]["total"] == 1


def test_webhook_list_paginates_with_bounds(world, hooks, owner_api):
    acme = world.acme.id
    for n in range(3):
        Webhook.objects.create(
            workspace=world.acme, url=f"https://hooks.acme.test/{n}", events=["tracker.stopped"]
        )
    page = assert_envelope(owner_api.get("webhooks", workspace_id=acme, per_page=3, page=2))

    assert [w["url"] for w in page["data"]] == ["https://hooks.acme.test/2"]
    assert page["meta"]["pagination"] == {
        "total": 4,
        "per_page": 3,
        "current_page": 2,
        "last_page": 2,
        "from": 4,
        "to": 4,
    }
    assert_error(owner_api.get("webhooks", workspace_id=acme, per_page=101), 422, "per_page")
    assert_error(owner_api.get("webhooks", workspace_id=acme, page="first"), 422, "page")


def test_webhook_list_needs_a_token_and_a_managed_workspace(world, hooks, api):
    assert_error(api.get("webhooks", workspace_id=world.acme.id), 401)
    assert_error(api.as_user(world.alice).get("webhooks", workspace_id=world.acme.id), 403)
    assert_error(api.as_user(world.owner).get("webhooks", workspace_id=world.globex.id), 403)


# --- create -------------------------------------------------------------------


def test_create_webhook_answers_200_with_id_url_events_and_token(world, manager_api):
    response = manager_api.post(
        "webhooks",
        {
            "workspace_id": world.acme.id,
            "url": "https://dash.example.com/hooks/webwork",
            "events": ["tracker.started", "member.invited", "tracker.started"],
        },
    )
    body = assert_envelope(response, 200)

    created = body["data"]
    assert created["url"] == "https://dash.example.com/hooks/webwork"
    assert created["events"] == ["tracker.started", "member.invited"]
    assert created["token"].startswith("whsec_")
    assert created["id"]
    fetched = assert_envelope(manager_api.get(f"webhooks/{created['id']}", workspace_id=world.acme.id))
    assert fetched["data"] == created


@pytest.mark.parametrize(
    "fields",
    [
        [("events[]", "tracker.started"), ("events[]", "project.deleted")],
        [("events", "tracker.started,project.deleted")],
    ],
    ids=["repeated-brackets", "comma-list"],
)
def test_create_webhook_accepts_a_form_encoded_body(world, owner_api, fields):
    body = urlencode([("workspace_id", world.acme.id), ("url", "http://localhost:8000/hooks"), *fields])
    response = owner_api.request("POST", "webhooks", raw_body=body, content_type=FORM)

    created = assert_envelope(response)["data"]
    assert created["events"] == ["tracker.started", "project.deleted"]
    assert created["url"] == "http://localhost:8000/hooks"


def test_create_webhook_refuses_invalid_urls_and_events(world, owner_api):
    acme = world.acme.id

    def refused(*fields, **body):
        assert_error(owner_api.post("webhooks", {"workspace_id": acme, **body}), 422, *fields)

    refused("url", "events")
    refused("url", url="ftp://files.example.com/in", events=["tracker.started"])
    refused("url", url="not a url", events=["tracker.started"])
    refused("url", url="https://", events=["tracker.started"])
    refused("events", url="https://example.com/hook", events=[])
    refused("events", url="https://example.com/hook", events=["tracker.started", "invoice.paid"])
    form = urlencode({"workspace_id": acme, "url": "https://example.com/hook", "events": "tracker.paused"})
    body = assert_error(
        owner_api.request("POST", "webhooks", raw_body=form, content_type=FORM), 422, "events"
    )
    assert "tracker.paused" in body["message"]
    assert not Webhook.objects.filter(workspace=world.acme).exists()


def test_create_webhook_for_a_url_already_registered_is_a_422_naming_url(world, hooks, owner_api, api):
    """The url must be unique in the workspace: a field's value refused (422), not a 409."""
    acme_hook, _ = hooks
    request = {
        "workspace_id": world.acme.id,
        "url": "https://hooks.acme.test/webwork",
        "events": ["tracker.stopped"],
    }
    body = assert_error(owner_api.post("webhooks", request), 422, "url")
    assert body["errors"] == {
        "url": [
            f"Webhook {acme_hook.id} of this workspace already has this URL; update that webhook instead."
        ]
    }
    assert Webhook.objects.filter(workspace=world.acme).count() == 1

    # The same URL in another workspace is a separate registration.
    globex = api.as_user(world.globex_owner)
    assert_envelope(globex.post("webhooks", {**request, "workspace_id": world.globex.id}))


def test_create_webhook_is_for_owners_and_executive_managers(world, api):
    request = {
        "workspace_id": world.acme.id,
        "url": "https://example.com/hook",
        "events": ["tracker.started"],
    }
    assert_error(api.post("webhooks", request), 401)
    assert_error(api.as_user(world.team_manager).post("webhooks", request), 403)
    assert_error(api.as_user(world.globex_owner).post("webhooks", request), 403)
    assert not Webhook.objects.exists()


# --- get ----------------------------------------------------------------------


def test_get_webhook_404s_outside_the_workspace(world, hooks, owner_api, api):
    acme_hook, globex_hook = hooks
    body = assert_envelope(owner_api.get(f"webhooks/{acme_hook.id}", workspace_id=world.acme.id))

    assert body["data"]["id"] == acme_hook.id
    assert_error(owner_api.get(f"webhooks/{globex_hook.id}", workspace_id=world.acme.id), 404)
    assert_error(owner_api.get("webhooks/abc123def456", workspace_id=world.acme.id), 404)
    assert_error(api.get(f"webhooks/{acme_hook.id}", workspace_id=world.acme.id), 401)
    assert_error(api.as_user(world.bob).get(f"webhooks/{acme_hook.id}", workspace_id=world.acme.id), 403)


# --- update -------------------------------------------------------------------


def test_update_webhook_changes_url_and_keeps_events_not_sent(world, hooks, owner_api):
    acme_hook, _ = hooks
    response = owner_api.put(
        f"webhooks/{acme_hook.id}", {"workspace_id": world.acme.id, "url": "https://hooks.acme.test/v2"}
    )
    body = assert_envelope(response)

    assert body["success"] is True
    assert body["data"]["url"] == "https://hooks.acme.test/v2"
    assert body["data"]["events"] == ["tracker.started"]
    assert body["data"]["token"] == acme_hook.token
    fetched = assert_envelope(owner_api.get(f"webhooks/{acme_hook.id}", workspace_id=world.acme.id))["data"]
    assert fetched["url"] == "https://hooks.acme.test/v2"


def test_update_webhook_replaces_events_from_a_form_body(world, hooks, owner_api):
    acme_hook, _ = hooks
    form = urlencode(
        [
            ("workspace_id", world.acme.id),
            ("url", acme_hook.url),
            ("events[]", "tracker.stopped"),
            ("events[]", "member.archived"),
        ]
    )
    body = assert_envelope(
        owner_api.request("PUT", f"webhooks/{acme_hook.id}", raw_body=form, content_type=FORM)
    )

    assert body["data"]["events"] == ["tracker.stopped", "member.archived"]


def test_update_webhook_refuses_invalid_input_duplicates_and_strangers(world, hooks, owner_api, api):
    acme_hook, globex_hook = hooks
    other = Webhook.objects.create(
        workspace=world.acme, url="https://hooks.acme.test/other", events=["tracker.started"]
    )
    acme = {"workspace_id": world.acme.id}
    url = f"webhooks/{acme_hook.id}"

    assert_error(owner_api.put(url, {**acme, "events": ["tracker.stopped"]}), 422, "url")
    assert_error(owner_api.put(url, {**acme, "url": acme_hook.url, "events": []}), 422, "events")
    assert_error(owner_api.put(url, {**acme, "url": acme_hook.url, "events": ["nope"]}), 422, "events")
    taken = assert_error(owner_api.put(url, {**acme, "url": other.url}), 422, "url")
    assert taken["errors"]["url"] == [
        f"Webhook {other.id} of this workspace already has this URL; update that webhook instead."
    ]
    assert_error(owner_api.put(f"webhooks/{globex_hook.id}", {**acme, "url": "https://x.test/"}), 404)
    assert_error(api.put(url, {**acme, "url": "https://x.test/"}), 401)
    assert_error(api.as_user(world.alice).put(url, {**acme, "url": "https://x.test/"}), 403)
    acme_hook.refresh_from_db()
    assert (acme_hook.url, acme_hook.events) == ("https://hooks.acme.test/webwork", ["tracker.started"])


# --- delete -------------------------------------------------------------------


def test_delete_webhook_removes_the_registration(world, hooks, owner_api):
    acme_hook, _ = hooks
    body = assert_envelope(owner_api.delete(f"webhooks/{acme_hook.id}", workspace_id=world.acme.id))

    assert body["data"] is None
    assert body["message"]
    assert assert_envelope(owner_api.get("webhooks", workspace_id=world.acme.id))["data"] == []
    assert_error(owner_api.delete(f"webhooks/{acme_hook.id}", workspace_id=world.acme.id), 404)


def test_delete_webhook_refuses_strangers(world, hooks, owner_api, api):
    acme_hook, globex_hook = hooks
    assert_error(owner_api.delete(f"webhooks/{globex_hook.id}", workspace_id=world.acme.id), 404)
    assert_error(api.delete(f"webhooks/{acme_hook.id}", workspace_id=world.acme.id), 401)
    assert_error(
        api.as_user(world.globex_owner).delete(f"webhooks/{acme_hook.id}", workspace_id=world.acme.id), 403
    )
    assert Webhook.objects.count() == 2


def test_values_of_the_wrong_json_type_are_422_not_a_crash(world, hooks, owner_api):
    acme_hook, _ = hooks
    odd = {
        "workspace_id": world.acme.id,
        "url": ["https://example.com/hook"],
        "events": [{"name": "tracker.started"}],
    }
    assert_error(owner_api.post("webhooks", odd), 422, "url")
    assert_error(owner_api.post("webhooks", {**odd, "url": "https://example.com/h"}), 422, "events")
    assert_error(owner_api.put(f"webhooks/{acme_hook.id}", {**odd, "events": "tracker.started"}), 422, "url")
    assert_error(
        owner_api.post("webhooks", {**odd, "url": "https://example.com/h", "events": 7}), 422, "events"
    )
