"""The Django admin of the sandbox: every model listed, secrets hidden, deliveries sent again."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf

from integrations.sandbox.models import (
    AuthorizationCode,
    Contract,
    Expense,
    ExpenseCategory,
    FaultSettings,
    LeaveAllowance,
    LeavePolicy,
    LeaveRequest,
    Membership,
    OAuthApplication,
    Project,
    ProjectTag,
    ProjectTagging,
    RateLimitWindow,
    RefreshToken,
    RunningTracker,
    SandboxUser,
    Task,
    TaskAssignee,
    TimeEntry,
    TimeRequest,
    Timesheet,
    ViewerProject,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from integrations.sandbox.models.oauth import digest
from integrations.sandbox.tokens import access_token_issue
from tests.integrations.sandbox.test_webhook_delivery import Receiver

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

SANDBOX_MODELS = sorted(apps.get_app_config("sandbox").get_models(), key=lambda model: model.__name__)


@pytest.fixture
def rows(world):
    """One row of every sandbox model (the world fixture has users, workspaces and members)."""
    now = timezone.now()
    acme, alice = world.acme, world.alice
    project = Project.objects.create(workspace=acme, owner=world.owner, name="Atlas")
    ProjectTagging.objects.create(
        project=project, tag=ProjectTag.objects.create(workspace=acme, name="Marketing", color="#FF5733")
    )
    contract = Contract.objects.create(workspace=acme, project=project, user=alice)
    task = Task.objects.create(
        workspace=acme, project=project, owner=world.owner, creator=world.owner, title="Logo"
    )
    TaskAssignee.objects.create(task=task, user=alice)
    ViewerProject.objects.create(
        viewer=Membership.objects.get(workspace=acme, user=world.viewer), project=project
    )
    RunningTracker.objects.create(workspace=acme, user=alice, contract=contract, project=project)
    TimeEntry.objects.create(
        workspace=acme,
        user=alice,
        project=project,
        date=now.date(),
        start_time=now - timedelta(hours=1),
        end_time=now,
        duration_minutes=60,
    )
    TimeRequest.objects.create(workspace=acme, user=alice, start=now - timedelta(hours=2), end=now)
    Timesheet.objects.create(
        workspace=acme, user=alice, date_from=date(2025, 1, 6), date_to=date(2025, 1, 12)
    )
    policy = LeavePolicy.objects.create(workspace=acme, name="Vacation")
    LeaveAllowance.objects.create(policy=policy, user=alice, amount=25)
    LeaveRequest.objects.create(
        workspace=acme, user=alice, policy=policy, start_date=date(2025, 2, 3), end_date=date(2025, 2, 4)
    )
    category = ExpenseCategory.objects.create(workspace=acme, name="Travel")
    Expense.objects.create(
        workspace=acme, user=alice, category=category, expense_name="Train", date=now.date(), amount=42
    )
    application = OAuthApplication.objects.create(
        name="Clockroom", client_id="clockroom-client", client_secret_digest=digest("wwcs_secret")
    )
    AuthorizationCode.objects.create(
        application=application,
        user=world.owner,
        code_digest=digest("the-code"),
        redirect_uri="http://127.0.0.1/callback",
        scope="read",
        expires_at=now + timedelta(minutes=5),
    )
    raw_token, access = access_token_issue(user=world.owner, application=application)
    RefreshToken.objects.create(
        access_token=access,
        application=application,
        user=world.owner,
        token_digest=digest("the-refresh-token"),
        scope="read",
        expires_at=now + timedelta(days=30),
    )
    RateLimitWindow.objects.create(user_id=world.owner.id, window_start=now, count=3)
    FaultSettings.current()
    webhook = Webhook.objects.create(
        workspace=acme, url="http://127.0.0.1:9/hooks", events=["project.created"]
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event="project.created",
        payload={"event": "project.created"},
        status="failed",
        attempts=1,
    )
    WebhookAttempt.objects.create(
        delivery=delivery, number=1, status_code=503, error="The receiver answered 503."
    )
    return {"raw_token": raw_token, "access": access, "application": application, "delivery": delivery}


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:sandbox_{model._meta.model_name}_{view}", args=args)


def test_every_sandbox_model_is_registered():
    assert [model for model in SANDBOX_MODELS if model not in admin.site._registry] == []


def test_the_changelist_and_a_change_page_of_every_model_render(admin_client, rows):
    broken = []
    for model in SANDBOX_MODELS:
        listing = admin_client.get(admin_url(model), follow=True)
        row = model.objects.first()
        change = admin_client.get(admin_url(model, "change", row.pk))
        # FaultSettings has a single row: its list opens that row at once.
        listed = model is FaultSettings or listing.context["cl"].result_count >= 1
        if listing.status_code != 200 or change.status_code != 200 or not listed:
            broken.append((model.__name__, listing.status_code, change.status_code))

    assert broken == []


def test_changelists_search(admin_client, rows, world):
    members = admin_client.get(admin_url(Membership), {"q": "alice"})
    by_event_id = admin_client.get(admin_url(WebhookDelivery), {"q": str(rows["delivery"].event_id)})
    searchable = [model for model in SANDBOX_MODELS if model is not FaultSettings]
    junk = [admin_client.get(admin_url(model), {"q": "no such thing"}) for model in searchable]

    assert [m.user for m in members.context["cl"].result_list] == [world.alice]
    assert list(by_event_id.context["cl"].result_list) == [rows["delivery"]]
    assert [response.status_code for response in junk] == [200] * len(searchable)


def test_secrets_never_show(admin_client, rows, world):
    access, application = rows["access"], rows["application"]
    pages = [
        admin_client.get(admin_url(type(access))).content.decode(),
        admin_client.get(admin_url(type(access), "change", access.pk)).content.decode(),
        admin_client.get(admin_url(OAuthApplication, "change", application.pk)).content.decode(),
        admin_client.get(admin_url(RefreshToken)).content.decode(),
        admin_client.get(admin_url(AuthorizationCode)).content.decode(),
        admin_client.get(admin_url(SandboxUser, "change", world.owner.pk)).content.decode(),
    ]
    secrets = [
        access.token_digest,
        rows["raw_token"],
        application.client_secret_digest,
        digest("the-refresh-token"),
        digest("the-code"),
        SandboxUser.objects.get(pk=world.owner.pk).password,
    ]

    assert [secret for secret in secrets for page in pages if secret in page] == []
    assert "Personal access token" in pages[0] or "OAuth2" in pages[0]  # the kind shows
    assert world.owner.email in pages[0]


def test_a_new_password_can_be_set_for_a_sandbox_user(admin_client, world):
    user = world.alice
    response = admin_client.post(
        admin_url(SandboxUser, "change", user.pk),
        {
            "email": user.email,
            "firstname": user.firstname,
            "lastname": user.lastname,
            "avatar": "",
            "timezone": "UTC",
            "new_password": "fresh-secret",
            "created_at_0": user.created_at.date().isoformat(),
            "created_at_1": "09:00:00",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.check_password("fresh-secret")
    assert not user.check_password("demo")


def fault_form(**changes):
    values = {
        "server_error_rate": 0,
        "rate_limit_rate": 0,
        "latency_ms": 0,
        "timeout_rate": 0,
        "timeout_seconds": 30,
        "webhook_drop_rate": 0,
        "webhook_duplicate_rate": 0,
    }
    return {**values, **changes}


def test_fault_settings_are_edited_in_the_admin(admin_client):
    url = admin_url(FaultSettings, "change", FaultSettings.current().pk)

    saved = admin_client.post(url, fault_form(webhook_drop_rate=0.5, webhook_reorder="on"))
    refused = admin_client.post(url, fault_form(webhook_drop_rate=1.5))

    assert saved.status_code == 302
    assert refused.status_code == 200
    assert "webhook_drop_rate" in refused.context["adminform"].form.errors
    faults = FaultSettings.current()
    assert (faults.webhook_drop_rate, faults.webhook_reorder) == (0.5, True)
    assert admin_client.get(admin_url(FaultSettings)).url == url


def test_a_delivery_shows_its_attempts(admin_client, rows):
    delivery = rows["delivery"]

    page = admin_client.get(admin_url(WebhookDelivery, "change", delivery.pk)).content.decode()

    assert "503" in page
    assert "The receiver answered 503." in page
    assert "project.created" in page


def test_send_again_queues_a_new_delivery_of_the_same_event(
    admin_client, world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(Conf, "SYNC", True)
    with Receiver() as receiver:
        webhook = Webhook.objects.create(workspace=world.acme, url=receiver.url, events=["member.updated"])
        failed = WebhookDelivery.objects.create(
            webhook=webhook,
            event="member.updated",
            payload={"id": "3b2f0c55-0000-4000-8000-000000000001", "event": "member.updated", "data": {}},
            status="failed",
            attempts=5,
        )
        with django_capture_on_commit_callbacks(execute=True, using="sandbox"):
            response = admin_client.post(
                admin_url(WebhookDelivery),
                {"action": "send_again", "_selected_action": [failed.pk]},
                follow=True,
            )

    assert response.status_code == 200
    assert "Queued 1 delivery(ies) again" in response.content.decode()
    again = WebhookDelivery.objects.exclude(pk=failed.pk).get()
    assert again.resent_from == failed
    assert again.event_id == failed.event_id
    assert again.status == "delivered"
    assert receiver.events() == ["member.updated"]
    assert receiver.requests[0]["headers"]["X-Webhook-Token"] == webhook.token
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_stopping_a_tracker_in_the_admin_fires_tracker_stopped(
    admin_client, world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(Conf, "SYNC", True)
    tracker = RunningTracker.objects.create(workspace=world.acme, user=world.bob)
    with Receiver() as receiver:
        Webhook.objects.create(workspace=world.acme, url=receiver.url, events=["tracker.stopped"])
        with django_capture_on_commit_callbacks(execute=True, using="sandbox"):
            response = admin_client.post(admin_url(RunningTracker, "delete", tracker.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not RunningTracker.objects.exists()
    assert receiver.events() == ["tracker.stopped"]
    assert receiver.bodies()[0]["data"]["user_id"] == world.bob.id
