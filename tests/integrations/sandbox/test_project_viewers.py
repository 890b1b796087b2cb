"""Sandbox API: project viewers (clients with read-only access to some projects)."""

import pytest
from django.utils import timezone

from integrations.sandbox.models import Membership, Project, SandboxUser, ViewerProject
from integrations.sandbox.models.accounts import Role
from tests.integrations.sandbox.helpers import assert_envelope, assert_error, sandbox_queries

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def projects(world):
    website = Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    mobile = Project.objects.create(workspace=world.acme, owner=world.owner, name="Mobile")
    other = Project.objects.create(workspace=world.globex, owner=world.globex_owner, name="Globex Site")
    viewer = Membership.objects.get(workspace=world.acme, user=world.viewer)
    ViewerProject.objects.create(viewer=viewer, project=mobile)
    ViewerProject.objects.create(viewer=viewer, project=website)
    return website, mobile, other


def add_viewer(workspace, email, first="Val", last="Viewer"):
    user = SandboxUser.objects.create(email=email, firstname=first, lastname=last)
    return Membership.objects.create(workspace=workspace, user=user, role=Role.PROJECT_VIEWER)


def viewer_url(user_id, action=""):
    return f"project-viewers/{user_id}" + (f"/{action}" if action else "")


# --- list ---------------------------------------------------------------------


def test_viewer_list_shows_only_viewers_with_their_projects(world, projects, owner_api):
    website, mobile, _other = projects
    add_viewer(world.globex, "globex-client@example.test")
    body = assert_envelope(owner_api.get("project-viewers", workspace_id=world.acme.id))

    assert len(body["data"]) == 1
    nora = body["data"][0]
    assert (nora["id"], nora["email"], nora["firstname"], nora["lastname"]) == (
        world.viewer.id,
        "client@northwind.test",
        "Nora",
        "West",
    )
    assert nora["status"] == "active"
    assert nora["member_since"].endswith("Z")
    assert nora["projects"] == [
        {"project_id": website.id, "project_name": "Website"},
        {"project_id": mobile.id, "project_name": "Mobile"},
    ]
    assert body["meta"]["pagination"]["total"] == 1


def test_viewer_list_filters_by_email_and_paginates(world, projects, owner_api):
    acme = world.acme.id
    add_viewer(world.acme, "second@example.test")
    add_viewer(world.acme, "third@example.test")

    by_email = assert_envelope(
        owner_api.get("project-viewers", workspace_id=acme, email="SECOND@example.test")
    )
    assert [v["email"] for v in by_email["data"]] == ["second@example.test"]
    page2 = assert_envelope(owner_api.get("project-viewers", workspace_id=acme, per_page=2, page=2))
    assert [v["email"] for v in page2["data"]] == ["third@example.test"]
    assert page2["meta"]["pagination"]["last_page"] == 2
    assert_error(owner_api.get("project-viewers", workspace_id=acme, per_page=101), 422, "per_page")
    assert_error(owner_api.get("project-viewers", workspace_id=acme, page=0), 422, "page")


def test_viewer_list_needs_a_token_and_a_workspace_the_caller_manages(world, api):
    assert_error(api.get("project-viewers", workspace_id=world.acme.id), 401)
    assert_error(api.as_user(world.viewer).get("project-viewers", workspace_id=world.acme.id), 403)
    assert_error(api.as_user(world.manager).get("project-viewers", workspace_id=world.globex.id), 403)


def test_viewer_list_queries_do_not_grow_with_the_number_of_viewers(world, projects, owner_api):
    website, mobile, _other = projects

    def count_queries():
        return sandbox_queries(lambda: owner_api.get("project-viewers", workspace_id=world.acme.id))

    count_queries()  # the caller's first request also opens their rate-limit window
    before = count_queries()
    for index in range(4):
        viewer = add_viewer(world.acme, f"extra{index}@example.test")
        ViewerProject.objects.create(viewer=viewer, project=website)
        ViewerProject.objects.create(viewer=viewer, project=mobile)

    assert count_queries() == before


# --- create -------------------------------------------------------------------


def test_create_viewer(world, owner_api):
    response = owner_api.post(
        "project-viewers",
        {"workspace_id": world.acme.id, "email": "Pat@Client.test", "firstname": "Pat", "lastname": "Lee"},
    )
    body = assert_envelope(response, 201)

    assert body["message"] == "Project viewer created successfully"
    data = body["data"]
    assert data["email"] == "pat@client.test"
    assert (data["firstname"], data["lastname"], data["status"], data["projects"]) == (
        "Pat",
        "Lee",
        "active",
        [],
    )
    assert data["member_since"] is not None
    listed = assert_envelope(
        owner_api.get("project-viewers", workspace_id=world.acme.id, email="pat@client.test")
    )
    assert [v["id"] for v in listed["data"]] == [data["id"]]
    # A viewer is a member with the "Project viewer" role.
    member = assert_envelope(owner_api.get(f"members/{data['id']}", workspace_id=world.acme.id))
    assert member["data"]["current_role"] == "Project viewer"


def test_create_viewer_refuses_members_and_bad_input(world, owner_api, api):
    acme = world.acme.id
    person = {"firstname": "A", "lastname": "B"}

    # Someone already in the workspace: a business rule's 400 (WebWork documents no 409).
    member = assert_error(
        owner_api.post("project-viewers", {"workspace_id": acme, "email": "alice@acme.test", **person}), 400
    )
    assert member["message"] == "alice@acme.test is already a member of this workspace (Regular User)."
    viewer = assert_error(
        owner_api.post("project-viewers", {"workspace_id": acme, "email": "CLIENT@northwind.test", **person}),
        400,
    )
    assert (
        viewer["message"] == "CLIENT@northwind.test is already a member of this workspace (Project viewer)."
    )
    Membership.objects.filter(workspace=world.acme, user=world.viewer).update(deleted_at=timezone.now())
    archived = assert_error(
        owner_api.post("project-viewers", {"workspace_id": acme, "email": "client@northwind.test", **person}),
        400,
    )
    assert archived["message"] == (
        "client@northwind.test is an archived project viewer of this workspace; restore them with "
        f"POST /project-viewers/{world.viewer.id}/restore."
    )
    assert Membership.objects.filter(workspace=world.acme, user__email="alice@acme.test").count() == 1
    assert_error(
        owner_api.post("project-viewers", {"workspace_id": acme, "email": "nope"}),
        422,
        "email",
        "firstname",
        "lastname",
    )
    assert_error(
        api.as_user(world.team_manager).post(
            "project-viewers", {"workspace_id": acme, "email": "x@y.test", **person}
        ),
        403,
    )
    assert_error(api.post("project-viewers", {"workspace_id": acme, "email": "x@y.test", **person}), 401)
    assert not SandboxUser.objects.filter(email="x@y.test").exists()


def test_create_viewer_reuses_an_account_from_another_workspace(world, owner_api):
    body = {"workspace_id": world.acme.id, "email": "owner@globex.test", "firstname": "G", "lastname": "H"}
    data = assert_envelope(owner_api.post("project-viewers", body), 201)["data"]

    assert data["id"] == world.globex_owner.id
    assert (data["firstname"], data["lastname"]) == ("Gus", "Hale")


# --- get ----------------------------------------------------------------------


def test_get_viewer(world, projects, owner_api, api):
    acme = world.acme.id
    globex_viewer = add_viewer(world.globex, "globex-client@example.test")
    body = assert_envelope(owner_api.get(viewer_url(world.viewer.id), workspace_id=acme))

    assert body["message"] == "Project viewer retrieved successfully"
    assert [p["project_name"] for p in body["data"]["projects"]] == ["Website", "Mobile"]
    assert_error(owner_api.get(viewer_url(world.alice.id), workspace_id=acme), 404)  # a member, not a viewer
    assert_error(owner_api.get(viewer_url(globex_viewer.user_id), workspace_id=acme), 404)
    assert_error(owner_api.get(viewer_url(424242), workspace_id=acme), 404)
    assert_error(api.get(viewer_url(world.viewer.id), workspace_id=acme), 401)
    assert_error(api.as_user(world.bob).get(viewer_url(world.viewer.id), workspace_id=acme), 403)


# --- archive and restore ----------------------------------------------------------


def test_archive_and_restore_a_viewer(world, projects, owner_api):
    acme = world.acme.id
    archived = assert_envelope(owner_api.delete(viewer_url(world.viewer.id), workspace_id=acme))

    assert archived["data"] is None
    listed = assert_envelope(owner_api.get("project-viewers", workspace_id=acme))["data"]
    assert [(v["id"], v["status"]) for v in listed] == [(world.viewer.id, "inactive")]
    assert len(listed[0]["projects"]) == 2  # kept for a restore
    assert_envelope(owner_api.delete(viewer_url(world.viewer.id), workspace_id=acme))  # again: no change

    restored = assert_envelope(owner_api.post(viewer_url(world.viewer.id, "restore"), {"workspace_id": acme}))
    assert restored["data"] is None
    viewer = assert_envelope(owner_api.get(viewer_url(world.viewer.id), workspace_id=acme))["data"]
    assert viewer["status"] == "active"
    assert len(viewer["projects"]) == 2
    assert_error(owner_api.post(viewer_url(world.viewer.id, "restore"), {"workspace_id": acme}), 422)


def test_archive_and_restore_need_rights_and_a_viewer_of_the_workspace(world, api, owner_api):
    acme = {"workspace_id": world.acme.id}
    alice = api.as_user(world.alice)

    assert_error(api.delete(viewer_url(world.viewer.id), **acme), 401)
    assert_error(alice.delete(viewer_url(world.viewer.id), **acme), 403)
    assert_error(owner_api.delete(viewer_url(world.bob.id), **acme), 404)
    assert_error(api.post(viewer_url(world.viewer.id, "restore"), acme), 401)
    assert_error(alice.post(viewer_url(world.viewer.id, "restore"), acme), 403)
    assert_error(owner_api.post(viewer_url(424242, "restore"), acme), 404)
    assert Membership.objects.get(workspace=world.acme, user=world.viewer).deleted_at is None


# --- assign and unassign a project ----------------------------------------------


def test_assign_and_unassign_a_project(world, owner_api):
    acme = world.acme.id
    project = Project.objects.create(workspace=world.acme, owner=world.owner, name="Portal")
    body = {"workspace_id": acme, "project_id": project.id}
    assigned = assert_envelope(owner_api.post(viewer_url(world.viewer.id, "assign-project"), body))

    assert assigned["message"] == "Project assigned to viewer successfully"
    assert assigned["data"] is None
    viewer = assert_envelope(owner_api.get(viewer_url(world.viewer.id), workspace_id=acme))["data"]
    assert viewer["projects"] == [{"project_id": project.id, "project_name": "Portal"}]
    again = assert_error(owner_api.post(viewer_url(world.viewer.id, "assign-project"), body), 400)
    assert again["message"] == "client@northwind.test already sees Portal."

    unassigned = assert_envelope(owner_api.delete(viewer_url(world.viewer.id, "unassign-project"), body))
    assert unassigned["data"] is None
    viewer = assert_envelope(owner_api.get(viewer_url(world.viewer.id), workspace_id=acme))["data"]
    assert viewer["projects"] == []
    assert_error(owner_api.delete(viewer_url(world.viewer.id, "unassign-project"), body), 422, "project_id")


def test_assign_project_refuses_bad_projects_and_archived_viewers(world, projects, owner_api, api):
    _website, _mobile, other = projects
    acme = world.acme.id
    portal = Project.objects.create(workspace=world.acme, owner=world.owner, name="Portal")
    assign = viewer_url(world.viewer.id, "assign-project")

    assert_error(owner_api.post(assign, {"workspace_id": acme, "project_id": other.id}), 422, "project_id")
    assert_error(owner_api.post(assign, {"workspace_id": acme}), 422, "project_id")
    assert_error(owner_api.post(assign, {"workspace_id": acme, "project_id": "x"}), 422, "project_id")
    assert_error(owner_api.post(viewer_url(world.alice.id, "assign-project"), {"workspace_id": acme}), 404)
    assert_error(api.as_user(world.alice).post(assign, {"workspace_id": acme, "project_id": portal.id}), 403)
    assert_error(api.post(assign, {"workspace_id": acme, "project_id": portal.id}), 401)
    assert_envelope(owner_api.delete(viewer_url(world.viewer.id), workspace_id=acme))
    assert_error(owner_api.post(assign, {"workspace_id": acme, "project_id": portal.id}), 422)
    assert not ViewerProject.objects.filter(project__in=[other, portal]).exists()


def test_unassign_project_needs_rights_and_a_viewer_of_the_workspace(world, projects, owner_api, api):
    website, _mobile, other = projects
    acme = world.acme.id
    unassign = viewer_url(world.viewer.id, "unassign-project")

    assert_error(
        owner_api.delete(unassign, {"workspace_id": acme, "project_id": other.id}), 422, "project_id"
    )
    assert_error(owner_api.delete(unassign, {"workspace_id": acme}), 422, "project_id")
    assert_error(owner_api.delete(viewer_url(424242, "unassign-project"), {"workspace_id": acme}), 404)
    assert_error(
        api.as_user(world.bob).delete(unassign, {"workspace_id": acme, "project_id": website.id}), 403
    )
    assert_error(api.delete(unassign, {"workspace_id": acme, "project_id": website.id}), 401)
    assert ViewerProject.objects.filter(project=website).exists()
