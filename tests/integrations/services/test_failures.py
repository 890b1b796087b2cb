"""What every action does when WebWork fails, forbids, or is handed another workspace's rows."""

import pytest

from integrations.models import AuditEvent, Contract, Expense, Member, Project
from integrations.sandbox import models as sandbox
from integrations.services import ServiceError, contract_pause, contract_update, member_update
from integrations.services.base import own_row, refusal
from integrations.sync.contracts import sync_contracts
from integrations.sync.members import sync_members
from integrations.sync.projects import sync_projects
from integrations.webwork import errors
from tests.sandbox_world import sync_connection_for

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def work(world, ctx):
    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    contract = sandbox.Contract.objects.create(workspace=world.acme, project=website, user=world.alice)
    for sync in (sync_members, sync_projects, sync_contracts):
        sync(ctx)
    return {"contract": contract, "mirrored": Contract.objects.get(webwork_id=str(contract.id))}


def test_webwork_not_answering_changes_nothing(mirror_workspace, wire, actor, work, unchanged):
    sandbox.FaultSettings.objects.update_or_create(pk=1, defaults={"server_error_rate": 1})

    with unchanged(work["mirrored"]), pytest.raises(ServiceError) as refused:
        contract_pause(workspace=mirror_workspace, actor=actor, contract=work["mirrored"])

    assert refused.value.message == "WebWork did not answer; nothing was changed. Try again in a minute."
    assert refused.value.kind == "unavailable"
    work["contract"].refresh_from_db()
    assert work["contract"].status == "active"


def test_a_role_webwork_forbids_changes_nothing(world, mirror_workspace, actor, work):
    sync_connection_for(mirror_workspace, world.team_manager)  # the sign-in it acts through

    with pytest.raises(ServiceError) as refused:
        contract_update(
            workspace=mirror_workspace, actor=actor, contract=work["mirrored"], weekly_hours_limit=10
        )

    assert (refused.value.status, refused.value.kind) == (403, "forbidden")
    assert refused.value.message == (
        "WebWork did not allow this: Only the workspace's Owners and Executive managers may use the API. "
        "Nothing was changed."
    )
    work["contract"].refresh_from_db()
    assert work["contract"].weekly_hours_limit == 168
    assert Contract.objects.get(pk=work["mirrored"].pk).weekly_hours_limit == 168
    assert not AuditEvent.objects.exists()


def test_rows_of_another_workspace_are_never_sent(world, mirror_workspace, globex_mirror, wire, actor, work):
    """Globex's mirror rows, even carrying ids Acme's WebWork would accept, are refused unasked."""
    alice = Member.objects.get(webwork_id=str(world.alice.id))
    foreign_member = Member.objects.create(
        workspace=globex_mirror, webwork_id=alice.webwork_id, email=alice.email, role="Regular User"
    )
    foreign_contract = Contract.objects.create(
        workspace=globex_mirror, webwork_id=work["mirrored"].webwork_id
    )
    made = wire.sent

    for act in (
        lambda: member_update(
            workspace=mirror_workspace, actor=actor, member=foreign_member, firstname="Eve"
        ),
        lambda: contract_pause(workspace=mirror_workspace, actor=actor, contract=foreign_contract),
    ):
        with pytest.raises(ServiceError) as refused:
            act()
        assert refused.value.kind == "not_found"

    assert wire.sent == made
    assert sandbox.SandboxUser.objects.get(pk=world.alice.pk).firstname == "Alice"
    assert sandbox.Contract.objects.get(pk=work["contract"].pk).status == "active"
    assert not AuditEvent.objects.exists()
    assert Project.objects.filter(workspace=globex_mirror).count() == 0


# --- How a refusal reads, whichever status WebWork gave it ----------------------------


def test_a_business_rule_refusal_not_explained_reads_in_webworks_words():
    """A 400 the action's reading of WebWork does not explain keeps WebWork's message."""
    refused = refusal(
        errors.BadRequestError("The project is archived.", status=400),
        what="contract",
        on_refused=lambda exc: None,
    )

    assert (refused.message, refused.status, refused.kind) == (
        "WebWork refused this: The project is archived.",
        400,
        "invalid",
    )


def test_an_explained_refusal_is_a_conflict_in_the_actions_words_for_400_422_and_409():
    asked = []

    def explain(exc):
        asked.append(exc.status)
        return "bob@acme.test belongs to another WebWork account."

    taken = errors.ValidationError(
        "The given data was invalid.", field_errors={"email": ["The email has already been taken."]}
    )
    refusals = [
        refusal(errors.BadRequestError("Already.", status=400), what="member", on_refused=explain),
        refusal(taken, what="member", fields={"email": ("email", "email address")}, on_refused=explain),
        refusal(errors.ConflictError("Duplicate."), what="member", on_refused=explain),
    ]

    assert asked == [400, 422, 409]
    assert [(r.message, r.status, r.kind) for r in refusals] == [
        ("bob@acme.test belongs to another WebWork account.", status, "conflict")
        for status in (400, 422, 409)
    ]
    # A 422 names its fields for the form, with the action's words.
    assert [r.field_errors for r in refusals] == [
        {},
        {"email": ["bob@acme.test belongs to another WebWork account."]},
        {},
    ]


def test_a_409_is_still_understood_though_webwork_documents_none():
    refused = refusal(errors.ConflictError("Duplicate entry."), what="contract")

    assert (refused.message, refused.status, refused.kind) == (
        "WebWork refused this: Duplicate entry.",
        409,
        "conflict",
    )


def test_other_refusals_are_not_explained_as_conflicts():
    asked = []
    refused = refusal(
        errors.NotFoundError("Member not found."), what="member", on_refused=lambda exc: asked.append(exc)
    )

    assert asked == []
    assert refused.kind == "not_found"


def test_choosing_nothing_names_the_object_with_its_article(mirror_workspace):
    with pytest.raises(ServiceError) as an_expense:
        own_row(Expense, mirror_workspace, None, "expense")
    with pytest.raises(ServiceError) as a_contract:
        own_row(Contract, mirror_workspace, None, "contract")
    with pytest.raises(TypeError) as wrong_model:
        own_row(Expense, mirror_workspace, Contract(), "expense")

    assert an_expense.value.message == "Choose an expense."
    assert a_contract.value.message == "Choose a contract."
    assert str(wrong_model.value) == "Expected an Expense, got Contract."
