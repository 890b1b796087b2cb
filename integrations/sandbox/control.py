"""The sandbox's control endpoint: switch fault injection at run time.

`/sandbox/control/faults` (mounted only when the sandbox is on):

- GET: the current settings.
- PUT or POST with a JSON object: set any of them; the others keep their values. Rates
  are 0..1, `latency_ms` a whole number >= 0; anything else is a 422 naming the field.
- DELETE: every fault off again.

`/sandbox/control/tokens/expire` (POST): every OAuth2 access token still valid expires now, as
if their lifetime had run out mid-sync (their refresh tokens keep working; personal access
tokens are left alone). Answers the number expired.

Answers use the API's envelope: `{success, message, data, meta}`.
"""

import json

from django import forms
from django.forms.models import model_to_dict
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from .api.base import ApiError, Response, error_response, render, validation_error
from .models import AccessToken, FaultSettings

FIELDS = [
    "server_error_rate",
    "rate_limit_rate",
    "latency_ms",
    "timeout_rate",
    "timeout_seconds",
    "webhook_drop_rate",
    "webhook_duplicate_rate",
    "webhook_reorder",
]

ALLOWED = ["DELETE", "GET", "POST", "PUT"]


class FaultSettingsForm(forms.ModelForm):
    # Only JSON true/false (or "true"/"false"); a checkbox would take any other value as true.
    webhook_reorder = forms.NullBooleanField(required=False)

    class Meta:
        model = FaultSettings
        fields = FIELDS

    def clean_webhook_reorder(self):
        value = self.cleaned_data["webhook_reorder"]
        if value is None:
            raise forms.ValidationError("Must be true or false.")
        return value


def fault_settings_data(faults):
    return model_to_dict(faults, fields=FIELDS)


@csrf_exempt
def faults(request):
    try:
        if request.method not in ALLOWED:
            raise ApiError(
                405,
                f"The {request.method} method is not supported here. Supported: {', '.join(ALLOWED)}.",
                error="Method Not Allowed",
                headers={"Allow": ", ".join(ALLOWED)},
            )
        if request.method == "GET":
            result = Response(fault_settings_data(FaultSettings.current()), message="Fault settings")
        elif request.method == "DELETE":
            result = Response(fault_settings_data(faults_reset()), message="Fault injection switched off")
        else:
            result = Response(fault_settings_data(faults_update(request)), message="Fault settings updated")
    except ApiError as exc:
        return error_response(
            exc.status, exc.message, error=exc.error, errors=exc.errors, headers=exc.headers
        )
    return render(result)


@csrf_exempt
def tokens_expire(request):
    if request.method != "POST":
        return error_response(
            405,
            f"The {request.method} method is not supported here. Supported: POST.",
            error="Method Not Allowed",
            headers={"Allow": "POST"},
        )
    return render(Response({"expired": access_tokens_expire()}, message="Access tokens expired"))


def access_tokens_expire():
    """Every live OAuth2 access token expires now; returns how many."""
    now = timezone.now()
    return AccessToken.objects.filter(
        kind=AccessToken.Kind.OAUTH, revoked_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)


def faults_update(request):
    changes = _json_object(request)
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise validation_error({name: [f"Unknown setting; known: {', '.join(FIELDS)}."] for name in unknown})
    current = FaultSettings.current()
    for name, value in changes.items():
        if value is None:
            raise validation_error({name: ["This setting cannot be null."]})
    form = FaultSettingsForm(
        data=_as_form_data({**fault_settings_data(current), **changes}), instance=current
    )
    if not form.is_valid():
        raise validation_error(form.errors.get_json_data())
    return form.save()


def faults_reset():
    current = FaultSettings.current()
    for name in FIELDS:
        setattr(current, name, FaultSettings._meta.get_field(name).get_default())
    current.save()
    return current


def _json_object(request):
    try:
        body = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.", error="Bad Request") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object of settings.", error="Bad Request")
    return body


def _as_form_data(data):
    return {
        key: ("true" if value else "false") if isinstance(value, bool) else value
        for key, value in data.items()
    }
