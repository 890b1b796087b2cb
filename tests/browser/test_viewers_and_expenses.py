"""In a real Chromium, against the sandbox over real HTTP: a manager adds a project viewer and
gives them two projects; records an expense, corrects it and deletes it. Each step is checked in
what WebWork (the sandbox) holds, not only on the page."""

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from integrations.sandbox import models as sandbox
from tests.browser.helpers import sign_in_as_owner

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(databases=["default", "sandbox"], transaction=True),
]


@pytest.fixture
def acme_books(world):
    """Acme (in EUR) with three projects nobody's viewer sees yet, two expense categories, and
    Alice's contract on Website."""
    acme = world.acme
    website = sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Website relaunch")
    sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Support desk")
    sandbox.Project.objects.create(workspace=acme, owner=world.owner, name="Brand book")
    sandbox.Contract.objects.create(workspace=acme, project=website, user=world.alice)
    sandbox.ExpenseCategory.objects.create(workspace=acme, name="Travel")
    sandbox.ExpenseCategory.objects.create(workspace=acme, name="Office")
    return world


@pytest.fixture
def signed_in(acme_books, live_webwork, page, settings):
    """Acme connected by its Owner and fully synced; the browser signed in as the Owner. Returns
    the console problems seen (none expected)."""
    settings.WEBWORK_HISTORY_DAYS = 3
    world = acme_books
    _tenant, problems = sign_in_as_owner(world, page, live_webwork)
    page.goto(f"{live_webwork.url}/w/{world.acme.id}/")
    return problems


def test_a_manager_adds_a_project_viewer_and_gives_them_two_projects(acme_books, signed_in, page):
    world = acme_books
    page.get_by_role("navigation", name="Acme Studio").get_by_role("link", name="Project viewers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Project viewers")
    expect(page.locator("tr.viewer-row")).to_have_count(1)  # Nora, Acme's client already

    page.get_by_text("Add a project viewer").click()
    adding = page.locator("#viewer-add-form")
    adding.get_by_label("Email address").fill("ceo@initech.test")
    adding.get_by_label("First name").fill("Bill")
    adding.get_by_label("Last name").fill("Lumbergh")
    adding.get_by_role("button", name="Add viewer").click()

    expect(page.locator("#viewer-add-form [role=status]")).to_contain_text(
        "Added Bill Lumbergh as a project viewer"
    )
    bill = page.locator("tr.viewer-row", has_text="Bill Lumbergh")
    expect(bill).to_contain_text("No project yet")  # the list refreshed by itself
    expect(page.locator("#viewer-counts")).to_contain_text("2 active viewers")
    membership = sandbox.Membership.objects.get(workspace=world.acme, user__email="ceo@initech.test")
    assert membership.role == "Project viewer"

    for project in ("Website relaunch", "Support desk"):
        bill.get_by_role("link", name="Give a project…").click()
        bill.get_by_label("Give Bill Lumbergh a project").select_option(label=project)
        bill.get_by_role("button", name="Give project").click()
        expect(bill.get_by_role("status")).to_have_text(f"Bill Lumbergh now sees {project}.")

    expect(bill.locator(".viewer-projects li")).to_have_text(
        [re.compile("Support desk"), re.compile("Website relaunch")]
    )
    assert sorted(membership.viewer_projects.values_list("project__name", flat=True)) == [
        "Support desk",
        "Website relaunch",
    ]

    page.get_by_role("navigation", name="Acme Studio").get_by_role("link", name="Audit trail").click()
    expect(page.locator("tr.audit-event", has_text="gave a project to project viewer")).to_have_count(2)
    assert signed_in == []


def test_a_manager_records_corrects_and_deletes_an_expense(acme_books, signed_in, page):
    world = acme_books
    page.get_by_role("navigation", name="Acme Studio").get_by_role("link", name="Expenses").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Expenses")
    expect(page.locator("#expense-list")).to_contain_text("No expenses are recorded in Acme Studio yet.")

    page.get_by_text("Record an expense", exact=True).click()
    adding = page.locator("#expense-add-form")
    adding.get_by_label("What").fill("Train to the client")
    adding.get_by_label("Date").fill("2026-11-03")
    adding.get_by_label("Amount").fill("42.50")
    adding.get_by_label("Category").select_option(label="Travel")
    adding.get_by_label("Project").select_option(label="Website relaunch")
    adding.get_by_label("Spent by").select_option(label="Alice Moreau")
    adding.get_by_role("button", name="Record expense").click()

    expect(adding.get_by_role("status")).to_contain_text(
        "Recorded “Train to the client” of Alice Moreau, 42.50 EUR."
    )
    made = sandbox.Expense.objects.get(workspace=world.acme, expense_name="Train to the client")
    assert (made.user, made.amount, made.date, made.project.name, made.category.name) == (
        world.alice,
        Decimal("42.50"),
        date(2026, 11, 3),
        "Website relaunch",
        "Travel",
    )
    row = page.locator(f"#expense-{made.id}")
    expect(row).to_contain_text("42.50 EUR")  # the list refreshed by itself
    expect(page.locator("#expense-totals")).to_contain_text("42.50")

    row.get_by_role("link", name="Edit").click()
    row.get_by_label("Amount").fill("51.20")
    row.get_by_label("Note").fill("Return ticket")
    row.get_by_role("button", name="Save changes").click()

    expect(row.get_by_role("status")).to_contain_text(
        "Saved “Train to the client” of Alice Moreau, 51.20 EUR"
    )
    expect(row).to_contain_text("Return ticket")
    expect(page.locator("#expense-totals")).to_contain_text("51.20")  # the totals followed
    made.refresh_from_db()
    assert (made.amount, made.note) == (Decimal("51.20"), "Return ticket")

    row.get_by_role("link", name="Delete…").click()
    expect(row).to_contain_text("WebWork deletes it for good")
    assert sandbox.Expense.objects.filter(pk=made.pk).exists()  # asking changed nothing
    row.get_by_role("button", name="Delete this expense").click()

    expect(row.get_by_role("status")).to_contain_text("Deleted “Train to the client”")
    expect(page.locator("#expense-totals")).to_contain_text("Nothing to add up")
    assert not sandbox.Expense.objects.filter(pk=made.pk).exists()
    assert signed_in == []
