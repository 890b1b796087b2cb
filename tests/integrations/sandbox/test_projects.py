"""Sandbox API: projects."""

from datetime import date

import pytest

from integrations.sandbox.models import Contract, Membership, Project, ProjectTag
from tests.integrations.sandbox.helpers import assert_envelope, assert_error, sandbox_queries

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def projects(world):
    website = Project.objects.create(
        workspace=world.acme,
        owner=world.owner,
        name="Website Redesign",
        rate=50,
        start_date=date(2024, 1, 15),
        deadline=date(2024, 3, 31),
        notes="Landing pages first",
    )
    mobile = Project.objects.create(workspace=world.acme, owner=world.owner, name="Mobile App", rate=65)
    other = Project.objects.create(workspace=world.globex, owner=world.globex_owner, name="Globex Website")
    Contract.objects.create(workspace=world.acme, project=website, user=world.alice)
    Contract.objects.create(workspace=world.acme, project=website, user=world.bob)
    Contract.objects.create(workspace=world.acme, project=website, user=world.team_manager, status="paused")
    marketing = ProjectTag.objects.create(workspace=world.acme, name="Marketing", color="#FF5733")
    internal = ProjectTag.objects.create(workspace=world.acme, name="internal")  # no color
    website.tags.add(marketing, internal)
    other.tags.add(ProjectTag.objects.create(workspace=world.globex, name="Globex only", color="#000000"))
    return website, mobile, other


# --- list ---------------------------------------------------------------------


def test_project_tags_are_objects_with_id_name_and_color(world, projects, owner_api):
    """WebWork documents `tags` as `array<{id:int,name:string,color:string|null}>`."""
    website, _mobile, _other = projects
    marketing = ProjectTag.objects.get(name="Marketing")
    internal = ProjectTag.objects.get(name="internal")
    expected = [
        {"id": marketing.id, "name": "Marketing", "color": "#FF5733"},
        {"id": internal.id, "name": "internal", "color": None},
    ]

    listed = assert_envelope(owner_api.get("projects", workspace_id=world.acme.id))["data"]
    fetched = assert_envelope(owner_api.get(f"projects/{website.id}", workspace_id=world.acme.id))["data"]

    assert listed[0]["tags"] == expected
    assert fetched["tags"] == expected
    assert [type(tag["id"]) for tag in fetched["tags"]] == [int, int]  # ids, not names


def test_project_list_counts_active_contracts_and_shows_rates_to_those_who_see_them(
    world, projects, owner_api, api
):
    website, mobile, _other = projects
    body = assert_envelope(owner_api.get("projects", workspace_id=world.acme.id))

    assert [p["name"] for p in body["data"]] == ["Website Redesign", "Mobile App"]
    first = body["data"][0]
    assert first["id"] == website.id
    assert first["contracts_count"] == 2  # the paused contract does not count
    assert first["rate"] == 50
    assert first["owner_id"] == world.owner.id
    assert first["start_date"] == "2024-01-15"
    assert first["deadline"] == "2024-03-31"
    assert first["status"] == 1
    assert body["data"][1]["id"] == mobile.id
    assert body["data"][1]["contracts_count"] == 0
    assert body["data"][1]["tags"] == []

    Membership.objects.filter(user=world.manager, workspace=world.acme).update(rate_status=0)
    hidden = assert_envelope(api.as_user(world.manager).get("projects", workspace_id=world.acme.id))
    assert [p["rate"] for p in hidden["data"]] == [None, None]


def test_project_list_filters_by_name_case_insensitively_and_partially(world, projects, owner_api):
    body = assert_envelope(owner_api.get("projects", workspace_id=world.acme.id, name="WEBSITE"))
    none = assert_envelope(owner_api.get("projects", workspace_id=world.acme.id, name="Globex"))

    assert [p["name"] for p in body["data"]] == ["Website Redesign"]
    assert none["data"] == []


def test_project_list_paginates_with_bounds(world, projects, owner_api):
    acme = world.acme.id
    page2 = assert_envelope(owner_api.get("projects", workspace_id=acme, per_page=1, page=2))

    assert [p["name"] for p in page2["data"]] == ["Mobile App"]
    assert page2["meta"]["pagination"] == {
        "total": 2,
        "per_page": 1,
        "current_page": 2,
        "last_page": 2,
        "from": 2,
        "to": 2,
    }
    assert_error(owner_api.get("projects", workspace_id=acme, per_page=0), 422, "per_page")
    assert_error(owner_api.get("projects", workspace_id=acme, per_page=101), 422, "per_page")
    assert_error(owner_api.get("projects", workspace_id=acme, page=0), 422, "page")
    far = assert_envelope(owner_api.get("projects", workspace_id=acme, page=10**20))
    assert far["data"] == []
    assert far["meta"]["pagination"]["total"] == 2


def test_project_list_needs_a_token_and_a_workspace_the_caller_manages(world, projects, api):
    assert_error(api.get("projects", workspace_id=world.acme.id), 401)
    assert_error(api.as_user(world.alice).get("projects", workspace_id=world.acme.id), 403)
    assert_error(api.as_user(world.manager).get("projects", workspace_id=world.globex.id), 403)
    assert_error(api.as_user(world.manager).get("projects"), 422, "workspace_id")
    assert_error(api.as_user(world.manager).get("projects", workspace_id=10**30), 422, "workspace_id")


def test_project_list_queries_do_not_grow_with_the_number_of_projects(world, projects, owner_api):
    def count_queries():
        return sandbox_queries(lambda: owner_api.get("projects", workspace_id=world.acme.id))

    count_queries()  # the caller's first request also opens their rate-limit window
    before = count_queries()
    for index in range(5):
        project = Project.objects.create(workspace=world.acme, owner=world.owner, name=f"Extra {index}")
        Contract.objects.create(workspace=world.acme, project=project, user=world.alice)
        project.tags.add(ProjectTag.objects.create(workspace=world.acme, name=f"Tag {index}"))

    assert count_queries() == before


# --- create -------------------------------------------------------------------


def test_create_project_with_workspace_id_in_the_query(world, owner_api):
    response = owner_api.post(
        "projects",
        {
            "name": "Marketing Campaign Q1",
            "start_date": "2024-01-15",
            "deadline": "2024-03-31",
            "estimation": 120,
            "budget": 5000.5,
            "notes": "Focus on social media channels",
            "icon": "project-icon-1",
        },
        workspace_id=world.acme.id,
    )
    body = assert_envelope(response, 201)

    assert body["message"] == "Project created successfully"
    data = body["data"]
    assert data["name"] == "Marketing Campaign Q1"
    assert data["budget_estimation"] == 5000.5
    assert data["estimation"] == 120
    assert data["owner_id"] == world.owner.id
    assert data["contracts_count"] == 0
    assert data["status"] == 1
    assert data["tags"] == []  # a new project has none (create takes no tags)
    fetched = assert_envelope(owner_api.get(f"projects/{data['id']}", workspace_id=world.acme.id))
    assert fetched["data"]["notes"] == "Focus on social media channels"
    assert fetched["data"]["icon"] == "project-icon-1"


def test_create_project_with_workspace_id_in_the_body(world, manager_api):
    body = assert_envelope(manager_api.post("projects", {"workspace_id": world.acme.id, "name": "Docs"}), 201)

    assert body["data"]["name"] == "Docs"
    assert body["data"]["start_date"] is None
    assert Project.objects.get(pk=body["data"]["id"]).workspace_id == world.acme.id


def test_create_project_refuses_invalid_input(world, owner_api):
    acme = world.acme.id
    assert_error(owner_api.post("projects", {"workspace_id": acme}), 422, "name")
    assert_error(
        owner_api.post(
            "projects",
            {"workspace_id": acme, "name": "X", "start_date": "2024-05-01", "deadline": "2024-04-30"},
        ),
        422,
        "deadline",
    )
    assert_error(
        owner_api.post("projects", {"workspace_id": acme, "name": "X", "start_date": "15/01/2024"}),
        422,
        "start_date",
    )
    assert_error(
        owner_api.post("projects", {"workspace_id": acme, "name": "X", "deadline": 20240101}), 422, "deadline"
    )
    assert_error(
        owner_api.post("projects", {"workspace_id": acme, "name": "X", "estimation": -1}), 422, "estimation"
    )
    assert_error(
        owner_api.post("projects", {"workspace_id": acme, "name": "X", "budget": "lots"}), 422, "budget"
    )
    assert not Project.objects.filter(name="X").exists()


def test_create_project_is_for_owners_and_executive_managers(world, api):
    body = {"workspace_id": world.acme.id, "name": "Secret"}

    assert_error(api.post("projects", body), 401)
    assert_error(api.as_user(world.team_manager).post("projects", body), 403)
    assert_error(api.as_user(world.globex_owner).post("projects", body), 403)
    assert not Project.objects.filter(name="Secret").exists()


# --- get ----------------------------------------------------------------------


def test_get_project(world, projects, owner_api, api):
    website, _mobile, other = projects
    body = assert_envelope(owner_api.get(f"projects/{website.id}", workspace_id=world.acme.id))

    assert body["data"]["name"] == "Website Redesign"
    assert body["data"]["contracts_count"] == 2
    assert_error(owner_api.get("projects/424242", workspace_id=world.acme.id), 404)
    assert_error(owner_api.get(f"projects/{other.id}", workspace_id=world.acme.id), 404)
    assert_error(owner_api.get("projects/99999999999999999999999", workspace_id=world.acme.id), 404)
    assert_error(api.get(f"projects/{website.id}", workspace_id=world.acme.id), 401)
    assert_error(api.as_user(world.bob).get(f"projects/{website.id}", workspace_id=world.acme.id), 403)


# --- update -------------------------------------------------------------------


def test_update_project_changes_only_what_was_sent(world, projects, owner_api):
    website, _mobile, _other = projects
    response = owner_api.put(
        f"projects/{website.id}",
        {"name": "Website 2.0", "budget": 900, "notes": None},
        workspace_id=world.acme.id,
    )
    body = assert_envelope(response)

    assert body["message"] == "Project updated successfully"
    assert body["data"]["name"] == "Website 2.0"
    assert body["data"]["budget_estimation"] == 900
    assert body["data"]["notes"] is None
    assert body["data"]["start_date"] == "2024-01-15"
    assert body["data"]["contracts_count"] == 2
    assert [tag["name"] for tag in body["data"]["tags"]] == ["Marketing", "internal"]  # kept
    listed = assert_envelope(owner_api.get("projects", workspace_id=world.acme.id, name="2.0"))
    assert [p["id"] for p in listed["data"]] == [website.id]


def test_update_project_refuses_invalid_values(world, projects, owner_api, api):
    website, _mobile, other = projects
    acme = world.acme.id

    # The deadline is checked against the stored start date.
    assert_error(
        owner_api.put(f"projects/{website.id}", {"workspace_id": acme, "deadline": "2024-01-01"}),
        422,
        "deadline",
    )
    assert_error(owner_api.put(f"projects/{website.id}", {"workspace_id": acme, "name": ""}), 422, "name")
    assert_error(owner_api.put(f"projects/{website.id}", {"workspace_id": acme, "name": None}), 422, "name")
    assert_error(owner_api.put(f"projects/{other.id}", {"workspace_id": acme, "name": "Mine"}), 404)
    assert_error(
        api.as_user(world.alice).put(f"projects/{website.id}", {"workspace_id": acme, "name": "A"}), 403
    )
    assert_error(api.put(f"projects/{website.id}", {"workspace_id": acme, "name": "A"}), 401)
    website.refresh_from_db()
    assert website.name == "Website Redesign"
    assert website.deadline == date(2024, 3, 31)


# --- archive ------------------------------------------------------------------


def test_delete_archives_the_project_which_stays_listed(world, projects, owner_api):
    website, _mobile, _other = projects
    acme = world.acme.id
    body = assert_envelope(owner_api.delete(f"projects/{website.id}", workspace_id=acme))

    assert body["data"] is None
    assert body["message"] == "Project archived successfully"
    assert assert_envelope(owner_api.get(f"projects/{website.id}", workspace_id=acme))["data"]["status"] == 0
    listed = assert_envelope(owner_api.get("projects", workspace_id=acme))["data"]
    assert {p["name"]: p["status"] for p in listed} == {"Website Redesign": 0, "Mobile App": 1}
    assert Project.objects.get(pk=website.id).deleted_at is not None
    # Archiving again changes nothing.
    assert_envelope(owner_api.delete(f"projects/{website.id}", workspace_id=acme))


def test_delete_project_needs_rights_and_a_project_of_the_workspace(world, projects, api, owner_api):
    website, _mobile, other = projects
    acme = world.acme.id

    assert_error(api.delete(f"projects/{website.id}", workspace_id=acme), 401)
    assert_error(api.as_user(world.team_manager).delete(f"projects/{website.id}", workspace_id=acme), 403)
    assert_error(owner_api.delete(f"projects/{other.id}", workspace_id=acme), 404)
    assert_error(owner_api.delete("projects/424242", workspace_id=acme), 404)
    assert Project.objects.get(pk=website.id).status == 1
    assert Project.objects.get(pk=other.id).status == 1
