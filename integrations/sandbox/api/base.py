"""The frame every sandbox API operation runs in.

`route()` builds one Django view per path that, in order: injects configured faults,
authenticates the bearer token, counts the request against the caller's rate limit,
parses the body, dispatches on the HTTP method, and answers in WebWork's envelope.
Operations raise `ApiError` for anything a client did wrong; the frame turns it into the
error envelope with the right status.

An operation is a function `(request, **path_kwargs) -> Response`. It reads
`request.api_user` (the caller), `request.data` (the parsed body, a dict) and uses
`param()`, `workspace_for()`, `paginate()` and `validate()` from here, with the form fields
and input helpers the operation groups share.
"""

import json
import logging
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import JsonResponse, QueryDict
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ..models import AccessToken, FaultSettings, Membership, RateLimitWindow
from ..models.accounts import API_ROLES, MemberStatus
from ..models.oauth import digest

logger = logging.getLogger(__name__)

API_VERSION = "2.0.0"
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


# --- Answers ----------------------------------------------------------------


class ApiError(Exception):
    """A client error, answered in the error envelope: `{success: false, message, error, meta}`.

    `errors` (field name -> list of messages) is added for validation failures so a client
    can point at the offending fields.
    """

    def __init__(self, status, message, *, error=None, errors=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error
        self.errors = errors
        self.headers = headers or {}


def not_found(what="Resource"):
    return ApiError(404, f"{what} not found.", error="Not Found")


@dataclass
class Response:
    """A successful answer; the frame wraps it in the envelope."""

    data: Any = None
    message: str | None = None
    status: int = 200
    pagination: dict | None = None
    extra: dict = field(default_factory=dict)  # top-level keys beside data, e.g. saved_minutes
    include_data: bool = True


def meta(pagination=None):
    body = {"api_version": API_VERSION, "timestamp": iso_micro(timezone.now())}
    if pagination is not None:
        body["pagination"] = pagination
    return body


def _json(body, status, headers=None):
    response = JsonResponse(body, status=status, json_dumps_params={"default": _json_default})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


def error_response(status, message, *, error=None, errors=None, headers=None):
    body = {"success": False, "message": message, "error": error, "meta": meta()}
    if errors:
        body["errors"] = errors
    return _json(body, status, headers)


def render(result: Response):
    body = {"success": True}
    if result.message is not None:
        body["message"] = result.message
    if result.include_data:
        body["data"] = result.data
    body.update(result.extra)
    body["meta"] = meta(result.pagination)
    return _json(body, result.status)


# --- Formats ----------------------------------------------------------------


def iso(value):
    """ISO-8601 in UTC with a Z: `2024-01-15T10:30:00Z`."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_micro(value):
    """Laravel's timestamp form: `2025-02-19T19:24:55.000000Z`."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_local(value, tz_name):
    """ISO-8601 with the offset of `tz_name`: `2024-01-15T10:30:00+02:00`."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(tz_name)).isoformat(timespec="seconds")


def with_article(word):
    """`word` after "a" or "an", as it is read: "a pending", "an approved"."""
    return f"{'an' if str(word)[:1].lower() in 'aeiou' else 'a'} {word}"


def day(value):
    return value.isoformat() if value is not None else None


def number(value):
    """A Decimal as a JSON number (int when whole), None as null."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


# --- Request parameters -----------------------------------------------------


def param(request, name, default=None):
    """A parameter from the query string or the JSON body (the two doc versions disagree)."""
    if name in request.GET:
        return request.GET.get(name)
    if isinstance(request.data, dict) and name in request.data:
        return request.data[name]
    return default


def param_list(request, name):
    """A list parameter: `?users=1,2`, `?users[]=1&users[]=2`, `?users=1&users=2` or a JSON array."""
    values = request.GET.getlist(name) + request.GET.getlist(f"{name}[]")
    if not values and isinstance(request.data, dict) and name in request.data:
        raw = request.data[name]
        values = raw if isinstance(raw, list) else [raw]
    items = []
    for value in values:
        if isinstance(value, str):
            items.extend(part.strip() for part in value.split(",") if part.strip())
        elif value is not None:
            items.append(value)
    return items


def int_list(request, name):
    try:
        return [int(item) for item in param_list(request, name)]
    except (TypeError, ValueError):
        raise ApiError(
            422,
            f"The {name} field must be a list of integers.",
            errors={name: ["Must be integers."]},
        ) from None


def validate(form_class, request, data=None, **form_kwargs):
    """Run a Django form over the request's parameters; 422 naming every bad field."""
    if data is None:
        data = {**(request.data if isinstance(request.data, dict) else {}), **request.GET.dict()}
    form = form_class(data=_form_data(data), **form_kwargs)
    not_single = {
        name: ["Must be a single value, not a list or an object."]
        for name, field in form.fields.items()
        if isinstance(data.get(name), list | dict) and not isinstance(field, LIST_FIELDS)
    }
    if not_single:
        raise validation_error(not_single)
    if not form.is_valid():
        raise validation_error(form.errors.get_json_data())
    return form.cleaned_data


# Form fields that take a list (or a JSON object) from the request; every other field takes one value.
LIST_FIELDS = (forms.MultipleChoiceField, forms.JSONField, forms.ModelMultipleChoiceField)
# The largest id a database column holds; larger ids cannot name anything.
MAX_ID = 2**63 - 1


def validation_error(errors):
    """An ApiError(422) from {field: [messages]} (messages may be dicts from get_json_data())."""
    flat = {
        name: [m["message"] if isinstance(m, dict) else str(m) for m in messages]
        for name, messages in errors.items()
    }
    parts = [
        f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
        for name, messages in flat.items()
    ]
    return ApiError(
        422, "The given data was invalid. " + "; ".join(parts), error="Unprocessable Content", errors=flat
    )


def _form_data(data):
    """JSON values as a form expects them: lists kept, booleans as 'true'/'false', None dropped."""
    prepared = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            prepared[key] = "true" if value else "false"
        elif isinstance(value, (dict,)):
            prepared[key] = json.dumps(value)
        else:
            prepared[key] = value
    return _MultiDict(prepared)


class _MultiDict(dict):
    """Enough of QueryDict for forms: getlist() for multiple-choice fields."""

    def getlist(self, key, default=None):
        value = self.get(key, default)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]


class StrictIntegerField(forms.IntegerField):
    """An integer that refuses floats and booleans sent as JSON."""

    def to_python(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise forms.ValidationError("Enter a whole number.", code="invalid")
        if value in ("true", "false"):
            raise forms.ValidationError("Enter a whole number.", code="invalid")
        return super().to_python(value)


# --- Form fields and input helpers shared by the operation groups ------------------


class IdField(StrictIntegerField):
    """A positive integer id that fits the database's 64-bit integers; optional unless required."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


def id_in_range(value):
    return isinstance(value, int) and 1 <= value <= MAX_ID


def uuid_or_none(value):
    """`value` as a UUID, or None when it is not one (so it names nothing)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class DayField(forms.DateField):
    """An optional YYYY-MM-DD date. JSON numbers, lists or objects are refused like any bad date."""

    default_error_messages = {"invalid": "Enter a date as YYYY-MM-DD."}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, str):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


# Dates outside these years are refused: they are typos, and far ones overflow timezone arithmetic.
FIRST_YEAR, LAST_YEAR = 1970, 2100


class YmdField(forms.DateField):
    """A Y-m-d date between FIRST_YEAR and LAST_YEAR, as the timekeeping operations take it."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": "Use the Y-m-d format, e.g. 2026-01-29."}

    def to_python(self, value):
        if value is not None and not isinstance(value, str):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        value = super().to_python(value)
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise forms.ValidationError(f"Use a date between {FIRST_YEAR} and {LAST_YEAR}.", code="invalid")
        return value


def date_field(required=True):
    """A YYYY-MM-DD date, as the expense and leave operations take it."""
    return forms.DateField(
        required=required,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Use the YYYY-MM-DD format, e.g. 2024-01-15."},
    )


class DateRangeMixin:
    """For a form with `date_from` and `date_to`: refuses a `date_to` before `date_from`
    (either may be left out)."""

    date_order_message = "The date_to must be a date on or after date_from."

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", self.date_order_message)
        return cleaned


def check_date_order(start, end, *, start_field, end_field):
    if start is not None and end is not None and end < start:
        message = f"The {end_field} must be a date on or after the {start_field}."
        raise validation_error({end_field: [message]})


def request_values(request, form_class, *aliases):
    """The query and body parameters. A list or an object given for a field of `form_class`
    (or one of the `aliases`) is refused with a 422 naming it."""
    data = {**request.data, **request.GET.dict()}
    names = set(form_class.base_fields) | set(aliases)
    wrong = {
        name: ["Give a single value, not a list or an object."]
        for name, value in data.items()
        if name in names and isinstance(value, (list, dict))
    }
    if wrong:
        raise validation_error(wrong)
    return data


def sent_fields(request, names):
    """The names among `names` the client actually sent (in the JSON body or the query string)."""
    body = request.data if isinstance(request.data, dict) else {}
    return {name for name in names if name in body or name in request.GET}


def sent_null(request, name):
    """True when the JSON body sends `name` as null (clear the value)."""
    return isinstance(request.data, dict) and name in request.data and request.data[name] is None


# --- Workspaces, members, pagination -----------------------------------------


def workspace_for(request, *, roles=API_ROLES):
    """The workspace named by `workspace_id` (query or body), if the caller may use the API there.

    Missing or malformed id: 422. Unknown workspace, or the caller is not an active member
    with one of `roles`: 403 (WebWork does not reveal which workspaces exist).
    Returns (workspace, the caller's membership).
    """
    raw = param(request, "workspace_id")
    if raw in (None, ""):
        raise ApiError(
            422,
            "The workspace_id field is required.",
            error="Unprocessable Content",
            errors={"workspace_id": ["The workspace_id field is required."]},
        )
    try:
        workspace_id = int(raw)
        if isinstance(raw, (bool, float)) or not 1 <= workspace_id <= MAX_ID:
            raise ValueError
    except (TypeError, ValueError):
        raise ApiError(
            422,
            "The workspace_id must be a positive integer.",
            error="Unprocessable Content",
            errors={"workspace_id": ["The workspace_id must be a positive integer."]},
        ) from None
    membership = (
        Membership.objects.select_related("workspace")
        .filter(workspace_id=workspace_id, user=request.api_user, deleted_at__isnull=True)
        .first()
    )
    if membership is None or membership.workspace.status != MemberStatus.ACTIVE:
        raise ApiError(403, "You do not have access to this workspace.", error="Forbidden")
    if membership.role not in roles:
        raise ApiError(
            403,
            "Only the workspace's Owners and Executive managers may use the API.",
            error="Forbidden",
        )
    if membership.status != MemberStatus.ACTIVE or membership.is_blocked:
        raise ApiError(403, "Your membership in this workspace is not active.", error="Forbidden")
    return membership.workspace, membership


def member_of(workspace, user_id, *, field_name="user_id", include_viewers=False):
    """The membership of `user_id` in `workspace`, or 422 naming the field."""
    try:
        user_id = int(user_id)
        if isinstance(user_id, bool) or not 1 <= user_id <= MAX_ID:
            raise ValueError
    except (TypeError, ValueError):
        raise ApiError(
            422, f"The {field_name} must be an integer.", errors={field_name: ["Must be an integer."]}
        ) from None
    membership = (
        Membership.objects.select_related("user")
        .filter(workspace=workspace, user_id=user_id, deleted_at__isnull=True)
        .first()
    )
    if membership is None or (not include_viewers and membership.role == "Project viewer"):
        raise ApiError(
            422,
            f"The selected {field_name} is not a member of this workspace.",
            error="Unprocessable Content",
            errors={field_name: ["Not a member of this workspace."]},
        )
    return membership


def paginate(request, queryset, *, default=DEFAULT_PER_PAGE, maximum=MAX_PER_PAGE):
    """One page of `queryset` (or a list) and WebWork's pagination block.

    `page` >= 1 and `per_page` 1..maximum, else 422. A page past the end is empty.
    """
    page = _bounded_int(request, "page", 1, 1, None)
    per_page = _bounded_int(request, "per_page", default, 1, maximum)
    return page_of(queryset, page, per_page)


def page_of(queryset, page, per_page):
    """Page `page` (from 1) of `queryset` (or a list), `per_page` items a page, and the block."""
    total = len(queryset) if isinstance(queryset, list) else queryset.count()
    start = (page - 1) * per_page
    items = list(queryset[start : start + per_page]) if start < total else []  # no huge OFFSET
    pagination = {
        "total": total,
        "per_page": per_page,
        "current_page": page,
        "last_page": max(1, math.ceil(total / per_page)),
        "from": start + 1 if items else None,
        "to": start + len(items) if items else None,
    }
    return items, pagination


def _bounded_int(request, name, default, low, high):
    raw = param(request, name)
    if raw in (None, ""):
        return default
    try:
        if isinstance(raw, (bool, float)):
            raise ValueError
        value = int(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(
            422,
            f"The {name} must be an integer {bounds}.",
            error="Unprocessable Content",
            errors={name: [f"Must be an integer {bounds}."]},
        )
    return value


# --- The frame ----------------------------------------------------------------


def route(pattern, name, **handlers):
    """A URL pattern whose view dispatches on the HTTP method to `handlers` (GET=..., POST=...)."""
    return path(pattern, api_view(handlers), name=name)


def api_view(handlers):
    allowed = sorted(handlers)

    @csrf_exempt
    def view(request, **kwargs):
        headers = {}
        try:
            _inject_faults()
            if request.method not in handlers:
                raise ApiError(
                    405,
                    f"The {request.method} method is not supported here. Supported: {', '.join(allowed)}.",
                    error="Method Not Allowed",
                    headers={"Allow": ", ".join(allowed)},
                )
            request.api_token = authenticate(request)
            request.api_user = request.api_token.user
            headers = count_request(request.api_user.pk)
            _require_scope(request)
            request.data = parse_body(request)
            if any(isinstance(value, int) and value > MAX_ID for value in kwargs.values()):
                raise not_found()
            response = render(handlers[request.method](request, **kwargs))
        except ApiError as exc:
            response = error_response(
                exc.status, exc.message, error=exc.error, errors=exc.errors, headers=exc.headers
            )
            headers = {**headers, **exc.headers}
        except OverflowError:
            response = error_response(
                422, "A number in the request is too large.", error="Unprocessable Content"
            )
        for header, value in headers.items():
            response[header] = value
        return response

    view.allowed_methods = allowed
    return view


def authenticate(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "Unauthenticated.",
            error="Send an access token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="webwork"'},
        )
    access = AccessToken.objects.select_related("user").filter(token_digest=digest(token.strip())).first()
    if access is None or access.revoked_at is not None:
        raise ApiError(
            401,
            "Unauthenticated.",
            error="The access token is invalid or has been revoked.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if access.expires_at <= timezone.now():
        raise ApiError(
            401,
            "Unauthenticated.",
            error="The access token has expired; refresh it or sign in again.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return access


def _require_scope(request):
    needed = "write" if request.method in WRITE_METHODS else "read"
    scopes = request.api_token.scopes
    if needed not in scopes and "admin" not in scopes:
        raise ApiError(
            403,
            f"This token lacks the '{needed}' scope this operation needs.",
            error="Forbidden",
        )


def parse_body(request):
    if not request.body:
        return {}
    if request.content_type == "application/x-www-form-urlencoded":
        form = QueryDict(request.body, encoding=request.encoding)
        return {
            key: values if len(values) > 1 or key.endswith("[]") else values[0]
            for key, values in form.lists()
        }
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.", error="Bad Request") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.", error="Bad Request")
    return body


# --- Rate limit -----------------------------------------------------------------


def count_request(user_id):
    """Count a request in the user's window; 429 past the limit. Returns the rate-limit headers."""
    limit = settings.SANDBOX_RATE_LIMIT_PER_MINUTE
    now = timezone.now()
    with transaction.atomic(using="sandbox"):
        window = RateLimitWindow.objects.select_for_update().filter(user_id=user_id).first()
        if window is None:
            RateLimitWindow.objects.get_or_create(user_id=user_id, defaults={"window_start": now, "count": 0})
            # Locked again: when another process created the row first, get_or_create read it unlocked.
            window = RateLimitWindow.objects.select_for_update().get(user_id=user_id)
        if window.window_start + timedelta(seconds=settings.SANDBOX_RATE_LIMIT_WINDOW_SECONDS) <= now:
            window.window_start, window.count = now, 0
        reset_at = window.window_start + timedelta(seconds=settings.SANDBOX_RATE_LIMIT_WINDOW_SECONDS)
        if window.count >= limit:
            retry_after = max(1, math.ceil((reset_at - now).total_seconds()))
            raise ApiError(
                429,
                "Too Many Attempts.",
                error=f"Rate limit of {limit} requests a minute reached; retry in {retry_after} s.",
                headers={
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": "0",
                    "Retry-After": str(retry_after),
                    "X-RateLimit-Reset": str(int(reset_at.timestamp())),
                },
            )
        window.count += 1
        window.save(update_fields=["window_start", "count"])
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(limit - window.count)}


# --- Faults -----------------------------------------------------------------------


def _inject_faults():
    faults = FaultSettings.objects.filter(pk=1).first()
    if faults is None or not faults.any_active:
        return
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    roll = random.random()
    if roll < faults.timeout_rate:
        time.sleep(faults.timeout_seconds)
        raise ApiError(504, "Gateway Timeout (injected by the sandbox).", error="Gateway Timeout")
    roll = random.random()
    if roll < faults.server_error_rate:
        raise ApiError(500, "An error occurred (injected by the sandbox).", error="Internal Server Error")
    roll = random.random()
    if roll < faults.rate_limit_rate:
        raise ApiError(
            429,
            "Too Many Attempts.",
            error="Rate limited (injected by the sandbox).",
            headers={"Retry-After": "1", "X-RateLimit-Remaining": "0"},
        )
