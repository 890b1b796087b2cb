"""Inviting members and changing them."""

import pytest

from integrations.models import AuditEvent, Member
from integrations.sandbox import models as sandbox
from integrations.services import ServiceError, member_invite, member_update
from integrations.sync.members import sync_members
from tests.integrations.convergence import assert_converged

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def team(world, ctx):
    sync_members(ctx)
    return {"alice": Member.objects.get(email="alice@acme.test")}


def test_inviting_a_member(world, mirror_workspace, client, actor, team, audit_of):
    row = member_invite(
        workspace=mirror_workspace,
        actor=actor,
        email="dora@acme.test",
        firstname="Dora",
        lastname="Diaz",
        role="Project manager",
        client=client,
    )

    made = sandbox.Membership.objects.get(workspace=world.acme, user__email="dora@acme.test")
    assert (made.role, made.status) == ("Project manager", "inactive")  # until she accepts
    assert (row.webwork_id, row.email, row.role, row.status) == (
        str(made.user_id),
        "dora@acme.test",
        "Project manager",
        "inactive",
    )
    assert_converged(mirror_workspace, "members")
    event = audit_of("member_invite")
    assert (event.before, event.after["role"], event.note) == (None, "Project manager", "dora@acme.test")


def test_inviting_a_member_twice_is_refused(mirror_workspace, client, actor, team):
    with pytest.raises(ServiceError) as refused:
        member_invite(
            workspace=mirror_workspace,
            actor=actor,
            email="alice@acme.test",
            firstname="Alice",
            lastname="Moreau",
            role="Regular User",
            client=client,
        )

    assert refused.value.message == "alice@acme.test is already a member of Acme Studio."
    assert not AuditEvent.objects.exists()


def test_an_invitation_with_an_unknown_role_is_refused_before_webwork_is_asked(
    mirror_workspace, client, actor, team
):
    made = client.requests_made

    with pytest.raises(ServiceError) as refused:
        member_invite(
            workspace=mirror_workspace,
            actor=actor,
            email="",
            firstname="Dora",
            lastname="Diaz",
            role="Owner",
            client=client,
        )

    assert set(refused.value.field_errors) == {"email", "role"}
    assert client.requests_made == made


def test_changing_a_member(world, mirror_workspace, client, actor, team, audit_of):
    row = member_update(
        workspace=mirror_workspace,
        actor=actor,
        member=team["alice"],
        role="Team manager",
        weekly_hours_limit=32,
        client=client,
    )

    membership = sandbox.Membership.objects.get(workspace=world.acme, user=world.alice)
    assert (membership.role, membership.weekly_hours_limit) == ("Team manager", 32)
    assert (row.role, row.weekly_hours_limit) == ("Team manager", 32)
    assert_converged(mirror_workspace, "members")
    event = audit_of("member_update")
    assert (event.before["role"], event.after["role"]) == ("Regular User", "Team manager")
    assert (event.before["weekly_hours_limit"], event.after["weekly_hours_limit"]) == (40, 32)


def test_a_change_webwork_refuses_names_the_field(world, mirror_workspace, client, actor, team, unchanged):
    with unchanged(team["alice"]), pytest.raises(ServiceError) as refused:
        member_update(
            workspace=mirror_workspace,
            actor=actor,
            member=team["alice"],
            timezone="Mars/Olympus",
            client=client,
        )

    assert refused.value.message.startswith("WebWork did not accept the time zone (")
    assert list(refused.value.field_errors) == ["timezone"]
    assert sandbox.SandboxUser.objects.get(pk=world.alice.pk).timezone == "UTC"


def test_an_unknown_field_is_a_programming_error(mirror_workspace, client, actor, team):
    with pytest.raises(TypeError, match="nickname"):
        member_update(
            workspace=mirror_workspace, actor=actor, member=team["alice"], nickname="Al", client=client
        )
