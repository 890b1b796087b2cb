"""Structured log lines: the request id and the workspace on every line, tokens never, JSON in
production and readable text in DEBUG and tests (config/logs.py, config/middleware.py)."""

import io
import json
import logging
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from config.logs import (
    REDACTED,
    JsonFormatter,
    LogContextFilter,
    RedactSecretsFilter,
    TextFormatter,
    log_context,
    log_format,
    logging_config,
    redact,
    request_id_var,
    workspace_var,
)
from integrations.models import WebhookDelivery
from integrations.tasks import workspace_sync_task
from integrations.webhooks.tasks import process_webhook_delivery_task
from tests.config.test_settings import PRODUCTION_ENV, run_manage
from tests.factories import WorkspaceFactory, manager_of

SECRET = "wwat_s3cr3t-T0KEN.value"


@pytest.fixture
def log_lines():
    """What the root logger writes meanwhile, through the same filters and JSON formatter as the
    configured console handler, parsed one JSON object a line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(LogContextFilter())
    handler.addFilter(RedactSecretsFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


# --- the context on every line ---------------------------------------------------------------


def test_lines_carry_the_ids_bound_around_them_and_none_outside(log_lines):
    logger = logging.getLogger("clockroom.test")
    workspace = WorkspaceFactory.build(webwork_id=4242)

    logger.warning("before")
    with log_context(workspace=workspace, request_id="req-0000-1111"):
        logger.warning("inside")
        with log_context(workspace=None):
            logger.warning("nested, no workspace")
        logger.warning("inside again")
    logger.warning("after")

    found = [(line["message"], line["request_id"], line["workspace"]) for line in log_lines()]
    assert found == [
        ("before", "-", "-"),
        ("inside", "req-0000-1111", "4242"),
        ("nested, no workspace", "req-0000-1111", "-"),
        ("inside again", "req-0000-1111", "4242"),
        ("after", "-", "-"),
    ]


def test_the_ids_are_restored_when_the_block_raises():
    with pytest.raises(RuntimeError), log_context(workspace=7, request_id="req-raised-01"):
        raise RuntimeError("boom")
    assert (request_id_var.get(), workspace_var.get()) == ("-", "-")


def test_a_json_line_holds_the_traceback_and_the_text_line_the_ids(log_lines):
    logger = logging.getLogger("clockroom.test")
    with log_context(workspace=5, request_id="req-json-0001"):
        try:
            raise ValueError("it failed")
        except ValueError:
            logger.exception("a step failed")
    (line,) = log_lines()
    assert line["level"] == "ERROR"
    assert line["logger"] == "clockroom.test"
    assert "ValueError: it failed" in line["exception"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])

    record = logging.LogRecord("clockroom.test", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    LogContextFilter().filter(record)
    assert TextFormatter().format(record).endswith(" INFO clockroom.test [req=- ws=-] hello you")


# --- the request id ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_well_formed_request_id_is_kept_and_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c2e-0001"})
    assert response["X-Request-ID"] == "lb-7f3a9c2e-0001"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sent",
    [None, "", "short", "x" * 129, "has space in it", "line\nbreak-123456", '"quoted"-12345', "ünïcödé-123"],
)
def test_a_missing_or_malformed_request_id_is_replaced_by_a_new_one(client, sent):
    headers = {} if sent is None else {"X-Request-ID": sent}
    first = client.get("/healthz", headers=headers)["X-Request-ID"]
    second = client.get("/healthz", headers=headers)["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.django_db
def test_every_line_of_a_request_names_it_and_the_workspace_its_view_resolved(client, log_lines):
    workspace = WorkspaceFactory()
    client.force_login(manager_of(workspace))

    # The overview takes GET only: the view resolves the workspace, then answers 405, which Django
    # logs after every middleware has returned (still inside the request's context).
    response = client.post(reverse("dashboard:workspace", args=[workspace.webwork_id]))

    assert response.status_code == 405
    request_id = response["X-Request-ID"]
    lines = [line for line in log_lines() if line["logger"] == "django.request"]
    assert [(line["message"], line["request_id"], line["workspace"]) for line in lines] == [
        (f"Method Not Allowed: /w/{workspace.webwork_id}/", request_id, str(workspace.webwork_id))
    ]
    # gunicorn's access line reads them from the WSGI environ.
    environ = response.wsgi_request.META
    assert (environ["clockroom.request_id"], environ["clockroom.workspace"]) == (
        request_id,
        str(workspace.webwork_id),
    )
    # Once the response is closed, lines belong to no request.
    assert (request_id_var.get(), workspace_var.get()) == ("-", "-")


@pytest.mark.django_db
def test_a_page_of_no_workspace_names_none(client, log_lines):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    (line,) = [line for line in log_lines() if line["logger"] == "django.request"]
    assert (line["request_id"], line["workspace"]) == (response["X-Request-ID"], "-")


# --- tasks ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_sync_task_names_its_workspace_on_its_lines(log_lines):
    workspace = WorkspaceFactory()  # connected, but nobody's sign-in can sync it

    workspace_sync_task(workspace.pk, "queues")

    lines = [line for line in log_lines() if line["logger"] == "integrations.sync.orchestrator"]
    assert lines, "the sync logged why it could not run"
    assert {line["workspace"] for line in lines} == {str(workspace.webwork_id)}
    assert workspace_var.get() == "-"


@pytest.mark.django_db
def test_a_webhook_task_names_its_workspace_on_its_lines(log_lines):
    workspace = WorkspaceFactory()
    delivery = WebhookDelivery.objects.create(
        workspace=workspace,
        event_id="evt-log-1",
        event="member.updated",
        body={
            "id": "evt-log-1",
            "event": "member.updated",
            "workspace_id": workspace.webwork_id,
            "data": {"id": 5},
        },
        event_at=timezone.now(),
    )

    assert process_webhook_delivery_task(delivery.pk) == WebhookDelivery.Status.FAILED

    lines = [line for line in log_lines() if line["logger"] == "integrations.webhooks.processing"]
    assert [line["workspace"] for line in lines] == [str(workspace.webwork_id)]
    assert "failed" in lines[0]["message"]
    assert workspace_var.get() == "-"


# --- tokens never -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"GET /auth/webwork/callback/?code={SECRET}&state=abc",
        f"Authorization: Bearer {SECRET}",
        f"headers={{'Authorization': 'Bearer {SECRET}', 'Accept': 'application/json'}}",
        f"HTTP_AUTHORIZATION='Basic {SECRET}'",
        f"WebWork said: invalid bearer {SECRET}",
        f'{{"access_token": "{SECRET}", "refresh_token": "{SECRET}x", "expires_in": 3600}}',
        f"grant_type=refresh_token&refresh_token={SECRET}&client_secret={SECRET}y",
        f"access_token={SECRET}&token_type=Bearer",
        f"X-Webhook-Token: {SECRET}",
        f'{{"token": "{SECRET}", "event": "timesheet.submitted"}}',
    ],
)
def test_secrets_are_redacted(text):
    cleaned = redact(text)
    assert SECRET not in cleaned
    assert REDACTED in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "Synced Acme: 42 requests, status_code=200",
        "token_type=Bearer expires_in=3600",
        "state=abc&next=/w/4/approvals/",
        '{"code": 401, "message": "Unauthenticated."}',
    ],
)
def test_what_is_not_a_secret_is_left_alone(text):
    assert redact(text) == text


def test_no_token_reaches_a_line_by_message_arguments_or_traceback(log_lines):
    logger = logging.getLogger("clockroom.test")
    logger.warning("refresh answered %s", {"access_token": SECRET, "refresh_token": SECRET})
    logger.warning("calling with %s and %r", f"Bearer {SECRET}", {"Authorization": f"Bearer {SECRET}"})
    logger.info("callback %(path)s", {"path": f"/auth/webwork/callback/?code={SECRET}"})
    try:
        raise PermissionError(f"token refused: access_token={SECRET}")
    except PermissionError:
        logger.exception("sign-in failed for %s", f"code={SECRET}")

    lines = log_lines()
    assert len(lines) == 4
    assert SECRET not in json.dumps(lines)
    assert lines[2]["message"] == f"callback /auth/webwork/callback/?code={REDACTED}"
    assert f"access_token={REDACTED}" in lines[3]["exception"]


def test_gunicorns_access_atoms_are_redacted_and_become_fields(log_lines):
    """gunicorn logs `access_log_format % atoms`; its atoms carry the query and the headers."""
    from gunicorn.glogging import SafeAtoms

    atoms = SafeAtoms(
        {
            "h": "10.0.0.7",
            "r": f"GET /auth/webwork/callback/?code={SECRET}&state=s HTTP/1.1",
            "m": "GET",
            "U": "/auth/webwork/callback/",
            "q": f"code={SECRET}&state=s",
            "s": "302",
            "B": 0,
            "M": 12,
            "a": 'Mozilla/5.0 "quoted"',
            "{authorization}i": f"Bearer {SECRET}",
            "{clockroom.request_id}e": "req-access-0001",
            "{clockroom.workspace}e": "4242",
        }
    )
    logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(s)s %({authorization}i)s', atoms)

    (line,) = log_lines()
    assert SECRET not in json.dumps(line)
    assert (line["request_id"], line["workspace"]) == ("req-access-0001", "4242")
    assert line["http"] == {
        "remote_addr": "10.0.0.7",
        "method": "GET",
        "path": "/auth/webwork/callback/",
        "query": f"code={REDACTED}&state=s",
        "status": 302,
        "bytes": 0,
        "duration_ms": 12,
        "user_agent": 'Mozilla/5.0 "quoted"',
    }


# --- which format where -------------------------------------------------------------------------


def test_the_format_follows_debug_unless_asked():
    assert log_format("", debug=False) == "json"
    assert log_format(None, debug=True) == "text"
    assert log_format("TEXT", debug=False) == "text"
    assert log_format("json", debug=True) == "json"
    with pytest.raises(ValueError, match="DJANGO_LOG_FORMAT"):
        log_format("xml", debug=False)


def test_the_tests_log_text_through_the_context_and_redaction_filters():
    assert settings.LOG_FORMAT == "text"
    console = settings.LOGGING["handlers"]["console"]
    assert console["formatter"] == "text"
    assert console["filters"] == ["context", "redact"]
    assert settings.MIDDLEWARE[0] == "config.middleware.RequestIdMiddleware"
    assert logging_config(fmt="json", gunicorn=True)["loggers"]["gunicorn.access"]["handlers"] == ["console"]


LOG_A_LINE = (
    f"import logging; logging.getLogger('clockroom.check').warning('refreshing with access_token={SECRET}')"
)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "json"),
        ({"DJANGO_LOG_FORMAT": "text"}, "text"),
        ({"DJANGO_DEBUG": "1", "DJANGO_ALLOWED_HOSTS": "", "WEBWORK_PUBLIC_BASE_URL": ""}, "text"),
        ({"DJANGO_DEBUG": "1", "DJANGO_LOG_FORMAT": "json"}, "json"),
    ],
)
def test_production_logs_json_lines_and_debug_text(overrides, expected, tmp_path):
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", **overrides}
    env = {name: value for name, value in env.items() if value != ""}
    result = run_manage("shell", "-v", "0", "-c", LOG_A_LINE, env_overrides=env)
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "clockroom.check" in line]
    assert SECRET not in line
    if expected == "json":
        entry = json.loads(line)
        assert entry["message"] == f"refreshing with access_token={REDACTED}"
        assert (entry["level"], entry["request_id"], entry["workspace"]) == ("WARNING", "-", "-")
    else:
        assert line.endswith(f"WARNING clockroom.check [req=- ws=-] refreshing with access_token={REDACTED}")
