"""Timesheets: list, submit, unsubmit, approve, reject (/timesheets, /timesheets/{id}/...).

A timesheet is a member's week (Monday..Sunday). Its totals are computed from the member's
time entries of the period, for a whole page in one aggregated query. The editable state is
stored and answered as "open" (V); the R spelling "pending" is accepted as a filter.
"""

from django import forms

from .. import timekeeping
from ..models import Timesheet
from .base import (
    IdField,
    Response,
    YmdField,
    day,
    iso,
    not_found,
    number,
    paginate,
    route,
    uuid_or_none,
    validate,
    workspace_for,
)
from .time_entries import PeriodForm, state_change

Status = Timesheet.Status
STATUS_ALIASES = {"pending": Status.OPEN}


def serialize_timesheet(timesheet, totals, *, sees_rates):
    """A timesheet in the fields of both doc versions. Amounts only for callers who see rates."""
    user = timesheet.user
    breakdown = {}
    for date, rows in totals.daily_breakdown.items():
        breakdown[day(date)] = [
            {
                "project_id": row["project_id"],
                "project_name": row["project_name"],
                "contract_id": row["contract_id"],
                "total_minutes": row["total_minutes"],
                **({"total_amount": number(row["total_amount"])} if sees_rates else {}),
            }
            for row in rows
        ]
    return {
        "id": str(timesheet.id),
        "user_id": timesheet.user_id,
        "member": {
            "id": user.pk,
            "firstname": user.firstname,
            "lastname": user.lastname,
            "email": user.email,
        },
        "date_from": day(timesheet.date_from),
        "date_to": day(timesheet.date_to),
        "total_minutes": totals.total_minutes,
        "total_hours": totals.total_hours,
        "total_amount": {totals.currency: number(totals.total_amount)} if sees_rates else None,
        "submitted_on": iso(timesheet.submitted_on),
        "reject_reason": timesheet.reject_reason,
        "status": timesheet.status,
        "daily_breakdown": breakdown,
        "created_at": iso(timesheet.created_at),
        "updated_at": iso(timesheet.updated_at),
    }


class TimesheetFilterForm(PeriodForm):
    id = forms.CharField(required=False, max_length=64)
    status = forms.ChoiceField(required=False, choices=[(s, s) for s in [*Status.values, *STATUS_ALIASES]])
    date_from = YmdField(required=False)
    date_to = YmdField(required=False)
    user_id = IdField()
    order_by = forms.ChoiceField(required=False, choices=[("asc", "asc"), ("desc", "desc")])


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=2000)


def timesheet_list(request):
    workspace, caller = workspace_for(request)
    query = validate(TimesheetFilterForm, request)
    timesheets = Timesheet.objects.select_related("user", "workspace").filter(workspace=workspace)
    if query["id"]:
        pk = uuid_or_none(query["id"])
        timesheets = timesheets.filter(pk=pk) if pk else timesheets.none()
    if query["status"]:
        timesheets = timesheets.filter(status=STATUS_ALIASES.get(query["status"], query["status"]))
    if query["date_from"]:
        timesheets = timesheets.filter(date_to__gte=query["date_from"])
    if query["date_to"]:
        timesheets = timesheets.filter(date_from__lte=query["date_to"])
    if query["user_id"]:
        timesheets = timesheets.filter(user_id=query["user_id"])
    if query["order_by"]:
        direction = "-" if query["order_by"] == "desc" else ""
        timesheets = timesheets.order_by(f"{direction}created_at", f"{direction}date_from", "user_id")
    items, pagination = paginate(request, timesheets)
    totals = timekeeping.timesheet_totals_many(items)
    return Response(
        [serialize_timesheet(ts, totals[ts.id], sees_rates=caller.sees_rates) for ts in items],
        pagination=pagination,
    )


def _timesheet(workspace, timesheet_id):
    pk = uuid_or_none(timesheet_id)
    timesheet = Timesheet.objects.filter(pk=pk, workspace=workspace).first() if pk else None
    if timesheet is None:
        raise not_found("Timesheet")
    return timesheet


def timesheet_submit(request, timesheet_id):
    return state_change(
        request, _timesheet, timesheet_id, timekeeping.timesheet_submit, "Timesheet submitted successfully"
    )


def timesheet_unsubmit(request, timesheet_id):
    return state_change(
        request,
        _timesheet,
        timesheet_id,
        timekeeping.timesheet_unsubmit,
        "Timesheet unsubmitted successfully",
    )


def timesheet_approve(request, timesheet_id):
    return state_change(
        request,
        _timesheet,
        timesheet_id,
        timekeeping.timesheet_approve,
        "Timesheet approved successfully",
        by=request.api_user,
    )


def timesheet_reject(request, timesheet_id):
    return state_change(
        request,
        _timesheet,
        timesheet_id,
        timekeeping.timesheet_reject,
        "Timesheet rejected successfully",
        form=RejectForm,
        by=request.api_user,
    )


urlpatterns = [
    route("timesheets", "timesheets", GET=timesheet_list),
    route("timesheets/<str:timesheet_id>/submit", "timesheet-submit", PUT=timesheet_submit),
    route("timesheets/<str:timesheet_id>/unsubmit", "timesheet-unsubmit", PUT=timesheet_unsubmit),
    route("timesheets/<str:timesheet_id>/approve", "timesheet-approve", PUT=timesheet_approve),
    route("timesheets/<str:timesheet_id>/reject", "timesheet-reject", PUT=timesheet_reject),
]
