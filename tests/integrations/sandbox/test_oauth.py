"""The sandbox's OAuth2 authorization server: the consent page and the token endpoint."""

import base64
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.apps import apps
from django.test import Client

from integrations.sandbox.models import AccessToken, AuthorizationCode, OAuthApplication, RefreshToken
from integrations.sandbox.models.oauth import digest
from integrations.sandbox.oauth.services import oauth_application_register, pkce_challenge
from integrations.sandbox.tokens import personal_token_issue

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

AUTHORIZE = "/sandbox/oauth/authorize"
TOKEN = "/sandbox/oauth/token"
WORKSPACES = "/sandbox/api/v2/workspaces"
REDIRECT = "https://clockroom.example/oauth/callback?tenant=1"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture
def app(world):
    application, secret = oauth_application_register(name="Clockroom", redirect_uri=REDIRECT)
    return SimpleNamespace(application=application, client_id=application.client_id, secret=secret)


def authorize_params(app, **extra):
    params = {
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "read write",
        "state": "s-42",
        **extra,
    }
    return {name: value for name, value in params.items() if value is not None}


def sign_in(client, app, *, email="owner@acme.test", password="demo", decision="allow", **extra):
    params = authorize_params(app, **extra)
    page = client.get(AUTHORIZE, params)
    assert page.status_code == 200, page.content
    return client.post(AUTHORIZE, {**params, "email": email, "password": password, "decision": decision})


def redirected_to(response):
    """The query of a redirect to the app's redirect URI, as a dict."""
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT.split("?")[0]
    query = dict(parse_qsl(location.query))
    assert query.pop("tenant") == "1"  # the redirect URI's own query is kept
    return query


def code_for(client, app, **extra):
    query = redirected_to(sign_in(client, app, **extra))
    assert query["state"] == "s-42"
    return query["code"]


def token_request(client, app, *, secret=None, **params):
    body = {"client_id": app.client_id, "client_secret": secret or app.secret, **params}
    return client.post(TOKEN, urlencode(body), content_type="application/x-www-form-urlencoded")


def exchange(client, app, code, **extra):
    return token_request(
        client, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, **extra
    )


def refresh(client, app, refresh_token, **extra):
    return token_request(client, app, grant_type="refresh_token", refresh_token=refresh_token, **extra)


def oauth_error(response, error, status=400):
    assert response.status_code == status, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    return body


def api_get(client, token):
    return client.get(WORKSPACES, headers={"Authorization": f"Bearer {token}"})


# --- the authorization code flow --------------------------------------------------------------


def test_authorization_code_flow_end_to_end(world, app, client):
    page = client.get(AUTHORIZE, authorize_params(app))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Clockroom" in html
    assert "<strong>read</strong>" in html
    assert "<strong>write</strong>" in html
    assert "<strong>admin</strong>" not in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "https://clockroom.example" in page["Content-Security-Policy"]

    code = code_for(client, app)
    issued = exchange(client, app, code)

    assert issued.status_code == 200, issued.content
    assert issued["Cache-Control"] == "no-store"
    first = issued.json()
    assert first["token_type"] == "Bearer"
    assert first["expires_in"] == 15 * 24 * 3600
    assert first["scope"] == "read write"
    workspaces = api_get(client, first["access_token"])
    assert workspaces.status_code == 200
    assert [w["workspace_name"] for w in workspaces.json()["data"]] == ["Acme Studio"]

    rotated = refresh(client, app, first["refresh_token"])

    assert rotated.status_code == 200, rotated.content
    second = rotated.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == "read write"
    assert api_get(client, second["access_token"]).status_code == 200
    assert api_get(client, first["access_token"]).status_code == 401
    oauth_error(refresh(client, app, first["refresh_token"]), "invalid_grant")
    assert refresh(client, app, second["refresh_token"]).status_code == 200


def test_the_token_endpoint_accepts_http_basic_and_json(world, app, client):
    basic = base64.b64encode(f"{quote(app.client_id)}:{quote(app.secret)}".encode()).decode()
    body = {"grant_type": "authorization_code", "code": code_for(client, app), "redirect_uri": REDIRECT}

    answer = client.post(
        TOKEN, json.dumps(body), content_type="application/json", headers={"Authorization": f"Basic {basic}"}
    )

    assert answer.status_code == 200, answer.content
    assert api_get(client, answer.json()["access_token"]).status_code == 200


def test_refresh_may_narrow_the_scope_but_not_widen_it(world, app, client):
    tokens = exchange(client, app, code_for(client, app)).json()

    oauth_error(refresh(client, app, tokens["refresh_token"], scope="read write admin"), "invalid_scope")
    narrowed = refresh(client, app, tokens["refresh_token"], scope="read")

    assert narrowed.json()["scope"] == "read"
    write = client.post(
        "/sandbox/api/v2/members",
        {},
        content_type="application/json",
        headers={"Authorization": f"Bearer {narrowed.json()['access_token']}"},
    )
    assert write.status_code == 403


def test_wrong_password_shows_the_form_again_with_a_message(world, app, client):
    answer = sign_in(client, app, password="wrong")

    assert answer.status_code == 200
    assert "The email or password is incorrect" in answer.content.decode()
    assert not AuthorizationCode.objects.exists()


def test_unknown_email_gets_the_same_message(world, app, client):
    answer = sign_in(client, app, email="nobody@acme.test")

    assert "The email or password is incorrect" in answer.content.decode()


def test_deny_redirects_with_access_denied(world, app, client):
    query = redirected_to(sign_in(client, app, password="", decision="deny"))

    assert query["error"] == "access_denied"
    assert query["state"] == "s-42"
    assert "code" not in query
    assert not AuthorizationCode.objects.exists()


def test_the_consent_form_is_csrf_protected(world, app):
    client = Client(enforce_csrf_checks=True)
    params = authorize_params(app)
    client.get(AUTHORIZE, params)
    answer = {**params, "email": "owner@acme.test", "password": "demo", "decision": "allow"}

    forged = client.post(AUTHORIZE, answer)
    genuine = client.post(AUTHORIZE, {**answer, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})

    assert forged.status_code == 403
    assert "code" in redirected_to(genuine)
    assert AuthorizationCode.objects.count() == 1


# --- errors at the authorization endpoint -----------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": "unknown"}, "No app has this client_id."),
        ({"client_id": None}, "The client_id parameter is missing."),
        ({"redirect_uri": "https://evil.example/oauth/callback?tenant=1"}, "does not match"),
        ({"redirect_uri": "https://clockroom.example/oauth/callback"}, "does not match"),
        ({"redirect_uri": None}, "The redirect_uri parameter is missing."),
    ],
)
def test_an_untrusted_client_or_redirect_uri_gets_an_error_page_not_a_redirect(
    world, app, client, change, message
):
    params = authorize_params(app, **change)

    page = client.get(AUTHORIZE, params)
    posted = client.post(
        AUTHORIZE, {**params, "email": "owner@acme.test", "password": "demo", "decision": "allow"}
    )

    for answer in (page, posted):
        assert answer.status_code == 400
        assert "Location" not in answer
        assert message in answer.content.decode()
    assert not AuthorizationCode.objects.exists()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"scope": "read delete"}, "invalid_scope"),
        ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": CHALLENGE}, "invalid_request"),
        ({"code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
    ],
)
def test_other_authorization_errors_redirect_to_the_app_with_the_state(world, app, client, change, error):
    query = redirected_to(client.get(AUTHORIZE, authorize_params(app, **change)))

    assert query["error"] == error
    assert query["error_description"]
    assert query["state"] == "s-42"


def test_a_client_credentials_app_cannot_use_the_consent_page(world, client):
    application, _ = oauth_application_register(
        name="Robot", redirect_uri=REDIRECT, grant_type="client_credentials", owner=world.owner
    )

    query = redirected_to(
        client.get(AUTHORIZE, authorize_params(SimpleNamespace(client_id=application.client_id)))
    )

    assert query["error"] == "unauthorized_client"


def test_scope_defaults_to_read_write_and_admin_can_be_asked_for(world, app, client):
    default = exchange(client, app, code_for(client, app, scope=None)).json()
    admin = exchange(client, app, code_for(client, app, scope="admin read")).json()

    assert default["scope"] == "read write"
    assert admin["scope"] == "read admin"


# --- PKCE -----------------------------------------------------------------------------------------------


def test_the_s256_challenge_is_the_rfc_7636_example():
    assert pkce_challenge(VERIFIER) == CHALLENGE


def test_pkce_s256_accepts_the_right_verifier(world, app, client):
    code = code_for(client, app, code_challenge=CHALLENGE, code_challenge_method="S256")

    answer = exchange(client, app, code, code_verifier=VERIFIER)

    assert answer.status_code == 200, answer.content
    assert api_get(client, answer.json()["access_token"]).status_code == 200


def test_pkce_refuses_a_wrong_or_missing_verifier(world, app, client):
    code = code_for(client, app, code_challenge=CHALLENGE, code_challenge_method="S256")

    oauth_error(exchange(client, app, code, code_verifier=VERIFIER[:-1] + "x"), "invalid_grant")
    oauth_error(exchange(client, app, code), "invalid_request")
    # Failed attempts do not use the code up.
    assert exchange(client, app, code, code_verifier=VERIFIER).status_code == 200


def test_a_verifier_without_a_challenge_is_refused(world, app, client):
    oauth_error(exchange(client, app, code_for(client, app), code_verifier=VERIFIER), "invalid_grant")


# --- errors at the token endpoint ------------------------------------------------------------------------


def test_the_redirect_uri_must_equal_the_one_the_code_was_issued_for(world, app, client):
    code = code_for(client, app)

    body = oauth_error(
        token_request(
            client,
            app,
            grant_type="authorization_code",
            code=code,
            redirect_uri="https://clockroom.example/x",
        ),
        "invalid_grant",
    )
    missing = token_request(client, app, grant_type="authorization_code", code=code)

    assert "redirect_uri" in body["error_description"]
    oauth_error(missing, "invalid_request")


def test_a_wrong_client_secret_is_invalid_client(world, app, client):
    code = code_for(client, app)

    in_body = exchange(client, app, code, secret="wrong")
    basic = base64.b64encode(f"{app.client_id}:wrong".encode()).decode()
    with_basic = client.post(
        TOKEN,
        urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}),
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Basic {basic}"},
    )
    unknown = token_request(
        client, SimpleNamespace(client_id="nope", secret="x"), grant_type="client_credentials"
    )

    for answer in (in_body, with_basic, unknown):
        oauth_error(answer, "invalid_client", status=401)
    assert with_basic["WWW-Authenticate"].startswith("Basic")
    assert exchange(client, app, code).status_code == 200


def test_a_code_of_another_app_is_invalid_grant(world, app, client):
    other, secret = oauth_application_register(name="Other", redirect_uri=REDIRECT)
    code = code_for(client, app)

    answer = exchange(client, SimpleNamespace(client_id=other.client_id, secret=secret), code)

    oauth_error(answer, "invalid_grant")


def test_a_reused_code_is_refused_and_revokes_its_tokens(world, app, client):
    code = code_for(client, app)
    first = exchange(client, app, code).json()
    rotated = refresh(client, app, first["refresh_token"]).json()

    oauth_error(exchange(client, app, code), "invalid_grant")

    assert api_get(client, first["access_token"]).status_code == 401
    assert api_get(client, rotated["access_token"]).status_code == 401
    oauth_error(refresh(client, app, rotated["refresh_token"]), "invalid_grant")


def test_an_expired_code_is_invalid_grant(world, app, client, time_machine):
    time_machine.move_to(START, tick=False)
    code = code_for(client, app)
    time_machine.shift(timedelta(seconds=61))

    body = oauth_error(exchange(client, app, code), "invalid_grant")

    assert "expired" in body["error_description"]


def test_a_code_works_until_it_expires(world, app, client, time_machine):
    time_machine.move_to(START, tick=False)
    code = code_for(client, app)
    time_machine.shift(timedelta(seconds=59))

    assert exchange(client, app, code).status_code == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "invalid_request"),
        (
            {"grant_type": "password", "username": "owner@acme.test", "password": "demo"},
            "unsupported_grant_type",
        ),
        ({"grant_type": "client_credentials"}, "unauthorized_client"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
        ({"grant_type": "authorization_code", "redirect_uri": REDIRECT}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "nope", "redirect_uri": REDIRECT}, "invalid_grant"),
    ],
)
def test_token_request_errors(world, app, client, body, error):
    oauth_error(token_request(client, app, **body), error)


def test_malformed_token_requests_are_invalid_request(world, app, client):
    credentials = {"client_id": app.client_id, "client_secret": app.secret}
    broken_json = client.post(TOKEN, "{not json", content_type="application/json")
    non_string = client.post(
        TOKEN, json.dumps({**credentials, "grant_type": 1}), content_type="application/json"
    )
    multipart = client.post(TOKEN, {**credentials, "grant_type": "client_credentials"})
    repeated = client.post(
        TOKEN,
        urlencode({**credentials, "grant_type": "client_credentials"}) + "&scope=read&scope=write",
        content_type="application/x-www-form-urlencoded",
    )
    both_methods = client.post(
        TOKEN,
        urlencode({**credentials, "grant_type": "client_credentials"}),
        content_type="application/x-www-form-urlencoded",
        headers={
            "Authorization": "Basic " + base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()
        },
    )

    for answer in (broken_json, non_string, multipart, repeated, both_methods):
        oauth_error(answer, "invalid_request")
    get = client.get(TOKEN)
    oauth_error(get, "invalid_request", status=405)
    assert get["Allow"] == "POST"


# --- lifetimes ------------------------------------------------------------------------------------------


def test_an_access_token_expires_after_15_days(world, app, client, time_machine):
    time_machine.move_to(START, tick=False)
    token = exchange(client, app, code_for(client, app)).json()["access_token"]

    time_machine.shift(timedelta(days=15) - timedelta(seconds=1))
    assert api_get(client, token).status_code == 200
    time_machine.shift(timedelta(seconds=1))
    expired = api_get(client, token)

    assert expired.status_code == 401
    assert expired.json()["message"] == "Unauthenticated."


def test_a_refresh_token_expires_after_30_days(world, app, client, time_machine):
    time_machine.move_to(START, tick=False)
    tokens = exchange(client, app, code_for(client, app)).json()
    spare = exchange(client, app, code_for(client, app)).json()

    time_machine.shift(timedelta(days=30) - timedelta(seconds=1))
    assert refresh(client, app, spare["refresh_token"]).status_code == 200
    time_machine.shift(timedelta(seconds=1))

    body = oauth_error(refresh(client, app, tokens["refresh_token"]), "invalid_grant")
    assert "expired" in body["error_description"]


def test_lifetimes_are_read_from_the_settings_at_call_time(world, app, client, settings):
    settings.SANDBOX_ACCESS_TOKEN_SECONDS = 600

    tokens = exchange(client, app, code_for(client, app)).json()

    assert tokens["expires_in"] == 600


# --- client credentials ---------------------------------------------------------------------------------


def test_client_credentials_gives_a_token_acting_as_the_app_owner(world, client):
    application, secret = oauth_application_register(
        name="Robot", redirect_uri="", grant_type="client_credentials", owner=world.manager
    )
    robot = SimpleNamespace(client_id=application.client_id, secret=secret)

    answer = token_request(client, robot, grant_type="client_credentials", scope="read")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read"
    assert "refresh_token" not in body
    workspaces = api_get(client, body["access_token"]).json()["data"]
    assert {w["user_id"] for w in workspaces} == {world.manager.id}
    oauth_error(
        token_request(client, robot, grant_type="authorization_code", code="x", redirect_uri=REDIRECT),
        "unauthorized_client",
    )


def test_client_credentials_is_refused_to_an_authorization_code_app(world, app, client):
    oauth_error(token_request(client, app, grant_type="client_credentials"), "unauthorized_client")


# --- storage ---------------------------------------------------------------------------------------------


def test_no_token_code_or_secret_is_stored_in_clear(world, app, client):
    code = code_for(client, app)
    tokens = exchange(client, app, code).json()
    personal, _ = personal_token_issue(user=world.owner)
    secrets = [app.secret, code, tokens["access_token"], tokens["refresh_token"], personal]

    stored = [
        str(value)
        for model in apps.get_app_config("sandbox").get_models()
        for row in model.objects.values_list()
        for value in row
    ]

    assert stored
    for secret in secrets:
        assert not any(secret in value for value in stored)
    assert OAuthApplication.objects.get().client_secret_digest == digest(app.secret)
    assert AuthorizationCode.objects.get().code_digest == digest(code)
    assert AccessToken.objects.filter(token_digest=digest(tokens["access_token"])).exists()
    assert RefreshToken.objects.get().token_digest == digest(tokens["refresh_token"])
