"""Contracts (a member on a project): create, update, pause, resume, delete.

WebWork answers a create or an update with the contract (an update answered without one is read
again: GET /contracts/{id}); a delete with nothing, and the mirror row is then marked removed.
A create WebWork refuses (a 400, its business rule) is explained by reading the member's contracts
on the project: one already there is why.
"""

from ..models import Contract, Member, Project
from ..sync.contracts import contract_rows
from .base import (
    UNSET,
    InputErrors,
    ServiceError,
    created_object,
    object_delete,
    one_row,
    own_row,
    read_object,
    record,
    service_client,
    snapshot,
    updated_object,
    webwork_int,
    workspace_call,
)

WHAT = "contract"
FIELDS = {
    "project_id": ("project", "project"),
    "user_id": ("member", "member"),
    "weekly_hours_limit": ("weekly_hours_limit", "weekly hours limit"),
    "rate": ("rate", "rate"),
    "screenshots": ("screenshots", "screenshots setting"),
    "status": ("status", "status"),
}
MAX_WEEKLY_HOURS = 168


def contract_create(
    *,
    workspace,
    actor,
    project,
    member,
    weekly_hours_limit=None,
    rate=None,
    screenshots=None,
) -> Contract:
    """Put `member` on `project`. WebWork keeps the rate only when Clockroom's account may see
    rates and the project is billable; a limit left out is WebWork's default (168 hours)."""
    project = own_row(Project, workspace, project, "project")
    member = own_row(Member, workspace, member, "member")
    terms = _terms(weekly_hours_limit=weekly_hours_limit, rate=rate, screenshots=screenshots)
    body = {"project_id": webwork_int(project), "user_id": webwork_int(member), **terms}
    name = member.full_name or member.email or "This member"
    with service_client(workspace, actor) as api:
        result = workspace_call(
            api,
            "POST",
            "contracts",
            workspace,
            json=body,
            what=WHAT,
            fields=FIELDS,
            on_refused=lambda exc: (
                f"{name} already has a contract on {project.name}."
                if _has_contract(api, workspace, body)
                else None
            ),
        )
    payload = created_object(
        result, "WebWork made the contract but did not say how; it will appear after the next sync."
    )
    return record(
        workspace=workspace,
        actor=actor,
        action="contract_create",
        model=Contract,
        object_id=payload["id"],
        before=None,
        row=_row(workspace, payload),
    )


def contract_update(
    *,
    workspace,
    actor,
    contract,
    weekly_hours_limit=UNSET,
    rate=UNSET,
    screenshots=UNSET,
) -> Contract:
    """Change what is given of a contract's terms."""
    body = _terms(weekly_hours_limit=weekly_hours_limit, rate=rate, screenshots=screenshots)
    return _update(workspace, actor, contract, body, "contract_update")


def contract_pause(*, workspace, actor, contract) -> Contract:
    """Pause a contract: its member cannot track time on the project until it is resumed."""
    return _update(workspace, actor, contract, {"status": "paused"}, "contract_pause")


def contract_resume(*, workspace, actor, contract) -> Contract:
    """Let the member of a paused contract track time on the project again."""
    return _update(workspace, actor, contract, {"status": "active"}, "contract_resume")


def contract_delete(*, workspace, actor, contract) -> Contract:
    """Take the member off the project at WebWork; the mirror keeps the contract, marked removed."""
    return object_delete(
        workspace=workspace,
        actor=actor,
        model=Contract,
        obj=contract,
        what=WHAT,
        path="contracts",
        action="contract_delete",
    )


def _update(workspace, actor, contract, body, action):
    row = own_row(Contract, workspace, contract, WHAT)
    if not body:
        return row
    before = snapshot(row)
    with service_client(workspace, actor) as api:
        result = workspace_call(
            api, "PUT", f"contracts/{row.webwork_id}", workspace, json=body, what=WHAT, fields=FIELDS
        )
        payload = updated_object(result, lambda: read_object(api, f"contracts/{row.webwork_id}", workspace))
    fields = _row(workspace, payload) if isinstance(payload, dict) and payload.get("id") else None
    return record(
        workspace=workspace,
        actor=actor,
        action=action,
        model=Contract,
        object_id=row.webwork_id,
        before=before,
        row=fields,
        changes={"status": body["status"]} if fields is None and "status" in body else None,
    )


def _has_contract(api, workspace, body):
    """Whether WebWork lists a contract of the member on the project now."""
    ids = {"project_id": body["project_id"], "user_id": body["user_id"]}
    data = read_object(api, "contracts", workspace, ids)
    return any(
        isinstance(c, dict) and all(str(c.get(key)) == str(value) for key, value in ids.items())
        for c in (data if isinstance(data, list) else [])
    )


def _terms(*, weekly_hours_limit=UNSET, rate=UNSET, screenshots=UNSET):
    """The given terms as WebWork takes them; None and UNSET are left out."""
    inputs = InputErrors()
    body = {}
    if weekly_hours_limit not in (None, UNSET):
        body["weekly_hours_limit"] = inputs.take(_hours, weekly_hours_limit)
    if rate not in (None, UNSET):
        body["rate"] = inputs.take(_rate, rate)
    if screenshots not in (None, UNSET):
        body["screenshots"] = str(screenshots).strip()
    inputs.raise_any()
    return body


def _hours(value):
    try:
        hours = int(value)
    except (TypeError, ValueError):
        hours = -1
    if not 0 <= hours <= MAX_WEEKLY_HOURS or isinstance(value, bool):
        message = f"Give the weekly hours limit as whole hours from 0 to {MAX_WEEKLY_HOURS}."
        raise ServiceError(message, field_errors={"weekly_hours_limit": [message]})
    return hours


def _rate(value):
    try:
        amount = float(value)
    except (TypeError, ValueError):
        amount = -1.0
    if not amount >= 0 or amount == float("inf"):
        message = "Give the rate as a number of 0 or more."
        raise ServiceError(message, field_errors={"rate": [message]})
    return amount


def _row(workspace, payload):
    return one_row(contract_rows, workspace, payload)
