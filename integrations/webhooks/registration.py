"""Clockroom's webhook at WebWork: one registration per workspace, for every event we handle,
pointing at our intake (`WEBWORK_PUBLIC_BASE_URL/integrations/webhooks/<workspace uuid>/`).

`webhook_register()` runs when a workspace is connected and is idempotent: a registration WebWork
already has for our URL (or under the id we stored) is reused and brought up to date, never
duplicated. Its id and token are kept on the Workspace (the token encrypted at rest) and the
registration is mirrored without its token. `webhook_unregister()` removes it on disconnect.

WebWork is asked first, outside any transaction; the rows are written after, in one.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..models import WebhookRegistration, Workspace
from ..sync.base import upsert, with_ids
from ..sync.webhooks import registration_events, webhook_registration_row
from ..webwork import errors
from ..webwork.payloads import text
from .handlers import EVENTS

logger = logging.getLogger(__name__)


def webhook_url(workspace) -> str:
    """Where WebWork posts this workspace's events."""
    path = reverse("webhooks:intake", kwargs={"webhook_uuid": workspace.webhook_uuid})
    return settings.WEBWORK_PUBLIC_BASE_URL.rstrip("/") + path


def _same_url(a, b):
    return isinstance(a, str) and a.strip().rstrip("/") == b.rstrip("/")


def _registrations(client, workspace):
    return with_ids(client.iter_items("webhooks", {"workspace_id": workspace.webwork_id}))


def _delete(client, workspace, webhook_id):
    """Delete a registration at WebWork; True if it was there."""
    try:
        client.workspace_request("DELETE", f"webhooks/{webhook_id}", workspace.webwork_id)
    except errors.NotFoundError:
        return False
    return True


def webhook_register(workspace, client):
    """Register the workspace's webhook at WebWork for all events, or bring the existing one up to date.

    Stores the registration's id and token on `workspace`; returns the mirrored WebhookRegistration.
    Raises errors.WebWorkError when WebWork refuses, or answers without an id.
    """
    url = webhook_url(workspace)
    registrations = _registrations(client, workspace)
    ours = [r for r in registrations if _same_url(r.get("url"), url)]
    stored = [
        r
        for r in registrations
        if workspace.webhook_webwork_id and str(r["id"]) == workspace.webhook_webwork_id and r not in ours
    ]
    candidates = ours + stored
    keep = candidates[0] if candidates else None
    # Only one registration may point at us (e.g. our old URL after WEBWORK_PUBLIC_BASE_URL changed).
    extra_ids = list(dict.fromkeys(str(r["id"]) for r in candidates[1:] if str(r["id"]) != str(keep["id"])))
    for webhook_id in extra_ids:
        _delete(client, workspace, webhook_id)

    body = {"url": url, "events": list(EVENTS)}
    if keep is None:
        answer = client.workspace_request("POST", "webhooks", workspace.webwork_id, json=body).data
    elif not _same_url(keep.get("url"), url) or set(registration_events(keep)) != set(EVENTS):
        answer = client.workspace_request(
            "PUT", f"webhooks/{keep['id']}", workspace.webwork_id, json=body
        ).data
    else:
        answer = None
    registration = {**(keep or {}), **(answer if isinstance(answer, dict) else {})}
    if registration.get("id") in (None, ""):
        raise errors.ServerError("WebWork registered the webhook but did not say its id.", path="webhooks")
    registration.setdefault("url", url)
    registration.setdefault("events", list(EVENTS))
    token = text(registration.get("token")) or text((keep or {}).get("token"))
    if not token:
        logger.warning(
            "WebWork did not give the token of webhook %s of workspace %s; deliveries will be refused",
            registration["id"],
            workspace.pk,
        )
    return _registration_store(workspace=workspace, registration=registration, token=token, removed=extra_ids)


@transaction.atomic
def _registration_store(*, workspace, registration, token, removed):
    row = webhook_registration_row(registration)
    workspace.webhook_webwork_id = row["webwork_id"]
    workspace.webhook_token = token
    Workspace.objects.filter(pk=workspace.pk).update(
        webhook_webwork_id=row["webwork_id"], webhook_token=token, updated_at=timezone.now()
    )
    upsert(WebhookRegistration, workspace, [row])
    if removed:
        WebhookRegistration.objects.filter(
            workspace=workspace, webwork_id__in=removed, removed_at__isnull=True
        ).update(removed_at=timezone.now())
    return WebhookRegistration.objects.get(workspace=workspace, webwork_id=row["webwork_id"])


def webhook_unregister(workspace, client) -> int:
    """Remove the workspace's webhook at WebWork (the one we stored, else any at our URL) and forget
    its id and token, so the intake refuses whatever still arrives. Returns how many were deleted."""
    if workspace.webhook_webwork_id:
        ids = [workspace.webhook_webwork_id]
    else:
        url = webhook_url(workspace)
        ids = [str(r["id"]) for r in _registrations(client, workspace) if _same_url(r.get("url"), url)]
    deleted = sum(_delete(client, workspace, webhook_id) for webhook_id in ids)
    _registration_forget(workspace=workspace, webwork_ids=ids)
    return deleted


@transaction.atomic
def _registration_forget(*, workspace, webwork_ids):
    workspace.webhook_webwork_id = ""
    workspace.webhook_token = ""
    Workspace.objects.filter(pk=workspace.pk).update(
        webhook_webwork_id="", webhook_token="", updated_at=timezone.now()
    )
    WebhookRegistration.objects.filter(
        workspace=workspace, webwork_id__in=webwork_ids, removed_at__isnull=True
    ).update(removed_at=timezone.now())
