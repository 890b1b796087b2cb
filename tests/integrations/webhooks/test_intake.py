"""The intake: verify, store, acknowledge (202), queue; every bad request gets a clear status."""

import json
import statistics
import time
import uuid

import pytest
from django.db import connection

from integrations.crypto import decrypt
from integrations.models import WebhookDelivery, Workspace
from integrations.webhooks.processing import PROCESS_TASK
from tests.integrations.helpers import queued_tasks

from .conftest import event_body, intake_url, stored

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def body(workspace, registered):
    return event_body(
        workspace,
        "tracker.started",
        {"user_id": 5, "start_time": "2026-03-02T09:30:00+01:00", "project_id": 7},
        event_id="6f1c3a52-8f0e-4c1d-9a55-2b1f0e7c9d10",
    )


def queued_deliveries():
    return [task["args"] for task in queued_tasks() if task.get("func") == PROCESS_TASK]


def test_a_verified_delivery_is_stored_without_its_token_and_queued_once(
    workspace, body, deliver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(body)

    assert response.status_code == 202, response.content
    delivery = WebhookDelivery.objects.get()
    assert response.json()["delivery"] == delivery.pk
    assert (delivery.workspace, delivery.event, delivery.event_id) == (
        workspace,
        "tracker.started",
        "6f1c3a52-8f0e-4c1d-9a55-2b1f0e7c9d10",
    )
    assert delivery.status == WebhookDelivery.Status.RECEIVED
    assert delivery.event_at.isoformat() == body["timestamp"].replace("Z", "+00:00")
    assert "token" not in delivery.body
    assert delivery.body["data"] == body["data"]
    assert workspace.webhook_token not in json.dumps(delivery.body)
    assert queued_deliveries() == [(delivery.pk,)]


def test_the_token_may_come_in_the_body_only(body, deliver):
    response = deliver(body, header=None)

    assert response.status_code == 202, response.content
    assert len(stored()) == 1


@pytest.mark.parametrize(
    ("header", "body_token"),
    [
        ("whsec_wrong", "ours"),  # a wrong header is not saved by the right body token
        (None, None),
        ("", None),
        (None, "whsec_guess"),
        (None, 12345),
        (None, "whsec_" + "é" * 10),
        (None, "whsec_\ud800"),
    ],
    ids=[
        "wrong-header",
        "none",
        "empty-header",
        "wrong-body-token",
        "number-token",
        "non-ascii",
        "lone-surrogate",
    ],
)
def test_a_missing_or_wrong_token_is_refused_with_401(workspace, body, deliver, header, body_token):
    body = {**body, "token": workspace.webhook_token if body_token == "ours" else body_token}

    response = deliver(body, header=header)

    assert response.status_code == 401
    assert stored() == []


def test_an_unknown_address_is_404(body, deliver):
    response = deliver(body, to=f"/integrations/webhooks/{uuid.uuid4()}/")

    assert response.status_code == 404
    assert stored() == []


def test_a_workspace_with_no_registration_accepts_nothing(world, deliver):
    unregistered = Workspace.objects.create(webwork_id=world.globex.id, name="Globex Labs")

    response = deliver({"token": ""}, header="", to=intake_url(unregistered))

    assert response.status_code == 401


def test_a_body_over_256_kb_is_413(body, deliver):
    big = {**body, "data": {**body["data"], "activity_description": "x" * (256 * 1024)}}

    response = deliver(big)

    assert response.status_code == 413
    assert stored() == []


@pytest.mark.parametrize(
    "raw",
    ["{not json", "[1, 2, 3]", '"a string"', "", '{"id": NaN}', "[" * 100_000, b"\xff\xfe{}"],
    ids=["malformed", "array", "string", "empty", "nan", "deeply-nested", "not-utf8"],
)
def test_a_body_that_is_not_a_json_object_is_400(deliver, registered, raw):
    response = deliver(None, raw=raw)

    assert response.status_code == 400
    assert response.json()["message"]
    assert stored() == []


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("id", "\ud800", "not valid Unicode"),
        ("event", "tracker.\udfff", "not valid Unicode"),
        ("data", {"user_id": 5, "activity_description": "Fix \ud800"}, "not valid Unicode"),
        ("data", {"user_id": 5, "activity_description": "Fix\u0000"}, "a NUL character"),
        ("timestamp", "2026-13-45T10:00:00Z", "'2026-13-45T10:00:00Z' is not a real date and time"),
        ("timestamp", "2026-02-30T10:00:00Z", "'2026-02-30T10:00:00Z' is not a real date and time"),
        ("timestamp", "2026-03-02T25:00:00Z", "'2026-03-02T25:00:00Z' is not a real date and time"),
        ("timestamp", "0001-01-01T00:00:00+01:00", "is not a real date and time"),
    ],
    ids=[
        "surrogate-id",
        "surrogate-event",
        "surrogate-data",
        "nul-in-data",
        "month-13",
        "february-30",
        "hour-25",
        "before-year-1-in-utc",
    ],
)
def test_a_verified_body_clockroom_cannot_store_is_400_with_the_reason(deliver, body, field, value, reason):
    """WebWork is told what is wrong (and stops retrying into an error) instead of getting a 500."""
    response = deliver({**body, field: value})

    assert response.status_code == 400
    assert reason in response.json()["message"]
    assert stored() == []


def test_only_post_is_accepted(http, workspace, registered):
    assert http.get(intake_url(workspace)).status_code == 405


def test_the_intake_stays_lean(
    body, deliver, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """One lookup and one insert (and the task queued); no call to WebWork, so it answers quickly."""
    with django_assert_max_num_queries(5), django_capture_on_commit_callbacks(execute=True):
        assert deliver(body).status_code == 202

    timings = []
    for n in range(30):
        started = time.perf_counter()
        assert deliver({**body, "id": f"event-{n}"}).status_code == 202
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.020


def test_the_token_is_never_stored_in_clear(workspace, registered):
    raw = Workspace.objects.filter(pk=workspace.pk).values_list("webhook_token", flat=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_token FROM integrations_workspace WHERE id = %s", [workspace.pk])
        (column,) = cursor.fetchone()

    assert registered.token == workspace.webhook_token == raw[0]
    assert registered.token not in column
    assert decrypt(column) == registered.token
