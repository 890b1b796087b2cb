"""What the dashboard's tests share: reading an answer as a manager reads it, the headers htmx
reads, counting the queries of a request, tracked time in the mirror, and a workspace connected
by its Owner through the real sandbox."""

import html
import json
import re
from datetime import datetime, time, timedelta

import httpx
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from integrations import models as mirror
from tests.factories import TimeEntryFactory
from tests.sandbox_world import mirror_connected

HTMX = {"HX-Request": "true"}


# --- Reading an answer --------------------------------------------------------------------------


def shown(response):
    """The answer's HTML with its entities read (`&amp;` is `&`)."""
    return html.unescape(response.content.decode())


def words(response_or_text):
    """The page's text as a person reads it: no tags, white space folded, no space before a
    full stop, comma, colon or question mark."""
    text = response_or_text if isinstance(response_or_text, str) else shown(response_or_text)
    text = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    return text.replace(" .", ".").replace(" ,", ",").replace(" :", ":").replace(" ?", "?")


def counts_shown(response_or_text):
    """{name: number} of the counts a page shows (`data-count="<name>">number<`)."""
    text = response_or_text if isinstance(response_or_text, str) else shown(response_or_text)
    return {name: int(n) for name, n in re.findall(r'data-count="(\w+)">(\d+)<', text)}


def csrf_token(text):
    """The CSRF token of the first form of a page."""
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)


def vary(response):
    """The headers the answer varies on."""
    return {part.strip() for part in response.get("Vary", "").split(",")}


def triggers(response):
    """The events the answer triggers on the page (`HX-Trigger`, one name or a JSON object)."""
    value = response.get("HX-Trigger", "")
    return set(json.loads(value)) if value.startswith("{") else {value} if value else set()


def queries_of(client, path, headers=None):
    """(the number of queries, the answer) of a GET of `path`, which must answer 200."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers=headers or {})
    assert response.status_code == 200, path
    return len(captured), response


# --- Tracked time in the mirror ------------------------------------------------------------------


def at(workspace, day, hour, minute=0):
    """A moment of `day` in the workspace's time zone."""
    return datetime.combine(day, time(hour, minute), workspace.zone)


def entry(workspace, contract, day, minutes, *, hour=9, task=None, running_since=None):
    """A closed entry of `minutes` on `day` from `hour`, or (running_since) a tracker running
    since then; on `task` when given."""
    start = running_since or at(workspace, day, hour)
    return TimeEntryFactory(
        workspace=workspace,
        contract=contract,
        task=task,
        task_webwork_id=int(task.webwork_id) if task else None,
        date=day,
        start_time=start,
        end_time=None if running_since else start + timedelta(minutes=minutes),
        duration_minutes=0 if running_since else minutes,
    )


# --- Through the real sandbox --------------------------------------------------------------------


class NestedWire(httpx.BaseTransport):
    """The sandbox's wire for a request made inside a view under Django's test client: the test
    client connects `close_old_connections` again for its own request, and the sandbox's request
    (in the same thread) must not close the test's database connections."""

    def __init__(self, wire):
        self.wire = wire

    def handle_request(self, request):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        return self.wire.handle_request(request)


def connected_by_owner(world, *, first_name="", last_name=""):
    """(Acme as Clockroom knows it after its Owner connected it, the Owner's Django user, who
    manages it): nothing of Acme mirrored yet but the workspace."""
    tenant = mirror_connected(world.acme, world.owner)
    user = get_user_model().objects.get(username=f"webwork-{world.owner.id}")
    if first_name or last_name:
        user.first_name, user.last_name = first_name, last_name
        user.save()
    mirror.WorkspaceAccess.objects.create(
        user=user, workspace=tenant, connection=tenant.sync_connection, role="Owner", can_manage=True
    )
    return tenant, user
