"""Decisions taken inside WebWork reach the audit trail when a sync (or a webhook handler) sees
them: the status of a timesheet, time request or leave the mirror already had, changed."""

from datetime import timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from integrations.models import AuditEvent, LeaveRequest, Member, Timesheet
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.services import leave_approve
from integrations.sync.base import upsert
from integrations.sync.leaves import leave_request_rows, sync_leave_policies, sync_leave_requests
from integrations.sync.members import sync_members
from integrations.sync.time_requests import sync_time_requests
from integrations.sync.timesheets import sync_timesheets
from tests.integrations.helpers import at, berlin_today, days_ago, weekday
from tests.sandbox_world import sync_connection_for

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def seen_in_webwork():
    return AuditEvent.objects.filter(source=AuditEvent.Source.WEBWORK).order_by("id")


@pytest.fixture
def sheets(world, sync_context):
    """Four submitted timesheets (Alice's and Bob's, of the last two weeks), mirrored."""
    monday = berlin_today() - timedelta(days=berlin_today().weekday())
    for week_start in (monday - timedelta(days=7), monday):
        for user in (world.alice, world.bob):
            timekeeping.time_entry_create(
                workspace=world.acme, user=user, start=at(week_start, 9), end=at(week_start, 11)
            )
    made = {}
    for sheet in sandbox.Timesheet.objects.filter(workspace=world.acme).select_related("user"):
        timekeeping.timesheet_submit(sheet)
        made[(sheet.user.firstname.lower(), "last" if sheet.date_from < monday else "this")] = sheet
    sync_members(sync_context)
    sync_timesheets(sync_context)
    return made


def test_a_first_sync_records_no_decision(sheets):
    assert Timesheet.objects.count() == 4
    assert not AuditEvent.objects.exists()


def test_timesheets_approved_and_rejected_in_webwork_are_in_the_audit_trail(world, sheets, sync_context):
    timekeeping.timesheet_approve(sheets[("alice", "last")], by=world.manager)
    timekeeping.timesheet_reject(sheets[("bob", "last")], by=world.manager, reason="Missing Friday")

    sync_timesheets(sync_context, status="submitted")  # the queue: what left it is read again

    approved, rejected = seen_in_webwork()
    alice = Member.objects.get(email="alice@acme.test")
    assert (approved.action, approved.object_type, approved.object_id) == (
        "timesheet_approve",
        "timesheet",
        str(sheets[("alice", "last")].id),
    )
    assert (approved.actor, approved.outcome, approved.member, approved.note) == (None, "done", alice, "")
    assert (approved.before["status"], approved.after["status"]) == ("submitted", "approved")
    assert approved.before["member_id"] == approved.after["member_id"] == alice.pk
    assert "raw" not in approved.after
    assert (rejected.action, rejected.note) == ("timesheet_reject", "Missing Friday")
    assert (rejected.before["reject_reason"], rejected.after["reject_reason"]) == ("", "Missing Friday")
    assert rejected.member.email == "bob@acme.test"

    sync_timesheets(sync_context)  # seen again: nothing new
    assert seen_in_webwork().count() == 2


def test_a_timesheet_taken_back_to_open_is_an_unsubmit(world, sheets, sync_context):
    timekeeping.timesheet_unsubmit(sheets[("bob", "this")])

    sync_timesheets(sync_context)

    (event,) = seen_in_webwork()
    assert (event.action, event.before["status"], event.after["status"]) == (
        "timesheet_unsubmit",
        "submitted",
        "open",
    )


def test_the_decisions_of_a_page_cost_the_same_queries_as_one(world, sheets, sync_context):
    """One query reads the old rows of a page and one bulk insert writes its events, however many
    rows changed: never a query per row."""

    def sync_counting():
        with CaptureQueriesContext(connections["default"]) as queries:
            sync_timesheets(sync_context)
        inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "integrations_auditevent"')]
        return len(queries), len(inserts)

    timekeeping.timesheet_approve(sheets[("alice", "last")], by=world.manager)
    one = sync_counting()
    for key in (("bob", "last"), ("alice", "this"), ("bob", "this")):
        timekeeping.timesheet_approve(sheets[key], by=world.manager)
    three = sync_counting()

    assert seen_in_webwork().count() == 4
    assert one == three
    assert one[1] == 1


def test_time_requests_decided_in_webwork_are_in_the_audit_trail(world, sync_context):
    asked = timekeeping.time_request_create(
        workspace=world.acme, user=world.alice, start=days_ago(3), end=days_ago(3) + timedelta(hours=2)
    )
    other = timekeeping.time_request_create(
        workspace=world.acme, user=world.bob, start=days_ago(2), end=days_ago(2) + timedelta(hours=1)
    )
    sync_members(sync_context)
    sync_time_requests(sync_context)
    timekeeping.time_request_approve(asked, by=world.manager)
    timekeeping.time_request_reject(other, by=world.manager, comment="Not a workday")

    sync_time_requests(sync_context, status="pending")

    approved, rejected = seen_in_webwork().order_by("action")
    assert (approved.action, approved.object_type, approved.object_id) == (
        "time_request_approve",
        "timerequest",
        str(asked.id),
    )
    assert (rejected.action, rejected.note, rejected.member.email) == (
        "time_request_reject",
        "Not a workday",
        "bob@acme.test",
    )


@pytest.fixture
def pending_leaves(world, sync_context):
    vacation = sandbox.LeavePolicy.objects.create(workspace=world.acme, name="Vacation", yearly_allowance=25)
    made = {
        name: sandbox.LeaveRequest.objects.create(
            workspace=world.acme,
            user=user,
            policy=vacation,
            start_date=weekday(week),
            end_date=weekday(week, 5),
        )
        for name, user, week in (("alice", world.alice, 10), ("bob", world.bob, 15))
    }
    sync_members(sync_context)
    sync_leave_policies(sync_context)
    sync_leave_requests(sync_context)
    return made


def test_a_leave_rejected_in_webwork_is_in_the_audit_trail(world, pending_leaves, sync_context, make_client):
    leave = pending_leaves["alice"]
    as_owner = make_client(world.owner)  # the owner, in WebWork itself
    as_owner.workspace_request(
        "PUT", f"leaves/{leave.id}/reject", world.acme.id, json={"reason": "Release week"}
    )

    sync_leave_requests(sync_context, status="pending")

    (event,) = seen_in_webwork()
    assert (event.action, event.object_type, event.object_id) == (
        "leave_reject",
        "leaverequest",
        str(leave.id),
    )
    assert (event.note, event.member.email, event.actor) == ("Release week", "alice@acme.test", None)


def test_a_decision_taken_through_clockroom_is_recorded_once(
    world, mirror_workspace, pending_leaves, sync_context, sandbox_transport, django_user_model
):
    sync_connection_for(mirror_workspace, world.owner)
    manager = django_user_model.objects.create(username="webwork-olivia")
    mirrored = LeaveRequest.objects.get(webwork_id=str(pending_leaves["bob"].id))

    leave_approve(workspace=mirror_workspace, actor=manager, leave=mirrored)
    sync_leave_requests(sync_context)
    sync_leave_requests(sync_context, status="pending")

    (event,) = AuditEvent.objects.all()
    assert (event.source, event.actor, event.action) == ("clockroom", manager, "leave_approve")


def test_the_same_answer_written_twice_records_once(world, mirror_workspace, pending_leaves):
    """What a webhook handler writes with (`upsert`): a delivery processed twice is one decision."""
    payload = {
        "id": str(pending_leaves["bob"].id),
        "user_id": world.bob.id,
        "policy_id": pending_leaves["bob"].policy_id,
        "start_date": str(weekday(15)),
        "end_date": str(weekday(15, 5)),
        "status": "approved",
    }

    for _ in range(2):
        upsert(LeaveRequest, mirror_workspace, leave_request_rows(mirror_workspace, [payload]))

    (event,) = seen_in_webwork()
    assert (event.action, event.before["status"], event.after["status"]) == (
        "leave_approve",
        "pending",
        "approved",
    )
    assert LeaveRequest.objects.get(webwork_id=payload["id"]).status == "approved"
