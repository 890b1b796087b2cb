"""Projects: the list with members, hours this week and this month and tasks; a project's page
with its contracts, its tasks (searchable, with assignees and time spent) and its viewers; tenant
isolation and query counts that do not grow with the number of members."""

import re
from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from dashboard.selectors.overview import hours_for_workspace
from dashboard.selectors.projects import projects_page_for_workspace
from integrations import models as mirror
from tests.dashboard.helpers import HTMX, entry, queries_of, shown, words
from tests.factories import (
    ContractFactory,
    MemberFactory,
    ProjectFactory,
    TaskFactory,
    WorkspaceFactory,
    bulk,
    manager_of,
)

pytestmark = pytest.mark.django_db


def rows(text):
    return dict(re.findall(r'<tr class="project-row" data-project="(\w+)">(.*?)</tr>', text, re.S))


def task_rows(text):
    return dict(re.findall(r'<tr class="task-row[^"]*" data-task="(\w+)">(.*?)</tr>', text, re.S))


def minutes(row, label):
    return int(re.search(rf'data-label="{label}" data-minutes="(\d+)"', row).group(1))


def assign(task, member):
    return mirror.TaskAssignee.objects.create(
        task=task, member=member, user_webwork_id=int(member.webwork_id)
    )


@pytest.fixture
def acme():
    return WorkspaceFactory(webwork_id=1, name="Acme Studio", timezone="Europe/Berlin")


@pytest.fixture
def manager(acme, client):
    user = manager_of(acme)
    client.force_login(user)
    return user


@pytest.fixture
def work(acme):
    """Design (active): Alice on two contracts, Bob on one, a removed contract; tasks open and
    closed with time on them. Archive (archived): nothing."""
    alice = MemberFactory(workspace=acme, firstname="Alice", lastname="Archer")
    bob = MemberFactory(workspace=acme, firstname="Bob", lastname="Baker")
    ghost = MemberFactory(workspace=acme, firstname="Gone")
    design = ProjectFactory(workspace=acme, name="Design")
    archive = ProjectFactory(workspace=acme, name="Archive", status=0)
    alice_main = ContractFactory(workspace=acme, member=alice, project=design, weekly_hours_limit=20)
    alice_extra = ContractFactory(workspace=acme, member=alice, project=design, status="paused")
    bob_design = ContractFactory(workspace=acme, member=bob, project=design)
    ContractFactory(workspace=acme, member=ghost, project=design, removed_at=timezone.now())
    logo = TaskFactory(workspace=acme, project=design, title="Draw the logo", status=10, priority=10)
    colours = TaskFactory(workspace=acme, project=design, title="Pick colours", status=0)
    fonts = TaskFactory(workspace=acme, project=design, title="Choose fonts", status=30)
    TaskFactory(workspace=acme, project=design, title="Old idea", status=0, removed_at=timezone.now())
    assign(logo, alice)
    assign(logo, bob)
    mirror.TaskAssignee.objects.create(task=colours, user_webwork_id=999_999)  # not synced yet
    today = acme.today()
    entry(acme, alice_main, today, 90, task=logo)
    entry(acme, alice_extra, today, 30, hour=14, task=fonts)
    entry(acme, bob_design, today - timedelta(days=40), 200, task=logo)  # long ago
    viewer = mirror.ProjectViewer.objects.create(
        workspace=acme,
        webwork_id="501",
        email="nora@client.test",
        firstname="Nora",
        lastname="West",
        status="active",
    )
    mirror.ViewerProject.objects.create(
        viewer=viewer, project=design, project_webwork_id=int(design.webwork_id)
    )
    other_viewer = mirror.ProjectViewer.objects.create(
        workspace=acme, webwork_id="502", email="otto@client.test", firstname="Otto", lastname="Other"
    )
    mirror.ViewerProject.objects.create(
        viewer=other_viewer, project=archive, project_webwork_id=int(archive.webwork_id)
    )
    return {
        "alice": alice,
        "bob": bob,
        "design": design,
        "archive": archive,
        "contract": alice_main,
        "logo": logo,
        "colours": colours,
        "fonts": fonts,
    }


def design_url(work):
    return f"/w/1/projects/{work['design'].webwork_id}/"


# --- The list ---------------------------------------------------------------------------------


def test_each_project_shows_status_members_hours_and_tasks(acme, manager, work, client):
    text = shown(client.get("/w/1/projects/"))

    found = rows(text)
    design, archive = found[work["design"].webwork_id], found[work["archive"].webwork_id]
    assert list(found) == [work["design"].webwork_id, work["archive"].webwork_id]  # active first
    assert re.search(r'data-label="Members">2<', design)  # Alice once, Bob; not the removed contract
    assert minutes(design, "This week") == 120
    assert "2 h 00 min" in design
    assert minutes(design, "This month") == 120
    assert "2 open" in design
    assert "1 closed" in design
    assert f'href="{design_url(work)}"' in design
    assert "Archived" in archive
    assert "No tasks" in archive
    assert re.search(r'data-label="Members">0<', archive)
    assert "2 projects." in text
    assert 'aria-current="page">Projects</a>' in text


def test_hours_this_week_and_month_count_running_trackers_as_the_overview_does(acme, work):
    now = timezone.now()
    today = acme.today(now)
    week_start, month_start = acme.week_start(today), today.replace(day=1)
    entry(acme, work["contract"], today, 0, running_since=now - timedelta(minutes=25))
    entry(acme, work["contract"], week_start, 15, hour=6)
    entry(acme, work["contract"], month_start, 45, hour=5)
    entry(acme, work["contract"], today + timedelta(days=1), 60)  # tomorrow: not yet
    entry(
        acme, work["contract"], week_start - timedelta(days=2), 0, running_since=now - timedelta(days=2)
    )  # stale

    page = {project.name: project for project in projects_page_for_workspace(workspace=acme, now=now)}

    design = page["Design"]
    in_week = 120 + 25 + 15 + (45 if month_start >= week_start else 0)
    in_month = 120 + 25 + 45 + (15 if week_start >= month_start else 0)
    assert (design.week_minutes, design.month_minutes) == (in_week, in_month)
    assert (page["Archive"].week_minutes, page["Archive"].month_minutes) == (0, 0)
    assert (
        sum(project.week_minutes for project in page.values())
        == hours_for_workspace(workspace=acme, now=now).week
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=des", {"design"}),
        ("q=ARCH", {"archive"}),
        ("status=active", {"design"}),
        ("status=archived", {"archive"}),
        ("status=sleeping", {"design", "archive"}),
    ],
)
def test_search_and_status_narrow_the_list(acme, manager, work, client, query, expected):
    response = client.get(f"/w/1/projects/?{query}", headers=HTMX)

    text = shown(response)
    assert text.lstrip().startswith('<section id="project-list"')
    assert set(rows(text)) == {work[name].webwork_id for name in expected}
    assert "HX-Request" in response["Vary"]


def test_empty_states_say_what_to_do(acme, manager, work, client):
    assert "No project of Acme Studio matches these filters." in words(client.get("/w/1/projects/?q=zzz"))

    empty = WorkspaceFactory(webwork_id=3, name="Empty Co")
    client.force_login(manager_of(empty))
    assert "Empty Co has no projects in Clockroom yet." in words(client.get("/w/3/projects/"))


def test_the_list_paginates_and_keeps_the_filters(acme, manager, client):
    bulk(ProjectFactory, 55, workspace=acme)

    first = shown(client.get("/w/1/projects/?status=active"))
    second = shown(client.get("/w/1/projects/?status=active&page=2", headers=HTMX))

    assert len(rows(first)) == 50
    assert 'href="?status=active&page=2"' in first
    assert len(rows(second)) == 5


# --- A project's page ---------------------------------------------------------------------------


def test_a_projects_page_shows_its_contracts_tasks_and_viewers(acme, manager, work, client):
    response = client.get(design_url(work))
    text = shown(response)

    assert "<h1>Design</h1>" in text
    contracts = dict(re.findall(r'<tr class="contract-row" data-contract="(\w+)">(.*?)</tr>', text, re.S))
    assert len(contracts) == 3
    main = contracts[work["contract"].webwork_id]
    assert f'href="/w/1/people/{work["alice"].webwork_id}/"' in main
    assert "20 h" in main
    assert 'data-minutes="90"' in main
    try:
        contract_url = reverse(
            "dashboard:contract", kwargs={"workspace_id": 1, "webwork_id": work["contract"].webwork_id}
        )
    except NoReverseMatch:
        assert ">Contract</a>" not in main
    else:
        assert f'href="{contract_url}"' in main
    tasks = task_rows(text)
    assert list(tasks) == [work["colours"].webwork_id, work["logo"].webwork_id, work["fonts"].webwork_id]
    logo = tasks[work["logo"].webwork_id]
    assert "Alice Archer" in logo
    assert "Bob Baker" in logo
    assert "Doing" in logo
    assert "Urgent" in logo
    assert 'data-minutes="290"' in logo  # all its time, long ago included
    assert "WebWork user 999999" in tasks[work["colours"].webwork_id]
    assert "Completed" in tasks[work["fonts"].webwork_id]
    assert "Old idea" not in text
    plain = words(response)
    assert "Nora West" in plain
    assert "Otto" not in plain
    assert "2 open" in plain
    assert "1 closed" in plain


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=logo", {"logo"}),
        ("q=pick+COLOURS", {"colours"}),
        ("state=open", {"logo", "colours"}),
        ("state=closed", {"fonts"}),
        ("q=o&state=closed", {"fonts"}),
    ],
)
def test_the_task_search_answers_htmx_with_the_tasks(acme, manager, work, client, query, expected):
    response = client.get(f"{design_url(work)}?{query}", headers=HTMX)

    text = shown(response)
    assert text.lstrip().startswith('<div id="project-tasks"')
    assert set(task_rows(text)) == {work[name].webwork_id for name in expected}
    assert "HX-Request" in response["Vary"]


def test_a_running_tracker_counts_on_its_task(acme, manager, work, client):
    entry(
        acme,
        work["contract"],
        acme.today(),
        0,
        task=work["colours"],
        running_since=timezone.now() - timedelta(minutes=20),
    )

    text = shown(client.get(f"{design_url(work)}?q=colours", headers=HTMX))

    row = task_rows(text)[work["colours"].webwork_id]
    assert re.search(r'data-minutes="(20|21)"', row)


def test_a_project_without_anything_reads_plainly(acme, manager, work, client):
    plain = words(client.get(f"/w/1/projects/{work['archive'].webwork_id}/"))

    assert "Nobody has a contract on Archive" in plain
    assert "Archive has no tasks." in plain
    assert "No project viewer sees Archive" not in plain  # Otto does
    assert "Otto Other" in plain
    none = words(client.get(f"{design_url(work)}?q=nothing-like-this"))
    assert "No task of Design matches." in none


def test_many_tasks_are_paginated(acme, manager, work, client):
    bulk(TaskFactory, 60, workspace=acme, project=work["design"])

    first = shown(client.get(design_url(work)))
    second = shown(client.get(f"{design_url(work)}?state=open&page=2", headers=HTMX))

    assert len(task_rows(first)) == 50
    assert "Page 1 of 2" in first
    assert len(task_rows(second)) == 12
    assert 'href="?state=open&page=1"' in second


# --- Tenant isolation and queries ---------------------------------------------------------------


def test_another_workspaces_project_is_not_found(acme, manager, work, client):
    stranger = ProjectFactory(workspace=WorkspaceFactory(webwork_id=2, name="Globex"))
    gone = ProjectFactory(workspace=acme, removed_at=timezone.now())

    for project in (stranger, gone):
        assert client.get(f"/w/1/projects/{project.webwork_id}/").status_code == 404
        assert client.get(f"/w/1/projects/{project.webwork_id}/", headers=HTMX).status_code == 404
    assert client.get("/w/2/projects/").status_code == 404
    assert client.get(f"/w/2/projects/{stranger.webwork_id}/").status_code == 404
    assert client.get("/w/1/projects/not-a-number/").status_code == 404
    assert client.post(design_url(work)).status_code == 405


def busy_workspace(size):
    """`size` members on three projects, each with a contract, a task assigned to them, time on it
    and a running tracker."""
    workspace = WorkspaceFactory()
    members = bulk(MemberFactory, size, workspace=workspace)
    projects = [ProjectFactory(workspace=workspace) for _ in range(3)]
    today = workspace.today()
    for n, member in enumerate(members):
        project = projects[n % 3]
        contract = ContractFactory(workspace=workspace, member=member, project=project)
        task = TaskFactory(workspace=workspace, project=project)
        assign(task, member)
        entry(workspace, contract, today, 30, task=task)
        entry(workspace, contract, today, 0, task=task, running_since=timezone.now() - timedelta(minutes=5))
    return workspace, projects


def test_the_list_and_a_projects_page_cost_the_same_queries_for_5_or_150_members(client):
    counts = {}
    for size in (5, 150):
        workspace, projects = busy_workspace(size)
        client.force_login(manager_of(workspace, username=f"manager-{size}"))
        base = f"/w/{workspace.webwork_id}/projects/"
        page = f"{base}{projects[0].webwork_id}/"
        counts[size] = (
            queries_of(client, base)[0],
            queries_of(client, f"{base}?q=project", HTMX)[0],
            queries_of(client, page)[0],
            queries_of(client, f"{page}?q=task", HTMX)[0],
        )
    assert counts[5] == counts[150], counts
    listing, list_partial, project, tasks = counts[150]
    assert listing <= 10, counts
    assert list_partial <= 7, counts
    assert project <= 16, counts
    assert tasks <= 10, counts


def test_the_address_bar_keeps_only_the_filters_in_use(acme, manager, work, client):
    listing = client.get("/w/1/projects/?q=des&status=", headers=HTMX)
    tasks = client.get(f"{design_url(work)}?q=&state=open", headers=HTMX)

    assert listing["HX-Push-Url"] == "/w/1/projects/?q=des"
    assert tasks["HX-Push-Url"] == f"{design_url(work)}?state=open"
