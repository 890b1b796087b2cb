"""The sandbox's sign-in page in a real Chromium: WebWork's frame (not Clockroom's), labelled
fields, a visible focus, nothing the Content-Security-Policy blocks, and no sideways scrolling on
a phone."""

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.sandbox_world import CALLBACK

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)]


def sign_in_url(live_webwork):
    query = urlencode(
        {
            "client_id": live_webwork.application.client_id,
            "redirect_uri": f"{live_webwork.url}{CALLBACK}",
            "response_type": "code",
            "scope": "read write",
            "state": "s-1",
        }
    )
    return f"{live_webwork.url}/sandbox/oauth/authorize?{query}"


def watch(page):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def fits_the_width(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_sign_in_page_is_webworks_at_any_width(world, live_webwork, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    problems = watch(page)

    page.goto(sign_in_url(live_webwork))

    expect(page).to_have_title("Sign in to WebWork · WebWork sandbox")
    banner = page.get_by_role("banner")
    expect(banner).to_contain_text("WebWork")
    expect(banner).to_contain_text("sandbox")
    expect(banner).to_contain_text("a stand-in for WebWork on this machine")
    expect(banner).not_to_contain_text("Clockroom")
    expect(page.get_by_role("contentinfo")).not_to_contain_text("Clockroom")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to WebWork")
    expect(page.locator("main")).to_contain_text("Clockroom wants to use your WebWork account")
    expect(page.get_by_label("Email")).to_be_focused()  # autofocus
    expect(page.get_by_label("Password")).to_be_visible()
    assert fits_the_width(page)
    assert problems == []


def test_keyboard_focus_is_visible_and_errors_are_announced(world, live_webwork, page):
    page.set_viewport_size({"width": 390, "height": 844})
    problems = watch(page)
    page.goto(sign_in_url(live_webwork))

    page.get_by_label("Email").fill("owner@acme.test")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("not the password")
    page.keyboard.press("Tab")
    allow = page.get_by_role("button", name="Allow")
    expect(allow).to_be_focused()
    assert allow.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"
    assert allow.evaluate("b => parseFloat(getComputedStyle(b).outlineWidth)") >= 2
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert")).to_contain_text("The email or password is incorrect")
    expect(page.get_by_label("Email")).to_have_value("owner@acme.test")
    assert fits_the_width(page)
    assert problems == []


def test_the_sandbox_index_wears_the_same_frame(world, live_webwork, page):
    page.set_viewport_size({"width": 390, "height": 844})
    problems = watch(page)

    page.goto(f"{live_webwork.url}/sandbox/")

    expect(page.get_by_role("heading", level=1)).to_have_text("WebWork sandbox")
    expect(page.get_by_role("banner")).to_contain_text("a stand-in for WebWork on this machine")
    expect(page.locator("body")).not_to_contain_text("Clockroom")
    assert fits_the_width(page)
    assert problems == []
