"""Decisions taken inside WebWork, seen by the mirror: the audit trail's WebWork side.

When a sync or a webhook handler writes a timesheet, time request or leave request the mirror
already had, and its status is not the one the mirror held (submitted -> approved, pending ->
rejected), someone decided it in WebWork. `upsert` asks `decisions_seen` for those rows while it
writes them: the old rows come from the query it makes anyway (which rows exist), and the events
are written with one bulk_create in the same transaction as the rows. A row seen for the first
time records nothing, and neither does a status the mirror already holds: a decision Clockroom
took (its service updated the mirror from WebWork's answer) or a delivery processed twice.

The audit trail's JSON of a row (`snapshot`) lives here too, so that the services and the syncs
record rows the same way.
"""

import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder

from ..models import AuditEvent, LeaveRequest, TimeRequest, Timesheet

# Fields a snapshot leaves out: our own bookkeeping and the (large) last payload.
SNAPSHOT_SKIPS = frozenset({"id", "workspace", "raw", "synced_at"})
ACTION_LENGTH = AuditEvent._meta.get_field("action").max_length


def snapshot(row, **extra):
    """The mirror row's fields as JSON (for the audit trail), without `raw`; None for no row."""
    if row is None:
        return None
    data = {
        f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.name not in SNAPSHOT_SKIPS
    }
    data.update(extra)
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


# What a new status means, as the verb of the action names it ("timesheet_approve").
VERBS = {
    "approved": "approve",
    "rejected": "reject",
    "submitted": "submit",
    "cancelled": "cancel",
    "canceled": "cancel",
}
# Back to the editable or waiting state: a submitted timesheet taken back is "unsubmit"; anything
# else going back (an approval undone in WebWork) is "reopen".
WAITING = {"open", "pending"}


@dataclass(frozen=True)
class DecisionAudit:
    """How the decisions of one model are audited."""

    kind: str  # the action's prefix: "timesheet", "time_request", "leave"
    status: str = "status"  # the field that holds the decision
    reason: str = ""  # the field that holds a rejection's reason (the event's note)

    def verb(self, old, new):
        if new in WAITING:
            return "unsubmit" if old == "submitted" else "reopen"
        return VERBS.get(new, new or "clear")

    def action(self, old, new):
        return f"{self.kind}_{self.verb(old, new)}"[:ACTION_LENGTH]


# The models whose status changes are decisions, and where their status and reason are.
AUDITED = {
    Timesheet: DecisionAudit("timesheet", reason="reject_reason"),
    TimeRequest: DecisionAudit("time_request", reason="comment"),
    LeaveRequest: DecisionAudit("leave", reason="reject_reason"),
}


def decisions_seen(model, workspace, old_rows, rows, *, now):
    """The AuditEvents (unsaved) of the decisions `rows` (dicts of field values, as `upsert` takes
    them) carry for the rows the mirror held before (`old_rows`: {webwork_id: row}): one per row
    whose status changed."""
    audit = AUDITED.get(model)
    if audit is None:
        return []
    events = []
    for values in rows:
        old = old_rows.get(values["webwork_id"])
        if old is None or audit.status not in values:
            continue
        before_status, after_status = getattr(old, audit.status), values[audit.status]
        if before_status == after_status:
            continue
        new = _updated(old, values, now)
        reason = getattr(new, audit.reason, "") if audit.reason else ""
        events.append(
            AuditEvent(
                workspace=workspace,
                actor=None,
                source=AuditEvent.Source.WEBWORK,
                action=audit.action(before_status, after_status),
                outcome=AuditEvent.Outcome.DONE,
                object_type=model._meta.model_name,
                object_id=str(old.webwork_id)[:64],
                member_id=getattr(new, "member_id", None) or getattr(old, "member_id", None),
                before=snapshot(old),
                after=snapshot(new),
                note=(reason or "") if after_status == "rejected" else "",
                created_at=now,
            )
        )
    return events


def _updated(old, values, now):
    """`old` as `upsert` leaves it: the given fields set, back from removed."""
    new = model_copy(old)
    for name, value in values.items():
        if name != "raw":
            setattr(new, name, value)
    new.synced_at, new.removed_at = now, None
    return new


def model_copy(row):
    """A detached copy of a model instance (its fields only)."""
    copy = type(row)()
    for f in row._meta.concrete_fields:
        if f.attname in row.__dict__:
            setattr(copy, f.attname, row.__dict__[f.attname])
    return copy
