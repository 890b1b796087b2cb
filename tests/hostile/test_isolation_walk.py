"""Tenant isolation across two organisations with real rows, walking every dashboard URL (page,
partial, export and form) from tests/hostile/urls.py, and CSRF on every POST.

tests/dashboard/test_permissions.py walks every URL of a workspace its user does not manage (with
made-up ids). Here a manager of Acme asks for Globex's real rows through Acme's URLs, puts Globex's
ids in every filter and form, and must never see a Globex row (their names all hold GLOBEX).
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dashboard.models import SavedReport
from integrations import models as mirror
from tests.hostile.conftest import LEAK
from tests.hostile.urls import TABLE, dashboard_patterns, path_arguments, url_of

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

HTMX = {"HX-Request": "true"}
ID_PARAMS = ("member", "project", "task", "contract", "category", "item", "actor", "saved", "rows", "of")
WORKSPACE_URLS = [name for name, spec in TABLE.items() if spec.workspace]
ROW_URLS = [name for name in WORKSPACE_URLS if path_arguments(name)]


def body_of(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.fixture
def acme_manager(tenants):
    browser = Client()
    browser.force_login(tenants.acme.user)
    return browser


def globex_rows_in_acme_url(name, tenants):
    """`name`'s URL in Acme's workspace, every row argument naming Globex's row instead."""
    globex = tenants.globex.path_values()
    spec = TABLE[name]
    replace = {}
    for argument in path_arguments(name):
        value = globex[argument]
        replace[argument] = value[spec.rows] if argument == "webwork_id" else value
    return url_of(name, tenants.acme, **replace)


@pytest.mark.parametrize("name", ROW_URLS)
def test_another_workspaces_row_through_our_url_is_404(tenants, acme_manager, name):
    path = globex_rows_in_acme_url(name, tenants)
    assert path != url_of(name, tenants.acme)
    methods = ["get"] + (["post"] if TABLE[name].post is not None else [])
    for method in methods:
        for headers in ({}, HTMX):
            response = getattr(acme_manager, method)(path, headers=headers)
            # A GET of a URL that takes only POST: 405 before the row is read (it reveals nothing).
            expected = {404, 405} if method == "get" else {404}
            assert response.status_code in expected, f"{method} {path}: {response.status_code}"


@pytest.mark.parametrize("name", WORKSPACE_URLS)
def test_another_workspaces_url_with_its_real_rows_is_404(tenants, acme_manager, name):
    """Globex's own URLs with Globex's own rows, asked by Acme's manager."""
    path = url_of(name, tenants.globex)
    for method in ["get"] + (["post"] if TABLE[name].post is not None else []):
        response = getattr(acme_manager, method)(path, headers=HTMX)
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"


@pytest.mark.parametrize("name", WORKSPACE_URLS)
def test_another_workspaces_ids_in_filters_and_forms_show_nothing_of_it(tenants, acme_manager, name):
    spec = TABLE[name]
    globex_ids = tenants.globex.ids()
    path = url_of(name, tenants.acme)
    asks = [("get", spec.get)] + ([("post", spec.post)] if spec.post is not None else [])
    for method, params in asks:
        ids = {param: globex_ids.get(param, globex_ids["member"]) for param in params if param in ID_PARAMS}
        if params and not ids:
            ids = {param: globex_ids["member"] for param in params}
        for headers in ({}, HTMX):
            response = getattr(acme_manager, method)(path, ids, headers=headers)
            assert response.status_code < 500, f"{method} {path}: {response.status_code}"
            assert LEAK not in body_of(response), f"{method} {path} with Globex's ids shows a Globex row"
    # Nothing of Globex's was changed through Acme's forms.
    assert SavedReport.objects.filter(workspace=tenants.globex.workspace).count() == 1
    assert mirror.BulkDecision.objects.filter(workspace=tenants.globex.workspace).count() == 1


def test_no_page_of_ours_shows_another_workspaces_rows(tenants, acme_manager):
    """The walk can fail: Acme's own rows show (a page that showed nothing would pass it)."""
    people = body_of(acme_manager.get(url_of("people", tenants.acme)))
    expenses_csv = body_of(acme_manager.get(url_of("expenses_csv", tenants.acme)))

    assert "Acmemember" in people
    assert "Acme expense" in expenses_csv
    assert LEAK not in people + expenses_csv


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_every_post_without_a_csrf_token_is_403(tenants, htmx):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(tenants.acme.user)
    headers = HTMX if htmx else {}
    saved = SavedReport.objects.count()
    audited = mirror.AuditEvent.objects.count()
    posted = 0
    for name, spec in TABLE.items():
        path = url_of(name, tenants.acme) if spec.workspace else "/" + str(dashboard_patterns()[name].pattern)
        fields = {field: "1" for field in (spec.post or ())}
        response = browser.post(path, fields, headers=headers)
        assert response.status_code == 403, f"POST {path}: {response.status_code}"
        posted += spec.post is not None
    assert posted == sum(1 for spec in TABLE.values() if spec.post is not None)
    assert SavedReport.objects.count() == saved
    assert mirror.AuditEvent.objects.count() == audited
    assert browser.get(url_of("people", tenants.acme)).status_code == 200  # still signed in


def test_only_the_webhook_intake_is_exempt_from_csrf():
    """Every view outside the sandbox and the admin checks the CSRF token but WebWork's own
    deliveries (authenticated by the registration's token instead)."""
    exempt = []

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if route.startswith(("sandbox/", "admin/")):
                continue
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and getattr(entry.callback, "csrf_exempt", False):
                exempt.append(route)

    walk(get_resolver().url_patterns, "")

    assert exempt == ["integrations/webhooks/<uuid:webhook_uuid>/"]
