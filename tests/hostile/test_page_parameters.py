"""Every query parameter and form field of every dashboard page, partial, export and form, walked
with the hostile corpus by a manager of the workspace: never a 500; a clear 4xx, or the page with
the bad value ignored; no markup of the corpus comes back unescaped; no redirect leaves the site.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from dashboard.models import SavedReport
from tests.hostile import corpus
from tests.hostile.urls import TABLE, Spec, dashboard_patterns, path_arguments, url_of

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

HTMX = {"HX-Request": "true"}
READ_BY_NAME = re.compile(r"\b(?:GET|POST|query|data)\.(?:get|getlist)\(\s*\"(\w+)\"")


def test_every_dashboard_url_is_in_the_table():
    """A new URL must say what it reads, so the walks below cover it."""
    names = set(dashboard_patterns())

    assert names, "the walk found no dashboard URL"
    assert names - set(TABLE) == set(), "add these URL names to tests/hostile/urls.py TABLE"
    assert set(TABLE) - names == set(), "these URL names are gone: remove them from TABLE"


def test_the_table_names_every_parameter_the_views_read():
    """A parameter a view or a selector reads by name (`request.GET.get("x")`, `query.get("x")`,
    `data.get("x")`) is in some URL's line of the table, so the walk sends it hostile values."""
    root = Path(__file__).resolve().parents[2] / "dashboard"
    sources = [*root.glob("views/*.py"), *root.glob("selectors/*.py"), root / "frame.py", root / "forms.py"]
    read = set()
    for source in sources:
        read |= set(READ_BY_NAME.findall(source.read_text()))
    in_table = {name for spec in TABLE.values() for name in (*spec.get, *(spec.post or ()))}

    assert read, "no parameter found: the pattern no longer matches the views"
    assert read - in_table == set(), "add these parameters to their URLs in tests/hostile/urls.py"


def check(response, *, path):
    """What every answer to hostile input must be."""
    status = response.status_code
    assert status < 500, f"{path}: {status}"
    # 286: htmx's "stop polling" (a finished bulk decision's panel).
    assert status in (200, 204, 286, 301, 302, 303, 400, 403, 404, 405, 413), f"{path}: {status}"
    location = response.get("Location", "")
    if location:
        parts = urlsplit(location)
        internal = not parts.scheme and not parts.netloc and location.startswith("/")
        to_webwork = location.startswith(settings.WEBWORK_OAUTH_AUTHORIZE_URL + "?")
        assert internal or to_webwork, f"{path} redirects off the site: {location!r}"
    content_type = response.get("Content-Type", "")
    if content_type.startswith("text/html") and not getattr(response, "streaming", False):
        text = response.content.decode("utf-8", "replace")
        assert corpus.unescaped_markup(text) == [], f"{path}: hostile markup reflected unescaped"


def walked(name):
    spec = TABLE[name]
    return not spec.elsewhere


WALKED = [name for name in TABLE if walked(name)]


@pytest.fixture
def manager(tenants):
    browser = Client()
    browser.force_login(tenants.acme.user)
    return browser


def send(browser, method, path, data, *, htmx):
    headers = HTMX if htmx else {}
    if method == "get":
        response = browser.get(path, data, headers=headers)
    else:
        response = browser.post(path, data, headers=headers)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # an export fails while it streams, if it fails
    return response


@pytest.mark.parametrize("name", WALKED)
def test_every_parameter_of_every_page_takes_the_corpus(tenants, manager, name):
    spec: Spec = TABLE[name]
    path = url_of(name, tenants.acme) if spec.workspace else dashboard_patterns_path(name)
    methods = [("get", spec.get)] + ([("post", spec.post)] if spec.post is not None else [])
    for method, params in methods:
        # A view that reads nothing gets a few stray parameters (each may reach WebWork).
        values = corpus.VALUES if params else corpus.VALUES[::8]
        for index, value in enumerate(values):
            data = {param: value for param in params} or {"junk": value}
            check(send(manager, method, path, data, htmx=index % 2 == 1), path=f"{method} {path} {value!r}")
        # Every parameter repeated with the whole corpus at once.
        data = {param: list(corpus.VALUES) for param in params}
        check(send(manager, method, path, data, htmx=False), path=f"{method} {path} repeated")


def dashboard_patterns_path(name):
    return "/" + str(dashboard_patterns()[name].pattern)


@pytest.mark.parametrize("name", [name for name in WALKED if TABLE[name].workspace and path_arguments(name)])
def test_every_path_argument_takes_the_corpus(tenants, manager, name):
    """An id in the path that names nothing of the workspace is a 404, whatever it holds."""
    for argument in path_arguments(name):
        for index, value in enumerate(corpus.VALUES):
            if not value:
                continue
            path = url_of(name, tenants.acme, **{argument: value})
            method = "post" if TABLE[name].post is not None and index % 3 == 0 else "get"
            response = send(manager, method, path, {}, htmx=index % 2 == 1)
            check(response, path=f"{method} {path}")
            # 400: a NUL character, refused before any view (config/middleware.py).
            assert response.status_code in (400, 404, 405), f"{method} {path}: {response.status_code}"


@pytest.mark.parametrize(
    ("method", "where"),
    [("get", "query"), ("get", "key"), ("post", "form"), ("get", "path")],
)
def test_a_nul_character_anywhere_is_refused_before_the_database(tenants, manager, method, where):
    """PostgreSQL's text cannot hold a NUL: a filter or lookup with one would fail there, so it
    never reaches a view (SQLite would take it, so this is checked here on any database)."""
    people = url_of("people", tenants.acme)
    if where == "path":
        path, data = url_of("person", tenants.acme, webwork_id="1\x00"), {}
    elif where == "key":
        path, data = people, {"q\x00": "x"}
    elif where == "form":
        path, data = url_of("people_invite", tenants.acme), {"email": "a@b.test", "firstname": "A\x00"}
    else:
        path, data = people, {"q": "a\x00b"}

    response = send(manager, method, path, data, htmx=False)

    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "period=custom&from=9999-12-31&to=9999-12-31&member=%C2%B2&project=99999999999999999999",
        "period=custom&from=0001-01-01&to=0001-01-01&by=%3Cscript%3E&then=' OR 1=1 --",
        "member=" + ",".join(str(n) for n in range(500)),
        "%%%&&&===",
    ],
)
@pytest.mark.parametrize(
    "report", ["hours", "timeline", "activity", "tasks", "descriptions", "attendance", "x"]
)
def test_a_saved_report_keeps_nothing_hostile(tenants, manager, report, query):
    """Saving reads the report's query string again: only this workspace's ids and real periods."""
    path = url_of("report_save", tenants.acme)

    response = send(
        manager, "post", path, {"report": report, "name": f"Q {report}", "query": query}, htmx=False
    )

    check(response, path=f"{path} {report} {query}")
    for saved in SavedReport.objects.filter(workspace=tenants.acme.workspace, name=f"Q {report}"):
        assert "script" not in saved.query
        assert "9999" not in saved.query
        opened = manager.get(url_of("report_saved", tenants.acme, saved_id=saved.pk), follow=True)
        check(opened, path=f"saved {saved.query}")


def test_the_webhook_intake_reads_its_own_body_with_a_nul(tenants, client):
    """The intake (exempt from CSRF) is left to answer a NUL in its own words."""
    response = client.post(
        "/integrations/webhooks/00000000-0000-0000-0000-000000000000/",
        "a=\x00",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 404  # no such registration: the intake itself answered


@pytest.mark.parametrize("method", ["put", "delete", "head"])
def test_other_methods_are_refused_plainly(tenants, manager, method):
    for name, spec in TABLE.items():
        path = url_of(name, tenants.acme) if spec.workspace else dashboard_patterns_path(name)
        response = manager.generic(
            method.upper(), path, "x=1", content_type="application/x-www-form-urlencoded"
        )
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        allowed = (200, 302) if method == "head" and spec.get is not None else ()
        assert response.status_code in (405, *allowed), f"{method} {path}: {response.status_code}"
