"""The client-side limiter keeps every process of one WebWork user under WebWork's limit.

Two real OS processes sync two workspaces of the same manager at once, against the sandbox
(httpx's WSGI transport into their own Django), sharing the test databases: the limiter's budget
lives in the database, or in Redis when REDIS_URL is set, so together they stay within the
sandbox's window. And a 429 that comes
anyway (someone else spent the budget, or WebWork throttles) is waited out and the call succeeds.
"""

import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import timezone

from integrations.models import Connection, Member, Workspace
from integrations.ratelimit import rate_limiter_for
from integrations.sandbox.models import FaultSettings, Membership
from integrations.sandbox.models.accounts import Role
from integrations.sandbox.tokens import personal_token_issue
from tests.sandbox_world import SANDBOX_API

LIMIT = 8  # requests per window, the sandbox's and the client's alike
WINDOW = 3  # seconds
DATES = 6  # timeline dates each process syncs, besides members and projects

# A child process: Django with the test settings on the parent's test databases (pytest-django
# renames them in the parent only), the limit and window of the test. It says "ready", waits for
# "go" so both children start together, syncs members, projects and DATES timeline dates of its
# workspace, and prints one JSON line: what its client counted and every answer it got.
CHILD = """
import json, os, sys, time

from django.conf import settings

for alias, name in json.loads(os.environ["CLOCKROOM_TEST_DATABASE_NAMES"]).items():
    settings.DATABASES[alias]["NAME"] = name
limit, window = int(os.environ["BENCH_LIMIT"]), int(os.environ["BENCH_WINDOW"])
settings.SANDBOX_RATE_LIMIT_PER_MINUTE = limit
settings.SANDBOX_RATE_LIMIT_WINDOW_SECONDS = window
settings.WEBWORK_RATE_LIMIT_PER_MINUTE = limit
settings.WEBWORK_RATE_LIMIT_PERIOD_SECONDS = window
settings.REDIS_URL = os.environ["BENCH_REDIS_URL"]
settings.REDIS_KEY_PREFIX = os.environ["BENCH_REDIS_PREFIX"]

import django

django.setup()

from datetime import date, timedelta

import httpx
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from integrations.bench.environment import in_process_wire
from integrations.connections import workspace_client
from integrations.models import Workspace
from integrations.sync.base import SyncContext
from integrations.sync.members import sync_members
from integrations.sync.projects import sync_projects
from integrations.sync.time_entries import sync_time_entries

class Recording(httpx.WSGITransport):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.answers = []

    def handle_request(self, request):
        sent_at = time.time()
        response = super().handle_request(request)
        self.answers.append({"at": sent_at, "path": request.url.path, "status": response.status_code})
        return response


transport = Recording(app=get_wsgi_application())
workspace = Workspace.objects.get(webwork_id=int(os.environ["BENCH_WORKSPACE"]))
print("ready", flush=True)
sys.stdin.readline()
with in_process_wire(os.environ["BENCH_API"], transport), workspace_client(workspace) as client:
    ctx = SyncContext(workspace=workspace, client=client)
    sync_members(ctx)
    sync_projects(ctx)
    days = int(os.environ["BENCH_DATES"])
    sync_time_entries(ctx, [date.today() - timedelta(days=n) for n in range(1, days + 1)])
    print(json.dumps({
        "requests": client.requests_made,
        "rate_limited": client.rate_limited,
        "waited": client.waited_seconds,
        "answers": transport.answers,
    }))
"""


def database_names():
    return {alias: str(connections[alias].settings_dict["NAME"]) for alias in ("default", "sandbox")}


def run_children(workspaces):
    """One child per workspace, started together; returns what each reported."""
    environment = {
        **os.environ,
        # The budget where the parent keeps it: Redis or the database.
        "BENCH_REDIS_URL": django_settings.REDIS_URL,
        "BENCH_REDIS_PREFIX": django_settings.REDIS_KEY_PREFIX,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CLOCKROOM_TEST_DATABASE_NAMES": json.dumps(database_names()),
        "BENCH_LIMIT": str(LIMIT),
        "BENCH_WINDOW": str(WINDOW),
        "BENCH_DATES": str(DATES),
        "BENCH_API": SANDBOX_API,
    }
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD],
            cwd=django_settings.BASE_DIR,
            env={**environment, "BENCH_WORKSPACE": str(workspace.webwork_id)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for workspace in workspaces
    ]
    try:
        for child in children:
            ready = child.stdout.readline()
            assert ready == "ready\n", child.communicate(timeout=30)[1]
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        reports = []
        for child in children:
            out, err = child.communicate(timeout=60)
            assert child.returncode == 0, err
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return reports
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def connect(world):
    """The Owner of Acme, also an Executive manager of Globex, connected with a personal access token."""
    Membership.objects.create(workspace=world.globex, user=world.owner, role=Role.EXECUTIVE_MANAGER)
    raw, _ = personal_token_issue(user=world.owner)
    user = get_user_model().objects.create(username=f"webwork-{world.owner.pk}")
    connection = Connection.objects.create(
        user=user,
        webwork_user_id=world.owner.pk,
        email=world.owner.email,
        kind=Connection.Kind.PERSONAL,
        access_token=raw,
    )
    return [
        Workspace.objects.create(
            webwork_id=sandbox_workspace.pk,
            name=sandbox_workspace.name,
            sync_connection=connection,
            connected_at=timezone.now(),
        )
        for sandbox_workspace in (world.acme, world.globex)
    ]


@pytest.mark.parametrize("budgets", ["database", "redis"])
@pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)
def test_two_processes_syncing_for_one_manager_stay_under_the_limit(world, budgets, request, settings):
    if budgets == "redis":
        request.getfixturevalue("redis_url")
    else:
        settings.REDIS_URL = ""
    acme, globex = connect(world)

    reports = run_children([acme, globex])

    answers = sorted((a for report in reports for a in report["answers"]), key=lambda a: a["at"])
    per_child = 2 + DATES
    assert [report["requests"] for report in reports] == [per_child, per_child]
    assert len(answers) == 2 * per_child > LIMIT  # more than one window's worth
    # WebWork (the sandbox) refused nothing, and neither client saw a 429.
    assert {a["status"] for a in answers} == {200}
    assert [report["rate_limited"] for report in reports] == [0, 0]
    # Both really ran at once, and the shared budget made them wait for the next window.
    first_done = min(max(a["at"] for a in report["answers"]) for report in reports)
    last_start = max(min(a["at"] for a in report["answers"]) for report in reports)
    assert last_start < first_done
    assert sum(report["waited"] for report in reports) > 0
    # Together they never sent more than LIMIT requests within any WINDOW seconds.
    moments = [a["at"] for a in answers]
    assert min(later - earlier for earlier, later in zip(moments, moments[LIMIT:], strict=False)) >= WINDOW
    # And both syncs did their work.
    assert Member.objects.filter(workspace=acme).count() == 6
    assert Member.objects.filter(workspace=globex).count() == 3


def test_rate_limit_window_settings_are_read_when_used(settings):
    settings.WEBWORK_RATE_LIMIT_PER_MINUTE = 5
    settings.WEBWORK_RATE_LIMIT_PERIOD_SECONDS = 7

    limiter = rate_limiter_for(42)

    assert limiter.limit == 5
    assert limiter.period == 7 + 1  # the configured window and a second of margin


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_a_429_after_someone_else_spent_the_budget_is_waited_out(world, make_client, settings):
    settings.SANDBOX_RATE_LIMIT_PER_MINUTE = 3
    settings.SANDBOX_RATE_LIMIT_WINDOW_SECONDS = 2
    settings.WEBWORK_RATE_LIMIT_PER_MINUTE = 3
    settings.WEBWORK_RATE_LIMIT_PERIOD_SECONDS = 2
    # Another program of the same WebWork user spends the whole window; our limiter cannot know.
    other = make_client(world.owner)
    for _ in range(3):
        other.get("workspaces")
    client = make_client(world.owner, limiter=rate_limiter_for(world.owner.pk), sleep=time.sleep)

    started, wall = time.monotonic(), time.time()
    answer = client.get("workspaces")
    elapsed = time.monotonic() - started

    assert [w["id"] for w in answer.data] == [world.acme.id]
    assert client.rate_limited == 1
    assert client.requests_made == 2
    assert 1 <= elapsed < 5
    # The 429's Retry-After put the whole budget of that user on hold, for every process.
    assert rate_limiter_for(world.owner.pk).held_until() > wall


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_a_429_webwork_forces_is_waited_out_and_the_call_succeeds(world, make_client):
    FaultSettings.objects.update_or_create(pk=1, defaults={"rate_limit_rate": 1})
    waits = []

    def sleep(seconds):
        # WebWork stops throttling while we wait.
        waits.append(seconds)
        FaultSettings.objects.filter(pk=1).update(rate_limit_rate=0)
        time.sleep(seconds)

    client = make_client(world.owner, limiter=rate_limiter_for(world.owner.pk), sleep=sleep)

    answer = client.get("members", params={"workspace_id": world.acme.id})

    assert len(answer.data) == 6
    assert client.rate_limited == 1
    assert waits == [1.0]  # the sandbox's Retry-After
