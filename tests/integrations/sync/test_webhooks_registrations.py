"""Syncing webhook registrations: mirrored without their secret token."""

import json

import pytest

from integrations.models import SyncRun, WebhookRegistration
from integrations.sandbox import models as sandbox
from integrations.sync.webhooks import registration_events, sync_webhook_registrations
from integrations.webwork.errors import ServerError
from tests.integrations.convergence import assert_converged

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def hooks(world):
    def hook(url, events, workspace=None):
        return sandbox.Webhook.objects.create(
            workspace=workspace or world.acme, created_by=world.owner, url=url, events=events
        )

    return {
        "ours": hook(
            "https://clockroom.test/integrations/webhooks/abc/", ["tracker.started", "tracker.stopped"]
        ),
        "theirs": hook("https://example.com/hook", ["member.updated"]),
        "globex": hook("https://globex.test/hook", ["project.created"], workspace=world.globex),
    }


def test_a_first_sync_mirrors_every_registration_without_its_token(hooks, mirror_workspace, sync_context):
    stats = sync_webhook_registrations(sync_context)

    assert_converged(mirror_workspace, "webhook_registrations")
    assert (stats.created, stats.pages) == (2, 1)
    ours = WebhookRegistration.objects.get(webwork_id=hooks["ours"].id)
    assert ours.events == ["tracker.started", "tracker.stopped"]
    stored = json.dumps(list(WebhookRegistration.objects.values_list("raw", flat=True)))
    assert hooks["ours"].token not in stored
    assert hooks["theirs"].token not in stored
    assert SyncRun.objects.get(resource="webhook_registrations").requests == 1


def test_changes_and_removals_converge_on_the_next_sync(world, hooks, mirror_workspace, sync_context):
    sync_webhook_registrations(sync_context)
    sandbox.Webhook.objects.filter(pk=hooks["ours"].pk).update(events=["tracker.started"])
    sandbox.Webhook.objects.filter(pk=hooks["theirs"].pk).delete()
    sandbox.Webhook.objects.create(
        workspace=world.acme, url="https://new.test/hook", events=["project.deleted"]
    )

    stats = sync_webhook_registrations(sync_context)

    assert_converged(mirror_workspace, "webhook_registrations")
    assert (stats.created, stats.updated, stats.removed) == (1, 1, 1)
    assert WebhookRegistration.objects.get(webwork_id=hooks["theirs"].id).removed_at is not None


def test_a_failed_sync_keeps_the_previous_state_and_a_clean_resync_converges(
    hooks, mirror_workspace, sync_context
):
    sync_webhook_registrations(sync_context)
    sandbox.Webhook.objects.filter(pk=hooks["theirs"].pk).delete()
    sandbox.FaultSettings.objects.create(pk=1, server_error_rate=1.0)

    with pytest.raises(ServerError):
        sync_webhook_registrations(sync_context)

    assert WebhookRegistration.objects.current().count() == 2
    assert SyncRun.objects.get(resource="webhook_registrations", status="failed").error.startswith(
        "ServerError"
    )

    sandbox.FaultSettings.objects.filter(pk=1).update(server_error_rate=0)
    sync_webhook_registrations(sync_context)
    assert_converged(mirror_workspace, "webhook_registrations")


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (["member.updated", None, "", "project.created"], ["member.updated", "project.created"]),
        ("member.updated, project.created", ["member.updated", "project.created"]),
        (None, []),
        ({"member.updated": True}, []),
    ],
)
def test_registration_events_reads_a_list_or_a_comma_separated_string(events, expected):
    assert registration_events({"id": "w1", "events": events}) == expected
