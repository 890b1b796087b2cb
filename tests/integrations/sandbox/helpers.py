"""Checks and calls the sandbox API tests share."""

from django.db import connections
from django.test.utils import CaptureQueriesContext


def assert_envelope(response, status=200):
    """The answer has `status` and WebWork's envelope; returns its body."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is (status < 400)
    assert body["meta"]["api_version"] == "2.0.0"
    assert body["meta"]["timestamp"].endswith("Z")
    return body


def assert_error(response, status, *fields):
    """An error answer with `status` and a message, naming each of `fields` in its errors and message."""
    body = assert_envelope(response, status)
    assert body["message"]
    for name in fields:
        assert name in body["errors"], body
        assert name in body["message"]
    return body


def sandbox_queries(call):
    """How many queries `call()` runs on the sandbox database; its answer must be a success."""
    with CaptureQueriesContext(connections["sandbox"]) as queries:
        assert_envelope(call())
    return len(queries)


def entries_of(api, world, date, user=None, **params):
    """The time entries GET /time-entries lists for `user` (default Alice) in Acme on `date`."""
    response = api.get(
        "time-entries", workspace_id=world.acme.id, user_id=(user or world.alice).id, date=date, **params
    )
    return assert_envelope(response)["data"]
