"""Fixtures for the write-through actions: Acme's mirror, a manager acting, and helpers to check
that a refused action left everything local as it was."""

import pytest
from django.contrib.auth import get_user_model

from integrations.models import AuditEvent, Workspace
from integrations.services.base import snapshot
from integrations.sync.base import SyncContext
from tests.sandbox_world import sync_connection_for


@pytest.fixture
def mirror_workspace(world, wire):
    """Acme as Clockroom knows it (the tenant row), acting through its Owner's sign-in."""
    workspace = Workspace.objects.create(
        webwork_id=world.acme.id, name=world.acme.name, timezone=world.acme.timezone
    )
    sync_connection_for(workspace, world.owner)
    return workspace


@pytest.fixture
def globex_mirror(world):
    return Workspace.objects.create(webwork_id=world.globex.id, name=world.globex.name)


@pytest.fixture
def ctx(mirror_workspace, make_client, world):
    """What the tests mirror Acme with before acting (the syncs' own context)."""
    return SyncContext(workspace=mirror_workspace, client=make_client(world.owner))


@pytest.fixture
def actor(db):
    return get_user_model().objects.create_user(username="webwork-olivia", email="owner@acme.test")


@pytest.fixture
def unchanged(wire):
    """`with unchanged(row, requests=n):` asserts the block left `row` (a mirror row) as it was,
    wrote no audit event, and made at most `requests` requests to WebWork (any when None).

    With `refused=True` (a decision WebWork refused) the block wrote exactly one audit event: the
    refusal, with WebWork's answer, the row unchanged on both sides (`.event` afterwards)."""

    class Unchanged:
        def __init__(self, row, requests=None, refused=False):
            self.row, self.requests, self.refused = row, requests, refused
            self.event = None

        def __enter__(self):
            self.before = snapshot(type(self.row).objects.get(pk=self.row.pk), raw=self.row.raw)
            self.audits = list(AuditEvent.objects.values_list("pk", flat=True))
            self.made = wire.sent
            return self

        def __exit__(self, *exc):
            after = type(self.row).objects.get(pk=self.row.pk)
            assert snapshot(after, raw=after.raw) == self.before
            written = list(AuditEvent.objects.exclude(pk__in=self.audits))
            if self.refused:
                (self.event,) = written
                unchanged_row = {key: value for key, value in self.before.items() if key != "raw"}
                assert self.event.outcome == AuditEvent.Outcome.REFUSED
                assert self.event.before == self.event.after == unchanged_row
                assert self.event.answer
                assert self.event.member_id == after.member_id
            else:
                assert written == []
            if self.requests is not None:
                assert wire.sent - self.made <= self.requests
            return False

    return Unchanged


@pytest.fixture
def audit_of():
    """`audit_of(action)`: the one audit event of `action` (fails when there is none or several)."""

    def one(action):
        (event,) = AuditEvent.objects.filter(action=action)
        return event

    return one
