import os
import uuid
from types import SimpleNamespace

import pytest

from integrations.bench.environment import in_process_transport
from integrations.sandbox.models import Membership, Workspace
from integrations.sandbox.models.accounts import Role
from integrations.sandbox.oauth.services import oauth_application_register
from integrations.sandbox.tokens import access_token_issue
from integrations.webwork.client import WebWorkClient
from tests.integrations.helpers import CountingWire
from tests.sandbox_world import CALLBACK, SANDBOX_API, ApiClient, World, make_user

# The live server and Playwright's sync API share a thread with Django's ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright must never download a browser of its own."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(autouse=True)
def _redis_queue_starts_empty():
    """With the Redis broker, django-q2's queue lives outside the test database and its rollback:
    every test starts with it empty, as it does with the ORM broker."""
    from django_q.conf import Conf

    if Conf.ORM is None and Conf.REDIS:
        from django_q.brokers import get_broker

        get_broker().purge_queue()


@pytest.fixture(autouse=True)
def _redis_keys_of_this_test(settings):
    """With REDIS_URL set, the rate limiter's windows and the sync locks live in Redis, outside the
    test database's rollback: each test keeps its keys under a prefix of its own, so neither an
    earlier test nor another run sharing that Redis holds its locks or spends its budget."""
    settings.REDIS_KEY_PREFIX = f"clockroom-test-{uuid.uuid4().hex[:12]}"


# --- the sandbox world, and Clockroom's client reaching it -------------------------------------


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
def sandbox_transport(settings):
    """Real HTTP semantics, in process: httpx speaks WSGI to this Django, which serves the sandbox.

    As Django's test client does, requests keep the test's database connections open (a
    request otherwise closes them at its end, and with them the test's transaction). The same
    harness the benchmarks use.

    Every WebWorkClient made meanwhile, Clockroom's own included, takes this transport: the one
    seam for the wire (WEBWORK_HTTP_TRANSPORT). A test wraps it by setting that setting.
    """
    with in_process_transport() as transport:
        settings.WEBWORK_HTTP_TRANSPORT = transport
        settings.WEBWORK_API_BASE_URL = SANDBOX_API
        yield transport


@pytest.fixture
def wire(sandbox_transport, settings):
    """The wire every client takes, counting what is sent through it (`wire.sent`)."""
    counting = CountingWire(sandbox_transport)
    settings.WEBWORK_HTTP_TRANSPORT = counting
    return counting


@pytest.fixture
def make_client(sandbox_transport):
    """A WebWorkClient for a sandbox user, sleeping not at all unless told."""
    clients = []

    def make(user, **kwargs):
        raw, _ = access_token_issue(user=user)
        kwargs.setdefault("get_token", lambda: raw)
        kwargs.setdefault("sleep", lambda seconds: None)
        client = WebWorkClient(**kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def live_webwork(live_server, settings):
    """Clockroom configured against the sandbox served by a live server, over real HTTP, with the
    sandbox's OAuth2 app for Clockroom registered at the exact callback URL."""
    settings.WEBWORK_PUBLIC_BASE_URL = live_server.url
    settings.WEBWORK_API_BASE_URL = f"{live_server.url}/sandbox/api/v2"
    settings.WEBWORK_OAUTH_AUTHORIZE_URL = f"{live_server.url}/sandbox/oauth/authorize"
    settings.WEBWORK_OAUTH_TOKEN_URL = f"{live_server.url}/sandbox/oauth/token"
    application, secret = oauth_application_register(
        name="Clockroom", redirect_uri=f"{live_server.url}{CALLBACK}"
    )
    settings.WEBWORK_OAUTH_CLIENT_ID = application.client_id
    settings.WEBWORK_OAUTH_CLIENT_SECRET = secret
    return SimpleNamespace(url=live_server.url, application=application, secret=secret)
