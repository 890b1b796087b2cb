"""Connections against the sandbox: tokens from a sign-in or a personal access token, encrypted at
rest, refreshed ahead of expiry once even when workers race, and the workspaces each user may open."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection as db_connection
from django.db import connections
from django.utils import timezone

from integrations.connections import (
    REFRESH_AHEAD_SECONDS,
    ConnectionUnavailableError,
    NoWorkspaceError,
    connection_client,
    connection_from_oauth_code,
    connection_from_personal_token,
    connection_refresh,
    workspace_access_refresh,
    workspace_client,
)
from integrations.crypto import decrypt
from integrations.models import Connection, Workspace, WorkspaceAccess
from integrations.sandbox.models import AccessToken, Membership, RefreshToken
from integrations.sandbox.models.accounts import Role
from integrations.sandbox.oauth.services import (
    authorization_code_issue,
    pkce_challenge,
)
from integrations.sandbox.tokens import personal_token_issue
from integrations.webwork import errors
from tests.sandbox_world import CALLBACK, make_user

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
live = pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more-characters"


# --- fixtures and helpers (also used by the dashboard's sign-in tests) ------------------------


def signed_in(live_webwork, user):
    """`user` consents in the sandbox; Clockroom exchanges the code over HTTP and stores the connection."""
    code = authorization_code_issue(
        application=live_webwork.application,
        user=user,
        redirect_uri=f"{live_webwork.url}{CALLBACK}",
        scope="read write",
        code_challenge=pkce_challenge(VERIFIER),
        code_challenge_method="S256",
    )
    return connection_from_oauth_code(code=code, code_verifier=VERIFIER)


def refreshes_spent(user):
    """How many refresh tokens of `user` the sandbox has exchanged (each refresh spends one)."""
    return RefreshToken.objects.filter(user=user, used_at__isnull=False).count()


def accesses_of(connection):
    return {
        a.workspace.name: (a.role, a.can_manage)
        for a in WorkspaceAccess.objects.filter(connection=connection).select_related("workspace")
    }


# --- OAuth2 connections ------------------------------------------------------------------------


@live
def test_a_sign_in_becomes_a_connection_with_the_users_workspaces(world, live_webwork):
    before = timezone.now()

    connection = signed_in(live_webwork, world.manager)

    assert connection.kind == Connection.Kind.OAUTH
    assert connection.status == Connection.Status.ACTIVE
    assert connection.webwork_user_id == world.manager.id
    assert connection.email == "manager@acme.test"
    assert connection.refresh_token.startswith("wwrt_")
    assert before + timedelta(days=15) <= connection.expires_at <= timezone.now() + timedelta(days=15)
    user = connection.user
    assert user.username == f"webwork-{world.manager.id}"
    assert (user.email, user.first_name, user.last_name) == ("manager@acme.test", "Marcus", "Reed")
    assert not user.has_usable_password()
    assert accesses_of(connection) == {
        "Acme Studio": ("Executive manager", True),
        "Globex Labs": ("Regular User", False),
    }
    acme = Workspace.objects.get(webwork_id=world.acme.id)
    assert (acme.name, acme.owner_webwork_id) == ("Acme Studio", world.owner.id)


@live
def test_signing_in_again_updates_the_same_user_and_connection(world, live_webwork):
    first = signed_in(live_webwork, world.owner)
    Connection.objects.filter(pk=first.pk).update(status=Connection.Status.NEEDS_SIGN_IN, last_error="x")

    second = signed_in(live_webwork, world.owner)

    assert second.pk == first.pk
    assert second.user_id == first.user_id
    assert second.status == Connection.Status.ACTIVE
    assert second.last_error == ""
    assert second.access_token != first.access_token
    assert Connection.objects.count() == 1


@live
def test_tokens_are_not_stored_in_clear(world, live_webwork):
    connection = signed_in(live_webwork, world.owner)

    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM integrations_connection WHERE id = %s", [connection.pk]
        )
        raw_access, raw_refresh = cursor.fetchone()

    for raw, plain in ((raw_access, connection.access_token), (raw_refresh, connection.refresh_token)):
        assert plain not in raw
        assert not raw.startswith(("wwat_", "wwrt_"))
        assert decrypt(raw) == plain
    # The stored value is what the sandbox accepts, once decrypted.
    with connection_client(Connection.objects.get(pk=connection.pk)) as client:
        assert client.get("workspaces").data[0]["workspace_name"] == "Acme Studio"


# --- refreshing --------------------------------------------------------------------------------


@live
def test_a_token_about_to_expire_is_refreshed_before_the_request(world, live_webwork):
    connection = signed_in(live_webwork, world.owner)
    old_token, old_expiry = connection.access_token, connection.expires_at

    with time_machine.travel(old_expiry - timedelta(seconds=REFRESH_AHEAD_SECONDS - 60)):
        with connection_client(connection) as client:
            result = client.get("workspaces")
        assert client.requests_made == 1  # no 401 on the way: the token was renewed first

    assert result.data[0]["workspace_name"] == "Acme Studio"
    assert refreshes_spent(world.owner) == 1
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.access_token == connection.access_token != old_token
    assert stored.expires_at > old_expiry + timedelta(days=14)
    assert AccessToken.objects.filter(user=world.owner, revoked_at__isnull=False).count() == 1  # the old one


@live
def test_a_token_with_time_left_is_not_refreshed(world, live_webwork):
    connection = signed_in(live_webwork, world.owner)

    ahead = connection.expires_at - timedelta(seconds=REFRESH_AHEAD_SECONDS + 60)
    with time_machine.travel(ahead), connection_client(connection) as client:
        client.get("workspaces")

    assert refreshes_spent(world.owner) == 0


@live
def test_two_refreshes_of_an_expired_token_rotate_it_once(world, live_webwork):
    connection = signed_in(live_webwork, world.owner)
    # Two workers loaded the connection before either refreshed: both see an expired token.
    first, second = Connection.objects.get(pk=connection.pk), Connection.objects.get(pk=connection.pk)

    with time_machine.travel(connection.expires_at + timedelta(minutes=1)):
        connection_refresh(first)
        connection_refresh(second)

        assert refreshes_spent(world.owner) == 1
        assert second.access_token == first.access_token != connection.access_token
        assert second.refresh_token == first.refresh_token
        with connection_client(second) as client:
            assert client.get("workspaces").status == 200


@live
def test_refreshes_racing_in_two_threads_rotate_the_token_once(world, live_webwork):
    connection = signed_in(live_webwork, world.owner)
    start = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            mine = Connection.objects.get(pk=connection.pk)
            start.wait(timeout=10)
            connection_refresh(mine)
            outcomes.append(mine.access_token)
        except Exception as exc:  # reported by the assertion below
            outcomes.append(exc)
        finally:
            connections.close_all()

    with time_machine.travel(connection.expires_at + timedelta(minutes=1)):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert len(outcomes) == 2
    assert outcomes[0] == outcomes[1] != connection.access_token
    assert refreshes_spent(world.owner) == 1


@live
def test_a_refused_refresh_marks_the_connection_as_needing_sign_in(world, live_webwork):
    connection = signed_in(live_webwork, world.owner)
    RefreshToken.objects.filter(user=world.owner).update(revoked_at=timezone.now())

    with (
        time_machine.travel(connection.expires_at + timedelta(minutes=1)),
        connection_client(connection) as client,
        pytest.raises(errors.AuthError) as refused,
    ):
        client.get("workspaces")

    stored = Connection.objects.get(pk=connection.pk)
    assert stored.status == Connection.Status.NEEDS_SIGN_IN
    assert "revoked" in stored.last_error
    assert "Sign in with WebWork again" in stored.last_error
    assert str(refused.value.message) == stored.last_error
    # Once marked, the connection is not used until the manager signs in again.
    with (
        pytest.raises(errors.AuthError, match="Sign in with WebWork again"),
        connection_client(stored) as client,
    ):
        client.get("workspaces")


@live
def test_a_401_refreshes_once_and_retries_once(world, live_webwork):
    connection = signed_in(live_webwork, world.owner)
    AccessToken.objects.filter(user=world.owner).update(revoked_at=timezone.now())

    with connection_client(connection) as client:
        result = client.get("workspaces")

    assert result.status == 200
    assert client.requests_made == 2
    assert refreshes_spent(world.owner) == 1
    assert Connection.objects.get(pk=connection.pk).access_token == connection.access_token


# --- personal access tokens ------------------------------------------------------------------


def test_a_personal_token_becomes_a_connection_without_refresh(world, sandbox_transport):
    raw, _ = personal_token_issue(user=world.owner)

    connection = connection_from_personal_token(token=raw)

    assert connection.kind == Connection.Kind.PERSONAL
    assert (connection.refresh_token, connection.expires_at) == ("", None)
    assert connection.user.username == f"webwork-{world.owner.id}"
    assert connection.email == "owner@acme.test"
    assert accesses_of(connection) == {"Acme Studio": ("Owner", True)}
    with connection_client(connection) as client:
        assert client.get("workspaces").status == 200


def test_a_refused_personal_token_marks_the_connection(world, sandbox_transport):
    raw, token = personal_token_issue(user=world.owner)
    connection = connection_from_personal_token(token=raw)
    AccessToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    with connection_client(connection) as client, pytest.raises(errors.AuthError):
        client.get("workspaces")

    stored = Connection.objects.get(pk=connection.pk)
    assert stored.status == Connection.Status.NEEDS_SIGN_IN
    assert "webwork_connect" in stored.last_error
    assert client.requests_made == 1


def test_a_wrong_personal_token_is_refused_and_nothing_is_stored(world, sandbox_transport):
    with pytest.raises(errors.AuthError):
        connection_from_personal_token(token="wwpat_not-a-token")

    assert not Connection.objects.exists()


def test_a_user_who_manages_nothing_gets_a_placeholder_email(world, sandbox_transport):
    raw, _ = personal_token_issue(user=world.alice)

    connection = connection_from_personal_token(token=raw)

    assert connection.email == ""
    assert connection.user.email == f"webwork-{world.alice.id}@users.webwork.invalid"
    assert accesses_of(connection) == {"Acme Studio": ("Regular User", False)}


def test_an_account_in_no_workspace_cannot_connect(world, sandbox_transport):
    loner = make_user("loner@nowhere.test", "Lone", "Ranger")
    raw, _ = personal_token_issue(user=loner)

    with pytest.raises(NoWorkspaceError):
        connection_from_personal_token(token=raw)

    assert not Connection.objects.exists()


# --- workspace access ----------------------------------------------------------------------------


def test_access_follows_roles_and_drops_what_webwork_no_longer_lists(world, sandbox_transport):
    raw, _ = personal_token_issue(user=world.manager)
    connection = connection_from_personal_token(token=raw)
    acme = Workspace.objects.get(webwork_id=world.acme.id)
    acme.sync_connection = connection
    acme.save()
    Membership.objects.filter(workspace=world.acme, user=world.manager).update(role=Role.TEAM_MANAGER)
    Membership.objects.filter(workspace=world.globex, user=world.manager).delete()
    world.acme.name = "Acme Studio GmbH"
    world.acme.save()

    workspace_access_refresh(connection)

    assert accesses_of(connection) == {"Acme Studio GmbH": ("Team manager", False)}
    acme.refresh_from_db()
    assert acme.sync_connection is None  # it no longer manages Acme: syncs stop using it
    assert Workspace.objects.filter(webwork_id=world.globex.id).exists()  # the tenant row stays


def test_an_inactive_membership_cannot_manage(world, sandbox_transport):
    Membership.objects.filter(workspace=world.acme, user=world.manager).update(status="inactive")
    raw, _ = personal_token_issue(user=world.manager)

    connection = connection_from_personal_token(token=raw)

    assert accesses_of(connection)["Acme Studio"] == ("Executive manager", False)


def test_workspace_client_uses_the_sync_connection_then_another_manager(world, sandbox_transport):
    owner = connection_from_personal_token(token=personal_token_issue(user=world.owner)[0])
    manager = connection_from_personal_token(token=personal_token_issue(user=world.manager)[0])
    acme = Workspace.objects.get(webwork_id=world.acme.id)
    acme.sync_connection = manager
    acme.save()

    def acting_user():
        with workspace_client(acme) as client:
            return client.get("workspaces").data[0]["user_id"]

    assert acting_user() == world.manager.id

    Connection.objects.filter(pk=manager.pk).update(status=Connection.Status.NEEDS_SIGN_IN)
    acme.refresh_from_db()
    assert acting_user() == world.owner.id

    Connection.objects.filter(pk=owner.pk).update(status=Connection.Status.NEEDS_SIGN_IN)
    acme.refresh_from_db()
    with pytest.raises(ConnectionUnavailableError, match="sign in again"):
        workspace_client(acme)
