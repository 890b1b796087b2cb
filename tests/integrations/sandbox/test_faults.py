"""The sandbox's fault-injection control endpoint, /sandbox/control/faults."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from integrations.sandbox.models import FaultSettings
from tests.integrations.sandbox.helpers import assert_envelope, assert_error

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

URL = "/sandbox/control/faults"

DEFAULTS = {
    "server_error_rate": 0.0,
    "rate_limit_rate": 0.0,
    "latency_ms": 0,
    "timeout_rate": 0.0,
    "timeout_seconds": 30.0,
    "webhook_drop_rate": 0.0,
    "webhook_duplicate_rate": 0.0,
    "webhook_reorder": False,
}


@pytest.fixture
def control():
    # Tools call it without a CSRF token: it must not need one.
    return Client(enforce_csrf_checks=True)


def send(client, method, body, content_type="application/json"):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.generic(method, URL, data=raw, content_type=content_type)


def test_the_endpoint_lives_under_the_sandbox():
    assert reverse("sandbox:faults") == URL


def test_get_answers_the_current_settings(control):
    assert assert_envelope(control.get(URL))["data"] == DEFAULTS

    FaultSettings.objects.update_or_create(pk=1, defaults={"latency_ms": 250, "webhook_reorder": True})

    assert assert_envelope(control.get(URL))["data"] == {
        **DEFAULTS,
        "latency_ms": 250,
        "webhook_reorder": True,
    }


def test_put_sets_a_subset_and_keeps_the_rest(control):
    send(control, "PUT", {"webhook_drop_rate": 0.25, "latency_ms": 40})

    body = assert_envelope(send(control, "PUT", {"webhook_duplicate_rate": 0.5, "webhook_reorder": True}))

    expected = {
        **DEFAULTS,
        "webhook_drop_rate": 0.25,
        "latency_ms": 40,
        "webhook_duplicate_rate": 0.5,
        "webhook_reorder": True,
    }
    assert body["message"] == "Fault settings updated"
    assert body["data"] == expected
    assert assert_envelope(control.get(URL))["data"] == expected
    faults = FaultSettings.current()
    assert (faults.webhook_drop_rate, faults.webhook_duplicate_rate) == (0.25, 0.5)


def test_post_works_like_put(control):
    body = assert_envelope(send(control, "POST", {"server_error_rate": 1, "timeout_seconds": 2.5}))

    assert body["data"]["server_error_rate"] == 1.0
    assert body["data"]["timeout_seconds"] == 2.5


def test_the_api_answers_with_the_faults_set_here(world, owner_api, control):
    assert owner_api.get("workspaces").status_code == 200

    assert_envelope(send(control, "PUT", {"server_error_rate": 1}))
    failing = owner_api.get("workspaces")

    assert failing.status_code == 500
    assert failing.json()["message"] == "An error occurred (injected by the sandbox)."

    assert_envelope(control.delete(URL))
    assert owner_api.get("workspaces").status_code == 200


def test_delete_switches_every_fault_off(control):
    send(
        control,
        "PUT",
        {"server_error_rate": 0.5, "latency_ms": 100, "timeout_seconds": 5, "webhook_reorder": True},
    )

    body = assert_envelope(control.delete(URL))

    assert body["message"] == "Fault injection switched off"
    assert body["data"] == DEFAULTS
    assert FaultSettings.current().any_active is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"server_error_rate": 1.5}, "server_error_rate"),
        ({"rate_limit_rate": -0.1}, "rate_limit_rate"),
        ({"timeout_rate": "often"}, "timeout_rate"),
        ({"webhook_drop_rate": [0.5]}, "webhook_drop_rate"),
        ({"webhook_duplicate_rate": True}, "webhook_duplicate_rate"),
        ({"latency_ms": -1}, "latency_ms"),
        ({"latency_ms": 1.5}, "latency_ms"),
        ({"timeout_seconds": -3}, "timeout_seconds"),
        ({"webhook_reorder": "sometimes"}, "webhook_reorder"),
        ({"webhook_drop_rate": None}, "webhook_drop_rate"),
        ({"drop_everything": 1}, "drop_everything"),
    ],
)
def test_invalid_settings_are_422_naming_the_field_and_change_nothing(control, change, field):
    send(control, "PUT", {"webhook_drop_rate": 0.2})

    assert_error(send(control, "PUT", {"server_error_rate": 0.1, **change}), 422, field)

    assert assert_envelope(control.get(URL))["data"] == {**DEFAULTS, "webhook_drop_rate": 0.2}


def test_a_body_that_is_not_a_json_object_is_400(control):
    malformed = assert_error(send(control, "PUT", "{not json"), 400)
    a_list = assert_error(send(control, "POST", [0.5]), 400)

    assert "not valid JSON" in malformed["message"]
    assert "JSON object" in a_list["message"]


def test_other_methods_are_405(control):
    response = send(control, "PATCH", {"latency_ms": 1})

    assert_error(response, 405)
    assert response["Allow"] == "DELETE, GET, POST, PUT"
