"""Syncing members: the mirror converges to the sandbox, and follows changes and removals."""

import pytest

from integrations.models import Member, SyncRun
from integrations.sandbox.models import Membership
from integrations.sync.members import sync_members
from tests.integrations.convergence import assert_converged

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_a_first_sync_mirrors_every_member(world, mirror_workspace, sync_context):
    stats = sync_members(sync_context)

    assert_converged(mirror_workspace, "members")
    assert stats.created == 6
    run = SyncRun.objects.get(resource="members")
    assert run.status == "succeeded"
    assert run.requests == 1
    assert (run.created, run.updated, run.removed) == (6, 0, 0)


def test_changes_and_removals_converge_on_the_next_sync(world, mirror_workspace, sync_context):
    sync_members(sync_context)
    Membership.objects.filter(user=world.alice).update(weekly_hours_limit=25, role="Team manager")
    Membership.objects.filter(user=world.bob).delete()

    stats = sync_members(sync_context)

    assert_converged(mirror_workspace, "members")
    assert (stats.created, stats.updated, stats.removed) == (0, 5, 1)
    bob = Member.objects.get(webwork_id=str(world.bob.id))
    assert bob.removed_at is not None  # kept for history, hidden from pages
    assert not Member.objects.current().filter(pk=bob.pk).exists()


def test_a_failed_sync_keeps_the_previous_state_and_records_the_error(world, mirror_workspace, sync_context):
    from integrations.sandbox.models import FaultSettings
    from integrations.webwork.errors import ServerError

    sync_members(sync_context)
    FaultSettings.objects.create(pk=1, server_error_rate=1.0)
    Membership.objects.filter(user=world.alice).update(weekly_hours_limit=12)

    with pytest.raises(ServerError):
        sync_members(sync_context)

    assert Member.objects.get(webwork_id=str(world.alice.id)).weekly_hours_limit == 40
    failed = SyncRun.objects.filter(status="failed").get()
    assert "ServerError" in failed.error
