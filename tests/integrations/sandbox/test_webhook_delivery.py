"""Sandbox webhooks: events from model changes, deliveries over real HTTP, retries and faults.

A small HTTP server on 127.0.0.1 plays the subscriber; django-q2 runs its tasks inline
(`Conf.SYNC`), and retries run through django-q2's own scheduler.
"""

import json
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.scheduler import scheduler

from integrations.sandbox import delivery as delivery_module
from integrations.sandbox.models import (
    Contract,
    FaultSettings,
    Membership,
    Project,
    RunningTracker,
    Task,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from integrations.sandbox.models.accounts import MemberStatus, Role
from integrations.sandbox.tasks import deliver_webhook_task
from tests.sandbox_world import make_user

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

ALL_EVENTS = [
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
]


# --- A subscriber -------------------------------------------------------------------


class Receiver:
    """An HTTP server that records every POST and answers the scripted statuses (then 200)."""

    def __init__(self):
        self.requests = []
        self.script = []  # statuses to answer, in order; "slow" waits before answering
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.script.pop(0) if receiver.script else 200
                if status == "slow":
                    time.sleep(0.5)
                    status = 200
                answer = b'{"ok": true}' if status < 300 else b"receiver says no"
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/webwork"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def bodies(self):
        return [json.loads(request["body"]) for request in self.requests]

    def events(self):
        return [body["event"] for body in self.bodies()]


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def inline_tasks(monkeypatch):
    """django-q2 runs queued tasks at once, in this process and transaction."""
    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the sandbox's on-commit callbacks (the test's transaction never commits)."""

    def capture():
        return django_capture_on_commit_callbacks(execute=True, using="sandbox")

    return capture


def subscribe(workspace, url, events=ALL_EVENTS):
    return Webhook.objects.create(workspace=workspace, url=url, events=list(events))


def retry_schedules():
    """The sandbox's webhook retry schedules (Clockroom's own sync schedules live in the same table)."""
    return Schedule.objects.filter(name__startswith="sandbox webhook delivery ")


def run_due_schedules():
    """Make the retry schedules due and let django-q2's scheduler queue their tasks (run inline)."""
    retry_schedules().update(next_run=timezone.now() - timedelta(seconds=1))
    scheduler()


# --- Events and payloads -----------------------------------------------------------------


def test_a_member_change_through_the_orm_posts_member_updated_with_the_token(
    world, receiver, inline_tasks, on_commit
):
    hook = subscribe(world.acme, receiver.url)
    membership = Membership.objects.get(workspace=world.acme, user=world.alice)

    with on_commit():
        membership.title = "Lead designer"
        membership.save()

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == "/hooks/webwork"
    assert request["headers"]["X-Webhook-Token"] == hook.token
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["User-Agent"] == "WebWork-Sandbox-Webhooks/2.0"
    body = json.loads(request["body"])
    assert set(body) == {"id", "event", "workspace_id", "webhook_id", "timestamp", "token", "data"}
    assert uuid.UUID(body["id"])
    assert body["event"] == "member.updated"
    assert body["workspace_id"] == world.acme.id
    assert body["webhook_id"] == hook.id
    assert body["token"] == hook.token
    assert body["timestamp"].endswith("Z")
    data = body["data"]
    assert data["id"] == world.alice.id
    assert data["email"] == "alice@acme.test"
    assert data["title"] == "Lead designer"
    assert data["current_role"] == "Regular User"
    assert data["rate"] == 40  # webhooks see rates
    assert data["currency"] == "EUR"

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert delivery.attempts == 1
    assert str(delivery.event_id) == body["id"]
    assert delivery.payload == body
    assert [(a.number, a.status_code, a.error) for a in delivery.attempt_log.all()] == [(1, 200, "")]


def test_a_member_update_through_the_api_fires_too(world, owner_api, receiver, inline_tasks, on_commit):
    subscribe(world.acme, receiver.url, ["member.updated"])

    with on_commit():
        response = owner_api.put(
            f"members/{world.bob.id}", {"workspace_id": world.acme.id, "firstname": "Robert"}
        )

    assert response.status_code == 200, response.content
    assert receiver.events() == ["member.updated"]
    assert receiver.bodies()[0]["data"]["firstname"] == "Robert"


def test_the_member_lifecycle_gives_invited_activated_updated_archived_and_deleted(
    world, receiver, inline_tasks, on_commit
):
    subscribe(world.acme, receiver.url)
    dana = make_user("dana@acme.test", "Dana", "Kim")

    with on_commit():
        membership = Membership.objects.create(
            workspace=world.acme, user=dana, role=Role.REGULAR_USER, status=MemberStatus.INACTIVE
        )
    with on_commit():
        membership.status = MemberStatus.ACTIVE
        membership.save()
    with on_commit():
        membership.weekly_hours_limit = 30
        membership.save()
    with on_commit():
        membership.deleted_at = timezone.now()
        membership.status = MemberStatus.INACTIVE
        membership.save()
    with on_commit():
        membership.deleted_at = None
        membership.save()  # invited again: back, but not active yet
    with on_commit():
        membership.delete()

    assert receiver.events() == [
        "member.invited",
        "member.activated",
        "member.updated",
        "member.archived",
        "member.invited",
        "member.deleted",
    ]
    bodies = receiver.bodies()
    assert {body["data"]["id"] for body in bodies} == {dana.id}
    assert bodies[1]["data"]["status"] == "active"
    assert bodies[2]["data"]["weekly_hours_limit"] == 30
    assert bodies[3]["data"]["deleted_at"].endswith("Z")
    assert len({body["id"] for body in bodies}) == 6  # every event its own id


def test_projects_give_created_updated_and_deleted(world, receiver, inline_tasks, on_commit):
    subscribe(world.acme, receiver.url, ["project.created", "project.updated", "project.deleted"])

    with on_commit():
        project = Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas", rate=120)
    with on_commit():
        project.name = "Atlas 2"
        project.save()
    with on_commit():
        project.status = Project.Status.ARCHIVED
        project.save()
    with on_commit():
        project.status = Project.Status.ACTIVE
        project.save()  # restored: an update
    with on_commit():
        project.deleted_at = timezone.now()
        project.save()

    assert receiver.events() == [
        "project.created",
        "project.updated",
        "project.deleted",
        "project.updated",
        "project.deleted",
    ]
    created = receiver.bodies()[0]["data"]
    assert created["id"] == project.id
    assert created["name"] == "Atlas"
    assert created["rate"] == 120
    assert created["owner_id"] == world.owner.id
    assert created["contracts_count"] == 0
    assert receiver.bodies()[2]["data"]["status"] == 0


def test_tracker_start_and_stop_give_tracker_events(world, receiver, inline_tasks, on_commit):
    subscribe(world.acme, receiver.url, ["tracker.started", "tracker.stopped"])
    project = Project.objects.bulk_create([Project(workspace=world.acme, owner=world.owner, name="Atlas")])[0]
    contract = Contract.objects.bulk_create(
        [Contract(workspace=world.acme, project=project, user=world.alice)]
    )[0]
    task = Task.objects.bulk_create(
        [Task(workspace=world.acme, project=project, owner=world.owner, creator=world.owner, title="Logo")]
    )[0]
    started_at = timezone.now().replace(microsecond=0)

    with on_commit():
        tracker = RunningTracker.objects.create(
            workspace=world.acme,
            user=world.alice,
            contract=contract,
            project=project,
            task=task,
            activity_description="Sketching",
            started_at=started_at,
        )
    with on_commit():
        tracker.delete()

    started, stopped = receiver.bodies()
    assert started["event"] == "tracker.started"
    assert started["data"] == {
        "user_id": world.alice.id,
        "user_name": "Alice Moreau",
        "user_email": "alice@acme.test",
        "contract_id": contract.id,
        "project_id": project.id,
        "project_name": "Atlas",
        "task_id": task.id,
        "activity_description": "Sketching",
        # Acme works in Europe/Berlin: times carry its offset.
        "start_time": started_at.astimezone(ZoneInfo("Europe/Berlin")).isoformat(),
    }
    assert stopped["event"] == "tracker.stopped"
    assert stopped["data"]["start_time"] == started["data"]["start_time"]
    assert stopped["data"]["stopped_at"][-6:] in {"+01:00", "+02:00"}
    assert stopped["data"]["user_id"] == world.alice.id


def test_only_registrations_for_the_event_and_the_workspace_receive_it(world, inline_tasks, on_commit):
    with Receiver() as members_only, Receiver() as projects_only, Receiver() as globex:
        subscribe(world.acme, members_only.url, ["member.updated"])
        subscribe(world.acme, projects_only.url, ["project.created"])
        subscribe(world.globex, globex.url)

        with on_commit():
            Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")

    assert members_only.requests == []
    assert globex.requests == []
    assert projects_only.events() == ["project.created"]
    assert WebhookDelivery.objects.count() == 1


def test_every_registration_gets_its_own_delivery_with_its_token_and_the_same_event_id(
    world, inline_tasks, on_commit
):
    with Receiver() as first, Receiver() as second:
        hook_1 = subscribe(world.acme, first.url, ["project.created"])
        hook_2 = subscribe(world.acme, second.url, ["project.created"])
        with on_commit():
            Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")

    (body_1,), (body_2,) = first.bodies(), second.bodies()
    assert (body_1["webhook_id"], body_1["token"]) == (hook_1.id, hook_1.token)
    assert (body_2["webhook_id"], body_2["token"]) == (hook_2.id, hook_2.token)
    assert first.requests[0]["headers"]["X-Webhook-Token"] == hook_1.token
    assert body_1["id"] == body_2["id"]


def test_a_rolled_back_change_and_bulk_create_send_nothing(world, receiver, inline_tasks, on_commit):
    subscribe(world.acme, receiver.url)

    def create_then_fail():
        with transaction.atomic(using="sandbox"):
            Project.objects.create(workspace=world.acme, owner=world.owner, name="Never")
            raise RuntimeError("rolled back")

    with on_commit() as callbacks:
        with pytest.raises(RuntimeError):
            create_then_fail()
        Project.objects.bulk_create([Project(workspace=world.acme, owner=world.owner, name="Seeded")])

    assert callbacks == []
    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 0


def test_nothing_is_queued_before_the_transaction_commits(world, receiver, inline_tasks, on_commit):
    subscribe(world.acme, receiver.url)

    with on_commit() as callbacks:
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")
        assert receiver.requests == []
        assert WebhookDelivery.objects.count() == 0

    assert len(callbacks) == 1
    assert receiver.events() == ["project.created"]


# --- Retries -----------------------------------------------------------------------------


def test_a_500_then_a_200_gives_two_attempts_and_delivered(world, receiver, inline_tasks, on_commit):
    subscribe(world.acme, receiver.url, ["project.created"])
    receiver.script = [500]

    with on_commit():
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.attempts == 1
    schedule = retry_schedules().get()
    assert schedule.name == f"sandbox webhook delivery {delivery.pk} attempt 2"
    assert schedule.func == "integrations.sandbox.tasks.deliver_webhook_task"
    assert schedule.schedule_type == Schedule.ONCE
    assert schedule.args == repr(delivery.pk)
    failed_at = WebhookAttempt.objects.get().created_at
    assert round((schedule.next_run - failed_at).total_seconds()) == 10
    assert delivery.next_attempt_at == schedule.next_run

    run_due_schedules()

    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None
    assert [(a.number, a.status_code) for a in delivery.attempt_log.all()] == [(1, 500), (2, 200)]
    assert delivery.attempt_log.first().error == "The receiver answered 500. receiver says no"
    assert retry_schedules().count() == 0  # a ONCE schedule is gone after its run
    bodies = receiver.bodies()
    assert bodies[0] == bodies[1]  # a retry is the same event


def test_five_failures_give_failed_after_growing_backoffs(world, receiver, inline_tasks, on_commit):
    subscribe(world.acme, receiver.url, ["project.created"])
    receiver.script = [500, 502, 503, 404, 500, 200]
    backoffs = []

    with on_commit():
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")
    for _ in range(4):
        schedule = retry_schedules().get()
        failed_at = WebhookAttempt.objects.latest("id").created_at
        backoffs.append(round((schedule.next_run - failed_at).total_seconds()))
        run_due_schedules()
    run_due_schedules()  # nothing left to run

    delivery = WebhookDelivery.objects.get()
    assert backoffs == [10, 30, 90, 270]
    assert delivery.status == "failed"
    assert delivery.attempts == 5
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 502, 503, 404, 500]
    assert len(receiver.requests) == 5
    assert retry_schedules().count() == 0


def test_a_connection_error_is_an_attempt_without_a_status(world, inline_tasks, on_commit):
    with Receiver() as gone:
        url = gone.url
    subscribe(world.acme, url, ["project.created"])

    with on_commit():
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error.startswith("Could not reach http://127.0.0.1:")
    assert WebhookDelivery.objects.get().status == "pending"
    assert retry_schedules().count() == 1


def test_a_slow_receiver_times_out_and_is_retried(world, receiver, inline_tasks, on_commit, monkeypatch):
    monkeypatch.setattr(delivery_module, "TIMEOUT_SECONDS", 0.1)
    subscribe(world.acme, receiver.url, ["project.created"])
    receiver.script = ["slow"]

    with on_commit():
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error == "No answer within 0.1 s (timed out)."
    assert attempt.duration_ms >= 100
    assert WebhookDelivery.objects.get().status == "pending"


def test_redirects_are_not_followed(world, receiver, inline_tasks, on_commit):
    subscribe(world.acme, receiver.url, ["project.created"])
    receiver.script = [302]

    with on_commit():
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")

    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.get().status_code == 302
    assert WebhookDelivery.objects.get().status == "pending"


def test_running_the_task_again_does_not_send_a_delivered_event_twice(
    world, receiver, inline_tasks, on_commit
):
    subscribe(world.acme, receiver.url, ["project.created"])
    with on_commit():
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")
    delivery = WebhookDelivery.objects.get()

    assert deliver_webhook_task(delivery.pk) == "delivered"
    assert deliver_webhook_task(999_999) is None
    assert len(receiver.requests) == 1


# --- Faults ------------------------------------------------------------------------------


def set_faults(**values):
    FaultSettings.objects.update_or_create(pk=1, defaults=values)


def test_the_drop_fault_marks_deliveries_dropped_and_sends_nothing(world, receiver, inline_tasks, on_commit):
    subscribe(world.acme, receiver.url, ["project.created"])
    set_faults(webhook_drop_rate=1)

    with on_commit():
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "dropped"
    assert delivery.attempts == 0
    assert receiver.requests == []
    assert WebhookAttempt.objects.count() == 0


def test_the_duplicate_fault_sends_the_same_event_twice(world, receiver, inline_tasks, on_commit):
    subscribe(world.acme, receiver.url, ["project.created"])
    set_faults(webhook_duplicate_rate=1)

    with on_commit():
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")

    first, second = receiver.bodies()
    assert first == second
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert [(a.number, a.is_duplicate) for a in delivery.attempt_log.all()] == [(1, False), (1, True)]


def test_the_reorder_fault_holds_each_delivery_back_up_to_five_seconds(
    world, receiver, inline_tasks, on_commit, monkeypatch
):
    holds = []
    monkeypatch.setattr(delivery_module, "sleep", holds.append)
    subscribe(world.acme, receiver.url, ["project.created"])
    set_faults(webhook_reorder=True)

    with on_commit():
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Borealis")

    assert len(holds) == 2
    assert all(0 <= hold <= 5 for hold in holds)
    assert len(receiver.requests) == 2


def test_without_faults_deliveries_are_neither_held_nor_dropped(
    world, receiver, inline_tasks, on_commit, monkeypatch
):
    holds = []
    monkeypatch.setattr(delivery_module, "sleep", holds.append)
    subscribe(world.acme, receiver.url, ["project.created"])
    set_faults(webhook_drop_rate=0, webhook_duplicate_rate=0, webhook_reorder=False)

    with on_commit():
        Project.objects.create(workspace=world.acme, owner=world.owner, name="Atlas")

    assert holds == []
    assert len(receiver.requests) == 1
