"""Syncing project viewers: the viewers and the projects each may see."""

import pytest
from django.utils import timezone

from integrations.models import ProjectViewer, SyncRun, ViewerProject
from integrations.sandbox import models as sandbox
from integrations.sandbox.models.accounts import Role
from integrations.sync.project_viewers import sync_project_viewers
from integrations.sync.projects import sync_projects
from integrations.webwork.errors import ServerError
from tests.integrations.convergence import assert_converged

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def clients(world):
    def project(name):
        return sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name=name)

    website, support, mobile = project("Website"), project("Support"), project("Mobile")
    nora = sandbox.Membership.objects.get(workspace=world.acme, user=world.viewer)
    ivan = sandbox.Membership.objects.create(
        workspace=world.acme,
        user=sandbox.SandboxUser.objects.create(email="ivan@initech.test", firstname="Ivan", lastname="Ng"),
        role=Role.PROJECT_VIEWER,
    )
    for viewer, linked in [(nora, [website, support]), (ivan, [mobile])]:
        for linked_project in linked:
            sandbox.ViewerProject.objects.create(viewer=viewer, project=linked_project)
    return {"website": website, "support": support, "mobile": mobile, "nora": nora, "ivan": ivan}


def projects_of(viewer_membership):
    viewer = ProjectViewer.objects.get(webwork_id=str(viewer_membership.user_id))
    return sorted(viewer.projects.values_list("name", flat=True))


def test_a_first_sync_mirrors_every_viewer_and_their_projects(world, clients, mirror_workspace, sync_context):
    sync_projects(sync_context)

    stats = sync_project_viewers(sync_context)

    assert_converged(mirror_workspace, "project_viewers")
    assert (stats.created, stats.updated, stats.removed) == (2, 0, 0)
    assert projects_of(clients["nora"]) == ["Support", "Website"]
    assert ProjectViewer.objects.get(webwork_id=str(world.viewer.id)).email == "client@northwind.test"
    run = SyncRun.objects.get(resource="project_viewers")
    assert (run.status, run.requests, run.pages) == ("succeeded", 1, 1)


def test_changes_removals_and_links_converge_on_the_next_sync(world, clients, mirror_workspace, sync_context):
    sync_projects(sync_context)
    sync_project_viewers(sync_context)
    sandbox.ViewerProject.objects.filter(viewer=clients["nora"], project=clients["support"]).delete()
    sandbox.ViewerProject.objects.create(viewer=clients["nora"], project=clients["mobile"])
    sandbox.Membership.objects.filter(pk=clients["nora"].pk).update(
        status="inactive", deleted_at=timezone.now()
    )
    sandbox.Membership.objects.filter(pk=clients["ivan"].pk).delete()
    sandbox.Membership.objects.create(
        workspace=world.acme,
        user=sandbox.SandboxUser.objects.create(email="pat@umbrella.test", firstname="Pat", lastname="Lee"),
        role=Role.PROJECT_VIEWER,
    )

    stats = sync_project_viewers(sync_context)

    assert_converged(mirror_workspace, "project_viewers")
    assert (stats.created, stats.updated, stats.removed) == (1, 1, 1)
    nora = ProjectViewer.objects.get(webwork_id=str(world.viewer.id))
    assert nora.status == "inactive"  # archived viewers stay listed, with their projects
    assert projects_of(clients["nora"]) == ["Mobile", "Website"]
    assert ProjectViewer.objects.get(webwork_id=str(clients["ivan"].user_id)).removed_at is not None


def test_a_project_not_mirrored_yet_is_recorded_and_linked_by_a_later_sync(
    clients, mirror_workspace, sync_context
):
    requests_before = sync_context.client.requests_made

    sync_project_viewers(sync_context)  # no projects mirrored yet

    assert sync_context.client.requests_made - requests_before == 1
    links = ViewerProject.objects.filter(viewer__webwork_id=str(clients["nora"].user_id))
    assert sorted(links.values_list("project_webwork_id", flat=True)) == sorted(
        [clients["website"].id, clients["support"].id]
    )
    assert not links.filter(project__isnull=False).exists()

    sync_projects(sync_context)
    sync_project_viewers(sync_context)

    assert_converged(mirror_workspace, "project_viewers")
    assert projects_of(clients["nora"]) == ["Support", "Website"]
    assert ViewerProject.objects.count() == 3


def test_a_failed_sync_keeps_the_previous_state_and_a_clean_resync_converges(
    clients, mirror_workspace, sync_context
):
    sync_projects(sync_context)
    sync_project_viewers(sync_context)
    sandbox.ViewerProject.objects.filter(viewer=clients["nora"]).delete()
    sandbox.FaultSettings.objects.create(pk=1, server_error_rate=1.0)

    with pytest.raises(ServerError):
        sync_project_viewers(sync_context)

    assert projects_of(clients["nora"]) == ["Support", "Website"]
    assert SyncRun.objects.get(resource="project_viewers", status="failed").error.startswith("ServerError")

    sandbox.FaultSettings.objects.filter(pk=1).update(server_error_rate=0)
    sync_project_viewers(sync_context)
    assert_converged(mirror_workspace, "project_viewers")
    assert projects_of(clients["nora"]) == []
