"""Tenant isolation: a dashboard URL naming a workspace answers only that workspace's managers."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, reverse

from dashboard import urls as dashboard_urls
from dashboard.permissions import workspace_for_request
from integrations.models import Connection, Workspace, WorkspaceAccess

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

# A value for each path converter a dashboard URL may use.
SAMPLE_VALUES = {"int": 1, "str": "x", "slug": "x", "uuid": uuid.UUID(int=1), "path": "x"}


def workspace(webwork_id, name):
    return Workspace.objects.create(webwork_id=webwork_id, name=name)


def member(username, workspace, *, role="Owner", can_manage=True):
    """A Clockroom user with a WebWork connection and `role` in `workspace`."""
    user = get_user_model().objects.create_user(username)
    connection = Connection.objects.create(
        user=user, webwork_user_id=abs(hash(username)) % 10**9, access_token="wwat_" + username
    )
    WorkspaceAccess.objects.create(
        user=user, workspace=workspace, connection=connection, role=role, can_manage=can_manage
    )
    return user


def request_as(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.fixture
def tenants():
    acme, globex = workspace(101, "Acme"), workspace(202, "Globex")
    return acme, globex, member("acme-owner", acme), member("globex-owner", globex)


def test_a_manager_gets_their_workspace(tenants):
    acme, _, acme_owner, _ = tenants

    assert workspace_for_request(request_as(acme_owner), 101) == acme
    assert workspace_for_request(request_as(acme_owner), "101") == acme


@pytest.mark.parametrize("workspace_id", [202, 999, "abc", None, ""])
def test_anything_else_is_not_found(tenants, workspace_id):
    _, _, acme_owner, _ = tenants

    with pytest.raises(Http404):
        workspace_for_request(request_as(acme_owner), workspace_id)


def test_a_member_who_cannot_manage_is_not_let_in(tenants):
    acme = tenants[0]
    regular = member("acme-regular", acme, role="Regular User", can_manage=False)

    with pytest.raises(Http404):
        workspace_for_request(request_as(regular), 101)


def test_signed_out_visitors_are_not_let_in(tenants):
    with pytest.raises(Http404):
        workspace_for_request(request_as(AnonymousUser()), 101)


# --- every URL pattern ---------------------------------------------------------------------------


def workspace_patterns(patterns=None, namespace="dashboard"):
    """(URL name, converters) of every dashboard URL pattern that takes a <workspace_id>."""
    found = []
    for entry in dashboard_urls.urlpatterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            found += [
                (name, {**entry.pattern.converters, **converters})
                for name, converters in workspace_patterns(entry.url_patterns, inner)
            ]
        elif isinstance(entry, URLPattern) and "workspace_id" in entry.pattern.converters:
            assert entry.name, f"{entry.pattern} needs a name"
            found.append((f"{namespace}:{entry.name}", dict(entry.pattern.converters)))
    return found


def url_for(name, converters, workspace_id):
    kwargs = {}
    for key, converter in converters.items():
        kind = type(converter).__name__.removesuffix("Converter").lower()
        kwargs[key] = SAMPLE_VALUES.get(kind, "x")
    kwargs["workspace_id"] = workspace_id
    return reverse(name, kwargs=kwargs)


def test_the_walk_finds_the_workspace_pages():
    names = [name for name, _ in workspace_patterns()]

    assert "dashboard:workspace" in names


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_no_workspace_url_answers_a_manager_of_another_workspace(tenants, client, htmx):
    acme, _, _, globex_owner = tenants
    client.force_login(globex_owner)
    headers = {"HX-Request": "true"} if htmx else {}

    for name, converters in workspace_patterns():
        url = url_for(name, converters, acme.webwork_id)
        answers = {
            method: getattr(client, method)(url, headers=headers).status_code for method in ("get", "post")
        }
        # 405 (method refused before the view runs) reveals nothing; every view that runs says 404.
        assert set(answers.values()) <= {404, 405}, f"{url}: {answers}"
        assert 404 in answers.values(), f"{url}: {answers}"


def test_no_workspace_url_answers_a_signed_out_visitor(tenants, client):
    acme = tenants[0]

    for name, converters in workspace_patterns():
        url = url_for(name, converters, acme.webwork_id)
        assert client.get(url).status_code in (302, 404), url


def test_the_workspaces_own_manager_gets_in(tenants, client):
    acme, _, acme_owner, _ = tenants
    client.force_login(acme_owner)

    assert (
        client.get(reverse("dashboard:workspace", kwargs={"workspace_id": acme.webwork_id})).status_code
        == 200
    )
