"""Syncing contracts: projects and members resolved from the mirror only, missing parents recorded."""

import json
from decimal import Decimal

import httpx
import pytest

from integrations.models import Contract, SyncRun
from integrations.sandbox import models as sandbox
from integrations.sandbox.tokens import access_token_issue
from integrations.sync.base import SyncContext
from integrations.sync.contracts import contract_row, sync_contracts
from integrations.sync.members import sync_members
from integrations.sync.projects import sync_projects
from integrations.webwork.client import WebWorkClient
from integrations.webwork.errors import ServerError
from tests.integrations.convergence import assert_converged

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def acme_contracts(world):
    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website", rate=60)
    support = sandbox.Project.objects.create(
        workspace=world.acme, owner=world.owner, name="Support", is_billable=False
    )

    def contract(project, user, **extra):
        return sandbox.Contract.objects.create(workspace=world.acme, project=project, user=user, **extra)

    return {
        "website": website,
        "support": support,
        "alice_website": contract(website, world.alice, rate=Decimal(45), weekly_hours_limit=30),
        "bob_website": contract(website, world.bob, rate=Decimal(35), rate_type=2, screenshots="blurred"),
        "alice_support": contract(support, world.alice, rate=Decimal(40), status="paused"),
    }


def test_a_first_sync_mirrors_every_contract_with_its_project_and_member(
    world, acme_contracts, mirror_workspace, sync_context
):
    sync_members(sync_context)
    sync_projects(sync_context)

    stats = sync_contracts(sync_context)

    assert_converged(mirror_workspace, "contracts")
    assert (stats.created, stats.updated, stats.removed) == (3, 0, 0)
    contract = Contract.objects.select_related("project", "member").get(
        webwork_id=str(acme_contracts["alice_website"].id)
    )
    assert contract.project.name == "Website"
    assert contract.member.email == "alice@acme.test"
    assert (contract.weekly_hours_limit, contract.rate, contract.currency) == (30, Decimal(45), "EUR")
    # Rates of unbillable projects are not shown by WebWork.
    assert Contract.objects.get(webwork_id=str(acme_contracts["alice_support"].id)).rate is None
    run = SyncRun.objects.get(resource="contracts")
    assert (run.status, run.requests, run.pages) == ("succeeded", 1, 1)


def test_a_missing_parent_is_recorded_not_fetched_and_resolved_by_a_later_sync(
    world, acme_contracts, mirror_workspace, sync_context
):
    sync_members(sync_context)  # the projects are not mirrored yet
    requests_before = sync_context.client.requests_made

    sync_contracts(sync_context)

    assert sync_context.client.requests_made - requests_before == 1  # nothing fetched inline
    contract = Contract.objects.get(webwork_id=str(acme_contracts["bob_website"].id))
    assert contract.project is None
    assert contract.project_webwork_id == acme_contracts["website"].id
    assert contract.member.webwork_id == str(world.bob.id)

    sync_projects(sync_context)
    sync_contracts(sync_context)

    assert_converged(mirror_workspace, "contracts")
    assert Contract.objects.get(pk=contract.pk).project.webwork_id == str(acme_contracts["website"].id)


def test_changes_and_removals_converge_on_the_next_sync(
    world, acme_contracts, mirror_workspace, sync_context
):
    sync_members(sync_context)
    sync_projects(sync_context)
    sync_contracts(sync_context)
    sandbox.Contract.objects.filter(pk=acme_contracts["alice_website"].pk).update(
        weekly_hours_limit=10, status="paused"
    )
    sandbox.Contract.objects.filter(pk=acme_contracts["bob_website"].pk).delete()
    sandbox.Contract.objects.create(
        workspace=world.acme, project=acme_contracts["support"], user=world.team_manager
    )

    stats = sync_contracts(sync_context)

    assert_converged(mirror_workspace, "contracts")
    assert (stats.created, stats.updated, stats.removed) == (1, 2, 1)
    assert Contract.objects.get(webwork_id=str(acme_contracts["bob_website"].id)).removed_at is not None
    assert Contract.objects.get(webwork_id=str(acme_contracts["alice_website"].id)).status == "paused"


class OnlyTopLevelPagination(httpx.BaseTransport):
    """The sandbox's answers, with the contracts list paginated only at the top level (WebWork's R form)."""

    def __init__(self, inner):
        self.inner = inner

    def handle_request(self, request):
        response = self.inner.handle_request(request)
        if not request.url.path.endswith("/contracts"):
            return response
        body = json.loads(response.read())
        body["pagination"] = body["meta"].pop("pagination")
        return httpx.Response(response.status_code, headers={"Content-Type": "application/json"}, json=body)


def test_the_top_level_pagination_form_is_followed_to_the_last_page(
    world, mirror_workspace, sandbox_transport, settings
):
    projects = sandbox.Project.objects.bulk_create(
        [sandbox.Project(workspace=world.acme, owner=world.owner, name=f"P{i:02}") for i in range(26)]
    )
    users = [world.owner, world.manager, world.team_manager, world.alice, world.bob, world.viewer]
    sandbox.Contract.objects.bulk_create(
        [sandbox.Contract(workspace=world.acme, project=p, user=u) for p in projects for u in users][:150]
    )
    raw, _ = access_token_issue(user=world.owner)
    settings.WEBWORK_HTTP_TRANSPORT = OnlyTopLevelPagination(sandbox_transport)
    client = WebWorkClient(get_token=lambda: raw, sleep=lambda seconds: None)
    with client:
        stats = sync_contracts(SyncContext(workspace=mirror_workspace, client=client))

    assert (stats.created, stats.pages) == (150, 2)
    assert client.requests_made == 2
    assert Contract.objects.current().count() == 150


def test_a_failed_sync_keeps_the_previous_state_and_a_clean_resync_converges(
    world, acme_contracts, mirror_workspace, sync_context
):
    sync_members(sync_context)
    sync_projects(sync_context)
    sync_contracts(sync_context)
    sandbox.Contract.objects.filter(pk=acme_contracts["alice_website"].pk).update(weekly_hours_limit=5)
    sandbox.Contract.objects.filter(pk=acme_contracts["bob_website"].pk).delete()
    sandbox.FaultSettings.objects.create(pk=1, server_error_rate=1.0)

    with pytest.raises(ServerError):
        sync_contracts(sync_context)

    assert Contract.objects.get(webwork_id=str(acme_contracts["alice_website"].id)).weekly_hours_limit == 30
    assert Contract.objects.current().count() == 3
    assert SyncRun.objects.get(resource="contracts", status="failed").requests == 5  # 1 + 4 retries

    sandbox.FaultSettings.objects.filter(pk=1).update(server_error_rate=0)
    sync_contracts(sync_context)
    assert_converged(mirror_workspace, "contracts")


def test_a_contract_row_copes_with_sparse_payloads():
    row = contract_row({"id": 7, "project_id": "12", "user_id": None, "rate": "n/a"}, projects={"12": 3})

    assert row["webwork_id"] == "7"
    assert (row["project_id"], row["project_webwork_id"]) == (3, 12)
    assert (row["member_id"], row["user_webwork_id"]) == (None, None)
    assert (row["weekly_hours_limit"], row["rate"], row["status"]) == (168, None, "active")
