"""Time entries: one member's day, create, update, delete (/time-entries, /time-entries/{id}).

Also the pieces the other timekeeping groups (tracking, timesheets, time requests) share:
`api_error()`, which answers a broken timekeeping rule, the member and assignment checks,
the period filter and `state_change()`, which moves a timesheet or a time request on.
"""

import re
from datetime import timedelta

from django import forms

from .. import timekeeping
from ..models import Contract, Membership, Project, Task, TimeEntry
from .base import (
    ApiError,
    DateRangeMixin,
    IdField,
    Response,
    YmdField,
    day,
    iso,
    member_of,
    not_found,
    paginate,
    route,
    uuid_or_none,
    validate,
    validation_error,
    workspace_for,
)

MAX_ENTRIES_PER_PAGE = 50


def serialize_time_entry(entry):
    """A time entry as GET /time-entries answers it; the daily-timeline report lists the same fields.

    Expects `project` and `task` to be selected with the entry.
    """
    return {
        "id": str(entry.id),
        "user_id": entry.user_id,
        "contract_id": entry.contract_id,
        "project_id": entry.project_id,
        "project_name": entry.project.name if entry.project_id else None,
        "task_id": entry.task_id,
        "task_title": entry.task.title if entry.task_id else None,
        "activity_description": entry.activity_description,
        "method": entry.method,
        "date": day(entry.date),
        "start_time": iso(entry.start_time),
        "end_time": iso(entry.end_time),
        "duration_minutes": entry.duration_minutes,
    }


# --- Shared by the timekeeping groups ------------------------------------------------


def api_error(exc: timekeeping.TimekeepingError) -> ApiError:
    """The answer to a broken timekeeping rule: 400 for tracker state, 422 otherwise."""
    if isinstance(exc, timekeeping.AlreadyTracking | timekeeping.NotTracking):
        return ApiError(400, exc.message, error="Bad Request")
    if exc.field:
        return validation_error({exc.field: [exc.message]})
    return ApiError(422, exc.message, error="Unprocessable Content")


def active_member(workspace, user_id, *, field_name="user_id"):
    """The membership of an active (not archived, not blocked) non-viewer member, else 422."""
    membership = member_of(workspace, user_id, field_name=field_name)
    if not timekeeping.member_is_active(membership):
        raise validation_error({field_name: [f"This member is {membership.status} in the workspace."]})
    return membership


def assignment_or_422(**kwargs):
    try:
        return timekeeping.assignment_resolve(**kwargs)
    except timekeeping.TimekeepingError as exc:
        raise api_error(exc) from None


def state_change(request, find, object_id, action, message, form=None, **kwargs):
    """Find the workspace and the object (403/404), validate `form` (422), then apply `action`
    (a timekeeping transition) with the form's values and `kwargs`."""
    workspace, _caller = workspace_for(request)
    target = find(workspace, object_id)
    if form is not None:
        kwargs.update(validate(form, request))
    try:
        action(target, **kwargs)
    except timekeeping.TimekeepingError as exc:
        raise api_error(exc) from None
    return Response(None, message=message)


def hours_text(minutes):
    """WebWork's short duration: '8 hr', '1 hr 30 min', '45 min'."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} hr {rest} min"
    return f"{hours} hr" if hours else f"{rest} min"


CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


class ClockField(forms.Field):
    """A time of day "HH:mm" as a timedelta after midnight; `end_of_day` also accepts 24:00."""

    def __init__(self, *, end_of_day=False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        match = CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            raise forms.ValidationError("Use the HH:mm format, e.g. 09:30.", code="invalid")
        hours, minutes = int(match[1]), int(match[2])
        if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not self.end_of_day)):
            raise forms.ValidationError("Not a time of day between 00:00 and 23:59.", code="invalid")
        return timedelta(hours=hours, minutes=minutes)


class PeriodForm(DateRangeMixin, forms.Form):
    """A list filter whose subclass declares an optional `date_from`..`date_to` period."""

    date_order_message = "The date_to must be on or after the date_from."


# --- Forms -------------------------------------------------------------------------------


class EntryListForm(forms.Form):
    user_id = IdField(required=True)
    date = YmdField()
    project_id = IdField()
    task_id = IdField()


class EntryCreateForm(forms.Form):
    user_id = IdField(required=True)
    contract_id = IdField()
    task_id = IdField()
    notes = forms.CharField(required=False, max_length=2000)
    activity_description = forms.CharField(required=False, max_length=2000)
    date = YmdField()
    start_time = ClockField()
    end_time = ClockField(end_of_day=True)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start is not None and end is not None and end <= start:
            self.add_error("end_time", "The end_time must be after the start_time.")
        return data


class EntryUpdateForm(forms.Form):
    project_id = IdField()
    task_id = IdField()
    notes = forms.CharField(required=False, max_length=2000)
    activity_description = forms.CharField(required=False, max_length=2000)
    date = YmdField(required=False)
    start_time = ClockField(required=False)
    end_time = ClockField(required=False, end_of_day=True)


# --- Operations -----------------------------------------------------------------------------


def _entry(workspace, entry_id):
    pk = uuid_or_none(entry_id)
    entry = (
        TimeEntry.objects.select_related("user", "project", "task", "contract")
        .filter(pk=pk, workspace=workspace)
        .first()
        if pk
        else None
    )
    if entry is None:
        raise not_found("Time entry")
    return entry


def time_entry_list(request):
    workspace, _caller = workspace_for(request)
    query = validate(EntryListForm, request)
    if not Membership.objects.filter(workspace=workspace, user_id=query["user_id"]).exists():
        raise validation_error({"user_id": ["The selected user_id is not a member of this workspace."]})
    entries = TimeEntry.objects.select_related("project", "task").filter(
        workspace=workspace, user_id=query["user_id"], date=query["date"]
    )
    if query["project_id"]:
        entries = entries.filter(project_id=query["project_id"])
    if query["task_id"]:
        entries = entries.filter(task_id=query["task_id"])
    items, pagination = paginate(request, entries.order_by("start_time", "id"), maximum=MAX_ENTRIES_PER_PAGE)
    return Response([serialize_time_entry(entry) for entry in items], pagination=pagination)


def time_entry_create(request):
    workspace, _caller = workspace_for(request)
    data = validate(EntryCreateForm, request)
    member = active_member(workspace, data["user_id"])
    assignment = assignment_or_422(
        workspace=workspace,
        user=member.user,
        contract_id=data["contract_id"],
        task_id=data["task_id"],
        require_active=False,
    )
    try:
        recorded = timekeeping.time_entry_create(
            workspace=workspace,
            user=member.user,
            start=timekeeping.local_moment(workspace, data["date"], data["start_time"]),
            end=timekeeping.local_moment(workspace, data["date"], data["end_time"]),
            assignment=assignment,
            activity_description=data["notes"] or data["activity_description"] or None,
        )
    except timekeeping.Overlap as exc:
        raise validation_error({"start_time": [exc.message]}) from None
    except timekeeping.TimekeepingError as exc:
        raise api_error(exc) from None
    message = f"{hours_text(recorded.saved_minutes)} successfully added for {member.user.full_name}."
    if recorded.skipped_minutes:
        message += (
            f" {hours_text(recorded.skipped_minutes)} not saved because it overlaps existing time entries."
        )
    pieces = [serialize_time_entry(entry) for entry in recorded.entries]
    return Response(
        {**pieces[0], "entries": pieces},
        message=message,
        status=201,
        extra={"saved_minutes": recorded.saved_minutes},
    )


def _sent(request, form_class):
    data = request.data if isinstance(request.data, dict) else {}
    return {name for name in form_class.base_fields if data.get(name, request.GET.get(name)) is not None}


def _new_range(workspace, entry, data, sent):
    """The entry's new start and end from date/start_time/end_time; omitted parts keep theirs."""
    if not sent & {"date", "start_time", "end_time"}:
        return timekeeping.KEEP, timekeeping.KEEP
    new_day = data["date"] or entry.date
    start = data["start_time"]
    if start is None:
        start = timekeeping.local_offset(workspace, entry.start_time, entry.date)
    end = data["end_time"]
    if end is None:
        end = timekeeping.local_offset(workspace, entry.end_time, entry.date)
    if end <= start:
        raise validation_error({"end_time": ["The end_time must be after the start_time."]})
    return (
        timekeeping.local_moment(workspace, new_day, start),
        timekeeping.local_moment(workspace, new_day, end),
    )


def _new_assignment(workspace, entry, data, sent):
    """The entry's new project, contract and task; the contract is the member's on the project."""
    if not sent & {"project_id", "task_id"}:
        return timekeeping.KEEP
    project = entry.project
    if "project_id" in sent:
        project = Project.objects.filter(
            pk=data["project_id"], workspace=workspace, deleted_at__isnull=True
        ).first()
        if project is None:
            raise validation_error({"project_id": ["The selected project does not exist in this workspace."]})
    contract = Contract.objects.filter(project=project, user_id=entry.user_id).first() if project else None
    if project is not None and contract is None:
        raise validation_error({"project_id": ["The member has no contract on this project."]})
    task = entry.task if entry.task and entry.task.project_id == getattr(project, "pk", None) else None
    if "task_id" in sent:
        task = Task.objects.filter(pk=data["task_id"], workspace=workspace, deleted_at__isnull=True).first()
        if task is None or project is None or task.project_id != project.pk:
            raise validation_error({"task_id": ["The selected task is not in the entry's project."]})
    return timekeeping.Assignment(contract=contract, project=project, task=task)


def time_entry_update(request, entry_id):
    workspace, _caller = workspace_for(request)
    entry = _entry(workspace, entry_id)
    data = validate(EntryUpdateForm, request)
    sent = _sent(request, EntryUpdateForm)
    start, end = _new_range(workspace, entry, data, sent)
    notes = timekeeping.KEEP
    if sent & {"notes", "activity_description"}:
        notes = data["notes"] or data["activity_description"] or None
    try:
        timekeeping.time_entry_update(
            entry,
            start=start,
            end=end,
            assignment=_new_assignment(workspace, entry, data, sent),
            activity_description=notes,
            workspace=workspace,
        )
    except timekeeping.TimekeepingError as exc:
        raise api_error(exc) from None
    return Response(message="Time entry updated successfully", include_data=False)


def time_entry_delete(request, entry_id):
    workspace, _caller = workspace_for(request)
    entry = _entry(workspace, entry_id)
    timekeeping.time_entry_delete(entry)
    return Response(None, message="Time entry deleted successfully")


urlpatterns = [
    route("time-entries", "time-entries", GET=time_entry_list, POST=time_entry_create),
    route("time-entries/<str:entry_id>", "time-entry", PUT=time_entry_update, DELETE=time_entry_delete),
]
