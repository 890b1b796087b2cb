"""Time requests (manual time a member asks for): approve, reject (with a comment), approve many.

WebWork answers with `data: null`; the request is read again afterwards
(GET /time-requests/{id}, or the listing filtered by id around its start).
"""

from ..models import TimeRequest
from ..sync.time_requests import time_request_fetch_one, time_request_rows
from ..webwork import errors
from ..webwork.payloads import zone
from .base import Decisions, Transition, bulk, context, one_row, required_text, service_client

COMMENT_REQUIRED = "Give a reason for the rejection; the member will see it."
MOVED_ON = "This time request is no longer pending (it is {status})."


def time_request_approve(*, workspace, actor, time_request) -> TimeRequest:
    """Approve a pending time request (WebWork then adds its time as manually added time)."""
    return DECISIONS.decide(
        workspace=workspace,
        actor=actor,
        item=time_request,
        action="time_request_approve",
        verb="approve",
    )


def time_request_reject(*, workspace, actor, time_request, comment) -> TimeRequest:
    """Reject a pending time request; the comment (required) is shown to the member."""
    comment = required_text(comment, "comment", COMMENT_REQUIRED)
    return DECISIONS.decide(
        workspace=workspace,
        actor=actor,
        item=time_request,
        action="time_request_reject",
        verb="reject",
        body={"comment": comment},
        note=comment,
    )


def time_requests_approve(*, workspace, actor, time_requests):
    """Approve each time request (its own request and audit event); one that WebWork refuses is
    reported in its result and the others are approved all the same."""
    with service_client(workspace, actor):  # one client for every item
        return bulk(
            time_requests,
            lambda item: time_request_approve(workspace=workspace, actor=actor, time_request=item),
        )


def _read(api, workspace, row):
    around = row.start.astimezone(zone(workspace.timezone)).date() if row.start else None
    try:
        return time_request_fetch_one(context(workspace, api), row.webwork_id, around)
    except errors.WebWorkError:
        return None


def _row(workspace, payload):
    return one_row(time_request_rows, workspace, payload)


DECISIONS = Decisions(
    model=TimeRequest,
    what="time request",
    method="POST",
    path="time-requests",
    steps={
        "approve": Transition(frozenset({"pending"}), "approved", MOVED_ON),
        "reject": Transition(frozenset({"pending"}), "rejected", MOVED_ON),
    },
    fields={"comment": ("comment", "comment")},
    kept={"comment": "comment"},
    read=_read,
    status=lambda payload: str(payload.get("status") or "").strip().lower(),
    row=_row,
)
