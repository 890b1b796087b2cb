"""Syncing projects: archived ones included, changes and removals followed, a failure keeps the past."""

from datetime import date
from decimal import Decimal

import pytest

from integrations.models import Project, SyncRun
from integrations.sandbox import models as sandbox
from integrations.sync.projects import sync_projects
from integrations.webwork.errors import ServerError
from tests.integrations.convergence import assert_converged

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def acme_projects(world):
    def project(name, **extra):
        return sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name=name, **extra)

    return {
        "website": project(
            "Website",
            rate=Decimal("80.50"),
            start_date=date(2024, 1, 15),
            deadline=date(2024, 3, 31),
            estimation=Decimal(120),
            budget_estimation=Decimal(5000),
        ),
        "support": project("Support", is_billable=False, weekly_hours_limit=20),
        "legacy": project("Legacy", status=sandbox.Project.Status.ARCHIVED),
        "globex": sandbox.Project.objects.create(
            workspace=world.globex, owner=world.globex_owner, name="Other"
        ),
    }


def test_a_first_sync_mirrors_every_project_archived_ones_included(
    acme_projects, mirror_workspace, sync_context
):
    stats = sync_projects(sync_context)

    assert_converged(mirror_workspace, "projects")
    assert (stats.created, stats.updated, stats.removed, stats.pages) == (3, 0, 0, 1)
    legacy = Project.objects.get(webwork_id=str(acme_projects["legacy"].id))
    assert legacy.status == 0
    assert legacy.raw["name"] == "Legacy"
    assert not Project.objects.filter(webwork_id=str(acme_projects["globex"].id)).exists()
    run = SyncRun.objects.get(resource="projects")
    assert (run.status, run.requests, run.pages) == ("succeeded", 1, 1)
    assert (run.created, run.updated, run.removed) == (3, 0, 0)


def test_changes_and_removals_converge_on_the_next_sync(world, acme_projects, mirror_workspace, sync_context):
    sync_projects(sync_context)
    sandbox.Project.objects.filter(pk=acme_projects["website"].pk).update(
        name="Website relaunch", deadline=date(2024, 6, 30), rate=Decimal(95)
    )
    sandbox.Project.objects.filter(pk=acme_projects["support"].pk).update(status=0)
    sandbox.Project.objects.filter(pk=acme_projects["legacy"].pk).delete()
    sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Mobile app")

    stats = sync_projects(sync_context)

    assert_converged(mirror_workspace, "projects")
    assert (stats.created, stats.updated, stats.removed) == (1, 2, 1)
    legacy = Project.objects.get(webwork_id=str(acme_projects["legacy"].id))
    assert legacy.removed_at is not None
    assert Project.objects.get(webwork_id=str(acme_projects["website"].id)).name == "Website relaunch"


def test_a_list_longer_than_a_page_costs_one_request_per_hundred(world, mirror_workspace, sync_context):
    sandbox.Project.objects.bulk_create(
        [sandbox.Project(workspace=world.acme, owner=world.owner, name=f"P{i:03}") for i in range(150)]
    )

    stats = sync_projects(sync_context)

    assert_converged(mirror_workspace, "projects")
    assert (stats.created, stats.pages) == (150, 2)
    assert SyncRun.objects.get(resource="projects").requests == 2


def test_a_failed_sync_keeps_the_previous_state_and_a_clean_resync_converges(
    acme_projects, mirror_workspace, sync_context
):
    sync_projects(sync_context)
    sandbox.Project.objects.filter(pk=acme_projects["website"].pk).update(name="Renamed")
    sandbox.FaultSettings.objects.create(pk=1, server_error_rate=1.0)
    requests_before = sync_context.client.requests_made

    with pytest.raises(ServerError):
        sync_projects(sync_context)

    assert Project.objects.get(webwork_id=str(acme_projects["website"].id)).name == "Website"
    failed = SyncRun.objects.get(resource="projects", status="failed")
    assert "ServerError" in failed.error
    assert failed.requests == sync_context.client.requests_made - requests_before > 1  # retried

    sandbox.FaultSettings.objects.filter(pk=1).update(server_error_rate=0)
    sync_projects(sync_context)
    assert_converged(mirror_workspace, "projects")
