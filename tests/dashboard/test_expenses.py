"""Expenses: the list and its filters, totals per currency and per category summed exactly, the
CSV of exactly what the filters select; recording, changing and deleting through the real sandbox
with WebWork's refusals on the form; tenant isolation, CSRF and query counts that do not grow."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboard.selectors.expenses import ExpenseFilters, expense_totals_for_workspace
from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sync.base import SyncContext
from integrations.sync.contracts import sync_contracts
from integrations.sync.expenses import sync_expense_categories, sync_expenses
from integrations.sync.members import sync_members
from integrations.sync.projects import sync_projects
from tests.dashboard.helpers import (
    HTMX,
    NestedWire,
    connected_by_owner,
    csrf_token,
    queries_of,
    shown,
    triggers,
    words,
)
from tests.factories import (
    ContractFactory,
    ExpenseCategoryFactory,
    ExpenseFactory,
    MemberFactory,
    ProjectFactory,
    WorkspaceFactory,
    bulk,
    manager_of,
)

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def row_ids(text):
    return re.findall(r'<tr id="expense-([\w-]+)" class="expense-row" data-webwork', text)


def csv_of(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def acme():
    return WorkspaceFactory(webwork_id=1, name="Acme Studio", timezone="Asia/Tokyo")


@pytest.fixture
def books(acme, client):
    """Acme's expenses (in EUR, its contracts' currency, but one in USD as its payload says), and
    Globex's, which must never show."""
    alice = MemberFactory(workspace=acme, webwork_id="31", firstname="Alice", lastname="Archer")
    bob = MemberFactory(workspace=acme, webwork_id="32", firstname="Bob", lastname="Baker")
    website = ProjectFactory(workspace=acme, webwork_id="41", name="Website")
    travel = ExpenseCategoryFactory(workspace=acme, webwork_id="cat-travel", name="Travel")
    office = ExpenseCategoryFactory(workspace=acme, webwork_id="cat-office", name="Office")
    ContractFactory(workspace=acme, member=alice, project=website, currency="EUR")
    spend = ExpenseFactory
    train = spend(
        workspace=acme,
        webwork_id="e-train",
        member=alice,
        project=website,
        project_webwork_id=41,
        category=travel,
        name="Train",
        amount=Decimal("89.90"),
        date=date(2026, 11, 3),
        note="Berlin and back",
        is_billable=True,
        raw={"created_at": "2026-11-03T23:30:00Z"},
    )
    spend(
        workspace=acme,
        webwork_id="e-hotel",
        member=alice,
        category=travel,
        name="Hotel",
        amount=Decimal("120.15"),
        date=date(2026, 11, 4),
    )
    spend(
        workspace=acme,
        webwork_id="e-paper",
        member=bob,
        category=office,
        name="Paper",
        amount=Decimal("10.05"),
        date=date(2026, 10, 20),
    )
    spend(
        workspace=acme,
        webwork_id="e-flight",
        member=bob,
        category=travel,
        name="Flight",
        amount=Decimal("300.00"),
        date=date(2026, 10, 28),
        raw={"currency": "usd"},
    )
    spend(
        workspace=acme,
        webwork_id="e-gone",
        member=bob,
        category=office,
        name="Deleted",
        amount=Decimal("1.00"),
    )
    mirror.Expense.objects.filter(webwork_id="e-gone").update(removed_at=train.synced_at)
    globex = WorkspaceFactory(webwork_id=2, name="Globex")
    gus = MemberFactory(workspace=globex, webwork_id="91", firstname="Gus", lastname="Hidden")
    secret = ProjectFactory(workspace=globex, webwork_id="92", name="Secret plan")
    spend(
        workspace=globex,
        webwork_id="e-secret",
        member=gus,
        project=secret,
        name="Secret dinner",
        amount=Decimal("999.99"),
    )
    user = manager_of(acme, username="maria")
    client.force_login(user)
    return {"alice": alice, "bob": bob, "website": website, "travel": travel, "office": office, "user": user}


def test_the_list_shows_each_expense_with_its_currency_and_the_totals(acme, books, client):
    response = client.get("/w/1/expenses/")
    text = shown(response)

    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert row_ids(text) == ["e-hotel", "e-train", "e-flight", "e-paper"]  # newest first; not the deleted one
    train = text.split('<tr id="expense-e-train"')[1].split("</tr>")[0]
    for part in (
        ">3 Nov 2026<",
        "Train",
        "Berlin and back",
        "Alice Archer",
        "Website",
        "Travel",
        "Billable",
        "89.90 EUR",
    ):
        assert part in train
    flight = text.split('<tr id="expense-e-flight"')[1].split("</tr>")[0]
    assert "300.00 USD" in flight
    totals = text.split('id="expense-totals"')[1].split("</section>")[0]
    eur = totals.split('data-currency="EUR"')[1].split("</table>")[0]
    assert "220.10" in eur  # 89.90 + 120.15 + 10.05
    assert "3 expenses" in eur
    assert re.search(r"Travel <span[^>]*>\(2\)</span>.*?210.05", eur, re.S)
    assert re.search(r"Office <span[^>]*>\(1\)</span>.*?10.05", eur, re.S)
    assert "300.00" in totals.split('data-currency="USD"')[1]
    assert "Secret" not in text
    assert "Gus" not in text
    assert 'aria-current="page">Expenses' in text


def test_totals_are_exact_decimals_summed_in_the_database(acme):
    category = ExpenseCategoryFactory(workspace=acme, webwork_id="cat", name="Snacks")
    member = MemberFactory(workspace=acme)
    # 0.10 and 0.20 have no exact binary form: a float sum of 1,000 of them drifts.
    bulk(ExpenseFactory, 500, workspace=acme, member=member, category=category, amount=Decimal("0.10"))
    bulk(ExpenseFactory, 500, workspace=acme, member=member, category=category, amount=Decimal("0.20"))
    bulk(ExpenseFactory, 3, workspace=acme, member=member, category=category, amount=Decimal("33.33"))
    assert sum([0.1] * 500 + [0.2] * 500) != 150.0

    (total,) = expense_totals_for_workspace(workspace=acme, filters=ExpenseFilters(), currency="EUR")

    assert total.total == Decimal("249.99")
    assert isinstance(total.total, Decimal)
    assert str(total.total) == "249.99"
    assert total.count == 1003
    (snacks,) = total.categories
    assert (snacks.name, snacks.total, snacks.count) == ("Snacks", Decimal("249.99"), 1003)


def test_totals_keep_currencies_apart_and_follow_the_filters(acme, books):
    totals = expense_totals_for_workspace(workspace=acme, filters=ExpenseFilters(member="32"))

    assert [(t.currency, t.total, t.count) for t in totals] == [
        ("USD", Decimal("300.00"), 1),
        ("EUR", Decimal("10.05"), 1),
    ]
    assert [(c.name, c.total) for c in totals[1].categories] == [("Office", Decimal("10.05"))]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("member=31", ["e-hotel", "e-train"]),
        ("project=41", ["e-train"]),
        ("project=none", ["e-hotel", "e-flight", "e-paper"]),
        ("category=cat-office", ["e-paper"]),
        ("currency=usd", ["e-flight"]),
        ("currency=EUR&from=2026-11-01", ["e-hotel", "e-train"]),
        ("from=2026-10-25&to=2026-11-03", ["e-train", "e-flight"]),
        ("member=91", []),  # Globex's member: nothing of Globex shows
        ("project=92", []),  # Globex's project
        ("member=abc&from=2026-13-45&currency=euro", ["e-hotel", "e-train", "e-flight", "e-paper"]),
    ],
)
def test_filters_narrow_the_list_the_totals_and_the_csv_alike(acme, books, client, query, expected):
    page = shown(client.get(f"/w/1/expenses/?{query}", headers=HTMX))
    export = csv_of(client.get(f"/w/1/expenses/export.csv?{query}"))

    assert page.lstrip().startswith('<section id="expense-list"')
    assert row_ids(page) == expected
    assert [row[-1] for row in export[1:]] == expected
    assert "Secret" not in page
    assert "Gus" not in page
    assert "999.99" not in page
    if not expected:
        assert "No expense matches these filters." in page
        assert "Nothing to add up for these filters." in page


def test_the_csv_names_the_time_zone_and_writes_amounts_as_exact_text(acme, books, client):
    export = client.get("/w/1/expenses/export.csv?member=31")

    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export["Content-Disposition"].startswith('attachment; filename="expenses-1-')
    table = csv_of(export)
    assert table[0][0] == "Date (Asia/Tokyo)"
    assert "Added in WebWork (Asia/Tokyo)" in table[0]
    train = dict(zip(table[0], table[2], strict=True))
    assert train["Amount"] == "89.90"
    assert train["Currency"] == "EUR"
    assert train["Date (Asia/Tokyo)"] == "2026-11-03"
    assert train["Added in WebWork (Asia/Tokyo)"] == "2026-11-04T08:30:00+09:00"
    assert (train["Member"], train["Project"], train["Category"], train["Billable"]) == (
        "Alice Archer",
        "Website",
        "Travel",
        "yes",
    )
    hotel = dict(zip(table[0], table[1], strict=True))
    assert hotel["Amount"] == "120.15"


def test_the_totals_partial_and_the_period_shortcuts(acme, books, client):
    totals = shown(client.get("/w/1/expenses/?part=totals&currency=USD", headers=HTMX))
    page = shown(client.get("/w/1/expenses/?member=31"))

    assert totals.lstrip().startswith('<section id="expense-totals"')
    assert 'data-currency="EUR"' not in totals
    assert "300.00" in totals
    periods = page.split('class="expense-periods"')[1].split("</p>")[0]
    today = acme.today()
    assert f"member=31&from={today.replace(day=1).isoformat()}&to={today.isoformat()}" in periods


def test_the_row_partials_and_the_pages_of_one_expense(acme, books, client):
    row = shown(client.get("/w/1/expenses/e-train/", headers=HTMX))
    edit = shown(client.get("/w/1/expenses/e-train/edit/", headers=HTMX))
    confirm = shown(client.get("/w/1/expenses/e-train/delete/", headers=HTMX))
    edit_page = client.get("/w/1/expenses/e-train/edit/")
    delete_page = words(client.get("/w/1/expenses/e-train/delete/"))
    add_page = client.get("/w/1/expenses/add/")
    add_partial = shown(client.get("/w/1/expenses/add/", headers=HTMX))
    listed = shown(client.get("/w/1/expenses/"))

    assert row.lstrip().startswith('<tr id="expense-e-train" class="expense-row"')
    assert 'class="expense-row expense-editing"' in edit
    assert 'value="Train"' in edit
    assert 'value="89.90"' in edit
    assert re.search(r'<option value="cat-travel" selected>Travel</option>', edit)
    assert 'name="member"' not in edit  # WebWork keeps who spent it
    assert "Delete “Train” of Alice Archer, 89.90 EUR on 3 Nov 2026?" in confirm
    assert "no longer billed to the client" in confirm
    assert edit_page.status_code == 200
    assert "Spent by Alice Archer" in words(edit_page)
    assert "WebWork deletes it for good" in delete_page
    assert add_page.status_code == 200
    assert 'name="member"' in shown(add_page)
    # The list page reads the form (its members, projects, categories) only once it is opened.
    assert 'hx-trigger="toggle from:closest details once"' in listed
    assert 'name="member"' not in listed.split('id="expense-add-form"')[1].split("</details>")[0]
    assert add_partial.lstrip().startswith('<div id="expense-add-form"')
    assert re.search(r'<option value="31">Alice Archer</option>', add_partial)
    assert f'value="{acme.today().isoformat()}"' in add_partial  # today, in the workspace's calendar


def test_another_workspace_s_expense_is_not_found_anywhere(acme, books, client):
    for path in ("", "edit/", "delete/"):
        assert client.get(f"/w/1/expenses/e-secret/{path}").status_code == 404
        assert client.get(f"/w/1/expenses/e-secret/{path}", headers=HTMX).status_code == 404
    assert client.post("/w/1/expenses/e-secret/edit/", {"name": "x"}).status_code == 404
    assert client.post("/w/1/expenses/e-secret/delete/").status_code == 404
    assert client.get("/w/1/expenses/e-gone/").status_code == 404  # deleted at WebWork
    for path in ("/w/2/expenses/", "/w/2/expenses/export.csv", "/w/2/expenses/e-secret/"):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [("member", "91"), ("project", "92"), ("category", "cat-globex"), ("category", "no-such-category")],
)
def test_another_workspace_s_rows_in_a_form_are_not_found(acme, books, client, field, value):
    ExpenseCategoryFactory(workspace=WorkspaceFactory(webwork_id=3), webwork_id="cat-globex")
    typed = {
        "name": "Taxi",
        "date": "2026-11-05",
        "amount": "12.00",
        "category": "cat-travel",
        "member": "31",
    }
    typed[field] = value

    assert client.post("/w/1/expenses/add/", typed, headers=HTMX).status_code == 404
    if field != "member":
        assert client.post("/w/1/expenses/e-train/edit/", typed, headers=HTMX).status_code == 404
    assert mirror.AuditEvent.objects.count() == 0


def test_the_form_says_what_is_missing_before_webwork_is_asked(acme, books, client):
    response = client.post(
        "/w/1/expenses/add/", {"name": "Taxi", "amount": "-3", "member": "31"}, headers=HTMX
    )
    text = shown(response)

    assert response.status_code == 200
    assert text.lstrip().startswith('<div id="expense-add-form"')
    assert "Give the amount as a number greater than 0." in text
    assert "Choose the expense's category." in text
    assert 'value="Taxi"' in text
    assert triggers(response) == set()


def test_changes_need_the_csrf_token(acme, books):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(books["user"])

    for path in ("add/", "e-train/edit/", "e-train/delete/"):
        assert browser.post(f"/w/1/expenses/{path}", {"name": "x"}).status_code == 403, path
    page = shown(browser.get("/w/1/expenses/e-train/delete/"))
    token = csrf_token(page)
    answer = browser.post("/w/1/expenses/e-secret/delete/", {"csrfmiddlewaretoken": token})
    assert answer.status_code == 404  # with the token the view runs (and finds no such expense)


def many_expenses(size):
    workspace = WorkspaceFactory(webwork_id=6000 + size)
    members = bulk(MemberFactory, max(size // 5, 1), workspace=workspace)
    projects = bulk(ProjectFactory, 4, workspace=workspace)
    categories = [
        ExpenseCategoryFactory(workspace=workspace, webwork_id=f"c-{size}-{n}", name=f"Kind {n}")
        for n in range(3)
    ]
    mirror.Expense.objects.bulk_create(
        ExpenseFactory.build(
            workspace=workspace,
            member=members[n % len(members)],
            project=projects[n % 4],
            project_webwork_id=int(projects[n % 4].webwork_id),
            category=categories[n % 3],
            date=date(2026, 11, 1) - timedelta(days=n % 60),
            amount=Decimal("12.34"),
            raw={"currency": "USD"} if n % 7 == 0 else {},
        )
        for n in range(size)
    )
    return workspace


def test_a_page_of_expenses_costs_the_same_queries_for_5_or_150(client):
    counts = {}
    for size in (5, 150):
        workspace = many_expenses(size)
        client.force_login(manager_of(workspace, username=f"manager-{size}"))
        path = f"/w/{workspace.webwork_id}/expenses/"
        full, response = queries_of(client, path)
        partial, _ = queries_of(client, path, HTMX)
        with CaptureQueriesContext(connection) as export:
            csv_of(client.get(f"{path}export.csv"))  # the rows are read as the answer streams
        assert len(row_ids(shown(response))) == min(size, 50)
        counts[size] = (full, partial, len(export))
    assert counts[5] == counts[150]
    assert counts[150][0] <= 17, counts
    assert counts[150][1] <= 9, counts
    assert counts[150][2] <= 6, counts


# --- Changing expenses through the real sandbox ----------------------------------------------------


@pytest.fixture
def acme_live(world, wire, make_client, settings):
    """Acme (in EUR) connected by its Owner, signed in, its books mirrored: Alice's train ticket on
    Website, categories Travel and Office."""
    settings.WEBWORK_HTTP_TRANSPORT = NestedWire(wire)
    travel = sandbox.ExpenseCategory.objects.create(workspace=world.acme, name="Travel")
    sandbox.ExpenseCategory.objects.create(workspace=world.acme, name="Office")
    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Support")
    sandbox.Contract.objects.create(workspace=world.acme, user=world.alice, project=website)
    train = sandbox.Expense.objects.create(
        workspace=world.acme,
        user=world.alice,
        category=travel,
        project=website,
        expense_name="Train",
        date=date(2026, 11, 3),
        amount=Decimal("89.90"),
    )
    tenant, user = connected_by_owner(world)
    ctx = SyncContext(workspace=tenant, client=make_client(world.owner))
    for sync in (sync_members, sync_projects, sync_contracts, sync_expense_categories, sync_expenses):
        sync(ctx)
    return {
        "tenant": tenant,
        "user": user,
        "train": train,
        "category": {c.name: c for c in mirror.ExpenseCategory.objects.filter(workspace=tenant)},
        "project": {p.name: p for p in mirror.Project.objects.filter(workspace=tenant)},
        "member": {m.email: m for m in mirror.Member.objects.filter(workspace=tenant)},
    }


@pytest.fixture
def live(client, acme_live):
    client.force_login(acme_live["user"])
    return client


def base(acme_live):
    return f"/w/{acme_live['tenant'].webwork_id}/expenses"


def test_recording_an_expense_creates_it_at_webwork_and_refreshes_the_list(live, acme_live, world):
    bob = acme_live["member"]["bob@acme.test"]
    typed = {
        "name": "Taxi to the client",
        "date": "2026-11-05",
        "amount": "23.40",
        "category": acme_live["category"]["Travel"].webwork_id,
        "project": acme_live["project"]["Support"].webwork_id,
        "member": bob.webwork_id,
        "note": "Rain",
        "is_billable": "on",
    }

    response = live.post(f"{base(acme_live)}/add/", typed, headers=HTMX)

    assert response.status_code == 200
    assert "Recorded “Taxi to the client” of Bob Okafor, 23.40 EUR." in words(response)
    assert {"expense-added", "expenses-changed", "mirror-changed"} <= triggers(response)
    made = sandbox.Expense.objects.get(expense_name="Taxi to the client")
    assert (made.user, made.project.name, made.category.name) == (world.bob, "Support", "Travel")
    assert (made.amount, made.date, made.note, made.is_billable) == (
        Decimal("23.40"),
        date(2026, 11, 5),
        "Rain",
        True,
    )
    listed = shown(live.get(f"{base(acme_live)}/", headers=HTMX))
    assert f'<tr id="expense-{made.id}"' in listed
    assert "113.30" in listed.split('data-currency="EUR"')[1]  # 89.90 + 23.40
    event = mirror.AuditEvent.objects.get(action="expense_create")
    assert event.actor == acme_live["user"]


def test_editing_an_expense_changes_it_at_webwork_and_swaps_its_row(live, acme_live, world):
    train = acme_live["train"]
    path = f"{base(acme_live)}/{train.id}/edit/"
    form = shown(live.get(path, headers=HTMX))
    assert 'value="89.90"' in form

    response = live.post(
        path,
        {
            "name": "Train, first class",
            "date": "2026-11-03",
            "amount": "129.90",
            "category": acme_live["category"]["Travel"].webwork_id,
            "project": "",
            "note": "Upgraded",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    text = shown(response)
    assert text.lstrip().startswith(f'<tr id="expense-{train.id}" class="expense-row"')
    assert "Saved “Train, first class” of Alice Moreau, 129.90 EUR on 3 Nov 2026." in words(response)
    assert {"expenses-changed", "mirror-changed"} <= triggers(response)
    train.refresh_from_db()
    assert (train.expense_name, train.amount, train.project, train.note, train.is_billable) == (
        "Train, first class",
        Decimal("129.90"),
        None,
        "Upgraded",
        False,
    )
    event = mirror.AuditEvent.objects.get(action="expense_update")
    assert (event.before["amount"], event.after["amount"]) == ("89.90", "129.90")


def test_webwork_s_refusal_lands_on_the_field_and_the_form_keeps_what_was_typed(live, acme_live, world):
    # Support was deleted in WebWork since the last sync: the mirror still offers it.
    sandbox.Project.objects.filter(workspace=world.acme, name="Support").delete()
    typed = {
        "name": "Stickers",
        "date": "2026-11-06",
        "amount": "7.77",
        "category": acme_live["category"]["Office"].webwork_id,
        "project": acme_live["project"]["Support"].webwork_id,
        "member": acme_live["member"]["alice@acme.test"].webwork_id,
    }

    htmx = shown(live.post(f"{base(acme_live)}/add/", typed, headers=HTMX))
    plain = live.post(f"{base(acme_live)}/add/", typed)

    for text in (htmx, shown(plain)):
        project = text.split('class="field field-project field-invalid"')[1].split("</div>")[0]
        assert "Not a project of this workspace." in project
        assert 'value="Stickers"' in text
        assert 'value="7.77"' in text
    assert plain.status_code == 200
    assert not sandbox.Expense.objects.filter(expense_name="Stickers").exists()


def test_deleting_asks_first_then_deletes_at_webwork(live, acme_live, world):
    train = acme_live["train"]
    path = f"{base(acme_live)}/{train.id}/delete/"

    confirm = live.get(path, headers=HTMX)
    assert "Delete “Train” of Alice Moreau, 89.90 EUR on 3 Nov 2026?" in words(confirm)
    assert sandbox.Expense.objects.filter(pk=train.id).exists()  # asking changed nothing

    response = live.post(path, headers=HTMX)

    assert "Deleted “Train” of Alice Moreau, 89.90 EUR on 3 Nov 2026." in words(response)
    assert 'class="expense-row expense-gone"' in shown(response)
    assert {"expenses-changed", "mirror-changed"} <= triggers(response)
    assert not sandbox.Expense.objects.filter(pk=train.id).exists()
    assert mirror.Expense.objects.get(webwork_id=str(train.id)).removed_at is not None
    assert live.get(f"{base(acme_live)}/{train.id}/").status_code == 404
    assert mirror.AuditEvent.objects.filter(action="expense_delete").count() == 1


def test_a_plain_delete_goes_back_to_the_list_with_a_message(live, acme_live, world):
    train = acme_live["train"]

    response = live.post(f"{base(acme_live)}/{train.id}/delete/", follow=True)

    assert response.redirect_chain[-1][0] == f"{base(acme_live)}/"
    assert "Deleted “Train” of Alice Moreau" in words(response)
    assert "No expenses are recorded in Acme Studio yet." in words(response)
