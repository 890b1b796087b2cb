"""The OAuth callback, walked with the hostile corpus: a missing, forged or repeated `state`, error
parameters of any shape, huge and unicode values, and a code WebWork issued to another client.
Every one sends the browser home with a plain message, signs nobody in and stores no connection.

tests/dashboard/test_auth.py has the sign-in itself, one forged state, a declined consent, an
expired and a reused code; this module adds the corpus.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from dashboard.views.auth import DECLINED, NO_CODE, SESSION_KEY, STATE_MISMATCH
from integrations.models import Connection
from integrations.sandbox.oauth.services import authorization_code_issue, oauth_application_register
from integrations.services.sign_in import CODE_SPENT
from tests.dashboard.helpers import shown
from tests.hostile import corpus

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

LOGIN = "/auth/webwork/login/"
CALLBACK = "/auth/webwork/callback/"


@pytest.fixture
def our_app(settings, world):
    """Our OAuth2 app at the sandbox; no WebWork token endpoint reachable (a port nobody serves),
    so a code that gets past our checks fails plainly rather than reaching a real server."""
    application, secret = oauth_application_register(
        name="Clockroom", redirect_uri=f"{settings.WEBWORK_PUBLIC_BASE_URL}{CALLBACK}"
    )
    settings.WEBWORK_OAUTH_CLIENT_ID = application.client_id
    settings.WEBWORK_OAUTH_CLIENT_SECRET = secret
    settings.WEBWORK_OAUTH_TOKEN_URL = "http://127.0.0.1:9/sandbox/oauth/token"
    return application


def started(browser):
    """The state of a sign-in started in `browser`."""
    start = browser.get(LOGIN)
    assert start.status_code == 302
    return parse_qs(urlsplit(start["Location"]).query)["state"][0]


def back_home(response):
    """The answer, followed home: the home page with the sign-in's message, nobody signed in."""
    assert response.status_code == 200, response.status_code
    assert [url for url, _ in response.redirect_chain] == ["/"]
    assert not response.wsgi_request.user.is_authenticated
    text = response.content.decode()
    assert corpus.unescaped_markup(text) == []
    return shown(response)


def test_a_callback_without_state_is_refused(our_app):
    browser = Client()
    started(browser)

    page = back_home(browser.get(CALLBACK, {"code": "abc"}, follow=True))

    assert STATE_MISMATCH in page
    assert SESSION_KEY not in browser.session  # the started sign-in is spent


WITHOUT_NUL = [value for value in corpus.VALUES if "\x00" not in value]  # NUL: a 400 before the view


@pytest.mark.parametrize("state", WITHOUT_NUL, ids=corpus.ids)
def test_a_forged_state_is_refused_whatever_it_holds(our_app, state):
    browser = Client()
    started(browser)

    page = back_home(browser.get(CALLBACK, {"code": "abc", "state": state}, follow=True))

    assert STATE_MISMATCH in page
    assert not Connection.objects.exists()


def test_a_state_repeated_with_a_forged_one_last_is_refused(our_app):
    browser = Client()
    state = started(browser)

    page = back_home(browser.get(CALLBACK, {"code": "abc", "state": [state, "forged"]}, follow=True))

    assert STATE_MISMATCH in page


def test_a_state_from_another_browser_is_refused(our_app):
    victim, attacker = Client(), Client()
    stolen = started(victim)
    started(attacker)

    page = back_home(attacker.get(CALLBACK, {"code": "abc", "state": stolen}, follow=True))

    assert STATE_MISMATCH in page


@pytest.mark.parametrize(
    "error", ["invalid_request", "server_error", *corpus.INJECTION, *corpus.TEXT[4:]], ids=corpus.ids
)
def test_any_error_parameter_is_shown_escaped_and_signs_nobody_in(our_app, error):
    browser = Client()
    state = started(browser)

    response = browser.get(
        CALLBACK, {"state": state, "error": error, "error_description": error * 3, "code": "abc"}, follow=True
    )
    page = back_home(response)

    if error.strip():
        assert "WebWork could not sign you in:" in page
        message = page.split("WebWork could not sign you in:", 1)[1]
        assert len(message.split("</")[0]) <= 201  # the description is cut at 200 characters
    else:
        assert NO_CODE in page  # an empty error is no error; and the code went nowhere


def test_access_denied_with_hostile_description_says_declined(our_app):
    browser = Client()
    state = started(browser)

    query = {"state": state, "error": "access_denied", "error_description": corpus.SCRIPT}
    page = back_home(browser.get(CALLBACK, query, follow=True))

    assert DECLINED in page


@pytest.mark.parametrize("code", ["", " ", "x" * 20_000, "ünïcødé ☃", corpus.SCRIPT, "a" * 8], ids=corpus.ids)
def test_a_missing_huge_or_odd_code_fails_plainly(our_app, code):
    browser = Client()
    state = started(browser)

    page = back_home(browser.get(CALLBACK, {"state": state, "code": code}, follow=True))

    assert NO_CODE in page if not code else "WebWork" in page
    assert not Connection.objects.exists()


def test_a_nul_in_the_callback_is_refused_before_the_view(our_app):
    browser = Client()
    state = started(browser)

    assert browser.get(CALLBACK, {"state": state, "code": "a\x00"}).status_code == 400
    assert SESSION_KEY in browser.session  # the view never ran: the sign-in may still complete


def test_only_get_reaches_the_callback(our_app):
    browser = Client()
    state = started(browser)

    assert browser.post(CALLBACK, {"state": state, "code": "abc"}).status_code == 405


@pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)
def test_a_code_issued_to_another_client_is_refused(world, live_webwork):
    """A code WebWork gave another app (say, one an attacker registered) does not sign anyone in
    here, even with our own state."""
    other, _ = oauth_application_register(name="Someone else", redirect_uri="https://else.example/callback")
    foreign = authorization_code_issue(
        application=other, user=world.owner, redirect_uri="https://else.example/callback", scope="read"
    )
    browser = Client()
    state = started(browser)

    page = back_home(browser.get(CALLBACK, {"state": state, "code": foreign}, follow=True))

    assert CODE_SPENT in page
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    "next_url", [*WITHOUT_NUL, "dashboard:logout", "/w/1/", "///evil.example"], ids=corpus.ids
)
def test_the_page_to_return_to_is_a_path_of_ours_or_none(our_app, next_url):
    """The sign-in keeps `next` until WebWork sends the manager back, then redirects there: only a
    path of this site is kept (a view name or a word would make the redirect fail)."""
    browser = Client()
    browser.get(LOGIN, {"next": next_url})

    kept = browser.session[SESSION_KEY]["next"]

    assert kept == "" or (kept.startswith("/") and not kept.startswith("//")), kept
    assert kept == ("/w/1/" if next_url == "/w/1/" else "")
