"""People: the list with each member's week at a glance, a member's page, changing a role and
inviting someone through the real sandbox; tenant isolation, CSRF and query counts that do not
grow with the number of members."""

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dashboard.selectors.overview import hours_for_workspace
from dashboard.selectors.people import people_page_for_workspace, person_for_workspace
from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sync.base import SyncContext
from integrations.sync.members import sync_members
from tests.dashboard.helpers import HTMX, NestedWire, connected_by_owner, entry, queries_of, shown, words
from tests.factories import (
    ContractFactory,
    ExpenseFactory,
    LeaveRequestFactory,
    MemberFactory,
    ProjectFactory,
    TimeRequestFactory,
    TimesheetFactory,
    WorkspaceFactory,
    bulk,
    manager_of,
)

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def activity(workspace, member, day, level):
    return mirror.DailyActivity.objects.create(
        workspace=workspace,
        webwork_id=f"{member.webwork_id}:{day}",
        member=member,
        user_webwork_id=int(member.webwork_id),
        date=day,
        activity_level=level,
    )


def rows(text):
    """{member's WebWork id: the row's HTML} of the people list."""
    return dict(re.findall(r'<tr class="person-row" data-member="(\w+)">(.*?)</tr>', text, re.S))


def minutes_of(row):
    return int(re.search(r'data-label="This week" data-minutes="(\d+)"', row).group(1))


@pytest.fixture
def acme():
    return WorkspaceFactory(webwork_id=1, name="Acme Studio", timezone="America/Los_Angeles")


@pytest.fixture
def manager(acme, client):
    user = manager_of(acme)
    client.force_login(user)
    return user


@pytest.fixture
def team(acme):
    """Alice (two contracts, time this week and last, waiting items), Bob (a Team manager who
    left), Carol (invited, nothing yet)."""
    alice = MemberFactory(
        workspace=acme, firstname="Alice", lastname="Archer", email="alice@acme.test", role="Regular User"
    )
    bob = MemberFactory(
        workspace=acme,
        firstname="Bob",
        lastname="Baker",
        email="bob@example.org",
        role="Team manager",
        status="left",
    )
    carol = MemberFactory(
        workspace=acme,
        firstname="Carol",
        lastname="Chen",
        email="carol@acme.test",
        role="Regular User",
        status="inactive",
    )
    design = ProjectFactory(workspace=acme, name="Design")
    build = ProjectFactory(workspace=acme, name="Build")
    alice_design = ContractFactory(workspace=acme, member=alice, project=design, weekly_hours_limit=10)
    alice_build = ContractFactory(workspace=acme, member=alice, project=build, status="paused")
    bob_build = ContractFactory(workspace=acme, member=bob, project=build)
    today = acme.today()
    week_start = acme.week_start(today)
    entry(acme, alice_design, today, 125)
    entry(acme, alice_build, week_start, 35, hour=7)
    entry(acme, alice_design, week_start - timedelta(days=1), 600)  # last week
    entry(acme, bob_build, today, 60, hour=13)
    TimesheetFactory(workspace=acme, member=alice)
    TimesheetFactory(workspace=acme, member=alice, date_from=week_start - timedelta(days=7))
    TimesheetFactory(workspace=acme, member=bob, status="approved")
    TimeRequestFactory(workspace=acme, member=alice)
    LeaveRequestFactory(workspace=acme, member=alice)
    LeaveRequestFactory(workspace=acme, member=alice, status="approved")
    if week_start != today:
        activity(acme, alice, week_start, 60)
    activity(acme, alice, today, 71)
    activity(acme, alice, week_start - timedelta(days=1), 5)  # last week: not counted
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "design": design,
        "build": build,
        "contract": alice_design,
    }


# --- The list ---------------------------------------------------------------------------------


def test_each_person_shows_role_contracts_hours_activity_and_what_waits(acme, manager, team, client):
    text = shown(client.get("/w/1/people/"))

    found = rows(text)
    alice, bob, carol = (found[team[name].webwork_id] for name in ("alice", "bob", "carol"))
    assert "Alice Archer" in alice
    assert "alice@acme.test" in alice
    assert "Regular User" in alice
    assert re.search(r'data-label="Contracts">2<', alice)
    assert minutes_of(alice) == 160
    assert "2 h 40 min" in alice
    activity_levels = (60 + 71) / 2 if acme.week_start(acme.today()) != acme.today() else 71
    assert f">{round(activity_levels)}%<" in alice
    member = team["alice"].webwork_id
    assert f'href="/w/1/approvals/?tab=timesheets&member={member}">2 timesheets</a>' in alice
    assert f'href="/w/1/approvals/?tab=time_requests&member={member}">1 time request</a>' in alice
    assert f'href="/w/1/approvals/?tab=leaves&member={member}">1 leave</a>' in alice
    assert "Team manager" in bob
    assert "Left" in bob
    assert minutes_of(bob) == 60
    assert "Nothing" in bob  # its timesheet is approved already
    assert "Inactive" in carol
    assert minutes_of(carol) == 0
    assert "No activity recorded this week" in carol
    assert 'href="/w/1/people/invite/"' in text
    assert "3 people." in text


def test_a_person_leads_to_their_page(acme, manager, team, client):
    text = shown(client.get("/w/1/people/"))

    assert f'href="/w/1/people/{team["alice"].webwork_id}/"' in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=alice", {"alice"}),
        ("q=ARCHER", {"alice"}),
        ("q=alice+archer", {"alice"}),
        ("q=acme.test", {"alice", "carol"}),
        ("q=example.org", {"bob"}),
        ("role=Team+manager", {"bob"}),
        ("role=Regular+User", {"alice", "carol"}),
        ("status=inactive", {"carol"}),
        ("status=active&role=Regular+User", {"alice"}),
        ("role=Emperor&status=asleep", {"alice", "bob", "carol"}),  # unknown values are ignored
    ],
)
def test_search_and_filters_narrow_the_list(acme, manager, team, client, query, expected):
    response = client.get(f"/w/1/people/?{query}", headers=HTMX)

    text = shown(response)
    assert text.lstrip().startswith('<section id="people-list"')
    assert "<html" not in text
    assert set(rows(text)) == {team[name].webwork_id for name in expected}
    assert "HX-Request" in response["Vary"]


def test_the_full_page_keeps_the_filters_in_its_form(acme, manager, team, client):
    text = shown(client.get("/w/1/people/?q=ali&role=Regular+User"))

    assert 'name="q" value="ali"' in text
    assert '<option value="Regular User" selected>' in text
    assert set(rows(text)) == {team["alice"].webwork_id}
    assert "1 person match these filters." in text
    assert 'aria-current="page">People</a>' in text


def test_empty_states_say_what_to_do(acme, manager, team, client):
    filtered = words(client.get("/w/1/people/?q=nobody-here"))
    assert "Nobody in Acme Studio matches these filters. Show everyone" in filtered

    empty = WorkspaceFactory(webwork_id=3, name="Empty Co")
    client.force_login(manager_of(empty))
    text = words(client.get("/w/3/people/"))
    assert "Empty Co has no members in Clockroom yet." in text
    assert "invite someone" in text


def test_the_list_paginates_and_keeps_the_filters(acme, manager, client):
    bulk(MemberFactory, 60, workspace=acme, role="Regular User")

    first = shown(client.get("/w/1/people/?role=Regular+User"))
    second = shown(client.get("/w/1/people/?role=Regular+User&page=2", headers=HTMX))

    assert len(rows(first)) == 50
    assert "Page 1 of 2" in first
    assert 'href="?role=Regular+User&page=2"' in first
    assert len(rows(second)) == 10
    assert 'rel="prev"' in second


def test_removed_members_and_other_workspaces_members_are_not_listed(acme, manager, team, client):
    gone = MemberFactory(workspace=acme, firstname="Gone", removed_at=timezone.now())
    other = MemberFactory(workspace=WorkspaceFactory(webwork_id=2), firstname="Stranger")

    found = rows(shown(client.get("/w/1/people/")))

    assert gone.webwork_id not in found
    assert other.webwork_id not in found


# --- Hours this week, as the overview counts them ----------------------------------------------


def test_hours_this_week_add_up_to_the_overviews_hours_for_the_same_entries(acme, team):
    now = timezone.now()
    today = acme.today(now)
    week_start = acme.week_start(today)
    dave = MemberFactory(workspace=acme, firstname="Dave")
    contract = ContractFactory(workspace=acme, member=dave, project=team["design"])
    entry(acme, contract, today, 0, running_since=now - timedelta(minutes=95))  # running now
    entry(acme, contract, week_start - timedelta(days=3), 0, running_since=now - timedelta(days=3))  # stale
    entry(acme, contract, today + timedelta(days=1), 50)  # tomorrow: not yet
    entry(acme, team["contract"], week_start - timedelta(days=7), 45)  # two weeks ago
    other = WorkspaceFactory(webwork_id=2)
    entry(other, ContractFactory(workspace=other), today, 500)

    page = people_page_for_workspace(workspace=acme, now=now)
    hours = hours_for_workspace(workspace=acme, now=now)

    by_name = {person.firstname: person.week_minutes for person in page}
    assert by_name == {"Alice": 160, "Bob": 60, "Carol": 0, "Dave": 95}
    assert sum(by_name.values()) == hours.week
    person = person_for_workspace(workspace=acme, webwork_id=dave.webwork_id, now=now)
    assert (person.week_minutes, person.running_minutes) == (95, 95)


def test_the_week_is_the_workspaces_week_in_its_time_zone(client):
    """Just after midnight of Monday in Tokyo it is still Sunday in UTC: the new week has begun."""
    tokyo = WorkspaceFactory(webwork_id=5, name="Tokyo", timezone="Asia/Tokyo")
    member = MemberFactory(workspace=tokyo)
    contract = ContractFactory(workspace=tokyo, member=member)
    monday = datetime(2026, 11, 30, 0, 30, tzinfo=tokyo.zone)  # a Monday
    now = monday + timedelta(hours=2)
    entry(tokyo, contract, monday.date(), 40, hour=0)
    entry(tokyo, contract, monday.date() - timedelta(days=1), 300, hour=20)  # Sunday: last week

    page = people_page_for_workspace(workspace=tokyo, now=now)

    assert [person.week_minutes for person in page] == [40]
    assert hours_for_workspace(workspace=tokyo, now=now).week == 40


# --- Query counts -------------------------------------------------------------------------------


def busy_workspace(size):
    """`size` members, each with a contract, time this week, a running tracker, a waiting
    timesheet, time request and leave, and a day's activity."""
    workspace = WorkspaceFactory()
    members = bulk(MemberFactory, size, workspace=workspace)
    project = ProjectFactory(workspace=workspace)
    today = workspace.today()
    for member in members:
        contract = ContractFactory(workspace=workspace, member=member, project=project)
        entry(workspace, contract, today, 30)
        entry(workspace, contract, today, 0, running_since=timezone.now() - timedelta(minutes=10))
        TimesheetFactory(workspace=workspace, member=member)
        TimeRequestFactory(workspace=workspace, member=member)
        LeaveRequestFactory(workspace=workspace, member=member)
        ExpenseFactory(workspace=workspace, member=member)
        activity(workspace, member, today, 50)
    return workspace, members


def test_the_list_and_a_members_page_cost_the_same_queries_for_5_or_150_members(client):
    counts = {}
    for size in (5, 150):
        workspace, members = busy_workspace(size)
        client.force_login(manager_of(workspace, username=f"manager-{size}"))
        base = f"/w/{workspace.webwork_id}/people/"
        full, response = queries_of(client, base)
        partial, _ = queries_of(client, f"{base}?q=e", HTMX)
        person, page = queries_of(client, f"{base}{members[-1].webwork_id}/")
        counts[size] = (full, partial, person)
        assert len(rows(shown(response))) == min(size, 50)
        assert "40 min" in shown(page)  # 30 min closed and 10 running
    assert counts[5] == counts[150], counts
    full, partial, person = counts[150]
    assert full <= 10, counts
    assert partial <= 7, counts
    assert person <= 19, counts


# --- A member's page ----------------------------------------------------------------------------


def test_a_members_page_shows_contracts_weeks_timesheets_leaves_requests_and_expenses(
    acme, manager, team, client
):
    alice = team["alice"]
    mirror.LeaveBalance.objects.create(
        workspace=acme,
        webwork_id=f"{alice.webwork_id}:Vacation",
        member=alice,
        user_webwork_id=int(alice.webwork_id),
        leave_type="Vacation",
        balance="12.5 days",
    )
    ExpenseFactory(workspace=acme, member=alice, name="Train to Lyon", amount="84.20")
    past = LeaveRequestFactory(
        workspace=acme,
        member=alice,
        start_date=acme.today() - timedelta(days=30),
        end_date=acme.today() - timedelta(days=28),
    )

    response = client.get(f"/w/1/people/{alice.webwork_id}/")
    text = shown(response)
    plain = words(response)

    assert response.status_code == 200
    assert "<h1>Alice Archer</h1>" in text
    contracts = re.findall(r'<tr class="contract-row" data-contract="(\w+)">(.*?)</tr>', text, re.S)
    assert len(contracts) == 2
    design = dict(contracts)[team["contract"].webwork_id]
    assert f'href="/w/1/projects/{team["design"].webwork_id}/"' in design
    assert "10 h" in design
    assert 'data-minutes="125"' in design  # this week on this contract
    weeks = re.findall(
        r'<td class="num" data-minutes="(\d+)">', text.split('class="weeks-table"')[1].split("</table>")[0]
    )
    assert len(weeks) == 8
    assert weeks[:2] == ["160", "600"]  # this week first in the table, then last week
    assert text.count("<rect ") == 8
    assert "Vacation 12.5 days" in plain
    assert "Submitted" in plain
    assert "waiting for approval" in plain
    assert "approved" in plain
    assert past.start_date.strftime("%a %-d %b") not in plain.split("Ahead")[1].split("Time requests")[0]
    assert "Forgot to start the tracker" in plain
    assert "Train to Lyon" in plain
    assert "84.20" in plain
    assert f"/w/1/approvals/?tab=leaves&member={alice.webwork_id}" in text


def test_a_member_without_anything_yet_reads_plainly(acme, manager, team, client):
    plain = words(client.get(f"/w/1/people/{team['carol'].webwork_id}/"))

    assert "Carol Chen has no contract in Acme Studio" in plain
    assert "No time tracked in these weeks." in plain
    assert "No timesheets yet." in plain
    assert "No leave ahead." in plain
    assert "No time requests." in plain
    assert "No expenses." in plain
    assert "none recorded" in plain


def test_the_members_page_htmx_answer_is_its_summary(acme, manager, team, client):
    response = client.get(f"/w/1/people/{team['alice'].webwork_id}/", headers=HTMX)

    text = shown(response)
    assert text.lstrip().startswith('<section id="person-summary"')
    assert "Regular User" in text
    assert "2 h 40 min" in text
    assert "HX-Request" in response["Vary"]


def test_the_owner_has_no_role_form(acme, manager, team, client):
    owner = MemberFactory(workspace=acme, role="Owner", firstname="Olga", lastname="Owner")

    text = words(client.get(f"/w/1/people/{owner.webwork_id}/"))

    assert "WebWork does not let the Owner's role change." in text
    assert "Change role" not in text


# --- Tenant isolation and CSRF ------------------------------------------------------------------


def test_another_workspaces_member_is_not_found_in_any_url(acme, manager, team, client):
    other = WorkspaceFactory(webwork_id=2, name="Globex")
    stranger = MemberFactory(workspace=other)
    gone = MemberFactory(workspace=acme, removed_at=timezone.now())

    for member in (stranger, gone):
        base = f"/w/1/people/{member.webwork_id}/"
        assert client.get(base).status_code == 404
        assert client.get(base, headers=HTMX).status_code == 404
        assert client.get(f"{base}role/").status_code == 404
        assert client.post(f"{base}role/", {"role": "Team manager"}).status_code == 404
    assert client.get("/w/2/people/").status_code == 404
    assert client.post("/w/2/people/invite/", {"email": "x@y.test"}).status_code == 404
    assert client.get(f"/w/2/people/{stranger.webwork_id}/").status_code == 404


def test_changing_a_role_needs_the_csrf_token(acme, manager, team):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    path = f"/w/1/people/{team['alice'].webwork_id}/role/"

    assert browser.post(path, {"role": "Team manager"}).status_code == 403
    assert browser.post("/w/1/people/invite/", {"email": "dora@acme.test"}).status_code == 403
    page = browser.get(f"/w/1/people/{team['alice'].webwork_id}/")
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()


def test_a_role_webwork_does_not_offer_is_refused_by_the_form_before_webwork_is_asked(
    acme, manager, team, client
):
    response = client.post(f"/w/1/people/{team['alice'].webwork_id}/role/", {"role": "Owner"}, headers=HTMX)

    text = words(response)
    assert "Select a valid choice. Owner is not one of the available choices." in text
    assert not mirror.AuditEvent.objects.exists()


# --- Changing a role and inviting, through the real sandbox --------------------------------------


@pytest.fixture
def acme_live(world, wire, make_client, settings, client):
    """Acme as Clockroom knows it after its Owner connected it, members mirrored; the client
    signed in as the Owner."""
    settings.WEBWORK_HTTP_TRANSPORT = NestedWire(wire)
    tenant, user = connected_by_owner(world)
    sync_members(SyncContext(workspace=tenant, client=make_client(world.owner)))
    client.force_login(user)
    return tenant


def test_changing_a_members_role_inline_changes_it_at_webwork(world, acme_live, client):
    path = f"/w/{world.acme.id}/people/{world.alice.id}/role/"

    response = client.post(path, {"role": "Team manager"}, headers=HTMX)

    assert response.status_code == 200
    text = words(response)
    assert shown(response).lstrip().startswith('<section id="role-form"')
    assert "Alice Moreau is now a Team manager in Acme Studio." in text
    assert {"member-changed", "mirror-changed"} <= set(re.findall(r'"([\w-]+)"', response["HX-Trigger"]))
    membership = sandbox.Membership.objects.get(workspace=world.acme, user=world.alice)
    assert membership.role == "Team manager"
    assert (
        mirror.Member.objects.get(workspace=acme_live, webwork_id=str(world.alice.id)).role == "Team manager"
    )
    assert mirror.AuditEvent.objects.get(action="member_update").after["role"] == "Team manager"
    summary = shown(client.get(f"/w/{world.acme.id}/people/{world.alice.id}/", headers=HTMX))
    assert "Team manager" in summary


def test_changing_a_role_from_the_plain_page_goes_back_with_a_message(world, acme_live, client):
    path = f"/w/{world.acme.id}/people/{world.bob.id}/role/"

    response = client.post(path, {"role": "Project manager"}, follow=True)

    assert response.redirect_chain == [(f"/w/{world.acme.id}/people/{world.bob.id}/", 302)]
    assert "Bob Okafor is now a Project manager in Acme Studio." in words(response)
    assert sandbox.Membership.objects.get(workspace=world.acme, user=world.bob).role == "Project manager"


def test_webworks_refusal_of_a_role_shows_on_the_field_and_keeps_the_choice(world, acme_live, client):
    """The mirror still calls the Owner a Regular User (say, before a sync); WebWork refuses."""
    mirror.Member.objects.filter(workspace=acme_live, webwork_id=str(world.owner.id)).update(
        role="Regular User"
    )
    path = f"/w/{world.acme.id}/people/{world.owner.id}/role/"

    for headers in (HTMX, {}):
        response = client.post(path, {"role": "Team manager"}, headers=headers)

        text = shown(response)
        field_errors = text.split('id="role-field-errors"')[1].split("</ul>")[0]
        assert "The Owner's role cannot be changed." in field_errors
        assert '<option value="Team manager" selected>' in text
        assert 'aria-invalid="true"' in text
    assert sandbox.Membership.objects.get(workspace=world.acme, user=world.owner).role == "Owner"


def test_inviting_someone_creates_them_at_webwork_and_opens_their_page(world, acme_live, client):
    path = f"/w/{world.acme.id}/people/invite/"
    assert "Send the invitation" in words(client.get(path))

    response = client.post(
        path, {"email": "dora@acme.test", "firstname": "Dora", "lastname": "Diaz", "role": "Project manager"}
    )

    made = sandbox.Membership.objects.get(workspace=world.acme, user__email="dora@acme.test")
    assert (made.role, made.status) == ("Project manager", "inactive")
    assert response.status_code == 302
    assert response["Location"] == f"/w/{world.acme.id}/people/{made.user_id}/"
    page = words(client.get(response["Location"]))
    assert "Invited dora@acme.test to Acme Studio as a Project manager." in page
    assert "Project manager" in page
    assert "Inactive" in page


def test_inviting_with_htmx_sends_the_whole_page_to_the_new_member(world, acme_live, client):
    response = client.post(
        f"/w/{world.acme.id}/people/invite/",
        {"email": "erin@acme.test", "firstname": "Erin", "lastname": "Eve", "role": "Regular User"},
        headers=HTMX,
    )

    made = sandbox.Membership.objects.get(workspace=world.acme, user__email="erin@acme.test")
    assert response["HX-Redirect"] == f"/w/{world.acme.id}/people/{made.user_id}/"


def test_inviting_someone_already_there_is_refused_and_the_form_keeps_what_was_typed(
    world, acme_live, client
):
    for headers in (HTMX, {}):
        response = client.post(
            f"/w/{world.acme.id}/people/invite/",
            {"email": "alice@acme.test", "firstname": "Alicia", "lastname": "M", "role": "Team manager"},
            headers=headers,
        )

        text = shown(response)
        assert response.status_code == 200
        assert "alice@acme.test is already a member of Acme Studio." in text
        assert 'value="Alicia"' in text
        assert 'value="alice@acme.test"' in text
        assert '<option value="Team manager" selected>' in text
    assert headers == {}
    assert "<h1>Invite someone to Acme Studio</h1>" in text
    assert not mirror.AuditEvent.objects.filter(action="member_invite").exists()


def test_an_invitation_missing_its_fields_says_which(acme, manager, client):
    response = client.post(
        "/w/1/people/invite/", {"email": "not-an-email", "firstname": "", "role": "Regular User"}
    )

    text = shown(response)
    for field in ("email", "firstname", "lastname"):
        assert f'id="id_{field}-errors"' in text
    assert 'value="not-an-email"' in text


def test_the_address_bar_keeps_only_the_filters_in_use(acme, manager, team, client):
    bulk(MemberFactory, 60, workspace=acme, firstname="Zed")

    typed = client.get("/w/1/people/?q=ali&role=&status=", headers=HTMX)
    paged = client.get("/w/1/people/?q=zed&role=&page=2", headers=HTMX)
    cleared = client.get("/w/1/people/?q=&role=&status=", headers=HTMX)

    assert typed["HX-Push-Url"] == "/w/1/people/?q=ali"
    assert paged["HX-Push-Url"] == "/w/1/people/?q=zed&page=2"
    assert cleared["HX-Push-Url"] == "/w/1/people/"


def test_a_limit_of_zero_is_a_limit_and_168_hours_is_none(acme, manager, team, client):
    carol = team["carol"]
    stopped = ContractFactory(workspace=acme, member=carol, project=team["design"], weekly_hours_limit=0)
    open_ended = ContractFactory(workspace=acme, member=carol, project=team["build"], weekly_hours_limit=168)

    text = shown(client.get(f"/w/1/people/{carol.webwork_id}/"))

    contracts = dict(re.findall(r'<tr class="contract-row" data-contract="(\w+)">(.*?)</tr>', text, re.S))
    assert re.search(r'data-label="Weekly limit">0 h<', contracts[stopped.webwork_id])
    assert "No limit" in contracts[open_ended.webwork_id]
    assert "No limit" not in contracts[stopped.webwork_id]


def test_the_role_form_and_the_invitation_form_answer_htmx_with_their_partials(acme, manager, team, client):
    role = client.get(f"/w/1/people/{team['alice'].webwork_id}/role/", headers=HTMX)
    invite = client.get("/w/1/people/invite/", headers=HTMX)
    plain = client.get(f"/w/1/people/{team['alice'].webwork_id}/role/")

    assert shown(role).lstrip().startswith('<section id="role-form"')
    assert '<option value="Regular User" selected>' in shown(role)
    assert shown(invite).lstrip().startswith('<form id="invite-form"')
    assert "<h1>Alice Archer</h1>" in shown(plain)
    for response in (role, invite):
        assert "HX-Request" in response["Vary"]
