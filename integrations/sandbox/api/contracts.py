"""Contracts: list, create, get, update, delete (GET/POST /contracts, GET/PUT/DELETE /contracts/{id}).

A contract assigns a member to a project. Rates appear only to callers who may see rates, and
only on billable projects.
"""

from django import forms
from django.db import transaction
from django.db.models import OuterRef, Subquery

from ..models import Contract, Membership, Project
from ..models.projects import ScreenshotMode
from .base import (
    ApiError,
    IdField,
    Response,
    StrictIntegerField,
    id_in_range,
    iso_micro,
    member_of,
    not_found,
    number,
    paginate,
    route,
    sent_fields,
    validate,
    validation_error,
    workspace_for,
)

SCREENSHOT_LABELS = dict(ScreenshotMode.choices)


def serialize_contract(contract, *, sees_rates):
    """A contract as the API answers it; `contract.member_role` is the member's role in the workspace."""
    project, user = contract.project, contract.user
    return {
        "id": contract.id,
        "project_id": project.id,
        "project_name": project.name,
        "project_icon": project.icon,
        "user_id": user.id,
        "user_firstname": user.firstname,
        "user_lastname": user.lastname,
        "user_email": user.email,
        "user_role": contract.member_role,
        "weekly_hours_limit": contract.weekly_hours_limit,
        "screenshots": contract.screenshots,
        "screenshots_label": SCREENSHOT_LABELS.get(contract.screenshots),
        "rate": number(contract.rate) if sees_rates and project.is_billable else None,
        "rate_type": contract.rate_type,
        "status": contract.status,
        "contract_name": f"{project.name} — {user.full_name}",
        "currency": contract.workspace.currency,
        "created_at": iso_micro(contract.created_at),
        "updated_at": iso_micro(contract.updated_at),
    }


class ContractFilterForm(forms.Form):
    project_id = IdField()
    user_id = IdField()
    status = forms.ChoiceField(required=False, choices=Contract.Status.choices)


class ContractUpdateForm(forms.Form):
    weekly_hours_limit = StrictIntegerField(required=False, min_value=0, max_value=168)
    screenshots = forms.ChoiceField(required=False, choices=ScreenshotMode.choices)
    rate = forms.DecimalField(required=False, min_value=0, max_digits=10, decimal_places=2)
    status = forms.ChoiceField(required=False, choices=Contract.Status.choices)


class ContractCreateForm(forms.Form):
    project_id = IdField(required=True)
    user_id = IdField(required=True)
    weekly_hours_limit = StrictIntegerField(required=False, min_value=0, max_value=168)
    screenshots = forms.ChoiceField(required=False, choices=ScreenshotMode.choices)
    rate = forms.DecimalField(required=False, min_value=0, max_digits=10, decimal_places=2)


def _contracts(workspace):
    role = Membership.objects.filter(workspace_id=OuterRef("workspace_id"), user_id=OuterRef("user_id"))
    return (
        Contract.objects.filter(workspace=workspace)
        .select_related("project", "user", "workspace")
        .annotate(member_role=Subquery(role.values("role")[:1]))
    )


def _contract(workspace, contract_id):
    contract = _contracts(workspace).filter(pk=contract_id).first() if id_in_range(contract_id) else None
    if contract is None:
        raise not_found("Contract")
    return contract


def _project_for_contract(workspace, project_id):
    project = Project.objects.filter(workspace=workspace, pk=project_id).first()
    if project is None:
        raise validation_error(
            {"project_id": ["The selected project_id is not a project of this workspace."]}
        )
    if project.status == Project.Status.ARCHIVED:
        raise validation_error({"project_id": ["The project is archived; restore it before adding members."]})
    return project


def _rate_terms(data, caller, member, project):
    """(rate, rate_type): a custom rate when one was sent by a caller who sees rates, else the
    member's rate, else the project's."""
    if data["rate"] is not None and caller.sees_rates:
        return data["rate"], Contract.RateType.CUSTOM
    if member.rate is not None:
        return member.rate, Contract.RateType.MEMBER
    return project.rate, Contract.RateType.PROJECT


# --- Operations ---------------------------------------------------------------


def contract_list(request):
    workspace, caller = workspace_for(request)
    filters = validate(ContractFilterForm, request)
    contracts = _contracts(workspace).order_by("id")
    for name in ("project_id", "user_id", "status"):
        if filters[name] not in (None, ""):
            contracts = contracts.filter(**{name: filters[name]})
    items, pagination = paginate(request, contracts)
    return Response(
        [serialize_contract(c, sees_rates=caller.sees_rates) for c in items],
        message="Contracts retrieved successfully",
        pagination=pagination,
        # WebWork's R docs also show the block at the top level, beside `meta`.
        extra={"pagination": pagination},
    )


@transaction.atomic(using="sandbox")
def contract_create(request):
    workspace, caller = workspace_for(request)
    data = validate(ContractCreateForm, request)
    project = _project_for_contract(workspace, data["project_id"])
    member = member_of(workspace, data["user_id"])
    existing = Contract.objects.filter(project=project, user_id=member.user_id).first()
    if existing is not None:  # a business rule (one contract per member and project): 400
        raise ApiError(
            400,
            f"{member.user.full_name} already has a contract on {project.name}; change that contract "
            f"(PUT /contracts/{existing.id}) instead.",
            error="Bad Request",
        )
    rate, rate_type = _rate_terms(data, caller, member, project)
    contract = Contract.objects.create(
        workspace=workspace,
        project=project,
        user=member.user,
        weekly_hours_limit=168 if data["weekly_hours_limit"] is None else data["weekly_hours_limit"],
        screenshots=data["screenshots"] or ScreenshotMode.FULL,
        rate=rate,
        rate_type=rate_type,
    )
    contract.member_role = member.role
    return Response(
        serialize_contract(contract, sees_rates=caller.sees_rates),
        message="Contract created successfully",
        status=201,
    )


def contract_detail(request, contract_id):
    workspace, caller = workspace_for(request)
    contract = _contract(workspace, contract_id)
    return Response(
        serialize_contract(contract, sees_rates=caller.sees_rates), message="Contract retrieved successfully"
    )


@transaction.atomic(using="sandbox")
def contract_update(request, contract_id):
    workspace, caller = workspace_for(request)
    contract = _contract(workspace, contract_id)
    data = validate(ContractUpdateForm, request)
    sent = sent_fields(request, ContractUpdateForm.base_fields)
    for name in ("weekly_hours_limit", "screenshots", "status"):
        if name in sent and data[name] not in (None, ""):
            setattr(contract, name, data[name])
    # A rate is only saved for callers who may see rates; others' rates are ignored.
    if "rate" in sent and data["rate"] is not None and caller.sees_rates:
        contract.rate, contract.rate_type = data["rate"], Contract.RateType.CUSTOM
    contract.save()
    return Response(
        serialize_contract(contract, sees_rates=caller.sees_rates),
        # WebWork documents this message for the update too.
        message="Contract retrieved successfully",
    )


@transaction.atomic(using="sandbox")
def contract_delete(request, contract_id):
    workspace, _caller = workspace_for(request)
    _contract(workspace, contract_id).delete()
    return Response(None, message="Contract deleted successfully")


urlpatterns = [
    route("contracts", "contracts", GET=contract_list, POST=contract_create),
    route(
        "contracts/<int:contract_id>",
        "contract",
        GET=contract_detail,
        PUT=contract_update,
        DELETE=contract_delete,
    ),
]
