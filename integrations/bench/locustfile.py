"""Managers browsing and approving under load, for `manage.py bench hosted` (run by locust, headless).

Each simulated manager is signed in to one organisation (its session, its workspace id and its
organisation's number come from the JSON file named by HOSTED_MANAGERS, written by the bench). It
opens the workspace's overview, the approval queues, the contracts, people and reports pages, and
now and then approves the first item of a queue, as a manager does between other work. Every
answer is read for another organisation's name or addresses (`(org 017)`, `@org017.test`): one
found is a failure named "another tenant's data". At the end, the counts are written to the JSON
file named by HOSTED_REPORT.

This file imports no Django: locust runs it in its own process, with gevent.
"""

import itertools
import json
import os
import random
import re
import secrets

from locust import HttpUser, between, events, task

# The same marks as integrations/sandbox/seeding/organisations.py (NAME_MARK, EMAIL_MARK).
NAME_MARK = re.compile(r"\(org (\d{3,})\)")
EMAIL_MARK = re.compile(r"@(?:[a-z0-9-]+\.)*org(\d{3,})\.test\b")
APPROVE_LINK = re.compile(r"/w/\d+/approvals/([a-z-]+)/([\w-]+)/approve/")
CROSS_TENANT = "another tenant's data"

PAGES = (
    ("overview", "/w/{id}/", 4),
    ("approvals", "/w/{id}/approvals/", 6),
    ("contracts", "/w/{id}/contracts/", 2),
    ("people", "/w/{id}/people/", 2),
    ("hours report", "/w/{id}/reports/", 1),
    ("sync health", "/w/{id}/sync/", 1),
)

COUNTS = {"answers_read": 0, "cross_tenant": 0, "approved": 0, "nothing_to_approve": 0, "examples": []}


def foreign_marks(text, own):
    """The organisation numbers other than `own` whose names or addresses `text` shows."""
    return (set(NAME_MARK.findall(text)) | set(EMAIL_MARK.findall(text))) - {own}


def _managers():
    path = os.environ.get("HOSTED_MANAGERS")
    if not path:
        return [{}]
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


MANAGERS = _managers()
_NEXT = itertools.count()


class Manager(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        me = MANAGERS[next(_NEXT) % len(MANAGERS)]
        self.workspace_id = me["workspace_id"]
        self.org = me["org"]
        csrf = secrets.token_hex(16)  # a CSRF secret of Django's length (32), as cookie and header
        self.headers = {
            "Cookie": f"{me['session_cookie']}={me['session_key']}; {me['csrf_cookie']}={csrf}",
            "X-CSRFToken": csrf,
        }

    def _get(self, name, path, **extra):
        with self.client.get(path, name=name, headers=self.headers, catch_response=True, **extra) as answer:
            self._check(answer)
            return answer

    def _check(self, answer):
        if answer.status_code >= 400:
            answer.failure(f"HTTP {answer.status_code}")
            return
        COUNTS["answers_read"] += 1
        foreign = foreign_marks(answer.text, self.org)
        if foreign:
            COUNTS["cross_tenant"] += 1
            if len(COUNTS["examples"]) < 5:
                COUNTS["examples"].append({"org": self.org, "url": answer.url, "saw": sorted(foreign)})
            answer.failure(f"{CROSS_TENANT}: organisation {self.org} saw {sorted(foreign)}")
        else:
            answer.success()

    @task(16)
    def browse(self):
        name, path, _weight = random.choices(PAGES, [weight for *_, weight in PAGES])[0]
        self._get(name, path.format(id=self.workspace_id))

    @task(1)
    def approve(self):
        page = self._get("approvals", f"/w/{self.workspace_id}/approvals/")
        links = sorted(set(APPROVE_LINK.findall(page.text or "")))
        if not links:
            COUNTS["nothing_to_approve"] += 1
            return
        kind, webwork_id = random.choice(links)
        with self.client.post(
            f"/w/{self.workspace_id}/approvals/{kind}/{webwork_id}/approve/",
            name="approve",
            headers={**self.headers, "HX-Request": "true"},
            catch_response=True,
        ) as answer:
            # 409 or 400: another manager's click (or WebWork) decided it first; still an answer.
            if answer.status_code in (400, 409):
                answer.success()
                return
            self._check(answer)
            if answer.status_code < 400:
                COUNTS["approved"] += 1


@events.quitting.add_listener
def _report(environment, **kwargs):
    path = os.environ.get("HOSTED_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(COUNTS, handle)
