"""Syncing leave policies, requests (the whole list or the approval queue) and balances."""

from datetime import date

import pytest

from integrations.models import LeaveBalance, LeavePolicy, LeaveRequest, SyncRun
from integrations.sandbox import models as sandbox
from integrations.sandbox.models.accounts import Role
from integrations.sync.base import SyncContext
from integrations.sync.leaves import sync_leave_balances, sync_leave_policies, sync_leave_requests
from integrations.sync.members import sync_members
from integrations.webwork.errors import ServerError
from tests.integrations.convergence import assert_converged
from tests.integrations.helpers import YEAR, faults_from_request, weekday

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def day(month, day_of_month):
    return date(YEAR, month, day_of_month)


@pytest.fixture
def leaves(world):
    vacation = sandbox.LeavePolicy.objects.create(workspace=world.acme, name="Vacation", yearly_allowance=25)
    unpaid = sandbox.LeavePolicy.objects.create(workspace=world.acme, name="Unpaid", is_paid="no")
    hours = sandbox.LeavePolicy.objects.create(
        workspace=world.acme, name="Doctor", type="hour-based", yearly_allowance=16
    )

    def leave(user, policy, start, end, **extra):
        return sandbox.LeaveRequest.objects.create(
            workspace=world.acme, user=user, policy=policy, start_date=start, end_date=end, **extra
        )

    return {
        "vacation": vacation,
        "unpaid": unpaid,
        "hours": hours,
        "alice_pending": leave(world.alice, vacation, weekday(10), weekday(10, 5), note="Ski trip"),
        "bob_pending": leave(world.bob, unpaid, weekday(15), weekday(15)),
        "carol_pending": leave(world.team_manager, vacation, weekday(19), weekday(19, 5)),
        "alice_approved": leave(world.alice, vacation, weekday(2), weekday(2, 5), status="approved"),
        "bob_rejected": leave(
            world.bob, vacation, weekday(6), weekday(6, 2), status="rejected", reject_reason="Release week"
        ),
    }


@pytest.fixture
def mirrored(sync_context):
    sync_members(sync_context)
    sync_leave_policies(sync_context)
    return sync_context


def test_policies_converge_and_follow_changes(world, leaves, mirror_workspace, sync_context):
    stats = sync_leave_policies(sync_context)

    assert_converged(mirror_workspace, "leave_policies")
    assert (stats.created, stats.pages) == (3, 1)
    assert LeavePolicy.objects.get(webwork_id=str(leaves["unpaid"].id)).is_paid is False
    sandbox.LeavePolicy.objects.filter(pk=leaves["vacation"].pk).update(name="Holidays")
    sandbox.LeavePolicy.objects.create(workspace=world.acme, name="Sick", is_paid="yes")

    stats = sync_leave_policies(sync_context)

    assert_converged(mirror_workspace, "leave_policies")
    assert (stats.created, stats.updated, stats.removed) == (1, 3, 0)


def test_a_first_sync_mirrors_every_leave_request(world, leaves, mirror_workspace, mirrored):
    stats = sync_leave_requests(mirrored)

    assert_converged(mirror_workspace, "leave_requests")
    assert (stats.created, stats.updated, stats.removed) == (5, 0, 0)
    alice = LeaveRequest.objects.select_related("member", "policy").get(
        webwork_id=str(leaves["alice_pending"].id)
    )
    assert (alice.member.email, alice.policy.name, alice.note) == ("alice@acme.test", "Vacation", "Ski trip")
    assert (alice.start_date, alice.end_date, alice.status) == (weekday(10), weekday(10, 5), "pending")
    run = SyncRun.objects.get(resource="leave_requests")
    assert (run.status, run.requests) == ("succeeded", 1)


def test_the_queue_sync_rereads_requests_that_left_the_queue_instead_of_removing_them(
    world, leaves, mirror_workspace, mirrored
):
    sync_leave_requests(mirrored)
    sandbox.LeaveRequest.objects.filter(pk=leaves["alice_pending"].pk).update(status="approved")
    sandbox.LeaveRequest.objects.filter(pk=leaves["bob_pending"].pk).update(
        status="rejected", reject_reason="Too short notice"
    )
    sandbox.LeaveRequest.objects.filter(pk=leaves["carol_pending"].pk).delete()
    sandbox.LeaveRequest.objects.filter(pk=leaves["alice_approved"].pk).delete()  # outside the queue
    new = sandbox.LeaveRequest.objects.create(
        workspace=world.acme,
        user=world.bob,
        policy=leaves["vacation"],
        start_date=weekday(23),
        end_date=weekday(23, 5),
    )
    requests_before = mirrored.client.requests_made

    stats = sync_leave_requests(mirrored, status="pending")

    assert mirrored.client.requests_made - requests_before == 4  # the queue, then three re-reads
    assert (stats.created, stats.updated, stats.removed) == (1, 2, 1)
    statuses = dict(LeaveRequest.objects.current().values_list("webwork_id", "status"))
    assert statuses[str(leaves["alice_pending"].id)] == "approved"
    assert statuses[str(leaves["bob_pending"].id)] == "rejected"
    assert statuses[str(new.id)] == "pending"
    assert LeaveRequest.objects.get(webwork_id=str(leaves["carol_pending"].id)).removed_at is not None
    assert (
        LeaveRequest.objects.get(webwork_id=str(leaves["bob_pending"].id)).reject_reason == "Too short notice"
    )
    assert LeaveRequest.objects.get(webwork_id=str(leaves["alice_approved"].id)).removed_at is None
    run = SyncRun.objects.get(resource="leave_requests", scope="pending")
    assert (run.requests, run.created, run.updated, run.removed) == (4, 1, 2, 1)

    sync_leave_requests(mirrored)
    assert_converged(mirror_workspace, "leave_requests")


def test_a_date_ranged_sync_only_removes_requests_overlapping_its_range(
    world, leaves, mirror_workspace, mirrored
):
    sync_leave_requests(mirrored)
    sandbox.LeaveRequest.objects.filter(pk=leaves["bob_pending"].pk).delete()  # week 15
    sandbox.LeaveRequest.objects.filter(pk=leaves["alice_approved"].pk).delete()  # week 2

    stats = sync_leave_requests(mirrored, date_from=weekday(14), date_to=weekday(16))

    assert stats.removed == 1
    assert LeaveRequest.objects.get(webwork_id=str(leaves["bob_pending"].id)).removed_at is not None
    assert LeaveRequest.objects.get(webwork_id=str(leaves["alice_approved"].id)).removed_at is None


def test_a_missing_member_or_policy_is_recorded_not_fetched(world, leaves, mirror_workspace, sync_context):
    requests_before = sync_context.client.requests_made

    sync_leave_requests(sync_context)

    assert sync_context.client.requests_made - requests_before == 1
    bob = LeaveRequest.objects.get(webwork_id=str(leaves["bob_pending"].id))
    assert (bob.member, bob.policy) == (None, None)
    assert (bob.user_webwork_id, bob.policy_webwork_id) == (world.bob.id, leaves["unpaid"].id)


def test_a_failure_while_rereading_keeps_the_previous_state_and_a_clean_resync_converges(
    world, leaves, mirror_workspace, mirrored, make_client
):
    sync_leave_requests(mirrored)
    sandbox.LeaveRequest.objects.filter(pk=leaves["alice_pending"].pk).update(status="approved")
    sandbox.LeaveRequest.objects.filter(pk=leaves["bob_pending"].pk).delete()
    client = make_client(world.owner, get_token=faults_from_request(world.owner, 2))

    with pytest.raises(ServerError):
        sync_leave_requests(SyncContext(workspace=mirror_workspace, client=client), status="pending")

    statuses = dict(LeaveRequest.objects.current().values_list("webwork_id", "status"))
    assert statuses[str(leaves["alice_pending"].id)] == "pending"
    assert str(leaves["bob_pending"].id) in statuses
    failed = SyncRun.objects.get(resource="leave_requests", status="failed")
    assert (failed.requests, failed.created, failed.updated, failed.removed) == (
        client.requests_made,
        0,
        0,
        0,
    )

    sandbox.FaultSettings.objects.filter(pk=1).update(server_error_rate=0)
    sync_leave_requests(mirrored, status="pending")
    sync_leave_requests(mirrored)
    assert_converged(mirror_workspace, "leave_requests")


def test_balances_are_one_row_per_member_and_leave_type(world, leaves, mirror_workspace, mirrored):
    stats = sync_leave_balances(mirrored, day(1, 1), day(12, 31))

    assert_converged(mirror_workspace, "leave_balances")
    assert stats.created == 5 * 3  # five members (not the project viewer), three policies
    alice = LeaveBalance.objects.get(webwork_id=f"{world.alice.id}:Vacation")
    assert (alice.member.email, alice.leave_type, alice.balance) == ("alice@acme.test", "Vacation", "20 days")
    assert LeaveBalance.objects.get(webwork_id=f"{world.alice.id}:Doctor").balance == "16 hours"
    assert SyncRun.objects.get(resource="leave_balances").requests == 1


def test_balances_follow_changes_and_page_twenty_members_at_a_time(world, leaves, mirror_workspace, mirrored):
    sync_leave_balances(mirrored, day(1, 1), day(12, 31))
    sandbox.LeaveRequest.objects.filter(pk=leaves["alice_pending"].pk).update(status="approved")
    sandbox.LeavePolicy.objects.filter(pk=leaves["hours"].pk).delete()
    for number in range(20):
        user = sandbox.SandboxUser.objects.create(
            email=f"m{number}@acme.test", firstname="M", lastname=str(number)
        )
        sandbox.Membership.objects.create(workspace=world.acme, user=user, role=Role.REGULAR_USER)
    sync_members(mirrored)

    stats = sync_leave_balances(mirrored, day(1, 1), day(12, 31))

    assert_converged(mirror_workspace, "leave_balances")
    assert (stats.created, stats.updated, stats.removed, stats.pages) == (40, 10, 5, 2)
    assert LeaveBalance.objects.get(webwork_id=f"{world.alice.id}:Vacation").balance == "15 days"
    assert SyncRun.objects.filter(resource="leave_balances").first().requests == 2


def test_a_failed_balances_sync_keeps_the_previous_balances(world, leaves, mirror_workspace, mirrored):
    sync_leave_balances(mirrored, day(1, 1), day(12, 31))
    sandbox.LeaveRequest.objects.filter(pk=leaves["alice_pending"].pk).update(status="approved")
    sandbox.FaultSettings.objects.create(pk=1, server_error_rate=1.0)

    with pytest.raises(ServerError):
        sync_leave_balances(mirrored, day(1, 1), day(12, 31))

    assert LeaveBalance.objects.get(webwork_id=f"{world.alice.id}:Vacation").balance == "20 days"
    assert SyncRun.objects.filter(resource="leave_balances", status="failed").count() == 1
