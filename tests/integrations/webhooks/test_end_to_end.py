"""The sandbox delivers to our intake over real HTTP (a live server): register on connect, change
things at WebWork, and the mirror follows through the webhook alone."""

import pytest
from django.utils import timezone
from django_q.conf import Conf

from integrations.connections import connection_from_personal_token, workspace_client
from integrations.models import Member, RunningTracker, WebhookDelivery, Workspace
from integrations.sandbox import models as sandbox
from integrations.sandbox.tokens import personal_token_issue
from integrations.sync.base import SyncContext
from integrations.sync.members import sync_members
from integrations.webhooks.processing import process_delivery
from integrations.webhooks.registration import webhook_register

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)

Status = WebhookDelivery.Status


@pytest.fixture
def connected(world, live_server, settings, monkeypatch):
    """Acme connected by its owner's personal access token, Clockroom and the sandbox served by a live
    server, its members mirrored and our webhook registered through the live URL; tasks run inline."""
    settings.WEBWORK_PUBLIC_BASE_URL = live_server.url
    settings.WEBWORK_API_BASE_URL = f"{live_server.url}/sandbox/api/v2"
    raw_token, _ = personal_token_issue(user=world.owner)
    connection_from_personal_token(token=raw_token)
    workspace = Workspace.objects.get(webwork_id=world.acme.id)
    workspace.connected_at = timezone.now()
    workspace.save()
    with workspace_client(workspace) as client:
        sync_members(SyncContext(workspace=workspace, client=client))
        webhook_register(workspace, client)
    monkeypatch.setattr(Conf, "SYNC", True)
    workspace.refresh_from_db()
    return workspace


def test_the_sandbox_delivers_to_our_intake_and_the_mirror_follows(world, connected, live_server):
    hook = sandbox.Webhook.objects.get(workspace=world.acme)
    assert hook.url == f"{live_server.url}/integrations/webhooks/{connected.webhook_uuid}/"

    membership = sandbox.Membership.objects.get(workspace=world.acme, user=world.alice)
    membership.title = "Lead designer"
    membership.save()  # the sandbox's signal queues a delivery; its task runs inline and posts to us

    sent = sandbox.WebhookDelivery.objects.get(webhook=hook)
    assert sent.status == "delivered", list(sent.attempt_log.values_list("error", flat=True))
    ours = WebhookDelivery.objects.get(workspace=connected)
    assert (ours.event, ours.event_id) == ("member.updated", str(sent.event_id))
    assert "token" not in ours.body

    assert process_delivery(ours) == Status.PROCESSED  # already applied by its task: unchanged
    ours.refresh_from_db()
    assert (ours.status, ours.attempts, ours.error) == (Status.PROCESSED, 1, "")
    alice = Member.objects.get(workspace=connected, webwork_id=str(world.alice.id))
    assert alice.title == "Lead designer"


def test_a_duplicated_delivery_is_applied_once_and_trackers_show_who_works(world, connected):
    sandbox.FaultSettings.objects.create(pk=1, webhook_duplicate_rate=1.0)

    tracker = sandbox.RunningTracker.objects.create(workspace=world.acme, user=world.bob)

    first, second = WebhookDelivery.objects.filter(workspace=connected).order_by("pk")
    assert first.event_id == second.event_id
    assert (first.status, second.status) == (Status.PROCESSED, Status.IGNORED)
    running = RunningTracker.objects.current().get(workspace=connected)
    assert running.member.email == "bob@acme.test"

    tracker.delete()

    assert not RunningTracker.objects.current().filter(workspace=connected).exists()
    statuses = list(WebhookDelivery.objects.filter(event="tracker.stopped").values_list("status", flat=True))
    assert sorted(statuses) == [Status.IGNORED, Status.PROCESSED]
