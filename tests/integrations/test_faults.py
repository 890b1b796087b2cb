"""Faults while syncs, webhooks and approvals run: `bench faults` at a small size.

The sandbox is seeded at `small` (one agency workspace), its Owner connects through OAuth2 and a
full first sync runs. Then each scenario switches a fault on through the sandbox's control
endpoints, runs a round of work (changes at WebWork whose webhooks reach our intake over real
HTTP, a bulk approval, a bulk rejection, a single approval, a sync), switches it off, recovers
(WebWork's retries, the bulk decisions' tasks again, one incremental sync) and checks that the
mirror equals the sandbox for every resource, that WebWork accepted no decision twice, that no
audit event is doubled and that every failure shows on Sync health.

The queued tasks (webhook deliveries, their processing, bulk decisions) run on worker threads
beside the sync, as a cluster's workers do: a reordered delivery only arrives out of order when
another is sent meanwhile. The 429 storm and the slow answers wait out real seconds; they run in
the bench only (docs/reliability.md).
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.bench import faults, sandbox_side
from integrations.models import AuditEvent, Connection, SyncRun
from integrations.sandbox.models import AccessToken
from integrations.sandbox.tokens import access_token_issue, personal_token_issue
from tests.factories import WorkspaceFactory
from tests.sandbox_world import make_user

SCENARIOS = ("server_errors", "token_expiry", "webhooks_dropped", "webhooks_duplicated", "webhooks_reordered")


@pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)
def test_after_each_fault_the_mirror_equals_webwork_and_nothing_was_decided_twice(settings):
    settings.WEBWORK_HTTP_BACKOFF_SECONDS = 0.0
    sandbox_side.seed(scale="small", seed=3)
    lines = []
    with faults.environment() as env:
        target = sandbox_side.first_workspace()
        harness = faults.connect(
            env,
            owner_email=target.owner_email,
            webwork_id=target.webwork_id,
            scale="small",
            seed=3,
            say=lines.append,
        )
        outcomes = {name: faults.IN_PROCESS[name](harness) for name in SCENARIOS}
        decisions = list(env.wire.decisions)
        statuses = env.wire.statuses

    for name, outcome in outcomes.items():
        assert outcome.ok, f"{name}:\n" + "\n".join(outcome.problems)
    # The faults did bite: WebWork answered 500s, and 401 once the token had expired.
    assert (statuses[500] > 0, statuses[401] > 0) == (True, True)
    # Decisions were taken (each accepted once, or the scenario would have said so).
    assert any(200 <= status < 300 for _path, _verb, status in decisions)
    # The token expired mid-sync was refreshed: the connection still works.
    connection = Connection.objects.get(pk=harness.workspace.sync_connection_id)
    assert (connection.status, connection.refreshed_at is not None) == (Connection.Status.ACTIVE, True)


@pytest.mark.django_db
def test_the_check_finds_an_audit_event_written_twice():
    workspace = WorkspaceFactory()
    since = timezone.now()
    event = AuditEvent.objects.create(
        workspace=workspace,
        action="timesheet_approve",
        object_type="timesheet",
        object_id="t-1",
        before={"status": "submitted"},
        after={"status": "approved"},
    )
    AuditEvent.objects.create(
        workspace=workspace,
        action="timesheet_submit",
        object_type="timesheet",
        object_id="t-2",
        before={"status": "open"},
        after={"status": "submitted"},
    )
    assert faults.audit_doubled(workspace, since=since) == []

    event.pk = None
    event.save()

    assert faults.audit_doubled(workspace, since=since) == ["timesheet t-1 timesheet_approve (Clockroom)"]


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_control_endpoint_expires_oauth_access_tokens_only(client):
    user = make_user("owner@acme.test", "Olivia", "Owens")
    access_token_issue(user=user)
    personal_token_issue(user=user)
    url = reverse("sandbox:tokens-expire")
    assert client.get(url).status_code == 405

    answer = client.post(url)

    assert (answer.status_code, answer.json()["data"]) == (200, {"expired": 1})
    assert not AccessToken.objects.filter(kind="oauth", expires_at__gt=timezone.now()).exists()
    assert AccessToken.objects.filter(kind="personal", expires_at__gt=timezone.now()).count() == 1


@pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)
def test_a_database_connection_cut_mid_sync_gives_the_sync_lock_back(world, sandbox_transport, settings):
    """PostgreSQL restarted mid-sync (its backend terminated): the sync breaks off, but its lock is
    given back on a fresh connection, so the next sync runs at once instead of waiting out the lease."""
    from django.db import connection

    from integrations.bench.process_faults import backend_terminate
    from integrations.models import SyncState
    from integrations.sync import orchestrator
    from tests.sandbox_world import mirror_connected

    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL")
    workspace = mirror_connected(world.acme, world.owner)
    cut = []

    class CutsTheDatabase(faults.Wire):
        def handle_request(self, request):
            if not cut and self.sent >= 3:
                cut.append(backend_terminate(connection.connection.info.backend_pid))
            return super().handle_request(request)

    settings.WEBWORK_HTTP_TRANSPORT = CutsTheDatabase(sandbox_transport)
    try:
        with pytest.raises(Exception, match=r"terminat|closed"):
            orchestrator.workspace_sync(workspace, kind="full")
    finally:
        connection.close()
    assert cut == [True]

    assert SyncState.objects.get(workspace=workspace).locked_by == ""
    # The step it broke off shows on Sync health as failed.
    assert SyncRun.objects.filter(workspace=workspace, status="failed", error__contains="connection was lost")
    settings.WEBWORK_HTTP_TRANSPORT = sandbox_transport
    assert orchestrator.workspace_sync(workspace, kind="queues").status == orchestrator.DONE


@pytest.mark.django_db
def test_a_sync_keeps_its_lock_when_redis_lost_it_in_a_restart(redis_url):
    """Redis restarted without saving mid-sync: the lock's key is gone, nobody else holds the lock,
    so the sync renewing its lease takes it again instead of stopping as if another sync had it."""
    from integrations.shared_redis import redis_client
    from integrations.sync.locks import lock_acquire, lock_key, lock_renew

    workspace = WorkspaceFactory()
    token = lock_acquire(workspace)
    redis_client().delete(lock_key(workspace))  # what a restart without saving leaves

    assert lock_renew(workspace, token, 60) is True
    assert redis_client().get(lock_key(workspace)).decode() == token
    assert lock_acquire(workspace) is None  # and it is held again


@pytest.mark.django_db
def test_a_lock_another_sync_took_over_is_not_taken_back(redis_url):
    from integrations.shared_redis import redis_client
    from integrations.sync.locks import lock_acquire, lock_key, lock_renew

    workspace = WorkspaceFactory()
    token = lock_acquire(workspace)
    redis_client().set(lock_key(workspace), "another-worker")

    assert lock_renew(workspace, token, 60) is False
