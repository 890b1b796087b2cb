import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from integrations.sandbox.tokens import access_token_issue
from integrations.webwork.client import WebWorkClient
from tests.integrations.sandbox.conftest import api, world  # noqa: F401  (shared sandbox fixtures)

SANDBOX_API = "http://testserver/sandbox/api/v2"


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
