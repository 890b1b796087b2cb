"""Syncing tasks: one request per project, each project replaced on its own, assignees followed."""

from datetime import date

import pytest
from django.utils import timezone

from integrations.models import SyncRun, Task, TaskAssignee
from integrations.sandbox import models as sandbox
from integrations.sync.base import SyncContext
from integrations.sync.members import sync_members
from integrations.sync.owed import PartsFailed
from integrations.sync.project_tasks import sync_tasks
from integrations.sync.projects import sync_projects
from tests.integrations.convergence import assert_converged
from tests.integrations.helpers import faults_on_requests

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


class Board:
    def __init__(self, world):
        self.world = world

    def project(self, name, **extra):
        return sandbox.Project.objects.create(
            workspace=self.world.acme, owner=self.world.owner, name=name, **extra
        )

    def task(self, project, title, assignees=(), **extra):
        task = sandbox.Task.objects.create(
            workspace=self.world.acme,
            project=project,
            owner=self.world.owner,
            creator=self.world.owner,
            title=title,
            **extra,
        )
        task.assignees.set(assignees)
        return task


@pytest.fixture
def board(world):
    board = Board(world)
    board.website = board.project("Website")
    board.support = board.project("Support")
    board.legacy = board.project("Legacy", status=0)
    board.design = board.task(board.website, "Design", [world.alice], status=10, priority=20)
    board.build = board.task(
        board.website,
        "Build",
        [world.alice, world.bob],
        start_date=date(2024, 1, 15),
        end_date=date(2024, 2, 1),
    )
    board.subtask = board.task(board.website, "Build the header", [world.bob], parent=board.build)
    board.done = board.task(board.support, "Triage", status=30, completed_at=timezone.now())
    board.old = board.task(board.legacy, "Old work", [world.team_manager])
    return board


@pytest.fixture
def mirrored(sync_context):
    sync_members(sync_context)
    sync_projects(sync_context)
    return sync_context


def test_a_first_sync_mirrors_every_task_with_one_request_per_project(
    world, board, mirror_workspace, mirrored
):
    stats = sync_tasks(mirrored)

    assert_converged(mirror_workspace, "tasks")
    assert (stats.created, stats.updated, stats.removed, stats.pages) == (5, 0, 0, 3)
    run = SyncRun.objects.get(resource="tasks")
    assert (run.status, run.requests, run.pages) == ("succeeded", 3, 3)  # three projects, archived included
    build = Task.objects.get(webwork_id=str(board.build.id))
    assert build.project.name == "Website"
    assert sorted(build.assignees.values_list("email", flat=True)) == ["alice@acme.test", "bob@acme.test"]
    assert Task.objects.get(webwork_id=str(board.subtask.id)).parent_webwork_id == board.build.id


def test_changes_removals_and_assignees_converge_on_the_next_sync(world, board, mirror_workspace, mirrored):
    sync_tasks(mirrored)
    sandbox.Task.objects.filter(pk=board.design.pk).update(title="Design v2", status=20)
    board.build.assignees.remove(world.alice)
    board.done.assignees.add(world.bob)
    sandbox.Task.objects.filter(pk=board.subtask.pk).update(deleted_at=timezone.now())
    board.task(board.support, "Answer tickets", [world.alice])

    stats = sync_tasks(mirrored)

    assert_converged(mirror_workspace, "tasks")
    assert (stats.created, stats.updated, stats.removed) == (1, 4, 1)
    assert Task.objects.get(webwork_id=str(board.subtask.id)).removed_at is not None
    build = Task.objects.get(webwork_id=str(board.build.id))
    assert list(build.assignees.values_list("email", flat=True)) == ["bob@acme.test"]


def test_given_projects_only_their_tasks_are_fetched_and_replaced(world, board, mirror_workspace, mirrored):
    sync_tasks(mirrored)
    sandbox.Task.objects.filter(pk=board.done.pk).update(deleted_at=timezone.now())
    sandbox.Task.objects.filter(pk=board.design.pk).update(title="Redesign")
    requests_before = mirrored.client.requests_made

    stats = sync_tasks(mirrored, project_webwork_ids=[board.website.id])

    assert mirrored.client.requests_made - requests_before == 1
    assert (stats.created, stats.updated, stats.removed) == (0, 3, 0)
    assert Task.objects.get(webwork_id=str(board.design.id)).title == "Redesign"
    assert (
        Task.objects.get(webwork_id=str(board.done.id)).removed_at is None
    )  # another project: not looked at


def test_a_project_gone_from_webwork_takes_its_tasks_with_it(board, mirror_workspace, mirrored):
    sync_tasks(mirrored)
    sandbox.Project.objects.filter(pk=board.support.pk).delete()

    stats = sync_tasks(mirrored, project_webwork_ids=[board.support.id])

    assert stats.removed == 1
    assert Task.objects.get(webwork_id=str(board.done.id)).removed_at is not None


def test_missing_projects_and_members_are_recorded_not_fetched(world, board, mirror_workspace, sync_context):
    requests_before = sync_context.client.requests_made

    sync_tasks(sync_context, project_webwork_ids=[board.website.id])  # nothing else mirrored yet

    assert sync_context.client.requests_made - requests_before == 1
    build = Task.objects.get(webwork_id=str(board.build.id))
    assert (build.project, build.project_webwork_id) == (None, board.website.id)
    links = TaskAssignee.objects.filter(task=build)
    assert sorted(links.values_list("user_webwork_id", flat=True)) == sorted([world.alice.id, world.bob.id])
    assert not links.filter(member__isnull=False).exists()

    sync_members(sync_context)
    sync_projects(sync_context)
    sync_tasks(sync_context)

    assert_converged(mirror_workspace, "tasks")
    assert Task.objects.get(pk=build.pk).project.name == "Website"
    assert not TaskAssignee.objects.filter(member__isnull=True).exists()


def test_a_project_with_more_than_a_hundred_tasks_costs_a_request_per_hundred(
    world, mirror_workspace, mirrored
):
    board = Board(world)
    big = board.project("Big")
    sandbox.Task.objects.bulk_create(
        [
            sandbox.Task(
                workspace=world.acme, project=big, owner=world.owner, creator=world.owner, title=f"T{i}"
            )
            for i in range(120)
        ]
    )
    board.task(board.project("Small"), "One")
    sync_projects(mirrored)

    stats = sync_tasks(mirrored)

    assert_converged(mirror_workspace, "tasks")
    assert (stats.created, stats.pages) == (121, 3)
    assert SyncRun.objects.get(resource="tasks").requests == 3


def test_a_failing_project_keeps_its_tasks_and_the_other_projects_are_still_synced(
    world, board, mirror_workspace, mirrored, make_client
):
    sync_tasks(mirrored)
    sandbox.Task.objects.filter(pk=board.design.pk).update(title="Design v2")  # Website, synced first
    sandbox.Task.objects.filter(pk=board.done.pk).update(title="Triage v2")  # Support, second
    sandbox.Task.objects.filter(pk=board.old.pk).update(deleted_at=timezone.now())
    client = make_client(world.owner, get_token=faults_on_requests(world.owner, {2}), max_retries=0)
    context = SyncContext(workspace=mirror_workspace, client=client)

    with pytest.raises(PartsFailed) as raised:
        sync_tasks(context)

    # Support's listing failed: its tasks are as they were; Website's (before) and the project
    # after it are fresh.
    support = Task.objects.get(webwork_id=str(board.done.id)).project_webwork_id
    assert list(raised.value.failed) == [str(support)]
    assert Task.objects.get(webwork_id=str(board.design.id)).title == "Design v2"
    assert Task.objects.get(webwork_id=str(board.done.id)).title == "Triage"
    assert Task.objects.get(webwork_id=str(board.old.id)).removed_at is not None  # Legacy, third
    failed = SyncRun.objects.get(resource="tasks", status="failed")
    assert "ServerError" in failed.error
    assert failed.requests == client.requests_made == 3

    sync_tasks(mirrored)
    assert_converged(mirror_workspace, "tasks")
