"""Personal access tokens and the sandbox's token and OAuth app management commands."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from integrations.sandbox.models import AccessToken, OAuthApplication
from integrations.sandbox.models.oauth import digest

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

WORKSPACES = "/sandbox/api/v2/workspaces"
TOKEN = "/sandbox/oauth/token"
REDIRECT = "http://127.0.0.1:8000/oauth/callback"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def run(command, *args, **options):
    out, err = StringIO(), StringIO()
    call_command(command, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def api_get(token):
    return Client().get(WORKSPACES, headers={"Authorization": f"Bearer {token}"})


def client_credentials_work(client_id, secret):
    answer = Client().post(
        TOKEN,
        urlencode({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}),
        content_type="application/x-www-form-urlencoded",
    )
    return answer.status_code == 200


def printed(out):
    """`name: value` lines as a dict."""
    return dict(line.split(": ", 1) for line in out.splitlines())


# --- sandbox_token ------------------------------------------------------------------------------


def test_sandbox_token_prints_one_working_personal_access_token(world):
    out, _ = run("sandbox_token", "Manager@Acme.test", "--name", "CI")

    assert out.count("\n") == 1
    token = out.strip()
    assert api_get(token).status_code == 200
    stored = AccessToken.objects.get(token_digest=digest(token))
    assert (stored.kind, stored.name, stored.user) == ("personal", "CI", world.manager)
    assert stored.scope == "read write admin"


def test_sandbox_token_names_the_token_by_default(world):
    out, _ = run("sandbox_token", "owner@acme.test")

    assert AccessToken.objects.get(token_digest=digest(out.strip())).name == "Personal access token"


def test_sandbox_token_refuses_an_unknown_email(world):
    with pytest.raises(CommandError, match=r"No sandbox user has the email 'ghost@acme\.test'"):
        run("sandbox_token", "ghost@acme.test")

    assert not AccessToken.objects.exists()


def test_sandbox_token_refuses_an_overlong_name(world):
    with pytest.raises(CommandError, match="--name"):
        run("sandbox_token", "owner@acme.test", "--name", "x" * 101)


def test_a_personal_access_token_lasts_six_months(world, time_machine):
    time_machine.move_to(START, tick=False)
    token = run("sandbox_token", "owner@acme.test")[0].strip()

    time_machine.shift(timedelta(days=182))
    assert api_get(token).status_code == 200
    time_machine.shift(timedelta(days=1))
    expired = api_get(token)

    assert expired.status_code == 401
    assert expired.json()["message"] == "Unauthenticated."


# --- sandbox_oauth_app ----------------------------------------------------------------------------


def test_sandbox_oauth_app_registers_an_app_and_prints_its_credentials(world):
    out, _ = run("sandbox_oauth_app", "--name", "Clockroom", "--redirect-uri", REDIRECT)

    values = printed(out)
    assert list(values) == ["client_id", "client_secret"]
    application = OAuthApplication.objects.get()
    assert application.client_id == values["client_id"]
    assert (application.name, application.redirect_uri, application.grant_type) == (
        "Clockroom",
        REDIRECT,
        "authorization_code",
    )
    assert application.check_secret(values["client_secret"])
    assert values["client_secret"] not in application.client_secret_digest


def test_sandbox_oauth_app_registers_a_client_credentials_app(world):
    out, _ = run(
        "sandbox_oauth_app",
        "--name",
        "Robot",
        "--redirect-uri",
        "",
        "--grant-type",
        "client_credentials",
        "--owner",
        "owner@acme.test",
    )

    values = printed(out)
    assert OAuthApplication.objects.get().owner == world.owner
    assert client_credentials_work(values["client_id"], values["client_secret"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--redirect-uri", ""], "needs a redirect URI"),
        (["--redirect-uri", "ftp://files.example/cb"], "http:// or https://"),
        (["--redirect-uri", "http://127.0.0.1:8000/cb#frag"], "fragment"),
        (["--redirect-uri", REDIRECT, "--owner", "ghost@acme.test"], "No sandbox user"),
        (["--grant-type", "client_credentials"], "needs an owner"),
    ],
)
def test_sandbox_oauth_app_refuses_bad_options(world, options, message):
    with pytest.raises(CommandError, match=message):
        run("sandbox_oauth_app", "--name", "Clockroom", *options)

    assert not OAuthApplication.objects.exists()


def test_env_file_gets_the_credentials_and_keeps_its_other_lines(world, tmp_path):
    env_file = tmp_path / "sandbox.env"
    env_file.write_text("# demo\nDJANGO_DEBUG=1\nWEBWORK_OAUTH_CLIENT_ID=stale\n")

    out, _ = run(
        "sandbox_oauth_app", "--name", "Clockroom", "--redirect-uri", REDIRECT, "--env-file", str(env_file)
    )

    application = OAuthApplication.objects.get()
    assert out == f"client_id: {application.client_id}\n"
    lines = env_file.read_text().splitlines()
    assert lines[:3] == ["# demo", "DJANGO_DEBUG=1", f"WEBWORK_OAUTH_CLIENT_ID={application.client_id}"]
    secret = lines[3].removeprefix("WEBWORK_OAUTH_CLIENT_SECRET=")
    assert len(lines) == 4
    assert application.check_secret(secret)
    assert env_file.stat().st_mode & 0o077 == 0


def test_env_file_is_created_and_a_second_run_reuses_the_app(world, tmp_path):
    env_file = tmp_path / "var" / "sandbox.env"
    arguments = ["--name", "Clockroom", "--redirect-uri", REDIRECT, "--env-file", str(env_file)]

    first, _ = run("sandbox_oauth_app", *arguments)
    written = env_file.read_text()
    second, _ = run("sandbox_oauth_app", *arguments)

    assert first == second
    assert env_file.read_text() == written
    assert OAuthApplication.objects.count() == 1


def test_a_second_run_rotates_a_secret_that_no_longer_matches(world, tmp_path):
    env_file = tmp_path / "sandbox.env"
    arguments = ["--name", "Clockroom", "--redirect-uri", REDIRECT, "--env-file", str(env_file)]
    run("sandbox_oauth_app", *arguments)
    client_id = OAuthApplication.objects.get().client_id
    env_file.write_text(
        env_file.read_text().replace("WEBWORK_OAUTH_CLIENT_SECRET=", "WEBWORK_OAUTH_CLIENT_SECRET=x")
    )

    run("sandbox_oauth_app", *arguments)

    application = OAuthApplication.objects.get()
    assert application.client_id == client_id
    secret = env_file.read_text().split("WEBWORK_OAUTH_CLIENT_SECRET=")[1].strip()
    assert application.check_secret(secret)


def test_an_env_file_naming_another_app_gets_a_new_one(world, tmp_path):
    env_file = tmp_path / "sandbox.env"
    env_file.write_text("WEBWORK_OAUTH_CLIENT_ID=from-another-sandbox\nWEBWORK_OAUTH_CLIENT_SECRET=old\n")

    run("sandbox_oauth_app", "--name", "Clockroom", "--redirect-uri", REDIRECT, "--env-file", str(env_file))

    application = OAuthApplication.objects.get()
    assert f"WEBWORK_OAUTH_CLIENT_ID={application.client_id}\n" in env_file.read_text()
    assert "old" not in env_file.read_text()
