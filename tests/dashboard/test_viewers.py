"""Project viewers: the list with each viewer's projects, filters, the row and count partials;
adding a viewer, giving and taking projects, removing and restoring through the real sandbox, with
WebWork's refusals on the forms; tenant isolation, CSRF and query counts that do not grow."""

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sandbox.models.accounts import Role
from integrations.sync.base import SyncContext
from integrations.sync.members import sync_members
from integrations.sync.project_viewers import sync_project_viewers
from integrations.sync.projects import sync_projects
from tests.dashboard.helpers import (
    HTMX,
    NestedWire,
    connected_by_owner,
    csrf_token,
    queries_of,
    shown,
    triggers,
    words,
)
from tests.factories import ProjectFactory, WorkspaceFactory, manager_of

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def row_ids(text):
    return re.findall(r'<tr id="viewer-(\d+)"', text)


def viewer(workspace, webwork_id, first, last, *, status="active", projects=()):
    """A mirrored viewer who sees `projects` (mirror Projects, or bare WebWork ids not mirrored)."""
    row = mirror.ProjectViewer.objects.create(
        workspace=workspace,
        webwork_id=str(webwork_id),
        email=f"{first.lower()}@client.test",
        firstname=first,
        lastname=last,
        status=status,
        raw={
            "projects": [
                {"project_id": p, "project_name": f"Unsynced {p}"} for p in projects if isinstance(p, int)
            ]
        },
    )
    for project in projects:
        if isinstance(project, int):
            mirror.ViewerProject.objects.create(viewer=row, project_webwork_id=project)
        else:
            mirror.ViewerProject.objects.create(
                viewer=row, project=project, project_webwork_id=int(project.webwork_id)
            )
    return row


@pytest.fixture
def acme():
    return WorkspaceFactory(webwork_id=1, name="Acme Studio")


@pytest.fixture
def clients(acme, client):
    """Nora sees Website and a project not synced yet; Ian sees Support; Rita was removed."""
    website = ProjectFactory(workspace=acme, webwork_id="11", name="Website")
    support = ProjectFactory(workspace=acme, webwork_id="12", name="Support")
    ProjectFactory(workspace=acme, webwork_id="13", name="Archive", status=0)
    nora = viewer(acme, 101, "Nora", "West", projects=(website, 99))
    ian = viewer(acme, 102, "Ian", "Cole", projects=(support,))
    rita = viewer(acme, 103, "Rita", "Gone", status="inactive", projects=(website,))
    globex = WorkspaceFactory(webwork_id=2, name="Globex")
    secret = ProjectFactory(workspace=globex, webwork_id="21", name="Secret plan")
    viewer(globex, 201, "Gus", "Hidden", projects=(secret,))
    client.force_login(manager_of(acme, username="maria"))
    return {"website": website, "support": support, "nora": nora, "ian": ian, "rita": rita, "secret": secret}


def test_the_list_shows_each_viewer_with_their_projects_and_status(acme, clients, client):
    response = client.get("/w/1/viewers/")
    text = shown(response)

    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert row_ids(text) == ["102", "101", "103"]  # active first, by name; the removed one last
    nora = text.split('<tr id="viewer-101"')[1].split("</tr>")[0]
    assert "Nora West" in nora
    assert "nora@client.test" in nora
    assert "Website" in nora
    assert "Unsynced 99" in nora
    assert "(not synced yet)" in nora
    assert "Give a project…" in nora
    assert "Remove…" in nora
    rita = text.split('<tr id="viewer-103"')[1].split("</tr>")[0]
    assert "Removed" in rita
    assert "Restore" in rita
    assert "Remove…" not in rita
    assert "2 active viewers, 1 removed." in words(response)
    assert "WebWork's API does not tell Clockroom" in text  # rates and screenshots: said, not guessed
    assert "Gus" not in text
    assert "Secret plan" not in text
    assert 'aria-current="page">Project viewers' in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=nora", ["101"]),
        ("q=client.test+cole", ["102"]),
        ("status=active", ["102", "101"]),
        ("status=removed", ["103"]),
        ("project=11", ["101", "103"]),
        ("project=99", ["101"]),  # a project the mirror does not have yet, by its WebWork id
        ("project=21", []),  # Globex's project: nothing of Globex shows
        ("status=nonsense&project=abc", ["102", "101", "103"]),
    ],
)
def test_filters_narrow_the_list_in_the_htmx_partial(acme, clients, client, query, expected):
    response = client.get(f"/w/1/viewers/?{query}", headers=HTMX)
    text = shown(response)

    assert text.lstrip().startswith('<section id="viewer-list"')
    assert row_ids(text) == expected
    assert "Gus" not in text
    assert "Secret plan" not in text
    if not expected:
        assert "No viewer matches these filters." in text


def test_the_counts_partial_and_the_empty_list(acme, client):
    client.force_login(manager_of(acme))

    page = words(client.get("/w/1/viewers/"))
    counts = shown(client.get("/w/1/viewers/?part=counts", headers=HTMX))

    assert "Acme Studio has no project viewers yet." in page
    assert counts.lstrip().startswith('<p id="viewer-counts"')
    assert "0 active viewers." in counts


def test_the_row_partial_and_the_viewer_s_own_page(acme, clients, client):
    row = shown(client.get("/w/1/viewers/101/", headers=HTMX))
    page = client.get("/w/1/viewers/101/")
    assign = shown(client.get("/w/1/viewers/101/assign/", headers=HTMX))
    confirm = shown(client.get("/w/1/viewers/101/remove/", headers=HTMX))
    confirm_page = words(client.get("/w/1/viewers/101/remove/"))
    add_page = client.get("/w/1/viewers/add/")

    assert row.lstrip().startswith('<tr id="viewer-101"')
    assert page.status_code == 200
    assert "<h1>Nora West</h1>" in shown(page)
    # The form to give a project offers only the projects Nora does not see yet.
    options = re.findall(r'<option value="(\d+)"', assign)
    assert options == ["12", "13"]
    assert "Archive (archived)" in assign
    assert "Remove Nora West?" in confirm
    assert "stop seeing Unsynced 99 and Website" in html.unescape(re.sub(r"\s+", " ", confirm))
    assert "restoring them gives the same access back" in confirm_page
    assert add_page.status_code == 200
    assert 'name="email"' in shown(add_page)


def test_another_workspace_s_viewer_is_not_found_anywhere(acme, clients, client):
    for path in ("", "assign/", "remove/"):
        assert client.get(f"/w/1/viewers/201/{path}").status_code == 404
        assert client.get(f"/w/1/viewers/201/{path}", headers=HTMX).status_code == 404
    for path in ("assign/", "unassign/", "remove/", "restore/"):
        assert client.post(f"/w/1/viewers/201/{path}", {"project": "11"}).status_code == 404
    assert client.get("/w/2/viewers/").status_code == 404
    assert client.get("/w/2/viewers/201/").status_code == 404


def test_another_workspace_s_project_in_a_form_is_not_found(acme, clients, client):
    before = mirror.AuditEvent.objects.count()

    assert client.post("/w/1/viewers/101/assign/", {"project": "21"}, headers=HTMX).status_code == 404
    assert client.post("/w/1/viewers/101/unassign/", {"project": "21"}, headers=HTMX).status_code == 404
    assert mirror.AuditEvent.objects.count() == before


def test_changes_need_the_csrf_token(acme, clients):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(get_user_model().objects.get(username="maria"))

    for path in ("add/", "101/assign/", "101/unassign/", "101/remove/", "103/restore/"):
        assert browser.post(f"/w/1/viewers/{path}", {"project": "12"}).status_code == 403, path
    page = shown(browser.get("/w/1/viewers/101/assign/"))
    token = csrf_token(page)
    # With the token the request reaches the view (which finds no such project: nothing is asked).
    answer = browser.post("/w/1/viewers/101/assign/", {"project": "21", "csrfmiddlewaretoken": token})
    assert answer.status_code == 404


def many_viewers(size):
    workspace = WorkspaceFactory(webwork_id=5000 + size)
    projects = [ProjectFactory(workspace=workspace, webwork_id=str(70_000 + size * 10 + n)) for n in range(3)]
    for n in range(size):
        viewer(workspace, 100_000 + size * 1000 + n, f"V{n}", "Client", projects=projects[: n % 3 + 1])
    return workspace


def test_a_page_of_viewers_costs_the_same_queries_for_5_or_150(client):
    counts = {}
    for size in (5, 150):
        workspace = many_viewers(size)
        client.force_login(manager_of(workspace, username=f"manager-{size}"))
        path = f"/w/{workspace.webwork_id}/viewers/"
        full, response = queries_of(client, path)
        partial, _ = queries_of(client, path, HTMX)
        assert len(row_ids(shown(response))) == min(size, 50)
        counts[size] = (full, partial)
    assert counts[5] == counts[150]
    assert counts[150][0] <= 16, counts
    assert counts[150][1] <= 8, counts


# --- Changing viewers through the real sandbox -----------------------------------------------------


@pytest.fixture
def acme_live(world, wire, make_client, settings):
    """Acme connected by its Owner, signed in: Nora (a viewer) sees Website; Support and Billing are
    nobody's."""
    settings.WEBWORK_HTTP_TRANSPORT = NestedWire(wire)
    website = sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Website")
    sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Support")
    sandbox.Project.objects.create(workspace=world.acme, owner=world.owner, name="Billing")
    nora = sandbox.Membership.objects.get(workspace=world.acme, user=world.viewer)
    sandbox.ViewerProject.objects.create(viewer=nora, project=website)
    tenant, user = connected_by_owner(world)
    ctx = SyncContext(workspace=tenant, client=make_client(world.owner))
    for sync in (sync_members, sync_projects, sync_project_viewers):
        sync(ctx)
    return {
        "tenant": tenant,
        "user": user,
        "nora": nora,
        "project": {p.name: p for p in mirror.Project.objects.filter(workspace=tenant)},
    }


@pytest.fixture
def live(client, acme_live):
    client.force_login(acme_live["user"])
    return client


def sees_at_webwork(membership):
    return sorted(membership.viewer_projects.values_list("project__name", flat=True))


def base(acme_live):
    return f"/w/{acme_live['tenant'].webwork_id}/viewers"


def test_adding_a_viewer_invites_them_at_webwork_and_refreshes_the_list(live, acme_live, world):
    response = live.post(
        f"{base(acme_live)}/add/",
        {"email": "ceo@initech.test", "firstname": "Bill", "lastname": "Lumbergh"},
        headers=HTMX,
    )

    assert response.status_code == 200
    text = shown(response)
    assert text.lstrip().startswith('<div id="viewer-add-form"')
    assert "Added Bill Lumbergh as a project viewer" in text
    assert 'value="ceo@initech.test"' not in text  # an empty form for the next one
    assert {"viewer-added", "viewers-changed", "mirror-changed"} <= triggers(response)
    made = sandbox.Membership.objects.get(workspace=world.acme, user__email="ceo@initech.test")
    assert made.role == Role.PROJECT_VIEWER
    listed = shown(live.get(f"{base(acme_live)}/", headers=HTMX))
    assert f'<tr id="viewer-{made.user_id}"' in listed
    event = mirror.AuditEvent.objects.get(action="project_viewer_create")
    assert event.actor == acme_live["user"]
    assert "added project viewer ceo@initech.test" in words(
        live.get(f"/w/{acme_live['tenant'].webwork_id}/audit/")
    )


def test_webwork_s_refusal_lands_on_the_email_and_the_form_keeps_what_was_typed(live, acme_live, world):
    typed = {"email": "alice@acme.test", "firstname": "Alicia", "lastname": "Typed"}

    htmx = shown(live.post(f"{base(acme_live)}/add/", typed, headers=HTMX))
    plain = live.post(f"{base(acme_live)}/add/", typed)

    for text in (htmx, shown(plain)):
        email = text.split('for="viewer-add-email"')[1].split("</div>")[0]
        assert "alice@acme.test is already in Acme Studio, as a regular user." in email
        assert 'value="Alicia"' in text
        assert 'value="Typed"' in text
    assert plain.status_code == 200
    assert not sandbox.Membership.objects.filter(workspace=world.acme, user__firstname="Alicia").exists()


def test_a_plain_add_redirects_to_the_list_with_a_message(live, acme_live, world):
    response = live.post(
        f"{base(acme_live)}/add/",
        {"email": "cfo@initech.test", "firstname": "Joan", "lastname": "Ledger"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"{base(acme_live)}/"
    assert "Added Joan Ledger as a project viewer" in words(response)
    assert sandbox.Membership.objects.filter(workspace=world.acme, user__email="cfo@initech.test").exists()


def test_giving_and_taking_projects_swaps_the_row_and_changes_webwork(live, acme_live, world):
    nora, projects = acme_live["nora"], acme_live["project"]
    row_path = f"{base(acme_live)}/{world.viewer.id}"

    given = live.post(f"{row_path}/assign/", {"project": projects["Support"].webwork_id}, headers=HTMX)

    assert given.status_code == 200
    assert shown(given).lstrip().startswith(f'<tr id="viewer-{world.viewer.id}"')
    assert "Nora West now sees Support." in words(given)
    assert {"viewers-changed", "mirror-changed"} <= triggers(given)
    assert sees_at_webwork(nora) == ["Support", "Website"]

    taken = live.post(f"{row_path}/unassign/", {"project": projects["Website"].webwork_id}, headers=HTMX)

    assert "Nora West no longer sees Website." in words(taken)
    assert sees_at_webwork(nora) == ["Support"]
    chips = re.findall(r'<li class="chip">\s*<span>([^<]+)', shown(taken))
    assert chips == ["Support"]
    trail = list(mirror.AuditEvent.objects.order_by("id").values_list("action", "note"))
    assert trail == [("project_viewer_assign", "Support"), ("project_viewer_unassign", "Website")]


def test_giving_a_project_webwork_refuses_keeps_the_form_open_with_the_refusal(live, acme_live, world):
    projects = acme_live["project"]
    website = projects["Website"].webwork_id

    response = live.post(f"{base(acme_live)}/{world.viewer.id}/assign/", {"project": website}, headers=HTMX)
    plain = live.post(f"{base(acme_live)}/{world.viewer.id}/assign/", {"project": website})

    for text in (shown(response), shown(plain)):
        field = text.split('class="viewer-assign"')[1].split("</form>")[0]
        assert "Nora West can already see Website." in field
        assert 'class="field field-invalid"' in field
    assert triggers(response) == set()
    assert sees_at_webwork(acme_live["nora"]) == ["Website"]


def test_removing_asks_first_then_archives_and_restoring_gives_access_back(live, acme_live, world):
    row_path = f"{base(acme_live)}/{world.viewer.id}"
    membership = acme_live["nora"]

    confirm = live.get(f"{row_path}/remove/", headers=HTMX)
    assert "Remove Nora West?" in words(confirm)
    membership.refresh_from_db()
    assert membership.deleted_at is None  # asking changed nothing

    removed = live.post(f"{row_path}/remove/", headers=HTMX)

    membership.refresh_from_db()
    assert membership.deleted_at is not None
    assert membership.status == "inactive"
    assert "Removed Nora West" in words(removed)
    assert "Restore" in words(removed)
    assert {"viewers-changed", "mirror-changed"} <= triggers(removed)

    restored = live.post(f"{row_path}/restore/", follow=True)

    membership.refresh_from_db()
    assert membership.deleted_at is None
    assert membership.status == "active"
    assert "Restored Nora West: they see their projects again." in words(restored)
    assert sees_at_webwork(membership) == ["Website"]
    actions = list(mirror.AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["project_viewer_remove", "project_viewer_restore"]


def test_a_refused_restore_shows_webwork_s_answer_in_the_row(live, acme_live, world):
    # Nora is active at WebWork, but the mirror still says removed (a sync has not run yet).
    mirror.ProjectViewer.objects.filter(webwork_id=str(world.viewer.id)).update(status="inactive")

    response = live.post(f"{base(acme_live)}/{world.viewer.id}/restore/", headers=HTMX)

    assert response.status_code == 200
    assert "WebWork refused:" in words(response)
    assert triggers(response) == set()
