"""WebWork connections: who we talk to WebWork as, with which tokens, and which workspaces they open.

* `connection_from_oauth` / `connection_from_personal_token` turn a sign-in (or a personal
  access token) into a Django user, a `Connection` (tokens encrypted at rest) and the user's
  `WorkspaceAccess` rows.
* `connection_refresh` renews an OAuth2 token under a row lock, so two workers never spend the
  same refresh token; a refused refresh marks the connection as needing sign-in again.
* `connection_client` / `workspace_client` give a `WebWorkClient` that refreshes ahead of expiry,
  refreshes once on a 401, and shares its user's rate limit with every other process.
* `workspace_access_refresh` asks WebWork which workspaces the user belongs to and with what role.

HTTP and database writes never overlap: WebWork is asked first, then rows are written in one
short transaction (except the refresh, whose lock must span the token request).
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .models import Connection, Member, Workspace, WorkspaceAccess
from .ratelimit import rate_limiter_for
from .webwork import errors, oauth
from .webwork.client import WebWorkClient
from .webwork.payloads import integer, text

logger = logging.getLogger(__name__)

# Refresh an OAuth2 token when it has less than this left, so no request goes out with a token
# that expires on the way.
REFRESH_AHEAD_SECONDS = 5 * 60
USERNAME_PREFIX = "webwork-"
PLACEHOLDER_EMAIL_DOMAIN = "users.webwork.invalid"
NEEDS_SIGN_IN = "This WebWork connection needs sign-in again."
NEEDS_OAUTH_SIGN_IN = "WebWork no longer accepts this sign-in ({reason}). Sign in with WebWork again."
PERSONAL_ACCESS_REFUSED = (
    "WebWork refused the personal access token ({reason}). Make a new one in WebWork and run "
    "`manage.py webwork_connect --token ...` again."
)


class NoWorkspaceError(errors.WebWorkError):
    """The WebWork account belongs to no workspace, so it has nothing Clockroom can show."""


class ConnectionUnavailableError(errors.AuthError):
    """No connection can reach WebWork for this workspace until a manager signs in again."""


@dataclass
class Identity:
    """Who a token belongs to, from WebWork's answers."""

    webwork_user_id: int
    email: str = ""
    firstname: str = ""
    lastname: str = ""
    memberships: list = field(default_factory=list)


# --- Creating connections --------------------------------------------------------------------


def connection_from_oauth(*, token: oauth.TokenSet) -> Connection:
    """The connection of whoever signed in: their Django user ("webwork-<id>", or the user who
    already holds this WebWork account's connection), tokens, and workspace accesses."""
    return _connection_create(
        access_token=token.access_token,
        kind=Connection.Kind.OAUTH,
        refresh_token=token.refresh_token or "",
        expires_in=token.expires_in,
        scope=token.scope,
    )


def connection_from_personal_token(*, token, user=None) -> Connection:
    """A connection from a personal access token (no refresh token; WebWork keeps it 6 months).

    `user`: the Django user to hold it; by default "webwork-<id>". Raises errors.AuthError when
    WebWork refuses the token.
    """
    token = (token or "").strip()
    if not token:
        raise errors.AuthError("The personal access token is empty.")
    return _connection_create(
        access_token=token,
        kind=Connection.Kind.PERSONAL,
        refresh_token="",
        expires_in=None,
        scope="",
        user=user,
    )


def _connection_create(*, access_token, **stored):
    """Ask WebWork whose token it is, then store the connection (`stored`: the rest of
    `_connection_store`'s arguments) and the accesses its /workspaces answer gives."""
    identity = _identity_fetch(access_token)
    connection = _connection_store(identity=identity, access_token=access_token, **stored)
    workspace_access_refresh(connection, memberships=identity.memberships)
    return connection


def _identity_fetch(access_token) -> Identity:
    """Whose token this is: GET /workspaces names the user in each membership; their email comes
    from GET /members/{id} in a workspace they manage (members of other roles may not ask)."""
    # The first request goes out before we know whose budget it spends; the rest use that budget.
    with WebWorkClient(get_token=lambda: access_token) as client:
        memberships = _memberships(client)
        user_ids = [integer(m.get("user_id")) for m in memberships]
        user_ids = [user_id for user_id in user_ids if user_id]
        if not user_ids:
            raise NoWorkspaceError(
                "Your WebWork account is not a member of any active workspace, so Clockroom has nothing "
                "to show. Ask a workspace owner to invite you, then sign in again."
            )
        identity = Identity(webwork_user_id=user_ids[0], memberships=memberships)
        client.limiter = rate_limiter_for(identity.webwork_user_id)
        managed = next((m for m in memberships if _can_manage(m)), None)
        if managed is not None:
            try:
                member = client.get(
                    f"members/{identity.webwork_user_id}", {"workspace_id": integer(managed.get("id"))}
                ).data
            except errors.WebWorkError as exc:
                logger.warning("Could not read WebWork user %s: %s", identity.webwork_user_id, exc)
                member = None
            if isinstance(member, dict):
                identity.email = text(member.get("email"))[:254]
                identity.firstname = text(member.get("firstname"))[:150]
                identity.lastname = text(member.get("lastname"))[:150]
    return identity


def _memberships(client):
    """The items of GET /workspaces: one membership of the token's user per workspace."""
    return [m for m in client.iter_items("workspaces") if isinstance(m, dict)]


@transaction.atomic
def _connection_store(*, identity, kind, access_token, refresh_token, expires_in, scope, user=None):
    existing = Connection.objects.select_for_update().filter(webwork_user_id=identity.webwork_user_id).first()
    if user is None:
        user = existing.user if existing is not None else _webwork_user(identity)
    _user_details_update(user, identity)
    connection = existing or Connection(webwork_user_id=identity.webwork_user_id)
    connection.user = user
    connection.email = identity.email or connection.email
    connection.kind = kind
    connection.status = Connection.Status.ACTIVE
    connection.access_token = access_token
    connection.refresh_token = refresh_token
    connection.expires_at = _expires_at(expires_in)
    connection.scope = (scope or "")[:100]
    connection.last_error = ""
    connection.refreshed_at = timezone.now()
    connection.save()
    return connection


def _expires_at(expires_in):
    return timezone.now() + timedelta(seconds=expires_in) if expires_in else None


def _webwork_user(identity):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=f"{USERNAME_PREFIX}{identity.webwork_user_id}")
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _user_details_update(user, identity):
    """Keep the Django user's name and email as WebWork has them (a placeholder email until known)."""
    email = (
        identity.email
        or user.email
        or f"{USERNAME_PREFIX}{identity.webwork_user_id}@{PLACEHOLDER_EMAIL_DOMAIN}"
    )
    changed = {
        name: value
        for name, value in (
            ("email", email),
            ("first_name", identity.firstname or user.first_name),
            ("last_name", identity.lastname or user.last_name),
        )
        if getattr(user, name) != value
    }
    if changed:
        for name, value in changed.items():
            setattr(user, name, value)
        user.save(update_fields=list(changed))


# --- Tokens --------------------------------------------------------------------------------


def connection_needs_refresh(connection) -> bool:
    """An OAuth2 token that expires within REFRESH_AHEAD_SECONDS (and can be refreshed)."""
    return bool(connection.refresh_token) and connection.expires_within(REFRESH_AHEAD_SECONDS)


def connection_refresh(connection, *, rejected_token=None) -> Connection:
    """Renew the connection's OAuth2 token if it still needs it, and update `connection` in place.

    Under a row lock: the first worker refreshes; a second one waiting on the lock then finds the
    token renewed and uses it (refresh tokens are single use, a second refresh would fail).
    `rejected_token`: the access token WebWork just answered 401 to; refresh unless another
    worker already replaced it.

    Raises errors.AuthError when the connection cannot be renewed (it is then marked as needing
    sign-in, with the reason); errors.TransportError / ServerError when WebWork did not answer
    (the connection stays active, to try again later).
    """
    failure = None
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        stale = rejected_token is not None and locked.access_token == rejected_token
        if locked.needs_sign_in:
            failure = errors.AuthError(locked.last_error or NEEDS_SIGN_IN)
        elif not stale and not connection_needs_refresh(locked):
            pass  # fresh enough, possibly just refreshed by another worker
        elif not locked.refresh_token:
            failure = _mark_needs_sign_in(locked, "the token is invalid, revoked or expired")
        else:
            try:
                token = oauth.token_refresh(refresh_token=locked.refresh_token)
            except oauth.OAuthGrantError as exc:
                failure = _mark_needs_sign_in(locked, exc.description or exc.message)
            except oauth.OAuthError as exc:
                # Not the user's doing (Clockroom's app settings, or WebWork down): keep the
                # connection active and say why the refresh failed.
                locked.last_error = exc.message
                locked.save(update_fields=["last_error", "updated_at"])
                failure = _refresh_failure(exc)
            else:
                locked.access_token = token.access_token
                if token.refresh_token:
                    locked.refresh_token = token.refresh_token
                locked.expires_at = _expires_at(token.expires_in)
                locked.scope = (token.scope or locked.scope)[:100]
                locked.last_error = ""
                locked.refreshed_at = timezone.now()
                locked.save()
                logger.info("Refreshed the WebWork token of connection %s", locked.pk)
    for name in (
        "status",
        "access_token",
        "refresh_token",
        "expires_at",
        "scope",
        "last_error",
        "refreshed_at",
    ):
        setattr(connection, name, getattr(locked, name))
    if failure is not None:
        raise failure
    return connection


def _refresh_failure(exc):
    if exc.error in ("not_configured", "invalid_client", "unauthorized_client"):
        return errors.AuthError(exc.message, status=401)
    if exc.error == "temporarily_unavailable":
        return errors.TransportError(exc.message)
    return errors.ServerError(exc.message)


def _mark_needs_sign_in(connection, reason):
    template = PERSONAL_ACCESS_REFUSED if connection.kind == Connection.Kind.PERSONAL else NEEDS_OAUTH_SIGN_IN
    connection.status = Connection.Status.NEEDS_SIGN_IN
    connection.last_error = template.format(reason=str(reason).rstrip("."))
    connection.save(update_fields=["status", "last_error", "updated_at"])
    logger.warning("WebWork connection %s needs sign-in again: %s", connection.pk, reason)
    return errors.AuthError(connection.last_error, status=401)


def connection_client(connection) -> WebWorkClient:
    """A WebWorkClient acting as `connection`'s user: refreshes ahead of expiry, refreshes once on a
    401, and waits its turn in the user's rate limit shared by every process."""

    def get_token():
        if connection.needs_sign_in:
            raise errors.AuthError(connection.last_error or NEEDS_SIGN_IN)
        if connection_needs_refresh(connection):
            connection_refresh(connection)
        return connection.access_token

    def refresh_token():
        connection_refresh(connection, rejected_token=connection.access_token)
        return connection.access_token

    return WebWorkClient(
        get_token=get_token, refresh_token=refresh_token, limiter=rate_limiter_for(connection.webwork_user_id)
    )


def workspace_connection(workspace) -> Connection:
    """The connection syncs of `workspace` use: its `sync_connection` while active, else any active
    connection of a manager. Raises ConnectionUnavailableError when there is none."""
    connection = workspace.sync_connection
    if connection is not None and not connection.needs_sign_in:
        return connection
    fallback = (
        Connection.objects.filter(
            status=Connection.Status.ACTIVE, accesses__workspace=workspace, accesses__can_manage=True
        )
        .order_by("-refreshed_at", "pk")
        .first()
    )
    if fallback is None:
        raise ConnectionUnavailableError(
            f"No manager of {workspace.name} has a working WebWork sign-in; one of them must sign in again.",
            status=401,
        )
    return fallback


def workspace_client(workspace) -> WebWorkClient:
    """A client for `workspace`'s syncs and writes (see `workspace_connection`)."""
    return connection_client(workspace_connection(workspace))


# --- Workspace access ----------------------------------------------------------------------


def _can_manage(membership):
    return membership.get("role") in WorkspaceAccess.MANAGER_ROLES and membership.get("status") in (
        None,
        "",
        "active",
    )


def workspace_access_refresh(connection, *, memberships=None):
    """Which workspaces `connection`'s user may open, as WebWork says now.

    Creates or updates a Workspace and a WorkspaceAccess for every workspace GET /workspaces lists
    (`can_manage` for Owners and Executive managers), and drops the accesses it no longer lists.
    `memberships`: the /workspaces items when the caller already has them. Returns the accesses.
    """
    if memberships is None:
        with connection_client(connection) as client:
            memberships = _memberships(client)
    return _workspace_accesses_store(connection=connection, memberships=memberships)


@transaction.atomic
def _workspace_accesses_store(*, connection, memberships):
    now = timezone.now()
    accesses = []
    for membership in memberships:
        webwork_id = integer(membership.get("id"))
        if not webwork_id:
            continue
        defaults = {"name": text(membership.get("workspace_name"))[:200] or f"Workspace {webwork_id}"}
        owner_id = integer(membership.get("owner_id"))
        if owner_id:
            defaults["owner_webwork_id"] = owner_id
        workspace, _ = Workspace.objects.update_or_create(webwork_id=webwork_id, defaults=defaults)
        access, _ = WorkspaceAccess.objects.update_or_create(
            user=connection.user,
            workspace=workspace,
            defaults={
                "connection": connection,
                "role": text(membership.get("role"))[:32],
                "can_manage": _can_manage(membership),
                "refreshed_at": now,
            },
        )
        accesses.append(access)
    kept = [access.pk for access in accesses]
    managed = [access.workspace_id for access in accesses if access.can_manage]
    WorkspaceAccess.objects.filter(connection=connection).exclude(pk__in=kept).delete()
    # A workspace this connection no longer manages stops syncing through it.
    Workspace.objects.filter(sync_connection=connection).exclude(pk__in=managed).update(sync_connection=None)
    return accesses


@transaction.atomic
def workspace_accesses_from_members(workspace):
    """After a members sync: every Clockroom user's access to `workspace` follows the role and
    status WebWork now gives them there (no request: the mirror was just refreshed).

    A manager who was demoted, archived or removed loses the workspace at once, not at their
    next sign-in. Returns how many accesses changed.
    """
    accesses = list(WorkspaceAccess.objects.filter(workspace=workspace).select_related("connection"))
    # Only the members who are Clockroom users, not the whole workspace.
    members = {
        member.webwork_id: member
        for member in Member.objects.current()
        .filter(
            workspace=workspace,
            webwork_id__in=[str(access.connection.webwork_user_id) for access in accesses],
        )
        .only("webwork_id", "role", "status")
    }
    changed = 0
    now = timezone.now()
    for access in accesses:
        member = members.get(str(access.connection.webwork_user_id))
        role = member.role[:32] if member else ""
        can_manage = member is not None and _can_manage({"role": member.role, "status": member.status})
        if (access.role, access.can_manage) != (role, can_manage):
            access.role, access.can_manage, access.refreshed_at = role, can_manage, now
            access.save(update_fields=["role", "can_manage", "refreshed_at"])
            changed += 1
            if not can_manage and workspace.sync_connection_id == access.connection_id:
                Workspace.objects.filter(pk=workspace.pk).update(sync_connection=None)
    return changed


# --- Sign-in --------------------------------------------------------------------------------


def connection_sign_in_start() -> oauth.AuthorizationStart:
    """Where to send a manager to sign in with WebWork (state and PKCE verifier to keep meanwhile).
    Raises oauth.OAuthNotConfiguredError when Clockroom has no OAuth2 app."""
    return oauth.authorization_start()


def connection_from_oauth_code(*, code, code_verifier) -> Connection:
    """Finish the sign-in: exchange the callback's code, then store the connection and accesses.
    Raises oauth.OAuthError (OAuthGrantError for an expired or reused code) or errors.WebWorkError."""
    token = oauth.token_exchange(code=code, code_verifier=code_verifier)
    return connection_from_oauth(token=token)
