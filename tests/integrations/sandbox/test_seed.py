"""Sandbox seeding: the small world, its promises, determinism, and the seed/prepare commands."""

import itertools
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from integrations.sandbox.models import (
    Contract,
    Expense,
    LeavePolicy,
    LeaveRequest,
    Membership,
    OAuthApplication,
    Project,
    RunningTracker,
    SandboxUser,
    Task,
    TaskAssignee,
    TimeEntry,
    TimeRequest,
    Timesheet,
    ViewerProject,
    Workspace,
)
from integrations.sandbox.models.accounts import MemberStatus, Role
from integrations.sandbox.models.time import Method
from integrations.sandbox.seeding import sandbox_reset, seed_sandbox

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

# A Thursday afternoon in Berlin: the world is seeded "now" = NOW.
NOW = datetime(2026, 3, 12, 14, 30, tzinfo=UTC)
SEED = 7
BERLIN = ZoneInfo("Europe/Berlin")
THIS_MONDAY = datetime(2026, 3, 9).date()
MANAGER_ROLES = {Role.OWNER, Role.EXECUTIVE_MANAGER, Role.TEAM_MANAGER, Role.PROJECT_MANAGER}


@pytest.fixture(scope="module")
def small(django_db_setup, django_db_blocker):
    """One seeded small world shared by the module (committed; emptied again afterwards)."""
    with django_db_blocker.unblock():
        sandbox_reset()
        summary = seed_sandbox(scale="small", seed=SEED, now=NOW)
        yield summary
        sandbox_reset()


@pytest.fixture
def acme(small):
    return Workspace.objects.get(name="Acme Studio")


def snapshot():
    return {
        "emails": list(SandboxUser.objects.order_by("id").values_list("id", "email")),
        "projects": list(Project.objects.order_by("id").values_list("id", "name")),
        "entries": TimeEntry.objects.count(),
        "entry_ids": sorted(str(pk) for pk in TimeEntry.objects.values_list("id", flat=True)),
        "timesheet_ids": sorted(str(pk) for pk in Timesheet.objects.values_list("id", flat=True)),
    }


# --- The promised world ------------------------------------------------------------


def test_small_has_one_agency_workspace_of_15_members_and_5_projects(acme):
    assert Workspace.objects.order_by("id").first() == acme
    assert acme.owner.email == "owner@acme.test"
    assert acme.memberships.count() == 15
    assert acme.projects.count() == 5
    assert acme.projects.filter(is_billable=True).count() >= 3


def test_time_entries_cover_eight_weeks_up_to_now(acme):
    entries = TimeEntry.objects.filter(workspace=acme)
    weeks = {THIS_MONDAY - timedelta(weeks=n) for n in range(8)}
    assert {date - timedelta(days=date.weekday()) for date in entries.values_list("date", flat=True)} == weeks
    assert not TimeEntry.objects.filter(end_time__gt=NOW).exists()
    assert entries.filter(date=NOW.date()).exists()  # today, before now


def test_names_read_like_a_real_agency(acme):
    emails = list(acme.memberships.values_list("user__email", flat=True))
    assert all("@" in email and not email.startswith("user") for email in emails)
    staff = acme.memberships.exclude(role=Role.PROJECT_VIEWER)
    assert all(email.endswith("@acme.test") for email in staff.values_list("user__email", flat=True))
    client_projects = acme.projects.filter(is_billable=True).values_list("name", flat=True)
    assert all(" — " in name for name in client_projects)
    assert (
        TimeEntry.objects.exclude(activity_description__isnull=True).exclude(activity_description="").exists()
    )


def test_every_approval_queue_has_items_waiting(acme):
    assert Timesheet.objects.filter(workspace=acme, status=Timesheet.Status.SUBMITTED).exists()
    assert TimeRequest.objects.filter(workspace=acme, status=TimeRequest.Status.PENDING).exists()
    assert LeaveRequest.objects.filter(workspace=acme, status=LeaveRequest.Status.PENDING).exists()
    for model in (TimeRequest, LeaveRequest):
        for request in model.objects.filter(status="pending"):
            assert Membership.objects.filter(
                workspace_id=request.workspace_id, user_id=request.user_id
            ).exists()


def test_roles_include_every_kind_and_members_who_may_not_use_the_api(acme):
    memberships = list(acme.memberships.all())
    assert {m.role for m in memberships} == set(Role.values)
    managers = [m for m in memberships if m.role == Role.EXECUTIVE_MANAGER]
    assert sorted(m.rate_status for m in managers) == [0, 1]
    assert any(not m.may_use_api for m in memberships)
    assert any(m.status == MemberStatus.INACTIVE for m in memberships)
    assert any(m.deleted_at is not None for m in memberships)


def test_a_manager_belongs_to_two_workspaces(small):
    shared = (
        Membership.objects.filter(role__in=MANAGER_ROLES)
        .values("user_id")
        .annotate(workspaces=Count("workspace_id", distinct=True))
        .filter(workspaces__gte=2)
    )
    assert shared.exists()
    user_id = shared.order_by("user_id").first()["user_id"]
    assert Membership.objects.filter(user_id=user_id).values("workspace_id").distinct().count() == 2


def test_owner_signs_in_with_demo_and_so_does_everyone_else(small):
    owner = SandboxUser.objects.get(email="owner@acme.test")
    assert owner.check_password("demo")
    assert not owner.check_password("wrong")
    other = SandboxUser.objects.exclude(pk=owner.pk).first()
    assert other.check_password("demo")


def test_viewers_are_clients_who_see_their_own_projects(acme):
    viewers = acme.memberships.filter(role=Role.PROJECT_VIEWER)
    assert viewers.count() >= 2
    for viewer in viewers.select_related("user"):
        links = ViewerProject.objects.filter(viewer=viewer).select_related("project")
        assert links.exists()
        assert not viewer.user.email.endswith("@acme.test")
        assert all(link.project.name.startswith(viewer.team_name) for link in links)
        assert all(link.project.workspace_id == acme.id for link in links)


def test_contracts_near_and_over_their_weekly_limit_this_week(acme):
    week = (THIS_MONDAY, THIS_MONDAY + timedelta(days=6))
    tracked = (
        TimeEntry.objects.filter(workspace=acme, date__range=week)
        .values("contract_id", "contract__weekly_hours_limit")
        .annotate(minutes=Sum("duration_minutes"))
    )
    shares = [
        row["minutes"] / 60 / row["contract__weekly_hours_limit"] for row in tracked if row["contract_id"]
    ]
    assert any(share > 1 for share in shares)
    assert any(0.85 <= share < 1 for share in shares)


def test_one_timesheet_per_member_and_week_with_realistic_states(acme):
    sheets = Timesheet.objects.filter(workspace=acme)
    assert all(s.date_from.weekday() == 0 and s.date_to == s.date_from + timedelta(days=6) for s in sheets)
    this_week = sheets.filter(date_from=THIS_MONDAY)
    assert this_week.exists()
    assert set(this_week.values_list("status", flat=True)) == {Timesheet.Status.OPEN}
    last_week = sheets.filter(date_from=THIS_MONDAY - timedelta(weeks=1))
    assert last_week.filter(status=Timesheet.Status.SUBMITTED).count() > last_week.count() / 2
    older = sheets.filter(date_from__lt=THIS_MONDAY - timedelta(weeks=1))
    assert older.filter(status=Timesheet.Status.APPROVED).count() > older.count() * 0.7
    for rejected in older.filter(status=Timesheet.Status.REJECTED):
        assert rejected.reject_reason
        assert rejected.reviewed_by_id
    # Everyone with work has a timesheet for every week they tracked time in.
    worked = TimeEntry.objects.filter(workspace=acme).values_list("user_id", "date").distinct()
    weeks = set(sheets.values_list("user_id", "date_from"))
    assert all((user, day - timedelta(days=day.weekday())) in weeks for user, day in worked)


def test_a_submitted_timesheet_has_the_entries_of_its_period(acme):
    submitted = Timesheet.objects.filter(workspace=acme, status=Timesheet.Status.SUBMITTED)
    for sheet in submitted:
        period = TimeEntry.objects.filter(
            workspace=acme, user_id=sheet.user_id, date__range=(sheet.date_from, sheet.date_to)
        )
        assert period.exists()
        assert sum(period.values_list("duration_minutes", flat=True)) > 60


def test_time_entries_look_like_working_days(acme):
    entries = list(TimeEntry.objects.filter(workspace=acme).select_related("contract", "task"))
    by_user = defaultdict(list)
    for entry in entries:
        local_start = entry.start_time.astimezone(BERLIN)
        assert entry.date == local_start.date()
        assert entry.duration_minutes == (entry.end_time - entry.start_time).total_seconds() // 60
        assert 30 <= entry.activity_level <= 95
        assert entry.contract.user_id == entry.user_id
        assert entry.project_id == entry.contract.project_id
        assert entry.task is None or entry.task.project_id == entry.project_id
        by_user[entry.user_id].append((entry.start_time, entry.end_time))
    for spans in by_user.values():  # a person's entries never overlap
        spans.sort()
        assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))
    weekdays = sum(1 for e in entries if e.date.weekday() < 5)
    assert weekdays > 0.95 * len(entries)
    methods = defaultdict(int)
    for entry in entries:
        methods[entry.method] += 1
    assert methods[Method.DESKTOP] > 0.8 * len(entries)
    assert methods[Method.MANUAL] > 0
    assert max(e.duration_minutes for e in entries) <= 180  # entries of 1-3 hours
    assert sum(1 for e in entries if e.duration_minutes >= 60) > 0.8 * len(entries)


def test_expenses_tasks_leave_policies_and_running_trackers(acme):
    expenses = Expense.objects.filter(workspace=acme).select_related("category")
    assert expenses.count() > 5
    assert {e.category.workspace_id for e in expenses} == {acme.id}
    assert expenses.filter(is_billable=True, project__isnull=False).exists()
    assert TaskAssignee.objects.filter(task__workspace=acme).exists()
    assert Task.objects.filter(workspace=acme).count() >= 5 * 6
    policies = {p.name: p for p in LeavePolicy.objects.filter(workspace=acme)}
    assert {"Vacation", "Sick leave", "Unpaid leave"} <= set(policies)
    assert (policies["Vacation"].type, policies["Vacation"].is_paid) == ("day-based", "yes")
    assert policies["Unpaid leave"].is_paid == "no"
    trackers = RunningTracker.objects.all()
    assert trackers.count() == 3
    for tracker in trackers:
        assert tracker.started_at < NOW
        assert not TimeEntry.objects.filter(user_id=tracker.user_id, end_time__gt=tracker.started_at).exists()
        assert Contract.objects.get(pk=tracker.contract_id).user_id == tracker.user_id


def test_summary_reports_counts_and_time(small):
    lines = "\n".join(small.lines())
    assert f"{TimeEntry.objects.count():,} time entries" in lines
    assert "Acme Studio" in lines
    assert "owner@acme.test / demo" in lines
    assert small.seconds > 0


# --- Commands and determinism ---------------------------------------------------------


def test_seed_refuses_a_non_empty_sandbox_without_reset(small):
    before = TimeEntry.objects.count()
    with pytest.raises(CommandError, match="--reset"):
        call_command("sandbox_seed", "--scale", "small", stdout=StringIO())
    assert TimeEntry.objects.count() == before


def test_seed_with_reset_gives_the_same_world_for_the_same_seed(small):
    seeded = snapshot()
    OAuthApplication.objects.create(name="Clockroom", client_id="keep-me", client_secret_digest="x")
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("sandbox_seed", "--scale", "small", "--seed", str(SEED), "--reset", stdout=out)
    again = snapshot()
    assert again["emails"] == seeded["emails"]  # same people, same ids
    assert again["projects"] == seeded["projects"]
    assert again["entries"] == seeded["entries"]
    assert again["entry_ids"] == seeded["entry_ids"]
    assert again["timesheet_ids"] == seeded["timesheet_ids"]
    assert OAuthApplication.objects.filter(client_id="keep-me").exists()  # registrations stay
    assert "time entries" in out.getvalue()


def test_prepare_keeps_a_seeded_sandbox_and_registers_clockroom_once(small, settings, tmp_path):
    settings.BASE_DIR = tmp_path
    settings.WEBWORK_PUBLIC_BASE_URL = "http://demo.test:8000"
    users = SandboxUser.objects.count()
    out = StringIO()
    call_command("sandbox_prepare", stdout=out)
    call_command("sandbox_prepare", stdout=out)
    assert SandboxUser.objects.count() == users
    assert "already seeded" in out.getvalue()
    assert "owner@acme.test / demo" in out.getvalue()
    env = (tmp_path / "var" / "sandbox.env").read_text()
    apps = OAuthApplication.objects.filter(name="Clockroom")
    assert apps.count() == 1
    assert f"WEBWORK_OAUTH_CLIENT_ID={apps.get().client_id}" in env
    assert apps.get().redirect_uri == "http://demo.test:8000/auth/webwork/callback/"


def test_prepare_seeds_an_empty_sandbox_with_its_own_seed(small, settings, tmp_path):
    settings.BASE_DIR = tmp_path
    seeded = snapshot()  # seed 7; prepare uses the default seed
    sandbox_reset()
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("sandbox_prepare", stdout=out)
    assert "Seeding the sandbox" in out.getvalue()
    assert Workspace.objects.get(name="Acme Studio").memberships.count() == 15
    assert SandboxUser.objects.get(email="owner@acme.test").check_password("demo")
    other = snapshot()
    assert other["emails"] != seeded["emails"]  # another seed, another world
    assert set(other["entry_ids"]).isdisjoint(seeded["entry_ids"])
    assert (tmp_path / "var" / "sandbox.env").is_file()
