"""The base page in a real Chromium: htmx loads from our origin and nothing breaks the CSP."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_base_page_runs_htmx_without_csp_violations(live_server, page):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(live_server.url + "/")

    assert page.locator("h1").inner_text() == "Clockroom"
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("htmx.version").startswith("2.0")
    assert all(url.startswith(live_server.url) for url in requested), requested
    assert problems == []
