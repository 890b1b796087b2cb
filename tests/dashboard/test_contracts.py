"""Contracts: the list with each week against its limit and a forecast, a contract's page, and
creating, editing, pausing, resuming and deleting through the real sandbox; the forecast's
arithmetic; rates only for those who may see them; tenant isolation, CSRF and query counts that do
not grow with rows."""

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
import pytest
import time_machine
from django.test import Client

from dashboard.selectors.contracts import Forecast, limit_forecast
from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sync.base import SyncContext
from integrations.sync.contracts import sync_contracts
from integrations.sync.members import sync_members
from integrations.sync.projects import sync_projects
from tests.dashboard.helpers import (
    HTMX,
    NestedWire,
    connected_by_owner,
    entry,
    queries_of,
    shown,
    triggers,
    vary,
    words,
)
from tests.factories import (
    ContractFactory,
    MemberFactory,
    ProjectFactory,
    WorkspaceFactory,
    bulk,
    manager_of,
)

BERLIN = ZoneInfo("Europe/Berlin")
# A Wednesday morning in Berlin: three working days of the week starting Mon 30 Nov 2026 elapsed.
WEDNESDAY = datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN)
MONDAY = date(2026, 11, 30)


def row_of(response, contract):
    """The text of the contract's row in a list page."""
    found = re.search(rf'<tr id="contract-{contract.webwork_id}".*?</tr>', shown(response), re.S)
    assert found, f"no row for contract {contract.webwork_id}"
    return words(found.group(0))


def row_ids(response):
    return re.findall(r'<tr id="contract-([^"]+)"', shown(response))


def url(workspace, *parts, query=""):
    path = f"/w/{workspace.webwork_id}/contracts/" + "".join(f"{part}/" for part in parts)
    return f"{path}?{query}" if query else path


# --- The forecast's arithmetic ----------------------------------------------------------------------


def forecast(tracked_hours, limit, today, *, paused=False):
    return limit_forecast(
        tracked_minutes=round(tracked_hours * 60),
        weekly_hours_limit=limit,
        today=today,
        week_start=MONDAY,
        paused=paused,
    )


def test_a_week_with_tracked_time_ends_with_hours_left_at_this_pace():
    # Wednesday, 18 h in 3 working days: 6 h a day; Thursday and Friday bring it to 30 h of 40.
    result = forecast(18, 40, MONDAY + timedelta(days=2))

    assert result.state == Forecast.WITHIN
    assert (result.days_elapsed, result.pace_minutes, result.left_minutes) == (3, 360, 600)
    assert result.reach_date is None
    assert result.left_now_minutes == 22 * 60


@pytest.mark.parametrize(
    ("tracked", "reached_on"),
    [(30, date(2026, 12, 3)), (27, date(2026, 12, 4)), (24, None)],
    ids=["thursday", "friday", "not-this-week"],
)
def test_the_day_the_limit_is_reached_at_this_pace(tracked, reached_on):
    # Wednesday: 30 h is 10 h a day (Thursday reaches 40); 27 h is 9 h a day (13 h more take two
    # days: Friday); 24 h is 8 h a day (Friday ends at 40 h exactly: reached on Friday).
    result = forecast(tracked, 40, MONDAY + timedelta(days=2))

    if tracked == 24:
        assert (result.state, result.reach_date) == (Forecast.REACHES, date(2026, 12, 4))
    else:
        assert (result.state, result.reach_date, result.left_minutes) == (Forecast.REACHES, reached_on, 0)


def test_a_pace_just_short_of_the_limit_leaves_minutes_not_a_day():
    # Wednesday, 23 h 59 min: at 7 h 59 min 40 s a day Friday ends at 39 h 58 min 20 s.
    result = limit_forecast(
        tracked_minutes=23 * 60 + 59,
        weekly_hours_limit=40,
        today=MONDAY + timedelta(days=2),
        week_start=MONDAY,
    )

    assert (result.state, result.left_minutes) == (Forecast.WITHIN, 2)


def test_a_week_without_tracked_time_keeps_the_whole_limit():
    result = forecast(0, 40, MONDAY + timedelta(days=3))

    assert result.state == Forecast.WITHIN
    assert (result.pace_minutes, result.left_minutes, result.reach_date) == (0, 40 * 60, None)


def test_monday_counts_as_a_working_day_elapsed():
    result = forecast(10, 40, MONDAY)

    assert (result.days_elapsed, result.pace_minutes) == (1, 600)
    assert (result.state, result.reach_date) == (Forecast.REACHES, date(2026, 12, 3))


def test_a_weekend_has_no_working_day_left():
    # Saturday: all five working days elapsed; weekend time counts in the total but adds no day.
    result = forecast(30, 40, MONDAY + timedelta(days=5))

    assert (result.state, result.days_elapsed, result.left_minutes) == (Forecast.WITHIN, 5, 600)


def test_a_paused_contract_has_no_forecast():
    result = forecast(12, 40, MONDAY + timedelta(days=2), paused=True)

    assert result.state == Forecast.PAUSED
    assert (result.limit_minutes, result.reach_date, result.left_minutes) == (None, None, None)
    assert not result.warning


@pytest.mark.parametrize("limit", [168, None])
def test_168_hours_is_no_limit(limit):
    result = forecast(50, limit, MONDAY + timedelta(days=2))

    assert (result.state, result.has_limit, result.percent) == (Forecast.NO_LIMIT, False, None)


def test_a_limit_of_zero_allows_no_time():
    nothing = forecast(0, 0, MONDAY + timedelta(days=2))
    some = forecast(0.5, 0, MONDAY + timedelta(days=2))

    assert (nothing.state, nothing.left_minutes, nothing.percent) == (Forecast.ZERO_LIMIT, 0, 100)
    assert (some.state, some.over_minutes) == (Forecast.OVER, 30)


def test_an_over_limit_contract_says_by_how_much():
    result = forecast(41.5, 40, MONDAY + timedelta(days=3))

    assert (result.state, result.over_minutes, result.left_now_minutes) == (Forecast.OVER, 90, 0)
    assert result.over
    assert result.warning
    assert result.percent == 104


def test_exactly_at_the_limit_is_reached():
    result = forecast(40, 40, MONDAY + timedelta(days=4))

    assert (result.state, result.left_minutes, result.over_minutes) == (Forecast.REACHED, 0, 0)


# --- The list -----------------------------------------------------------------------------------


@pytest.fixture
def travel():
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


@pytest.fixture
def acme(db):
    return WorkspaceFactory(webwork_id=1, name="Acme Studio", timezone="Europe/Berlin", currency="EUR")


@pytest.fixture
def owner(acme):
    return manager_of(acme, username="olivia", first_name="Olivia", last_name="Owens")


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def team(acme, travel):
    """Five contracts of a Wednesday: Alice over her limit, Bob without a limit, Carol paused,
    Dave with nothing tracked for 20 days, Erin on a pace to reach hers on Thursday, Finn with a
    limit of 0."""
    website = ProjectFactory(workspace=acme, name="Website")
    mobile = ProjectFactory(workspace=acme, name="Mobile app")
    people = {
        name: MemberFactory(workspace=acme, firstname=name, lastname=last)
        for name, last in [
            ("Alice", "Moreau"),
            ("Bob", "Okafor"),
            ("Carol", "Diaz"),
            ("Dave", "Evans"),
            ("Erin", "Fox"),
            ("Finn", "Gray"),
        ]
    }
    contract = {}
    for name, project, limit, extra in [
        ("Alice", website, 40, {"rate": Decimal("55.00"), "rate_type": 1, "screenshots": "blurred"}),
        ("Bob", website, 168, {"rate_type": 2, "screenshots": "full"}),
        ("Carol", mobile, 20, {"status": "paused"}),
        ("Dave", mobile, 30, {}),
        ("Erin", mobile, 40, {}),
        ("Finn", website, 0, {}),
    ]:
        contract[name] = ContractFactory(
            workspace=acme, member=people[name], project=project, weekly_hours_limit=limit, **extra
        )
    today = acme.today()
    entry(acme, contract["Alice"], MONDAY, 20 * 60)
    entry(acme, contract["Alice"], today, 21 * 60 + 15, hour=0)
    entry(acme, contract["Bob"], today, 5 * 60)
    entry(acme, contract["Carol"], MONDAY, 60)
    entry(acme, contract["Dave"], today - timedelta(days=20), 120)
    entry(acme, contract["Erin"], MONDAY, 15 * 60)
    entry(acme, contract["Erin"], today, 15 * 60, hour=0)
    return {"website": website, "mobile": mobile, "people": people, "contract": contract}


def test_each_contract_shows_its_week_against_its_limit_a_forecast_and_its_flags(signed_in, acme, team):
    response = signed_in.get(url(acme))

    assert response.status_code == 200
    text = shown(response)
    c = team["contract"]
    alice = row_of(response, c["Alice"])
    assert "Alice Moreau on Website" in alice
    assert "55.00 EUR/h Custom rate" in alice
    assert "Blurred screenshots" in alice
    assert "41 h 15 min of 40 h (103%)" in alice
    assert "Over its limit" in alice
    assert "Over the limit by 1 h 15 min." in alice
    assert re.search(
        rf'id="contract-{c["Alice"].webwork_id}".*?<meter[^>]*max="2400"[^>]*value="2400"', text, re.S
    )
    bob = row_of(response, c["Bob"])
    assert "5 h 00 min · no limit" in bob
    assert "No limit to reach." in bob
    assert "Member's rate" in bob
    assert "<meter" not in re.search(rf'<tr id="contract-{c["Bob"].webwork_id}".*?</tr>', text, re.S).group(0)
    carol = row_of(response, c["Carol"])
    assert "Paused" in carol
    assert "Paused: no forecast." in carol
    assert "Resume the contract of Carol Diaz on Mobile app" in carol
    assert "Pause the contract" not in carol
    assert "Nothing tracked for 14 days" not in carol  # a paused contract is expected to rest
    dave = row_of(response, c["Dave"])
    assert "Nothing tracked for 14 days" in dave
    assert "Nothing tracked this week: all 30 h 00 min left." in dave
    erin = row_of(response, c["Erin"])  # 30 h in 3 days: 10 h a day reaches 40 h on Thursday
    assert "At this pace, reaches the limit on Thursday." in erin
    assert "10 h 00 min a working day so far" in erin
    finn = row_of(response, c["Finn"])
    assert "A limit of 0 h: no time may be tracked." in finn
    assert "0 min of 0 h" in finn
    assert "this week (Mon 30 Nov to Sun 6 Dec, Europe/Berlin) against each weekly limit" in words(response)


def test_filters_narrow_the_list_and_htmx_gets_only_the_list(signed_in, acme, team):
    c, people = team["contract"], team["people"]
    cases = {
        f"project={team['mobile'].webwork_id}": {c["Carol"], c["Dave"], c["Erin"]},
        f"member={people['Bob'].webwork_id}": {c["Bob"]},
        "status=paused": {c["Carol"]},
        f"status=active&project={team['mobile'].webwork_id}": {c["Dave"], c["Erin"]},
        "status=nonsense&member=abc&sort=evil&group=x": set(c.values()),
    }
    for query, expected in cases.items():
        page = signed_in.get(url(acme, query=query))
        partial = signed_in.get(url(acme, query=query), headers=HTMX)

        assert set(row_ids(page)) == {contract.webwork_id for contract in expected}, query
        assert row_ids(partial) == row_ids(page)
        assert shown(partial).lstrip().startswith('<section id="contract-list"')
        assert "<html" not in shown(partial)
        assert "HX-Request" in vary(partial)
        assert "HX-Request" in vary(page)
    history_restore = signed_in.get(url(acme), headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in shown(history_restore)


def test_the_filters_are_a_plain_get_form_that_pushes_the_url(signed_in, acme, team):
    text = shown(signed_in.get(url(acme, query="status=paused&sort=closest")))

    form = re.search(r'<form class="filters".*?</form>', text, re.S).group(0)
    assert 'method="get"' in form
    assert 'hx-push-url="true"' in form
    assert '<option value="paused" selected>' in form
    assert '<option value="closest" selected>' in form
    assert "Clear filters" in form


def test_closest_to_the_limit_puts_the_fullest_first_and_rests_last(signed_in, acme, team):
    c = team["contract"]

    order = row_ids(signed_in.get(url(acme, query="sort=closest")))

    # Alice 103%, Finn 0 of 0 (at its limit), Erin 75%, Dave 0%; then no limit (Bob), paused (Carol).
    expected = [c["Alice"], c["Finn"], c["Erin"], c["Dave"], c["Bob"], c["Carol"]]
    assert order == [contract.webwork_id for contract in expected]


def test_grouping_heads_each_group_once(signed_in, acme, team):
    text = shown(signed_in.get(url(acme, query="group=project&sort=closest")))

    heads = re.findall(r'<tr class="contract-group"><th scope="rowgroup" colspan="5">([^<]+)</th>', text)
    assert heads == ["Mobile app", "Website"]
    by_status = shown(signed_in.get(url(acme, query="group=status")))
    assert re.findall(r'colspan="5">([^<]+)</th>', by_status) == ["Active", "Paused"]


def test_fifty_contracts_a_page_and_the_links_keep_the_filters(signed_in, acme):
    project = ProjectFactory(workspace=acme, name="Website")
    members = bulk(MemberFactory, 55, workspace=acme)
    bulk(ContractFactory, 55, workspace=acme, project=project, member=factory.Iterator(members))

    first = signed_in.get(url(acme, query="status=active&sort=closest"))
    second = signed_in.get(url(acme, query="status=active&sort=closest&page=2"), headers=HTMX)

    assert len(row_ids(first)) == 50
    assert len(row_ids(second)) == 5
    assert not set(row_ids(first)) & set(row_ids(second))
    assert 'href="?status=active&amp;sort=closest&amp;page=2"' in first.content.decode()
    assert "Page 2 of 2" in words(second)


def test_closest_to_the_limit_orders_every_page_not_just_one(signed_in, acme, travel):
    project = ProjectFactory(workspace=acme, name="Website")
    members = bulk(MemberFactory, 55, workspace=acme, firstname="Anna")
    bulk(ContractFactory, 55, workspace=acme, project=project, member=factory.Iterator(members))
    zed = ContractFactory(
        workspace=acme,
        project=project,
        member=MemberFactory(workspace=acme, firstname="Zed"),
        weekly_hours_limit=1,
    )
    entry(acme, zed, acme.today(), 30)

    by_member = row_ids(signed_in.get(url(acme, query="page=2")))
    closest = row_ids(signed_in.get(url(acme, query="sort=closest")))

    assert by_member[-1] == zed.webwork_id  # last by name
    assert closest[0] == zed.webwork_id  # first by closeness: half of its limit used


def test_no_contract_at_all_and_none_matching_say_so(signed_in, acme):
    empty = words(signed_in.get(url(acme)))
    ProjectFactory(workspace=acme)
    narrowed = words(signed_in.get(url(acme, query="status=paused")))

    assert "Nobody in Acme Studio is under contract yet" in empty
    assert "Put a member on a project" in empty
    assert "No contract matches these filters. Show every contract." in narrowed


def test_the_list_and_a_contracts_page_cost_the_same_queries_for_5_or_150_members(acme, signed_in, travel):
    project = ProjectFactory(workspace=acme)
    counts = {}
    first = None
    for size in (5, 150):
        members = bulk(MemberFactory, size - (5 if size == 150 else 0), workspace=acme)
        for member in members:
            contract = ContractFactory(workspace=acme, member=member, project=project, weekly_hours_limit=30)
            entry(acme, contract, acme.today(), 90)
            entry(acme, contract, acme.today() - timedelta(days=9), 90)
            mirror.AuditEvent.objects.create(
                workspace=acme,
                action="contract_update",
                object_type="contract",
                object_id=(first or contract).webwork_id,
                before={"weekly_hours_limit": 40},
                after={"weekly_hours_limit": 30},
            )
            first = first or contract
        counts[size] = [
            queries_of(signed_in, url(acme))[0],
            queries_of(signed_in, url(acme, query="sort=closest&group=member"), HTMX)[0],
            queries_of(signed_in, url(acme, first.webwork_id))[0],
            queries_of(signed_in, url(acme, first.webwork_id, query="page=2"), HTMX)[0],
            queries_of(signed_in, url(acme, first.webwork_id, "edit"))[0],
        ]
    assert counts[5] == counts[150], counts
    assert counts[150][0] <= 16, counts


# --- Rates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "rate_status", "sees"),
    [("Owner", 0, True), ("Executive manager", 1, True), ("Executive manager", 0, False)],
    ids=["owner", "manager-who-sees-rates", "manager-who-does-not"],
)
def test_rates_show_only_to_managers_who_may_see_them(client, acme, role, rate_status, sees):
    user = manager_of(acme, role=role, username="mia", first_name="Mia", last_name="Manager")
    own_id = mirror.Connection.objects.get(user=user).webwork_user_id
    MemberFactory(workspace=acme, webwork_id=str(own_id), role=role, rate_status=rate_status)
    contract = ContractFactory(workspace=acme, rate=Decimal("55.00"), rate_type=1, currency="EUR")
    mirror.AuditEvent.objects.create(
        workspace=acme,
        actor=user,
        action="contract_update",
        object_type="contract",
        object_id=contract.webwork_id,
        before={"rate": "40.00", "rate_type": 2, "currency": "EUR", "weekly_hours_limit": 40},
        after={"rate": "55.00", "rate_type": 1, "currency": "EUR", "weekly_hours_limit": 30},
    )
    client.force_login(user)

    pages = [
        client.get(url(acme)),
        client.get(url(acme), headers=HTMX),
        client.get(url(acme, contract.webwork_id)),
        client.get(url(acme, contract.webwork_id, query="page=1"), headers=HTMX),
        client.get(url(acme, contract.webwork_id, "edit")),
        client.get(url(acme, "new")),
    ]

    for page in pages:
        assert page.status_code == 200
        text = shown(page)
        assert ("55.00" in text or 'name="rate"' in text) is sees, page.wsgi_request.path
        assert ("Custom rate" in text or "Rate type" in text or 'name="rate"' in text) is sees
    history = words(pages[3])
    assert "Weekly limit 40 h → 30 h" in history
    assert ("Rate 40.00 EUR an hour → 55.00 EUR an hour" in history) is sees


def test_a_manager_who_may_not_see_rates_cannot_send_one(client, acme):
    user = manager_of(acme, role="Executive manager", username="mia")
    contract = ContractFactory(workspace=acme, rate=Decimal("55.00"))
    client.force_login(user)

    response = client.post(
        url(acme, contract.webwork_id, "edit"), {"rate": "1.00", "weekly_hours_limit": "40"}
    )

    # No rate field: the rate is ignored, and nothing else changed either.
    assert response.status_code == 302
    assert not mirror.AuditEvent.objects.exists()


# --- A contract's page --------------------------------------------------------------------------


def test_a_contracts_page_shows_its_terms_its_week_and_eight_weeks_as_chart_and_table(signed_in, acme, team):
    alice = team["contract"]["Alice"]
    entry(acme, alice, MONDAY - timedelta(days=7), 45 * 60)
    entry(acme, alice, MONDAY - timedelta(days=7 * 7), 3 * 60)
    entry(acme, alice, MONDAY - timedelta(days=7 * 8), 7 * 60)  # nine weeks ago: not shown

    response = signed_in.get(url(acme, alice.webwork_id))

    assert response.status_code == 200
    text, said = shown(response), words(response)
    assert "Alice Moreau on Website" in said
    assert "Weekly limit 40 h" in said
    assert "Screenshots Blurred screenshots" in said
    assert "Rate 55.00 EUR an hour Rate type Custom rate" in said
    assert "Over the limit by 1 h 15 min." in said
    island = re.search(r'<script id="contract-weeks-data" type="application/json">(.*?)</script>', text, re.S)
    data = json.loads(island.group(1))
    assert data["labels"] == ["12 Oct", "19 Oct", "26 Oct", "2 Nov", "9 Nov", "16 Nov", "23 Nov", "30 Nov"]
    assert data["hours"] == [3.0, 0, 0, 0, 0, 0, 45.0, 41.25]
    assert (data["limit"], data["over"][-2:]) == (40, [True, True])
    table = re.search(r'<table class="contract-weeks-table">.*?</table>', text, re.S).group(0)
    assert [words(cell) for cell in re.findall(r'<td class="num">([^<]*)</td>', table)] == [
        "3 h 00 min",
        "0 min",
        "0 min",
        "0 min",
        "0 min",
        "0 min",
        "45 h 00 min",
        "41 h 15 min",
    ]
    assert "over by 5 h 00 min" in words(table)
    # Chart.js and the page's script come from our static files; the only inline script is data.
    scripts = re.findall(r"<script([^>]*)>", text)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert any("vendor/chartjs/chart.umd.min.js" in attrs for attrs in scripts)
    assert any("js/contracts.js" in attrs for attrs in scripts)
    assert "style=" not in text


def test_the_history_says_who_changed_what_and_when(signed_in, acme, team, owner):
    alice = team["contract"]["Alice"]
    stamp = datetime(2026, 12, 1, 16, 5, tzinfo=BERLIN)
    events = [
        (
            "contract_create",
            None,
            {"weekly_hours_limit": 40, "screenshots": "full", "status": "active"},
            "done",
        ),
        (
            "contract_update",
            {"weekly_hours_limit": 40, "screenshots": "full"},
            {"weekly_hours_limit": 168, "screenshots": "blurred"},
            "done",
        ),
        ("contract_pause", {"status": "active"}, {"status": "active"}, "refused"),
    ]
    for minutes, (action, before, after, outcome) in enumerate(events):
        mirror.AuditEvent.objects.create(
            workspace=acme,
            actor=owner,
            action=action,
            object_type="contract",
            object_id=alice.webwork_id,
            before=before,
            after=after,
            outcome=outcome,
            answer="WebWork is busy." if outcome == "refused" else "",
            created_at=stamp + timedelta(minutes=minutes),
        )
    other = ContractFactory(workspace=acme)
    mirror.AuditEvent.objects.create(
        workspace=acme, action="contract_delete", object_type="contract", object_id=other.webwork_id
    )

    page = words(signed_in.get(url(acme, alice.webwork_id)))
    partial = signed_in.get(url(acme, alice.webwork_id, query="page=1"), headers=HTMX)

    assert shown(partial).lstrip().startswith('<div id="contract-history"')
    said = words(partial)
    assert said in page
    assert (
        "Tue 1 Dec 2026, 16:07 Olivia Owens tried: paused the contract WebWork refused: WebWork is busy."
        in said
    )
    assert (
        "Tue 1 Dec 2026, 16:06 Olivia Owens changed the contract: Weekly limit 40 h → no limit "
        "Screenshots Screenshots on → Blurred screenshots" in said
    )
    assert "16:05 Olivia Owens created the contract: Weekly limit: 40 h Screenshots: Screenshots on" in said
    assert "deleted" not in said


def test_a_contract_without_changes_says_where_changes_appear(signed_in, acme, team):
    said = words(signed_in.get(url(acme, team["contract"]["Bob"].webwork_id)))

    assert "No change to this contract has been made through Clockroom yet." in said
    assert "Weekly limit No limit" in said


def test_a_deleted_contract_has_no_page(signed_in, acme, team):
    bob = team["contract"]["Bob"]
    mirror.Contract.objects.filter(pk=bob.pk).update(removed_at=WEDNESDAY)

    assert signed_in.get(url(acme, bob.webwork_id)).status_code == 404
    assert bob.webwork_id not in row_ids(signed_in.get(url(acme)))


# --- Forms without asking WebWork -----------------------------------------------------------------


def test_the_form_checks_the_terms_first_and_keeps_what_was_typed(signed_in, acme, team):
    alice = team["contract"]["Alice"]

    response = signed_in.post(
        url(acme, alice.webwork_id, "edit"),
        {"weekly_hours_limit": "200", "rate": "-3", "screenshots": "full"},
    )

    assert response.status_code == 200
    text = shown(response)
    limit = re.search(r'<input[^>]*name="weekly_hours_limit"[^>]*>', text).group(0)
    assert 'value="200"' in limit
    assert 'aria-invalid="true"' in limit
    assert "Give the weekly limit as whole hours from 0 to 168." in text
    assert "Give the rate as a number of 0 or more." in text
    assert re.search(r'<option value="full" selected>', text)
    assert not mirror.AuditEvent.objects.exists()
    assert mirror.Contract.objects.get(pk=alice.pk).weekly_hours_limit == 40


def test_saving_unchanged_terms_asks_nothing_of_webwork(signed_in, acme, team):
    bob = team["contract"]["Bob"]

    response = signed_in.post(
        url(acme, bob.webwork_id, "edit"), {"weekly_hours_limit": "", "screenshots": "full"}, follow=True
    )

    assert "Nothing was changed: the terms are as they were." in words(response)
    assert not mirror.AuditEvent.objects.exists()


def test_the_new_contract_form_offers_members_who_track_time_and_active_projects(signed_in, acme, team):
    MemberFactory(workspace=acme, firstname="Vera", lastname="Viewer", role="Project viewer")
    MemberFactory(workspace=acme, firstname="Lena", lastname="Left", status="left")
    ProjectFactory(workspace=acme, name="Old site", status=0)

    text = shown(signed_in.get(url(acme, "new")))

    members = re.search(r'<select name="member".*?</select>', text, re.S).group(0)
    projects = re.search(r'<select name="project".*?</select>', text, re.S).group(0)
    assert "Alice Moreau" in members
    assert "Vera" not in members
    assert "Lena" not in members
    assert "Website" in projects
    assert "Old site" not in projects
    archived = mirror.Project.objects.get(name="Old site")
    refused = signed_in.post(
        url(acme, "new"), {"member": team["people"]["Bob"].webwork_id, "project": archived.webwork_id}
    )
    assert "Old site is archived; restore it in WebWork first." in words(refused)


# --- Tenant isolation and CSRF ---------------------------------------------------------------------


def test_another_workspaces_contracts_are_not_found_in_any_url_or_form(signed_in, acme, team):
    globex = WorkspaceFactory(webwork_id=2, name="Globex")
    theirs = ContractFactory(workspace=globex, webwork_id="990001")
    their_member = MemberFactory(workspace=globex, webwork_id="990002")
    their_project = ProjectFactory(workspace=globex, webwork_id="990003")

    for action in ("", "edit", "pause", "resume", "delete"):
        path = url(acme, theirs.webwork_id, *([action] if action else []))
        answers = {
            signed_in.get(path).status_code,
            signed_in.get(path, headers=HTMX).status_code,
            signed_in.post(path, {"weekly_hours_limit": "1"}).status_code,
            signed_in.post(path, headers=HTMX).status_code,
        }
        # 405: a method the URL never takes, refused before any contract is looked up.
        assert answers <= {404, 405}, (path, answers)
        assert 404 in answers, (path, answers)
    mine = team["people"]["Bob"].webwork_id, team["website"].webwork_id
    for member, project in [(their_member.webwork_id, mine[1]), (mine[0], their_project.webwork_id)]:
        response = signed_in.post(url(acme, "new"), {"member": member, "project": project})
        assert response.status_code == 404, (member, project)
    # Acme's own contracts are not found under Globex's workspace either (its manager is not ours).
    assert signed_in.get(url(globex)).status_code == 404
    assert signed_in.get(url(globex, theirs.webwork_id)).status_code == 404
    assert not mirror.AuditEvent.objects.exists()


def test_every_change_needs_the_csrf_token(acme, owner, team):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    alice = team["contract"]["Alice"]

    for path in (
        url(acme, "new"),
        url(acme, alice.webwork_id, "edit"),
        url(acme, alice.webwork_id, "pause"),
        url(acme, alice.webwork_id, "resume"),
        url(acme, alice.webwork_id, "delete"),
    ):
        assert browser.post(path, {"weekly_hours_limit": "1"}).status_code == 403, path
        assert browser.post(path, headers=HTMX).status_code == 403, path
    assert mirror.Contract.objects.get(pk=alice.pk).weekly_hours_limit == 40
    assert not mirror.AuditEvent.objects.exists()


def test_signed_out_visitors_go_to_sign_in_and_posts_are_not_found(client, acme, team):
    alice = team["contract"]["Alice"]

    assert client.get(url(acme, alice.webwork_id)).status_code == 302
    assert client.post(url(acme, alice.webwork_id, "pause")).status_code == 404


# --- Changing contracts through the real sandbox ------------------------------------------------------


@pytest.fixture
def live(world, wire, make_client, settings):
    """Acme as Clockroom knows it once its Owner connected it: Alice on Website (40 h a week, her
    member rate of 50) and Bob on nothing yet, mirrored; 30 h tracked by Alice today (in the mirror)."""
    settings.WEBWORK_HTTP_TRANSPORT = NestedWire(wire)
    tenant, user = connected_by_owner(world, first_name="Olivia", last_name="Owens")
    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website", rate=80)
    mobile = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Mobile app")
    contract = sandbox.Contract.objects.create(
        workspace=world.acme, project=website, user=world.alice, rate=50, rate_type=2, weekly_hours_limit=40
    )
    ctx = SyncContext(workspace=tenant, client=make_client(world.owner))
    for sync in (sync_members, sync_projects, sync_contracts):
        sync(ctx)
    mirrored = mirror.Contract.objects.get(workspace=tenant, webwork_id=str(contract.id))
    entry(tenant, mirrored, tenant.today(), 30 * 60, hour=0)
    return {
        "tenant": tenant,
        "user": user,
        "contract": contract,
        "mirrored": mirrored,
        "website": website,
        "mobile": mobile,
        "bob": mirror.Member.objects.get(workspace=tenant, email="bob@acme.test"),
    }


@pytest.fixture
def live_client(client, live):
    client.force_login(live["user"])
    return client


live_db = pytest.mark.django_db(databases=["default", "sandbox"])


@live_db
def test_editing_the_weekly_limit_changes_webwork_the_bar_and_the_forecast(live_client, live):
    tenant, contract = live["tenant"], live["contract"]
    page = url(tenant, contract.id)
    before = shown(live_client.get(page))
    assert re.search(r'<meter[^>]*max="2400"[^>]*value="1800"', before)

    response = live_client.post(
        url(tenant, contract.id, "edit"), {"weekly_hours_limit": "25", "rate": "50.00", "screenshots": "full"}
    )

    assert response.status_code == 302
    assert response["Location"] == page
    contract.refresh_from_db()
    # The rate was not changed, so it was not sent: it is still the member's rate.
    assert (contract.weekly_hours_limit, contract.rate, contract.rate_type) == (25, Decimal("50.00"), 2)
    after = live_client.get(page)
    said = words(after)
    assert "Saved the contract of Alice Moreau on Website: 25 h a week." in said
    assert re.search(r'<meter[^>]*max="1500"[^>]*value="1500"', shown(after))
    assert "Over the limit by 5 h 00 min." in said
    assert "Olivia Owens changed the contract: Weekly limit 40 h → 25 h" in said
    listed = live_client.get(url(tenant))
    assert "Over its limit" in row_of(listed, live["mirrored"])


@live_db
def test_webworks_refusal_lands_on_its_field_and_the_form_keeps_what_was_typed(live_client, live):
    tenant, mobile = live["tenant"], live["mobile"]
    sync_projects_again = mirror.Project.objects.get(workspace=tenant, webwork_id=str(mobile.id))
    sandbox.Project.objects.filter(pk=mobile.pk).update(status=0)  # archived in WebWork since the sync

    response = live_client.post(
        url(tenant, "new"),
        {
            "member": live["bob"].webwork_id,
            "project": sync_projects_again.webwork_id,
            "weekly_hours_limit": "12",
        },
    )

    assert response.status_code == 200
    text = shown(response)
    field = re.search(r'<div class="form-field form-field-invalid">.*?</div>', text, re.S).group(0)
    assert 'name="project"' in field
    assert "The project is archived; restore it before adding members." in field
    assert re.search(r'name="weekly_hours_limit"[^>]*value="12"', text)
    assert re.search(rf'<option value="{live["bob"].webwork_id}" selected>', text)
    assert not sandbox.Contract.objects.filter(project=mobile).exists()


@live_db
def test_creating_a_contract_puts_the_member_on_the_project_in_webwork(live_client, live, world):
    tenant = live["tenant"]
    website = mirror.Project.objects.get(workspace=tenant, name="Website")

    response = live_client.post(
        url(tenant, "new"),
        {
            "member": live["bob"].webwork_id,
            "project": website.webwork_id,
            "weekly_hours_limit": "20",
            "rate": "45.50",
            "screenshots": "blurred",
        },
        follow=True,
    )

    made = sandbox.Contract.objects.get(user=world.bob)
    assert (made.project.name, made.weekly_hours_limit, made.screenshots) == ("Website", 20, "blurred")
    assert (made.rate, made.rate_type) == (Decimal("45.50"), 1)
    assert response.redirect_chain[-1][0] == url(tenant, made.id)
    said = words(response)
    assert "Bob Okafor on Website is under contract now: 20 h a week." in said
    assert "Olivia Owens created the contract: Weekly limit: 20 h Screenshots: Blurred screenshots" in said


@live_db
def test_a_second_contract_for_the_same_member_and_project_is_refused_in_words(live_client, live):
    tenant = live["tenant"]
    alice = mirror.Member.objects.get(workspace=tenant, email="alice@acme.test")
    website = mirror.Project.objects.get(workspace=tenant, name="Website")

    response = live_client.post(
        url(tenant, "new"), {"member": alice.webwork_id, "project": website.webwork_id}
    )

    assert response.status_code == 200
    assert "Alice Moreau already has a contract on Website." in words(
        re.search(r'<div class="form-errors".*?</div>', shown(response), re.S).group(0)
    )
    assert sandbox.Contract.objects.count() == 1


@live_db
def test_pausing_and_resuming_in_the_list_swap_the_row_and_change_webwork(live_client, live):
    tenant, contract, mirrored = live["tenant"], live["contract"], live["mirrored"]

    paused = live_client.post(url(tenant, contract.id, "pause"), {"next": url(tenant)}, headers=HTMX)

    assert paused.status_code == 200
    assert shown(paused).lstrip().startswith(f'<tr id="contract-{contract.id}"')
    assert {"contracts-changed", "mirror-changed"} <= triggers(paused)
    assert "HX-Request" in vary(paused)
    assert "Paused: no forecast." in words(paused)
    assert "Resume the contract" in words(paused)
    contract.refresh_from_db()
    assert contract.status == "paused"
    assert 'value="/w/' in shown(paused)  # the plain form's way back is kept

    resumed = live_client.post(url(tenant, contract.id, "resume"), {"next": url(tenant)}, headers=HTMX)

    contract.refresh_from_db()
    assert contract.status == "active"
    assert "Pause the contract" in words(resumed)
    assert [e.action for e in mirror.AuditEvent.objects.order_by("id")] == [
        "contract_pause",
        "contract_resume",
    ]
    plain = live_client.post(url(tenant, contract.id, "pause"), {"next": url(tenant)}, follow=True)
    assert "The contract of Alice Moreau on Website is paused now." in words(plain)
    assert plain.redirect_chain[-1][0] == url(tenant)
    assert mirror.Contract.objects.get(pk=mirrored.pk).status == "paused"


@live_db
def test_a_pause_webwork_refuses_shows_its_reason_in_the_row(live_client, live):
    tenant, contract = live["tenant"], live["contract"]
    webwork_id = contract.id
    contract.delete()  # deleted in WebWork since the last sync

    response = live_client.post(url(tenant, webwork_id, "pause"), headers=HTMX)

    assert response.status_code == 200
    said = words(response)
    assert "WebWork no longer has this contract; it may have been deleted there." in said
    assert "contracts-changed" not in triggers(response)
    assert mirror.Contract.objects.get(pk=live["mirrored"].pk).status == "active"


@live_db
def test_deleting_asks_first_naming_what_will_happen_then_deletes_in_webwork(live_client, live):
    tenant, contract = live["tenant"], live["contract"]

    confirm = live_client.get(url(tenant, contract.id, "delete"))

    said = words(confirm)
    assert "Delete the contract of Alice Moreau on Website?" in said
    assert "Alice Moreau can no longer track time on Website." in said
    assert "The time already tracked stays in WebWork (30 h 00 min this week" in said
    assert "a weekly limit of 40 h" in said
    assert sandbox.Contract.objects.filter(pk=contract.pk).exists()

    deleted = live_client.post(url(tenant, contract.id, "delete"), follow=True)

    assert deleted.redirect_chain[-1][0] == url(tenant)
    assert "Deleted the contract of Alice Moreau on Website." in words(deleted)
    assert not sandbox.Contract.objects.filter(pk=contract.pk).exists()
    assert live_client.get(url(tenant, contract.id)).status_code == 404
    assert mirror.AuditEvent.objects.get(action="contract_delete").before["weekly_hours_limit"] == 40
