"""The integration's admin: every model there, mirrored rows read-only with "Resync selected",
deliveries replayable, and no token ever on a page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf

from integrations import models as m
from integrations.sync.owed import owed_due
from tests.integrations.helpers import queued_tasks

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

ACCESS_TOKEN = "wwat_admin_must_never_show_this"
REFRESH_TOKEN = "wwrt_admin_must_never_show_this"
WEBHOOK_TOKEN = "whsec_admin_must_never_show_this"
NOW = timezone.now()


def mirror(model, workspace, webwork_id, **fields):
    return model.objects.create(
        workspace=workspace, webwork_id=str(webwork_id), raw={"id": webwork_id}, **fields
    )


@pytest.fixture
def rows():
    """One row of every model of the integration, with secrets where they can be."""
    user = get_user_model().objects.create(username="webwork-1", email="olivia@acme.test")
    workspace = m.Workspace.objects.create(
        webwork_id=1,
        name="Acme Studio",
        webhook_token=WEBHOOK_TOKEN,
        webhook_webwork_id="hook1",
        connected_at=NOW,
    )
    connection = m.Connection.objects.create(
        user=user,
        webwork_user_id=1,
        email="olivia@acme.test",
        access_token=ACCESS_TOKEN,
        refresh_token=REFRESH_TOKEN,
        expires_at=NOW + dt.timedelta(days=10),
        last_error="WebWork was slow",
    )
    m.WorkspaceAccess.objects.create(user=user, workspace=workspace, connection=connection, role="Owner")
    member = mirror(m.Member, workspace, 1, email="olivia@acme.test", role="Owner", status="active")
    project = mirror(m.Project, workspace, 10, name="Website")
    task = mirror(m.Task, workspace, 100, project=project, title="Wireframes")
    m.TaskAssignee.objects.create(task=task, member=member, user_webwork_id=1)
    viewer = mirror(m.ProjectViewer, workspace, 7, email="client@northwind.test")
    m.ViewerProject.objects.create(viewer=viewer, project=project, project_webwork_id=10)
    mirror(m.Contract, workspace, 20, member=member, project=project, rate=Decimal("40"))
    mirror(m.TimeEntry, workspace, 30, member=member, user_webwork_id=1, date=NOW.date(), start_time=NOW)
    mirror(m.RunningTracker, workspace, 1, member=member, started_at=NOW)
    mirror(
        m.Timesheet,
        workspace,
        40,
        member=member,
        date_from=NOW.date(),
        date_to=NOW.date(),
        status="submitted",
    )
    mirror(m.TimeRequest, workspace, 50, member=member, status="pending")
    policy = mirror(m.LeavePolicy, workspace, 60, name="Vacation")
    mirror(
        m.LeaveBalance,
        workspace,
        "1:Vacation",
        member=member,
        user_webwork_id=1,
        leave_type="Vacation",
        balance="10",
    )
    mirror(m.LeaveRequest, workspace, 70, member=member, policy=policy, status="pending")
    category = mirror(m.ExpenseCategory, workspace, 80, name="Travel")
    mirror(
        m.Expense,
        workspace,
        90,
        member=member,
        category=category,
        name="Train",
        amount=Decimal("25.50"),
        date=NOW.date(),
    )
    mirror(m.WebhookRegistration, workspace, "hook1", url="https://clockroom.test/integrations/webhooks/x/")
    m.SyncRun.objects.create(workspace=workspace, resource="members", status="succeeded")
    m.SyncState.objects.create(workspace=workspace)
    m.ApiBudget.objects.create(key="webwork-user-1", sent=[1.0, 2.0])
    m.AuditEvent.objects.create(
        workspace=workspace, actor=user, action="timesheet_approve", object_type="timesheet", object_id="40"
    )
    mirror(m.DailyActivity, workspace, f"1:{NOW.date()}", member=member, user_webwork_id=1, date=NOW.date())
    mirror(
        m.DailyAttendance,
        workspace,
        f"1:{NOW.date()}",
        member=member,
        user_webwork_id=1,
        date=NOW.date(),
        statuses=["Present", "Late"],
        late=True,
    )
    m.AttendanceFetch.objects.create(
        workspace=workspace, date_from=NOW.date(), date_to=NOW.date(), requested_by=user
    )
    bulk = m.BulkDecision.objects.create(workspace=workspace, actor=user, kind="leave", verb="approve")
    m.BulkDecisionItem.objects.create(bulk=bulk, object_id="70", status="refused", message="Not pending.")
    m.OwedSync.objects.create(
        workspace=workspace,
        resource="time_entries",
        key="2026-03-02",
        label="time entries of Mon 2 Mar 2026",
        params={"dates": ["2026-03-02"]},
        last_error="ServerError: GET reports/daily-timeline: Internal Server Error (HTTP 500)",
    )
    delivery = m.WebhookDelivery.objects.create(
        workspace=workspace,
        event_id="evt-1",
        event="tracker.started",
        body={
            "id": "evt-1",
            "event": "tracker.started",
            "data": {"user_id": 2, "start_time": NOW.isoformat()},
        },
        event_at=NOW,
        status=m.WebhookDelivery.Status.FAILED,
        error="OperationalError: database is locked",
        traceback="Traceback (most recent call last): ...",
    )
    return {"workspace": workspace, "connection": connection, "member": member, "delivery": delivery}


def integration_models():
    return list(apps.get_app_config("integrations").get_models())


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def assert_no_secret(html):
    for secret in (ACCESS_TOKEN, REFRESH_TOKEN, WEBHOOK_TOKEN):
        assert secret not in html
    raw_columns = m.Connection.objects.values_list("access_token", "refresh_token")
    # The page shows neither the token nor what the column holds (its ciphertext).
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_connection")
        for row in cursor.fetchall():
            for ciphertext in row:
                assert not ciphertext or ciphertext not in html
    assert raw_columns  # there was a connection to leak


def test_every_model_of_the_integration_is_registered():
    missing = [model.__name__ for model in integration_models() if model not in admin.site._registry]

    assert missing == []


@pytest.mark.parametrize("model", integration_models(), ids=lambda model: model.__name__)
def test_every_list_and_detail_page_renders_without_secrets(admin_client, rows, model):
    listing = admin_client.get(admin_url(model, "changelist"))

    assert listing.status_code == 200
    assert_no_secret(listing.content.decode())
    row = model.objects.first()
    detail = admin_client.get(admin_url(model, "change", row.pk))
    assert detail.status_code == 200
    assert_no_secret(detail.content.decode())


def test_a_connection_shows_its_state_but_no_token(admin_client, rows):
    connection = rows["connection"]

    html = admin_client.get(admin_url(m.Connection, "change", connection.pk)).content.decode()

    for shown in ("olivia@acme.test", "OAuth2 sign-in", "Active", "WebWork was slow", "Expires at"):
        assert shown in html
    assert "access_token" not in html
    assert "refresh_token" not in html
    assert_no_secret(html)


@pytest.mark.parametrize("model", [m.Member, m.Project, m.TimeEntry, m.Connection, m.SyncRun, m.AuditEvent])
def test_mirrored_rows_and_records_cannot_be_added_changed_or_deleted(admin_client, rows, model):
    row = model.objects.first()
    before = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}

    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.get(admin_url(model, "delete", row.pk)).status_code == 403
    admin_client.post(admin_url(model, "change", row.pk), {"email": "changed@example.com", "name": "Changed"})

    after = model.objects.get(pk=row.pk)
    assert {f.attname: getattr(after, f.attname) for f in model._meta.concrete_fields} == before


def test_resync_selected_queues_a_sync_of_their_workspace(
    admin_client, rows, django_capture_on_commit_callbacks
):
    member = rows["member"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            admin_url(m.Member, "changelist"),
            {"action": "resync_selected", "_selected_action": [member.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert "A sync of Acme Studio is queued" in response.content.decode()
    queued = queued_tasks()
    assert [(t["func"], t["args"]) for t in queued] == [
        ("integrations.tasks.workspace_sync_task", (rows["workspace"].pk, "incremental"))
    ]


def test_an_owed_part_can_be_retried_with_the_next_sync_skipping_its_backoff(admin_client, rows):
    owed = m.OwedSync.objects.get()
    m.OwedSync.objects.filter(pk=owed.pk).update(attempts=6, retry_at=timezone.now() + dt.timedelta(hours=1))

    response = admin_client.post(
        admin_url(m.OwedSync, "changelist"),
        {"action": "retry_with_next_sync", "_selected_action": [owed.pk]},
        follow=True,
    )

    assert "1 part(s) will be retried by each workspace&#x27;s next sync." in response.content.decode()
    owed.refresh_from_db()
    assert owed.retry_at <= timezone.now()
    assert [row.key for row in owed_due(rows["workspace"])] == ["2026-03-02"]


def test_replay_processes_a_failed_delivery_again(
    admin_client, rows, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(Conf, "SYNC", True)
    delivery = rows["delivery"]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            admin_url(m.WebhookDelivery, "changelist"),
            {"action": "replay", "_selected_action": [delivery.pk]},
            follow=True,
        )

    assert "Queued 1 deliveries to be processed again" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error, delivery.traceback) == ("processed", "", ""), delivery.note
    tracker = m.RunningTracker.objects.current().get(workspace=rows["workspace"], webwork_id="2")
    assert tracker.started_at.replace(microsecond=0) == NOW.replace(microsecond=0)

    # Replaying a processed delivery is allowed and changes nothing.
    processed_at = delivery.processed_at
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            admin_url(m.WebhookDelivery, "changelist"),
            {"action": "replay", "_selected_action": [delivery.pk]},
        )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.processed_at, delivery.attempts) == ("processed", processed_at, 1)


@pytest.mark.parametrize(
    "model", [m.Member, m.TimeEntry, m.Contract, m.WebhookDelivery, m.WebhookRegistration]
)
def test_list_pages_do_not_query_per_row(admin_client, rows, model):
    url = admin_url(model, "changelist")
    admin_client.get(url)
    with CaptureQueriesContext(db_connection) as one_row:
        admin_client.get(url)
    template = model.objects.first()
    for n in range(2, 12):
        template.pk = None
        template.webwork_id = f"copy-{n}"
        if model is m.WebhookDelivery:
            template.event_id = f"evt-{n}"
        template.save()
    with CaptureQueriesContext(db_connection) as many_rows:
        admin_client.get(url)

    assert len(many_rows) == len(one_row)
