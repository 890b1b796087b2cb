"""Bulk decisions: many items approved or rejected by a queued task, each result stored as it
lands, no item ever applied twice."""

import re
from collections import Counter
from datetime import timedelta

import django_q.conf
import httpx
import pytest
from django.utils import timezone
from django_q.models import Task

from integrations.models import AuditEvent, BulkDecision, BulkDecisionItem, LeaveRequest, TimeRequest
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.services import ServiceError, bulk_decision_run, bulk_decision_start
from integrations.sync.leaves import sync_leave_policies, sync_leave_requests
from integrations.sync.members import sync_members
from integrations.sync.time_requests import sync_time_requests
from tests.integrations.helpers import days_ago, queued_tasks, weekday

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

MOVED_ON = "This leave request is no longer pending (it is approved)."
DECISION = re.compile(r"/(leaves|time-requests|timesheets)/([^/]+)/(approve|reject)$")


class Recorder(httpx.BaseTransport):
    """The wire, remembering every decision request sent through it: [(id, verb)]."""

    def __init__(self, wire):
        self.wire = wire
        self.decisions = []

    def handle_request(self, request):
        found = DECISION.search(request.url.path)
        if found:
            self.decisions.append((found.group(2), found.group(3)))
        return self.wire.handle_request(request)


@pytest.fixture
def sent(wire, settings):
    recorder = Recorder(wire)
    settings.WEBWORK_HTTP_TRANSPORT = recorder
    return recorder


@pytest.fixture
def run_tasks_inline(monkeypatch):
    monkeypatch.setattr(django_q.conf.Conf, "SYNC", True)


@pytest.fixture
def five_leaves(world, ctx):
    """Five pending leave requests, mirrored: {name: (sandbox leave, mirror row)}."""
    vacation = sandbox.LeavePolicy.objects.create(workspace=world.acme, name="Vacation", yearly_allowance=25)
    people = {
        "alice": (world.alice, 10),
        "bob": (world.bob, 12),
        "tara": (world.team_manager, 14),
        "marcus": (world.manager, 16),
        "alice_later": (world.alice, 20),
    }
    made = {
        name: sandbox.LeaveRequest.objects.create(
            workspace=world.acme,
            user=user,
            policy=vacation,
            start_date=weekday(week),
            end_date=weekday(week, 5),
        )
        for name, (user, week) in people.items()
    }
    sync_members(ctx)
    sync_leave_policies(ctx)
    sync_leave_requests(ctx)
    return {name: (leave, LeaveRequest.objects.get(webwork_id=str(leave.id))) for name, leave in made.items()}


def as_owner_in_webwork(world, make_client, verb, leave, **body):
    """The workspace's owner deciding `leave` in WebWork itself, through its API."""
    make_client(world.owner).workspace_request("PUT", f"leaves/{leave.id}/{verb}", world.acme.id, json=body)


def results(bulk):
    return {item.object_id: (item.status, item.message) for item in bulk.items.all()}


def test_five_leaves_approved_in_bulk_while_one_was_approved_in_webwork(
    world,
    mirror_workspace,
    actor,
    five_leaves,
    sent,
    make_client,
    run_tasks_inline,
    django_capture_on_commit_callbacks,
):
    rows = [mirrored for _leave, mirrored in five_leaves.values()]
    decided_meanwhile = five_leaves["bob"][0]

    with django_capture_on_commit_callbacks(execute=True) as queued:
        bulk = bulk_decision_start(
            workspace=mirror_workspace, actor=actor, kind="leave", verb="approve", items=rows
        )
        assert (bulk.status, bulk.items.count()) == ("queued", 5)
        assert set(bulk.items.values_list("status", flat=True)) == {"pending"}
        as_owner_in_webwork(world, make_client, "approve", decided_meanwhile)

    assert len(queued) == 1  # the task, queued once the manager's request committed
    bulk.refresh_from_db()
    assert bulk.status == "done"
    assert bulk.started_at <= bulk.finished_at
    done = {str(leave.id): ("done", "") for leave, _ in five_leaves.values() if leave != decided_meanwhile}
    assert results(bulk) == {**done, str(decided_meanwhile.id): ("refused", MOVED_ON)}
    assert all(item.decided_at and item.claimed_at for item in bulk.items.all())
    # WebWork has all five approved, each by one accepted request.
    statuses = Counter(
        sandbox.LeaveRequest.objects.filter(workspace=world.acme).values_list("status", flat=True)
    )
    assert statuses == {"approved": 5}
    approves = Counter(leave_id for leave_id, verb in sent.decisions if verb == "approve")
    assert approves == {leave_id: 1 for leave_id in done} | {
        str(decided_meanwhile.id): 2
    }  # the owner's + ours
    # The trail: four decisions and one refusal, each naming the manager and the member.
    events = AuditEvent.objects.filter(action="leave_approve", actor=actor)
    assert sorted(events.filter(outcome="done").values_list("object_id", flat=True)) == sorted(done)
    refusal = events.get(outcome="refused")
    assert (refusal.object_id, refusal.answer) == (str(decided_meanwhile.id), MOVED_ON)
    assert refusal.member.email == "bob@acme.test"
    assert not events.filter(member__isnull=True).exists()
    assert LeaveRequest.objects.get(webwork_id=str(decided_meanwhile.id)).status == "pending"  # the sync's
    task = Task.objects.get(func="integrations.tasks.bulk_decision_run_task")
    assert task.success
    assert task.args == (bulk.pk,)
    assert task.result == "Approve leaves: 4 done, 1 refused, 0 waiting."

    # Run again (a retried task, even one that finds the bulk still "running"): nothing is sent.
    before = (len(sent.decisions), sent.wire.sent, AuditEvent.objects.count(), results(bulk))
    bulk_decision_run(bulk_id=bulk.pk)
    BulkDecision.objects.filter(pk=bulk.pk).update(status="running")
    again = bulk_decision_run(bulk_id=bulk.pk)
    assert (len(sent.decisions), sent.wire.sent, AuditEvent.objects.count(), results(again)) == before
    assert again.status == "done"


def test_a_retried_task_never_applies_an_item_twice(
    world, mirror_workspace, actor, five_leaves, ctx, sent, make_client
):
    """An earlier task stopped mid-way: one item decided, two claimed without a result (one of them
    applied at WebWork already, one never sent), one claimed whose leave a sync since saw rejected,
    one never reached."""
    rows = [mirrored for _leave, mirrored in five_leaves.values()]
    bulk = bulk_decision_start(
        workspace=mirror_workspace, actor=actor, kind="leave", verb="approve", items=rows
    )
    leave_id = {name: str(leave.id) for name, (leave, _) in five_leaves.items()}
    items = {item.object_id: item for item in bulk.items.all()}
    now = timezone.now()
    as_owner_in_webwork(world, make_client, "approve", five_leaves["alice"][0])
    BulkDecisionItem.objects.filter(pk=items[leave_id["alice"]].pk).update(status="done", decided_at=now)
    as_owner_in_webwork(world, make_client, "approve", five_leaves["bob"][0])  # sent, answer lost
    as_owner_in_webwork(world, make_client, "reject", five_leaves["tara"][0], reason="Release week")
    sync_leave_requests(ctx)  # the mirror sees the three decisions
    LeaveRequest.objects.filter(webwork_id=leave_id["bob"]).update(status="pending")  # not bob's yet
    for name in ("bob", "marcus", "tara"):
        BulkDecisionItem.objects.filter(pk=items[leave_id[name]].pk).update(claimed_at=now)
    BulkDecision.objects.filter(pk=bulk.pk).update(status="running", started_at=now)
    sent.decisions.clear()

    bulk = bulk_decision_run(bulk_id=bulk.pk)

    assert results(bulk) == {
        leave_id["alice"]: ("done", ""),  # had its result: skipped
        leave_id["bob"]: ("done", ""),  # WebWork: already approved, by the earlier task
        leave_id["marcus"]: ("done", ""),  # claimed, never sent: sent now
        leave_id["tara"]: ("refused", "This leave request is no longer pending (it is rejected)."),
        leave_id["alice_later"]: ("done", ""),
    }
    assert Counter(sent.decisions) == {
        (leave_id["bob"], "approve"): 1,
        (leave_id["marcus"], "approve"): 1,
        (leave_id["alice_later"], "approve"): 1,
    }
    statuses = dict(sandbox.LeaveRequest.objects.values_list("id", "status"))
    assert {name: statuses[leave.id] for name, (leave, _) in five_leaves.items()} == {
        "alice": "approved",
        "bob": "approved",
        "tara": "rejected",
        "marcus": "approved",
        "alice_later": "approved",
    }
    assert bulk.status == "done"


def test_a_leave_gone_from_the_mirror_meanwhile_is_refused_unasked(
    mirror_workspace, actor, five_leaves, sent, run_tasks_inline, django_capture_on_commit_callbacks
):
    rows = [five_leaves[name][1] for name in ("alice", "bob")]
    with django_capture_on_commit_callbacks(execute=True):
        bulk = bulk_decision_start(
            workspace=mirror_workspace, actor=actor, kind="leave", verb="approve", items=rows
        )
        LeaveRequest.objects.filter(pk=rows[1].pk).delete()

    assert results(bulk)[rows[1].webwork_id] == (
        "refused",
        "This leave request is no longer in Clockroom's copy of Acme Studio; nothing was asked of WebWork.",
    )
    assert [leave_id for leave_id, _ in sent.decisions] == [rows[0].webwork_id]


@pytest.fixture
def requests(world, ctx):
    """Two pending time requests, mirrored."""
    made = [
        timekeeping.time_request_create(
            workspace=world.acme, user=user, start=days_ago(days), end=days_ago(days, hour=11)
        )
        for user, days in ((world.alice, 3), (world.bob, 2))
    ]
    sync_members(ctx)
    sync_time_requests(ctx)
    return [(request, TimeRequest.objects.get(webwork_id=str(request.id))) for request in made]


def test_time_requests_rejected_in_bulk_with_a_reason(
    mirror_workspace, actor, requests, sent, run_tasks_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        bulk = bulk_decision_start(
            workspace=mirror_workspace,
            actor=actor,
            kind="time_request",
            verb="reject",
            items=[mirrored for _, mirrored in requests] * 2,  # each once, however often given
            reason="  Not a workday ",
        )

    bulk.refresh_from_db()
    assert (bulk.status, bulk.reason) == ("done", "Not a workday")
    assert set(results(bulk).values()) == {("done", "")}
    for request, mirrored in requests:
        request.refresh_from_db()
        assert (request.status, request.comment) == ("rejected", "Not a workday")
        assert TimeRequest.objects.get(pk=mirrored.pk).status == "rejected"
    assert len(sent.decisions) == 2
    assert set(AuditEvent.objects.values_list("action", "note")) == {("time_request_reject", "Not a workday")}


def test_a_rejection_without_a_reason_is_refused_and_nothing_created(mirror_workspace, actor, requests, sent):
    with pytest.raises(ServiceError) as refused:
        bulk_decision_start(
            workspace=mirror_workspace,
            actor=actor,
            kind="time_request",
            verb="reject",
            items=[mirrored for _, mirrored in requests],
            reason=" ",
        )

    assert list(refused.value.field_errors) == ["reason"]
    assert not BulkDecision.objects.exists()


def test_items_of_another_workspace_are_refused_and_nothing_created(
    mirror_workspace, globex_mirror, actor, five_leaves, sent, django_capture_on_commit_callbacks
):
    foreign = LeaveRequest.objects.create(workspace=globex_mirror, webwork_id="globex-1", status="pending")
    items = [five_leaves["alice"][1], foreign]

    with django_capture_on_commit_callbacks(execute=True) as queued, pytest.raises(ServiceError) as refused:
        bulk_decision_start(
            workspace=mirror_workspace, actor=actor, kind="leave", verb="approve", items=items
        )

    assert (
        refused.value.message
        == "Some of these leave requests are not part of Acme Studio; nothing was decided."
    )
    assert (refused.value.kind, refused.value.status) == ("not_found", None)
    assert not BulkDecision.objects.exists()
    assert not queued
    assert sent.decisions == []


def test_at_most_500_items_at_once(mirror_workspace, actor):
    many = LeaveRequest.objects.bulk_create(
        [
            LeaveRequest(workspace=mirror_workspace, webwork_id=f"leave-{n}", status="pending")
            for n in range(501)
        ]
    )

    with pytest.raises(ServiceError) as refused:
        bulk_decision_start(workspace=mirror_workspace, actor=actor, kind="leave", verb="approve", items=many)

    assert refused.value.message.startswith(
        "At most 500 leave requests can be decided at once; you chose 501."
    )
    assert not BulkDecision.objects.exists()


def test_a_run_out_of_time_queues_the_rest(mirror_workspace, actor, five_leaves, sent):
    rows = [five_leaves[name][1] for name in ("alice", "bob", "tara")]
    bulk = bulk_decision_start(
        workspace=mirror_workspace, actor=actor, kind="leave", verb="approve", items=rows
    )

    bulk = bulk_decision_run(bulk_id=bulk.pk, time_budget=0)

    assert bulk.status == "running"
    assert [status for status, _ in results(bulk).values()].count("done") == 1
    assert [(task["func"], tuple(task["args"])) for task in queued_tasks()] == [
        ("integrations.tasks.bulk_decision_run_task", (bulk.pk,))
    ]
    bulk = bulk_decision_run(bulk_id=bulk.pk)
    assert bulk.status == "done"
    assert len(sent.decisions) == 3


class Limiting(httpx.BaseTransport):
    """The wire, but WebWork answers every decision request 429 while `on`."""

    def __init__(self, wire):
        self.wire = wire
        self.on = True
        self.limited = 0

    def handle_request(self, request):
        if self.on and DECISION.search(request.url.path):
            self.limited += 1
            return httpx.Response(
                429,
                headers={"Retry-After": "0"},
                json={"success": False, "message": "Too Many Attempts."},
                request=request,
            )
        return self.wire.handle_request(request)


def test_items_webwork_keeps_limiting_wait_and_are_decided_later(
    mirror_workspace, actor, five_leaves, wire, settings
):
    from django_q.models import Schedule

    limiting = Limiting(wire)
    settings.WEBWORK_HTTP_TRANSPORT = limiting
    rows = [five_leaves[name][1] for name in ("alice", "bob")]
    bulk = bulk_decision_start(
        workspace=mirror_workspace, actor=actor, kind="leave", verb="approve", items=rows
    )

    bulk = bulk_decision_run(bulk_id=bulk.pk)

    assert limiting.limited >= 1
    assert bulk.status == "running"
    assert [status for status, _ in results(bulk).values()] == ["pending", "pending"]
    assert all(
        "WebWork is limiting how often Clockroom may ask; Clockroom asks again at" in message
        for _, message in results(bulk).values()
    )
    again = Schedule.objects.get(name=f"bulk decision {bulk.pk} again")
    assert (again.func, again.args, again.schedule_type) == (
        "integrations.tasks.bulk_decision_run_task",
        f"({bulk.pk},)",
        Schedule.ONCE,
    )
    assert timezone.now() + timedelta(seconds=50) < again.next_run
    assert LeaveRequest.objects.filter(pk__in=[row.pk for row in rows], status="pending").count() == 2

    limiting.on = False
    bulk = bulk_decision_run(bulk_id=bulk.pk)  # what the schedule runs

    assert bulk.status == "done"
    assert results(bulk) == {row.webwork_id: ("done", "") for row in rows}
    assert LeaveRequest.objects.filter(pk__in=[row.pk for row in rows], status="approved").count() == 2


def test_an_item_still_limited_an_hour_on_is_refused_with_webworks_words(
    mirror_workspace, actor, five_leaves, wire, settings
):
    settings.WEBWORK_HTTP_TRANSPORT = Limiting(wire)
    row = five_leaves["alice"][1]
    bulk = bulk_decision_start(
        workspace=mirror_workspace, actor=actor, kind="leave", verb="approve", items=[row]
    )
    BulkDecision.objects.filter(pk=bulk.pk).update(created_at=timezone.now() - timedelta(hours=2))

    bulk = bulk_decision_run(bulk_id=bulk.pk)

    assert bulk.status == "done"
    status, message = results(bulk)[row.webwork_id]
    assert status == "refused"
    assert message.startswith("WebWork is limiting how often Clockroom may ask; nothing was changed.")
