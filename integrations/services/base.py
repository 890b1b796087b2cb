"""What every write-through action shares.

An action runs in three steps, and never holds a database transaction open while it waits on
WebWork:

1. Check the inputs and that every mirror row given belongs to the workspace (a `ServiceError`
   before any request otherwise).
2. Ask WebWork (`workspace_call`), and when its answer carries no object, read the object again.
   A refusal (400, 422, 404, 403 ...), a failure or no answer becomes a `ServiceError` in words
   a manager understands; nothing local has changed (a refused decision is kept in the audit
   trail, `record_refusal`, with WebWork's answer). WebWork refuses a business rule with a 400
   (e.g. a member invited twice) and a field's value with a 422 naming the field (e.g. an email
   already taken); it documents no 409, though one is still understood should it come.
3. In one short transaction (`record`): update the mirror row from WebWork's answer and write
   the `AuditEvent` (who, what, the row before and after).
"""

import contextlib
import contextvars
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from ..models import AuditEvent, WorkspaceAccess
from ..sync.audit import snapshot
from ..sync.base import SyncContext, upsert
from ..webwork import errors

logger = logging.getLogger(__name__)

NO_ANSWER = "WebWork did not answer; nothing was changed. Try again in a minute."
# WebWork's refusals of a decision that the audit trail keeps (WebWork answered, and said no).
RECORDED_REFUSALS = frozenset({"invalid", "conflict", "not_found", "forbidden"})


class _Unset:
    """An optional input that was not given (None may mean "clear it")."""

    def __repr__(self):
        return "UNSET"

    def __bool__(self):
        return False


UNSET = _Unset()


class ServiceError(Exception):
    """An action that did not happen, and why, in words fit to show a manager.

    `field_errors` maps the action's input names (e.g. "weekly_hours_limit", "reason") to
    messages, for forms. `status` is WebWork's HTTP status when it refused, None when WebWork
    was not asked (bad input, an object of another workspace) or did not answer.
    `kind`: "invalid", "not_found", "conflict", "forbidden", "sign_in", "busy" or "unavailable";
    "conflict" when the action clashes with what WebWork already has (a member invited twice, a
    second contract), whichever status WebWork refused it with.
    """

    def __init__(self, message, *, field_errors=None, status=None, kind="invalid", retry_after=None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        self.status = status
        self.kind = kind
        self.retry_after = retry_after  # "busy": seconds WebWork asked Clockroom to wait

    def __str__(self):
        return self.message


@dataclass
class BulkResult:
    """One item of a bulk action: the mirror row given, and either the updated row or the error."""

    item: Any
    row: Any = None
    error: str = ""
    field_errors: dict = field(default_factory=dict)

    @property
    def ok(self):
        return not self.error


# --- Inputs ------------------------------------------------------------------------------


def with_article(word):
    """`word` after "a" or "an", as it is read: "a contract", "an expense"."""
    return f"{'an' if str(word)[:1].lower() in 'aeiou' else 'a'} {word}"


def own_row(model, workspace, obj, what):
    """`obj` (a mirror row of `model`) read again, if it belongs to `workspace`.

    Raises ServiceError (nothing asked of WebWork) for a row of another workspace or one that
    is not in the mirror any more; TypeError for a row of another model.
    """
    if obj is None:
        raise ServiceError(f"Choose {with_article(what)}.", kind="not_found")
    if not isinstance(obj, model):
        raise TypeError(f"Expected {with_article(model.__name__)}, got {type(obj).__name__}.")
    row = model.objects.filter(pk=obj.pk, workspace=workspace).first() if obj.pk else None
    if row is None:
        raise ServiceError(f"This {what} is not part of {workspace.name}.", kind="not_found")
    return row


def required_text(value, name, message):
    """`value` stripped; ServiceError naming the input `name` when it is blank."""
    value = "" if value is None else str(value).strip()
    if not value:
        raise ServiceError(message, field_errors={name: [message]})
    return value


class InputErrors:
    """Collects the input errors of a form's worth of inputs, to report them all at once.

    `take(check, *args)` runs one check and keeps its field errors; `raise_any()` raises one
    ServiceError with all of them. A check failing without field errors raises at once.
    """

    def __init__(self):
        self.field_errors = {}

    def take(self, check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except ServiceError as exc:
            if not exc.field_errors:
                raise
            for name, messages in exc.field_errors.items():
                self.field_errors.setdefault(name, []).extend(messages)
            return None

    def raise_any(self):
        if self.field_errors:
            message = " ".join(m for messages in self.field_errors.values() for m in messages)
            raise ServiceError(message, field_errors=self.field_errors)


def webwork_int(row):
    """A mirror row's WebWork id as the integer the API takes (members, projects, contracts)."""
    try:
        return int(row.webwork_id)
    except (TypeError, ValueError):
        return row.webwork_id


# --- The client --------------------------------------------------------------------------


# The client of the action under way, so that the items of a bulk action share one client.
_ACTIVE_CLIENT = contextvars.ContextVar("webwork_service_client", default=None)


@contextlib.contextmanager
def service_client(workspace, actor):
    """A client acting as `actor` when they manage `workspace` with a working sign-in (so WebWork
    records who decided), else as the workspace's sync connection; closed afterwards. Within
    another action's (a bulk action's items) it is that action's client."""
    key = (workspace.pk, getattr(actor, "pk", None))
    active = _ACTIVE_CLIENT.get()
    if active is not None and active[0] == key:
        yield active[1]
        return
    try:
        made = _default_client(workspace, actor)
    except errors.WebWorkError as exc:
        raise refusal(exc, what="object") from exc
    token = _ACTIVE_CLIENT.set((key, made))
    try:
        with made:
            yield made
    finally:
        _ACTIVE_CLIENT.reset(token)


def _default_client(workspace, actor):
    from .. import connections

    if actor is not None and getattr(actor, "pk", None):
        access = (
            WorkspaceAccess.objects.select_related("connection")
            .filter(user=actor, workspace=workspace, can_manage=True)
            .first()
        )
        if access is not None and not access.connection.needs_sign_in:
            return connections.connection_client(access.connection)
    return connections.workspace_client(workspace)


def context(workspace, client):
    """A SyncContext, to reuse the sync modules' single-object reads."""
    return SyncContext(workspace=workspace, client=client)


# --- Asking WebWork ------------------------------------------------------------------------


def workspace_call(client, method, path, workspace, *, json=None, what, **refusal_kwargs):
    """A write naming `workspace` (query and body). WebWork's refusal becomes a ServiceError
    (see `refusal` for `what` and the other keywords)."""
    try:
        return client.workspace_request(method, path, workspace.webwork_id, json=json)
    except errors.WebWorkError as exc:
        raise refusal(exc, what=what, **refusal_kwargs) from exc


def read_object(client, path, workspace, params=None):
    """One object (GET path), or None when WebWork does not have it or did not answer: a re-read
    after a write that already succeeded must not turn that success into an error."""
    try:
        result = client.get(path, params={"workspace_id": workspace.webwork_id, **(params or {})})
    except errors.WebWorkError as exc:
        logger.warning("Could not read %s again after a write: %s", path, exc)
        return None
    return result.data


def one_row(rows_of, workspace, payload):
    """The mirror row of one answered `payload` as the sync builds it (`rows_of(workspace, payloads)`,
    the resource's `<resource>_rows`), or None when the answer holds no object."""
    if not isinstance(payload, dict) or payload.get("id") in (None, ""):
        return None
    rows = rows_of(workspace, [payload])
    return rows[0] if rows else None


def find_item(data, webwork_id):
    """The item with `webwork_id` in a list answer (or a single-object answer)."""
    items = data if isinstance(data, list) else [data]
    return next((i for i in items if isinstance(i, dict) and str(i.get("id")) == str(webwork_id)), None)


def created_object(result, message):
    """The object WebWork answered a create with; ServiceError(`message`) when the answer does not
    say which object it made (it exists at WebWork, so the next sync brings it)."""
    payload = result.data if isinstance(result.data, dict) else None
    if payload is None or payload.get("id") in (None, ""):
        raise ServiceError(message, kind="unavailable")
    return payload


def updated_object(result, read_again):
    """The object WebWork answered an update with, else `read_again()` (None when that fails too)."""
    if isinstance(result.data, dict) and result.data.get("id"):
        return result.data
    return read_again()


def refusal(exc, *, what, fields=None, on_invalid=None, on_refused=None, on_not_found=None):
    """A ServiceError for WebWork's refusal `exc`, in a manager's words.

    what: the object, e.g. "timesheet".
    fields: {WebWork field: (input name, plain words)} to name offending fields.
    on_invalid: a function giving the message of a 422 without field errors (e.g. from the
        object's current state), or None to use WebWork's own message.
    on_refused: a function (exc) giving the message of a refusal because of what WebWork already
        has (the member is already in the workspace, the email is another account's), found by
        reading WebWork again; or None when that is not why. Asked for a 400 (a business rule),
        a 422 (a field's value) and a 409 (undocumented, should one come); the refusal is then
        of kind "conflict", and a 422's fields are named with that message.
    on_not_found: the message of a 404.
    """
    status = getattr(exc, "status", None)
    reason = (exc.message or "").strip().rstrip(".")
    refused = errors.BadRequestError | errors.ValidationError | errors.ConflictError
    if on_refused is not None and isinstance(exc, refused):
        message = on_refused(exc)
        if message:
            named = {}
            if isinstance(exc, errors.ValidationError) and exc.field_errors:
                named = {
                    name: [message]
                    for name in _field_refusal(exc.field_errors, fields or {}, status).field_errors
                }
            return ServiceError(message, field_errors=named, status=status, kind="conflict")
    if isinstance(exc, errors.ValidationError):
        if exc.field_errors:
            return _field_refusal(exc.field_errors, fields or {}, status)
        message = on_invalid() if on_invalid is not None else None
        return ServiceError(message or f"WebWork did not accept this: {reason}.", status=status)
    if isinstance(exc, errors.ConflictError):
        return ServiceError(f"WebWork refused this: {reason}.", status=status, kind="conflict")
    if isinstance(exc, errors.NotFoundError):
        return ServiceError(
            on_not_found or f"WebWork no longer has this {what}; it may have been deleted there.",
            status=status,
            kind="not_found",
        )
    if isinstance(exc, errors.ForbiddenError):
        return ServiceError(
            f"WebWork did not allow this: {reason}. Nothing was changed.", status=status, kind="forbidden"
        )
    if isinstance(exc, errors.AuthError):
        if exc.payload:  # WebWork's own 401: the token Clockroom holds no longer works
            message = (
                "WebWork no longer accepts the sign-in Clockroom uses for this workspace; "
                "sign in with WebWork again. Nothing was changed."
            )
        else:  # our own words (a connection that needs sign-in again)
            message = exc.message
        return ServiceError(message, status=status, kind="sign_in")
    if isinstance(exc, errors.RateLimitedError):
        seconds = max(1, round(exc.retry_after or 60))
        return ServiceError(
            f"WebWork is limiting how often Clockroom may ask; nothing was changed. "
            f"Try again in {seconds} seconds.",
            status=status,
            kind="busy",
            retry_after=seconds,
        )
    if isinstance(exc, errors.ServerError | errors.TransportError):
        return ServiceError(NO_ANSWER, status=status, kind="unavailable")
    if isinstance(exc, errors.BadRequestError):
        return ServiceError(f"WebWork refused this: {reason}.", status=status)
    return ServiceError(NO_ANSWER, status=status, kind="unavailable")


def _field_refusal(field_errors, fields, status):
    named = {}
    plain = []
    for api_name, messages in field_errors.items():
        messages = messages if isinstance(messages, list) else [messages]
        messages = [str(m) for m in messages if m]
        input_name, words = fields.get(api_name, (api_name, api_name.replace("_", " ")))
        named.setdefault(input_name, []).extend(messages)
        if api_name == "__all__":
            plain.append(" ".join(messages))
        else:
            plain.append(f"the {words} ({' '.join(messages).rstrip('.')})")
    return ServiceError(
        f"WebWork did not accept {_and(plain)}. Nothing was changed.", field_errors=named, status=status
    )


def _and(parts):
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def state_message(status_now, waiting_for, sentence):
    """For a state refusal: `sentence` formatted with the object's current status, or None when it
    is still in `waiting_for` (then the refusal was about something else)."""
    if not status_now or status_now in waiting_for:
        return None
    return sentence.format(status=status_now)


# --- The local part ------------------------------------------------------------------------


@transaction.atomic
def record(
    *,
    workspace,
    actor,
    action,
    model,
    object_id,
    before,
    row=None,
    changes=None,
    remove=False,
    note="",
    related=None,
):
    """Update the mirror and write the audit event, in one transaction. Returns the row.

    row: the row's fields from WebWork's answer (upserted); or
    changes: fields to set on the existing row, when WebWork accepted the action but could not
        be read again (the next sync brings the rest); or
    remove: mark the row removed (WebWork deleted it).
    related: a function (row) -> dict, run in the same transaction once the row is written: it
        updates the row's related rows (a viewer's projects) and gives their snapshot keys.
    """
    now = timezone.now()
    mirrored = model.objects.filter(workspace=workspace, webwork_id=str(object_id))
    if row is not None:
        upsert(model, workspace, [row], now=now, audit=False)  # this event is the decision's record
    elif changes:
        mirrored.update(**changes, synced_at=now)
    if remove:
        mirrored.update(removed_at=now, synced_at=now)
    current = mirrored.first()
    extra = related(current) if related is not None and current is not None else {}
    AuditEvent.objects.create(
        workspace=workspace,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=model._meta.model_name,
        object_id=str(object_id)[:64],
        member_id=member_of(current, before),
        before=before,
        after=snapshot(current, **extra),
        note=note or "",
        created_at=now,
    )
    return current


def member_of(row, before=None):
    """The workspace member a mirror row belongs to (its `member_id`), from the row or, when it has
    none, its snapshot `before`; None for models without members."""
    member_id = getattr(row, "member_id", None)
    if member_id is None and isinstance(before, dict):
        member_id = before.get("member_id")
    return member_id


@transaction.atomic
def record_refusal(*, workspace, actor, action, model, row, before, refused, note=""):
    """Write the audit event of an action WebWork refused (`refused`, the ServiceError); the mirror
    is left as it was. Only WebWork's own refusals are kept (see RECORDED_REFUSALS), not input
    refused before any request nor WebWork not answering. Returns the event, or None."""
    if refused.status is None or refused.kind not in RECORDED_REFUSALS:
        return None
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        outcome=AuditEvent.Outcome.REFUSED,
        object_type=model._meta.model_name,
        object_id=str(row.webwork_id)[:64],
        member_id=member_of(row, before),
        before=before,
        after=before,
        note=note or "",
        answer=refused.message,
    )


def bulk(items, act):
    """Run `act(item)` for each item; a ServiceError stops that item only."""
    results = []
    for item in items:
        try:
            results.append(BulkResult(item=item, row=act(item)))
        except ServiceError as exc:
            results.append(BulkResult(item=item, error=exc.message, field_errors=exc.field_errors))
    return results


def object_delete(*, workspace, actor, model, obj, what, path, action):
    """Delete `obj` (a mirror row of `model`) at WebWork (DELETE <path>/<id>); the mirror keeps the
    row, marked removed."""
    row = own_row(model, workspace, obj, what)
    before = snapshot(row)
    with service_client(workspace, actor) as api:
        workspace_call(api, "DELETE", f"{path}/{row.webwork_id}", workspace, what=what)
    return record(
        workspace=workspace,
        actor=actor,
        action=action,
        model=model,
        object_id=row.webwork_id,
        before=before,
        remove=True,
    )


# --- Decisions: approve, reject, submit ... --------------------------------------------------


class Transition(NamedTuple):
    """One decision: the statuses it needs the object in, the status it leaves it in, and how a
    refusal reads when the object has moved on (formatted with its current `{status}`)."""

    waiting_for: frozenset
    outcome: str
    moved_on: str


@dataclass(frozen=True)
class Decisions:
    """How objects of one kind are decided at WebWork (`<method> <path>/<id>/<verb>`).

    WebWork answers a decision with `data: null`, so the object is read again afterwards.
    steps: {verb: Transition}.
    fields: {WebWork field: (input name, plain words)} for refusals naming a field.
    kept: {body key: mirror field} to set from the body when the object cannot be read again.
    read(api, workspace, row): the object as WebWork has it now, or None; never raises.
    status(payload): the status of an object read.
    row(workspace, payload): the mirror row's fields from a read, or None.
    """

    model: type
    what: str
    method: str
    path: str
    steps: dict[str, Transition]
    fields: dict
    kept: dict[str, str]
    read: Callable
    status: Callable
    row: Callable

    def decide(self, *, workspace, actor, item, action, verb, body=None, note=""):
        """Take the decision `verb` on `item` (a mirror row), recorded as `action`."""
        row = own_row(self.model, workspace, item, self.what)
        before = snapshot(row)
        with service_client(workspace, actor) as api:
            self.attempt(api, workspace, actor, action, row, before, verb, body=body, note=note)
            payload = self.read(api, workspace, row)
        return self.store(workspace, actor, action, row, before, payload, verb, body=body, note=note)

    def attempt(self, api, workspace, actor, action, row, before, verb, *, body=None, note=""):
        """`send`, and when WebWork refuses, the refusal recorded in the audit trail (the mirror
        row unchanged) before the same ServiceError is raised again."""
        try:
            self.send(api, workspace, row, verb, body)
        except ServiceError as refused:
            record_refusal(
                workspace=workspace,
                actor=actor,
                action=action,
                model=self.model,
                row=row,
                before=before,
                refused=refused,
                note=note,
            )
            raise

    def send(self, api, workspace, row, verb, body=None):
        """Ask WebWork; a refusal because the object has moved on says what it is now."""
        step = self.steps[verb]

        def moved_on():
            payload = self.read(api, workspace, row)
            status = self.status(payload) if isinstance(payload, dict) else ""
            return state_message(status, step.waiting_for, step.moved_on)

        workspace_call(
            api,
            self.method,
            f"{self.path}/{row.webwork_id}/{verb}",
            workspace,
            json=body,
            what=self.what,
            fields=self.fields,
            on_invalid=moved_on,
        )

    def store(self, workspace, actor, action, row, before, payload, verb, *, body=None, note=""):
        """Update the mirror row from `payload` (the object read again) and audit the decision."""
        fields = self.row(workspace, payload)
        changes = None
        if fields is None:  # accepted, but not read again: what we know, the next sync brings the rest
            changes = {"status": self.steps[verb].outcome}
            changes.update({field: body[key] for key, field in self.kept.items() if body and key in body})
        return record(
            workspace=workspace,
            actor=actor,
            action=action,
            model=self.model,
            object_id=row.webwork_id,
            before=before,
            row=fields,
            changes=changes,
            note=note,
        )
