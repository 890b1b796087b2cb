"""Leaves: list, request, balances, policies, approve, reject.

GET/POST /leaves, GET /leaves/balances, GET /leaves/policies,
PUT /leaves/{id}/approve, PUT /leaves/{id}/reject.

A leave's cost is counted in working days (Monday to Friday); a half-day leave
(`leave_period` 1 or 2) costs half a day. An hour-based policy counts hours:
working days times the leave's `hours_per_day`. A member's balance under a policy is
their allowance (their own `LeaveAllowance`, else the policy's yearly allowance) minus
the approved leave taken in the calendar year of the range's `date_from`.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.db import transaction

from ..models import LeaveAllowance, LeavePolicy, LeaveRequest, Membership
from ..models.accounts import Role
from .base import (
    MAX_ID,
    ApiError,
    DateRangeMixin,
    IdField,
    Response,
    StrictIntegerField,
    date_field,
    day,
    iso_micro,
    member_of,
    not_found,
    number,
    page_of,
    paginate,
    request_values,
    route,
    validate,
    with_article,
    workspace_for,
)

BALANCES_PER_PAGE = 20
HOURS_PER_WORKING_DAY = Decimal(8)
HALF_DAY = Decimal("0.5")
Status = LeaveRequest.Status
Period = LeaveRequest.Period


def time_field():
    return forms.TimeField(
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": "Use the HH:mm format, e.g. 09:00."},
    )


# --- Counting -------------------------------------------------------------------


def working_days(start, end):
    """Mondays to Fridays from `start` to `end`, both included (0 if end < start)."""
    if end < start:
        return 0
    total = (end - start).days + 1
    weeks, rest = divmod(total, 7)
    extra = sum(1 for offset in range(rest) if (start + timedelta(days=offset)).weekday() < 5)
    return weeks * 5 + extra


def leave_cost(leave, start=None, end=None):
    """(days, hours) a leave takes between `start` and `end` (default: the whole leave)."""
    start = max(leave.start_date, start) if start else leave.start_date
    end = min(leave.end_date, end) if end else leave.end_date
    days = Decimal(working_days(start, end))
    if leave.policy.type == LeavePolicy.Kind.HOUR_BASED:
        hours = days * (leave.hours_per_day or HOURS_PER_WORKING_DAY)
        return days, hours
    if leave.leave_period in (Period.FIRST_HALF, Period.SECOND_HALF):
        days *= HALF_DAY
    return days, days * HOURS_PER_WORKING_DAY


# --- Answers ----------------------------------------------------------------------


def serialize_leave(leave):
    days, hours = leave_cost(leave)
    return {
        "id": str(leave.id),
        "user_id": leave.user_id,
        "policy_id": leave.policy_id,
        "policy_name": leave.policy.name,
        "status": leave.status,
        "note": leave.note,
        "is_paid": leave.policy.is_paid,
        "created_by": leave.created_by_id,
        "approved_by": leave.approved_by_id,
        "rejected_by": leave.rejected_by_id,
        "reject_reason": leave.reject_reason,
        "start_date": day(leave.start_date),
        "end_date": day(leave.end_date),
        "leave_period": leave.leave_period,
        "start_time": leave.start_time.strftime("%H:%M") if leave.start_time else None,
        "end_time": leave.end_time.strftime("%H:%M") if leave.end_time else None,
        "hours_per_day": number(leave.hours_per_day),
        "created_at": iso_micro(leave.created_at),
        "total": {"days": number(days), "hours": number(hours)},
    }


def serialize_policy(policy):
    return {
        "id": policy.id,
        "name": policy.name,
        "is_paid": policy.is_paid,
        "type": policy.type,
        "yearly_allowance": number(policy.yearly_allowance),
    }


# --- Forms ------------------------------------------------------------------------


class DateRangeForm(DateRangeMixin, forms.Form):
    date_from = date_field(required=False)
    date_to = date_field(required=False)


class LeaveFilterForm(DateRangeForm):
    id = forms.UUIDField(required=False, error_messages={"invalid": "Give a leave request id (a UUID)."})
    user_id = IdField()
    policy_id = IdField()
    is_paid = forms.ChoiceField(required=False, choices=[("yes", "yes"), ("no", "no")])
    status = forms.ChoiceField(required=False, choices=Status.choices)


class BalanceForm(DateRangeForm):
    date_from = date_field()
    date_to = date_field()
    user_id = IdField()
    page = StrictIntegerField(required=False, min_value=1, max_value=MAX_ID)


class LeaveCreateForm(forms.Form):
    policy_id = IdField(required=True)
    user_id = IdField(required=True)
    start = date_field()
    end = date_field()
    start_time = time_field()
    end_time = time_field()
    hours_per_day = forms.DecimalField(
        required=False, max_digits=4, decimal_places=2, min_value=Decimal("0.25"), max_value=24
    )
    leave_period = forms.TypedChoiceField(
        required=False, choices=[(p.value, str(p.value)) for p in Period], coerce=int, empty_value=0
    )
    reason = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_user_id(self):
        try:
            return member_of(self.workspace, self.cleaned_data["user_id"]).user
        except ApiError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_policy_id(self):
        policy = LeavePolicy.objects.filter(
            workspace=self.workspace, pk=self.cleaned_data["policy_id"]
        ).first()
        if policy is None:
            raise forms.ValidationError("Not a leave policy of this workspace; see GET /leaves/policies.")
        return policy

    def clean(self):
        cleaned = super().clean()
        start, end, policy = cleaned.get("start"), cleaned.get("end"), cleaned.get("policy_id")
        if start and end and end < start:
            self.add_error("end", "The end must be a date on or after start.")
        if cleaned.get("leave_period") and start and end and start != end:
            self.add_error("leave_period", "A half-day leave (1 or 2) must start and end on the same day.")
        if policy is not None and policy.type == LeavePolicy.Kind.HOUR_BASED:
            for name in ("start_time", "end_time", "hours_per_day"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, f"The {name} field is required for the hour-based policy.")
            begin, finish = cleaned.get("start_time"), cleaned.get("end_time")
            if begin and finish and finish <= begin:
                self.add_error("end_time", "The end_time must be after start_time.")
        return cleaned


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        error_messages={"required": "Give the reason for the rejection; the member will see it."},
    )


# --- Operations -------------------------------------------------------------------


def _leaves(workspace):
    return LeaveRequest.objects.select_related("policy").filter(workspace=workspace)


def leave_list(request):
    workspace, _caller = workspace_for(request)
    filters = validate(LeaveFilterForm, request, data=request_values(request, LeaveFilterForm))
    leaves = _leaves(workspace)
    for name, lookup in [
        ("id", "pk"),
        ("user_id", "user_id"),
        ("policy_id", "policy_id"),
        ("is_paid", "policy__is_paid"),
        ("status", "status"),
    ]:
        if filters[name] not in (None, ""):
            leaves = leaves.filter(**{lookup: filters[name]})
    if filters["date_from"]:
        leaves = leaves.filter(end_date__gte=filters["date_from"])
    if filters["date_to"]:
        leaves = leaves.filter(start_date__lte=filters["date_to"])
    items, pagination = paginate(request, leaves.order_by("-start_date", "id"))
    return Response([serialize_leave(leave) for leave in items], pagination=pagination)


@transaction.atomic(using="sandbox")
def leave_create(request):
    workspace, _caller = workspace_for(request)
    data = request_values(request, LeaveCreateForm, "start_date", "end_date", "note")
    for name, alias in [("start", "start_date"), ("end", "end_date"), ("reason", "note")]:
        if data.get(name) in (None, "") and alias in data:
            data[name] = data[alias]
    cleaned = validate(LeaveCreateForm, request, data=data, workspace=workspace)
    user, policy = cleaned["user_id"], cleaned["policy_id"]
    overlapping = (
        LeaveRequest.objects.select_for_update()
        .filter(
            workspace=workspace,
            user=user,
            status__in=[Status.PENDING, Status.APPROVED],
            start_date__lte=cleaned["end"],
            end_date__gte=cleaned["start"],
        )
        .first()
    )
    if overlapping is not None:
        # A business rule (no two live leaves on one day): 400.
        raise ApiError(
            400,
            f"{user.full_name} already has {with_article(overlapping.status)} leave from "
            f"{overlapping.start_date} to {overlapping.end_date} that overlaps these dates.",
            error="Bad Request",
        )
    hour_based = policy.type == LeavePolicy.Kind.HOUR_BASED
    leave = LeaveRequest.objects.create(
        workspace=workspace,
        user=user,
        policy=policy,
        start_date=cleaned["start"],
        end_date=cleaned["end"],
        start_time=cleaned["start_time"] if hour_based else None,
        end_time=cleaned["end_time"] if hour_based else None,
        hours_per_day=cleaned["hours_per_day"] if hour_based else None,
        leave_period=Period.FULL_DAY if hour_based else cleaned["leave_period"],
        note=cleaned["reason"] or None,
        created_by=request.api_user,
    )
    return Response(serialize_leave(leave), message="Leave request created successfully", status=201)


def leave_balances(request):
    workspace, _caller = workspace_for(request)
    filters = validate(BalanceForm, request, data=request_values(request, BalanceForm))
    members = (
        Membership.objects.select_related("user")
        .filter(workspace=workspace, deleted_at__isnull=True)
        .exclude(role=Role.PROJECT_VIEWER)
        .order_by("user_id")
    )
    if filters["user_id"] is not None:
        members = members.filter(user_id=member_of(workspace, filters["user_id"]).user_id)
    items, pagination = page_of(members, filters["page"] or 1, BALANCES_PER_PAGE)
    year = filters["date_from"].year
    data = _balances(workspace, [m.user for m in items], date(year, 1, 1), date(year, 12, 31))
    return Response(data, pagination=pagination)


def _balances(workspace, users, year_start, year_end):
    """Each user's balance under every policy of the workspace for one calendar year."""
    policies = list(LeavePolicy.objects.filter(workspace=workspace).order_by("id"))
    user_ids = [user.id for user in users]
    allowances = {
        (a.user_id, a.policy_id): a.amount
        for a in LeaveAllowance.objects.filter(policy__workspace=workspace, user_id__in=user_ids)
    }
    used = defaultdict(Decimal)
    approved = _leaves(workspace).filter(
        status=Status.APPROVED, user_id__in=user_ids, start_date__lte=year_end, end_date__gte=year_start
    )
    for leave in approved:
        days, hours = leave_cost(leave, year_start, year_end)
        hour_based = leave.policy.type == LeavePolicy.Kind.HOUR_BASED
        used[(leave.user_id, leave.policy_id)] += hours if hour_based else days
    rows = []
    for user in users:
        information, total_days = [], Decimal(0)
        for policy in policies:
            allowance = allowances.get((user.id, policy.id), policy.yearly_allowance)
            balance = allowance - used[(user.id, policy.id)]
            unit = "hours" if policy.type == LeavePolicy.Kind.HOUR_BASED else "days"
            if unit == "days":
                total_days += balance
            information.append(
                {
                    "policy_id": policy.id,
                    "leave_type": policy.name,
                    "balance": f"{number(balance)} {unit}",
                }
            )
        has_day_policies = any(p.type == LeavePolicy.Kind.DAY_BASED for p in policies)
        rows.append(
            {
                "user_id": user.id,
                "user_name": user.full_name,
                "leave_information": information,
                # The day-based policies together; hours are not added to days.
                "total_balance": f"{number(total_days)} days" if has_day_policies else None,
            }
        )
    return rows


def policy_list(request):
    workspace, _caller = workspace_for(request)
    items, pagination = paginate(request, LeavePolicy.objects.filter(workspace=workspace).order_by("id"))
    return Response([serialize_policy(policy) for policy in items], pagination=pagination)


def _leave(workspace, leave_id):
    leave = _leaves(workspace).select_for_update().filter(pk=leave_id).first()
    if leave is None:
        raise not_found("Leave request")
    return leave


def _require_pending(leave, action):
    if leave.status != Status.PENDING:
        raise ApiError(
            422,
            f"Only a pending leave request can be {action}; this one is {leave.status}.",
            error="Unprocessable Content",
        )


@transaction.atomic(using="sandbox")
def leave_approve(request, leave_id):
    workspace, _caller = workspace_for(request)
    leave = _leave(workspace, leave_id)
    _require_pending(leave, "approved")
    leave.status = Status.APPROVED
    leave.approved_by = request.api_user
    leave.save(update_fields=["status", "approved_by", "updated_at"])
    return Response(None, message="Leave request approved successfully")


@transaction.atomic(using="sandbox")
def leave_reject(request, leave_id):
    workspace, _caller = workspace_for(request)
    leave = _leave(workspace, leave_id)
    values = request_values(request, RejectForm, "reject_reason")
    reason = values.get("reason")
    if reason in (None, ""):
        reason = values.get("reject_reason")
    cleaned = validate(RejectForm, request, data={"reason": reason})
    _require_pending(leave, "rejected")
    leave.status = Status.REJECTED
    leave.rejected_by = request.api_user
    leave.reject_reason = cleaned["reason"]
    leave.save(update_fields=["status", "rejected_by", "reject_reason", "updated_at"])
    return Response(None, message="Leave request rejected successfully")


def leave_unknown(request, leave_id):
    """A leave id that is not a UUID: no such leave request."""
    workspace_for(request)
    raise not_found("Leave request")


urlpatterns = [
    route("leaves", "leaves", GET=leave_list, POST=leave_create),
    route("leaves/balances", "leave-balances", GET=leave_balances),
    route("leaves/policies", "leave-policies", GET=policy_list),
    route("leaves/<uuid:leave_id>/approve", "leave-approve", PUT=leave_approve),
    route("leaves/<uuid:leave_id>/reject", "leave-reject", PUT=leave_reject),
    route("leaves/<str:leave_id>/approve", "leave-approve-unknown", PUT=leave_unknown),
    route("leaves/<str:leave_id>/reject", "leave-reject-unknown", PUT=leave_unknown),
]
