"""Sandbox API: leaves (list, request, balances, policies, approve, reject)."""

import uuid
from datetime import date
from types import SimpleNamespace

import pytest

from integrations.sandbox.models import LeaveAllowance, LeavePolicy, LeaveRequest
from tests.integrations.sandbox.helpers import assert_envelope, assert_error, sandbox_queries

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def leaves(world):
    """Acme's policies (Alice has 25 vacation days instead of 20) and three leave requests.

    2024-01-15 is a Monday.
    """
    vacation = LeavePolicy.objects.create(
        workspace=world.acme, name="Vacation", is_paid="yes", yearly_allowance=20
    )
    unpaid = LeavePolicy.objects.create(
        workspace=world.acme, name="Unpaid leave", is_paid="no", yearly_allowance=10
    )
    doctor = LeavePolicy.objects.create(
        workspace=world.acme, name="Doctor visits", type="hour-based", yearly_allowance=16
    )
    globex = LeavePolicy.objects.create(workspace=world.globex, name="Globex vacation")
    LeaveAllowance.objects.create(policy=vacation, user=world.alice, amount=25)
    alice_week = LeaveRequest.objects.create(
        workspace=world.acme,
        user=world.alice,
        policy=vacation,
        start_date=date(2024, 1, 15),
        end_date=date(2024, 1, 19),
        note="Family vacation",
        created_by=world.alice,
    )
    bob_unpaid = LeaveRequest.objects.create(
        workspace=world.acme,
        user=world.bob,
        policy=unpaid,
        start_date=date(2024, 3, 4),
        end_date=date(2024, 3, 5),
        status="approved",
        approved_by=world.owner,
    )
    globex_leave = LeaveRequest.objects.create(
        workspace=world.globex,
        user=world.globex_owner,
        policy=globex,
        start_date=date(2024, 1, 15),
        end_date=date(2024, 1, 15),
    )
    return SimpleNamespace(
        vacation=vacation,
        unpaid=unpaid,
        doctor=doctor,
        globex=globex,
        alice_week=alice_week,
        bob_unpaid=bob_unpaid,
        globex_leave=globex_leave,
    )


# --- list ---------------------------------------------------------------------


def test_leave_list_answers_every_documented_field(world, leaves, owner_api):
    body = assert_envelope(owner_api.get("leaves", workspace_id=world.acme.id))

    assert [row["id"] for row in body["data"]] == [str(leaves.bob_unpaid.id), str(leaves.alice_week.id)]
    alice = body["data"][1]
    assert alice["user_id"] == world.alice.id
    assert alice["policy_id"] == leaves.vacation.id
    assert alice["policy_name"] == "Vacation"
    assert alice["status"] == "pending"
    assert alice["note"] == "Family vacation"
    assert alice["is_paid"] == "yes"
    assert alice["created_by"] == world.alice.id
    assert alice["approved_by"] is None
    assert alice["rejected_by"] is None
    assert alice["reject_reason"] is None
    assert (alice["start_date"], alice["end_date"]) == ("2024-01-15", "2024-01-19")
    assert alice["leave_period"] == 0
    assert alice["created_at"].endswith("Z")
    assert alice["total"] == {"days": 5, "hours": 40}
    assert body["data"][0]["is_paid"] == "no"
    assert body["data"][0]["approved_by"] == world.owner.id
    assert body["meta"]["pagination"]["total"] == 2


def test_leave_list_filters(world, leaves, owner_api):
    def ids(**filters):
        body = assert_envelope(owner_api.get("leaves", workspace_id=world.acme.id, **filters))
        return [row["id"] for row in body["data"]]

    alice, bob = str(leaves.alice_week.id), str(leaves.bob_unpaid.id)
    assert ids(user_id=world.bob.id) == [bob]
    assert ids(policy_id=leaves.vacation.id) == [alice]
    assert ids(is_paid="no") == [bob]
    assert ids(status="pending") == [alice]
    assert ids(id=alice) == [alice]
    # Requests overlapping the range: the week of Jan 15 reaches into Jan 19.
    assert ids(date_from="2024-01-19", date_to="2024-02-01") == [alice]
    assert ids(date_from="2024-01-20", date_to="2024-02-29") == []
    assert ids(date_to="2024-01-14") == []
    assert ids(date_from="2024-03-05") == [bob]


def test_leave_list_refuses_invalid_filters(world, leaves, owner_api):
    acme = world.acme.id
    backwards = owner_api.get("leaves", workspace_id=acme, date_from="2024-02-01", date_to="2024-01-01")
    assert_error(backwards, 422, "date_to")
    assert_error(owner_api.get("leaves", workspace_id=acme, date_from="15/01/2024"), 422, "date_from")
    assert_error(owner_api.get("leaves", workspace_id=acme, status="maybe"), 422, "status")
    assert_error(owner_api.get("leaves", workspace_id=acme, is_paid="true"), 422, "is_paid")
    assert_error(owner_api.get("leaves", workspace_id=acme, id="not-a-uuid"), 422, "id")
    assert_error(owner_api.get("leaves", workspace_id=acme, user_id="alice"), 422, "user_id")


def test_leave_list_paginates_with_bounds(world, leaves, owner_api):
    acme = world.acme.id
    page2 = assert_envelope(owner_api.get("leaves", workspace_id=acme, per_page=1, page=2))

    assert [row["id"] for row in page2["data"]] == [str(leaves.alice_week.id)]
    assert page2["meta"]["pagination"] == {
        "total": 2,
        "per_page": 1,
        "current_page": 2,
        "last_page": 2,
        "from": 2,
        "to": 2,
    }
    assert assert_envelope(owner_api.get("leaves", workspace_id=acme, page=5))["data"] == []
    assert_error(owner_api.get("leaves", workspace_id=acme, per_page=101), 422, "per_page")
    assert_error(owner_api.get("leaves", workspace_id=acme, page=0), 422, "page")


def test_leave_list_needs_a_token_and_a_workspace_the_caller_manages(world, leaves, api):
    assert_error(api.get("leaves", workspace_id=world.acme.id), 401)
    assert_error(api.as_user(world.alice).get("leaves", workspace_id=world.acme.id), 403)
    assert_error(api.as_user(world.manager).get("leaves", workspace_id=world.globex.id), 403)
    assert_error(api.as_user(world.manager).get("leaves"), 422, "workspace_id")


# --- create -------------------------------------------------------------------


def test_create_leave_answers_201_with_the_new_request(world, leaves, manager_api):
    response = manager_api.post(
        "leaves",
        {
            "workspace_id": world.acme.id,
            "policy_id": leaves.vacation.id,
            "user_id": world.bob.id,
            "start": "2024-01-19",
            "end": "2024-01-22",
            "reason": "Wedding",
        },
    )
    body = assert_envelope(response, 201)

    assert body["message"] == "Leave request created successfully"
    created = body["data"]
    assert created["status"] == "pending"
    assert created["user_id"] == world.bob.id
    assert created["note"] == "Wedding"
    assert created["created_by"] == world.manager.id
    assert created["total"] == {"days": 2, "hours": 16}  # Friday and Monday
    listed = assert_envelope(manager_api.get("leaves", workspace_id=world.acme.id, id=created["id"]))["data"]
    assert listed == [created]


def test_create_half_day_leave_counts_half_a_day(world, leaves, owner_api):
    body = assert_envelope(
        owner_api.post(
            "leaves",
            {
                "workspace_id": world.acme.id,
                "policy_id": leaves.vacation.id,
                "user_id": world.alice.id,
                "start": "2024-02-01",
                "end": "2024-02-01",
                "leave_period": 2,
            },
        ),
        201,
    )

    assert body["data"]["leave_period"] == 2
    assert body["data"]["total"] == {"days": 0.5, "hours": 4}
    assert body["data"]["note"] is None


def test_hour_based_policy_needs_times_and_hours_per_day(world, leaves, owner_api):
    request = {
        "workspace_id": world.acme.id,
        "policy_id": leaves.doctor.id,
        "user_id": world.alice.id,
        "start": "2024-02-05",
        "end": "2024-02-06",
    }
    assert_error(owner_api.post("leaves", request), 422, "start_time", "end_time", "hours_per_day")
    backwards = {**request, "start_time": "11:00", "end_time": "09:00", "hours_per_day": 2}
    assert_error(owner_api.post("leaves", backwards), 422, "end_time")

    body = assert_envelope(
        owner_api.post(
            "leaves", {**request, "start_time": "09:00", "end_time": "11:30", "hours_per_day": 2.5}
        ),
        201,
    )
    assert body["data"]["start_time"] == "09:00"
    assert body["data"]["end_time"] == "11:30"
    assert body["data"]["total"] == {"days": 2, "hours": 5}


def test_create_leave_refuses_invalid_input(world, leaves, owner_api):
    acme = world.acme.id
    base = {
        "workspace_id": acme,
        "policy_id": leaves.vacation.id,
        "user_id": world.bob.id,
        "start": "2024-05-06",
        "end": "2024-05-06",
    }
    assert_error(
        owner_api.post("leaves", {"workspace_id": acme}), 422, "policy_id", "user_id", "start", "end"
    )
    assert_error(owner_api.post("leaves", {**base, "end": "2024-05-03"}), 422, "end")
    assert_error(owner_api.post("leaves", {**base, "start": "May 6"}), 422, "start")
    assert_error(owner_api.post("leaves", {**base, "policy_id": leaves.globex.id}), 422, "policy_id")
    assert_error(owner_api.post("leaves", {**base, "user_id": world.globex_owner.id}), 422, "user_id")
    assert_error(owner_api.post("leaves", {**base, "user_id": world.viewer.id}), 422, "user_id")
    assert_error(owner_api.post("leaves", {**base, "leave_period": 3}), 422, "leave_period")
    half_of_two_days = {**base, "end": "2024-05-07", "leave_period": 1}
    assert_error(owner_api.post("leaves", half_of_two_days), 422, "leave_period")
    assert LeaveRequest.objects.filter(user=world.bob).count() == 1


def test_create_leave_overlapping_a_pending_or_approved_one_is_a_400(world, leaves, owner_api):
    """A business rule (no two live leaves on a day): 400, as WebWork answers "already tracking"."""
    overlap = {
        "workspace_id": world.acme.id,
        "policy_id": leaves.unpaid.id,
        "user_id": world.alice.id,
        "start": "2024-01-12",
        "end": "2024-01-15",
    }
    pending = assert_error(owner_api.post("leaves", overlap), 400)
    assert pending["error"] == "Bad Request"
    assert pending["message"] == (
        "Alice Moreau already has a pending leave from 2024-01-15 to 2024-01-19 that overlaps these dates."
    )

    LeaveRequest.objects.filter(pk=leaves.alice_week.pk).update(status="approved")
    approved = assert_error(owner_api.post("leaves", overlap), 400)
    assert approved["message"] == (
        "Alice Moreau already has an approved leave from 2024-01-15 to 2024-01-19 that overlaps these dates."
    )
    assert LeaveRequest.objects.filter(user=world.alice).count() == 1

    LeaveRequest.objects.filter(pk=leaves.alice_week.pk).update(status="rejected")
    assert_envelope(owner_api.post("leaves", overlap), 201)


def test_create_leave_is_for_owners_and_executive_managers(world, leaves, api):
    request = {
        "workspace_id": world.acme.id,
        "policy_id": leaves.vacation.id,
        "user_id": world.alice.id,
        "start": "2024-06-03",
        "end": "2024-06-03",
    }
    assert_error(api.post("leaves", request), 401)
    assert_error(api.as_user(world.alice).post("leaves", request), 403)
    assert_error(api.as_user(world.globex_owner).post("leaves", request), 403)
    assert not LeaveRequest.objects.filter(start_date=date(2024, 6, 3)).exists()


# --- balances -----------------------------------------------------------------


def balances_of(client, workspace, **params):
    body = assert_envelope(client.get("leaves/balances", workspace_id=workspace.id, **params))
    return body, {row["user_id"]: row for row in body["data"]}


def test_balances_answer_each_members_allowance_left(world, leaves, owner_api):
    body, rows = balances_of(owner_api, world.acme, date_from="2024-01-01", date_to="2024-12-31")

    assert sorted(rows) == sorted(
        [world.owner.id, world.manager.id, world.team_manager.id, world.alice.id, world.bob.id]
    )
    alice = rows[world.alice.id]
    assert alice["user_name"] == "Alice Moreau"
    assert alice["leave_information"] == [
        {"policy_id": leaves.vacation.id, "leave_type": "Vacation", "balance": "25 days"},
        {"policy_id": leaves.unpaid.id, "leave_type": "Unpaid leave", "balance": "10 days"},
        {"policy_id": leaves.doctor.id, "leave_type": "Doctor visits", "balance": "16 hours"},
    ]
    assert alice["total_balance"] == "35 days"
    # Bob's two approved unpaid days (Mon 4 and Tue 5 March) are used.
    assert rows[world.bob.id]["leave_information"][1]["balance"] == "8 days"
    assert rows[world.bob.id]["total_balance"] == "28 days"
    assert body["meta"]["pagination"]["total"] == 5


def test_balances_reflect_an_approved_leave(world, leaves, owner_api):
    acme = world.acme.id
    assert_envelope(owner_api.put(f"leaves/{leaves.alice_week.id}/approve", {"workspace_id": acme}))
    half = assert_envelope(
        owner_api.post(
            "leaves",
            {
                "workspace_id": acme,
                "policy_id": leaves.vacation.id,
                "user_id": world.alice.id,
                "start": "2024-02-02",
                "end": "2024-02-02",
                "leave_period": 1,
            },
        ),
        201,
    )["data"]
    assert_envelope(owner_api.put(f"leaves/{half['id']}/approve", {"workspace_id": acme}))

    _, rows = balances_of(
        owner_api, world.acme, date_from="2024-01-01", date_to="2024-01-31", user_id=world.alice.id
    )
    assert list(rows) == [world.alice.id]
    assert rows[world.alice.id]["leave_information"][0]["balance"] == "19.5 days"
    assert rows[world.alice.id]["total_balance"] == "29.5 days"
    # Another year starts afresh.
    _, next_year = balances_of(owner_api, world.acme, date_from="2025-01-01", date_to="2025-12-31")
    assert next_year[world.alice.id]["leave_information"][0]["balance"] == "25 days"


def test_balances_need_both_dates_in_order(world, leaves, owner_api):
    acme = world.acme.id
    assert_error(owner_api.get("leaves/balances", workspace_id=acme), 422, "date_from", "date_to")
    backwards = owner_api.get(
        "leaves/balances", workspace_id=acme, date_from="2024-02-01", date_to="2024-01-01"
    )
    assert_error(backwards, 422, "date_to")
    stranger = owner_api.get(
        "leaves/balances",
        workspace_id=acme,
        date_from="2024-01-01",
        date_to="2024-01-31",
        user_id=world.globex_owner.id,
    )
    assert_error(stranger, 422, "user_id")


def test_balances_page_by_twenty_members(world, leaves, owner_api):
    acme = world.acme.id
    dates = {"date_from": "2024-01-01", "date_to": "2024-01-31"}
    first = assert_envelope(owner_api.get("leaves/balances", workspace_id=acme, per_page=2, **dates))
    past_end = assert_envelope(owner_api.get("leaves/balances", workspace_id=acme, page=2, **dates))

    assert len(first["data"]) == 5  # per_page is not an option here
    assert first["meta"]["pagination"] == {
        "total": 5,
        "per_page": 20,
        "current_page": 1,
        "last_page": 1,
        "from": 1,
        "to": 5,
    }
    assert past_end["data"] == []
    assert_error(owner_api.get("leaves/balances", workspace_id=acme, page=0, **dates), 422, "page")


def test_balances_need_a_token_and_a_managed_workspace(world, leaves, api):
    dates = {"date_from": "2024-01-01", "date_to": "2024-01-31"}
    assert_error(api.get("leaves/balances", workspace_id=world.acme.id, **dates), 401)
    assert_error(
        api.as_user(world.team_manager).get("leaves/balances", workspace_id=world.acme.id, **dates), 403
    )


# --- policies -----------------------------------------------------------------


def test_policies_list_the_workspaces_own(world, leaves, owner_api, api):
    body = assert_envelope(owner_api.get("leaves/policies", workspace_id=world.acme.id))

    assert [(p["id"], p["name"], p["is_paid"], p["type"]) for p in body["data"]] == [
        (leaves.vacation.id, "Vacation", "yes", "day-based"),
        (leaves.unpaid.id, "Unpaid leave", "no", "day-based"),
        (leaves.doctor.id, "Doctor visits", "yes", "hour-based"),
    ]
    globex = assert_envelope(
        api.as_user(world.globex_owner).get("leaves/policies", workspace_id=world.globex.id)
    )
    assert [p["name"] for p in globex["data"]] == ["Globex vacation"]


def test_policies_paginate_and_check_access(world, leaves, owner_api, api):
    acme = world.acme.id
    page = assert_envelope(owner_api.get("leaves/policies", workspace_id=acme, per_page=2, page=2))

    assert [p["name"] for p in page["data"]] == ["Doctor visits"]
    assert page["meta"]["pagination"]["last_page"] == 2
    assert_error(owner_api.get("leaves/policies", workspace_id=acme, per_page=0), 422, "per_page")
    assert_error(api.get("leaves/policies", workspace_id=acme), 401)
    assert_error(api.as_user(world.bob).get("leaves/policies", workspace_id=acme), 403)


# --- approve / reject -----------------------------------------------------------


def leave_by_id(client, workspace, leave_id):
    rows = assert_envelope(client.get("leaves", workspace_id=workspace.id, id=str(leave_id)))["data"]
    assert len(rows) == 1
    return rows[0]


def test_approve_marks_a_pending_leave_approved(world, leaves, manager_api):
    body = assert_envelope(
        manager_api.put(f"leaves/{leaves.alice_week.id}/approve", {"workspace_id": world.acme.id})
    )

    assert body["message"] == "Leave request approved successfully"
    assert body["data"] is None
    leave = leave_by_id(manager_api, world.acme, leaves.alice_week.id)
    assert leave["status"] == "approved"
    assert leave["approved_by"] == world.manager.id


def test_approve_refuses_what_is_not_pending_or_not_there(world, leaves, owner_api, api):
    acme = {"workspace_id": world.acme.id}
    again = assert_error(owner_api.put(f"leaves/{leaves.bob_unpaid.id}/approve", acme), 422)
    assert "approved" in again["message"]
    assert_error(owner_api.put(f"leaves/{uuid.uuid4()}/approve", acme), 404)
    assert_error(owner_api.put("leaves/not-a-uuid/approve", acme), 404)
    assert_error(owner_api.put(f"leaves/{leaves.globex_leave.id}/approve", acme), 404)
    assert_error(api.put(f"leaves/{leaves.alice_week.id}/approve", acme), 401)
    assert_error(api.as_user(world.alice).put(f"leaves/{leaves.alice_week.id}/approve", acme), 403)
    assert leave_by_id(owner_api, world.acme, leaves.alice_week.id)["status"] == "pending"


def test_reject_records_who_and_why(world, leaves, owner_api):
    body = assert_envelope(
        owner_api.put(
            f"leaves/{leaves.alice_week.id}/reject",
            {"workspace_id": world.acme.id, "reject_reason": "Release week"},
        )
    )

    assert body["message"] == "Leave request rejected successfully"
    assert body["data"] is None
    leave = leave_by_id(owner_api, world.acme, leaves.alice_week.id)
    assert leave["status"] == "rejected"
    assert leave["rejected_by"] == world.owner.id
    assert leave["reject_reason"] == "Release week"


def test_reject_needs_a_reason_and_a_pending_leave(world, leaves, owner_api, api):
    acme = {"workspace_id": world.acme.id}
    assert_error(owner_api.put(f"leaves/{leaves.alice_week.id}/reject", acme), 422, "reason")
    assert_error(
        owner_api.put(f"leaves/{leaves.alice_week.id}/reject", {**acme, "reason": ""}), 422, "reason"
    )
    done = owner_api.put(f"leaves/{leaves.bob_unpaid.id}/reject", {**acme, "reason": "Too late"})
    assert_error(done, 422)
    assert_error(owner_api.put(f"leaves/{uuid.uuid4()}/reject", {**acme, "reason": "x"}), 404)
    assert_error(owner_api.put("leaves/42/reject", {**acme, "reason": "x"}), 404)
    assert_error(api.put(f"leaves/{leaves.alice_week.id}/reject", {**acme, "reason": "x"}), 401)
    outsider = api.as_user(world.globex_owner)
    assert_error(outsider.put(f"leaves/{leaves.alice_week.id}/reject", {**acme, "reason": "x"}), 403)
    # Globex's owner cannot reach Acme's leave through Globex either.
    globex = {"workspace_id": world.globex.id, "reason": "x"}
    assert_error(outsider.put(f"leaves/{leaves.alice_week.id}/reject", globex), 404)
    assert leave_by_id(owner_api, world.acme, leaves.alice_week.id)["status"] == "pending"


def test_values_of_the_wrong_json_type_are_422_not_a_crash(world, leaves, owner_api):
    acme = world.acme.id
    odd = {
        "workspace_id": acme,
        "policy_id": [leaves.vacation.id],
        "user_id": {"id": 1},
        "start": ["2024-01-01"],
        "end": {"d": 1},
        "start_time": ["09:00"],
        "hours_per_day": [1],
        "leave_period": [0],
    }
    body = assert_error(
        owner_api.post("leaves", odd), 422, "policy_id", "user_id", "start", "end", "leave_period"
    )
    assert "hours_per_day" in body["errors"]
    listed = owner_api.request(
        "GET", "leaves", json_body={"workspace_id": acme, "date_from": ["2024-01-01"], "id": [1]}
    )
    assert_error(listed, 422, "date_from", "id")
    balances = owner_api.request(
        "GET",
        "leaves/balances",
        json_body={"workspace_id": acme, "date_from": ["x"], "date_to": "2024-01-01"},
    )
    assert_error(balances, 422, "date_from")
    reject = owner_api.put(f"leaves/{leaves.alice_week.id}/reject", {"workspace_id": acme, "reason": ["why"]})
    assert_error(reject, 422, "reason")


def test_leave_list_and_balances_queries_do_not_grow_with_rows(world, leaves, owner_api):
    acme = world.acme.id
    dates = {"date_from": "2024-01-01", "date_to": "2024-12-31"}
    assert_envelope(owner_api.get("workspaces"))  # the caller's rate-limit window now exists
    few_leaves = sandbox_queries(lambda: owner_api.get("leaves", workspace_id=acme))
    few_balances = sandbox_queries(lambda: owner_api.get("leaves/balances", workspace_id=acme, **dates))
    for month in range(4, 10):
        for user in (world.owner, world.manager, world.team_manager):
            LeaveRequest.objects.create(
                workspace=world.acme,
                user=user,
                policy=leaves.doctor if month % 2 else leaves.vacation,
                start_date=date(2024, month, 1),
                end_date=date(2024, month, 2),
                hours_per_day=2,
                status="approved",
            )

    assert sandbox_queries(lambda: owner_api.get("leaves", workspace_id=acme)) == few_leaves
    assert (
        sandbox_queries(lambda: owner_api.get("leaves/balances", workspace_id=acme, **dates)) == few_balances
    )


def test_ids_and_pages_beyond_what_the_database_stores_are_422(world, leaves, owner_api):
    acme = world.acme.id
    huge = 2**70
    assert_error(
        owner_api.get("leaves", workspace_id=acme, user_id=huge, policy_id=-1), 422, "user_id", "policy_id"
    )
    dates = {"date_from": "2024-01-01", "date_to": "2024-01-31"}
    assert_error(owner_api.get("leaves/balances", workspace_id=acme, user_id=huge, **dates), 422, "user_id")
    assert_error(owner_api.get("leaves/balances", workspace_id=acme, page=huge, **dates), 422, "page")
    far_page = assert_envelope(owner_api.get("leaves/balances", workspace_id=acme, page=2**62, **dates))
    assert far_page["data"] == []
    request = {
        "workspace_id": acme,
        "policy_id": huge,
        "user_id": huge,
        "start": "2024-01-01",
        "end": "2024-01-01",
    }
    assert_error(owner_api.post("leaves", request), 422, "policy_id", "user_id")
