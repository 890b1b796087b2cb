"""Leave requests: approve, reject (with a reason), approve many.

WebWork answers with `data: null`; the request is read again afterwards (GET /leaves?id=<id>).
"""

from ..models import LeaveRequest
from ..sync.leaves import leave_request_rows
from .base import Decisions, Transition, bulk, find_item, one_row, read_object, required_text, service_client

REASON_REQUIRED = "Give a reason for the rejection; the member will see it."
MOVED_ON = "This leave request is no longer pending (it is {status})."


def leave_approve(*, workspace, actor, leave) -> LeaveRequest:
    """Approve a pending leave request."""
    return DECISIONS.decide(
        workspace=workspace, actor=actor, item=leave, action="leave_approve", verb="approve"
    )


def leave_reject(*, workspace, actor, leave, reason) -> LeaveRequest:
    """Reject a pending leave request; the reason (required) is shown to the member."""
    reason = required_text(reason, "reason", REASON_REQUIRED)
    return DECISIONS.decide(
        workspace=workspace,
        actor=actor,
        item=leave,
        action="leave_reject",
        verb="reject",
        body={"reason": reason},
        note=reason,
    )


def leaves_approve(*, workspace, actor, leaves):
    """Approve each leave request (its own request and audit event); one that WebWork refuses is
    reported in its result and the others are approved all the same."""
    with service_client(workspace, actor):  # one client for every item
        return bulk(leaves, lambda item: leave_approve(workspace=workspace, actor=actor, leave=item))


def _read(api, workspace, row):
    return find_item(read_object(api, "leaves", workspace, {"id": row.webwork_id}), row.webwork_id)


def _row(workspace, payload):
    return one_row(leave_request_rows, workspace, payload)


DECISIONS = Decisions(
    model=LeaveRequest,
    what="leave request",
    method="PUT",
    path="leaves",
    steps={
        "approve": Transition(frozenset({"pending"}), "approved", MOVED_ON),
        "reject": Transition(frozenset({"pending"}), "rejected", MOVED_ON),
    },
    fields={"reason": ("reason", "reason"), "reject_reason": ("reason", "reason")},
    kept={"reason": "reject_reason"},
    read=_read,
    status=lambda payload: str(payload.get("status") or "").lower(),
    row=_row,
)
