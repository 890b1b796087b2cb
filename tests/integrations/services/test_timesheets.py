"""Approving, rejecting, submitting and unsubmitting timesheets, one by one and in bulk."""

from datetime import timedelta

import pytest

from integrations.models import AuditEvent, Timesheet
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.services import (
    ServiceError,
    timesheet_approve,
    timesheet_reject,
    timesheet_submit,
    timesheet_unsubmit,
    timesheets_approve,
)
from integrations.sync.members import sync_members
from integrations.sync.timesheets import sync_timesheets
from tests.integrations.convergence import assert_converged
from tests.integrations.helpers import at, berlin_today, status_at_webwork

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def weeks(world, ctx):
    """Alice and Bob have time in the last two weeks; Alice's two timesheets and Bob's older one
    are submitted, Bob's current one is open. The mirror has them all."""
    today = berlin_today()
    monday = today - timedelta(days=today.weekday())
    last_monday = monday - timedelta(days=7)
    for week_start in (last_monday, monday):
        for offset, user in ((1, world.alice), (0, world.bob)):
            day = week_start + timedelta(days=offset)
            timekeeping.time_entry_create(workspace=world.acme, user=user, start=at(day, 9), end=at(day, 11))
    sheets = {(ts.user_id, ts.date_from): ts for ts in sandbox.Timesheet.objects.filter(workspace=world.acme)}
    for key in ((world.alice.id, last_monday), (world.alice.id, monday), (world.bob.id, last_monday)):
        timekeeping.timesheet_submit(sheets[key])
    sync_members(ctx)
    sync_timesheets(ctx)
    named = {
        "alice_last": sheets[(world.alice.id, last_monday)],
        "alice_this": sheets[(world.alice.id, monday)],
        "bob_last": sheets[(world.bob.id, last_monday)],
        "bob_this": sheets[(world.bob.id, monday)],
    }
    return {name: (sheet, Timesheet.objects.get(webwork_id=str(sheet.id))) for name, sheet in named.items()}


def test_approving_changes_webwork_the_mirror_and_records_who_did_it(
    world, mirror_workspace, wire, actor, weeks, audit_of
):
    sheet, mirrored = weeks["alice_this"]

    row = timesheet_approve(workspace=mirror_workspace, actor=actor, timesheet=mirrored)

    assert status_at_webwork(sheet) == "approved"
    assert sheet.reviewed_by == world.owner
    assert row.status == "approved"
    assert Timesheet.objects.get(pk=mirrored.pk).status == "approved"
    assert_converged(mirror_workspace, "timesheets")
    event = audit_of("timesheet_approve")
    assert (event.actor, event.workspace, event.object_type, event.object_id) == (
        actor,
        mirror_workspace,
        "timesheet",
        str(sheet.id),
    )
    assert (event.before["status"], event.after["status"]) == ("submitted", "approved")
    assert event.after["total_minutes"] == 120


def test_rejecting_sends_the_reason_and_keeps_it_in_the_audit(mirror_workspace, wire, actor, weeks, audit_of):
    sheet, mirrored = weeks["bob_last"]

    row = timesheet_reject(
        workspace=mirror_workspace,
        actor=actor,
        timesheet=mirrored,
        reason="  Monday's hours belong to the Support project.  ",
    )

    sheet.refresh_from_db()
    assert (sheet.status, sheet.reject_reason) == (
        "rejected",
        "Monday's hours belong to the Support project.",
    )
    assert (row.status, row.reject_reason) == ("rejected", "Monday's hours belong to the Support project.")
    event = audit_of("timesheet_reject")
    assert event.note == "Monday's hours belong to the Support project."
    assert (event.before["reject_reason"], event.after["status"]) == ("", "rejected")


def test_a_rejection_without_a_reason_is_refused_before_webwork_is_asked(
    mirror_workspace, wire, actor, weeks, unchanged
):
    sheet, mirrored = weeks["alice_this"]

    with unchanged(mirrored, requests=0), pytest.raises(ServiceError) as refused:
        timesheet_reject(workspace=mirror_workspace, actor=actor, timesheet=mirrored, reason="  ")

    assert "reason" in refused.value.field_errors
    assert refused.value.message == "Give a reason for the rejection; the member will see it."
    assert status_at_webwork(sheet) == "submitted"


def test_approving_a_timesheet_approved_meanwhile_says_so_and_changes_nothing(
    world, mirror_workspace, wire, actor, weeks, unchanged
):
    sheet, mirrored = weeks["alice_last"]
    timekeeping.timesheet_approve(sheet, by=world.manager)  # someone else, in WebWork itself

    with unchanged(mirrored, refused=True) as kept, pytest.raises(ServiceError) as refused:
        timesheet_approve(workspace=mirror_workspace, actor=actor, timesheet=mirrored)

    assert refused.value.message == "This timesheet is no longer waiting for approval (it is approved)."
    assert refused.value.status == 422
    assert Timesheet.objects.get(pk=mirrored.pk).status == "submitted"
    assert (kept.event.action, kept.event.actor, kept.event.answer) == (
        "timesheet_approve",
        actor,
        refused.value.message,
    )
    assert kept.event.member.email == "alice@acme.test"


def test_submitting_and_taking_back_a_timesheet(mirror_workspace, wire, actor, weeks):
    sheet, mirrored = weeks["bob_this"]

    submitted = timesheet_submit(workspace=mirror_workspace, actor=actor, timesheet=mirrored)
    assert (status_at_webwork(sheet), submitted.status) == ("submitted", "submitted")
    assert submitted.submitted_on is not None

    reopened = timesheet_unsubmit(workspace=mirror_workspace, actor=actor, timesheet=mirrored)
    assert (status_at_webwork(sheet), reopened.status) == ("open", "open")
    assert_converged(mirror_workspace, "timesheets")
    events = list(AuditEvent.objects.order_by("id").values_list("action", "before__status", "after__status"))
    assert events == [
        ("timesheet_submit", "open", "submitted"),
        ("timesheet_unsubmit", "submitted", "open"),
    ]


def test_unsubmitting_an_open_timesheet_says_why_not(mirror_workspace, wire, actor, weeks, unchanged):
    _sheet, mirrored = weeks["bob_this"]

    with unchanged(mirrored, refused=True), pytest.raises(ServiceError) as refused:
        timesheet_unsubmit(workspace=mirror_workspace, actor=actor, timesheet=mirrored)

    assert (
        refused.value.message == "This timesheet is not submitted (it is open), so it cannot be taken back."
    )


def test_bulk_approval_approves_the_rest_and_reports_the_one_refused(mirror_workspace, wire, actor, weeks):
    items = [weeks[name][1] for name in ("alice_last", "bob_this", "bob_last", "alice_this")]

    results = timesheets_approve(workspace=mirror_workspace, actor=actor, timesheets=items)

    assert [(r.item, r.ok) for r in results] == [(item, item != weeks["bob_this"][1]) for item in items]
    assert results[1].error == "This timesheet is no longer waiting for approval (it is open)."
    assert results[1].row is None
    for name in ("alice_last", "bob_last", "alice_this"):
        assert status_at_webwork(weeks[name][0]) == "approved"
    assert status_at_webwork(weeks["bob_this"][0]) == "open"
    assert [r.row.status for r in results if r.ok] == ["approved"] * 3
    assert_converged(mirror_workspace, "timesheets")
    audited = sorted(
        AuditEvent.objects.filter(action="timesheet_approve", outcome="done").values_list(
            "object_id", flat=True
        )
    )
    assert audited == sorted(str(weeks[name][0].id) for name in ("alice_last", "bob_last", "alice_this"))
    refusal = AuditEvent.objects.get(outcome="refused")
    assert (refusal.object_id, refusal.answer) == (str(weeks["bob_this"][0].id), results[1].error)


def test_bulk_approval_reads_a_weeks_timesheets_back_together(mirror_workspace, wire, actor, weeks):
    """Last week's two timesheets come back from one listing: 3 approvals + 1 listing for last
    week + 1 read for this week's single timesheet."""
    items = [weeks[name][1] for name in ("alice_last", "bob_last", "alice_this")]
    made = wire.sent

    results = timesheets_approve(workspace=mirror_workspace, actor=actor, timesheets=items)

    assert all(result.ok for result in results)
    assert wire.sent - made == 5
    assert_converged(mirror_workspace, "timesheets")


def test_a_timesheet_of_another_workspace_is_refused_without_asking_webwork(
    world, mirror_workspace, globex_mirror, wire, actor, weeks, unchanged
):
    sheet, _mirrored = weeks["alice_this"]
    # A row of Globex's mirror carrying an id that Acme's WebWork would accept.
    foreign = Timesheet.objects.create(
        workspace=globex_mirror,
        webwork_id=str(sheet.id),
        date_from=sheet.date_from,
        date_to=sheet.date_to,
        status="submitted",
    )

    with unchanged(foreign, requests=0), pytest.raises(ServiceError) as refused:
        timesheet_approve(workspace=mirror_workspace, actor=actor, timesheet=foreign)

    assert refused.value.kind == "not_found"
    assert refused.value.message == "This timesheet is not part of Acme Studio."
    assert status_at_webwork(sheet) == "submitted"

    results = timesheets_approve(workspace=mirror_workspace, actor=actor, timesheets=[foreign])
    assert (results[0].ok, results[0].error) == (False, "This timesheet is not part of Acme Studio.")
    assert status_at_webwork(sheet) == "submitted"
