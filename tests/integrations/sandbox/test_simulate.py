"""The sandbox's activity simulator: each kind of step changes the sandbox as a member would."""

import random
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.sandbox.models import (
    Contract,
    Expense,
    LeaveRequest,
    Membership,
    RunningTracker,
    TimeEntry,
    TimeRequest,
    Timesheet,
    Webhook,
    Workspace,
)
from integrations.sandbox.models.accounts import MemberStatus, Role
from integrations.sandbox.seeding import sandbox_reset, seed_sandbox
from integrations.sandbox.simulation import Simulator

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

NOW = datetime(2026, 3, 12, 14, 30, tzinfo=UTC)  # when the world was seeded
LATER = NOW + timedelta(minutes=20)  # when the simulator acts


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One seeded small world shared by the module (committed; emptied again afterwards)."""
    with django_db_blocker.unblock():
        sandbox_reset()
        seed_sandbox(scale="small", seed=3, now=NOW)
        yield
        sandbox_reset()


def simulator(seed=1, **options):
    return Simulator(rng=random.Random(seed), clock=lambda: LATER, **options)


def state():
    return (
        RunningTracker.objects.count(),
        TimeEntry.objects.count(),
        TimeRequest.objects.count(),
        LeaveRequest.objects.count(),
        Expense.objects.count(),
        Timesheet.objects.filter(status=Timesheet.Status.SUBMITTED).count(),
    )


def test_start_tracker_starts_one_for_a_working_member_who_is_not_tracking(seeded):
    tracking = set(RunningTracker.objects.values_list("user_id", flat=True))
    line = simulator().start_tracker()
    tracker = RunningTracker.objects.exclude(user_id__in=tracking).select_related("user", "project").get()
    assert tracker.started_at == LATER
    assert Contract.objects.filter(pk=tracker.contract_id, user=tracker.user, status="active").exists()
    member = Membership.objects.get(workspace_id=tracker.workspace_id, user=tracker.user)
    assert member.status == MemberStatus.ACTIVE
    assert member.role != Role.PROJECT_VIEWER
    assert tracker.activity_description
    assert f"{tracker.user.full_name} started the tracker on {tracker.project.name}" in line


def test_stop_tracker_records_the_tracked_time_as_entries(seeded):
    running = {t.user_id: t for t in RunningTracker.objects.all()}
    line = simulator().stop_tracker()
    stopped = [
        t for user_id, t in running.items() if not RunningTracker.objects.filter(user_id=user_id).exists()
    ]
    assert len(stopped) == 1
    tracker = stopped[0]
    entries = TimeEntry.objects.filter(user_id=tracker.user_id, start_time__gte=tracker.started_at)
    assert entries.exists()
    assert max(entries.values_list("end_time", flat=True)) == LATER
    assert {e.method for e in entries} == {tracker.method}
    assert {e.contract_id for e in entries} == {tracker.contract_id}
    assert "stopped the tracker" in line


def test_starting_and_stopping_trackers_fires_the_webhook_signals(seeded, django_capture_on_commit_callbacks):
    acme = Workspace.objects.get(name="Acme Studio")
    Webhook.objects.create(
        workspace=acme,
        url="https://hooks.example.test/webwork",
        events=["tracker.started", "tracker.stopped"],
    )
    sim = simulator(seed=2, workspace_id=acme.id)
    with django_capture_on_commit_callbacks(using="sandbox") as callbacks:
        assert sim.start_tracker()
        assert sim.stop_tracker()
    events = [getattr(callback, "keywords", {}).get("event") for callback in callbacks]
    assert "tracker.started" in events
    assert "tracker.stopped" in events


def test_submit_timesheet_submits_an_open_past_timesheet_with_time(seeded):
    open_ids = set(Timesheet.objects.filter(status=Timesheet.Status.OPEN).values_list("id", flat=True))
    line = simulator().submit_timesheet()
    sheet = (
        Timesheet.objects.filter(id__in=open_ids, status=Timesheet.Status.SUBMITTED)
        .select_related("user")
        .get()
    )
    assert sheet.submitted_on == LATER
    assert sheet.date_to < LATER.date()
    assert TimeEntry.objects.filter(
        workspace_id=sheet.workspace_id, user_id=sheet.user_id, date__range=(sheet.date_from, sheet.date_to)
    ).exists()
    assert f"{sheet.user.full_name} submitted the timesheet" in line


def test_request_time_asks_for_free_time_after_a_recent_working_day(seeded):
    sim = simulator(seed=4)
    before = set(TimeRequest.objects.values_list("id", flat=True))
    lines = [line for line in (sim.request_time() for _ in range(6)) if line]
    assert lines
    created = TimeRequest.objects.exclude(id__in=before)
    assert created.count() == len(lines)
    for request in created:
        assert request.status == TimeRequest.Status.PENDING
        assert request.start < request.end <= LATER
        assert request.notes
        overlapping = TimeEntry.objects.filter(
            user=request.user, start_time__lt=request.end, end_time__gt=request.start
        )
        assert not overlapping.exists()


def test_request_leave_asks_for_days_off(seeded):
    sim = simulator(seed=5)
    before = set(LeaveRequest.objects.values_list("id", flat=True))
    lines = [line for line in (sim.request_leave() for _ in range(6)) if line]
    assert lines
    created = LeaveRequest.objects.exclude(id__in=before).select_related("policy")
    assert created.count() == len(lines)
    for request in created:
        assert request.status == LeaveRequest.Status.PENDING
        assert request.start_date >= LATER.date()
        assert request.start_date <= request.end_date
        assert request.policy.workspace_id == request.workspace_id
        assert request.created_by_id == request.user_id


def test_file_expense_files_one_in_a_category_of_the_workspace(seeded):
    before = set(Expense.objects.values_list("id", flat=True))
    line = simulator(seed=6).file_expense()
    expense = Expense.objects.exclude(id__in=before).select_related("category", "workspace").get()
    assert expense.category.workspace_id == expense.workspace_id
    assert expense.amount > 0
    assert expense.date == LATER.date()
    assert expense.expense_name in line


def test_steps_change_the_sandbox_and_give_one_line_each(seeded):
    sim = simulator(seed=7)
    before = state()
    lines = [sim.step() for _ in range(8)]
    assert all(lines)
    assert sim.actions == 8
    assert state() != before


def test_a_workspace_keeps_the_activity_inside_it(seeded):
    lab = Workspace.objects.get(name="Acme Product Lab")
    sim = simulator(seed=8, workspace_id=lab.id)
    lines = [sim.step() for _ in range(6)]
    assert any(lines)
    assert all(line.startswith("Acme Product Lab: ") for line in lines if line)


def test_run_paces_the_steps_and_stops_after_the_given_seconds(seeded):
    clock, pauses, lines = [0.0], [], []

    def sleep(seconds):
        pauses.append(seconds)
        clock[0] += seconds

    done = simulator(seed=9).run(
        seconds=120, speed=2, log=lines.append, sleep=sleep, monotonic=lambda: clock[0]
    )
    assert done == len(lines)
    assert 4 <= done <= 40  # about one action every 7.5 s at speed 2
    assert sum(pauses) == pytest.approx(120)


def test_simulate_command_runs_for_the_given_seconds(seeded):
    out = StringIO()
    call_command("sandbox_simulate", "--seconds", "0.2", "--seed", "1", stdout=out)
    output = out.getvalue()
    assert "Simulating activity in all workspaces" in output
    assert "Acme" in output  # the first action happens at once
    assert "Stopped after 1 action." in output


def test_simulate_command_stops_cleanly_on_ctrl_c(seeded, monkeypatch):
    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", interrupt)
    out = StringIO()
    call_command("sandbox_simulate", "--seed", "2", stdout=out)
    assert "Stopped after 1 action." in out.getvalue()


def test_simulate_command_rejects_an_unknown_workspace(seeded):
    with pytest.raises(CommandError, match="No sandbox workspace with id 999"):
        call_command("sandbox_simulate", "--workspace", "999", "--seconds", "1")
