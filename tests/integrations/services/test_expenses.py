"""Creating, editing and deleting expenses."""

from datetime import date
from decimal import Decimal

import pytest

from integrations.models import AuditEvent, Expense, ExpenseCategory, Member, Project
from integrations.sandbox import models as sandbox
from integrations.services import ServiceError, expense_create, expense_delete, expense_update
from integrations.sync.expenses import sync_expense_categories, sync_expenses
from integrations.sync.members import sync_members
from integrations.sync.projects import sync_projects
from tests.integrations.convergence import assert_converged

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def books(world, ctx):
    travel = sandbox.ExpenseCategory.objects.create(workspace=world.acme, name="Travel")
    sandbox.ExpenseCategory.objects.create(workspace=world.acme, name="Office")
    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    train = sandbox.Expense.objects.create(
        workspace=world.acme,
        user=world.alice,
        category=travel,
        project=website,
        expense_name="Train",
        date=date(2024, 1, 15),
        amount=Decimal("89.90"),
    )
    for sync in (sync_members, sync_projects, sync_expense_categories, sync_expenses):
        sync(ctx)
    return {
        "train": train,
        "mirrored_train": Expense.objects.get(webwork_id=str(train.id)),
        "travel": ExpenseCategory.objects.get(name="Travel"),
        "office": ExpenseCategory.objects.get(name="Office"),
        "website": Project.objects.get(name="Website"),
        "alice": Member.objects.get(email="alice@acme.test"),
    }


def test_creating_an_expense(world, mirror_workspace, wire, actor, books, audit_of):
    row = expense_create(
        workspace=mirror_workspace,
        actor=actor,
        name="Hotel",
        date=date(2024, 1, 16),
        amount=Decimal("120.50"),
        category=books["travel"],
        project=books["website"],
        member=books["alice"],
        note="Two nights",
        is_billable=True,
    )

    made = sandbox.Expense.objects.get(expense_name="Hotel")
    assert (made.user, made.project.name, made.category.name) == (world.alice, "Website", "Travel")
    assert (made.date, made.amount, made.note, made.is_billable) == (
        date(2024, 1, 16),
        Decimal("120.50"),
        "Two nights",
        True,
    )
    assert row.webwork_id == str(made.id)
    assert (row.member, row.project, row.category) == (books["alice"], books["website"], books["travel"])
    assert (row.amount, row.date, row.is_billable) == (Decimal("120.50"), date(2024, 1, 16), True)
    assert_converged(mirror_workspace, "expenses")
    event = audit_of("expense_create")
    assert (event.object_id, event.before, event.after["name"]) == (str(made.id), None, "Hotel")


def test_bad_inputs_are_all_named_before_webwork_is_asked(mirror_workspace, wire, actor, books):
    with pytest.raises(ServiceError) as refused:
        expense_create(
            workspace=mirror_workspace,
            actor=actor,
            name=" ",
            date="15/01/2024",
            amount="0",
            category=books["travel"],
        )

    assert set(refused.value.field_errors) == {"name", "date", "amount"}
    assert wire.sent == 4  # the mirror's syncs only
    assert sandbox.Expense.objects.count() == 1


def test_webwork_refusing_a_field_names_it_in_plain_words(mirror_workspace, wire, actor, books):
    with pytest.raises(ServiceError) as refused:
        expense_create(
            workspace=mirror_workspace,
            actor=actor,
            name="Yacht",
            date=date(2024, 1, 16),
            amount=Decimal("123456789012.50"),  # more digits than WebWork keeps
            category=books["travel"],
        )

    assert refused.value.status == 422
    assert refused.value.message.startswith("WebWork did not accept the amount (")
    assert list(refused.value.field_errors) == ["amount"]
    assert not Expense.objects.filter(name="Yacht").exists()
    assert not AuditEvent.objects.exists()


def test_editing_an_expense(mirror_workspace, wire, actor, books, audit_of):
    train = books["train"]

    row = expense_update(
        workspace=mirror_workspace,
        actor=actor,
        expense=books["mirrored_train"],
        amount="95",
        category=books["office"],
        project=None,
    )

    train.refresh_from_db()
    assert (train.amount, train.category.name, train.project, train.expense_name) == (
        Decimal(95),
        "Office",
        None,
        "Train",
    )
    assert (row.amount, row.category, row.project) == (Decimal(95), books["office"], None)
    assert_converged(mirror_workspace, "expenses")
    event = audit_of("expense_update")
    assert (event.before["amount"], event.after["amount"]) == ("89.90", "95.00")
    assert event.before["project_id"] == books["website"].pk
    assert event.after["project_id"] is None


def test_deleting_an_expense_marks_the_mirror_row_removed(mirror_workspace, wire, actor, books, audit_of):
    row = expense_delete(workspace=mirror_workspace, actor=actor, expense=books["mirrored_train"])

    assert not sandbox.Expense.objects.filter(pk=books["train"].pk).exists()
    assert row.removed_at is not None
    assert not Expense.objects.current().exists()
    event = audit_of("expense_delete")
    assert (event.before["removed_at"], event.after["removed_at"] is not None) == (None, True)


def test_deleting_an_expense_webwork_no_longer_has(mirror_workspace, wire, actor, books, unchanged):
    sandbox.Expense.objects.filter(pk=books["train"].pk).delete()

    with unchanged(books["mirrored_train"]), pytest.raises(ServiceError) as refused:
        expense_delete(workspace=mirror_workspace, actor=actor, expense=books["mirrored_train"])

    assert (refused.value.status, refused.value.kind) == (404, "not_found")
    assert refused.value.message == "WebWork no longer has this expense; it may have been deleted there."
