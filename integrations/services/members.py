"""Members: invite, update.

WebWork answers an invitation with the new member's id and invitation link only, so the member
is read afterwards (GET /members/{id}); an update is answered with the member (or read again).
When WebWork refuses an invitation (a 400) or an email (a 422 naming it), the members are read
by email to say whether the person is already there.
"""

from ..models import Member
from ..sync.members import member_row
from .base import (
    InputErrors,
    ServiceError,
    own_row,
    read_object,
    record,
    required_text,
    service_client,
    snapshot,
    updated_object,
    workspace_call,
)

WHAT = "member"
ROLES = ("Executive manager", "Team manager", "Project manager", "Regular User", "Project viewer")
FIELDS = {
    "email": ("email", "email address"),
    "firstname": ("firstname", "first name"),
    "lastname": ("lastname", "last name"),
    "role": ("role", "role"),
    "timezone": ("timezone", "time zone"),
    "rate_status": ("rate_status", "rate visibility"),
    "weekly_hours_limit": ("weekly_hours_limit", "weekly hours limit"),
    "remove_avatar": ("remove_avatar", "avatar"),
}
UPDATABLE = frozenset(FIELDS)
MIRRORED = frozenset(UPDATABLE - {"remove_avatar"})


def member_invite(*, workspace, actor, email, firstname, lastname, role) -> Member:
    """Invite someone to the workspace with `role` (WebWork emails them the invitation)."""
    inputs = InputErrors()
    body = {
        "email": inputs.take(required_text, email, "email", "Give the email address to invite."),
        "firstname": inputs.take(required_text, firstname, "firstname", "Give the person's first name."),
        "lastname": inputs.take(required_text, lastname, "lastname", "Give the person's last name."),
        "role": inputs.take(_role, role),
    }
    inputs.raise_any()
    with service_client(workspace, actor) as api:
        result = workspace_call(
            api,
            "POST",
            "members",
            workspace,
            json=body,
            what=WHAT,
            fields=FIELDS,
            on_refused=lambda exc: _already_member(api, workspace, body["email"]),
        )
        data = result.data if isinstance(result.data, dict) else {}
        user_id = data.get("user_id") or data.get("id")
        if user_id in (None, ""):
            raise ServiceError(
                "WebWork sent the invitation but did not say to whom; the member will appear after "
                "the next sync.",
                kind="unavailable",
            )
        payload = data if data.get("id") and data.get("email") else _read(api, workspace, user_id)
    if payload is None:  # invited, but not read: the next sync brings the member
        payload = {"id": user_id, **body, "current_role": body["role"], "status": "inactive"}
    return record(
        workspace=workspace,
        actor=actor,
        action="member_invite",
        model=Member,
        object_id=user_id,
        before=None,
        row=member_row(payload),
        note=body["email"],
    )


def member_update(*, workspace, actor, member, **fields) -> Member:
    """Change what is given of a member: email, firstname, lastname, timezone, role, rate_status
    (0 hides their rates from them, 1 shows them), weekly_hours_limit, remove_avatar."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise TypeError(f"member_update() got unexpected fields: {', '.join(sorted(unknown))}")
    row = own_row(Member, workspace, member, WHAT)
    if not fields:
        return row
    inputs = InputErrors()
    for name in ("email", "firstname", "lastname"):
        if name in fields:
            words = FIELDS[name][1]
            fields[name] = inputs.take(required_text, fields[name], name, f"Give the {words}.")
    if "role" in fields:
        fields["role"] = inputs.take(_role, fields["role"])
    inputs.raise_any()
    before = snapshot(row)
    with service_client(workspace, actor) as api:
        result = workspace_call(
            api,
            "PUT",
            f"members/{row.webwork_id}",
            workspace,
            json=fields,
            what=WHAT,
            fields=FIELDS,
            on_refused=lambda exc: _email_taken(api, workspace, row, fields.get("email"), exc),
        )
        payload = updated_object(result, lambda: _read(api, workspace, row.webwork_id))
    return record(
        workspace=workspace,
        actor=actor,
        action="member_update",
        model=Member,
        object_id=row.webwork_id,
        before=before,
        row=member_row(payload) if payload is not None else None,
        # Accepted but not read again: what we know; the next sync brings the rest.
        changes={k: v for k, v in fields.items() if k in MIRRORED} if payload is None else None,
    )


def _role(value):
    role = "" if value is None else str(value).strip()
    if role not in ROLES:
        message = f"Choose a role: {', '.join(ROLES)}."
        raise ServiceError(message, field_errors={"role": [message]})
    return role


def members_by_email(api, workspace, email):
    """The workspace's members (archived ones included) with `email` as WebWork lists them now;
    [] when WebWork does not answer."""
    data = read_object(api, "members", workspace, {"email": email})
    wanted = str(email).strip().lower()
    return [
        m for m in (data if isinstance(data, list) else []) if isinstance(m, dict) and _email(m) == wanted
    ]


def _email(payload):
    return str(payload.get("email") or "").strip().lower()


def _already_member(api, workspace, email):
    """Why an invitation was refused, when WebWork has `email` as a member already; else None."""
    if any(not m.get("deleted_at") for m in members_by_email(api, workspace, email)):
        return f"{email} is already a member of {workspace.name}."
    return None


def _email_taken(api, workspace, row, email, exc):
    """Why a new email was refused, when another member of the workspace has it; else None (an
    account outside the workspace cannot be seen: WebWork's own words say it then)."""
    named = set(getattr(exc, "field_errors", None) or ())
    if not email or (named and named != {"email"}):  # a 422 about other fields too: WebWork's words
        return None
    if any(str(m.get("id")) != str(row.webwork_id) for m in members_by_email(api, workspace, email)):
        return f"{email} belongs to another WebWork account."
    return None


def _read(api, workspace, user_id):
    payload = read_object(api, f"members/{user_id}", workspace)
    return payload if isinstance(payload, dict) and str(payload.get("id")) == str(user_id) else None
