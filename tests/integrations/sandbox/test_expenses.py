"""Sandbox API: expenses (list, create, update, delete, categories)."""

import uuid
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from integrations.sandbox.models import Expense, ExpenseCategory, Project
from tests.integrations.sandbox.helpers import assert_envelope, assert_error, sandbox_queries

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def books(world):
    supplies = ExpenseCategory.objects.create(workspace=world.acme, name="Office Supplies")
    travel = ExpenseCategory.objects.create(workspace=world.acme, name="Travel")
    globex_category = ExpenseCategory.objects.create(workspace=world.globex, name="Globex misc")
    website = Project.objects.create(workspace=world.acme, owner=world.owner, name="Website Redesign")
    globex_project = Project.objects.create(workspace=world.globex, owner=world.globex_owner, name="Rockets")
    paper = Expense.objects.create(
        workspace=world.acme,
        user=world.alice,
        project=website,
        category=supplies,
        expense_name="Printer paper",
        date=date(2024, 1, 15),
        amount=Decimal("150.50"),
        note="Q1 supplies",
        is_billable=True,
    )
    train = Expense.objects.create(
        workspace=world.acme,
        user=world.bob,
        category=travel,
        expense_name="Train to Lyon",
        date=date(2024, 2, 10),
        amount=Decimal("80.00"),
    )
    globex_expense = Expense.objects.create(
        workspace=world.globex,
        user=world.globex_owner,
        category=globex_category,
        expense_name="Fuel",
        date=date(2024, 1, 1),
        amount=Decimal("9.99"),
    )
    return SimpleNamespace(
        supplies=supplies,
        travel=travel,
        globex_category=globex_category,
        website=website,
        globex_project=globex_project,
        paper=paper,
        train=train,
        globex_expense=globex_expense,
    )


def new_expense(books, world, **changes):
    return {
        "workspace_id": world.acme.id,
        "expense_name": "Taxi",
        "date": "2024-03-01",
        "amount": 42.5,
        "category_id": str(books.travel.id),
        **changes,
    }


# --- list ---------------------------------------------------------------------


def test_expense_list_answers_the_documented_and_the_machine_readable_fields(world, books, owner_api):
    body = assert_envelope(owner_api.get("expenses", workspace_id=world.acme.id))

    assert [row["id"] for row in body["data"]] == [str(books.train.id), str(books.paper.id)]
    paper = body["data"][1]
    assert paper["member"] == "Alice Moreau"
    assert paper["user_id"] == world.alice.id
    assert paper["expense_date"] == "Jan 15, 2024"
    assert paper["date"] == "2024-01-15"
    assert paper["expense_name"] == "Printer paper"
    assert (paper["project"], paper["project_id"]) == ("Website Redesign", books.website.id)
    assert (paper["category"], paper["category_id"]) == ("Office Supplies", str(books.supplies.id))
    assert paper["amount"] == 150.5
    assert paper["note"] == "Q1 supplies"
    assert (paper["type"], paper["is_billable"]) == ("billable", True)
    assert paper["added_dte"].count(",") == 1
    assert paper["created_at"].endswith("Z")
    assert paper["updated_at"].endswith("Z")
    train = body["data"][0]
    assert (train["project"], train["project_id"], train["type"]) == (None, None, "non-billable")
    assert train["amount"] == 80


def test_expense_list_filters(world, books, owner_api):
    def ids(**filters):
        body = assert_envelope(owner_api.get("expenses", workspace_id=world.acme.id, **filters))
        return [row["id"] for row in body["data"]]

    paper, train = str(books.paper.id), str(books.train.id)
    assert ids(user_id=world.bob.id) == [train]
    assert ids(project_id=books.website.id) == [paper]
    assert ids(category_id=str(books.supplies.id)) == [paper]
    assert ids(type="billable") == [paper]
    assert ids(type="non-billable") == [train]
    assert ids(date_from="2024-02-01") == [train]
    assert ids(date_to="2024-01-15") == [paper]
    assert ids(date_from="2024-01-16", date_to="2024-02-09") == []
    assert ids(id=paper) == [paper]
    assert ids(id=str(books.globex_expense.id)) == []


def test_expense_list_refuses_invalid_filters(world, books, owner_api):
    acme = world.acme.id
    assert_error(
        owner_api.get("expenses", workspace_id=acme, date_from="2024-02-01", date_to="2024-01-01"),
        422,
        "date_to",
    )
    assert_error(owner_api.get("expenses", workspace_id=acme, type="free"), 422, "type")
    assert_error(owner_api.get("expenses", workspace_id=acme, id="nope"), 422, "id")
    assert_error(owner_api.get("expenses", workspace_id=acme, category_id="nope"), 422, "category_id")
    assert_error(owner_api.get("expenses", workspace_id=acme, date_from="01/02/2024"), 422, "date_from")


def test_expense_list_paginates_with_bounds(world, books, owner_api):
    acme = world.acme.id
    page = assert_envelope(owner_api.get("expenses", workspace_id=acme, per_page=1, page=2))

    assert [row["id"] for row in page["data"]] == [str(books.paper.id)]
    assert page["meta"]["pagination"] == {
        "total": 2,
        "per_page": 1,
        "current_page": 2,
        "last_page": 2,
        "from": 2,
        "to": 2,
    }
    assert_error(owner_api.get("expenses", workspace_id=acme, per_page=500), 422, "per_page")
    assert_error(owner_api.get("expenses", workspace_id=acme, page=-1), 422, "page")


def test_expense_list_needs_a_token_and_a_managed_workspace(world, books, api):
    assert_error(api.get("expenses", workspace_id=world.acme.id), 401)
    assert_error(api.as_user(world.alice).get("expenses", workspace_id=world.acme.id), 403)
    assert_error(api.as_user(world.manager).get("expenses", workspace_id=world.globex.id), 403)


# --- create -------------------------------------------------------------------


def test_create_expense_belongs_to_the_caller_by_default(world, books, manager_api):
    body = assert_envelope(
        manager_api.post("expenses", new_expense(books, world, description="Airport")), 201
    )

    assert body["message"] == "Expense created successfully"
    created = body["data"]
    assert created["user_id"] == world.manager.id
    assert created["member"] == "Marcus Reed"
    assert created["amount"] == 42.5
    assert created["note"] == "Airport"  # R's description is V's note
    assert created["expense_date"] == "Mar 01, 2024"
    assert created["category"] == "Travel"
    assert (created["type"], created["is_billable"]) == ("non-billable", False)
    listed = assert_envelope(manager_api.get("expenses", workspace_id=world.acme.id, id=created["id"]))[
        "data"
    ]
    assert listed == [created]


def test_create_expense_for_a_member_on_a_project(world, books, owner_api):
    body = assert_envelope(
        owner_api.post(
            "expenses",
            new_expense(
                books,
                world,
                user_id=world.alice.id,
                project_id=books.website.id,
                is_billable=True,
                note="Client visit",
            ),
        ),
        201,
    )

    assert body["data"]["user_id"] == world.alice.id
    assert body["data"]["project"] == "Website Redesign"
    assert body["data"]["note"] == "Client visit"
    assert body["data"]["type"] == "billable"


def test_create_expense_refuses_invalid_input(world, books, owner_api):
    def refused(*fields, **changes):
        assert_error(owner_api.post("expenses", new_expense(books, world, **changes)), 422, *fields)

    assert_error(
        owner_api.post("expenses", {"workspace_id": world.acme.id}),
        422,
        "expense_name",
        "date",
        "amount",
        "category_id",
    )
    refused("amount", amount=0)
    refused("amount", amount=-5)
    refused("amount", amount=1.234)
    refused("amount", amount="lots")
    refused("date", date="2024-13-01")
    refused("category_id", category_id=str(books.globex_category.id))
    refused("category_id", category_id="office")
    refused("project_id", project_id=books.globex_project.id)
    refused("user_id", user_id=world.globex_owner.id)
    refused("is_billable", is_billable="sometimes")
    assert Expense.objects.filter(workspace=world.acme).count() == 2


def test_create_expense_is_for_owners_and_executive_managers(world, books, api):
    assert_error(api.post("expenses", new_expense(books, world)), 401)
    assert_error(api.as_user(world.bob).post("expenses", new_expense(books, world)), 403)
    assert_error(api.as_user(world.globex_owner).post("expenses", new_expense(books, world)), 403)
    assert Expense.objects.filter(workspace=world.acme).count() == 2


# --- update -------------------------------------------------------------------


def test_update_expense_changes_only_what_was_sent(world, books, owner_api):
    response = owner_api.put(
        f"expenses/{books.paper.id}",
        {"workspace_id": world.acme.id, "amount": "99.90", "is_billable": False, "project_id": None},
    )
    body = assert_envelope(response)

    assert body["message"] == "Expense updated successfully"
    updated = body["data"]
    assert updated["amount"] == 99.9
    assert updated["type"] == "non-billable"
    assert updated["project_id"] is None
    assert updated["expense_name"] == "Printer paper"
    assert updated["note"] == "Q1 supplies"
    assert updated["category_id"] == str(books.supplies.id)
    listed = assert_envelope(owner_api.get("expenses", workspace_id=world.acme.id, id=str(books.paper.id)))
    assert listed["data"] == [updated]


def test_update_expense_moves_it_to_another_category_and_date(world, books, owner_api):
    body = assert_envelope(
        owner_api.put(
            f"expenses/{books.train.id}",
            {"workspace_id": world.acme.id, "category_id": str(books.supplies.id), "date": "2024-04-30"},
        )
    )

    assert body["data"]["category"] == "Office Supplies"
    assert body["data"]["expense_date"] == "Apr 30, 2024"


def test_update_expense_refuses_invalid_values_and_unknown_ids(world, books, owner_api, api):
    acme = {"workspace_id": world.acme.id}
    url = f"expenses/{books.paper.id}"
    assert_error(owner_api.put(url, {**acme, "amount": 0}), 422, "amount")
    assert_error(owner_api.put(url, {**acme, "expense_name": ""}), 422, "expense_name")
    assert_error(
        owner_api.put(url, {**acme, "category_id": str(books.globex_category.id)}), 422, "category_id"
    )
    assert_error(owner_api.put(f"expenses/{uuid.uuid4()}", acme), 404)
    assert_error(owner_api.put("expenses/12345", acme), 404)
    assert_error(owner_api.put(f"expenses/{books.globex_expense.id}", acme), 404)
    assert_error(api.put(url, acme), 401)
    assert_error(api.as_user(world.alice).put(url, {**acme, "amount": 1}), 403)
    assert Expense.objects.get(pk=books.paper.pk).amount == Decimal("150.50")


# --- delete -------------------------------------------------------------------


def test_delete_expense_removes_it(world, books, owner_api):
    body = assert_envelope(owner_api.delete(f"expenses/{books.train.id}", workspace_id=world.acme.id))

    assert body["message"] == "Expense deleted successfully"
    assert body["data"] is None
    remaining = assert_envelope(owner_api.get("expenses", workspace_id=world.acme.id))["data"]
    assert [row["id"] for row in remaining] == [str(books.paper.id)]
    assert_error(owner_api.delete(f"expenses/{books.train.id}", workspace_id=world.acme.id), 404)


def test_delete_expense_refuses_strangers_and_unknown_ids(world, books, owner_api, api):
    acme = world.acme.id
    assert_error(owner_api.delete("expenses/not-an-id", workspace_id=acme), 404)
    assert_error(owner_api.delete(f"expenses/{books.globex_expense.id}", workspace_id=acme), 404)
    assert_error(api.delete(f"expenses/{books.paper.id}", workspace_id=acme), 401)
    assert_error(api.as_user(world.team_manager).delete(f"expenses/{books.paper.id}", workspace_id=acme), 403)
    assert Expense.objects.filter(pk=books.paper.pk).exists()


# --- categories -----------------------------------------------------------------


def test_categories_list_the_workspaces_own(world, books, owner_api, api):
    body = assert_envelope(owner_api.get("expenses/categories", workspace_id=world.acme.id))

    assert body["data"] == [
        {"id": str(books.supplies.id), "name": "Office Supplies"},
        {"id": str(books.travel.id), "name": "Travel"},
    ]
    globex = assert_envelope(
        api.as_user(world.globex_owner).get("expenses/categories", workspace_id=world.globex.id)
    )
    assert [c["name"] for c in globex["data"]] == ["Globex misc"]


def test_categories_paginate_and_check_access(world, books, owner_api, api):
    acme = world.acme.id
    page = assert_envelope(owner_api.get("expenses/categories", workspace_id=acme, per_page=1, page=2))

    assert [c["name"] for c in page["data"]] == ["Travel"]
    assert page["meta"]["pagination"]["total"] == 2
    assert_error(owner_api.get("expenses/categories", workspace_id=acme, per_page=0), 422, "per_page")
    assert_error(api.get("expenses/categories", workspace_id=acme), 401)
    assert_error(api.as_user(world.alice).get("expenses/categories", workspace_id=acme), 403)


def test_values_of_the_wrong_json_type_are_422_not_a_crash(world, books, owner_api):
    acme = world.acme.id
    odd = {
        "expense_name": ["Taxi"],
        "date": ["2024-01-01"],
        "amount": {"value": 1},
        "category_id": [str(books.travel.id)],
        "project_id": [1],
        "is_billable": [True],
    }
    body = assert_error(owner_api.post("expenses", {"workspace_id": acme, **odd}), 422, "date", "amount")
    assert {"category_id", "project_id", "is_billable", "expense_name"} <= set(body["errors"])
    assert_error(owner_api.put(f"expenses/{books.paper.id}", {"workspace_id": acme, **odd}), 422, "date")
    listed = owner_api.request(
        "GET",
        "expenses",
        json_body={"workspace_id": acme, "id": ["x"], "category_id": {"a": 1}, "date_to": [1]},
    )
    assert_error(listed, 422, "id", "category_id", "date_to")


def test_expense_list_queries_do_not_grow_with_rows(world, books, owner_api):
    def queries():
        return sandbox_queries(lambda: owner_api.get("expenses", workspace_id=world.acme.id))

    assert_envelope(owner_api.get("workspaces"))  # the caller's rate-limit window now exists
    few = queries()
    for n in range(8):
        Expense.objects.create(
            workspace=world.acme,
            user=world.manager if n % 2 else world.team_manager,
            project=books.website if n % 2 else None,
            category=books.supplies if n % 3 else books.travel,
            expense_name=f"Item {n}",
            date=date(2024, 5, n + 1),
            amount=n + 1,
        )

    assert queries() == few


def test_ids_beyond_what_the_database_stores_are_422(world, books, owner_api):
    acme = world.acme.id
    huge = 2**70
    assert_error(
        owner_api.get("expenses", workspace_id=acme, user_id=huge, project_id=huge),
        422,
        "user_id",
        "project_id",
    )
    created = owner_api.post("expenses", new_expense(books, world, project_id=huge, user_id=huge))
    assert_error(created, 422, "project_id", "user_id")
    assert_error(
        owner_api.put(f"expenses/{books.paper.id}", {"workspace_id": acme, "project_id": huge}),
        422,
        "project_id",
    )
