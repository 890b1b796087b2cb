"""Time requests: list, create, get, approve, reject (/time-requests, /time-requests/{id}/...).

Approving a request adds its time as "Manually added time" entries. R names the text
`activity_description`, V `notes`: both are accepted and answered.
"""

import re
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .. import timekeeping
from ..models import TimeRequest
from .base import (
    FIRST_YEAR,
    LAST_YEAR,
    IdField,
    Response,
    YmdField,
    iso,
    not_found,
    paginate,
    route,
    uuid_or_none,
    validate,
    workspace_for,
)
from .time_entries import PeriodForm, active_member, api_error, assignment_or_422, state_change

Status = TimeRequest.Status
MAX_SPAN = timedelta(hours=24)
HAS_TIME = re.compile(r"\d[T ]\d{2}:\d{2}")


def serialize_time_request(time_request):
    return {
        "id": str(time_request.id),
        "user_id": time_request.user_id,
        "contract_id": time_request.contract_id,
        "project_id": time_request.project_id,
        "task_id": time_request.task_id,
        "start": iso(time_request.start),
        "end": iso(time_request.end),
        "status": time_request.status,
        "notes": time_request.notes,
        "activity_description": time_request.notes,
        "comment": time_request.comment,
        "updated_by": time_request.updated_by_id,
        "created_at": iso(time_request.created_at),
        "updated_at": iso(time_request.updated_at),
    }


class MomentField(forms.Field):
    """An ISO-8601 date and time; without an offset it is read in the workspace's timezone."""

    def __init__(self, *, zone, **kwargs):
        self.zone = zone
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parsed = None
        # A date alone is not a moment (Python would read it as midnight).
        if isinstance(value, str) and HAS_TIME.search(value):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
        if parsed is None:
            raise forms.ValidationError("Use an ISO-8601 date and time, e.g. 2024-01-15T09:00:00Z.")
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            raise forms.ValidationError(f"Use a date between {FIRST_YEAR} and {LAST_YEAR}.")
        return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=self.zone)


class TimeRequestForm(forms.Form):
    user_id = IdField(required=True)
    contract_id = IdField()  # R: optional; V: required. Given, it must be the member's.
    task_id = IdField()
    notes = forms.CharField(required=False, max_length=2000)
    activity_description = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"] = MomentField(zone=zone)
        self.fields["end"] = MomentField(zone=zone)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "The end must be after the start.")
        elif start and end and end - start > MAX_SPAN:
            self.add_error("end", "A time request can cover at most 24 hours.")
        return data


class TimeRequestFilterForm(PeriodForm):
    id = forms.CharField(required=False, max_length=64)
    status = forms.ChoiceField(required=False, choices=[(s, s) for s in Status.values])
    user_id = IdField()
    project_id = IdField()
    # R requires the range; V lists every request. Either bound alone also works.
    date_from = YmdField(required=False)
    date_to = YmdField(required=False)


class RejectForm(forms.Form):
    comment = forms.CharField(max_length=2000)


def _time_request(workspace, time_request_id):
    pk = uuid_or_none(time_request_id)
    found = (
        TimeRequest.objects.select_related("workspace", "user", "contract", "project", "task")
        .filter(pk=pk, workspace=workspace)
        .first()
        if pk
        else None
    )
    if found is None:
        raise not_found("Time request")
    return found


def time_request_list(request):
    workspace, _caller = workspace_for(request)
    query = validate(TimeRequestFilterForm, request)
    time_requests = TimeRequest.objects.filter(workspace=workspace)
    if query["id"]:
        pk = uuid_or_none(query["id"])
        time_requests = time_requests.filter(pk=pk) if pk else time_requests.none()
    for name in ("status", "user_id", "project_id"):
        if query[name]:
            time_requests = time_requests.filter(**{name: query[name]})
    if query["date_from"]:
        time_requests = time_requests.filter(
            start__gte=timekeeping.local_midnight(workspace, query["date_from"])
        )
    if query["date_to"]:
        next_day = query["date_to"] + timedelta(days=1)
        time_requests = time_requests.filter(start__lt=timekeeping.local_midnight(workspace, next_day))
    items, pagination = paginate(request, time_requests.order_by("-created_at", "id"))
    return Response([serialize_time_request(item) for item in items], pagination=pagination)


def time_request_create(request):
    workspace, _caller = workspace_for(request)
    data = validate(TimeRequestForm, request, zone=timekeeping.workspace_zone(workspace))
    user = active_member(workspace, data["user_id"]).user
    assignment = assignment_or_422(
        workspace=workspace,
        user=user,
        contract_id=data["contract_id"],
        task_id=data["task_id"],
        require_active=False,
    )
    try:
        time_request = timekeeping.time_request_create(
            workspace=workspace,
            user=user,
            start=data["start"],
            end=data["end"],
            assignment=assignment,
            notes=data["notes"] or data["activity_description"] or None,
            created_by=request.api_user,
        )
    except timekeeping.TimekeepingError as exc:
        raise api_error(exc) from None
    return Response(
        serialize_time_request(time_request), message="Time request created successfully", status=201
    )


def time_request_detail(request, time_request_id):
    workspace, _caller = workspace_for(request)
    return Response(
        serialize_time_request(_time_request(workspace, time_request_id)),
        message="Time request retrieved successfully",
    )


def time_request_approve(request, time_request_id):
    return state_change(
        request,
        _time_request,
        time_request_id,
        timekeeping.time_request_approve,
        "Time request approved successfully",
        by=request.api_user,
    )


def time_request_reject(request, time_request_id):
    return state_change(
        request,
        _time_request,
        time_request_id,
        timekeeping.time_request_reject,
        "Time request rejected successfully",
        form=RejectForm,
        by=request.api_user,
    )


urlpatterns = [
    route("time-requests", "time-requests", GET=time_request_list, POST=time_request_create),
    route("time-requests/<str:time_request_id>", "time-request", GET=time_request_detail),
    route("time-requests/<str:time_request_id>/approve", "time-request-approve", POST=time_request_approve),
    route("time-requests/<str:time_request_id>/reject", "time-request-reject", POST=time_request_reject),
]
