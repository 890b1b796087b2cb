"""What every action does when WebWork fails, forbids, or is handed another workspace's rows."""

import pytest

from integrations.models import AuditEvent, Contract, Member, Project
from integrations.sandbox import models as sandbox
from integrations.services import ServiceError, contract_pause, contract_update, member_update
from integrations.sync.contracts import sync_contracts
from integrations.sync.members import sync_members
from integrations.sync.projects import sync_projects

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def work(world, ctx):
    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    contract = sandbox.Contract.objects.create(workspace=world.acme, project=website, user=world.alice)
    for sync in (sync_members, sync_projects, sync_contracts):
        sync(ctx)
    return {"contract": contract, "mirrored": Contract.objects.get(webwork_id=str(contract.id))}


def test_webwork_not_answering_changes_nothing(mirror_workspace, client, actor, work, unchanged):
    sandbox.FaultSettings.objects.update_or_create(pk=1, defaults={"server_error_rate": 1})

    with unchanged(work["mirrored"]), pytest.raises(ServiceError) as refused:
        contract_pause(workspace=mirror_workspace, actor=actor, contract=work["mirrored"], client=client)

    assert refused.value.message == "WebWork did not answer; nothing was changed. Try again in a minute."
    assert refused.value.kind == "unavailable"
    work["contract"].refresh_from_db()
    assert work["contract"].status == "active"


def test_a_role_webwork_forbids_changes_nothing(world, mirror_workspace, make_client, actor, work):
    team_manager = make_client(world.team_manager)

    with pytest.raises(ServiceError) as refused:
        contract_update(
            workspace=mirror_workspace,
            actor=actor,
            contract=work["mirrored"],
            weekly_hours_limit=10,
            client=team_manager,
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


def test_rows_of_another_workspace_are_never_sent(
    world, mirror_workspace, globex_mirror, client, actor, work
):
    """Globex's mirror rows, even carrying ids Acme's WebWork would accept, are refused unasked."""
    alice = Member.objects.get(webwork_id=str(world.alice.id))
    foreign_member = Member.objects.create(
        workspace=globex_mirror, webwork_id=alice.webwork_id, email=alice.email, role="Regular User"
    )
    foreign_contract = Contract.objects.create(
        workspace=globex_mirror, webwork_id=work["mirrored"].webwork_id
    )
    made = client.requests_made

    for act in (
        lambda: member_update(
            workspace=mirror_workspace, actor=actor, member=foreign_member, firstname="Eve", client=client
        ),
        lambda: contract_pause(
            workspace=mirror_workspace, actor=actor, contract=foreign_contract, client=client
        ),
    ):
        with pytest.raises(ServiceError) as refused:
            act()
        assert refused.value.kind == "not_found"

    assert client.requests_made == made
    assert sandbox.SandboxUser.objects.get(pk=world.alice.pk).firstname == "Alice"
    assert sandbox.Contract.objects.get(pk=work["contract"].pk).status == "active"
    assert not AuditEvent.objects.exists()
    assert Project.objects.filter(workspace=globex_mirror).count() == 0
