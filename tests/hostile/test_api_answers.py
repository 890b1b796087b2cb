"""Odd answers from WebWork: an HTML error page, a truncated or empty body, the list missing or of
the wrong type, items with fields missing, null, of the wrong type or unknown. Each one gives a
recorded, recoverable sync error (its SyncRun failed, shown on Sync health, the step owed to the
next sync) or a tolerated value, never a crash and never a mirror that lost what it held: once
WebWork answers normally again, one sync brings everything back.

The answers are corrupted on the wire (`OddWire`, set as WEBWORK_HTTP_TRANSPORT, the tests' seam
for the wire): the sandbox answers, and its answer is rewritten before the client reads it.
"""

import json

import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from integrations import models as mirror
from integrations.sync.orchestrator import workspace_sync
from tests.dashboard.helpers import connected_by_owner, words
from tests.sandbox_world import make_user

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

# The lists a sync reads whose rows the pages show; each is corrupted in turn.
LISTS = ("members", "projects", "contracts")
HTML_PAGE = b"<!doctype html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"


def _retyped(value):
    """A value of another JSON type than `value`'s."""
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return f"n{value}"
    if isinstance(value, str):
        return {"text": value}
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return [value]
    return 12345


def _items(body, change):
    data = body.get("data")
    if isinstance(data, list):
        body["data"] = [change(item) if isinstance(item, dict) else item for item in data]
    return body


# name: (how the answer is rewritten, whether WebWork's answer is still one the sync may use)
ODD = {
    "html-error-page": lambda status, raw: (502, HTML_PAGE, "text/html"),
    "html-with-200": lambda status, raw: (200, HTML_PAGE, "text/html"),
    "truncated-body": lambda status, raw: (status, raw[: len(raw) // 2], "application/json"),
    "empty-body": lambda status, raw: (status, b"", "application/json"),
    "json-not-an-object": lambda status, raw: (status, b"[1, 2, 3]", "application/json"),
    "list-missing": lambda status, raw: _json(
        status, raw, lambda b: {k: v for k, v in b.items() if k != "data"}
    ),
    "list-null": lambda status, raw: _json(status, raw, lambda b: {**b, "data": None}),
    "list-an-object": lambda status, raw: _json(
        status, raw, lambda b: {**b, "data": {"items": b.get("data")}}
    ),
    "list-a-string": lambda status, raw: _json(status, raw, lambda b: {**b, "data": "members"}),
    "items-not-objects": lambda status, raw: _json(status, raw, lambda b: {**b, "data": [1, "x", None, []]}),
    "items-without-id": lambda status, raw: _json(
        status, raw, lambda b: _items(b, lambda i: {k: v for k, v in i.items() if k != "id"})
    ),
    "items-null-fields": lambda status, raw: _json(
        status, raw, lambda b: _items(b, lambda i: {k: (v if k == "id" else None) for k, v in i.items()})
    ),
    "items-all-null": lambda status, raw: _json(status, raw, lambda b: _items(b, lambda i: dict.fromkeys(i))),
    "items-wrong-types": lambda status, raw: _json(
        status,
        raw,
        lambda b: _items(b, lambda i: {k: (v if k == "id" else _retyped(v)) for k, v in i.items()}),
    ),
    "items-id-wrong-type": lambda status, raw: _json(
        status, raw, lambda b: _items(b, lambda i: {**i, "id": {"id": i.get("id")}})
    ),
    "items-only-id": lambda status, raw: _json(
        status, raw, lambda b: _items(b, lambda i: {"id": i.get("id")})
    ),
    "items-extra-fields": lambda status, raw: _json(
        status, raw, lambda b: _items(b, lambda i: {**i, "surprise": {"nested": [1, None]}, "x" * 300: "y"})
    ),
    "success-false": lambda status, raw: _json(status, raw, lambda b: {**b, "success": False}),
    "pagination-odd": lambda status, raw: _json(
        status, raw, lambda b: {**b, "meta": {"pagination": {"current_page": "x", "last_page": None}}}
    ),
}


def _json(status, raw, change):
    return status, json.dumps(change(json.loads(raw))).encode(), "application/json"


class OddWire(httpx.BaseTransport):
    """The sandbox's wire, with every GET of `path` (a list: /members, not /members/5) answered
    oddly by `odd(status, raw body)` -> (status, body, content type)."""

    def __init__(self, inner, path, odd):
        self.inner, self.path, self.odd = inner, path, odd
        self.rewritten = 0

    def handle_request(self, request):
        response = self.inner.handle_request(request)
        if request.method != "GET" or not request.url.path.endswith(f"/{self.path}"):
            return response
        raw = response.read()
        response.close()
        status, body, content_type = self.odd(response.status_code, raw)
        self.rewritten += 1
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})


def current(model, workspace):
    return sorted(model.objects.current().filter(workspace=workspace).values_list("webwork_id", flat=True))


def shown_rows(workspace):
    """What the mirror holds that the pages show: the current members, projects and contracts,
    with the fields the pages read."""
    return {
        "members": sorted(
            mirror.Member.objects.current()
            .filter(workspace=workspace)
            .values_list("webwork_id", "firstname", "lastname", "email", "role")
        ),
        "projects": sorted(
            mirror.Project.objects.current()
            .filter(workspace=workspace)
            .values_list("webwork_id", "name", "status")
        ),
        "contracts": sorted(
            mirror.Contract.objects.current()
            .filter(workspace=workspace)
            .values_list("webwork_id", "user_webwork_id", "project_webwork_id", "weekly_hours_limit")
        ),
    }


@pytest.fixture
def synced(world, wire, settings):
    """Acme connected by its Owner with people, projects and contracts, synced once normally."""
    from integrations.sandbox import models as sandbox

    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Mobile app")
    sandbox.Contract.objects.create(
        workspace=world.acme, project=website, user=world.alice, rate=50, rate_type=2, weekly_hours_limit=40
    )
    sandbox.Contract.objects.create(
        workspace=world.acme, project=website, user=world.bob, weekly_hours_limit=20
    )
    make_user("extra@acme.test", "Extra", "Person")
    tenant, user = connected_by_owner(world)
    for resource in LISTS:
        result = workspace_sync(tenant, kind="full", resource=resource)
        assert not result.errors, result.errors
    before = shown_rows(tenant)
    assert all(before.values()), before
    return tenant, user, before


# The answers odd as a whole are read by the client the same way whatever the list: tried on one.
# The items odd are read by each resource's own sync: tried on each.
WHOLE = [name for name in ODD if not name.startswith("items-")]
CASES = [("members", name) for name in WHOLE] + [
    (path, name) for path in LISTS for name in ODD if name.startswith("items-")
]


@pytest.mark.parametrize(("path", "odd"), CASES)
def test_an_odd_answer_is_a_recorded_sync_error_or_tolerated_and_loses_nothing(
    synced, wire, settings, path, odd
):
    tenant, user, before = synced
    odd_wire = OddWire(wire, path, ODD[odd])
    settings.WEBWORK_HTTP_TRANSPORT = odd_wire
    failed_before = mirror.SyncRun.objects.filter(workspace=tenant, status="failed").count()

    result = workspace_sync(tenant, kind="full", resource=path)

    assert odd_wire.rewritten, "the odd answer was never sent"
    after = shown_rows(tenant)
    failed = mirror.SyncRun.objects.filter(workspace=tenant, status="failed").order_by("-pk")
    if failed.count() > failed_before:
        # A recorded error: the mirror kept what it held, and the error says what went wrong.
        assert after == before, f"{odd} on /{path} changed the mirror though the sync failed"
        assert failed.first().error
        assert result.errors or any(step.status == "failed" for step in result.plan.steps)
    else:
        # Tolerated: the same ids stay current (none lost), whatever the odd fields became.
        assert [row[0] for row in after[path]] == [row[0] for row in before[path]], (
            f"{odd} on /{path} lost rows without an error"
        )

    # Sync health shows the run, and every page still answers.
    browser = Client()
    browser.force_login(user)
    health = browser.get(f"/w/{tenant.webwork_id}/sync/")
    assert health.status_code == 200
    for page in ("people/", "projects/", "contracts/", ""):
        assert browser.get(f"/w/{tenant.webwork_id}/{page}").status_code == 200, page
    # Django's test client connected these again after its requests; the in-process wire needs
    # them apart (see tests/conftest.py sandbox_transport).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    # WebWork answers normally again: one sync brings everything back.
    settings.WEBWORK_HTTP_TRANSPORT = wire
    again = workspace_sync(tenant, kind="full", resource=path)
    assert not again.errors, again.errors
    assert shown_rows(tenant) == before


def test_a_failed_sync_is_named_on_sync_health(synced, wire, settings):
    tenant, user, _ = synced
    settings.WEBWORK_HTTP_TRANSPORT = OddWire(wire, "members", ODD["html-error-page"])

    workspace_sync(tenant, kind="full", resource="members")

    browser = Client()
    browser.force_login(user)
    page = words(browser.get(f"/w/{tenant.webwork_id}/sync/"))
    assert "The last sync of members failed; Clockroom tries again by itself." in page
    assert "ServerError: GET members: Bad Gateway (HTTP 502)" in page
