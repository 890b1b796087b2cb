"""Webhook registrations: list, create, get, update, delete.

GET/POST /webhooks, GET/PUT/DELETE /webhooks/{id}. The bodies may be JSON or
application/x-www-form-urlencoded; `events` may be a JSON array, repeated `events[]`
fields or one comma-separated string. A workspace registers a URL once.
"""

from urllib.parse import urlsplit

from django import forms
from django.db import transaction

from ..models import Webhook
from ..models.webhooks import Event
from .base import (
    Response,
    iso_micro,
    not_found,
    paginate,
    route,
    validate,
    validation_error,
    workspace_for,
)

EVENT_NAMES = ", ".join(Event.values)


def serialize_webhook(webhook):
    return {
        "id": webhook.id,
        "url": webhook.url,
        "events": list(webhook.events),
        "token": webhook.token,
        "created_at": iso_micro(webhook.created_at),
        "updated_at": iso_micro(webhook.updated_at),
    }


def _request_values(request):
    """The query and body parameters; a list or an object given as the `url` is refused (422)."""
    data = {**request.data, **request.GET.dict()}
    if isinstance(data.get("url"), (list, dict)):
        raise validation_error({"url": ["Give one URL, not a list or an object."]})
    return data


class WebhookForm(forms.Form):
    url = forms.CharField(max_length=500, error_messages={"required": "Give the URL WebWork should call."})
    events = forms.MultipleChoiceField(
        choices=Event.choices,
        error_messages={
            "required": f"Give at least one event, from: {EVENT_NAMES}.",
            "invalid_choice": f"'%(value)s' is not a WebWork event; use one of: {EVENT_NAMES}.",
        },
    )

    def __init__(self, *args, events_required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].required = events_required or "events" in self.data

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        try:
            parts = urlsplit(url)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
        except ValueError:
            valid = False
        if not valid or any(c.isspace() for c in url):
            raise forms.ValidationError("Give an http:// or https:// URL, e.g. https://example.com/webhook.")
        return url

    def clean_events(self):
        return list(dict.fromkeys(self.cleaned_data["events"]))  # once each, in the order given


def _webhook_data(request):
    """The request's fields with `events` as a list, whichever way it was sent."""
    data = _request_values(request)
    raw = data.pop("events[]", None)
    if "events" in data:
        raw = data.pop("events")
    in_query = request.GET.getlist("events") + request.GET.getlist("events[]")
    if in_query:
        raw = in_query
    if raw is None:
        return data
    values = raw if isinstance(raw, list) else [raw]
    events = []
    for value in values:
        if isinstance(value, str):
            events.extend(part.strip() for part in value.split(",") if part.strip())
        elif value is not None:
            events.append(str(value))
    data["events"] = events
    return data


def _webhook(workspace, webhook_id):
    webhook = Webhook.objects.filter(workspace=workspace, pk=webhook_id).first()
    if webhook is None:
        raise not_found("Webhook")
    return webhook


def _refuse_duplicate(workspace, url, exclude=None):
    """422 naming `url` when another registration of the workspace has it (a field's value that
    must be unique, like an email already taken)."""
    clash = Webhook.objects.filter(workspace=workspace, url=url)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    clash = clash.first()
    if clash is not None:
        raise validation_error(
            {
                "url": [
                    f"Webhook {clash.pk} of this workspace already has this URL; update that webhook instead."
                ]
            }
        )


def webhook_list(request):
    workspace, _caller = workspace_for(request)
    items, pagination = paginate(
        request, Webhook.objects.filter(workspace=workspace).order_by("created_at", "id")
    )
    return Response([serialize_webhook(w) for w in items], pagination=pagination)


@transaction.atomic(using="sandbox")
def webhook_create(request):
    workspace, _caller = workspace_for(request)
    cleaned = validate(WebhookForm, request, data=_webhook_data(request))
    _refuse_duplicate(workspace, cleaned["url"])
    webhook = Webhook.objects.create(
        workspace=workspace, created_by=request.api_user, url=cleaned["url"], events=cleaned["events"]
    )
    # WebWork documents 200 here, not 201.
    return Response(serialize_webhook(webhook), message="Webhook created successfully")


def webhook_detail(request, webhook_id):
    workspace, _caller = workspace_for(request)
    return Response(
        serialize_webhook(_webhook(workspace, webhook_id)), message="Webhook retrieved successfully"
    )


@transaction.atomic(using="sandbox")
def webhook_update(request, webhook_id):
    workspace, _caller = workspace_for(request)
    webhook = _webhook(workspace, webhook_id)
    cleaned = validate(WebhookForm, request, data=_webhook_data(request), events_required=False)
    _refuse_duplicate(workspace, cleaned["url"], exclude=webhook)
    webhook.url = cleaned["url"]
    if cleaned["events"]:
        webhook.events = cleaned["events"]
    webhook.save()
    return Response(serialize_webhook(webhook), message="Webhook updated successfully")


@transaction.atomic(using="sandbox")
def webhook_delete(request, webhook_id):
    workspace, _caller = workspace_for(request)
    _webhook(workspace, webhook_id).delete()
    return Response(None, message="Webhook deleted successfully")


urlpatterns = [
    route("webhooks", "webhooks", GET=webhook_list, POST=webhook_create),
    route(
        "webhooks/<str:webhook_id>",
        "webhook",
        GET=webhook_detail,
        PUT=webhook_update,
        DELETE=webhook_delete,
    ),
]
