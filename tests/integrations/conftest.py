"""Fixtures shared by the integration tests: a small sandbox world of two workspaces, a bearer-token
client for the sandbox API, and Clockroom's WebWork client talking to the sandbox over WSGI."""

import json
from dataclasses import dataclass

import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client

from integrations.sandbox.models import Membership, SandboxUser, Workspace
from integrations.sandbox.models.accounts import Role
from integrations.sandbox.tokens import access_token_issue
from integrations.webwork.client import WebWorkClient

API = "/sandbox/api/v2/"
SANDBOX_API = "http://testserver/sandbox/api/v2"


class ApiClient:
    """Calls the sandbox API through Django's test client with a bearer token."""

    def __init__(self, token=None):
        self.client = Client()
        self.token = token

    def as_user(self, user, scope="read write admin"):
        raw, _ = access_token_issue(user=user, scope=scope)
        return ApiClient(raw)

    def request(
        self,
        method,
        path,
        *,
        params=None,
        json_body=None,
        headers=None,
        raw_body=None,
        content_type="application/json",
    ):
        headers = dict(headers or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        url = API + path.lstrip("/")
        if raw_body is None:
            raw_body = json.dumps(json_body) if json_body is not None else ""
        if params:
            from urllib.parse import urlencode

            url += "?" + urlencode(params, doseq=True)
        return self.client.generic(method, url, data=raw_body, content_type=content_type, headers=headers)

    def get(self, path, **params):
        return self.request("GET", path, params=params)

    def post(self, path, body=None, **params):
        return self.request("POST", path, json_body=body if body is not None else {}, params=params)

    def put(self, path, body=None, **params):
        return self.request("PUT", path, json_body=body if body is not None else {}, params=params)

    def delete(self, path, body=None, **params):
        return self.request("DELETE", path, json_body=body, params=params)


@dataclass
class World:
    """Two workspaces. Acme: owner, executive manager (sees rates), team manager, two regular
    users, a project viewer. Globex: another owner; Acme's executive manager is a regular user there."""

    acme: Workspace
    globex: Workspace
    owner: SandboxUser
    manager: SandboxUser
    team_manager: SandboxUser
    alice: SandboxUser
    bob: SandboxUser
    viewer: SandboxUser
    globex_owner: SandboxUser


def make_user(email, first, last, **extra):
    user = SandboxUser(email=email, firstname=first, lastname=last, **extra)
    user.set_password("demo")
    user.save()
    return user


@pytest.fixture
def world(db):
    owner = make_user("owner@acme.test", "Olivia", "Owens", timezone="Europe/Berlin")
    manager = make_user("manager@acme.test", "Marcus", "Reed")
    team_manager = make_user("lead@acme.test", "Tara", "Lind")
    alice = make_user("alice@acme.test", "Alice", "Moreau")
    bob = make_user("bob@acme.test", "Bob", "Okafor")
    viewer = make_user("client@northwind.test", "Nora", "West")
    globex_owner = make_user("owner@globex.test", "Gus", "Hale")

    acme = Workspace.objects.create(name="Acme Studio", owner=owner, timezone="Europe/Berlin", currency="EUR")
    globex = Workspace.objects.create(name="Globex Labs", owner=globex_owner)
    for user, role, extra in [
        (owner, Role.OWNER, {"rate": 90}),
        (manager, Role.EXECUTIVE_MANAGER, {"rate_status": 1, "rate": 70}),
        (team_manager, Role.TEAM_MANAGER, {"rate": 55}),
        (alice, Role.REGULAR_USER, {"rate": 40, "weekly_hours_limit": 40}),
        (bob, Role.REGULAR_USER, {"rate": 35}),
        (viewer, Role.PROJECT_VIEWER, {}),
    ]:
        Membership.objects.create(workspace=acme, user=user, role=role, **extra)
    Membership.objects.create(workspace=globex, user=globex_owner, role=Role.OWNER)
    Membership.objects.create(workspace=globex, user=manager, role=Role.REGULAR_USER)
    return World(acme, globex, owner, manager, team_manager, alice, bob, viewer, globex_owner)


@pytest.fixture
def api():
    """An unauthenticated client; `api.as_user(user)` gives one with a fresh token."""
    return ApiClient()


@pytest.fixture
def owner_api(world, api):
    return api.as_user(world.owner)


@pytest.fixture
def manager_api(world, api):
    return api.as_user(world.manager)


@pytest.fixture
def sandbox_transport():
    """Real HTTP semantics, in process: httpx speaks WSGI to this Django, which serves the sandbox.

    As Django's test client does, requests keep the test's database connections open (a
    request otherwise closes them at its end, and with them the test's transaction).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield httpx.WSGITransport(app=get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def wsgi(sandbox_transport):
    """Client settings that reach the sandbox in process (real HTTP semantics, over WSGI)."""
    return {"base_url": SANDBOX_API, "transport": sandbox_transport, "sleep": lambda seconds: None}


@pytest.fixture
def make_client(sandbox_transport):
    """A WebWorkClient for a sandbox user, sleeping not at all unless told."""
    clients = []

    def make(user, **kwargs):
        raw, _ = access_token_issue(user=user)
        kwargs.setdefault("get_token", lambda: raw)
        kwargs.setdefault("sleep", lambda seconds: None)
        client = WebWorkClient(base_url=SANDBOX_API, transport=sandbox_transport, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
