"""Members: list, invite, get, update, archive (GET/POST /members, GET/PUT/DELETE /members/{id})."""

import secrets

from django import forms
from django.db import transaction
from django.utils import timezone

from ..models import Membership, SandboxUser
from ..models.accounts import MemberStatus, Role
from .base import (
    ApiError,
    Response,
    StrictIntegerField,
    iso_micro,
    not_found,
    number,
    paginate,
    route,
    sent_fields,
    validate,
    validation_error,
    workspace_for,
)

INVITABLE_ROLES = [r.value for r in Role]
ASSIGNABLE_ROLES = [r.value for r in Role if r != Role.OWNER]


def serialize_member(membership, *, sees_rates):
    user = membership.user
    return {
        "id": user.id,
        "email": user.email,
        "firstname": user.firstname,
        "lastname": user.lastname,
        "avatar": user.avatar,
        "current_role": membership.role,
        "timezone": user.timezone,
        "status": membership.status,
        "team_name": membership.team_name,
        "title": membership.title,
        "rate": number(membership.rate) if sees_rates else None,
        "rate_type": membership.rate_type if sees_rates else None,
        "rate_status": membership.rate_status,
        "currency": membership.workspace.currency if sees_rates else None,
        "weekly_hours_limit": membership.weekly_hours_limit,
        "screenshots": membership.screenshots,
        "is_blocked": membership.is_blocked,
        "created_at": iso_micro(membership.created_at),
        "updated_at": iso_micro(membership.updated_at),
        "deleted_at": iso_micro(membership.deleted_at),
    }


class MemberFilterForm(forms.Form):
    email = forms.CharField(required=False)
    status = forms.ChoiceField(required=False, choices=[(s, s) for s in MemberStatus.values])
    role = forms.ChoiceField(required=False, choices=[(r, r) for r in INVITABLE_ROLES])


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    firstname = forms.CharField(max_length=100)
    lastname = forms.CharField(max_length=100)
    role = forms.ChoiceField(choices=[(r, r) for r in INVITABLE_ROLES])

    def clean_role(self):
        role = self.cleaned_data["role"]
        if role == Role.OWNER:
            raise forms.ValidationError("A workspace has one Owner; invite with another role.")
        return role


class UpdateForm(forms.Form):
    email = forms.EmailField(required=False, max_length=254)
    firstname = forms.CharField(required=False, max_length=100)
    lastname = forms.CharField(required=False, max_length=100)
    timezone = forms.CharField(required=False, max_length=64)
    role = forms.ChoiceField(required=False, choices=[(r, r) for r in ASSIGNABLE_ROLES])
    rate_status = forms.TypedChoiceField(
        required=False, choices=[(0, "0"), (1, "1")], coerce=int, empty_value=None
    )
    weekly_hours_limit = StrictIntegerField(required=False, min_value=0, max_value=168)
    remove_avatar = forms.TypedChoiceField(
        required=False, choices=[(0, "0"), (1, "1")], coerce=int, empty_value=None
    )

    def clean_timezone(self):
        from zoneinfo import available_timezones

        value = self.cleaned_data["timezone"]
        if value and value not in available_timezones():
            raise forms.ValidationError(f"'{value}' is not a known time zone, e.g. America/New_York.")
        return value


def _members(workspace):
    return Membership.objects.select_related("user", "workspace").filter(workspace=workspace)


def _member(workspace, member_id):
    membership = _members(workspace).filter(user_id=member_id).first()
    if membership is None:
        raise not_found("Member")
    return membership


def member_list(request):
    workspace, caller = workspace_for(request)
    filters = validate(MemberFilterForm, request)
    members = _members(workspace).order_by("user_id")
    if filters["email"]:
        members = members.filter(user__email__iexact=filters["email"])
    if filters["status"]:
        members = members.filter(status=filters["status"])
    if filters["role"]:
        members = members.filter(role=filters["role"])
    items, pagination = paginate(request, members)
    return Response([serialize_member(m, sees_rates=caller.sees_rates) for m in items], pagination=pagination)


@transaction.atomic(using="sandbox")
def member_invite(request):
    workspace, _caller = workspace_for(request)
    data = validate(InviteForm, request)
    user, _ = SandboxUser.objects.get_or_create(
        email__iexact=data["email"],
        defaults={
            "email": data["email"].lower(),
            "firstname": data["firstname"],
            "lastname": data["lastname"],
        },
    )
    if Membership.objects.filter(workspace=workspace, user=user, deleted_at__isnull=True).exists():
        # A business rule, not a field's format: 400, as WebWork answers "already tracking".
        raise ApiError(
            400,
            f"{user.email} is already a member of this workspace; change their role with "
            f"PUT /members/{user.id} instead.",
            error="Bad Request",
        )
    token = secrets.token_hex(12)
    Membership.objects.update_or_create(
        workspace=workspace,
        user=user,
        defaults={
            "role": data["role"],
            "status": MemberStatus.INACTIVE,  # until the invitation is accepted
            "invitation_token": token,
            "deleted_at": None,
        },
    )
    return Response(
        {
            "user_id": user.id,
            "invitation_link": f"https://app.webwork-tracker.com/dashboard/accept-invitation/{token}",
        },
        message="Member invited successfully",
        status=201,
    )


def member_detail(request, member_id):
    workspace, caller = workspace_for(request)
    membership = _member(workspace, member_id)
    return Response(
        serialize_member(membership, sees_rates=caller.sees_rates), message="Member retrieved successfully"
    )


@transaction.atomic(using="sandbox")
def member_update(request, member_id):
    workspace, caller = workspace_for(request)
    membership = _member(workspace, member_id)
    data = validate(UpdateForm, request)
    sent = sent_fields(request, UpdateForm.base_fields)
    user = membership.user
    if "role" in sent and data["role"] and membership.role == Role.OWNER:
        raise ApiError(
            422,
            "The Owner's role cannot be changed.",
            errors={"role": ["The Owner's role cannot be changed."]},
        )
    if "email" in sent and data["email"]:
        clash = SandboxUser.objects.filter(email__iexact=data["email"]).exclude(pk=user.pk).exists()
        if clash:  # the field's value is refused: 422 naming it, as Laravel's `unique` rule does
            raise validation_error({"email": ["The email has already been taken."]})
        user.email = data["email"].lower()
    for name in ("firstname", "lastname", "timezone"):
        if name in sent and data[name]:
            setattr(user, name, data[name])
    if "remove_avatar" in sent and data["remove_avatar"] == 1:
        user.avatar = None
    user.save()
    if "role" in sent and data["role"]:
        membership.role = data["role"]
    if "rate_status" in sent and data["rate_status"] is not None:
        membership.rate_status = data["rate_status"]
    if "weekly_hours_limit" in sent and data["weekly_hours_limit"] is not None:
        membership.weekly_hours_limit = data["weekly_hours_limit"]
    membership.save()
    membership.user = user
    return Response(
        serialize_member(membership, sees_rates=caller.sees_rates), message="Member updated successfully"
    )


@transaction.atomic(using="sandbox")
def member_archive(request, member_id):
    workspace, _caller = workspace_for(request)
    membership = _member(workspace, member_id)
    if membership.role == Role.OWNER:
        raise ApiError(422, "The workspace's Owner cannot be archived.", error="Unprocessable Content")
    if membership.deleted_at is None:
        membership.deleted_at = timezone.now()
        membership.status = MemberStatus.INACTIVE
        membership.save()
    return Response(None, message="Member archived successfully")


urlpatterns = [
    route("members", "members", GET=member_list, POST=member_invite),
    route("members/<int:member_id>", "member", GET=member_detail, PUT=member_update, DELETE=member_archive),
]
