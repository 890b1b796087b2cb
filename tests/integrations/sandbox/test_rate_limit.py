"""The sandbox's rate limit: one window per user in the sandbox database, shared by every process."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from integrations.sandbox.models import SandboxUser
from integrations.sandbox.tokens import access_token_issue

WORKSPACES = "/sandbox/api/v2/workspaces"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LIMIT = 20
REQUESTS_PER_PROCESS = 20

# A child process: Django with the test settings on the test databases, which it cannot
# compute itself (pytest-django renames them in this process only). It says "ready", waits
# for "go" so both children start together, then answers one JSON line per request.
CHILD = """
import json, os, sys

from django.conf import settings

for alias, name in json.loads(os.environ["CLOCKROOM_TEST_DATABASE_NAMES"]).items():
    settings.DATABASES[alias]["NAME"] = name
# The test settings pin a high limit; the child takes the one the test asks for.
settings.SANDBOX_RATE_LIMIT_PER_MINUTE = int(os.environ["SANDBOX_RATE_LIMIT_PER_MINUTE"])

import django

django.setup()
from django.test import Client

client = Client()
headers = {"Authorization": "Bearer " + os.environ["SANDBOX_TEST_TOKEN"]}
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(os.environ["SANDBOX_TEST_REQUESTS"])):
    answer = client.get("/sandbox/api/v2/workspaces", headers=headers)
    print(json.dumps({"status": answer.status_code, "headers": dict(answer.headers), "body": answer.json()}))
sys.stdout.flush()
"""


def make_user(email):
    user = SandboxUser(email=email, firstname="Rae", lastname="Limit")
    user.set_password("demo")
    user.save()
    return user


def child_environment(token):
    names = {alias: str(connections[alias].settings_dict["NAME"]) for alias in ("default", "sandbox")}
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CLOCKROOM_TEST_DATABASE_NAMES": json.dumps(names),
        "SANDBOX_RATE_LIMIT_PER_MINUTE": str(LIMIT),
        "SANDBOX_TEST_TOKEN": token,
        "SANDBOX_TEST_REQUESTS": str(REQUESTS_PER_PROCESS),
    }


def run_children(count, environment):
    """Start `count` processes, let them all go at once, and return every answer they got."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD],
            cwd=django_settings.BASE_DIR,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        for child in children:
            ready = child.stdout.readline()
            assert ready == "ready\n", child.communicate(timeout=30)[1]
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        answers = []
        for child in children:
            out, err = child.communicate(timeout=60)
            assert child.returncode == 0, err
            answers += [json.loads(line) for line in out.splitlines()]
        return answers
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def api_get(token, path=WORKSPACES):
    return Client().get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)
def test_two_processes_share_one_window_per_user(settings):
    settings.SANDBOX_RATE_LIMIT_PER_MINUTE = LIMIT
    token, _ = access_token_issue(user=make_user("rae@acme.test"))

    answers = run_children(2, child_environment(token))

    assert len(answers) == 2 * REQUESTS_PER_PROCESS
    accepted = [answer for answer in answers if answer["status"] == 200]
    refused = [answer for answer in answers if answer["status"] != 200]
    assert len(accepted) == LIMIT
    # Every request counted exactly once: no two processes saw the same remaining budget.
    assert sorted(int(answer["headers"]["X-RateLimit-Remaining"]) for answer in accepted) == list(
        range(LIMIT)
    )
    assert {answer["headers"]["X-RateLimit-Limit"] for answer in answers} == {str(LIMIT)}
    for answer in refused:
        assert answer["status"] == 429
        headers, body = answer["headers"], answer["body"]
        assert headers["X-RateLimit-Remaining"] == "0"
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert int(headers["X-RateLimit-Reset"]) > 0
        assert body["success"] is False
        assert body["message"] == "Too Many Attempts."
        assert body["meta"]["api_version"] == "2.0.0"
    # The parent, a third process, is refused too until the window closes.
    assert api_get(token).status_code == 429


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_window_reopens_after_60_seconds(settings, time_machine):
    settings.SANDBOX_RATE_LIMIT_PER_MINUTE = 3
    time_machine.move_to(START, tick=False)
    token, _ = access_token_issue(user=make_user("rae@acme.test"))

    remaining = [api_get(token)["X-RateLimit-Remaining"] for _ in range(3)]
    refused = api_get(token)
    time_machine.shift(timedelta(seconds=59))
    still_refused = api_get(token)
    time_machine.shift(timedelta(seconds=1))
    reopened = api_get(token)

    assert remaining == ["2", "1", "0"]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused["X-RateLimit-Reset"] == str(int((START + timedelta(seconds=60)).timestamp()))
    assert refused.json()["error"]
    assert still_refused["Retry-After"] == "1"
    assert reopened.status_code == 200
    assert reopened["X-RateLimit-Limit"] == "3"
    assert reopened["X-RateLimit-Remaining"] == "2"


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_every_answer_carries_the_rate_limit_headers(settings, world):
    settings.SANDBOX_RATE_LIMIT_PER_MINUTE = 5
    token, _ = access_token_issue(user=world.owner)

    answers = [
        api_get(token),
        api_get(token, f"/sandbox/api/v2/members?workspace_id={world.globex.id}"),  # 403
        api_get(token, "/sandbox/api/v2/members/999999?workspace_id=" + str(world.acme.id)),  # 404
        api_get(token, "/sandbox/api/v2/members?workspace_id=x"),  # 422
        api_get(token),
        api_get(token),  # 429
    ]

    assert [answer.status_code for answer in answers] == [200, 403, 404, 422, 200, 429]
    assert [answer["X-RateLimit-Limit"] for answer in answers] == ["5"] * 6
    assert [answer["X-RateLimit-Remaining"] for answer in answers] == ["4", "3", "2", "1", "0", "0"]


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_limit_is_per_user(settings, world):
    settings.SANDBOX_RATE_LIMIT_PER_MINUTE = 1
    owner, _ = access_token_issue(user=world.owner)
    second_owner_token, _ = access_token_issue(user=world.owner)
    manager, _ = access_token_issue(user=world.manager)

    assert api_get(owner).status_code == 200
    assert api_get(second_owner_token).status_code == 429
    assert api_get(manager).status_code == 200
