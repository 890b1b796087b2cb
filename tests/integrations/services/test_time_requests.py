"""Approving and rejecting time requests, one by one and in bulk."""

from datetime import timedelta

import pytest

from integrations.models import AuditEvent, TimeRequest
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.services import (
    ServiceError,
    time_request_approve,
    time_request_reject,
    time_requests_approve,
)
from integrations.sync.members import sync_members
from integrations.sync.time_requests import sync_time_requests
from tests.integrations.convergence import assert_converged
from tests.integrations.helpers import days_ago, status_at_webwork

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def requests(world, ctx):
    """Three pending requests (two of Alice, one of Bob), mirrored."""

    def ask(user, start, note=None):
        return timekeeping.time_request_create(
            workspace=world.acme, user=user, start=start, end=start + timedelta(hours=2), notes=note
        )

    made = {
        "alice_1": ask(world.alice, days_ago(3), "Forgot the tracker"),
        "alice_2": ask(world.alice, days_ago(2)),
        "bob_1": ask(world.bob, days_ago(5), "Offline work"),
    }
    sync_members(ctx)
    sync_time_requests(ctx)
    return {name: (req, TimeRequest.objects.get(webwork_id=str(req.id))) for name, req in made.items()}


def test_approving_adds_the_time_at_webwork_and_updates_the_mirror(
    world, mirror_workspace, wire, actor, requests, audit_of
):
    request, mirrored = requests["alice_1"]

    row = time_request_approve(workspace=mirror_workspace, actor=actor, time_request=mirrored)

    assert status_at_webwork(request) == "approved"
    assert sandbox.TimeEntry.objects.filter(user=world.alice, start_time=request.start).exists()
    assert (row.status, row.updated_by_webwork_id) == ("approved", world.owner.id)
    assert_converged(mirror_workspace, "time_requests")
    event = audit_of("time_request_approve")
    assert (event.actor, event.object_type, event.object_id) == (actor, "timerequest", str(request.id))
    assert (event.before["status"], event.after["status"]) == ("pending", "approved")


def test_rejecting_sends_the_comment(world, mirror_workspace, wire, actor, requests, audit_of):
    request, mirrored = requests["bob_1"]

    row = time_request_reject(
        workspace=mirror_workspace,
        actor=actor,
        time_request=mirrored,
        comment="That day was a holiday.",
    )

    request.refresh_from_db()
    assert (request.status, request.comment) == ("rejected", "That day was a holiday.")
    assert (row.status, row.comment) == ("rejected", "That day was a holiday.")
    assert not sandbox.TimeEntry.objects.filter(user=world.bob).exists()
    assert audit_of("time_request_reject").note == "That day was a holiday."


def test_a_rejection_without_a_comment_is_refused_before_webwork_is_asked(
    mirror_workspace, wire, actor, requests, unchanged
):
    request, mirrored = requests["bob_1"]

    with unchanged(mirrored, requests=0), pytest.raises(ServiceError) as refused:
        time_request_reject(workspace=mirror_workspace, actor=actor, time_request=mirrored, comment=None)

    assert list(refused.value.field_errors) == ["comment"]
    assert status_at_webwork(request) == "pending"


def test_approving_a_request_rejected_meanwhile_says_so(
    world, mirror_workspace, wire, actor, requests, unchanged
):
    request, mirrored = requests["alice_2"]
    timekeeping.time_request_reject(request, by=world.manager, comment="Duplicate")

    with unchanged(mirrored, refused=True) as kept, pytest.raises(ServiceError) as refused:
        time_request_approve(workspace=mirror_workspace, actor=actor, time_request=mirrored)

    assert refused.value.message == "This time request is no longer pending (it is rejected)."
    assert (kept.event.action, kept.event.answer) == ("time_request_approve", refused.value.message)


def test_bulk_approval_approves_the_rest_and_reports_the_one_refused(
    world, mirror_workspace, wire, actor, requests
):
    timekeeping.time_request_approve(requests["alice_2"][0], by=world.manager)
    items = [requests[name][1] for name in ("alice_1", "alice_2", "bob_1")]

    results = time_requests_approve(workspace=mirror_workspace, actor=actor, time_requests=items)

    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error == "This time request is no longer pending (it is approved)."
    assert status_at_webwork(requests["alice_1"][0]) == "approved"
    assert status_at_webwork(requests["bob_1"][0]) == "approved"
    assert set(AuditEvent.objects.filter(outcome="done").values_list("object_id", flat=True)) == {
        str(requests["alice_1"][0].id),
        str(requests["bob_1"][0].id),
    }
    refusal = AuditEvent.objects.get(outcome="refused")
    assert (refusal.object_id, refusal.answer) == (str(requests["alice_2"][0].id), results[1].error)
    assert TimeRequest.objects.get(pk=requests["alice_2"][1].pk).status == "pending"  # left for the sync
