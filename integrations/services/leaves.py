"""Leave requests: approve, reject (with a reason), approve many.

WebWork answers with `data: null`; the request is read again afterwards (GET /leaves?id=<id>).
"""

from ..models import LeavePolicy, LeaveRequest, Member
from ..sync.base import local_ids
from ..sync.leaves import leave_request_row
from .base import (
    bulk,
    find_item,
    own_row,
    read_object,
    record,
    required_text,
    service_client,
    snapshot,
    state_message,
    workspace_call,
)

WHAT = "leave request"
REASON_REQUIRED = "Give a reason for the rejection; the member will see it."
MOVED_ON = "This leave request is no longer pending (it is {status})."


def leave_approve(*, workspace, actor, leave, client=None) -> LeaveRequest:
    """Approve a pending leave request."""
    return _decide(
        workspace=workspace,
        actor=actor,
        leave=leave,
        client=client,
        action="leave_approve",
        verb="approve",
        outcome="approved",
    )


def leave_reject(*, workspace, actor, leave, reason, client=None) -> LeaveRequest:
    """Reject a pending leave request; the reason (required) is shown to the member."""
    reason = required_text(reason, "reason", REASON_REQUIRED)
    return _decide(
        workspace=workspace,
        actor=actor,
        leave=leave,
        client=client,
        action="leave_reject",
        verb="reject",
        outcome="rejected",
        body={"reason": reason},
        note=reason,
    )


def leaves_approve(*, workspace, actor, leaves, client=None):
    """Approve each leave request (its own request and audit event); one that WebWork refuses is
    reported in its result and the others are approved all the same."""
    with service_client(workspace, actor, client) as api:
        return bulk(
            leaves, lambda item: leave_approve(workspace=workspace, actor=actor, leave=item, client=api)
        )


def _decide(*, workspace, actor, leave, client, action, verb, outcome, body=None, note=""):
    row = own_row(LeaveRequest, workspace, leave, WHAT)
    before = snapshot(row)
    with service_client(workspace, actor, client) as api:

        def moved_on():
            payload = _read(api, workspace, row)
            status = str(payload.get("status") or "").lower() if payload else ""
            return state_message(status, {"pending"}, MOVED_ON)

        workspace_call(
            api,
            "PUT",
            f"leaves/{row.webwork_id}/{verb}",
            workspace,
            json=body,
            what=WHAT,
            fields={"reason": ("reason", "reason"), "reject_reason": ("reason", "reason")},
            on_invalid=moved_on,
        )
        payload = _read(api, workspace, row)
    fields = _row(workspace, payload)
    changes = None
    if fields is None:
        changes = {"status": outcome, **({"reject_reason": body["reason"]} if body else {})}
    return record(
        workspace=workspace,
        actor=actor,
        action=action,
        model=LeaveRequest,
        object_id=row.webwork_id,
        before=before,
        row=fields,
        changes=changes,
        note=note,
    )


def _read(api, workspace, row):
    return find_item(read_object(api, "leaves", workspace, {"id": row.webwork_id}), row.webwork_id)


def _row(workspace, payload):
    if not isinstance(payload, dict):
        return None
    return leave_request_row(
        payload,
        members=local_ids(Member, workspace, [payload.get("user_id")]),
        policies=local_ids(LeavePolicy, workspace, [payload.get("policy_id")]),
    )
