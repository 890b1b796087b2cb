"""Sandbox API: timesheets (GET /timesheets, PUT /timesheets/{id}/submit|unsubmit|approve|reject)."""

import uuid
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from integrations.sandbox.models import Contract, Membership, Project, Timesheet
from tests.integrations.sandbox.helpers import assert_envelope, assert_error

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

WEEK = ("2025-03-10", "2025-03-16")  # Monday..Sunday


@pytest.fixture
def office(world):
    """Contracts paying each kind of rate: Alice's own (40), Bob's member rate (35), the
    project's rate (60), and one on a non-billable project."""
    acme = world.acme
    website = Project.objects.create(workspace=acme, owner=world.owner, name="Website")
    mobile = Project.objects.create(workspace=acme, owner=world.owner, name="Mobile app", rate=60)
    internal = Project.objects.create(workspace=acme, owner=world.owner, name="Internal", is_billable=False)
    contract = Contract.objects.create
    return SimpleNamespace(
        website=website,
        mobile=mobile,
        internal=internal,
        alice_website=contract(workspace=acme, project=website, user=world.alice, rate=40),
        alice_mobile=contract(workspace=acme, project=mobile, user=world.alice, rate_type=3),
        alice_internal=contract(workspace=acme, project=internal, user=world.alice, rate=100),
        bob_website=contract(workspace=acme, project=website, user=world.bob, rate_type=2, rate=999),
    )


def add(api, world, user, date, start, end, contract=None):
    body = {
        "workspace_id": world.acme.id,
        "user_id": user.id,
        "date": date,
        "start_time": start,
        "end_time": end,
        "contract_id": contract.id if contract else None,
    }
    return assert_envelope(api.post("time-entries", body), 201)


@pytest.fixture
def week(world, office, owner_api):
    """Alice: 375 minutes in the week of 2025-03-10 (and one hour the week before); Bob: 60."""
    add(owner_api, world, world.alice, "2025-03-10", "09:00", "12:00", office.alice_website)
    add(owner_api, world, world.alice, "2025-03-11", "10:00", "11:30", office.alice_mobile)
    add(owner_api, world, world.alice, "2025-03-11", "13:00", "14:00", office.alice_internal)
    add(owner_api, world, world.alice, "2025-03-12", "15:00", "15:45")
    add(owner_api, world, world.alice, "2025-03-07", "09:00", "10:00", office.alice_website)
    add(owner_api, world, world.bob, "2025-03-10", "09:00", "10:00", office.bob_website)
    return office


def sheets(api, world, **params):
    return assert_envelope(api.get("timesheets", workspace_id=world.acme.id, **params))["data"]


def sheet_of(api, world, user, date_from=WEEK[0]):
    [sheet] = [s for s in sheets(api, world, user_id=user.id) if s["date_from"] == date_from]
    return sheet


def minutes_listed(api, world, user, day):
    response = api.get("time-entries", workspace_id=world.acme.id, user_id=user.id, date=day, per_page=50)
    return sum(entry["duration_minutes"] for entry in assert_envelope(response)["data"])


def week_days(date_from):
    start = date.fromisoformat(date_from)
    return [(start + timedelta(days=n)).isoformat() for n in range(7)]


# --- list and totals ------------------------------------------------------------------------


def test_a_weekly_timesheet_answers_the_fields_of_both_versions(world, week, owner_api):
    sheet = sheet_of(owner_api, world, world.alice)

    assert (sheet["date_from"], sheet["date_to"]) == WEEK
    assert sheet["user_id"] == world.alice.id
    assert sheet["member"] == {
        "id": world.alice.id,
        "firstname": "Alice",
        "lastname": "Moreau",
        "email": "alice@acme.test",
    }
    assert sheet["status"] == "open"
    assert (sheet["submitted_on"], sheet["reject_reason"]) == (None, None)
    assert sheet["total_minutes"] == 375
    assert sheet["total_hours"] == 6.25
    # 3 h at Alice's 40 + 1.5 h at the project's 60; the non-billable and contract-less time is 0.
    assert sheet["total_amount"] == {"EUR": 210}
    assert sheet["daily_breakdown"]["2025-03-11"] == [
        {
            "project_id": week.mobile.id,
            "project_name": "Mobile app",
            "contract_id": week.alice_mobile.id,
            "total_minutes": 90,
            "total_amount": 90,
        },
        {
            "project_id": week.internal.id,
            "project_name": "Internal",
            "contract_id": week.alice_internal.id,
            "total_minutes": 60,
            "total_amount": 0,
        },
    ]
    assert sheet["daily_breakdown"]["2025-03-12"] == [
        {
            "project_id": None,
            "project_name": None,
            "contract_id": None,
            "total_minutes": 45,
            "total_amount": 0,
        }
    ]
    # Bob's contract pays his member rate (35), not the contract's own figure.
    assert sheet_of(owner_api, world, world.bob)["total_amount"] == {"EUR": 35}


def test_totals_equal_the_entries_they_come_from_also_after_adding_one(world, week, owner_api):
    sheet = sheet_of(owner_api, world, world.alice)
    per_day = {
        day: minutes_listed(owner_api, world, world.alice, day) for day in week_days(sheet["date_from"])
    }
    assert sheet["total_minutes"] == sum(per_day.values()) == 375
    breakdown = {
        day: sum(row["total_minutes"] for row in rows) for day, rows in sheet["daily_breakdown"].items()
    }
    assert breakdown == {day: minutes for day, minutes in per_day.items() if minutes}

    # 11:00-12:30 overlaps the 10:00-11:30 entry: only an hour is saved.
    saved = add(owner_api, world, world.alice, "2025-03-11", "11:00", "12:30", week.alice_website)[
        "saved_minutes"
    ]

    after = sheet_of(owner_api, world, world.alice)
    assert saved == 60
    assert after["total_minutes"] == sheet["total_minutes"] + saved
    assert after["total_minutes"] == sum(minutes_listed(owner_api, world, world.alice, d) for d in per_day)
    assert after["total_amount"] == {"EUR": 250}
    assert sum(row["total_minutes"] for row in after["daily_breakdown"]["2025-03-11"]) == 90 + 60 + 60


def test_totals_drop_when_an_entry_is_deleted(world, week, owner_api):
    response = owner_api.get(
        "time-entries", workspace_id=world.acme.id, user_id=world.alice.id, date="2025-03-12"
    )
    [entry] = assert_envelope(response)["data"]

    assert_envelope(owner_api.delete(f"time-entries/{entry['id']}", {"workspace_id": world.acme.id}))

    sheet = sheet_of(owner_api, world, world.alice)
    assert sheet["total_minutes"] == 375 - 45
    assert "2025-03-12" not in sheet["daily_breakdown"]


def test_amounts_are_hidden_from_callers_who_may_not_see_rates(world, week, api):
    Membership.objects.filter(workspace=world.acme, user=world.manager).update(rate_status=0)

    sheet = sheet_of(api.as_user(world.manager), world, world.alice)

    assert sheet["total_amount"] is None
    assert sheet["total_minutes"] == 375
    rows = [row for rows in sheet["daily_breakdown"].values() for row in rows]
    assert rows
    assert all("total_amount" not in row for row in rows)


def test_the_list_computes_totals_in_a_fixed_number_of_queries(world, week, owner_api):
    def queries_for_list():
        with CaptureQueriesContext(connections["sandbox"]) as captured:
            body = assert_envelope(owner_api.get("timesheets", workspace_id=world.acme.id, per_page=100))
        return len(captured), len(body["data"])

    few_queries, few_sheets = queries_for_list()
    for monday in ("2025-02-03", "2025-02-10", "2025-02-17", "2025-02-24"):
        add(owner_api, world, world.alice, monday, "09:00", "10:00", week.alice_website)
        add(owner_api, world, world.bob, monday, "09:00", "10:00", week.bob_website)
    many_queries, many_sheets = queries_for_list()

    assert (few_sheets, many_sheets) == (3, 11)
    assert many_queries == few_queries


# --- filters and pagination -----------------------------------------------------------------


def test_list_filters_by_user_period_status_and_id(world, week, owner_api):
    alice = sheet_of(owner_api, world, world.alice)

    assert {s["user_id"] for s in sheets(owner_api, world, user_id=world.bob.id)} == {world.bob.id}
    # Periods overlapping the range: the week before ends on 2025-03-09.
    assert len(sheets(owner_api, world, date_from="2025-03-09", date_to="2025-03-09")) == 1
    assert len(sheets(owner_api, world, date_from="2025-03-12")) == 2
    assert len(sheets(owner_api, world, date_to="2025-03-09")) == 1
    assert [s["id"] for s in sheets(owner_api, world, id=alice["id"])] == [alice["id"]]
    assert sheets(owner_api, world, id=str(uuid.uuid4())) == []
    assert sheets(owner_api, world, id="abc123xyz") == []

    assert_envelope(owner_api.put(f"timesheets/{alice['id']}/submit", {"workspace_id": world.acme.id}))
    assert [s["id"] for s in sheets(owner_api, world, status="submitted")] == [alice["id"]]
    assert len(sheets(owner_api, world, status="open")) == 2
    assert len(sheets(owner_api, world, status="pending")) == 2  # R's name for open
    assert sheets(owner_api, world, status="approved") == []


def test_list_orders_by_created_at_when_asked(world, week, owner_api):
    Timesheet.objects.filter(user=world.bob).update(created_at="2020-01-01T00:00:00Z")

    oldest_first = sheets(owner_api, world, order_by="asc")
    newest_first = sheets(owner_api, world, order_by="desc")

    assert oldest_first[0]["user_id"] == world.bob.id
    assert newest_first[-1]["user_id"] == world.bob.id


def test_list_validates_its_filters(world, week, owner_api):
    acme = world.acme.id
    assert_error(owner_api.get("timesheets", workspace_id=acme, status="draft"), 422, "status")
    assert_error(owner_api.get("timesheets", workspace_id=acme, order_by="newest"), 422, "order_by")
    assert_error(owner_api.get("timesheets", workspace_id=acme, date_from="2025-3-1x"), 422, "date_from")
    assert_error(
        owner_api.get("timesheets", workspace_id=acme, date_from="2025-03-10", date_to="2025-03-01"),
        422,
        "date_to",
    )
    assert_error(owner_api.get("timesheets", workspace_id=acme, user_id="alice"), 422, "user_id")


def test_list_pagination_bounds(world, week, owner_api):
    body = assert_envelope(owner_api.get("timesheets", workspace_id=world.acme.id, per_page=2, page=2))

    assert len(body["data"]) == 1
    assert body["meta"]["pagination"]["total"] == 3
    assert body["meta"]["pagination"]["last_page"] == 2
    assert_error(owner_api.get("timesheets", workspace_id=world.acme.id, per_page=101), 422, "per_page")
    assert_error(owner_api.get("timesheets", workspace_id=world.acme.id, per_page=0), 422, "per_page")
    assert_error(owner_api.get("timesheets", workspace_id=world.acme.id, page=0), 422, "page")


# --- transitions -----------------------------------------------------------------------------


def act(api, world, sheet, action, **body):
    return api.put(f"timesheets/{sheet['id']}/{action}", {"workspace_id": world.acme.id, **body})


def test_submit_then_approve(world, week, owner_api):
    sheet = sheet_of(owner_api, world, world.alice)

    submitted = assert_envelope(act(owner_api, world, sheet, "submit"))
    assert (submitted["message"], submitted["data"]) == ("Timesheet submitted successfully", None)
    after_submit = sheet_of(owner_api, world, world.alice)
    assert after_submit["status"] == "submitted"
    assert after_submit["submitted_on"].endswith("Z")

    approved = assert_envelope(act(owner_api, world, sheet, "approve"))
    assert (approved["message"], approved["data"]) == ("Timesheet approved successfully", None)
    assert sheet_of(owner_api, world, world.alice)["status"] == "approved"


def test_reject_needs_a_reason_and_shows_it(world, week, owner_api):
    sheet = sheet_of(owner_api, world, world.alice)
    assert_envelope(act(owner_api, world, sheet, "submit"))

    assert_error(act(owner_api, world, sheet, "reject"), 422, "reason")
    assert_error(act(owner_api, world, sheet, "reject", reason="   "), 422, "reason")
    assert sheet_of(owner_api, world, world.alice)["status"] == "submitted"

    body = assert_envelope(act(owner_api, world, sheet, "reject", reason="Tuesday is missing"))
    assert (body["message"], body["data"]) == ("Timesheet rejected successfully", None)
    rejected = sheet_of(owner_api, world, world.alice)
    assert (rejected["status"], rejected["reject_reason"]) == ("rejected", "Tuesday is missing")

    assert_envelope(act(owner_api, world, sheet, "submit"))  # a rejected timesheet can be resubmitted
    resubmitted = sheet_of(owner_api, world, world.alice)
    assert (resubmitted["status"], resubmitted["reject_reason"]) == ("submitted", None)


def test_unsubmit_returns_a_submitted_timesheet_to_open(world, week, owner_api):
    sheet = sheet_of(owner_api, world, world.alice)
    assert_envelope(act(owner_api, world, sheet, "submit"))

    body = assert_envelope(act(owner_api, world, sheet, "unsubmit"))

    assert (body["message"], body["data"]) == ("Timesheet unsubmitted successfully", None)
    reopened = sheet_of(owner_api, world, world.alice)
    assert (reopened["status"], reopened["submitted_on"]) == ("open", None)


def test_wrong_transitions_are_422_naming_the_current_state(world, week, owner_api):
    sheet = sheet_of(owner_api, world, world.alice)

    assert "open" in assert_error(act(owner_api, world, sheet, "approve"), 422)["message"]
    assert "open" in assert_error(act(owner_api, world, sheet, "reject", reason="No"), 422)["message"]
    assert "open" in assert_error(act(owner_api, world, sheet, "unsubmit"), 422)["message"]
    assert_envelope(act(owner_api, world, sheet, "submit"))
    assert "submitted" in assert_error(act(owner_api, world, sheet, "submit"), 422)["message"]
    assert_envelope(act(owner_api, world, sheet, "approve"))
    for action in ("submit", "unsubmit", "approve"):
        assert "approved" in assert_error(act(owner_api, world, sheet, action), 422)["message"]
    assert sheet_of(owner_api, world, world.alice)["status"] == "approved"


def test_unknown_or_foreign_timesheets_are_404(world, week, api, owner_api):
    globex_api = api.as_user(world.globex_owner)
    globex_entry = {
        "workspace_id": world.globex.id,
        "user_id": world.globex_owner.id,
        "date": "2025-03-10",
        "start_time": "09:00",
        "end_time": "10:00",
    }
    assert_envelope(globex_api.post("time-entries", globex_entry), 201)
    [foreign] = assert_envelope(globex_api.get("timesheets", workspace_id=world.globex.id))["data"]

    for sheet in ({"id": str(uuid.uuid4())}, {"id": "abc123xyz"}, foreign):
        for action in ("submit", "unsubmit", "approve"):
            assert_error(act(owner_api, world, sheet, action), 404)
        assert_error(act(owner_api, world, sheet, "reject", reason="No"), 404)


def test_timesheets_need_a_token_and_an_owner_or_executive_manager(world, week, api, owner_api):
    sheet = sheet_of(owner_api, world, world.alice)

    for client, status in [
        (api, 401),
        (api.as_user(world.team_manager), 403),
        (api.as_user(world.globex_owner), 403),
    ]:
        assert_error(client.get("timesheets", workspace_id=world.acme.id), status)
        for action in ("submit", "unsubmit", "approve"):
            assert_error(act(client, world, sheet, action), status)
        assert_error(act(client, world, sheet, "reject", reason="No"), status)
    assert sheet_of(owner_api, world, world.alice)["status"] == "open"
    assert_envelope(act(api.as_user(world.manager), world, sheet, "submit"))
