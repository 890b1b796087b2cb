"""The audit trail page and its CSV: who decided what, filtered, in the workspace's time zone."""

import csv
import io
import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from integrations.models import AuditEvent
from tests.dashboard.helpers import HTMX, shown
from tests.factories import MemberFactory, WorkspaceFactory, manager_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return WorkspaceFactory(webwork_id=1, name="Acme Studio", timezone="Asia/Tokyo")


@pytest.fixture
def trail(acme, client):
    """Three decisions through Clockroom (one refused by WebWork) and one taken inside WebWork."""
    maria = manager_of(acme, username="maria", first_name="Maria", last_name="Moss")
    olga = manager_of(acme, username="olga", first_name="Olga", last_name="Ortiz")
    alice = MemberFactory(workspace=acme, firstname="Alice", lastname="Archer")
    bob = MemberFactory(workspace=acme, firstname="Bob", lastname="Baker")
    today = acme.today()
    yesterday = datetime.combine(today - timedelta(days=1), time(23, 30), acme.zone)
    week = {"date_from": "2026-11-30", "date_to": "2026-12-06", "status": "approved"}
    event = AuditEvent.objects.create
    event(
        workspace=acme,
        actor=maria,
        action="timesheet_approve",
        object_type="timesheet",
        object_id="ts-1",
        member=alice,
        before={**week, "status": "submitted"},
        after=week,
        created_at=yesterday,
    )
    event(
        workspace=acme,
        actor=olga,
        action="time_request_reject",
        object_type="timerequest",
        object_id="tr-1",
        member=bob,
        after={"start": "2026-12-03T09:00:00+09:00", "status": "rejected"},
        note="Not on this project",
    )
    event(
        workspace=acme,
        actor=maria,
        action="leave_approve",
        outcome="refused",
        object_type="leaverequest",
        object_id="lv-1",
        member=bob,
        before={"start_date": "2026-12-20", "end_date": "2026-12-24"},
        after={"start_date": "2026-12-20", "end_date": "2026-12-24"},
        answer="This leave is no longer waiting for approval (it is rejected).",
    )
    event(
        workspace=acme,
        source="webwork",
        action="timesheet_reject",
        object_type="timesheet",
        object_id="ts-2",
        member=alice,
        after={"date_from": "2026-11-23", "date_to": "2026-11-29"},
        note="Missing Friday",
    )
    other = WorkspaceFactory(webwork_id=2, name="Globex")
    event(
        workspace=other, actor=maria, action="timesheet_approve", object_type="timesheet", object_id="secret"
    )
    client.force_login(maria)
    return {"maria": maria, "olga": olga, "alice": alice, "bob": bob, "yesterday": yesterday}


def rows(text):
    return re.findall(r'<tr class="audit-event audit-(\w+)">(.*?)</tr>', text, re.S)


def test_the_trail_lists_every_decision_newest_first_with_reason_and_answer(acme, trail, client):
    text = shown(client.get("/w/1/audit/"))

    found = rows(text)
    assert len(found) == 4
    assert "secret" not in text  # Globex's event
    outcomes = [outcome for outcome, _ in found]
    assert outcomes.count("refused") == 1
    webwork = next(row for _, row in found if "in WebWork" in row)
    assert "rejected timesheet Mon 23 Nov 2026 to Sun 29 Nov 2026" in webwork
    assert "Missing Friday" in webwork
    refused = next(row for outcome, row in found if outcome == "refused")
    assert "tried: approved leave Sun 20 Dec 2026 to Thu 24 Dec 2026" in refused
    assert "WebWork refused: This leave is no longer waiting for approval (it is rejected)." in refused
    oldest = found[-1][1]
    local = trail["yesterday"].strftime("%a %-d %b %Y, 23:30")
    assert "Maria Moss" in oldest
    assert local in oldest


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=webwork", {"ts-2"}),
        ("action=timesheet_approve", {"ts-1"}),
        ("member={bob}", {"tr-1", "lv-1"}),
        ("actor={olga}", {"tr-1"}),
        ("from={yesterday}&to={yesterday}", {"ts-1"}),
        ("actor=nonsense&from=2026-13-45&member=", {"ts-1", "tr-1", "lv-1", "ts-2"}),
    ],
)
def test_filters_narrow_the_trail_and_the_csv_alike(acme, trail, client, query, expected):
    query = query.format(
        bob=trail["bob"].webwork_id, olga=trail["olga"].pk, yesterday=trail["yesterday"].date().isoformat()
    )

    page = shown(client.get(f"/w/1/audit/?{query}", headers=HTMX))
    export = client.get(f"/w/1/audit/export.csv?{query}")

    assert page.lstrip().startswith('<section id="audit-list"')
    table = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert {row["Object's WebWork id"] for row in table} == expected
    assert len(rows(page)) == len(expected)


def test_the_csv_states_the_time_zone_and_every_column(acme, trail, client):
    export = client.get("/w/1/audit/export.csv?actor=webwork")

    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export["Content-Disposition"].startswith('attachment; filename="audit-1-')
    table = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert table[0][0] == "When (Asia/Tokyo)"
    row = dict(zip(table[0], table[1], strict=True))
    assert row["Made in"] == "WebWork"
    assert row["Who"] == ""
    assert row["Reason"] == "Missing Friday"
    assert row["Member"] == "Alice Archer"
    assert row["When (Asia/Tokyo)"].endswith("+09:00")


def test_the_filters_offer_the_managers_actions_and_members_of_this_workspace(acme, trail, client):
    text = shown(client.get("/w/1/audit/"))

    who = text.split('id="audit-actor"')[1].split("</select>")[0]
    assert "Maria Moss" in who
    assert "Olga Ortiz" in who
    assert "In WebWork itself" in who
    what = text.split('id="audit-action"')[1].split("</select>")[0]
    assert "Timesheet: approved" in what
    assert "Leave: approved" in what


def test_an_empty_trail_and_an_empty_filter_say_what_to_do(acme, client):
    client.force_login(manager_of(acme))

    assert "Nothing has been decided or changed in Acme Studio yet." in shown(client.get("/w/1/audit/"))
    filtered = shown(client.get("/w/1/audit/?action=timesheet_approve"))
    assert "No event matches these filters." in filtered
    assert "Show every event" in filtered


def test_the_trail_paginates_in_the_same_queries_at_any_length(
    acme, trail, client, django_assert_max_num_queries
):
    AuditEvent.objects.bulk_create(
        AuditEvent(
            workspace=acme,
            actor=trail["maria"],
            action="timesheet_approve",
            object_type="timesheet",
            object_id=f"bulk-{n}",
            member=trail["alice"],
            created_at=timezone.now() - timedelta(minutes=n),
        )
        for n in range(120)
    )

    with django_assert_max_num_queries(14):
        first = shown(client.get("/w/1/audit/"))
    second = shown(client.get("/w/1/audit/?page=3", headers=HTMX))

    assert len(rows(first)) == 50
    assert "Page 1 of 3" in first
    assert len(rows(second)) == 24
    assert 'rel="prev"' in second


def test_another_workspace_s_trail_is_not_found(acme, trail, client):
    assert client.get("/w/2/audit/").status_code == 404
    assert client.get("/w/2/audit/export.csv").status_code == 404
