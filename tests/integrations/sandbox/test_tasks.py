"""Sandbox API: tasks and their assignees."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.sandbox.models import Contract, Project, Task, TaskAssignee
from tests.integrations.sandbox.helpers import assert_envelope, assert_error, sandbox_queries

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def projects(world):
    website = Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    mobile = Project.objects.create(workspace=world.acme, owner=world.owner, name="Mobile")
    other = Project.objects.create(workspace=world.globex, owner=world.globex_owner, name="Globex Site")
    return website, mobile, other


def make_task(project, title, creator, **extra):
    return Task.objects.create(
        workspace=project.workspace,
        project=project,
        owner=project.owner,
        creator=creator,
        title=title,
        **extra,
    )


@pytest.fixture
def tasks(world, projects):
    """Website: login (alice, urgent), signup (bob, done, subtask of login), footer. Mobile: push.
    Globex: a task of its own."""
    website, mobile, other = projects
    now = timezone.now()
    login = make_task(website, "Login page", world.owner, priority=10, description="OAuth2", created_at=now)
    signup = make_task(
        website, "Signup page", world.owner, status=20, parent=login, created_at=now + timedelta(seconds=1)
    )
    footer = make_task(website, "Footer", world.owner, created_at=now + timedelta(seconds=2))
    push = make_task(mobile, "Push notifications", world.owner, created_at=now + timedelta(seconds=3))
    foreign = make_task(other, "Globex task", world.globex_owner)
    TaskAssignee.objects.create(task=login, user=world.alice)
    TaskAssignee.objects.create(task=signup, user=world.bob)
    TaskAssignee.objects.create(task=push, user=world.alice)
    return login, signup, footer, push, foreign


def titles(response):
    return [t["title"] for t in assert_envelope(response)["data"]]


# --- create -------------------------------------------------------------------


def test_create_task_answers_the_full_task(world, projects, owner_api):
    website, _mobile, _other = projects
    response = owner_api.post(
        "tasks",
        {
            "workspace_id": world.acme.id,
            "project_id": website.id,
            "title": "Implement user authentication",
            "description": "Add OAuth2 authentication support",
            "start_date": "2024-01-15",
            "end_date": "2024-01-30",
            "assignees": [world.alice.id, world.bob.id],
        },
    )
    body = assert_envelope(response, 201)

    assert body["message"] == "Task created successfully"
    data = body["data"]
    assert data["title"] == "Implement user authentication"
    assert data["project_id"] == website.id
    assert data["owner_id"] == world.owner.id
    assert data["creator_id"] == world.owner.id
    assert (data["status"], data["status_name"]) == (0, "Incomplete")
    assert data["status_color"].startswith("#")
    assert (data["priority"], data["priority_name"]) == (30, "Normal")
    assert (data["start_date"], data["end_date"]) == ("2024-01-15", "2024-01-30")
    assert data["completed_at"] is None
    assert data["has_details"] is True
    assert data["parent_id"] is None
    assert data["deleted_at"] is None
    assert data["assignees"] == [
        {"id": world.alice.id, "firstname": "Alice", "lastname": "Moreau", "email": "alice@acme.test"},
        {"id": world.bob.id, "firstname": "Bob", "lastname": "Okafor", "email": "bob@acme.test"},
    ]


def test_create_task_done_sets_completed_at_and_accepts_a_parent(world, tasks, api):
    login, *_rest = tasks
    team_manager = api.as_user(world.team_manager)  # task creation is open to team managers too
    body = {"workspace_id": world.acme.id, "project_id": login.project_id, "title": "Logout", "status": 30}
    data = assert_envelope(team_manager.post("tasks", {**body, "parent_id": login.id, "priority": 40}), 201)[
        "data"
    ]

    assert data["completed_at"] is not None
    assert (data["status_name"], data["priority_name"]) == ("Completed", "Low")
    assert data["parent_id"] == login.id
    assert data["creator_id"] == world.team_manager.id
    assert data["has_details"] is False
    assert data["assignees"] == []


def test_create_task_refuses_invalid_input(world, projects, tasks, owner_api):
    website, _mobile, other = projects
    _login, _signup, _footer, push, _foreign = tasks
    base = {"workspace_id": world.acme.id, "project_id": website.id, "title": "T"}

    assert_error(owner_api.post("tasks", {"workspace_id": world.acme.id}), 422, "project_id", "title")
    assert_error(owner_api.post("tasks", {**base, "status": 5}), 422, "status")
    assert_error(owner_api.post("tasks", {**base, "priority": 50}), 422, "priority")
    assert_error(
        owner_api.post("tasks", {**base, "start_date": "2024-02-01", "end_date": "2024-01-31"}),
        422,
        "end_date",
    )
    assert_error(owner_api.post("tasks", {**base, "assignees": [world.globex_owner.id]}), 422, "assignees")
    assert_error(owner_api.post("tasks", {**base, "assignees": [world.viewer.id]}), 422, "assignees")
    assert_error(owner_api.post("tasks", {**base, "assignees": ["alice"]}), 422, "assignees")
    assert_error(owner_api.post("tasks", {**base, "project_id": other.id}), 422, "project_id")
    assert_error(owner_api.post("tasks", {**base, "parent_id": push.id}), 422, "parent_id")
    assert not Task.objects.filter(title="T").exists()


def test_create_task_is_for_managers(world, projects, api):
    website, _mobile, _other = projects
    body = {"workspace_id": world.acme.id, "project_id": website.id, "title": "Nope"}

    assert_error(api.post("tasks", body), 401)
    assert_error(api.as_user(world.alice).post("tasks", body), 403)
    assert_error(api.as_user(world.viewer).post("tasks", body), 403)
    assert_error(api.as_user(world.globex_owner).post("tasks", body), 403)
    assert not Task.objects.filter(title="Nope").exists()


# --- list ---------------------------------------------------------------------


def test_task_list_without_a_project_lists_the_whole_workspace(world, tasks, owner_api):
    body = assert_envelope(owner_api.get("tasks", workspace_id=world.acme.id))

    assert [t["title"] for t in body["data"]] == ["Login page", "Signup page", "Footer", "Push notifications"]
    assert body["meta"]["pagination"]["total"] == 4
    assert body["data"][0]["assignees"][0]["id"] == world.alice.id
    assert body["data"][1]["parent_id"] == tasks[0].id


def test_task_list_filters(world, projects, tasks, owner_api):
    website, mobile, _other = projects
    login, *_rest = tasks
    contract = Contract.objects.create(workspace=world.acme, project=website, user=world.alice)
    acme = world.acme.id

    assert titles(owner_api.get("tasks", workspace_id=acme, project_id=mobile.id)) == ["Push notifications"]
    assert titles(owner_api.get("tasks", workspace_id=acme, contract_id=contract.id)) == ["Login page"]
    assert titles(owner_api.get("tasks", workspace_id=acme, status=20)) == ["Signup page"]
    assert titles(owner_api.get("tasks", workspace_id=acme, priority=10)) == ["Login page"]
    assert titles(owner_api.get("tasks", workspace_id=acme, parent_id=login.id)) == ["Signup page"]
    assert titles(owner_api.get("tasks", workspace_id=acme, project_id=website.id, order_by="title")) == [
        "Footer",
        "Login page",
        "Signup page",
    ]
    assert (
        titles(owner_api.get("tasks", workspace_id=acme, order_by="-created_at"))[0] == "Push notifications"
    )
    assert titles(owner_api.get("tasks", workspace_id=acme, order_by="status"))[-1] == "Signup page"


def test_task_list_refuses_bad_filters_and_pages(world, projects, tasks, owner_api):
    _website, _mobile, other = projects
    acme = world.acme.id
    page2 = assert_envelope(owner_api.get("tasks", workspace_id=acme, per_page=3, page=2))

    assert [t["title"] for t in page2["data"]] == ["Push notifications"]
    assert page2["meta"]["pagination"]["last_page"] == 2
    assert_error(owner_api.get("tasks", workspace_id=acme, order_by="colour"), 422, "order_by")
    assert_error(owner_api.get("tasks", workspace_id=acme, status=15), 422, "status")
    assert_error(owner_api.get("tasks", workspace_id=acme, priority="high"), 422, "priority")
    assert_error(owner_api.get("tasks", workspace_id=acme, per_page=101), 422, "per_page")
    assert_error(owner_api.get("tasks", workspace_id=acme, page=0), 422, "page")
    assert_error(owner_api.get("tasks", workspace_id=acme, project_id=other.id), 404)


def test_task_list_needs_a_token_and_a_workspace_the_caller_manages(world, tasks, api):
    assert_error(api.get("tasks", workspace_id=world.acme.id), 401)
    assert_error(api.as_user(world.alice).get("tasks", workspace_id=world.acme.id), 403)
    assert_error(api.as_user(world.manager).get("tasks", workspace_id=world.globex.id), 403)


def test_task_list_queries_do_not_grow_with_the_number_of_tasks(world, projects, tasks, owner_api):
    website, _mobile, _other = projects

    def count_queries():
        return sandbox_queries(lambda: owner_api.get("tasks", workspace_id=world.acme.id))

    count_queries()  # the caller's first request also opens their rate-limit window
    before = count_queries()
    for index in range(4):
        task = make_task(website, f"Extra {index}", world.owner)
        TaskAssignee.objects.create(task=task, user=world.bob)

    assert count_queries() == before


# --- get ----------------------------------------------------------------------


def test_get_task_checks_its_project(world, projects, tasks, owner_api, api):
    _website, mobile, _other = projects
    login, _signup, _footer, _push, foreign = tasks
    acme = world.acme.id
    body = assert_envelope(owner_api.get(f"tasks/{login.id}", workspace_id=acme, project_id=login.project_id))

    assert body["data"]["title"] == "Login page"
    assert body["data"]["has_details"] is True
    assert_error(owner_api.get(f"tasks/{login.id}", workspace_id=acme, project_id=mobile.id), 404)
    assert_error(owner_api.get(f"tasks/{login.id}", workspace_id=acme, project_id="web"), 422, "project_id")
    assert_error(owner_api.get(f"tasks/{foreign.id}", workspace_id=acme), 404)
    assert_error(owner_api.get("tasks/424242", workspace_id=acme), 404)
    assert_error(api.get(f"tasks/{login.id}", workspace_id=acme), 401)
    assert_error(api.as_user(world.bob).get(f"tasks/{login.id}", workspace_id=acme), 403)


# --- update -------------------------------------------------------------------


def test_update_task_changes_only_what_was_sent(world, tasks, owner_api):
    login, *_rest = tasks
    body = {"workspace_id": world.acme.id, "project_id": login.project_id}
    done = assert_envelope(owner_api.put(f"tasks/{login.id}", {**body, "status": 20, "title": "Login"}))

    assert done["message"] == "Task updated successfully"
    assert done["data"]["title"] == "Login"
    assert done["data"]["status_name"] == "Done"
    assert done["data"]["completed_at"] is not None
    assert done["data"]["priority"] == 10
    assert done["data"]["assignees"][0]["id"] == world.alice.id

    reopened = assert_envelope(owner_api.put(f"tasks/{login.id}", {**body, "status": 10, "description": ""}))
    assert reopened["data"]["completed_at"] is None
    assert reopened["data"]["has_details"] is False
    assert reopened["data"]["title"] == "Login"


def test_update_task_refuses_invalid_values(world, projects, tasks, owner_api, api):
    _website, mobile, _other = projects
    login, signup, _footer, push, foreign = tasks
    body = {"workspace_id": world.acme.id, "project_id": login.project_id}

    assert_error(owner_api.put(f"tasks/{login.id}", {**body, "title": ""}), 422, "title")
    assert_error(owner_api.put(f"tasks/{login.id}", {**body, "priority": 0}), 422, "priority")
    assert_error(
        owner_api.put(f"tasks/{login.id}", {**body, "start_date": "2024-02-01", "end_date": "2024-01-01"}),
        422,
        "end_date",
    )
    assert_error(owner_api.put(f"tasks/{login.id}", {**body, "parent_id": login.id}), 422, "parent_id")
    assert_error(owner_api.put(f"tasks/{login.id}", {**body, "parent_id": signup.id}), 422, "parent_id")
    assert_error(owner_api.put(f"tasks/{login.id}", {**body, "parent_id": push.id}), 422, "parent_id")
    assert_error(owner_api.put(f"tasks/{login.id}", {**body, "project_id": mobile.id, "title": "X"}), 404)
    assert_error(owner_api.put(f"tasks/{foreign.id}", {"workspace_id": world.acme.id, "title": "X"}), 404)
    assert_error(api.as_user(world.team_manager).put(f"tasks/{login.id}", {**body, "title": "X"}), 403)
    assert_error(api.put(f"tasks/{login.id}", {**body, "title": "X"}), 401)
    login.refresh_from_db()
    assert (login.title, login.parent_id, login.priority) == ("Login page", None, 10)


# --- delete -------------------------------------------------------------------


def test_delete_task_is_soft_and_hides_the_task(world, tasks, owner_api, api):
    login, _signup, _footer, _push, foreign = tasks
    body = {"workspace_id": world.acme.id, "project_id": login.project_id}

    assert_error(api.as_user(world.alice).delete(f"tasks/{login.id}", body), 403)
    assert_error(api.delete(f"tasks/{login.id}", body), 401)
    assert_error(owner_api.delete(f"tasks/{foreign.id}", {"workspace_id": world.acme.id}), 404)
    deleted = assert_envelope(owner_api.delete(f"tasks/{login.id}", body))

    assert deleted["data"] is None
    assert_error(owner_api.get(f"tasks/{login.id}", workspace_id=world.acme.id), 404)
    assert_error(owner_api.delete(f"tasks/{login.id}", body), 404)
    assert "Login page" not in titles(owner_api.get("tasks", workspace_id=world.acme.id))
    assert Task.objects.get(pk=login.id).deleted_at is not None


# --- assign, unassign, assignees ------------------------------------------------


def test_assign_and_unassign_a_member(world, tasks, owner_api):
    _login, _signup, footer, _push, _foreign = tasks
    body = {"workspace_id": world.acme.id, "project_id": footer.project_id}
    assigned = assert_envelope(owner_api.post(f"tasks/{footer.id}/assign/{world.bob.id}", body))

    assert assigned["data"] is None
    assert assigned["message"]
    listed = assert_envelope(
        owner_api.get(
            f"tasks/{footer.id}/assignees", workspace_id=world.acme.id, project_id=footer.project_id
        )
    )
    assert listed["data"] == [
        {"id": world.bob.id, "firstname": "Bob", "lastname": "Okafor", "email": "bob@acme.test"}
    ]
    # Assigning again is a business rule's refusal: 400 (WebWork documents no 409).
    again = assert_error(owner_api.post(f"tasks/{footer.id}/assign/{world.bob.id}", body), 400)
    assert again["message"] == "Bob Okafor is already assigned to this task."
    assert TaskAssignee.objects.filter(task=footer, user=world.bob).count() == 1

    unassigned = assert_envelope(owner_api.delete(f"tasks/{footer.id}/unassign/{world.bob.id}", body))
    assert unassigned["data"] is None
    assert (
        assert_envelope(owner_api.get(f"tasks/{footer.id}/assignees", workspace_id=world.acme.id))["data"]
        == []
    )
    assert_error(owner_api.delete(f"tasks/{footer.id}/unassign/{world.bob.id}", body), 422, "user_id")


def test_assign_refuses_outsiders_and_unknown_tasks(world, tasks, owner_api, api):
    login, _signup, _footer, _push, foreign = tasks
    body = {"workspace_id": world.acme.id}

    assert_error(owner_api.post(f"tasks/{login.id}/assign/{world.globex_owner.id}", body), 422, "user_id")
    assert_error(owner_api.post(f"tasks/{login.id}/assign/{world.viewer.id}", body), 422, "user_id")
    assert_error(owner_api.post(f"tasks/{login.id}/assign/99999999999999999999", body), 404)
    assert_error(owner_api.post(f"tasks/{foreign.id}/assign/{world.bob.id}", body), 404)
    assert_error(owner_api.post(f"tasks/424242/assign/{world.bob.id}", body), 404)
    assert_error(api.as_user(world.alice).post(f"tasks/{login.id}/assign/{world.bob.id}", body), 403)
    assert_error(api.post(f"tasks/{login.id}/assign/{world.bob.id}", body), 401)
    assert_error(api.as_user(world.bob).delete(f"tasks/{login.id}/unassign/{world.alice.id}", body), 403)
    assert_error(owner_api.delete(f"tasks/{foreign.id}/unassign/{world.globex_owner.id}", body), 404)
    assert list(login.assignees.values_list("id", flat=True)) == [world.alice.id]


def test_task_assignees_needs_a_token_and_a_task_of_the_workspace(world, tasks, owner_api, api):
    login, _signup, _footer, _push, foreign = tasks
    acme = world.acme.id

    assert [
        a["id"]
        for a in assert_envelope(owner_api.get(f"tasks/{login.id}/assignees", workspace_id=acme))["data"]
    ] == [world.alice.id]
    assert_error(api.get(f"tasks/{login.id}/assignees", workspace_id=acme), 401)
    assert_error(api.as_user(world.alice).get(f"tasks/{login.id}/assignees", workspace_id=acme), 403)
    assert_error(owner_api.get(f"tasks/{foreign.id}/assignees", workspace_id=acme), 404)
