"""Timesheets: approve, reject (with a reason), submit, unsubmit; approve many at once.

WebWork answers these actions with `data: null`, so the timesheet is read again afterwards
(GET /timesheets?id=<id>). Approving many timesheets of the same week re-reads them together,
from the week's listing of approved timesheets, when that costs fewer requests than one read each.
"""

from collections import defaultdict

from ..models import Timesheet
from ..sync.timesheets import timesheet_fetch_one, timesheet_rows, timesheet_status
from ..webwork import errors
from .base import (
    BulkResult,
    Decisions,
    ServiceError,
    Transition,
    context,
    one_row,
    own_row,
    required_text,
    service_client,
    snapshot,
)

REASON_REQUIRED = "Give a reason for the rejection; the member will see it."
MOVED_ON = "This timesheet is no longer waiting for approval (it is {status})."


def timesheet_approve(*, workspace, actor, timesheet) -> Timesheet:
    """Approve a submitted timesheet."""
    return DECISIONS.decide(
        workspace=workspace,
        actor=actor,
        item=timesheet,
        action="timesheet_approve",
        verb="approve",
    )


def timesheet_reject(*, workspace, actor, timesheet, reason) -> Timesheet:
    """Reject a submitted timesheet; the reason (required) is shown to the member."""
    reason = required_text(reason, "reason", REASON_REQUIRED)
    return DECISIONS.decide(
        workspace=workspace,
        actor=actor,
        item=timesheet,
        action="timesheet_reject",
        verb="reject",
        body={"reason": reason},
        note=reason,
    )


def timesheet_submit(*, workspace, actor, timesheet) -> Timesheet:
    """Submit an open (or rejected) timesheet for approval."""
    return DECISIONS.decide(
        workspace=workspace,
        actor=actor,
        item=timesheet,
        action="timesheet_submit",
        verb="submit",
    )


def timesheet_unsubmit(*, workspace, actor, timesheet) -> Timesheet:
    """Take a submitted timesheet back to open, so its member can change it."""
    return DECISIONS.decide(
        workspace=workspace,
        actor=actor,
        item=timesheet,
        action="timesheet_unsubmit",
        verb="unsubmit",
    )


def timesheets_approve(*, workspace, actor, timesheets) -> list[BulkResult]:
    """Approve each timesheet (its own request and audit event); one that WebWork refuses is
    reported in its result and the others are approved all the same."""
    results = []
    approved = []
    with service_client(workspace, actor) as api:
        for item in timesheets:
            result = BulkResult(item=item)
            results.append(result)
            try:
                row = own_row(Timesheet, workspace, item, DECISIONS.what)
                before = snapshot(row)
                DECISIONS.attempt(api, workspace, actor, "timesheet_approve", row, before, "approve")
            except ServiceError as exc:
                result.error, result.field_errors = exc.message, exc.field_errors
                continue
            approved.append((result, row, before))
        payloads = _read_many(context(workspace, api), [row for _, row, _ in approved])
        for result, row, before in approved:
            result.row = DECISIONS.store(
                workspace, actor, "timesheet_approve", row, before, payloads.get(row.webwork_id), "approve"
            )
    return results


# --- Reading timesheets again ----------------------------------------------------------------


def _fetch(ctx, webwork_id):
    try:
        return timesheet_fetch_one(ctx, webwork_id)
    except errors.WebWorkError:
        return None


def _row(workspace, payload):
    return one_row(timesheet_rows, workspace, payload)


def _read_many(ctx, rows):
    """{webwork_id: payload} for the approved `rows`: a week's approved timesheets from one
    listing when that is cheaper than reading each, the rest one by one."""
    found = {}
    weeks = defaultdict(list)
    for row in rows:
        weeks[(row.date_from, row.date_to)].append(row.webwork_id)
    for (date_from, date_to), wanted in weeks.items():
        if len(wanted) > 1:
            found.update(_read_listing(ctx, date_from, date_to, set(wanted)))
        for webwork_id in wanted:
            if webwork_id not in found:
                payload = _fetch(ctx, webwork_id)
                if payload is not None:
                    found[webwork_id] = payload
    return found


def _read_listing(ctx, date_from, date_to, wanted):
    found = {}
    params = {
        "workspace_id": ctx.workspace_id,
        "status": "approved",
        "date_from": str(date_from),
        "date_to": str(date_to),
    }
    try:
        for page in ctx.client.iter_pages("timesheets", params):
            for item in page.data if isinstance(page.data, list) else []:
                if isinstance(item, dict) and str(item.get("id")) in wanted:
                    found[str(item["id"])] = item
            missing = len(wanted) - len(found)
            # Stop when reading the rest one by one costs no more than the pages left.
            if not missing or page.last_page - page.current_page >= missing:
                break
    except errors.WebWorkError:
        pass
    return found


DECISIONS = Decisions(
    model=Timesheet,
    what="timesheet",
    method="PUT",
    path="timesheets",
    # What each decision needs the timesheet to be, what it makes it, and how a refusal reads when
    # the timesheet has moved on.
    steps={
        "approve": Transition(frozenset({"submitted"}), "approved", MOVED_ON),
        "reject": Transition(frozenset({"submitted"}), "rejected", MOVED_ON),
        "submit": Transition(
            frozenset({"open", "rejected"}),
            "submitted",
            "This timesheet cannot be submitted (it is {status}).",
        ),
        "unsubmit": Transition(
            frozenset({"submitted"}),
            "open",
            "This timesheet is not submitted (it is {status}), so it cannot be taken back.",
        ),
    },
    fields={"reason": ("reason", "reason")},
    kept={"reason": "reject_reason"},
    read=lambda api, workspace, row: _fetch(context(workspace, api), row.webwork_id),
    status=lambda payload: timesheet_status(payload.get("status")),
    row=_row,
)
