"""Time tracking: start, stop and the live data of a member's tracker (/time-tracking/...)."""

from django import forms

from .. import timekeeping
from ..models import Membership
from .base import IdField, Response, iso_local, route, validate, validation_error, workspace_for
from .time_entries import active_member, api_error, assignment_or_422

STARTED = "Time tracking started successfully"
STOPPED = "Time tracking stopped successfully"


class StartForm(forms.Form):
    user_id = IdField()  # R requires it; V starts the caller's own tracker
    contract_id = IdField()  # R: optional; V: required. Given, it must be the member's.
    task_id = IdField()
    activity_description = forms.CharField(required=False, max_length=2000)


class UserForm(forms.Form):
    user_id = IdField()  # without it: the caller's own tracker (V)


def _tracked_user(request, workspace, user_id):
    """The member whose tracker to read or stop: anyone with a place in the workspace, even
    archived since they started (their tracker must still be stoppable)."""
    membership = (
        Membership.objects.select_related("user")
        .filter(workspace=workspace, user_id=user_id or request.api_user.pk)
        .first()
    )
    if membership is None:
        raise validation_error({"user_id": ["The selected user_id is not a member of this workspace."]})
    return membership.user


def tracking_start(request):
    workspace, _caller = workspace_for(request)
    zone_name = workspace.timezone or "UTC"
    data = validate(StartForm, request)
    user = active_member(workspace, data["user_id"] or request.api_user.pk).user
    assignment = assignment_or_422(
        workspace=workspace, user=user, contract_id=data["contract_id"], task_id=data["task_id"]
    )
    try:
        tracker = timekeeping.tracker_start(
            workspace=workspace,
            user=user,
            assignment=assignment,
            activity_description=data["activity_description"] or None,
        )
    except timekeeping.TimekeepingError as exc:
        raise api_error(exc) from None
    return Response(
        {
            "message": STARTED,
            "start_time": iso_local(tracker.started_at, zone_name),
            "user_id": user.pk,
            "user_name": user.full_name,
            "user_email": user.email,
            "contract_id": tracker.contract_id,
            "project_id": tracker.project_id,
            "project_name": assignment.project.name if assignment.project else None,
            "task_id": tracker.task_id,
            "task_title": assignment.task.title if assignment.task else None,
            "activity_description": tracker.activity_description,
        },
        message=STARTED,
    )


def tracking_stop(request):
    workspace, _caller = workspace_for(request)
    zone_name = workspace.timezone or "UTC"
    data = validate(UserForm, request)
    user = _tracked_user(request, workspace, data["user_id"])
    try:
        tracker, stopped_at, entries = timekeeping.tracker_stop(user=user, workspace=workspace)
    except timekeeping.TimekeepingError as exc:
        raise api_error(exc) from None
    return Response(
        {
            "message": STOPPED,
            "stopped_at": iso_local(stopped_at, zone_name),
            "start_time": iso_local(tracker.started_at, zone_name),
            "user_id": user.pk,
            "contract_id": tracker.contract_id,
            "project_id": tracker.project_id,
            "task_id": tracker.task_id,
            "duration_minutes": sum(entry.duration_minutes for entry in entries),
        },
        message=STOPPED,
    )


def tracking_current(request):
    workspace, _caller = workspace_for(request)
    zone_name = workspace.timezone or "UTC"
    data = validate(UserForm, request)
    user = _tracked_user(request, workspace, data["user_id"])
    tracker = timekeeping.tracker_running(user=user, workspace=workspace)
    if tracker is None:
        raise api_error(timekeeping.NotTracking("No active tracker for this user"))
    today = timekeeping.tracker_today(tracker)
    return Response(
        {
            "contract_id": tracker.contract_id,
            "user_id": user.pk,
            "activity_description": tracker.activity_description,
            "task_id": tracker.task_id,
            "task_title": tracker.task.title if tracker.task_id else None,
            "project_id": tracker.project_id,
            "project_name": tracker.project.name if tracker.project_id else None,
            "start_time": iso_local(tracker.started_at, zone_name),
            "total_seconds": today.total_seconds,
            "total_minutes": today.total_minutes,
            "date": today.date.isoformat(),
        },
        message="Current tracker data retrieved successfully",
    )


urlpatterns = [
    route("time-tracking/start", "time-tracking-start", POST=tracking_start),
    route("time-tracking/stop", "time-tracking-stop", POST=tracking_stop),
    route("time-tracking/current-data", "time-tracking-current", GET=tracking_current),
]
