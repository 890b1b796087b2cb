"""Creating, editing, pausing, resuming and deleting contracts."""

from decimal import Decimal

import pytest

from integrations.models import AuditEvent, Contract, Member, Project
from integrations.sandbox import models as sandbox
from integrations.services import (
    ServiceError,
    contract_create,
    contract_delete,
    contract_pause,
    contract_resume,
    contract_update,
)
from integrations.sync.contracts import sync_contracts
from integrations.sync.members import sync_members
from integrations.sync.projects import sync_projects
from tests.integrations.convergence import assert_converged

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def work(world, ctx):
    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website", rate=80)
    contract = sandbox.Contract.objects.create(
        workspace=world.acme, project=website, user=world.alice, rate=50
    )
    for sync in (sync_members, sync_projects, sync_contracts):
        sync(ctx)
    return {
        "website": Project.objects.get(name="Website"),
        "alice": Member.objects.get(email="alice@acme.test"),
        "bob": Member.objects.get(email="bob@acme.test"),
        "contract": contract,
        "mirrored": Contract.objects.get(webwork_id=str(contract.id)),
    }


def test_creating_a_contract(world, mirror_workspace, wire, actor, work, audit_of):
    row = contract_create(
        workspace=mirror_workspace,
        actor=actor,
        project=work["website"],
        member=work["bob"],
        weekly_hours_limit=20,
        screenshots="blurred",
    )

    made = sandbox.Contract.objects.get(user=world.bob)
    assert (made.project.name, made.weekly_hours_limit, made.screenshots) == ("Website", 20, "blurred")
    assert (row.webwork_id, row.project, row.member) == (str(made.id), work["website"], work["bob"])
    assert (row.weekly_hours_limit, row.screenshots, row.status) == (20, "blurred", "active")
    assert_converged(mirror_workspace, "contracts")
    event = audit_of("contract_create")
    assert (event.object_type, event.before, event.after["weekly_hours_limit"]) == ("contract", None, 20)


def test_a_duplicate_contract_is_refused_in_words(mirror_workspace, wire, actor, work):
    with pytest.raises(ServiceError) as refused:
        contract_create(
            workspace=mirror_workspace,
            actor=actor,
            project=work["website"],
            member=work["alice"],
        )

    # WebWork refuses with a 400 (its business rule; it documents no 409); reading Alice's
    # contracts on the project again says why, in the same words as ever.
    assert (refused.value.status, refused.value.kind) == (400, "conflict")
    assert refused.value.message == "Alice Moreau already has a contract on Website."
    assert refused.value.field_errors == {}
    assert Contract.objects.count() == 1
    assert sandbox.Contract.objects.count() == 1


def test_editing_a_contracts_terms(mirror_workspace, wire, actor, work, audit_of):
    row = contract_update(
        workspace=mirror_workspace,
        actor=actor,
        contract=work["mirrored"],
        weekly_hours_limit=30,
        rate=Decimal("55.50"),
    )

    work["contract"].refresh_from_db()
    assert (work["contract"].weekly_hours_limit, work["contract"].rate) == (30, Decimal("55.50"))
    assert (row.weekly_hours_limit, row.rate) == (30, Decimal("55.50"))
    assert_converged(mirror_workspace, "contracts")
    event = audit_of("contract_update")
    assert (event.before["weekly_hours_limit"], event.after["weekly_hours_limit"]) == (168, 30)
    assert (event.before["rate"], event.after["rate"]) == ("50.00", "55.50")


def test_terms_out_of_range_are_refused_before_webwork_is_asked(
    mirror_workspace, wire, actor, work, unchanged
):
    with unchanged(work["mirrored"], requests=0), pytest.raises(ServiceError) as refused:
        contract_update(
            workspace=mirror_workspace,
            actor=actor,
            contract=work["mirrored"],
            weekly_hours_limit=200,
        )

    assert list(refused.value.field_errors) == ["weekly_hours_limit"]


def test_every_bad_term_is_reported_at_once(mirror_workspace, wire, actor, work, unchanged):
    with unchanged(work["mirrored"], requests=0), pytest.raises(ServiceError) as refused:
        contract_update(
            workspace=mirror_workspace,
            actor=actor,
            contract=work["mirrored"],
            weekly_hours_limit=True,
            rate="-3",
        )

    assert refused.value.field_errors == {
        "weekly_hours_limit": ["Give the weekly hours limit as whole hours from 0 to 168."],
        "rate": ["Give the rate as a number of 0 or more."],
    }
    assert refused.value.message == (
        "Give the weekly hours limit as whole hours from 0 to 168. Give the rate as a number of 0 or more."
    )


def test_a_setting_webwork_refuses_is_named_for_the_form(mirror_workspace, wire, actor, work, unchanged):
    with unchanged(work["mirrored"]), pytest.raises(ServiceError) as refused:
        contract_update(
            workspace=mirror_workspace,
            actor=actor,
            contract=work["mirrored"],
            screenshots="hourly",
        )

    assert refused.value.status == 422
    assert refused.value.message.startswith("WebWork did not accept the screenshots setting (")
    assert list(refused.value.field_errors) == ["screenshots"]


def test_pausing_and_resuming(mirror_workspace, wire, actor, work):
    paused = contract_pause(workspace=mirror_workspace, actor=actor, contract=work["mirrored"])
    work["contract"].refresh_from_db()
    assert (work["contract"].status, paused.status) == ("paused", "paused")

    resumed = contract_resume(workspace=mirror_workspace, actor=actor, contract=work["mirrored"])
    work["contract"].refresh_from_db()
    assert (work["contract"].status, resumed.status) == ("active", "active")
    assert_converged(mirror_workspace, "contracts")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "after__status"))
    assert actions == [("contract_pause", "paused"), ("contract_resume", "active")]


def test_deleting_a_contract(mirror_workspace, wire, actor, work, audit_of):
    row = contract_delete(workspace=mirror_workspace, actor=actor, contract=work["mirrored"])

    assert not sandbox.Contract.objects.exists()
    assert row.removed_at is not None
    assert_converged(mirror_workspace, "contracts")
    assert audit_of("contract_delete").before["status"] == "active"


def test_a_contract_deleted_in_webwork_is_reported_and_the_mirror_left_alone(
    mirror_workspace, wire, actor, work, unchanged
):
    work["contract"].delete()

    with unchanged(work["mirrored"]), pytest.raises(ServiceError) as refused:
        contract_pause(workspace=mirror_workspace, actor=actor, contract=work["mirrored"])

    assert (refused.value.status, refused.value.kind) == (404, "not_found")
    assert refused.value.message == "WebWork no longer has this contract; it may have been deleted there."


def test_a_project_of_another_workspace_is_refused_without_asking_webwork(
    world, mirror_workspace, globex_mirror, wire, actor, work
):
    foreign = Project.objects.create(workspace=globex_mirror, webwork_id=work["website"].webwork_id, name="X")
    made = wire.sent

    with pytest.raises(ServiceError) as refused:
        contract_create(workspace=mirror_workspace, actor=actor, project=foreign, member=work["bob"])

    assert refused.value.message == "This project is not part of Acme Studio."
    assert wire.sent == made
    assert not sandbox.Contract.objects.filter(user=world.bob).exists()
