"""The sync as a manager sees it: workspaces connected at sign-in, the progress card (htmx polling
while a sync runs), "Sync now", and the sync health page."""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.text import capfirst

from dashboard.templatetags.clockroom import resource_words
from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sandbox import timekeeping
from integrations.sync import orchestrator
from tests.dashboard.helpers import HTMX, counts_shown, csrf_token, shown, vary, words
from tests.dashboard.test_auth import LOGIN, consent, manager_of, path_of
from tests.integrations.helpers import queued_tasks
from tests.sandbox_world import sync_connection_for

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
live = pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)

POLLING = 'hx-trigger="every 2s"'


def syncs_queued():
    """(workspace pk, kind) of each sync task waiting in django-q2's queue."""
    return [tuple(t["args"]) for t in queued_tasks() if t["func"] == "integrations.tasks.workspace_sync_task"]


@pytest.fixture
def acme():
    return mirror.Workspace.objects.create(webwork_id=1, name="Acme Studio", connected_at=timezone.now())


@pytest.fixture
def owner(acme):
    return manager_of(acme, username="olivia")


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def step(name, status, planned, done=0, kind="reference", **extra):
    return {
        "name": name,
        "kind": kind,
        "resource": name,
        "status": status,
        "planned": planned,
        "done": done,
        **extra,
    }


def running_first_sync(workspace):
    """A first sync half-way: the queues done, projects running, the rest to come."""
    now = timezone.now()
    return mirror.SyncState.objects.create(
        workspace=workspace,
        locked_by="worker-1",
        locked_until=now + timedelta(minutes=2),
        started_at=now - timedelta(seconds=20),
        plan={
            "status": "running",
            "scope": "full",
            "kind": "incremental",
            "steps": [
                step("timesheets: submitted", "done", 1, 1, kind="queues"),
                step("members", "done", 1, 1),
                step("projects", "running", 2),
                step("time entries: this week", "pending", 58, kind="this_week"),
            ],
        },
    )


def finished_sync(workspace, *, minutes_ago=3):
    finished = timezone.now() - timedelta(minutes=minutes_ago)
    return mirror.SyncState.objects.create(
        workspace=workspace,
        started_at=finished - timedelta(seconds=30),
        finished_at=finished,
        first_sync_done_at=finished,
        plan={
            "status": "done",
            "scope": "incremental",
            "steps": [step("members", "done", 1, 1), step("projects", "done", 2, 2)],
        },
    )


# --- connecting at sign-in ------------------------------------------------------------------------


@live
def test_signing_in_connects_the_workspaces_the_manager_may_manage(world, live_webwork, monkeypatch):
    browser = Client()
    back_to = consent(browser, browser.get(LOGIN)["Location"], email="manager@acme.test")

    home = browser.get(path_of(back_to), follow=True)

    acme = mirror.Workspace.objects.get(webwork_id=world.acme.id)
    globex = mirror.Workspace.objects.get(webwork_id=world.globex.id)  # a Regular User there
    assert acme.is_connected
    assert not globex.is_connected
    assert acme.sync_connection == mirror.Connection.objects.get(webwork_user_id=world.manager.id)
    assert syncs_queued() == [(acme.pk, "queues"), (acme.pk, "incremental")]  # its front first
    assert (
        sandbox.Webhook.objects.filter(workspace=world.acme, url__contains=str(acme.webhook_uuid)).count()
        == 1
    )
    assert "Connected Acme Studio: the first sync starts by itself" in shown(home)

    page = browser.get(f"/w/{world.acme.id}/")
    assert "First sync queued" in shown(page)
    assert POLLING in page.content.decode()

    # Signing in again connects nothing twice.
    again = Client()
    again.get(path_of(consent(again, again.get(LOGIN)["Location"], email="manager@acme.test")))
    assert len(syncs_queued()) == 2


# --- the progress card ----------------------------------------------------------------------------


def test_the_progress_card_polls_while_the_first_sync_runs(signed_in, acme):
    running_first_sync(acme)

    answer = signed_in.get("/w/1/", headers=HTMX)

    body = answer.content.decode()
    assert answer.status_code == 200
    assert body.lstrip().startswith('<section id="sync-status"')
    assert "<html" not in body
    assert "HX-Request" in vary(answer)
    assert POLLING in body
    text = shown(answer)
    assert "First sync in progress" in text
    assert "Now: projects." in text
    assert re.search(r"2 of 62 requests\s*</span>\s*\(3%\)", text)
    assert "left</span> at the current rate" in text
    assert "sync-step" not in body  # each step is on Sync health, in a manager's words
    assert 'href="/w/1/sync/#current-sync-heading">each step</a>' in body
    health = signed_in.get("/w/1/sync/").content.decode()
    rows = re.findall(r'<tr class="sync-step sync-step-(\w+)"', health)
    assert rows == ["done", "done", "running", "pending"]
    assert "The sync under way, step by step" in html.unescape(health)


def test_the_polled_progress_card_is_a_handful_of_queries(signed_in, acme, django_assert_max_num_queries):
    running_first_sync(acme)

    with django_assert_max_num_queries(5):  # session, user, workspace, sync state, counts
        answer = signed_in.get("/w/1/", headers=HTMX)

    assert POLLING in answer.content.decode()


def test_the_progress_card_stops_polling_once_the_sync_is_done(signed_in, acme):
    finished_sync(acme)

    answer = signed_in.get("/w/1/", headers=HTMX)

    text = shown(answer)
    assert POLLING not in text
    assert re.search(r"Up to date, last synced\s*<time[^>]*>3\xa0minutes ago</time>", text)
    assert "left</span>" not in text


def test_the_whole_page_is_served_without_htmx_and_on_a_history_restore(signed_in, acme):
    running_first_sync(acme)

    for headers in ({}, {**HTMX, "HX-History-Restore-Request": "true"}):
        page = signed_in.get("/w/1/", headers=headers)
        body = page.content.decode()
        assert body.startswith("<!doctype html>"), headers
        assert '<section id="sync-status"' in body
        assert POLLING in body
        assert "HX-Request" in vary(page)


def test_a_workspace_never_synced_says_so_and_does_not_poll(signed_in, acme):
    text = shown(signed_in.get("/w/1/"))

    assert "No sync has run for this workspace yet." in text
    assert POLLING not in text


def test_the_counts_are_the_mirror_s_current_rows_of_this_workspace(signed_in, acme):
    globex = mirror.Workspace.objects.create(webwork_id=2, name="Globex")
    week = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    for n, status in enumerate(["submitted", "submitted", "approved", "open"]):
        mirror.Timesheet.objects.create(
            workspace=acme, webwork_id=str(n), status=status, date_from=week, date_to=week + timedelta(6)
        )
    mirror.Timesheet.objects.create(
        workspace=acme,
        webwork_id="9",
        status="submitted",
        date_from=week,
        date_to=week,
        removed_at=timezone.now(),
    )
    mirror.Timesheet.objects.create(
        workspace=globex, webwork_id="1", status="submitted", date_from=week, date_to=week
    )
    for n, status in enumerate(["pending", "approved"]):
        mirror.TimeRequest.objects.create(workspace=acme, webwork_id=str(n), status=status)
    mirror.LeaveRequest.objects.create(workspace=acme, webwork_id="1", status="pending")
    mirror.RunningTracker.objects.create(workspace=acme, webwork_id="7", started_at=timezone.now())

    answer = signed_in.get("/w/1/?part=figures", headers=HTMX)

    assert answer.content.decode().lstrip().startswith('<section id="figures"')
    assert counts_shown(answer) == {
        "approvals": 4,
        "timesheets_submitted": 2,
        "time_requests_pending": 1,
        "leaves_pending": 1,
        "working_now": 1,
    }


def test_after_a_real_sync_the_card_says_up_to_date_and_the_counts_equal_the_sandbox(
    world,
    client,
    make_client,
    settings,
):
    settings.WEBWORK_HISTORY_DAYS = 2
    acme_sandbox = world.acme
    today = timekeeping.local_date(acme_sandbox, timezone.now())
    monday = timekeeping.week_start(today) - timedelta(days=7)
    sandbox.Timesheet.objects.create(
        workspace=acme_sandbox,
        user=world.alice,
        date_from=monday,
        date_to=monday + timedelta(days=6),
        status="submitted",
        submitted_on=timezone.now(),
    )
    sandbox.TimeRequest.objects.create(
        workspace=acme_sandbox,
        user=world.bob,
        start=timekeeping.local_moment(acme_sandbox, today - timedelta(1), timedelta(hours=14)),
        end=timekeeping.local_moment(acme_sandbox, today - timedelta(1), timedelta(hours=15)),
    )
    timekeeping.tracker_start(workspace=acme_sandbox, user=world.bob)
    workspace = mirror.Workspace.objects.create(
        webwork_id=acme_sandbox.id,
        name=acme_sandbox.name,
        timezone=acme_sandbox.timezone,
        connected_at=timezone.now(),
    )
    sync_connection_for(workspace, world.owner)
    result = orchestrator.workspace_sync(workspace)
    assert result.status == "done", result.errors
    client.force_login(manager_of(workspace))

    text = shown(client.get(f"/w/{workspace.webwork_id}/"))

    assert re.search(r"Up to date, last synced\s*<time", text)
    assert POLLING not in text
    submitted = sandbox.Timesheet.objects.filter(workspace=acme_sandbox, status="submitted").count()
    pending = sandbox.TimeRequest.objects.filter(workspace=acme_sandbox, status="pending").count()
    leaves = sandbox.LeaveRequest.objects.filter(workspace=acme_sandbox, status="pending").count()
    working = sandbox.RunningTracker.objects.filter(workspace=acme_sandbox).count()
    assert (submitted, pending, working) == (1, 1, 1)
    shown_counts = counts_shown(text)
    assert shown_counts["approvals"] == submitted + pending + leaves
    assert shown_counts["working_now"] == working
    done = mirror.SyncState.objects.get(workspace=workspace).requests_done
    health = shown(client.get(f"/w/{workspace.webwork_id}/sync/"))
    assert f"{done} of {done} requests (100%)" in health


# --- sync now -------------------------------------------------------------------------------------


def test_sync_now_queues_a_sync_and_answers_the_card_that_watches_it(
    signed_in, acme, django_capture_on_commit_callbacks
):
    finished_sync(acme)

    with django_capture_on_commit_callbacks() as callbacks:
        answer = signed_in.post("/w/1/sync/now/", headers=HTMX)

    assert len(callbacks) == 1
    assert "HX-Request" in vary(answer)
    body = answer.content.decode()
    assert body.lstrip().startswith('<section id="sync-status"')
    text = shown(answer)
    assert "A sync of Acme Studio is queued; this page shows its progress." in text
    assert "Sync queued" in text
    assert POLLING in body


def test_sync_now_refuses_politely_while_a_sync_runs(signed_in, acme, django_capture_on_commit_callbacks):
    running_first_sync(acme)

    with django_capture_on_commit_callbacks() as callbacks:
        answer = signed_in.post("/w/1/sync/now/", headers=HTMX)
        plain = signed_in.post("/w/1/sync/now/", follow=True)

    assert callbacks == []
    assert "A sync of Acme Studio is already running (2 of 62 requests done)" in shown(answer)
    assert 'class="sync-message sync-message-warning"' in answer.content.decode()
    assert plain.redirect_chain == [("/w/1/", 302)]
    assert "already running" in shown(plain)


def test_sync_now_without_htmx_redirects_to_the_workspace_with_a_message(
    signed_in, acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        answer = signed_in.post("/w/1/sync/now/", follow=True)

    assert answer.redirect_chain == [("/w/1/", 302)]
    assert "A sync of Acme Studio is queued" in shown(answer)
    assert len(callbacks) == 1


def test_sync_now_is_a_post_with_csrf(owner, acme):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)

    assert browser.get("/w/1/sync/now/").status_code == 405
    assert browser.post("/w/1/sync/now/").status_code == 403
    page = browser.get("/w/1/").content.decode()
    assert 'action="/w/1/sync/now/"' in page
    assert 'hx-post="/w/1/sync/now/"' in page
    token = csrf_token(page)
    assert browser.post("/w/1/sync/now/", {"csrfmiddlewaretoken": token}).status_code == 302


def test_sync_now_of_a_disconnected_workspace_says_why_not(
    signed_in, acme, django_capture_on_commit_callbacks
):
    finished_sync(acme)
    acme.disconnected_at = timezone.now()
    acme.save()

    with django_capture_on_commit_callbacks() as callbacks:
        answer = signed_in.post("/w/1/sync/now/", headers=HTMX)

    assert callbacks == []
    assert "Acme Studio is not connected, so Clockroom does not sync it." in shown(answer)
    assert "Disconnected" in shown(answer)
    assert "Sync now</button>" not in shown(answer)


# --- the sync connection --------------------------------------------------------------------------


def test_a_broken_sync_connection_of_another_manager_is_announced(signed_in, acme, django_user_model):
    colleague = django_user_model.objects.create_user("marcus")
    broken = mirror.Connection.objects.create(
        user=colleague,
        webwork_user_id=77,
        email="marcus@acme.test",
        access_token="wwat_secret_marcus",
        status=mirror.Connection.Status.NEEDS_SIGN_IN,
        last_error="WebWork no longer accepts this sign-in.",
    )
    mirror.WorkspaceAccess.objects.create(
        user=colleague, workspace=acme, connection=broken, role="Owner", can_manage=True
    )
    acme.sync_connection = broken
    acme.save()

    text = shown(signed_in.get("/w/1/"))

    assert "The WebWork sign-in this workspace syncs with needs renewing." in text
    assert "WebWork no longer accepts the sign-in of marcus@acme.test" in text
    assert "syncs continue with olivia@acme.test meanwhile" in text

    mirror.Connection.objects.filter(user__username="olivia").update(
        status=mirror.Connection.Status.NEEDS_SIGN_IN
    )
    text = shown(signed_in.get("/w/1/"))
    assert "WebWork needs you to sign in again as olivia@acme.test" in text  # the manager's own banner
    assert "Syncs of Acme Studio are paused: no manager's WebWork sign-in works." in text


def test_an_active_sync_connection_shows_no_banner(signed_in, acme, owner):
    acme.sync_connection = owner.webwork_connections.get()
    acme.save()

    text = shown(signed_in.get("/w/1/"))

    assert 'class="banner' not in text


# --- sync health ----------------------------------------------------------------------------------


@pytest.fixture
def history(acme):
    """60 runs of Acme over three resources (the latest members run failed), and another workspace's."""
    now = timezone.now()
    runs = []
    for n in range(60):
        resource = ("members", "projects", "timesheets")[n % 3]
        started = now - timedelta(minutes=n * 5)
        failed = n == 0
        runs.append(
            mirror.SyncRun(
                workspace=acme,
                resource=resource,
                scope="queues" if resource == "timesheets" else "",
                status="failed" if failed else "succeeded",
                started_at=started,
                finished_at=started + timedelta(seconds=n + 1),
                requests=n + 1,
                created=n,
                updated=2 * n,
                removed=n % 2,
                error="ServerError: WebWork answered 500" if failed else "",
            )
        )
    mirror.SyncRun.objects.bulk_create(runs)
    globex = mirror.Workspace.objects.create(webwork_id=2, name="Globex")
    mirror.SyncRun.objects.create(workspace=globex, resource="contracts", status="succeeded")
    return runs


def run_rows(fragment):
    """(status, resource, requests, created, updated, removed, error) of each run row."""
    return re.findall(
        r'<tr class="sync-run sync-run-(\w+)">\s*<td>([\w ]+?)(?: <span.*?)?</td>.*?'
        r'<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>\s*'
        r'<td class="num">(\d+)</td>\s*<td class="sync-error">([^<]*)</td>',
        fragment,
        re.S,
    )


def as_row(run):
    return (
        run.status,
        capfirst(resource_words(run.resource)),
        str(run.requests),
        str(run.created),
        str(run.updated),
        str(run.removed),
        run.error,
    )


def test_the_health_page_shows_the_last_run_of_each_resource_and_every_run_paginated(
    signed_in, acme, history, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):  # 12, and the frame: the switcher and freshness (2)
        page = signed_in.get("/w/1/sync/")

    assert page.status_code == 200
    text = shown(page)
    latest, everything = text.split("<h2>All runs</h2>")
    newest = mirror.SyncRun.objects.filter(workspace=acme).order_by("-started_at")
    expected_latest = {}
    for run in newest:
        expected_latest.setdefault(run.resource, as_row(run))
    assert run_rows(latest) == [expected_latest[r] for r in sorted(expected_latest)]
    assert expected_latest["members"][:2] == ("failed", "Members")
    assert "ServerError: WebWork answered 500" in latest
    assert run_rows(everything) == [as_row(run) for run in newest[:50]]
    assert "Page 1 of 2 · 60 runs" in everything
    assert 'href="?page=2"' in everything
    assert "Contracts" not in {row[1] for row in run_rows(text)}  # another workspace's run

    second = signed_in.get("/w/1/sync/", {"page": 2}, headers=HTMX)
    body = second.content.decode()
    assert body.lstrip().startswith('<div id="sync-runs"')
    assert "HX-Request" in vary(second)
    assert run_rows(shown(second)) == [as_row(run) for run in newest[50:]]

    for odd in ("abc", "-1", "999"):
        assert signed_in.get("/w/1/sync/", {"page": odd}).status_code == 200


def test_the_health_page_counts_the_webhook_deliveries_of_the_last_day(signed_in, acme):
    now = timezone.now()
    globex = mirror.Workspace.objects.create(webwork_id=2, name="Globex")
    for status, count in (("processed", 5), ("ignored", 2), ("failed", 1), ("received", 3)):
        for n in range(count):
            mirror.WebhookDelivery.objects.create(
                workspace=acme, event_id=f"{status}-{n}", status=status, received_at=now - timedelta(hours=n)
            )
    mirror.WebhookDelivery.objects.create(
        workspace=acme, status="failed", received_at=now - timedelta(hours=25)
    )
    mirror.WebhookDelivery.objects.create(workspace=globex, status="failed", received_at=now)

    text = shown(signed_in.get("/w/1/sync/"))

    counts = dict(re.findall(r'<dd class="num" data-count="(\w+)">(\d+)</dd>', text))
    assert counts == {"received": "11", "processed": "5", "ignored": "2", "failed": "1", "waiting": "3"}
    assert "No webhook is registered at WebWork" in text


def test_the_health_page_names_the_connection_in_use_never_its_tokens(signed_in, acme, owner):
    connection = owner.webwork_connections.get()
    connection.kind = mirror.Connection.Kind.OAUTH
    connection.refresh_token = "wwrt_secret_refresh"
    connection.expires_at = timezone.now() + timedelta(minutes=50)
    connection.save()
    acme.sync_connection = connection
    acme.webhook_webwork_id = "wh_1"
    acme.save()

    text = shown(signed_in.get("/w/1/sync/"))

    assert "<dt>Account</dt><dd>olivia@acme.test</dd>" in text
    assert "<dt>Kind</dt><dd>OAuth2 sign-in</dd>" in text
    assert re.search(r"connection-status-active\">Active</dd>", text)
    assert re.search(
        r"<dt>Token expires</dt><dd><time[^>]*>49\xa0minutes from now</time> \(renewed automatically\)", text
    )
    assert "Clockroom's webhook is registered at WebWork." in text
    assert "wwat_x" not in text
    assert "wwrt_secret_refresh" not in text


def test_the_health_page_says_when_syncs_are_paused(signed_in, acme, owner):
    owner.webwork_connections.update(status=mirror.Connection.Status.NEEDS_SIGN_IN)

    text = shown(signed_in.get("/w/1/sync/"))

    assert "No manager of Acme Studio has a working WebWork sign-in, so syncs are paused." in text


# --- disconnecting and connecting again ---------------------------------------------------------


def test_a_manager_disconnects_and_connects_the_workspace_again(
    signed_in, acme, owner, django_capture_on_commit_callbacks, settings
):
    settings.WEBWORK_API_BASE_URL = "http://127.0.0.1:9/unreachable"  # WebWork is down meanwhile
    finished_sync(acme)

    page = signed_in.get("/w/1/sync/")
    assert "Disconnect Acme Studio" in shown(page)

    gone = signed_in.post("/w/1/disconnect/", follow=True)

    acme.refresh_from_db()
    assert acme.disconnected_at is not None
    assert "Acme Studio is disconnected" in shown(gone)
    assert "Connect Acme Studio again" in shown(gone)
    audit = mirror.AuditEvent.objects.get(action="workspace_disconnect")
    assert audit.actor == owner
    assert audit.note  # the webhook could not be removed while WebWork was down, and it says so

    with django_capture_on_commit_callbacks(execute=False):
        back = signed_in.post("/w/1/connect/", follow=True)

    acme.refresh_from_db()
    assert acme.is_connected
    assert "Acme Studio is connected again" in shown(back)


def test_disconnecting_asks_first_and_says_what_it_does(signed_in, acme):
    health = shown(signed_in.get("/w/1/sync/"))
    confirm = signed_in.get("/w/1/disconnect/")

    assert 'href="/w/1/disconnect/">Disconnect Acme Studio…</a>' in health
    assert "<form" not in health.split("Keeping Acme Studio in sync")[1].split("</section>")[0]
    text = shown(confirm)
    assert confirm.status_code == 200
    assert "Disconnect Acme Studio?" in text
    assert "Nothing changes in WebWork itself" in text
    assert '<form method="post" action="/w/1/disconnect/"' in text
    assert signed_in.get("/w/1/connect/").status_code == 405
    acme.refresh_from_db()
    assert acme.is_connected


def test_the_health_page_says_what_is_not_synced_yet_and_since_when(signed_in, acme):
    now = timezone.now()
    finished_sync(acme)
    globex = mirror.Workspace.objects.create(webwork_id=2, name="Globex")
    owe = mirror.OwedSync.objects.create
    owe(
        workspace=acme,
        resource="time_entries",
        key="2026-12-01",
        label="time entries of Tue 1 Dec 2026",
        params={"dates": ["2026-12-01"]},
        since=now - timedelta(hours=2),
        attempts=3,
        retry_at=now + timedelta(minutes=20),
        last_error="ServerError: GET reports/daily-timeline: Internal Server Error (HTTP 500)",
    )
    owe(
        workspace=acme,
        resource="members",
        label="members",
        since=now - timedelta(minutes=5),
        retry_at=now - timedelta(minutes=1),
        last_error="TransportError: GET members: timed out",
    )
    owe(workspace=globex, resource="projects", label="projects of Globex", last_error="ServerError: x")

    text = words(signed_in.get("/w/1/sync/"))

    assert (
        "Time entries of Tue 1 Dec 2026 — WebWork answered with a server error, failing for 2 hours "
        "(3 tries). Next try 19 minutes from now." in text
    )
    assert (
        "Members — WebWork could not be reached, or did not answer in time, failing for 5 minutes (1 try). "
        "Next try with the next sync." in text
    )
    assert "Globex" not in text

    # The workspace's sync card says the mirror has gaps, and leads to them.
    page = signed_in.get("/w/1/")
    card = words(page)
    assert "Synced with gaps" in card
    assert "WebWork did not answer for 2 parts of this workspace" in card
    assert 'href="/w/1/sync/#owed-heading"' in shown(page)

    mirror.OwedSync.objects.filter(workspace=acme).delete()
    assert "Nothing: every part of Acme Studio the syncs read came through." in shown(
        signed_in.get("/w/1/sync/")
    )
    assert "Up to date" in shown(signed_in.get("/w/1/"))


def test_many_owed_dates_read_as_one_span_of_days(signed_in, acme):
    now = timezone.now()
    finished_sync(acme)
    for day in ("2026-11-30", "2026-12-01", "2026-12-02", "2026-12-04", "2026-12-06"):
        mirror.OwedSync.objects.create(
            workspace=acme,
            resource="time_entries",
            key=day,
            label=f"time entries of {day}",
            params={"dates": [day]},
            since=now - timedelta(minutes=10),
            retry_at=now + timedelta(minutes=2),
            last_error="ServerError: GET reports/daily-timeline: Internal Server Error (HTTP 500)",
        )

    text = words(signed_in.get("/w/1/sync/"))

    assert (
        "Time entries of 5 days between Mon 30 Nov and Sun 6 Dec 2026 — WebWork answered with a server "
        "error, failing for 10 minutes (1 try)." in text
    )
    assert "time entries of 2026-12-01" not in text.lower()
