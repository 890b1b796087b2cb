"""Registering Clockroom's webhook at WebWork on connect (once, for every event) and removing it on
disconnect."""

import pytest

from integrations.models import WebhookRegistration, Workspace
from integrations.sandbox import models as sandbox
from integrations.webhooks.registration import webhook_register, webhook_unregister, webhook_url

from .conftest import event_body

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

ALL_EVENTS = {
    "tracker.started",
    "tracker.stopped",
    "member.invited",
    "member.updated",
    "member.deleted",
    "member.activated",
    "member.archived",
    "project.created",
    "project.updated",
    "project.deleted",
}


@pytest.fixture
def public_url(settings):
    settings.WEBWORK_PUBLIC_BASE_URL = "https://clockroom.example.com"
    return settings


def test_connecting_registers_one_webhook_for_all_ten_events_at_our_intake(
    world, workspace, owner_client, public_url
):
    registration = webhook_register(workspace, owner_client)

    hook = sandbox.Webhook.objects.get(workspace=world.acme)
    assert hook.url == f"https://clockroom.example.com/integrations/webhooks/{workspace.webhook_uuid}/"
    assert set(hook.events) == ALL_EVENTS
    stored = Workspace.objects.get(pk=workspace.pk)
    assert stored.webhook_webwork_id == hook.id
    assert stored.webhook_token == hook.token
    assert (registration.webwork_id, registration.url, set(registration.events)) == (
        hook.id,
        hook.url,
        ALL_EVENTS,
    )
    assert hook.token not in str(registration.raw)


def test_registering_again_reuses_the_registration(world, workspace, owner_client, public_url):
    webhook_register(workspace, owner_client)
    first = sandbox.Webhook.objects.get(workspace=world.acme)
    requests_before = owner_client.requests_made

    webhook_register(workspace, owner_client)

    assert list(sandbox.Webhook.objects.filter(workspace=world.acme)) == [first]
    assert owner_client.requests_made == requests_before + 1  # the list only: nothing to change
    assert Workspace.objects.get(pk=workspace.pk).webhook_webwork_id == first.id
    assert WebhookRegistration.objects.filter(workspace=workspace).count() == 1


def test_a_registration_already_at_our_url_is_brought_up_to_date_not_duplicated(
    world, workspace, owner_client, public_url
):
    existing = sandbox.Webhook.objects.create(
        workspace=world.acme, url=webhook_url(workspace), events=["tracker.started"]
    )
    theirs = sandbox.Webhook.objects.create(
        workspace=world.acme, url="https://example.com/hook", events=["member.updated"]
    )

    webhook_register(workspace, owner_client)

    assert set(sandbox.Webhook.objects.filter(workspace=world.acme)) == {existing, theirs}
    existing.refresh_from_db()
    assert set(existing.events) == ALL_EVENTS
    assert Workspace.objects.get(pk=workspace.pk).webhook_token == existing.token
    theirs.refresh_from_db()
    assert (theirs.url, theirs.events) == ("https://example.com/hook", ["member.updated"])


def test_a_new_public_address_moves_the_registration(world, workspace, owner_client, settings):
    settings.WEBWORK_PUBLIC_BASE_URL = "https://old.example.com"
    webhook_register(workspace, owner_client)
    settings.WEBWORK_PUBLIC_BASE_URL = "https://new.example.com/"

    webhook_register(workspace, owner_client)

    hook = sandbox.Webhook.objects.get(workspace=world.acme)
    assert hook.url == f"https://new.example.com/integrations/webhooks/{workspace.webhook_uuid}/"
    assert Workspace.objects.get(pk=workspace.pk).webhook_webwork_id == hook.id


def test_disconnecting_removes_the_webhook_and_the_intake_refuses_its_token(
    world, workspace, registered, owner_client, deliver
):
    old_token = workspace.webhook_token

    assert webhook_unregister(workspace, owner_client) == 1

    assert not sandbox.Webhook.objects.filter(workspace=world.acme).exists()
    stored = Workspace.objects.get(pk=workspace.pk)
    assert (stored.webhook_webwork_id, stored.webhook_token) == ("", "")
    assert WebhookRegistration.objects.get(webwork_id=registered.id).removed_at is not None
    body = event_body(workspace, "tracker.stopped", {"user_id": world.alice.id}, event_id="late")
    assert deliver({**body, "token": old_token}, header=old_token).status_code == 401


def test_disconnecting_when_webwork_already_dropped_it_is_fine(world, workspace, registered, owner_client):
    sandbox.Webhook.objects.filter(pk=registered.pk).delete()

    assert webhook_unregister(workspace, owner_client) == 0

    assert Workspace.objects.get(pk=workspace.pk).webhook_webwork_id == ""


def test_disconnecting_without_a_stored_id_finds_ours_by_its_address(world, workspace, owner_client):
    sandbox.Webhook.objects.create(
        workspace=world.acme, url=webhook_url(workspace), events=["tracker.started"]
    )
    theirs = sandbox.Webhook.objects.create(
        workspace=world.acme, url="https://example.com/hook", events=["x"]
    )

    assert webhook_unregister(workspace, owner_client) == 1

    assert list(sandbox.Webhook.objects.filter(workspace=world.acme)) == [theirs]
