"""`manage.py webwork_connect --token TOKEN [--user USERNAME]` against the sandbox over HTTP."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from integrations.models import Connection
from integrations.sandbox.models import AccessToken
from integrations.sandbox.tokens import personal_token_issue

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)


@pytest.fixture
def webwork(live_server, settings):
    settings.WEBWORK_API_BASE_URL = f"{live_server.url}/sandbox/api/v2"
    return live_server


def connect(*args):
    out, err = StringIO(), StringIO()
    call_command("webwork_connect", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_the_workspaces_the_token_can_manage(world, webwork):
    token, _ = personal_token_issue(user=world.manager)

    out, err = connect("--token", token)

    # Acme (Executive manager) only: in Globex the same account is a regular user.
    assert out == f"{world.acme.id}\tAcme Studio\n"
    assert "1 other workspace" in err
    connection = Connection.objects.get()
    assert connection.kind == Connection.Kind.PERSONAL
    assert connection.refresh_token == ""
    assert connection.access_token == token
    assert connection.user.username == f"webwork-{world.manager.id}"


def test_the_connection_can_belong_to_a_named_user(world, webwork):
    admin = get_user_model().objects.create_user("ops")
    token, _ = personal_token_issue(user=world.owner)

    out, _ = connect("--token", token, "--user", "ops")

    assert out == f"{world.acme.id}\tAcme Studio\n"
    assert Connection.objects.get().user == admin
    assert admin.workspace_accesses.get().can_manage


def test_running_it_again_with_a_new_token_replaces_the_old_one(world, webwork):
    first, _ = personal_token_issue(user=world.owner)
    second, _ = personal_token_issue(user=world.owner)

    connect("--token", first)
    connect("--token", second)

    assert Connection.objects.get().access_token == second


def test_a_bad_token_is_refused_with_a_clear_message(world, webwork):
    with pytest.raises(CommandError, match="WebWork refused this token: it is wrong, revoked or expired"):
        connect("--token", "wwpat_this-is-not-a-token")

    assert not Connection.objects.exists()


def test_a_revoked_token_is_refused(world, webwork):
    token, issued = personal_token_issue(user=world.owner)
    AccessToken.objects.filter(pk=issued.pk).update(revoked_at=timezone.now())

    with pytest.raises(CommandError, match="refused this token"):
        connect("--token", token)


def test_an_unknown_user_is_refused_before_asking_webwork(world, webwork):
    token, _ = personal_token_issue(user=world.owner)

    with pytest.raises(CommandError, match="no Clockroom user named 'nobody'"):
        connect("--token", token, "--user", "nobody")


def test_a_token_that_manages_nothing_prints_nothing_and_says_why(world, webwork):
    token, _ = personal_token_issue(user=world.alice)

    out, err = connect("--token", token)

    assert out == ""
    assert "not an Owner or Executive manager" in err
