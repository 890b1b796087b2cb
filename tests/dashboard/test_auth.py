"""Signing in with WebWork through the sandbox's consent page, what can go wrong on the way back,
signing out, and the pages a signed-in manager sees first."""

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from integrations.models import Connection, Member, Project, Workspace, WorkspaceAccess
from integrations.sandbox.models import AuthorizationCode
from integrations.sandbox.oauth.services import oauth_application_register
from integrations.webwork import oauth
from tests.dashboard.helpers import csrf_token, shown

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
live = pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)

LOGIN = "/auth/webwork/login/"
CALLBACK = "/auth/webwork/callback/"
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def path_of(url):
    """The path and query of an absolute URL (the test client serves every host)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def consent(client, authorize_url, *, email="owner@acme.test", decision="allow"):
    """Answer the sandbox's consent page; returns the URL it sends the browser back to."""
    page = client.get(path_of(authorize_url))
    assert page.status_code == 200, page.content
    fields = dict(HIDDEN_INPUT.findall(page.content.decode()))
    fields = {name: html.unescape(value) for name, value in fields.items()}
    answer = client.post(
        "/sandbox/oauth/authorize", {**fields, "email": email, "password": "demo", "decision": decision}
    )
    assert answer.status_code == 302, answer.content
    return answer["Location"]


@pytest.fixture
def sandbox_app(settings, world):
    """The sandbox's OAuth2 app for Clockroom at the default public URL (no live server needed
    until a code is exchanged)."""
    application, secret = oauth_application_register(
        name="Clockroom", redirect_uri=f"{settings.WEBWORK_PUBLIC_BASE_URL}{CALLBACK}"
    )
    settings.WEBWORK_OAUTH_CLIENT_ID = application.client_id
    settings.WEBWORK_OAUTH_CLIENT_SECRET = secret
    return application


# --- the whole sign-in ------------------------------------------------------------------------


@live
def test_a_manager_signs_in_with_webwork_and_sees_their_workspaces(world, live_webwork, settings):
    base = live_webwork.url
    browser = requests.Session()

    landing = browser.get(f"{base}/")
    assert "Sign in with WebWork" in landing.text

    start = browser.get(f"{base}{LOGIN}", allow_redirects=False)
    assert start.status_code == 302
    authorize = urlsplit(start.headers["Location"])
    query = {name: values[0] for name, values in parse_qs(authorize.query).items()}
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == settings.WEBWORK_OAUTH_AUTHORIZE_URL
    assert query["client_id"] == live_webwork.application.client_id
    assert query["redirect_uri"] == f"{base}{CALLBACK}"
    assert query["response_type"] == "code"
    assert query["scope"] == "read write"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 20

    page = browser.get(start.headers["Location"])
    assert page.status_code == 200
    assert "Clockroom" in page.text
    fields = {name: html.unescape(value) for name, value in HIDDEN_INPUT.findall(page.text)}
    assert "csrfmiddlewaretoken" in fields
    answer = browser.post(
        f"{base}/sandbox/oauth/authorize",
        data={**fields, "email": "manager@acme.test", "password": "demo", "decision": "allow"},
        allow_redirects=False,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(f"{base}{CALLBACK}?code=")

    back = browser.get(answer.headers["Location"], allow_redirects=False)
    assert back.status_code == 302
    assert back.headers["Location"] == "/"

    home = browser.get(f"{base}/")
    text = html.unescape(home.text)
    assert "Your workspaces" in text
    assert "Signed in with WebWork as manager@acme.test" in text
    assert f'<a class="workspace-name" href="/w/{world.acme.id}/">Acme Studio</a>' in text
    assert "Globex Labs" in text
    assert "not manageable (your role: Regular User)" in text
    assert f"/w/{world.globex.id}/" not in text

    acme = browser.get(f"{base}/w/{world.acme.id}/")
    assert acme.status_code == 200
    assert "<h1>Acme Studio</h1>" in acme.text
    assert browser.get(f"{base}/w/{world.globex.id}/").status_code == 404

    connection = Connection.objects.get()
    assert connection.user.username == f"webwork-{world.manager.id}"
    assert connection.kind == Connection.Kind.OAUTH
    assert connection.refresh_token


@live
def test_signing_in_returns_to_the_page_asked_for(world, live_webwork):
    client = Client()
    start = client.get(LOGIN, {"next": f"/w/{world.acme.id}/"})

    back = client.get(path_of(consent(client, start["Location"])))

    assert back.status_code == 302
    assert back["Location"] == f"/w/{world.acme.id}/"


# --- what can go wrong on the way back ---------------------------------------------------------


def test_a_state_mismatch_sends_the_manager_back_to_sign_in(sandbox_app, client):
    client.get(LOGIN)

    back = client.get(CALLBACK, {"code": "stolen-code", "state": "forged"}, follow=True)

    assert back.redirect_chain == [("/", 302)]
    assert "The sign-in could not be verified" in shown(back)
    assert "Sign in with WebWork" in shown(back)
    assert not back.wsgi_request.user.is_authenticated
    assert not Connection.objects.exists()


def test_a_callback_nobody_started_is_refused(sandbox_app, client):
    back = client.get(CALLBACK, {"code": "x", "state": "y"}, follow=True)

    assert "The sign-in could not be verified" in shown(back)
    assert not back.wsgi_request.user.is_authenticated


def test_the_state_is_good_for_one_callback_only(sandbox_app, client):
    start = client.get(LOGIN)
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    client.get(CALLBACK, {"error": "access_denied", "state": state})

    again = client.get(CALLBACK, {"error": "access_denied", "state": state}, follow=True)

    assert "The sign-in could not be verified" in shown(again)


def test_a_declined_consent_says_so(sandbox_app, client):
    start = client.get(LOGIN)
    back_to = consent(client, start["Location"], decision="deny")
    assert urlsplit(back_to).path == CALLBACK
    assert parse_qs(urlsplit(back_to).query)["error"] == ["access_denied"]

    back = client.get(path_of(back_to), follow=True)

    assert back.redirect_chain == [("/", 302)]
    assert "You declined to let Clockroom use your WebWork account" in shown(back)
    assert not back.wsgi_request.user.is_authenticated


def test_another_error_from_webwork_is_shown(sandbox_app, client):
    start = client.get(LOGIN)
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]

    back = client.get(
        CALLBACK,
        {"error": "invalid_scope", "error_description": "Unknown scope.", "state": state},
        follow=True,
    )

    assert "WebWork could not sign you in: Unknown scope." in shown(back)


@live
def test_an_expired_code_sends_the_manager_back_with_a_message(world, live_webwork):
    client = Client()
    back_to = consent(client, client.get(LOGIN)["Location"])
    AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    back = client.get(path_of(back_to), follow=True)

    assert "This sign-in has expired or was already used. Please sign in again." in shown(back)
    assert not back.wsgi_request.user.is_authenticated
    assert not Connection.objects.exists()


@live
def test_a_code_used_twice_is_refused(world, live_webwork):
    client = Client()
    back_to = consent(client, client.get(LOGIN)["Location"])
    code = parse_qs(urlsplit(back_to).query)["code"][0]
    oauth.token_exchange(code=code, code_verifier=client.session["webwork_oauth"]["code_verifier"])

    back = client.get(path_of(back_to), follow=True)

    assert "expired or was already used" in shown(back)
    assert not back.wsgi_request.user.is_authenticated


def test_sign_in_without_an_oauth_app_says_what_to_set(settings, client):
    settings.WEBWORK_OAUTH_CLIENT_ID = ""

    page = client.get(LOGIN)

    assert page.status_code == 503
    text = shown(page)
    assert "Sign-in with WebWork is not set up" in text
    assert "WEBWORK_OAUTH_CLIENT_ID" in text
    assert f"{settings.WEBWORK_PUBLIC_BASE_URL}{CALLBACK}" in text


def test_the_login_keeps_only_a_local_next_page(sandbox_app, client):
    client.get(LOGIN, {"next": "https://evil.example/phish"})
    assert client.session["webwork_oauth"]["next"] == ""

    client.get(LOGIN, {"next": "/w/7/"})
    assert client.session["webwork_oauth"]["next"] == "/w/7/"


# --- signing out ---------------------------------------------------------------------------------


def manager_of(*workspaces, username="manager", role="Owner", can_manage=True, **connection):
    user = get_user_model().objects.create_user(username)
    link = Connection.objects.create(
        user=user,
        webwork_user_id=connection.pop("webwork_user_id", 500),
        access_token="wwat_x",
        email=f"{username}@acme.test",
        **connection,
    )
    for workspace in workspaces:
        WorkspaceAccess.objects.create(
            user=user, workspace=workspace, connection=link, role=role, can_manage=can_manage
        )
    return user


def test_sign_out_is_a_post_with_csrf():
    user = manager_of()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    home = browser.get("/")
    token = csrf_token(home.content.decode())

    assert browser.get("/auth/logout/").status_code == 405
    assert browser.post("/auth/logout/").status_code == 403
    assert browser.get("/").wsgi_request.user.is_authenticated

    out = browser.post("/auth/logout/", {"csrfmiddlewaretoken": token}, follow=True)

    assert out.redirect_chain == [("/", 302)]
    assert not out.wsgi_request.user.is_authenticated
    assert "You are signed out." in shown(out)
    assert "Sign in with WebWork" in shown(out)


# --- the pages a manager sees first -------------------------------------------------------------


def test_a_connection_needing_sign_in_is_announced_with_a_button(client):
    acme = Workspace.objects.create(webwork_id=1, name="Acme")
    user = manager_of(
        acme,
        status=Connection.Status.NEEDS_SIGN_IN,
        last_error="WebWork no longer accepts this sign-in (The refresh token has been revoked).",
    )
    client.force_login(user)

    for url in ("/", "/w/1/"):
        text = shown(client.get(url))
        assert "WebWork needs you to sign in again as manager@acme.test" in text, url
        assert "The refresh token has been revoked" in text, url
        assert f'href="{LOGIN}">Sign in with WebWork again</a>' in text, url


def test_an_active_connection_shows_no_banner(client):
    client.force_login(manager_of(Workspace.objects.create(webwork_id=1, name="Acme")))

    assert "sign in again" not in shown(client.get("/"))


def test_the_home_page_lists_workspaces_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    user = manager_of(username="boss")
    connection = user.webwork_connections.get()
    for number in range(1, 9):
        workspace = Workspace.objects.create(webwork_id=number, name=f"Workspace {number}")
        WorkspaceAccess.objects.create(
            user=user, workspace=workspace, connection=connection, role="Owner", can_manage=number % 2 == 1
        )
        for n in range(number):
            Member.objects.create(
                workspace=workspace, webwork_id=str(n), email=f"m{n}@x.test", role="Regular User"
            )
    Member.objects.filter(workspace__webwork_id=3, webwork_id="0").update(removed_at=timezone.now())
    Project.objects.create(workspace=Workspace.objects.get(webwork_id=3), webwork_id="p1", name="Website")
    client.force_login(user)

    with django_assert_max_num_queries(5):
        page = client.get("/")

    text = shown(page)
    assert text.count('class="workspace-name" href="/w/') == 4
    assert "Owner · 2 members" in text  # Workspace 3: one of its three members was removed
    assert text.count("not manageable (your role: Owner)") == 4


def test_a_workspace_with_no_sync_yet_says_so(client):
    acme = Workspace.objects.create(webwork_id=1, name="Acme Studio")
    client.force_login(manager_of(acme))

    text = shown(client.get("/w/1/"))

    assert "No sync has run for this workspace yet." in text
    assert "The first sync is still reading this" in text
    assert re.search(r'data-count="approvals">0<', text)
