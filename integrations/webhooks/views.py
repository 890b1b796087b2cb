"""The intake: WebWork posts each event to /integrations/webhooks/<workspace uuid>/.

Lean on purpose (WebWork waits for our answer): one lookup, one insert, 202. Processing runs in
a django-q2 task (processing.py). No session, no CSRF token: the registration's token, compared in
constant time, is the only credential, and it is never logged.
"""

import logging

from django.db import DataError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from config.logs import log_workspace_set

from ..models import Workspace
from . import verification
from .processing import webhook_delivery_receive

logger = logging.getLogger(__name__)


def _answer(status, message, **extra):
    return JsonResponse({"message": message, **extra}, status=status)


def _content_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


@csrf_exempt
@require_POST
@sensitive_variables("raw", "payload", "header_token", "token")
def webhook_intake(request, webhook_uuid):
    workspace = (
        Workspace.objects.only("pk", "webwork_id", "webhook_token").filter(webhook_uuid=webhook_uuid).first()
    )
    if workspace is None:
        return _answer(404, "No webhook is registered at this address.")
    log_workspace_set(workspace)  # the request's log lines name it from here on
    length = _content_length(request)
    if length is None:
        return _answer(400, "The Content-Length header is not a number.")
    if length > verification.MAX_BODY_BYTES:
        return _answer(413, f"The body is larger than {verification.MAX_BODY_BYTES // 1024} KB.")
    raw = request.read(verification.MAX_BODY_BYTES + 1)
    if len(raw) > verification.MAX_BODY_BYTES:
        return _answer(413, f"The body is larger than {verification.MAX_BODY_BYTES // 1024} KB.")

    header_token = request.headers.get(verification.TOKEN_HEADER) or None
    if header_token is not None and not verification.token_matches(workspace.webhook_token, header_token):
        return _unauthorized(workspace)
    try:
        payload = verification.body_parse(raw)
    except verification.BodyError as exc:
        return _answer(400, str(exc))
    token = header_token if header_token is not None else verification.body_token(payload)
    if not verification.token_matches(workspace.webhook_token, token):
        return _unauthorized(workspace)
    try:
        verification.body_check(payload)
    except verification.BodyError as exc:
        logger.warning("Refused a webhook delivery for workspace %s: %s", workspace.pk, exc)
        return _answer(400, str(exc))

    try:
        delivery = webhook_delivery_receive(workspace=workspace, payload=payload)
    except DataError:
        # e.g. a NUL character PostgreSQL's JSON cannot hold.
        logger.warning("Could not store a webhook delivery for workspace %s", workspace.pk, exc_info=True)
        return _answer(400, "The body could not be stored (unsupported characters).")
    return _answer(202, "Accepted.", delivery=delivery.pk)


def _unauthorized(workspace):
    logger.warning("Refused a webhook delivery for workspace %s: missing or wrong token", workspace.pk)
    return _answer(401, "Missing or wrong webhook token.")
