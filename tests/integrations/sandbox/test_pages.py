"""The sandbox's own pages wear WebWork's frame, not Clockroom's: whoever asks for a password on
the sign-in page is WebWork's sandbox, and only the consent text names the app asking."""

import re
from types import SimpleNamespace

import pytest

from integrations.sandbox.oauth.services import oauth_application_register

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

AUTHORIZE = "/sandbox/oauth/authorize"
REDIRECT = "https://clockroom.example/oauth/callback"


@pytest.fixture
def app(world):
    application, _secret = oauth_application_register(name="Clockroom", redirect_uri=REDIRECT)
    return SimpleNamespace(client_id=application.client_id)


def sign_in_page(client, app):
    params = {"client_id": app.client_id, "redirect_uri": REDIRECT, "response_type": "code", "scope": "read"}
    response = client.get(AUTHORIZE, params)
    assert response.status_code == 200, response.content
    return response.content.decode()


def header_and_footer(html):
    header = re.search(r"<header\b.*?</header>", html, re.S).group(0)
    footer = re.search(r"<footer\b.*?</footer>", html, re.S).group(0)
    return header, footer


def test_the_sign_in_page_is_webworks_sandbox_not_clockroom(app, client):
    html = sign_in_page(client, app)
    header, footer = header_and_footer(html)

    assert "WebWork" in header
    assert ">sandbox<" in header
    assert "a stand-in for WebWork on this machine" in header
    assert "/static/sandbox/sandbox.css" in html
    assert "<title>Sign in to WebWork · WebWork sandbox</title>" in html
    # Nothing of Clockroom's frame: its stylesheet, brand link, navigation, icon or footer.
    assert "css/clockroom.css" not in html
    assert 'class="brand"' not in html
    assert 'class="topbar"' not in html
    assert "/static/favicon.svg" not in html
    assert "Clockroom" not in header + footer
    # The app asking is named once, in the consent text, and only there.
    assert html.count("Clockroom") == 1
    assert "<strong>Clockroom</strong> wants to use your WebWork account" in html


def test_the_sign_in_form_keeps_its_fields_and_target(app, client):
    html = sign_in_page(client, app)

    assert f'action="{AUTHORIZE}"' in html
    for name in ("csrfmiddlewaretoken", "client_id", "redirect_uri", "response_type", "scope"):
        assert f'name="{name}"' in html, name
    for name, kind, label in (("email", "email", "Email"), ("password", "password", "Password")):
        labelled = rf'<label for="id_{name}">{label}</label>\s*<input type="{kind}" name="{name}"'
        assert re.search(labelled, html), name
    assert 'name="decision" value="allow"' in html
    assert 'name="decision" value="deny"' in html


def test_the_error_page_and_the_index_wear_the_same_frame(app, client):
    error = client.get(AUTHORIZE, {"client_id": "nobody", "redirect_uri": REDIRECT})
    index = client.get("/sandbox/")

    assert error.status_code == 400
    assert index.status_code == 200
    for html in (error.content.decode(), index.content.decode()):
        header, _footer = header_and_footer(html)
        assert "a stand-in for WebWork on this machine" in header
        assert "Clockroom" not in html
        assert "css/clockroom.css" not in html


def test_the_sandbox_pages_need_no_inline_style_or_script(app, client):
    for html in (sign_in_page(client, app), client.get("/sandbox/").content.decode()):
        assert " style=" not in html
        assert "<style" not in html
        assert re.findall(r"<script\b", html) == []
