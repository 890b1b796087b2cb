"""Fixtures of the webhook tests: Acme as Clockroom knows it, with our webhook registered in the
sandbox, and the sandbox's own deliveries turned into posts to our intake."""

import json
from datetime import UTC, datetime

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import WebhookDelivery, Workspace
from integrations.sandbox import models as sandbox
from integrations.webhooks.registration import webhook_register


@pytest.fixture
def workspace(world):
    """Acme, connected in Clockroom, before any sync."""
    return Workspace.objects.create(
        webwork_id=world.acme.id, name=world.acme.name, timezone="Europe/Berlin", connected_at=timezone.now()
    )


@pytest.fixture
def owner_client(world, make_client):
    return make_client(world.owner)


@pytest.fixture
def registered(workspace, owner_client):
    """Our webhook registered at the sandbox for Acme; `workspace` now holds its id and token."""
    webhook_register(workspace, owner_client)
    workspace.refresh_from_db()
    return sandbox.Webhook.objects.get(pk=workspace.webhook_webwork_id)


def intake_url(workspace):
    return reverse("webhooks:intake", kwargs={"webhook_uuid": workspace.webhook_uuid})


OUR_TOKEN = object()


@pytest.fixture
def http(sandbox_transport):
    """An HTTP client for Clockroom itself, in process over WSGI (as the sandbox API is reached)."""
    with httpx.Client(transport=sandbox_transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def deliver(http, workspace):
    """Post a body to the intake as WebWork would, with the token in the `X-Webhook-Token` header
    (`header=None`: no header; `header="..."`: that value)."""

    def post(body, *, header=OUR_TOKEN, raw=None, to=None):
        header = workspace.webhook_token if header is OUR_TOKEN else header
        headers = {"Content-Type": "application/json"}
        if header is not None:
            headers["X-Webhook-Token"] = header
        data = raw if raw is not None else json.dumps(body)
        return http.post(to or intake_url(workspace), content=data, headers=headers)

    return post


def event_body(workspace, event, data, *, event_id, at=None):
    """A delivery body in the sandbox's form (see integrations/sandbox/events.py)."""
    at = at or timezone.now()
    return {
        "id": event_id,
        "event": event,
        "workspace_id": workspace.webwork_id,
        "webhook_id": workspace.webhook_webwork_id,
        "timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "token": workspace.webhook_token,
        "data": data,
    }


@pytest.fixture
def sandbox_events(django_capture_on_commit_callbacks):
    """`with sandbox_events() as sent:` the sandbox's webhook payloads of the changes made inside,
    as WebWork would post them to our registration (its queued send is not run)."""

    class Sent(list):
        pass

    class Capture:
        def __enter__(self):
            self.before = (
                sandbox.WebhookDelivery.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            )
            self.sent = Sent()
            self.capture = django_capture_on_commit_callbacks(execute=True, using="sandbox")
            self.capture.__enter__()
            return self.sent

        def __exit__(self, *exc):
            self.capture.__exit__(*exc)
            self.sent.extend(
                sandbox.WebhookDelivery.objects.filter(pk__gt=self.before)
                .order_by("pk")
                .values_list("payload", flat=True)
            )
            return False

    return Capture


def stored(**filters):
    return list(WebhookDelivery.objects.filter(**filters).order_by("pk"))


def minutes_ago(minutes):
    return timezone.now() - timezone.timedelta(minutes=minutes)


def utc(*args):
    return datetime(*args, tzinfo=UTC)
