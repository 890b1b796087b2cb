"""Approving and rejecting leave requests, one by one and in bulk."""

import pytest

from integrations.models import AuditEvent, LeaveRequest
from integrations.sandbox import models as sandbox
from integrations.services import ServiceError, leave_approve, leave_reject, leaves_approve
from integrations.sync.leaves import sync_leave_policies, sync_leave_requests
from integrations.sync.members import sync_members
from tests.integrations.convergence import assert_converged
from tests.integrations.helpers import weekday

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def leaves(world, ctx):
    """Three pending leave requests, mirrored."""
    vacation = sandbox.LeavePolicy.objects.create(workspace=world.acme, name="Vacation", yearly_allowance=25)

    def leave(user, start, end, **extra):
        return sandbox.LeaveRequest.objects.create(
            workspace=world.acme, user=user, policy=vacation, start_date=start, end_date=end, **extra
        )

    made = {
        "alice": leave(world.alice, weekday(10), weekday(10, 5), note="Ski trip"),
        "bob": leave(world.bob, weekday(15), weekday(15)),
        "tara": leave(world.team_manager, weekday(19), weekday(19, 5)),
    }
    sync_members(ctx)
    sync_leave_policies(ctx)
    sync_leave_requests(ctx)
    return {name: (leave, LeaveRequest.objects.get(webwork_id=str(leave.id))) for name, leave in made.items()}


def test_approving_a_leave(world, mirror_workspace, wire, actor, leaves, audit_of):
    leave, mirrored = leaves["alice"]

    row = leave_approve(workspace=mirror_workspace, actor=actor, leave=mirrored)

    leave.refresh_from_db()
    assert (leave.status, leave.approved_by) == ("approved", world.owner)
    assert row.status == "approved"
    assert row.policy.name == "Vacation"
    assert_converged(mirror_workspace, "leave_requests")
    event = audit_of("leave_approve")
    assert (event.object_type, event.object_id, event.actor) == ("leaverequest", str(leave.id), actor)
    assert (event.before["status"], event.after["status"]) == ("pending", "approved")
    assert (event.source, event.outcome, event.member.email) == ("clockroom", "done", "alice@acme.test")


def test_rejecting_a_leave_with_a_reason(mirror_workspace, wire, actor, leaves, audit_of):
    leave, mirrored = leaves["bob"]

    row = leave_reject(workspace=mirror_workspace, actor=actor, leave=mirrored, reason="Release week")

    leave.refresh_from_db()
    assert (leave.status, leave.reject_reason) == ("rejected", "Release week")
    assert (row.status, row.reject_reason) == ("rejected", "Release week")
    assert audit_of("leave_reject").note == "Release week"


def test_a_rejection_without_a_reason_is_refused_before_webwork_is_asked(
    mirror_workspace, wire, actor, leaves, unchanged
):
    leave, mirrored = leaves["bob"]

    with unchanged(mirrored, requests=0), pytest.raises(ServiceError) as refused:
        leave_reject(workspace=mirror_workspace, actor=actor, leave=mirrored, reason="")

    assert list(refused.value.field_errors) == ["reason"]
    leave.refresh_from_db()
    assert leave.status == "pending"


def test_approving_an_approved_leave_says_so(world, mirror_workspace, wire, actor, leaves, unchanged):
    leave, mirrored = leaves["tara"]
    sandbox.LeaveRequest.objects.filter(pk=leave.pk).update(status="approved")

    with unchanged(mirrored, refused=True) as kept, pytest.raises(ServiceError) as refused:
        leave_approve(workspace=mirror_workspace, actor=actor, leave=mirrored)

    assert refused.value.message == "This leave request is no longer pending (it is approved)."
    # The attempt is in the audit trail: who tried, on whose leave, and what WebWork answered.
    event = kept.event
    assert (event.action, event.actor, event.source) == ("leave_approve", actor, "clockroom")
    assert event.answer == refused.value.message
    assert event.member.email == "lead@acme.test"


def test_webwork_not_answering_a_decision_is_not_recorded_as_a_refusal(
    mirror_workspace, wire, actor, leaves, unchanged
):
    _leave, mirrored = leaves["alice"]
    sandbox.FaultSettings.objects.update_or_create(pk=1, defaults={"server_error_rate": 1})

    with unchanged(mirrored), pytest.raises(ServiceError) as refused:
        leave_approve(workspace=mirror_workspace, actor=actor, leave=mirrored)

    assert refused.value.kind == "unavailable"


def test_bulk_approval_reports_a_leave_webwork_no_longer_has(mirror_workspace, wire, actor, leaves):
    sandbox.LeaveRequest.objects.filter(pk=leaves["bob"][0].pk).delete()
    items = [leaves[name][1] for name in ("alice", "bob", "tara")]

    results = leaves_approve(workspace=mirror_workspace, actor=actor, leaves=items)

    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error == "WebWork no longer has this leave request; it may have been deleted there."
    assert LeaveRequest.objects.get(pk=leaves["bob"][1].pk).removed_at is None  # nothing local changed
    statuses = dict(sandbox.LeaveRequest.objects.values_list("user__email", "status"))
    assert statuses == {"alice@acme.test": "approved", "lead@acme.test": "approved"}
    assert AuditEvent.objects.filter(action="leave_approve", outcome="done").count() == 2
    refusal = AuditEvent.objects.get(action="leave_approve", outcome="refused")
    assert refusal.object_id == str(leaves["bob"][0].id)
    assert refusal.answer == results[1].error
