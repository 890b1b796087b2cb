"""Tracked time is counted one way on every page (dashboard.selectors.hours): the overview, a
member's page, the people, projects and contracts pages show the same minutes for the same
entries, a tracker running now counting up to now."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dashboard.selectors.contracts import (
    contract_for_workspace,
    contract_weeks_for_workspace,
    week_minutes_by_contract,
)
from dashboard.selectors.overview import contracts_near_limit_for_workspace, hours_for_workspace
from dashboard.selectors.people import contracts_for_member, people_page_for_workspace, weeks_for_member
from dashboard.selectors.projects import (
    contracts_for_project,
    projects_page_for_workspace,
    tasks_page_for_project,
)
from tests.factories import ContractFactory, TaskFactory, TimeEntryFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=BERLIN)  # a Wednesday; the month began on Tuesday
MONDAY = NOW.date() - timedelta(days=2)


@pytest.fixture
def week():
    """Alice on Website (a 2 h limit), on one task: 60 min on Monday, 30 min this morning, a
    tracker running since 14:15 (WebWork said 5 min at the last sync: 45 min by now), and last
    Friday a tracker the mirror never saw stopped (20 min as WebWork last gave them)."""
    workspace = WorkspaceFactory(webwork_id=1, name="Acme Studio", timezone="Europe/Berlin")
    contract = ContractFactory(workspace=workspace, weekly_hours_limit=2)
    task = TaskFactory(workspace=workspace, project=contract.project)

    def entry(day, minutes, start, *, running=False):
        begin = datetime.combine(day, start, BERLIN)
        TimeEntryFactory(
            workspace=workspace,
            contract=contract,
            task=task,
            date=day,
            start_time=begin,
            end_time=None if running else begin + timedelta(minutes=minutes),
            duration_minutes=minutes,
        )

    entry(MONDAY, 60, time(9))
    entry(NOW.date(), 30, time(9))
    entry(NOW.date(), 5, time(14, 15), running=True)
    entry(MONDAY - timedelta(days=3), 20, time(16), running=True)
    with time_machine.travel(NOW, tick=False):
        yield workspace, contract


def test_every_page_counts_this_weeks_time_alike(week):
    workspace, contract = week
    member, project, today = contract.member, contract.project, NOW.date()
    this_week = 60 + 30 + 45
    hours = hours_for_workspace(workspace=workspace, now=NOW)
    [person] = people_page_for_workspace(workspace=workspace, now=NOW)
    [of_member] = contracts_for_member(workspace=workspace, member=member, now=NOW)
    member_weeks = weeks_for_member(workspace=workspace, member=member, now=NOW)
    [listed] = projects_page_for_workspace(workspace=workspace, now=NOW)
    [of_project] = contracts_for_project(workspace=workspace, project=project, now=NOW)
    [task] = tasks_page_for_project(workspace=workspace, project=project, now=NOW)
    contract_weeks = contract_weeks_for_workspace(workspace=workspace, contract=contract, today=today)
    shown = contract_for_workspace(workspace=workspace, webwork_id=contract.webwork_id)
    [near] = contracts_near_limit_for_workspace(workspace=workspace, now=NOW)

    assert (hours.today, hours.week, hours.last_week) == (30 + 45, this_week, 20)
    assert person.week_minutes == of_member.week_minutes == member_weeks[-1].minutes == this_week
    assert (listed.week_minutes, listed.month_minutes, of_project.week_minutes) == (this_week, 75, this_week)
    assert task.minutes == this_week + 20
    assert week_minutes_by_contract(workspace=workspace, today=today) == {contract.pk: this_week}
    assert shown.week_minutes == contract_weeks[-1].minutes == near.minutes == this_week
    assert member_weeks[-2].minutes == contract_weeks[-2].minutes == hours.last_week
