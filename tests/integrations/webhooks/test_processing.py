"""Applying deliveries to the mirror: re-read from the sandbox, once per event, in order, and
failures kept for replay."""

import json

import pytest
from django.utils import timezone

from integrations.models import Connection, Member, Project, RunningTracker, WebhookDelivery
from integrations.sandbox import models as sandbox
from integrations.sync.base import SyncContext
from integrations.sync.members import sync_members
from integrations.sync.projects import sync_projects
from integrations.webhooks.handlers import Event, project_changed, tracker_started, tracker_stopped
from integrations.webhooks.processing import process_delivery
from integrations.webhooks.tasks import process_webhook_delivery_task, requeue_stale_webhook_deliveries_task
from tests.integrations.helpers import queue_purge, queued_tasks
from tests.sandbox_world import sync_connection_for

from .conftest import event_body, minutes_ago, stored

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

Status = WebhookDelivery.Status


@pytest.fixture
def synced(world, workspace, registered, owner_client, wire):
    """Acme's members and projects mirrored, with our webhook registered; Clockroom reads Acme
    again through its Owner's sign-in."""
    sync_connection_for(workspace, world.owner)
    context = SyncContext(workspace=workspace, client=owner_client)
    sync_members(context)
    sync_projects(context)
    return workspace


def received(deliver, body):
    response = deliver(body)
    assert response.status_code == 202, response.content
    return WebhookDelivery.objects.get(pk=response.json()["delivery"])


def post_all(deliver, payloads):
    return [received(deliver, payload) for payload in payloads]


def status_of(delivery):
    delivery.refresh_from_db()
    return delivery.status


# --- Members and projects: read again from WebWork --------------------------------------------


def test_a_member_update_is_read_again_from_webwork_and_upserted(
    world, synced, deliver, sandbox_events, owner_client, wire
):
    membership = sandbox.Membership.objects.get(workspace=world.acme, user=world.alice)
    with sandbox_events() as sent:
        membership.title = "Lead designer"
        membership.save()
    # A later change the event's own snapshot does not hold: the re-read brings it too.
    sandbox.Membership.objects.filter(pk=membership.pk).update(team_name="Design")
    [delivery] = post_all(deliver, sent)
    assert delivery.event == "member.updated"
    requests_before = wire.sent

    assert process_delivery(delivery) == Status.PROCESSED

    alice = Member.objects.get(workspace=synced, webwork_id=str(world.alice.id))
    assert (alice.title, alice.team_name) == ("Lead designer", "Design")
    assert wire.sent == requests_before + 1
    delivery.refresh_from_db()
    assert delivery.processed_at is not None
    assert delivery.attempts == 1
    assert "read again" in delivery.note


def test_an_invited_member_appears_and_a_deleted_one_is_marked_removed(
    world, synced, deliver, sandbox_events, owner_client
):
    newcomer = sandbox.SandboxUser.objects.create(email="nina@acme.test", firstname="Nina", lastname="Park")
    with sandbox_events() as sent:
        sandbox.Membership.objects.create(workspace=world.acme, user=newcomer, role="Regular User")
        sandbox.Membership.objects.filter(workspace=world.acme, user=world.bob).get().delete()
    deliveries = post_all(deliver, sent)
    assert [d.event for d in deliveries] == ["member.invited", "member.deleted"]

    assert [process_delivery(d) for d in deliveries] == [Status.PROCESSED] * 2

    nina = Member.objects.current().get(workspace=synced, webwork_id=str(newcomer.id))
    assert (nina.email, nina.firstname, nina.role) == ("nina@acme.test", "Nina", "Regular User")
    bob = Member.objects.get(workspace=synced, webwork_id=str(world.bob.id))
    assert bob.removed_at is not None
    assert not Member.objects.current().filter(pk=bob.pk).exists()


def test_an_archived_member_stays_in_the_mirror_as_webwork_still_lists_it(
    world, synced, deliver, sandbox_events, owner_client
):
    membership = sandbox.Membership.objects.get(workspace=world.acme, user=world.bob)
    with sandbox_events() as sent:
        membership.deleted_at = timezone.now()
        membership.status = "inactive"
        membership.save()
    [delivery] = post_all(deliver, sent)
    assert delivery.event == "member.archived"

    process_delivery(delivery)

    bob = Member.objects.current().get(workspace=synced, webwork_id=str(world.bob.id))
    assert bob.archived_at is not None
    assert bob.status == "inactive"


def test_project_events_create_update_and_remove_projects(
    world, synced, deliver, sandbox_events, owner_client
):
    with sandbox_events() as sent:
        website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
        pilot = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Pilot")
    for delivery in post_all(deliver, sent):
        process_delivery(delivery)
    assert set(Project.objects.current().filter(workspace=synced).values_list("name", flat=True)) == {
        "Website",
        "Pilot",
    }

    pilot_id = pilot.id
    with sandbox_events() as sent_later:
        website.name = "Website relaunch"
        website.save()
        pilot.delete()
    for delivery in post_all(deliver, sent_later):
        process_delivery(delivery)

    assert [p["event"] for p in [*sent, *sent_later]] == [
        "project.created",
        "project.created",
        "project.updated",
        "project.deleted",
    ]
    assert (
        Project.objects.current().get(workspace=synced, webwork_id=str(website.id)).name == "Website relaunch"
    )
    assert Project.objects.get(workspace=synced, webwork_id=str(pilot_id)).removed_at is not None
    assert {d.status for d in stored()} == {Status.PROCESSED}


def test_an_archived_project_stays_in_the_mirror_archived(
    world, synced, deliver, sandbox_events, owner_client
):
    project = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Old site")
    sync_projects(SyncContext(workspace=synced, client=owner_client))
    with sandbox_events() as sent:
        project.status = sandbox.Project.Status.ARCHIVED
        project.save()
    [delivery] = post_all(deliver, sent)
    assert delivery.event == "project.deleted"

    assert process_delivery(delivery) == Status.PROCESSED

    archived = Project.objects.current().get(workspace=synced, webwork_id=str(project.id))
    assert archived.status == 0


# --- Once, and in order ------------------------------------------------------------------------


def test_an_event_sent_twice_is_applied_once(world, synced, deliver, sandbox_events, owner_client, wire):
    membership = sandbox.Membership.objects.get(workspace=world.acme, user=world.alice)
    with sandbox_events() as sent:
        membership.title = "Art director"
        membership.save()
    first, second = post_all(deliver, [sent[0], sent[0]])
    assert first.event_id == second.event_id
    process_delivery(first)
    alice = Member.objects.get(workspace=synced, webwork_id=str(world.alice.id))
    requests_before = wire.sent

    assert process_delivery(second) == Status.IGNORED

    second.refresh_from_db()
    assert second.note == f"Duplicate: this event was already applied by delivery #{first.pk}."
    assert wire.sent == requests_before
    unchanged = Member.objects.get(pk=alice.pk)
    assert (unchanged.title, unchanged.synced_at) == ("Art director", alice.synced_at)
    assert [status_of(first), status_of(second)] == [Status.PROCESSED, Status.IGNORED]


def test_replaying_a_processed_delivery_changes_nothing(world, synced, deliver, owner_client, wire):
    body = event_body(synced, "member.updated", {"id": world.alice.id}, event_id="evt-replayed")
    delivery = received(deliver, body)
    process_delivery(delivery)
    delivery.refresh_from_db()
    requests_before = wire.sent

    assert process_delivery(delivery) == Status.PROCESSED

    again = WebhookDelivery.objects.get(pk=delivery.pk)
    assert (again.attempts, again.processed_at, again.note) == (1, delivery.processed_at, delivery.note)
    assert wire.sent == requests_before


def test_an_older_member_update_after_a_newer_one_does_not_overwrite(
    world, synced, deliver, owner_client, wire
):
    alice = sandbox.SandboxUser.objects.get(pk=world.alice.id)
    older = event_body(synced, "member.updated", {"id": alice.id, "firstname": "Alicia"}, event_id="evt-1")
    older["timestamp"] = minutes_ago(3).strftime("%Y-%m-%dT%H:%M:%SZ")
    alice.firstname = "Ally"
    alice.save()
    newer = event_body(synced, "member.updated", {"id": alice.id, "firstname": "Ally"}, event_id="evt-2")
    newer_delivery, older_delivery = post_all(deliver, [newer, older])
    process_delivery(newer_delivery)
    requests_before = wire.sent

    assert process_delivery(older_delivery) == Status.IGNORED

    assert Member.objects.get(workspace=synced, webwork_id=str(alice.id)).firstname == "Ally"
    assert wire.sent == requests_before
    older_delivery.refresh_from_db()
    assert older_delivery.note.startswith(f"Older than the mirror's member {alice.id}")


def test_an_event_older_than_the_last_sync_is_ignored(world, synced, deliver, owner_client):
    body = event_body(synced, "project.updated", {"id": 999}, event_id="evt-old", at=minutes_ago(10))
    project = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Synced")
    sync_projects(SyncContext(workspace=synced, client=owner_client))
    body["data"]["id"] = project.id

    assert process_delivery(received(deliver, body)) == Status.IGNORED


# --- Who is working now ------------------------------------------------------------------------


def start_tracker(world, user, project=None):
    return sandbox.RunningTracker.objects.create(
        workspace=world.acme, user=user, project=project, activity_description="Wireframes"
    )


def test_tracker_events_update_who_is_working_now(world, synced, deliver, sandbox_events):
    project = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    Project.objects.create(workspace=synced, webwork_id=str(project.id), name="Website")
    with sandbox_events() as started:
        tracker = start_tracker(world, world.alice, project)
    [delivery] = post_all(deliver, started)

    # Tracker events carry what they need: no WebWork client is made for them.
    assert process_webhook_delivery_task(delivery.pk) == Status.PROCESSED

    running = RunningTracker.objects.current().get(workspace=synced)
    assert running.webwork_id == str(world.alice.id)
    assert running.member == Member.objects.get(workspace=synced, webwork_id=str(world.alice.id))
    assert running.project.name == "Website"
    assert running.activity_description == "Wireframes"
    assert running.started_at == tracker.started_at.replace(microsecond=0)
    delivery.refresh_from_db()
    assert delivery.note.startswith(f"Member {world.alice.id} is working since ")

    with sandbox_events() as stopped:
        tracker.delete()
    [delivery] = post_all(deliver, stopped)
    assert process_delivery(delivery) == Status.PROCESSED

    assert not RunningTracker.objects.current().filter(workspace=synced).exists()


@pytest.mark.parametrize(
    ("event", "data", "note"),
    [
        ("tracker.started", {"user_id": 5, "start_time": "2026-13-45T10:00:00Z"}, "no start time"),
        ("tracker.started", {"user_id": 5, "start_time": "0001-01-01T00:00:00+01:00"}, "no start time"),
        ("tracker.stopped", {"start_time": "2026-03-02T25:00:00Z"}, "names no member"),
        ("member.updated", {"id": "2026-02-30T10:00:00Z"}, "names no member"),
    ],
    ids=["impossible-start", "start-before-year-1", "no-member-impossible-start", "date-for-an-id"],
)
def test_a_stored_delivery_with_unreadable_values_is_ignored_with_a_note(synced, event, data, note):
    """A delivery stored before the intake refused such values (or replayed from the admin): the
    values are read as absent, and the delivery says why it changed nothing."""
    body = {"id": f"evt-{event}", "event": event, "workspace_id": synced.webwork_id, "data": data}
    delivery = WebhookDelivery.objects.create(
        workspace=synced, event_id=body["id"], event=event, body=json.loads(json.dumps(body))
    )

    assert process_delivery(delivery) == Status.IGNORED

    delivery.refresh_from_db()
    assert note in delivery.note
    assert not RunningTracker.objects.filter(workspace=synced).exists()


def test_unreadable_text_and_moments_in_a_tracker_event_are_applied_safely(world, synced):
    """Handlers read payload values as the syncs do: an unpaired surrogate becomes U+FFFD, an
    impossible stop time falls back to when the event happened."""
    at = timezone.now().replace(microsecond=0)
    started = Event(
        workspace=synced,
        name="tracker.started",
        data={
            "user_id": world.alice.id,
            "start_time": "2026-03-02T09:30:00Z",
            "activity_description": "Fix \ud800",
        },
        at=at,
        client=None,
    )
    tracker_started(started).apply()
    running = RunningTracker.objects.current().get(workspace=synced)
    assert running.activity_description == "Fix \ufffd"

    stopped = Event(
        workspace=synced,
        name="tracker.stopped",
        data={
            "user_id": world.alice.id,
            "start_time": "2026-03-02T09:30:00Z",
            "stopped_at": "2026-03-02T25:00:00Z",
        },
        at=at,
        client=None,
    )
    tracker_stopped(stopped).apply()
    assert RunningTracker.objects.get(workspace=synced).removed_at == at

    # Ids that are not WebWork's numbers name nobody: nothing to change.
    for handler, data in ((tracker_started, {"user_id": "\ud800"}), (project_changed, {"id": "\ud800"})):
        outcome = handler(Event(workspace=synced, name="", data=data, at=at, client=None))
        assert outcome.ignored
        assert "names no" in outcome.note


def test_a_stop_that_arrives_before_its_start_leaves_nobody_working(world, synced, deliver, sandbox_events):
    with sandbox_events() as sent:
        tracker = start_tracker(world, world.bob)
        tracker.delete()
    started, stopped = post_all(deliver, sent)
    assert (started.event, stopped.event) == ("tracker.started", "tracker.stopped")

    assert [process_delivery(stopped), process_delivery(started)] == [Status.PROCESSED, Status.IGNORED]

    assert not RunningTracker.objects.current().filter(workspace=synced).exists()
    # A new tracker of the same member afterwards runs again.
    with sandbox_events() as later:
        later_tracker = start_tracker(world, world.bob)
        later_tracker.started_at = timezone.now() + timezone.timedelta(seconds=2)
    body = {**later[0], "data": {**later[0]["data"], "start_time": later_tracker.started_at.isoformat()}}
    assert process_delivery(received(deliver, body)) == Status.PROCESSED
    assert RunningTracker.objects.current().get(workspace=synced).webwork_id == str(world.bob.id)


# --- Events we do not handle, and failures -----------------------------------------------------


def test_an_unknown_event_is_ignored_with_a_note(synced, deliver):
    delivery = received(deliver, event_body(synced, "invoice.paid", {"id": 1}, event_id="evt-x"))

    assert process_delivery(delivery) == Status.IGNORED

    delivery.refresh_from_db()
    assert delivery.note == "Clockroom does not handle the event 'invoice.paid'."


def test_an_event_about_another_workspace_is_ignored(world, synced, deliver):
    body = event_body(synced, "member.updated", {"id": world.alice.id}, event_id="evt-g")
    body["workspace_id"] = world.globex.id

    assert process_delivery(received(deliver, body)) == Status.IGNORED


def test_a_failure_keeps_its_error_and_traceback_and_a_replay_applies_it(
    world, synced, deliver, sandbox_events, owner_client
):
    membership = sandbox.Membership.objects.get(workspace=world.acme, user=world.alice)
    with sandbox_events() as sent:
        membership.title = "Producer"
        membership.save()
    [delivery] = post_all(deliver, sent)
    sandbox.FaultSettings.objects.create(pk=1, server_error_rate=1.0)

    assert process_delivery(delivery) == Status.FAILED

    failed = WebhookDelivery.objects.get(pk=delivery.pk)
    assert failed.error.startswith("ServerError: GET members/")
    assert "Traceback (most recent call last)" in failed.traceback
    assert Member.objects.get(workspace=synced, webwork_id=str(world.alice.id)).title == ""

    sandbox.FaultSettings.objects.filter(pk=1).update(server_error_rate=0)
    assert process_delivery(delivery) == Status.PROCESSED

    replayed = WebhookDelivery.objects.get(pk=delivery.pk)
    assert (replayed.attempts, replayed.error, replayed.traceback) == (2, "", "")
    assert Member.objects.get(workspace=synced, webwork_id=str(world.alice.id)).title == "Producer"


def test_without_a_manager_sign_in_a_member_event_fails_and_says_why(world, synced, deliver):
    Connection.objects.filter(pk=synced.sync_connection_id).update(status=Connection.Status.NEEDS_SIGN_IN)
    body = event_body(synced, "member.updated", {"id": world.alice.id}, event_id="evt-n")

    assert process_webhook_delivery_task(received(deliver, body).pk) == Status.FAILED

    failed = WebhookDelivery.objects.get(event_id="evt-n")
    assert "No manager of Acme Studio has a working WebWork sign-in" in failed.error
    assert synced.webhook_token not in json.dumps([failed.body, failed.error, failed.traceback])


def test_a_late_start_is_ignored_when_a_sync_since_saw_nobody_working(world, synced, deliver):
    earlier_session = minutes_ago(60)
    RunningTracker.objects.create(
        workspace=synced, webwork_id=str(world.bob.id), started_at=earlier_session, removed_at=minutes_ago(1)
    )
    start = minutes_ago(5)
    body = event_body(
        synced,
        "tracker.started",
        {"user_id": world.bob.id, "start_time": start.isoformat()},
        event_id="late",
        at=start,
    )

    assert process_delivery(received(deliver, body)) == Status.IGNORED

    assert not RunningTracker.objects.current().filter(workspace=synced).exists()


def test_deliveries_whose_task_was_lost_are_queued_again(synced, deliver, django_capture_on_commit_callbacks):
    lost = received(deliver, event_body(synced, "tracker.stopped", {"user_id": 1}, event_id="lost"))
    fresh = received(deliver, event_body(synced, "tracker.stopped", {"user_id": 2}, event_id="fresh"))
    WebhookDelivery.objects.filter(pk=lost.pk).update(received_at=minutes_ago(15))
    queue_purge()

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_webhook_deliveries_task() == 1

    assert [task["args"] for task in queued_tasks()] == [(lost.pk,)]
    assert status_of(fresh) == Status.RECEIVED
