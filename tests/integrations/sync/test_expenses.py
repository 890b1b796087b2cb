"""Syncing expense categories and expenses: both documented field forms, ranges, re-reads, failures."""

from datetime import date
from decimal import Decimal

import pytest

from integrations.models import Expense, ExpenseCategory, SyncRun
from integrations.sandbox import models as sandbox
from integrations.sync.expenses import expense_row, sync_expense_categories, sync_expenses
from integrations.sync.members import sync_members
from integrations.sync.projects import sync_projects
from integrations.webwork.errors import ServerError
from tests.integrations.convergence import assert_converged

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def books(world):
    travel = sandbox.ExpenseCategory.objects.create(workspace=world.acme, name="Travel")
    office = sandbox.ExpenseCategory.objects.create(workspace=world.acme, name="Office")
    sandbox.ExpenseCategory.objects.create(workspace=world.globex, name="Globex only")
    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")

    def expense(user, category, name, day, amount, **extra):
        return sandbox.Expense.objects.create(
            workspace=world.acme,
            user=user,
            category=category,
            expense_name=name,
            date=day,
            amount=amount,
            **extra,
        )

    return {
        "travel": travel,
        "office": office,
        "website": website,
        "train": expense(world.alice, travel, "Train", date(2024, 1, 15), Decimal("89.90"), project=website),
        "chairs": expense(world.bob, office, "Chairs", date(2024, 2, 3), Decimal(420), is_billable=True),
        "paper": expense(world.alice, office, "Paper", date(2024, 3, 9), Decimal("12.5"), note="A4"),
    }


@pytest.fixture
def mirrored(sync_context):
    sync_members(sync_context)
    sync_projects(sync_context)
    sync_expense_categories(sync_context)
    return sync_context


def test_categories_converge_and_follow_changes(world, books, mirror_workspace, sync_context):
    stats = sync_expense_categories(sync_context)

    assert_converged(mirror_workspace, "expense_categories")
    assert (stats.created, stats.pages) == (2, 1)
    sandbox.ExpenseCategory.objects.filter(pk=books["travel"].pk).update(name="Trips")
    sandbox.ExpenseCategory.objects.create(workspace=world.acme, name="Meals")
    sandbox.Expense.objects.filter(category=books["office"]).delete()
    sandbox.ExpenseCategory.objects.filter(pk=books["office"].pk).delete()

    stats = sync_expense_categories(sync_context)

    assert_converged(mirror_workspace, "expense_categories")
    assert (stats.created, stats.updated, stats.removed) == (1, 1, 1)
    assert SyncRun.objects.filter(resource="expense_categories", status="succeeded", requests=1).count() == 2


def test_a_first_sync_mirrors_every_expense_with_its_member_project_and_category(
    world, books, mirror_workspace, mirrored
):
    stats = sync_expenses(mirrored)

    assert_converged(mirror_workspace, "expenses")
    assert (stats.created, stats.updated, stats.removed) == (3, 0, 0)
    train = Expense.objects.select_related("member", "project", "category").get(
        webwork_id=str(books["train"].id)
    )
    assert (train.name, train.date, train.amount) == ("Train", date(2024, 1, 15), Decimal("89.90"))
    assert (train.member.email, train.project.name, train.category.name) == (
        "alice@acme.test",
        "Website",
        "Travel",
    )
    assert SyncRun.objects.get(resource="expenses").requests == 1


def test_changes_and_removals_converge_on_the_next_sync(world, books, mirror_workspace, mirrored):
    sync_expenses(mirrored)
    sandbox.Expense.objects.filter(pk=books["train"].pk).update(
        amount=Decimal(95), is_billable=True, note="Return"
    )
    sandbox.Expense.objects.filter(pk=books["chairs"].pk).delete()
    sandbox.Expense.objects.create(
        workspace=world.acme,
        user=world.team_manager,
        category=books["travel"],
        expense_name="Taxi",
        date=date(2024, 3, 10),
        amount=Decimal(30),
    )

    stats = sync_expenses(mirrored)

    assert_converged(mirror_workspace, "expenses")
    assert (stats.created, stats.updated, stats.removed) == (1, 2, 1)
    assert Expense.objects.get(webwork_id=str(books["chairs"].id)).removed_at is not None


def test_a_ranged_sync_removes_only_within_its_range_and_rereads_what_left_it(
    world, books, mirror_workspace, mirrored
):
    sync_expenses(mirrored)
    sandbox.Expense.objects.filter(pk=books["train"].pk).delete()  # January: outside the range
    sandbox.Expense.objects.filter(pk=books["chairs"].pk).update(date=date(2024, 4, 2))  # moved out of it
    sandbox.Expense.objects.filter(pk=books["paper"].pk).delete()  # March: inside, gone
    requests_before = mirrored.client.requests_made

    stats = sync_expenses(mirrored, date_from=date(2024, 2, 1), date_to=date(2024, 3, 31))

    assert mirrored.client.requests_made - requests_before == 3  # the listing, then one re-read per row
    assert (stats.created, stats.updated, stats.removed, stats.pages) == (0, 1, 1, 3)
    assert Expense.objects.get(webwork_id=str(books["chairs"].id)).date == date(2024, 4, 2)
    assert Expense.objects.get(webwork_id=str(books["paper"].id)).removed_at is not None
    assert Expense.objects.get(webwork_id=str(books["train"].id)).removed_at is None  # not a candidate
    run = SyncRun.objects.get(resource="expenses", scope="2024-02-01..2024-03-31")
    assert (run.requests, run.removed) == (3, 1)

    sync_expenses(mirrored)
    assert_converged(mirror_workspace, "expenses")


def test_missing_parents_are_recorded_not_fetched(world, books, mirror_workspace, sync_context):
    requests_before = sync_context.client.requests_made

    sync_expenses(sync_context)  # nothing else mirrored yet

    assert sync_context.client.requests_made - requests_before == 1
    train = Expense.objects.get(webwork_id=str(books["train"].id))
    assert (train.member, train.project, train.category) == (None, None, None)
    assert (train.user_webwork_id, train.project_webwork_id) == (world.alice.id, books["website"].id)
    assert train.category_webwork_id == str(books["travel"].id)


def test_both_documented_field_forms_are_read():
    categories = {"c-1": 7}
    documented = expense_row(
        {
            "id": "e-1",
            "member": "John Doe",
            "expense_date": "Jan 15, 2024",
            "expense_name": "Office Supplies",
            "category": "Office",
            "amount": 150.5,
            "note": "Q1",
            "type": "billable",
        },
        category_names={"Office": 9},
    )
    other = expense_row(
        {
            "id": "e-2",
            "name": "Taxi",
            "date": "2024-02-29",
            "description": "Airport",
            "is_billable": False,
            "category_id": "c-1",
            "amount": "30",
        },
        categories=categories,
    )

    assert (documented["name"], documented["date"], documented["note"], documented["is_billable"]) == (
        "Office Supplies",
        date(2024, 1, 15),
        "Q1",
        True,
    )
    assert (documented["amount"], documented["category_id"]) == (Decimal("150.5"), 9)
    assert (other["name"], other["date"], other["note"], other["is_billable"]) == (
        "Taxi",
        date(2024, 2, 29),
        "Airport",
        False,
    )
    assert (other["category_id"], other["category_webwork_id"]) == (7, "c-1")
    assert expense_row({"id": "e-3", "expense_date": "Feb 30, 2024", "type": "non-billable"})["date"] is None


def test_a_failed_sync_keeps_the_previous_state_and_a_clean_resync_converges(
    books, mirror_workspace, mirrored
):
    sync_expenses(mirrored)
    sandbox.Expense.objects.filter(pk=books["paper"].pk).delete()
    sandbox.Expense.objects.filter(pk=books["train"].pk).update(amount=Decimal(1))
    sandbox.FaultSettings.objects.create(pk=1, server_error_rate=1.0)

    with pytest.raises(ServerError):
        sync_expenses(mirrored)

    assert Expense.objects.current().count() == 3
    assert Expense.objects.get(webwork_id=str(books["train"].id)).amount == Decimal("89.90")
    assert SyncRun.objects.get(resource="expenses", status="failed").error.startswith("ServerError")
    assert ExpenseCategory.objects.current().count() == 2

    sandbox.FaultSettings.objects.filter(pk=1).update(server_error_rate=0)
    sync_expenses(mirrored)
    assert_converged(mirror_workspace, "expenses")
