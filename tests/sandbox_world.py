"""The sandbox world the tests share: two workspaces of people (`World`, built by the `world`
fixture in tests/conftest.py), a bearer-token client for the sandbox API, and the sandbox API's
address for Clockroom's WebWork client."""

import json
from dataclasses import dataclass

from django.test import Client

from integrations.sandbox.models import SandboxUser, Workspace
from integrations.sandbox.tokens import access_token_issue

API = "/sandbox/api/v2/"
SANDBOX_API = "http://testserver/sandbox/api/v2"
CALLBACK = "/auth/webwork/callback/"  # Clockroom's OAuth2 callback path


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


def sync_connection_for(workspace, user):
    """Make `user` (a sandbox user) the WebWork sign-in `workspace` (a mirror workspace) syncs and
    writes with, as connecting it would: a personal connection holding a token the sandbox issued.
    Returns the Connection."""
    from django.contrib.auth import get_user_model

    from integrations.models import Connection

    raw, _ = access_token_issue(user=user)
    django_user, _ = get_user_model().objects.get_or_create(username=f"webwork-{user.id}")
    connection, _ = Connection.objects.update_or_create(
        webwork_user_id=user.id,
        defaults={
            "user": django_user,
            "kind": Connection.Kind.PERSONAL,
            "email": user.email,
            "access_token": raw,
        },
    )
    workspace.sync_connection = connection
    workspace.save(update_fields=["sync_connection"])
    return connection


def mirror_connected(workspace, user):
    """`workspace` (a sandbox workspace) as Clockroom knows it once `user` connected it: the tenant
    row, in its own time zone, syncing and acting through `user`'s sign-in. Before any sync."""
    from django.utils import timezone

    from integrations.models import Workspace as Tenant

    tenant = Tenant.objects.create(
        webwork_id=workspace.id, name=workspace.name, timezone=workspace.timezone, connected_at=timezone.now()
    )
    sync_connection_for(tenant, user)
    return tenant
