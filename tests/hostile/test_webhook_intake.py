"""The webhook intake and its processing, walked with hostile bodies: wrong types in every field,
missing fields, deep and wide bodies, lying lengths, odd tokens, unknown events, replays.

The intake answers 4xx for what it cannot verify or store (WebWork then stops retrying into an
error), and 202 for everything verified and storable: an unusable event is then *ignored* with a
note by the processing (a 4xx would make WebWork retry an event that will never apply). Nothing
stored is damaged, and processing never raises. tests/integrations/webhooks/ has the ordinary
cases (the token, the 256 KB cap, bodies that are not JSON objects, text no database stores).
"""

import json
import uuid

import pytest

from integrations.models import Member, Project, RunningTracker, WebhookDelivery
from integrations.webhooks.processing import process_delivery
from tests.hostile import corpus
from tests.integrations.webhooks.conftest import event_body, intake_url

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

Status = WebhookDelivery.Status

# Values of every JSON type, and texts of the corpus, for any field.
WRONG = [
    None,
    True,
    0,
    -1,
    2**70,
    1.5,
    "",
    [],
    [1, 2],
    {},
    {"id": 1},
    "x" * 3000,
    "2026-02-30T10:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "\u0663\u0663",
    "\u00b2",
    *corpus.INJECTION[:4],
]

EVENTS = {
    "tracker.started": (
        "user_id",
        "project_id",
        "task_id",
        "contract_id",
        "start_time",
        "activity_description",
    ),
    "tracker.stopped": ("user_id", "start_time", "stop_time"),
    "member.updated": ("id", "user_id"),
    "project.deleted": ("id", "project_id"),
    "no.such.event": ("id",),
}
GOOD_DATA = {
    "tracker.started": {"user_id": 5, "project_id": 7, "start_time": "2026-03-02T09:30:00+01:00"},
    "tracker.stopped": {"user_id": 5, "start_time": "2026-03-02T09:30:00+01:00"},
    "member.updated": {"id": 5},
    "project.deleted": {"id": 7},
    "no.such.event": {"id": 1},
}


@pytest.fixture
def synced_enough(world, workspace, registered):
    """Acme with our webhook registered and its Owner's sign-in to read WebWork again with."""
    from tests.sandbox_world import sync_connection_for

    sync_connection_for(workspace, world.owner)
    return workspace


def mirror_state(tenant):
    return (
        sorted(Member.objects.filter(workspace=tenant).values_list("webwork_id", "firstname", "removed_at")),
        sorted(Project.objects.filter(workspace=tenant).values_list("webwork_id", "name", "removed_at")),
    )


def check_stored_is_sound(tenant):
    """What the processing left in the mirror can be read back and shown."""
    for delivery in WebhookDelivery.objects.filter(workspace=tenant):
        assert len(delivery.event_id) <= 64
        assert len(delivery.event) <= 64
        assert delivery.status in (Status.RECEIVED, Status.IGNORED, Status.PROCESSED, Status.FAILED)
        assert "token" not in delivery.body
    for tracker in RunningTracker.objects.filter(workspace=tenant):
        assert tracker.webwork_id.isascii(), tracker.webwork_id
        assert tracker.webwork_id.isdigit(), tracker.webwork_id
        assert tracker.started_at is not None
        assert isinstance(tracker.activity_description, str)


@pytest.mark.parametrize("event", list(EVENTS))
def test_wrong_types_in_every_data_field_are_stored_then_ignored_or_applied(synced_enough, deliver, event):
    before = mirror_state(synced_enough)
    outcomes = {}
    for field in EVENTS[event]:
        for index, value in enumerate(WRONG):
            data = {**GOOD_DATA[event], field: value}
            body = event_body(synced_enough, event, data, event_id=f"{event}-{field}-{index}")
            response = deliver(body)
            assert response.status_code in (202, 400), (field, value, response.status_code)
            if response.status_code == 400:
                continue
            delivery_id = response.json()["delivery"]
            status = process_delivery(delivery_id)
            delivery = WebhookDelivery.objects.get(pk=delivery_id)
            outcomes[(field, repr(value)[:30])] = status
            assert status in (Status.IGNORED, Status.PROCESSED), (field, value, status, delivery.error)
            assert delivery.note or status == Status.PROCESSED
    check_stored_is_sound(synced_enough)
    if event in ("no.such.event",):
        assert mirror_state(synced_enough) == before
    assert outcomes, "nothing was accepted: the walk proved nothing"


@pytest.mark.parametrize("field", ["id", "event", "workspace_id", "webhook_id", "timestamp", "data"])
def test_wrong_types_in_every_envelope_field(synced_enough, deliver, field):
    for index, value in enumerate(WRONG):
        body = event_body(
            synced_enough, "tracker.started", GOOD_DATA["tracker.started"], event_id=f"env-{field}-{index}"
        )
        body[field] = value
        response = deliver(body)
        assert response.status_code in (202, 400), (value, response.status_code)
        if response.status_code == 202:
            status = process_delivery(response.json()["delivery"])
            assert status in (Status.IGNORED, Status.PROCESSED), (value, status)
    check_stored_is_sound(synced_enough)


@pytest.mark.parametrize("missing", ["id", "event", "workspace_id", "timestamp", "data"])
def test_a_missing_field_is_stored_and_ignored_or_applied(synced_enough, deliver, missing):
    body = event_body(synced_enough, "tracker.started", GOOD_DATA["tracker.started"], event_id="m-1")
    del body[missing]

    response = deliver(body)

    assert response.status_code == 202, response.content
    assert process_delivery(response.json()["delivery"]) in (Status.IGNORED, Status.PROCESSED)
    check_stored_is_sound(synced_enough)


@pytest.mark.parametrize("depth", [50, 400, 900, 5000])
def test_a_deeply_nested_body_is_refused_or_stored_never_a_500(synced_enough, deliver, depth):
    nested = {}
    for _ in range(depth):
        nested = {"a": nested}
    body = event_body(synced_enough, "no.such.event", {"id": 1, "deep": nested}, event_id=f"deep-{depth}")

    response = deliver(None, raw=json.dumps(body) if depth < 900 else _deep_json(body, depth))

    if depth <= 50:
        assert response.status_code == 202, response.content
        assert process_delivery(response.json()["delivery"]) == Status.IGNORED
    else:
        assert response.status_code == 400, response.status_code
        assert "deeper" in response.json()["message"] or "not valid JSON" in response.json()["message"]
        assert not WebhookDelivery.objects.exists()


def _deep_json(body, depth):
    """json.dumps refuses very deep values itself; written by hand."""
    head = json.dumps({**body, "data": "@"})
    return head.replace('"@"', '{"id": 1, "deep": ' + '{"a": ' * depth + "{}" + "}" * depth + "}")


def test_a_wide_body_under_the_cap_is_stored_and_ignored(synced_enough, deliver):
    data = {f"key{n}": n for n in range(10_000)}
    body = event_body(synced_enough, "no.such.event", data, event_id="wide")

    response = deliver(body)

    assert response.status_code == 202
    assert process_delivery(response.json()["delivery"]) == Status.IGNORED


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "99999999999999999999999999", ""], ids=corpus.ids)
def test_a_lying_or_odd_content_length_is_refused(client, synced_enough, length):
    body = json.dumps(
        {**event_body(synced_enough, "no.such.event", {"id": 1}, event_id="cl"), "pad": "x" * 1000}
    )

    response = client.generic(
        "POST",
        intake_url(synced_enough),
        body,
        content_type="application/json",
        headers={"X-Webhook-Token": synced_enough.webhook_token},
        CONTENT_LENGTH=length,
    )

    assert response.status_code in (400, 413), response.status_code
    assert not WebhookDelivery.objects.exists()


def test_a_content_length_shorter_than_the_body_is_a_truncated_body(client, synced_enough):
    body = json.dumps(event_body(synced_enough, "no.such.event", {"id": 1}, event_id="short"))

    response = client.generic(
        "POST",
        intake_url(synced_enough),
        body,
        content_type="application/json",
        headers={"X-Webhook-Token": synced_enough.webhook_token},
        CONTENT_LENGTH="20",
    )

    assert response.status_code in (400, 401)
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    "token", [" ", "x" * 10_000, corpus.SCRIPT, "' OR 1=1 --", "whsec_ünïcødé"], ids=corpus.ids
)
def test_an_odd_token_in_the_header_is_401(synced_enough, client, token):
    body = event_body(synced_enough, "no.such.event", {"id": 1}, event_id="tok")
    body.pop("token")

    response = client.post(
        intake_url(synced_enough),
        json.dumps(body),
        content_type="application/json",
        # As a WSGI server hands over a header's bytes: each one a character (latin-1).
        HTTP_X_WEBHOOK_TOKEN=token.encode("utf-8").decode("latin-1"),
    )

    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("token", [None, 0, [], {}, ["whsec_x"], True], ids=str)
def test_a_token_of_the_wrong_type_in_the_body_is_401(synced_enough, deliver, token):
    body = {**event_body(synced_enough, "no.such.event", {"id": 1}, event_id="tok"), "token": token}

    assert deliver(body, header=None).status_code == 401
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("address", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "../admin"])
def test_an_address_that_names_no_registration_is_404(synced_enough, http, address):
    body = event_body(synced_enough, "no.such.event", {"id": 1}, event_id="addr")

    response = http.post(f"/integrations/webhooks/{address}/", content=json.dumps(body))

    assert response.status_code == 404
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("number", ["1e999", "-1e999", "123456789012345678901234567890", "-0", "1.0e2"])
def test_numbers_beyond_what_a_database_holds_are_ignored(synced_enough, deliver, number):
    """JSON numbers Python reads as an infinite float or an integer beyond 64 bits."""
    body = event_body(synced_enough, "tracker.started", GOOD_DATA["tracker.started"], event_id=f"n{number}")
    raw = (
        json.dumps(body)
        .replace('"user_id": 5', f'"user_id": {number}')
        .replace('"project_id": 7', f'"project_id": {number}')
    )

    response = deliver(None, raw=raw)

    assert response.status_code in (202, 400), response.status_code
    if response.status_code == 202:
        assert process_delivery(response.json()["delivery"]) in (Status.IGNORED, Status.PROCESSED)
    check_stored_is_sound(synced_enough)


def test_a_replayed_delivery_is_stored_again_and_applied_once(synced_enough, deliver):
    """WebWork (or an attacker holding a captured delivery) posts one event many times: each copy
    is acknowledged, and the event changes the mirror once."""
    body = event_body(
        synced_enough, "tracker.started", GOOD_DATA["tracker.started"], event_id=str(uuid.uuid4())
    )
    statuses = []
    for _ in range(5):
        response = deliver(body)
        assert response.status_code == 202
        statuses.append(process_delivery(response.json()["delivery"]))

    assert statuses == [Status.PROCESSED] + [Status.IGNORED] * 4
    assert RunningTracker.objects.filter(workspace=synced_enough).count() == 1
    replayed_later = process_delivery(WebhookDelivery.objects.order_by("pk").first().pk)
    assert replayed_later == Status.PROCESSED  # a processed delivery replayed stays as it was
    assert RunningTracker.objects.filter(workspace=synced_enough).count() == 1
