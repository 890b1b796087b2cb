"""Inviting members and changing them."""

import pytest
from django.utils import timezone

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


def test_inviting_a_member(world, mirror_workspace, wire, actor, team, audit_of):
    row = member_invite(
        workspace=mirror_workspace,
        actor=actor,
        email="dora@acme.test",
        firstname="Dora",
        lastname="Diaz",
        role="Project manager",
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


def test_inviting_a_member_twice_is_refused(mirror_workspace, wire, actor, team):
    with pytest.raises(ServiceError) as refused:
        member_invite(
            workspace=mirror_workspace,
            actor=actor,
            email="alice@acme.test",
            firstname="Alice",
            lastname="Moreau",
            role="Regular User",
        )

    # WebWork's 400 (a business rule; it documents no 409), explained by reading the members again.
    assert refused.value.message == "alice@acme.test is already a member of Acme Studio."
    assert (refused.value.status, refused.value.kind) == (400, "conflict")
    assert not AuditEvent.objects.exists()


def test_inviting_an_archived_member_again_is_not_refused(world, mirror_workspace, wire, actor, team):
    """WebWork takes an archived member back with an invitation: nothing to explain, no refusal."""
    sandbox.Membership.objects.filter(workspace=world.acme, user=world.alice).update(
        deleted_at=timezone.now()
    )

    row = member_invite(
        workspace=mirror_workspace,
        actor=actor,
        email="alice@acme.test",
        firstname="Alice",
        lastname="Moreau",
        role="Regular User",
    )

    assert (row.email, row.status) == ("alice@acme.test", "inactive")


def test_an_email_another_member_has_is_refused_in_words(
    world, mirror_workspace, wire, actor, team, unchanged
):
    with unchanged(team["alice"]), pytest.raises(ServiceError) as refused:
        member_update(
            workspace=mirror_workspace,
            actor=actor,
            member=team["alice"],
            email="bob@acme.test",
        )

    # WebWork's 422 names the email (a value already taken); the members read again say whose it is.
    message = "bob@acme.test belongs to another WebWork account."
    assert (refused.value.message, refused.value.status, refused.value.kind) == (message, 422, "conflict")
    assert refused.value.field_errors == {"email": [message]}
    assert sandbox.SandboxUser.objects.get(pk=world.alice.pk).email == "alice@acme.test"


def test_an_email_of_an_account_outside_the_workspace_is_refused_in_webworks_words(
    world, mirror_workspace, wire, actor, team, unchanged
):
    """Clockroom cannot see accounts of other workspaces: WebWork's own words name the field."""
    with unchanged(team["alice"]), pytest.raises(ServiceError) as refused:
        member_update(
            workspace=mirror_workspace,
            actor=actor,
            member=team["alice"],
            email="owner@globex.test",
        )

    assert refused.value.message == (
        "WebWork did not accept the email address (The email has already been taken). Nothing was changed."
    )
    assert (refused.value.status, refused.value.kind) == (422, "invalid")
    assert refused.value.field_errors == {"email": ["The email has already been taken."]}


def test_an_invitation_with_an_unknown_role_is_refused_before_webwork_is_asked(
    mirror_workspace, wire, actor, team
):
    made = wire.sent

    with pytest.raises(ServiceError) as refused:
        member_invite(
            workspace=mirror_workspace,
            actor=actor,
            email="",
            firstname="Dora",
            lastname="Diaz",
            role="Owner",
        )

    assert set(refused.value.field_errors) == {"email", "role"}
    assert wire.sent == made


def test_changing_a_member(world, mirror_workspace, wire, actor, team, audit_of):
    row = member_update(
        workspace=mirror_workspace,
        actor=actor,
        member=team["alice"],
        role="Team manager",
        weekly_hours_limit=32,
    )

    membership = sandbox.Membership.objects.get(workspace=world.acme, user=world.alice)
    assert (membership.role, membership.weekly_hours_limit) == ("Team manager", 32)
    assert (row.role, row.weekly_hours_limit) == ("Team manager", 32)
    assert_converged(mirror_workspace, "members")
    event = audit_of("member_update")
    assert (event.before["role"], event.after["role"]) == ("Regular User", "Team manager")
    assert (event.before["weekly_hours_limit"], event.after["weekly_hours_limit"]) == (40, 32)


def test_a_change_webwork_refuses_names_the_field(world, mirror_workspace, wire, actor, team, unchanged):
    with unchanged(team["alice"]), pytest.raises(ServiceError) as refused:
        member_update(
            workspace=mirror_workspace,
            actor=actor,
            member=team["alice"],
            timezone="Mars/Olympus",
        )

    assert refused.value.message.startswith("WebWork did not accept the time zone (")
    assert list(refused.value.field_errors) == ["timezone"]
    assert sandbox.SandboxUser.objects.get(pk=world.alice.pk).timezone == "UTC"


def test_an_unknown_field_is_a_programming_error(mirror_workspace, wire, actor, team):
    with pytest.raises(TypeError, match="nickname"):
        member_update(workspace=mirror_workspace, actor=actor, member=team["alice"], nickname="Al")
