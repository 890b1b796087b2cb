"""The sandbox's OpenAPI document, and a bounded schemathesis run of the sandbox against it.

The run covers every documented operation the sandbox routes; `test_every_documented_operation_is_routed`
names the ones it does not route yet.
"""

import re
from datetime import timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from integrations.sandbox.models import ExpenseCategory, LeavePolicy
from integrations.sandbox.openapi import SERVER_URL, operations
from integrations.sandbox.tokens import access_token_issue

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

DOCUMENT_URL = f"{SERVER_URL}/openapi.json"
SAMPLE_STRING_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
ENTRIES = {f"{entry['method']} {entry['path']}": entry for entry in operations()}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def sample_url(entry):
    """The entry's path with a plausible value in every path parameter."""
    path = entry["path"]
    for parameter in entry["path_params"]:
        value = "1" if parameter["type"] == "integer" else SAMPLE_STRING_ID
        path = path.replace("{" + parameter["name"] + "}", value)
    return SERVER_URL + path


def is_routed(entry):
    """Whether the sandbox has an API view for the entry's path that takes its method."""
    try:
        match = resolve(sample_url(entry))
    except Resolver404:
        return False
    return entry["method"] in getattr(match.func, "allowed_methods", ())


def routed_operation(ctx):
    entry = ENTRIES.get(f"{ctx.operation.method.upper()} {ctx.operation.path}")
    return entry is not None and is_routed(entry)


class InTransactionWSGIApp:
    """Django's WSGI handler run the way Django's test client runs it: a request neither opens
    nor closes database connections, so the calls see (and stay inside) the test's transaction."""

    def __init__(self):
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


SCHEMA = schemathesis.openapi.from_wsgi(
    DOCUMENT_URL,
    InTransactionWSGIApp(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {"mode": "positive", "deterministic": True},
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        }
    ),
).include(routed_operation)


# --- The document -------------------------------------------------------------------


@pytest.fixture
def document(client):
    response = client.get(DOCUMENT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_the_document_is_valid_openapi_and_needs_no_token(document):
    schemathesis.openapi.from_dict(document).validate()  # raises on a document OpenAPI 3.0 refuses
    assert document["openapi"] == "3.0.3"
    assert document["servers"] == [{"url": "/sandbox/api/v2"}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An OAuth2 access token or a personal access token.",
    }
    assert document["security"] == [{"bearerAuth": []}]


def test_the_document_lists_every_operation_of_the_reference(document):
    listed = {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert len(ENTRIES) == 70
    assert set(listed) == set(ENTRIES)
    for label, entry in ENTRIES.items():
        operation = listed[label]
        assert operation["operationId"] == entry["operation"]
        assert operation["summary"] == entry["summary"]
        assert operation["tags"] == [entry["group"]]
        assert str(entry["success_status"]) in operation["responses"]
        for status in ("400", "401", "403", "404", "405", "422", "429"):
            assert status in operation["responses"], (label, status)
        # WebWork documents no 409: duplicates are a 400 (business rule) or a 422 (a field).
        assert "409" not in operation["responses"], label


def test_the_document_refuses_writes(client):
    response = client.post(DOCUMENT_URL)

    assert response.status_code == 405


def test_path_parameters_follow_the_reference_id_types(document):
    member = document["paths"]["/members/{memberId}"]["get"]["parameters"][0]
    entry = document["paths"]["/time-entries/{time_entry_id}"]["put"]["parameters"][0]

    assert member == {
        "name": "memberId",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    assert entry["schema"] == {"type": "string", "minLength": 1}


def test_query_parameters_carry_types_enums_bounds_and_required_flags(document):
    parameters = {p["name"]: p for p in document["paths"]["/members"]["get"]["parameters"]}
    time_entries = {p["name"]: p for p in document["paths"]["/time-entries"]["get"]["parameters"]}

    assert parameters["workspace_id"]["required"] is True
    assert parameters["workspace_id"]["schema"]["type"] == "integer"
    assert parameters["status"]["schema"]["enum"] == ["active", "inactive", "left", "unknown"]
    assert parameters["status"]["required"] is False
    assert parameters["page"]["schema"] == {"type": "integer", "default": 1, "minimum": 1}
    assert parameters["per_page"]["schema"] == {
        "type": "integer",
        "default": 20,
        "minimum": 1,
        "maximum": 100,
    }
    assert time_entries["per_page"]["schema"]["maximum"] == 50
    assert time_entries["date"]["schema"] == {"type": "string", "format": "date"}


def test_workspace_id_documented_in_query_and_body_is_required_in_one_place(document):
    invite = document["paths"]["/members"]["post"]
    query = {p["name"]: p for p in invite["parameters"]}
    body = invite["requestBody"]["content"]["application/json"]["schema"]

    assert query["workspace_id"]["required"] is False
    assert "JSON body" in query["workspace_id"]["description"]
    assert body["required"] == ["workspace_id", "email", "firstname", "lastname", "role"]
    assert body["properties"]["role"]["enum"][0] == "Owner"
    assert body["properties"]["email"]["format"] == "email"


def test_request_bodies_carry_nullable_fields_arrays_and_formats(document):
    start = document["paths"]["/time-tracking/start"]["post"]["requestBody"]["content"]["application/json"]
    task = document["paths"]["/tasks"]["post"]["requestBody"]["content"]["application/json"]
    webhook = document["paths"]["/webhooks"]["post"]["requestBody"]["content"]
    entry = document["paths"]["/time-entries"]["post"]["requestBody"]["content"]["application/json"]

    assert start["schema"]["properties"]["activity_description"]["nullable"] is True
    assert task["schema"]["properties"]["assignees"]["items"] == {"type": "integer"}
    assert task["schema"]["properties"]["priority"]["default"] == 30
    assert webhook["application/json"]["schema"]["properties"]["events"]["items"]["enum"][:2] == [
        "tracker.started",
        "tracker.stopped",
    ]
    assert "application/x-www-form-urlencoded" in webhook
    assert entry["schema"]["properties"]["start_time"]["pattern"] == r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def test_answers_are_wrapped_in_the_envelope_per_data_shape(document):
    def envelope(path, method, status="200"):
        return document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]

    workspaces = envelope("/workspaces", "get")
    member = envelope("/members/{memberId}", "get")
    archive = envelope("/members/{memberId}", "delete")
    saved = envelope("/time-entries", "post", "201")

    assert workspaces["required"] == ["success", "meta", "data"]
    assert workspaces["properties"]["data"]["type"] == "array"
    assert workspaces["properties"]["meta"] == {"$ref": "#/components/schemas/PaginatedMeta"}
    assert member["properties"]["data"]["properties"]["avatar"]["nullable"] is True
    assert member["properties"]["data"]["additionalProperties"] is True
    assert member["properties"]["meta"] == {"$ref": "#/components/schemas/Meta"}
    assert archive["properties"]["data"]["nullable"] is True
    assert saved["properties"]["saved_minutes"]["type"] == "integer"
    assert document["components"]["schemas"]["Error"]["required"] == ["success", "message", "meta"]


def test_every_documented_operation_is_routed():
    missing = [label for label, entry in ENTRIES.items() if not is_routed(entry)]

    assert not missing, f"{len(missing)} documented operations have no sandbox route yet: {missing}"


# --- A bounded schemathesis run ---------------------------------------------------------


@pytest.fixture
def owner_token(world):
    raw, _ = access_token_issue(user=world.owner, scope="read write admin")
    return raw


class AcmeRecords:
    """One record of each kind in Acme, for generated calls to aim at; made on first use.

    Made through the API where it has a create operation (leave policies and expense
    categories have none). A kind whose creation is refused stays None: calls keep their
    generated ids then.
    """

    def __init__(self, world, api):
        self.world = world
        self.api = api.as_user(world.owner)
        self.workspace_id = world.acme.pk
        self.day = (timezone.now() - timedelta(days=2)).date()
        self.made = {}

    def get(self, kind):
        if kind not in self.made:
            self.made[kind] = getattr(self, f"_{kind}")()
        return self.made[kind]

    def _post(self, path, body):
        response = self.api.post(path, {"workspace_id": self.workspace_id, **body})
        return response.json().get("data") if response.status_code in (200, 201) else None

    def _first(self, path, **params):
        response = self.api.get(path, workspace_id=self.workspace_id, **params)
        data = response.json().get("data") if response.status_code == 200 else None
        return data[0]["id"] if data else None

    def _created_id(self, path, body):
        data = self._post(path, body)
        return data.get("id") if isinstance(data, dict) else None

    def _project(self):
        return self._created_id("projects", {"name": "Website relaunch"})

    def _contract(self):
        project = self.get("project")
        return project and self._created_id(
            "contracts", {"project_id": project, "user_id": self.world.alice.pk}
        )

    def _task(self):
        project = self.get("project")
        body = {"project_id": project, "title": "Homepage", "assignees": [self.world.alice.pk]}
        return project and self._created_id("tasks", body)

    def _time_entry(self):
        contract = self.get("contract")
        body = {
            "user_id": self.world.alice.pk,
            "contract_id": contract,
            "date": self.day.isoformat(),
            "start_time": "09:00",
            "end_time": "10:30",
        }
        self._post("time-entries", body)
        return self._first("time-entries", user_id=self.world.alice.pk, date=self.day.isoformat())

    def _timesheet(self):
        self.get("time_entry")
        return self._first("timesheets", user_id=self.world.alice.pk)

    def _time_request(self):
        start = timezone.now().replace(microsecond=0) - timedelta(days=1, hours=3)
        body = {
            "user_id": self.world.alice.pk,
            "contract_id": self.get("contract"),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "notes": "Forgot to start the tracker",
        }
        return self._created_id("time-requests", body)

    def _policy(self):
        return LeavePolicy.objects.create(workspace=self.world.acme, name="Vacation").pk

    def _leave(self):
        start = (self.day + timedelta(days=30)).isoformat()
        body = {"policy_id": self.get("policy"), "user_id": self.world.alice.pk, "start": start, "end": start}
        self._post("leaves", body)
        return self._first("leaves", user_id=self.world.alice.pk)

    def _category(self):
        return str(ExpenseCategory.objects.create(workspace=self.world.acme, name="Travel").pk)

    def _expense(self):
        body = {
            "expense_name": "Train to the client",
            "date": self.day.isoformat(),
            "amount": 42.5,
            "category_id": self.get("category"),
        }
        return self._created_id("expenses", body)

    def _webhook(self):
        body = {"url": "https://hooks.example.test/webwork", "events": ["tracker.started"]}
        return self._created_id("webhooks", body)


@pytest.fixture
def acme_records(world, api):
    return AcmeRecords(world, api)


# Which record a path parameter, query parameter or body field names.
PATH_KINDS = {
    "projectId": "project",
    "contractId": "contract",
    "taskId": "task",
    "time_entry_id": "time_entry",
    "timesheetId": "timesheet",
    "id": "time_request",
    "timeRequestId": "time_request",
    "leaveId": "leave",
    "expenseId": "expense",
    "webhookId": "webhook",
}
FIELD_KINDS = {
    "project_id": "project",
    "contract_id": "contract",
    "task_id": "task",
    "policy_id": "policy",
    "category_id": "category",
}
PEOPLE = ("memberId", "userId", "user_id")
DAYS = ("date", "date_from", "date_to", "start_date", "end_date")


def spread(value):
    """A stable number from a generated id (str hashes change between runs)."""
    return value if isinstance(value, int) else len(value)


def keeps_generated(value):
    """One generated value in four is sent as generated (an unknown id, most likely)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return True
    return spread(value) % 4 == 3


def aim_at_the_world(case, world, records):
    """Send the call to Acme, and most generated ids to Acme's people and records."""
    people = [world.owner, world.manager, world.team_manager, world.alice, world.bob, world.viewer]

    def aimed(name, value):
        if keeps_generated(value):
            return value
        if name in PEOPLE:
            return people[spread(value) % len(people)].pk
        if name == "viewerId":
            return world.viewer.pk
        kind = PATH_KINDS.get(name) or FIELD_KINDS.get(name)
        known = records.get(kind) if kind else None
        return value if known is None else known

    for name, value in list(case.path_parameters.items()):
        case.path_parameters[name] = aimed(name, value)
    for values in (case.query, case.body):
        if not isinstance(values, dict):
            continue
        if "workspace_id" in values or values is case.query:
            values["workspace_id"] = world.acme.pk
        for name in (*PEOPLE, *FIELD_KINDS):
            if name in values:
                values[name] = aimed(name, values[name])
        for name in DAYS:
            if name in values:
                values[name] = recent(values[name], records.day)


def recent(value, day):
    """Most generated dates moved into the week before `day` (reports refuse far-off dates)."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    offset = int(value[-2:])
    return value if offset % 4 == 3 else (day - timedelta(days=offset % 7)).isoformat()


@SCHEMA.parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_the_sandbox_answers_as_documented(case, world, acme_records, owner_token):
    aim_at_the_world(case, world, acme_records)

    case.call_and_validate(headers={"Authorization": f"Bearer {owner_token}"}, checks=CHECKS)
