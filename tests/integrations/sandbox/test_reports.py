"""Sandbox API: the reports, checked against the time entries they are computed from."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.utils import timezone

from integrations.sandbox.models import (
    Contract,
    LeavePolicy,
    LeaveRequest,
    Membership,
    Project,
    SandboxUser,
    Task,
    TimeEntry,
)
from integrations.sandbox.models.time import Method
from tests.integrations.sandbox.helpers import assert_envelope, assert_error

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

BERLIN = ZoneInfo("Europe/Berlin")
REPORTS = [
    "reports/tracked-hours",
    "reports/daily-timeline",
    "reports/daily-attendance",
    "reports/task-report",
    "reports/activity-level",
    "reports/activity-descriptions",
]


def last_monday():
    """The Monday of last week in Acme's time zone: inside every report's date window."""
    today = timezone.now().astimezone(BERLIN).date()
    return today - timedelta(days=today.weekday() + 7)


def add_entry(workspace, user, the_day, start, end, **fields):
    """A time entry from `start` to `end` (HH:MM, Berlin time) on `the_day`."""
    start_at = datetime.combine(the_day, datetime.strptime(start, "%H:%M").time(), tzinfo=BERLIN)
    end_at = datetime.combine(the_day, datetime.strptime(end, "%H:%M").time(), tzinfo=BERLIN)
    return TimeEntry.objects.create(
        workspace=workspace,
        user=user,
        date=the_day,
        start_time=start_at,
        end_time=end_at,
        duration_minutes=int((end_at - start_at).total_seconds() // 60),
        **fields,
    )


class Data:
    """Acme's projects, contracts, tasks and one week of time (see the `data` fixture)."""


@pytest.fixture
def data(world):
    """Monday: Alice 09:45-12:00 and 12:30-16:00, the manager 09:00-13:00 and 13:15-17:30,
    the team manager on approved leave, Bob and the Owner absent. Tuesday: Bob 10:00-11:00."""
    d = Data()
    d.day = last_monday()
    acme = world.acme
    d.website = Project.objects.create(workspace=acme, owner=world.owner, name="Website", rate=30)
    d.mobile = Project.objects.create(workspace=acme, owner=world.owner, name="Mobile app", rate=20)
    d.alice_web = Contract.objects.create(workspace=acme, project=d.website, user=world.alice, rate=50)
    d.alice_mobile = Contract.objects.create(workspace=acme, project=d.mobile, user=world.alice)
    d.manager_web = Contract.objects.create(workspace=acme, project=d.website, user=world.manager)
    task = {"workspace": acme, "project": d.website, "owner": world.owner, "creator": world.owner}
    d.homepage = Task.objects.create(title="Homepage", **task)
    d.checkout = Task.objects.create(title="Checkout", **task)
    d.e1 = add_entry(
        acme, world.alice, d.day, "09:45", "12:00", project=d.website, contract=d.alice_web,
        task=d.homepage, activity_description="Homepage layout", activity_level=60,
    )  # fmt: skip
    d.e2 = add_entry(
        acme, world.alice, d.day, "12:30", "16:00", project=d.mobile, contract=d.alice_mobile,
        activity_description="", activity_level=80,
    )  # fmt: skip
    d.e3 = add_entry(
        acme, world.manager, d.day, "09:00", "13:00", project=d.website, contract=d.manager_web,
        task=d.checkout, activity_description="Checkout flow", activity_level=40,
    )  # fmt: skip
    d.e4 = add_entry(
        acme, world.manager, d.day, "13:15", "17:30", project=d.website, contract=d.manager_web,
        task=d.homepage, activity_description="Homepage layout", activity_level=50,
    )  # fmt: skip
    d.e5 = add_entry(acme, world.bob, d.day + timedelta(days=1), "10:00", "11:00", project=d.website)
    # Time elsewhere that no Acme report may count: Globex, and the week before.
    add_entry(world.globex, world.manager, d.day, "08:00", "10:00")
    add_entry(world.globex, world.globex_owner, d.day, "08:00", "10:00")
    add_entry(acme, world.alice, d.day - timedelta(days=1), "10:00", "11:00", project=d.website)
    policy = LeavePolicy.objects.create(workspace=acme, name="Vacation")
    LeaveRequest.objects.create(
        workspace=acme,
        user=world.team_manager,
        policy=policy,
        start_date=d.day - timedelta(days=2),
        end_date=d.day + timedelta(days=2),
        status=LeaveRequest.Status.APPROVED,
    )
    LeaveRequest.objects.create(
        workspace=acme, user=world.bob, policy=policy, start_date=d.day, end_date=d.day
    )  # pending: Bob is still absent
    return d


def week(d):
    return {"start_date": d.day.isoformat(), "end_date": (d.day + timedelta(days=6)).isoformat()}


# --- every report ---------------------------------------------------------------


@pytest.mark.parametrize("path", REPORTS)
def test_reports_need_a_token_and_a_workspace_the_caller_manages(path, world, api):
    assert_error(api.get(path, workspace_id=world.acme.id), 401)
    # Regular users, Team managers and outsiders are refused; the manager is a Regular User at Globex.
    for user, workspace in [(world.alice, world.acme), (world.team_manager, world.acme)]:
        body = assert_error(api.as_user(user).get(path, workspace_id=workspace.id), 403)
        assert "Owners and Executive managers" in body["message"]
    assert_error(api.as_user(world.manager).get(path, workspace_id=world.globex.id), 403)
    assert_error(api.as_user(world.globex_owner).get(path, workspace_id=world.acme.id), 403)
    assert_error(api.as_user(world.owner).get(path), 422, "workspace_id")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("reports/tracked-hours", {"start_date": "2025-13-01"}, "start_date"),
        ("reports/tracked-hours", {"start_date": "2025-03-10", "end_date": "10.03.2025"}, "end_date"),
        ("reports/tracked-hours", {"start_date": "2025-03-10", "end_date": "2025-03-09"}, "start_date"),
        ("reports/daily-timeline", {}, "date"),
        ("reports/daily-timeline", {"date": "yesterday"}, "date"),
        ("reports/daily-attendance", {}, "date"),
        ("reports/daily-attendance", {"date": "2025-02-30"}, "date"),
        ("reports/task-report", {"end_date": "2025-03-10"}, "start_date"),
        ("reports/task-report", {"start_date": "2025-03-10"}, "end_date"),
        ("reports/task-report", {"start_date": "2025-03-01", "end_date": "2025-04-01"}, "end_date"),
        ("reports/activity-level", {"start_date": "2025-03-11", "end_date": "2025-03-10"}, "start_date"),
        ("reports/activity-level", {"start_date": "2025-01-01", "end_date": "2025-03-01"}, "end_date"),
        ("reports/activity-descriptions", {"end_date": "2025/03/10"}, "end_date"),
        ("reports/tracked-hours", {"user_id": "99999999999999999999999"}, "user_id"),
        ("reports/tracked-hours", {"projects": "99999999999999999999999"}, "projects"),
    ],
)
def test_reports_refuse_invalid_dates_naming_the_field(path, params, field, world, owner_api):
    assert_error(owner_api.get(path, workspace_id=world.acme.id, **params), 422, field)


@pytest.mark.parametrize(
    ("path", "list_param"),
    [
        ("reports/tracked-hours", "users"),
        ("reports/daily-timeline", "user_ids"),
        ("reports/daily-attendance", "users"),
        ("reports/task-report", "users"),
        ("reports/activity-level", "user_ids"),
        ("reports/activity-descriptions", "users"),
    ],
)
def test_user_filters_refuse_non_integers_and_people_outside_the_workspace(
    path, list_param, world, data, owner_api
):
    params = {"workspace_id": world.acme.id, "date": data.day.isoformat(), **week(data)}
    assert_error(owner_api.get(path, **params, **{list_param: "1,x"}), 422, list_param)
    body = assert_error(owner_api.get(path, **params, **{list_param: world.globex_owner.id}), 422, list_param)
    assert str(world.globex_owner.id) in body["message"]
    assert_error(owner_api.get(path, **params, **{list_param: "99999999999999999999999"}), 422, list_param)


def test_reports_read_parameters_from_a_json_body_too(world, data, owner_api):
    body = {"workspace_id": world.acme.id, "date": data.day.isoformat(), "user_ids": [world.alice.id]}
    timeline = assert_envelope(owner_api.request("GET", "reports/daily-timeline", json_body=body))
    assert [row["user_id"] for row in timeline["data"]] == [world.alice.id]
    bad = {"workspace_id": world.acme.id, "date": [data.day.isoformat()]}
    assert_error(owner_api.request("GET", "reports/daily-timeline", json_body=bad), 422, "date")


# --- tracked hours ----------------------------------------------------------------


def test_tracked_hours_totals_equal_the_entries_and_group_by_day_user_project_contract(
    world, data, owner_api
):
    body = assert_envelope(owner_api.get("reports/tracked-hours", workspace_id=world.acme.id, **week(data)))
    report = body["data"]

    in_week = TimeEntry.objects.filter(
        workspace=world.acme, date__range=(data.day, data.day + timedelta(days=6))
    )
    assert report["report_type"] == "tracked_hours"
    assert (report["start_date"], report["end_date"]) == (week(data)["start_date"], week(data)["end_date"])
    assert report["total"]["total_minutes"] == in_week.aggregate(m=Sum("duration_minutes"))["m"] == 900
    # Contract rate where there is one (Alice on Website: 50), else the project's (Website 30, Mobile 20).
    assert report["total"]["total_amount"] == {"EUR": 112.5 + 70 + 120 + 127.5 + 30}
    monday = report["days"][data.day.isoformat()]
    assert sum(u["total_minutes"] for u in monday["users"]) == monday["total_minutes"] == 840
    manager_row = next(u for u in monday["users"] if u["user_id"] == world.manager.id)
    assert manager_row == {
        "user_id": world.manager.id,
        "project_id": data.website.id,
        "contract_id": data.manager_web.id,
        "total_minutes": 495,
        "total_amount": {"EUR": 247.5},
    }
    alice_rows = sorted(
        (u["project_id"], u["total_minutes"]) for u in monday["users"] if u["user_id"] == world.alice.id
    )
    assert alice_rows == sorted([(data.website.id, 135), (data.mobile.id, 210)])
    tuesday = report["days"][(data.day + timedelta(days=1)).isoformat()]
    assert tuesday["users"] == [
        {
            "user_id": world.bob.id,
            "project_id": data.website.id,
            "contract_id": None,
            "total_minutes": 60,
            "total_amount": {"EUR": 30},
        }
    ]
    assert set(report["days"]) == {d.isoformat() for d in in_week.values_list("date", flat=True)}


def test_tracked_hours_is_one_aggregated_query(world, data, owner_api, django_assert_max_num_queries):
    owner_api.get("workspaces")  # the caller's rate-limit window exists from here on
    with django_assert_max_num_queries(9, using="sandbox") as captured:
        assert_envelope(owner_api.get("reports/tracked-hours", workspace_id=world.acme.id, **week(data)))
    entry_queries = [q["sql"] for q in captured.captured_queries if "sandbox_timeentry" in q["sql"]]
    assert len(entry_queries) == 1
    assert "GROUP BY" in entry_queries[0]


def test_tracked_hours_hide_amounts_from_a_manager_without_rate_access(world, data, api):
    manager_api = api.as_user(world.manager)
    params = {"workspace_id": world.acme.id, **week(data)}
    shown = assert_envelope(manager_api.get("reports/tracked-hours", **params))["data"]
    assert shown["total"]["total_amount"] == {"EUR": 460}

    Membership.objects.filter(workspace=world.acme, user=world.manager).update(rate_status=0)
    hidden = assert_envelope(manager_api.get("reports/tracked-hours", **params))["data"]

    assert hidden["total"] == {"total_minutes": 900, "total_amount": None}
    assert hidden["currency"] is None
    rows = [row for one_day in hidden["days"].values() for row in one_day["users"]]
    assert rows
    assert all(row["total_amount"] is None for row in rows)
    assert all(one_day["total_amount"] is None for one_day in hidden["days"].values())


def test_tracked_hours_default_to_the_current_week_in_the_workspace_time_zone(world, data, owner_api):
    today = timezone.now().astimezone(BERLIN).date()
    monday = today - timedelta(days=today.weekday())
    add_entry(world.acme, world.bob, today, "00:30", "01:15", project=data.website)

    report = assert_envelope(owner_api.get("reports/tracked-hours", workspace_id=world.acme.id))["data"]

    assert report["start_date"] == monday.isoformat()
    assert report["end_date"] == (monday + timedelta(days=6)).isoformat()
    assert report["total"]["total_minutes"] == 45  # last week's 900 minutes are not in it
    assert list(report["days"]) == [today.isoformat()]


def test_tracked_hours_filters(world, data, owner_api):
    Membership.objects.filter(workspace=world.acme, user=world.alice).update(team_name="Design", title="UX")
    Membership.objects.filter(workspace=world.acme, user=world.bob).update(team_name="Design", title="Dev")

    def total(**params):
        body = assert_envelope(
            owner_api.get("reports/tracked-hours", workspace_id=world.acme.id, **week(data), **params)
        )
        return body["data"]["total"]["total_minutes"]

    assert total(user_id=world.alice.id) == 345
    assert total(users=f"{world.alice.id},{world.bob.id}") == 405
    assert total(**{"users[]": [world.manager.id, world.bob.id]}) == 555
    assert total(projects=data.mobile.id) == 210
    assert total(teams="Design") == 405
    assert total(teams="Design", titles="Dev") == 60
    assert total(currencies="EUR") == 900
    assert total(currencies="USD,GBP") == 0


def test_tracked_hours_refuse_bad_filters(world, data, owner_api):
    acme = world.acme.id
    too_long = {"start_date": "2025-01-01", "end_date": "2025-02-01"}
    assert_error(
        owner_api.get("reports/tracked-hours", workspace_id=acme, user_id=world.alice.id, **too_long),
        422,
        "end_date",
    )
    # Without a user_id the whole workspace may be reported over a longer range.
    assert_envelope(owner_api.get("reports/tracked-hours", workspace_id=acme, **too_long))
    assert_error(owner_api.get("reports/tracked-hours", workspace_id=acme, user_id="abc"), 422, "user_id")
    assert_error(
        owner_api.get("reports/tracked-hours", workspace_id=acme, user_id=world.globex_owner.id),
        422,
        "user_id",
    )
    other = Project.objects.create(workspace=world.globex, owner=world.globex_owner, name="Theirs")
    assert_error(
        owner_api.get("reports/tracked-hours", workspace_id=acme, projects=other.id), 422, "projects"
    )
    assert_error(
        owner_api.get("reports/tracked-hours", workspace_id=acme, currencies="EURO"), 422, "currencies"
    )


# --- daily timeline -----------------------------------------------------------------


def test_timeline_lists_exactly_the_days_entries_of_each_member(world, data, owner_api):
    body = assert_envelope(
        owner_api.get("reports/daily-timeline", workspace_id=world.acme.id, date=data.day.isoformat())
    )
    rows = {row["user_id"]: row for row in body["data"]}

    # Every member but the project viewer, by user id; Globex's and other days' entries left out.
    assert [row["user_id"] for row in body["data"]] == sorted(
        [world.owner.id, world.manager.id, world.team_manager.id, world.alice.id, world.bob.id]
    )
    for user_id, row in rows.items():
        expected = TimeEntry.objects.filter(workspace=world.acme, user_id=user_id, date=data.day)
        assert [e["id"] for e in row["time_entries"]] == [str(e.id) for e in expected.order_by("start_time")]
        assert row["total_minutes"] == sum(e.duration_minutes for e in expected)
        assert row["total_minutes"] == sum(e["duration_minutes"] for e in row["time_entries"])
    alice = rows[world.alice.id]
    assert alice["user_name"] == "Alice Moreau"
    assert alice["email"] == "alice@acme.test"
    assert alice["total_minutes"] == 345
    assert alice["activity_level"] == 72  # (135 x 60% + 210 x 80%) / 345
    assert alice["total_amount"] == 182.5
    assert alice["currency"] == "EUR"
    first = alice["time_entries"][0]
    assert first["id"] == str(data.e1.id)
    assert first["project_name"] == "Website"
    assert first["task_title"] == "Homepage"
    assert first["method"] == "Desktop tracker"
    assert first["activity_level"] == 60
    assert first["start_time"].endswith("Z")
    local_start = datetime.fromisoformat(first["start_time_local"])
    assert local_start.strftime("%H:%M") == "09:45"
    assert local_start.utcoffset() == data.e1.start_time.astimezone(BERLIN).utcoffset()
    assert datetime.fromisoformat(first["end_time_local"]).strftime("%H:%M") == "12:00"
    assert rows[world.bob.id]["time_entries"] == []
    assert rows[world.bob.id]["activity_level"] is None


def test_timeline_filters_users_and_hides_amounts_without_rate_access(world, data, api):
    Membership.objects.filter(workspace=world.acme, user=world.manager).update(rate_status=0)
    body = assert_envelope(
        api.as_user(world.manager).get(
            "reports/daily-timeline",
            workspace_id=world.acme.id,
            date=data.day.isoformat(),
            user_ids=f"{world.manager.id},{world.alice.id}",
        )
    )
    assert [row["user_id"] for row in body["data"]] == sorted([world.manager.id, world.alice.id])
    assert all(row["total_amount"] is None and row["currency"] is None for row in body["data"])
    assert sum(row["total_minutes"] for row in body["data"]) == 840


def test_timeline_pages_by_member_with_bounds(world, data, owner_api):
    params = {"workspace_id": world.acme.id, "date": data.day.isoformat()}
    members = sorted([world.owner.id, world.manager.id, world.team_manager.id, world.alice.id, world.bob.id])

    first = assert_envelope(owner_api.get("reports/daily-timeline", **params, per_page=2))
    last = assert_envelope(owner_api.get("reports/daily-timeline", **params, per_page=2, page=3))
    default = assert_envelope(owner_api.get("reports/daily-timeline", **params))

    assert [r["user_id"] for r in first["data"]] == members[:2]
    assert first["meta"]["pagination"] == {
        "total": 5, "per_page": 2, "current_page": 1, "last_page": 3, "from": 1, "to": 2,
    }  # fmt: skip
    assert [r["user_id"] for r in last["data"]] == members[4:]
    assert default["meta"]["pagination"]["per_page"] == 30
    assert_envelope(owner_api.get("reports/daily-timeline", **params, per_page=100))
    assert_error(owner_api.get("reports/daily-timeline", **params, per_page=101), 422, "per_page")
    assert_error(owner_api.get("reports/daily-timeline", **params, page=0), 422, "page")


def test_timeline_keeps_an_archived_members_entries(world, data, owner_api):
    Membership.objects.filter(workspace=world.acme, user__in=[world.alice, world.bob]).update(
        deleted_at=timezone.now()
    )
    body = assert_envelope(
        owner_api.get("reports/daily-timeline", workspace_id=world.acme.id, date=data.day.isoformat())
    )
    users = [row["user_id"] for row in body["data"]]
    assert world.alice.id in users  # archived, but tracked that day
    assert world.bob.id not in users  # archived, and nothing to show


def test_timeline_date_must_be_within_a_year(world, owner_api):
    today = timezone.now().astimezone(BERLIN).date()
    for far in (today - timedelta(days=400), today + timedelta(days=400)):
        body = assert_error(
            owner_api.get("reports/daily-timeline", workspace_id=world.acme.id, date=far.isoformat()),
            422,
            "date",
        )
        assert "within the last year" in body["message"]
    assert_envelope(
        owner_api.get("reports/daily-timeline", workspace_id=world.acme.id, date=today.isoformat())
    )


def test_timeline_of_a_hundred_members_costs_a_bounded_number_of_queries(
    world, data, owner_api, django_assert_max_num_queries
):
    users = SandboxUser.objects.bulk_create(
        SandboxUser(email=f"member{n}@acme.test", firstname="Member", lastname=str(n)) for n in range(95)
    )
    Membership.objects.bulk_create(Membership(workspace=world.acme, user=u) for u in users)
    start = datetime.combine(data.day, datetime.min.time(), tzinfo=BERLIN) + timedelta(hours=8)
    TimeEntry.objects.bulk_create(
        TimeEntry(
            workspace=world.acme, user=u, project=data.website, task=data.homepage, date=data.day,
            start_time=start + timedelta(hours=h), end_time=start + timedelta(hours=h, minutes=50),
            duration_minutes=50, activity_level=70,
        )
        for u in users
        for h in (0, 2)
    )  # fmt: skip
    params = {"workspace_id": world.acme.id, "date": data.day.isoformat()}
    owner_api.get("workspaces")  # the caller's rate-limit window exists from here on
    with django_assert_max_num_queries(12, using="sandbox") as few:
        assert_envelope(owner_api.get("reports/daily-timeline", **params, per_page=2))

    # A hundred members and their 194 entries cost no more queries than two members.
    with django_assert_max_num_queries(len(few), using="sandbox"):
        body = assert_envelope(owner_api.get("reports/daily-timeline", **params, per_page=100))

    assert len(body["data"]) == 100
    assert body["meta"]["pagination"]["total"] == 100
    listed = {e["id"] for row in body["data"] for e in row["time_entries"]}
    day_entries = TimeEntry.objects.filter(workspace=world.acme, date=data.day)
    assert listed == {str(pk) for pk in day_entries.values_list("id", flat=True)}
    assert len(listed) == 4 + 95 * 2


# --- daily attendance ------------------------------------------------------------------


def test_attendance_derives_statuses_times_and_breaks_from_the_entries(world, data, owner_api):
    body = assert_envelope(
        owner_api.get("reports/daily-attendance", workspace_id=world.acme.id, date=data.day.isoformat())
    )
    rows = {row["user_id"]: row for row in body["data"]}

    alice = rows[world.alice.id]
    assert alice["statuses"] == ["Present", "Late", "Left early", "Tracked less"]
    assert (alice["first_start"], alice["last_end"]) == ("09:45", "16:00")
    assert alice["tracked_minutes"] == 345
    assert alice["expected_minutes"] == 480  # 40 h a week over 5 days
    assert (alice["late_minutes"], alice["left_early_minutes"]) == (15, 60)
    assert alice["breaks"] == ["12:00 - 12:30"]
    assert alice["break_minutes"] == 30
    manager = rows[world.manager.id]
    assert manager["statuses"] == ["Present"]
    assert manager["tracked_minutes"] == 495
    assert manager["expected_minutes"] == 480  # no weekly limit: 8 hours
    assert (manager["late_minutes"], manager["left_early_minutes"]) == (0, 0)
    assert manager["breaks"] == ["13:00 - 13:15"]
    assert rows[world.team_manager.id]["statuses"] == ["On leave"]
    bob = rows[world.bob.id]  # his leave request is still pending
    assert bob["statuses"] == ["Absent"]
    assert (bob["first_start"], bob["last_end"], bob["tracked_minutes"], bob["breaks"]) == (None, None, 0, [])
    assert rows[world.owner.id]["statuses"] == ["Absent"]
    assert world.viewer.id not in rows


def test_attendance_ignores_short_gaps_and_overlaps(world, data, owner_api):
    the_day = data.day + timedelta(days=2)
    add_entry(world.acme, world.bob, the_day, "09:00", "11:00")
    add_entry(world.acme, world.bob, the_day, "10:30", "12:00")  # overlaps: no gap
    add_entry(world.acme, world.bob, the_day, "12:09", "13:00")  # 9 minutes: not a break
    add_entry(world.acme, world.bob, the_day, "14:00", "17:45")
    body = assert_envelope(
        owner_api.get(
            "reports/daily-attendance",
            workspace_id=world.acme.id,
            date=the_day.isoformat(),
            users=world.bob.id,
        )
    )
    [bob] = body["data"]
    assert bob["breaks"] == ["13:00 - 14:00"]
    assert bob["statuses"] == ["Present"]
    assert bob["tracked_minutes"] == 120 + 90 + 51 + 225


def test_attendance_filters_by_status_and_pages(world, data, owner_api):
    params = {"workspace_id": world.acme.id, "date": data.day.isoformat()}

    def users(**extra):
        body = assert_envelope(owner_api.get("reports/daily-attendance", **params, **extra))
        return [row["user_id"] for row in body["data"]], body["meta"]["pagination"]

    assert users(status="late")[0] == [world.alice.id]
    assert users(status="absent")[0] == sorted([world.owner.id, world.bob.id])
    assert users(status="late,on_leave")[0] == sorted([world.alice.id, world.team_manager.id])
    assert users(**{"status[]": ["tracked_less", "left_early"]})[0] == [world.alice.id]
    page, pagination = users(status="absent", per_page=1, page=2)
    assert page == [max(world.owner.id, world.bob.id)]
    assert (pagination["total"], pagination["last_page"]) == (2, 2)
    page, pagination = users(per_page=3)
    assert len(page) == 3
    assert pagination["total"] == 5
    body = assert_error(owner_api.get("reports/daily-attendance", **params, status="sleepy"), 422, "status")
    assert "sleepy" in body["message"]
    assert_error(owner_api.get("reports/daily-attendance", **params, per_page=101), 422, "per_page")


def test_attendance_counts_paid_holidays_and_leave_entries(world, data, owner_api):
    the_day = data.day + timedelta(days=3)
    add_entry(world.acme, world.bob, the_day, "09:00", "17:00", method=Method.PAID_HOLIDAY)
    add_entry(world.acme, world.alice, the_day, "09:00", "13:00", method=Method.PAID_LEAVE)
    add_entry(world.acme, world.alice, the_day, "14:00", "16:00")
    body = assert_envelope(
        owner_api.get("reports/daily-attendance", workspace_id=world.acme.id, date=the_day.isoformat())
    )
    rows = {row["user_id"]: row for row in body["data"]}
    assert rows[world.bob.id]["statuses"] == ["Holiday"]
    assert rows[world.bob.id]["tracked_minutes"] == 480
    assert rows[world.alice.id]["statuses"] == ["Present", "On leave"]
    assert rows[world.alice.id]["first_start"] == "14:00"


# --- task report -----------------------------------------------------------------------


def test_task_report_sums_each_task_from_the_entries(world, data, owner_api):
    body = assert_envelope(owner_api.get("reports/task-report", workspace_id=world.acme.id, **week(data)))
    rows = {row["user_id"]: row for row in body["data"]}

    manager = rows[world.manager.id]
    assert manager["total_minutes"] == 495
    assert manager["tasks_breakdown"] == [
        {
            "task_id": data.homepage.id,
            "task_title": "Homepage",
            "project_id": data.website.id,
            "project_name": "Website",
            "total_minutes": 255,
        },
        {
            "task_id": data.checkout.id,
            "task_title": "Checkout",
            "project_id": data.website.id,
            "project_name": "Website",
            "total_minutes": 240,
        },
    ]
    in_week = TimeEntry.objects.filter(
        workspace=world.acme, date__range=(data.day, data.day + timedelta(days=6))
    )
    for user_id, row in rows.items():
        for task in row["tasks_breakdown"]:
            entries = in_week.filter(user_id=user_id, task_id=task["task_id"], project_id=task["project_id"])
            assert task["total_minutes"] == entries.aggregate(m=Sum("duration_minutes"))["m"]
        assert row["total_minutes"] == sum(t["total_minutes"] for t in row["tasks_breakdown"])
        daily = [item["total_minutes"] for items in row["daily_breakdown"].values() for item in items]
        assert sum(daily) == row["total_minutes"]
    alice = rows[world.alice.id]
    assert alice["daily_breakdown"] == {
        data.day.isoformat(): [
            {
                "task_id": data.homepage.id,
                "task_title": "Homepage",
                "project_id": data.website.id,
                "total_minutes": 135,
            },
            {"task_id": None, "task_title": None, "project_id": data.mobile.id, "total_minutes": 210},
        ]
    }
    assert rows[world.owner.id] == {
        "user_id": world.owner.id,
        "user_name": "Olivia Owens",
        "total_minutes": 0,
        "tasks_breakdown": [],
        "daily_breakdown": {},
    }


def test_task_report_filters_tasks_projects_and_time_without_a_task(world, data, owner_api):
    def totals(**params):
        body = assert_envelope(
            owner_api.get("reports/task-report", workspace_id=world.acme.id, **week(data), **params)
        )
        return {row["user_id"]: row["total_minutes"] for row in body["data"] if row["total_minutes"]}

    assert totals(include_no_task="false") == {world.alice.id: 135, world.manager.id: 495}
    assert totals(task_id=data.checkout.id, include_no_task="false") == {world.manager.id: 240}
    assert totals(task_id=data.checkout.id) == {world.alice.id: 210, world.manager.id: 240, world.bob.id: 60}
    assert totals(project_id=data.mobile.id) == {world.alice.id: 210}
    assert totals(users=world.bob.id) == {world.bob.id: 60}
    assert_error(
        owner_api.get(
            "reports/task-report", workspace_id=world.acme.id, **week(data), include_no_task="maybe"
        ),
        422,
        "include_no_task",
    )
    other = Task.objects.create(
        workspace=world.globex,
        project=Project.objects.create(workspace=world.globex, owner=world.globex_owner, name="X"),
        owner=world.globex_owner,
        creator=world.globex_owner,
        title="Theirs",
    )
    assert_error(
        owner_api.get("reports/task-report", workspace_id=world.acme.id, **week(data), task_id=other.id),
        422,
        "task_id",
    )


def test_task_report_pages_by_member(world, data, owner_api):
    body = assert_envelope(
        owner_api.get("reports/task-report", workspace_id=world.acme.id, **week(data), per_page=4, page=2)
    )
    assert len(body["data"]) == 1
    assert body["meta"]["pagination"]["total"] == 5
    assert_error(
        owner_api.get("reports/task-report", workspace_id=world.acme.id, **week(data), per_page=0),
        422,
        "per_page",
    )


# --- activity level ----------------------------------------------------------------------


def test_activity_level_weights_each_day_by_its_minutes(world, data, owner_api):
    body = assert_envelope(owner_api.get("reports/activity-level", workspace_id=world.acme.id, **week(data)))
    rows = {row["user_id"]: row for row in body["data"]}

    alice = rows[world.alice.id]
    assert len(alice["days"]) == 7
    assert alice["days"][0] == {"date": data.day.isoformat(), "tracked_minutes": 345, "activity_level": 72}
    # A day without tracked time holds 0, a number as WebWork documents it (never null); its
    # tracked_minutes of 0 tell it from a day tracked at 0 % (Bob's Tuesday).
    assert alice["days"][1] == {
        "date": (data.day + timedelta(days=1)).isoformat(),
        "tracked_minutes": 0,
        "activity_level": 0,
    }
    assert rows[world.bob.id]["days"][1] == {
        "date": (data.day + timedelta(days=1)).isoformat(),
        "tracked_minutes": 60,
        "activity_level": 0,
    }
    levels = [d["activity_level"] for row in body["data"] for d in row["days"]]
    assert len(levels) == 5 * 7
    assert all(type(level) is int for level in levels), levels
    assert alice["overall"] == {"tracked_minutes": 345, "activity_level": 72}
    assert rows[world.manager.id]["overall"] == {"tracked_minutes": 495, "activity_level": 45}
    assert rows[world.bob.id]["overall"] == {"tracked_minutes": 60, "activity_level": 0}
    assert rows[world.owner.id]["overall"] == {"tracked_minutes": 0, "activity_level": 0}  # no time
    # 135 x 60 + 210 x 80 + 240 x 40 + 255 x 50 + 60 x 0 over 900 minutes
    assert body["overall"]["tracked_minutes"] == 900
    assert body["overall"]["activity_level"] == 53  # 52.5, rounded half up
    assert body["overall"]["users"] == 5
    assert body["meta"]["pagination"]["per_page"] == 30


def test_activity_level_for_one_contract(world, data, owner_api):
    params = {"workspace_id": world.acme.id, **week(data)}
    body = assert_envelope(owner_api.get("reports/activity-level", **params, contract_id=data.alice_web.id))
    assert [row["user_id"] for row in body["data"]] == [world.alice.id]
    assert body["data"][0]["overall"] == {"tracked_minutes": 135, "activity_level": 60}
    assert body["overall"]["tracked_minutes"] == 135

    # A contract without time in the range: every level is still a number, 0.
    earlier = {
        "workspace_id": world.acme.id,
        "start_date": (data.day - timedelta(days=14)).isoformat(),
        "end_date": (data.day - timedelta(days=8)).isoformat(),
    }
    empty = assert_envelope(owner_api.get("reports/activity-level", **earlier, contract_id=data.alice_web.id))
    assert empty["data"][0]["overall"] == {"tracked_minutes": 0, "activity_level": 0}
    assert {d["activity_level"] for d in empty["data"][0]["days"]} == {0}
    assert (empty["overall"]["tracked_minutes"], empty["overall"]["activity_level"]) == (0, 0)

    theirs = Contract.objects.create(
        workspace=world.globex,
        project=Project.objects.create(workspace=world.globex, owner=world.globex_owner, name="X"),
        user=world.globex_owner,
    )
    assert_error(owner_api.get("reports/activity-level", **params, contract_id=theirs.id), 422, "contract_id")
    assert_error(owner_api.get("reports/activity-level", **params, contract_id="x"), 422, "contract_id")
    assert_error(owner_api.get("reports/activity-level", **params, per_page=101), 422, "per_page")


# --- activity descriptions ---------------------------------------------------------------


def test_activity_descriptions_group_time_by_description(world, data, owner_api):
    add_entry(
        world.acme, world.bob, data.day + timedelta(days=2), "10:00", "10:30",
        project=data.website, activity_description="  ",
    )  # fmt: skip
    body = assert_envelope(
        owner_api.get("reports/activity-descriptions", workspace_id=world.acme.id, **week(data))
    )
    rows = {row["user_id"]: row for row in body["data"]}

    assert rows[world.manager.id]["descriptions"] == [
        {
            "activity_description": "Homepage layout",
            "project_id": data.website.id,
            "total_minutes": 255,
            "entries": 1,
        },
        {
            "activity_description": "Checkout flow",
            "project_id": data.website.id,
            "total_minutes": 240,
            "entries": 1,
        },
    ]
    assert rows[world.alice.id]["descriptions"] == [
        {"activity_description": None, "project_id": data.mobile.id, "total_minutes": 210, "entries": 1},
        {
            "activity_description": "Homepage layout",
            "project_id": data.website.id,
            "total_minutes": 135,
            "entries": 1,
        },
    ]
    # No description and a blank one are one group.
    assert rows[world.bob.id]["descriptions"] == [
        {"activity_description": None, "project_id": data.website.id, "total_minutes": 90, "entries": 2}
    ]
    total = sum(row["total_minutes"] for row in body["data"])
    assert (
        total
        == TimeEntry.objects.filter(
            workspace=world.acme, date__range=(data.day, data.day + timedelta(days=6))
        ).aggregate(m=Sum("duration_minutes"))["m"]
    )


def test_activity_descriptions_default_to_this_week_and_filter_users(world, data, owner_api):
    today = timezone.now().astimezone(BERLIN).date()
    add_entry(world.acme, world.alice, today, "00:10", "00:40", activity_description="Standup")
    body = assert_envelope(
        owner_api.get("reports/activity-descriptions", workspace_id=world.acme.id, users=world.alice.id)
    )
    assert [row["user_id"] for row in body["data"]] == [world.alice.id]
    assert body["data"][0]["descriptions"] == [
        {"activity_description": "Standup", "project_id": None, "total_minutes": 30, "entries": 1}
    ]
    assert body["start_date"] == (today - timedelta(days=today.weekday())).isoformat()


# --- roles ---------------------------------------------------------------------------------


def test_an_executive_manager_reads_the_same_minutes_as_the_owner(world, data, api):
    params = {"workspace_id": world.acme.id, "date": data.day.isoformat()}
    by_owner = assert_envelope(api.as_user(world.owner).get("reports/daily-timeline", **params))
    by_manager = assert_envelope(api.as_user(world.manager).get("reports/daily-timeline", **params))
    assert by_owner["data"] == by_manager["data"]
    assert sum(row["total_minutes"] for row in by_manager["data"]) == 840


def test_timeline_of_today_lists_a_running_tracker_as_an_open_entry(world, owner_api):
    import time_machine

    from integrations.sandbox.models import RunningTracker

    noon = datetime(2026, 11, 18, 12, 0, tzinfo=BERLIN)
    with time_machine.travel(noon, tick=False):
        RunningTracker.objects.create(
            workspace=world.acme,
            user=world.alice,
            started_at=noon - timedelta(minutes=42),
            activity_description="Wireframes",
        )
        first = owner_api.get("reports/daily-timeline", workspace_id=world.acme.id, date="2026-11-18")
        again = owner_api.get("reports/daily-timeline", workspace_id=world.acme.id, date="2026-11-18")
        yesterday = owner_api.get("reports/daily-timeline", workspace_id=world.acme.id, date="2026-11-17")

    alice = next(row for row in assert_envelope(first)["data"] if row["user_id"] == world.alice.id)
    (entry,) = alice["time_entries"]
    assert entry["end_time"] is None
    assert entry["is_running"] is True
    assert entry["activity_description"] == "Wireframes"
    assert entry["duration_minutes"] == 42
    assert datetime.fromisoformat(entry["start_time_local"]).strftime("%H:%M") == "11:18"
    assert alice["total_minutes"] == 0  # totals count finished time only
    again_alice = next(row for row in assert_envelope(again)["data"] if row["user_id"] == world.alice.id)
    assert again_alice["time_entries"][0]["id"] == entry["id"]  # a stable id while it runs
    yesterday_alice = next(
        row for row in assert_envelope(yesterday)["data"] if row["user_id"] == world.alice.id
    )
    assert yesterday_alice["time_entries"] == []
