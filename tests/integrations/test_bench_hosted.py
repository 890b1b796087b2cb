"""`bench hosted`'s pieces: many organisations seeded side by side, each with one Owner and its own
addresses, and the simulated managers' check for another tenant's data in an answer.

The whole run (PostgreSQL, Redis, gunicorn, three qclusters, minutes of load) is too long for the
suite; docs/performance.md has its figures and command.
"""

import json
import subprocess
import sys
from collections import Counter

import pytest
from django.conf import settings as django_settings

from integrations.sandbox.models import Membership, SandboxUser, TimeRequest, Timesheet, Workspace
from integrations.sandbox.models.accounts import Role
from integrations.sandbox.seeding import sandbox_reset
from integrations.sandbox.seeding.organisations import (
    SHAPES,
    organisation_domain,
    organisation_name,
    organisation_owner_email,
    organisations_marked,
    seed_organisations,
)

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

COUNT = 5  # the fourth is medium, the others small


def _world():
    """What a seed made: (workspace name, owner email, member emails) per workspace, in order."""
    return [
        (
            workspace.name,
            workspace.owner.email,
            sorted(Membership.objects.filter(workspace=workspace).values_list("user__email", flat=True)),
        )
        for workspace in Workspace.objects.select_related("owner").order_by("pk")
    ]


def test_organisations_seeded_side_by_side_each_with_its_owner_and_addresses():
    summary = seed_organisations(count=COUNT, seed=3)

    assert summary.shapes == {"small": 4, "medium": 1}
    workspaces = list(Workspace.objects.select_related("owner").order_by("pk"))
    assert [w.name for w in workspaces] == [organisation_name(i) for i in range(COUNT)]
    assert [w.owner.email for w in workspaces] == [organisation_owner_email(i) for i in range(COUNT)]
    assert summary.owners == [(w.pk, w.owner.email) for w in workspaces]
    for index, workspace in enumerate(workspaces):
        members = Membership.objects.filter(workspace=workspace)
        # One Owner each, and nobody of another organisation among its members.
        assert list(members.filter(role=Role.OWNER).values_list("user_id", flat=True)) == [workspace.owner_id]
        domain = organisation_domain(index)
        assert all(email.endswith(domain) for email in members.values_list("user__email", flat=True))
        shape = SHAPES["medium" if index == 3 else "small"]
        assert members.exclude(role=Role.PROJECT_VIEWER).count() <= shape.members
        # Something for its managers to approve.
        queued = (
            Timesheet.objects.filter(workspace=workspace, status=Timesheet.Status.SUBMITTED).count()
            + TimeRequest.objects.filter(workspace=workspace, status=TimeRequest.Status.PENDING).count()
        )
        assert queued > 0, workspace.name
    assert not [
        email for email, n in Counter(SandboxUser.objects.values_list("email", flat=True)).items() if n > 1
    ]
    # Client viewers of a medium organisation: under its own domain too.
    assert Membership.objects.filter(workspace=workspaces[3], role=Role.PROJECT_VIEWER).exists()


def test_the_same_seed_seeds_the_same_organisations():
    seed_organisations(count=3, seed=7)
    first = _world()
    sandbox_reset()
    seed_organisations(count=3, seed=7)

    assert _world() == first


def test_a_page_naming_another_organisation_is_caught():
    seed_organisations(count=3, seed=1)
    own, other = Workspace.objects.order_by("pk")[:2]
    other_member = Membership.objects.filter(workspace=other).exclude(user=other.owner).first().user
    own_member = Membership.objects.filter(workspace=own).exclude(user=own.owner).first().user

    mine = f"<h1>{own.name}</h1><td>{own_member.email}</td><style>#001 {{}}</style>"
    theirs = f"<h1>{own.name}</h1><td>{other_member.email}</td>"
    named = f"<option>{other.name}</option>"

    assert organisations_marked(mine) == {"001"}
    assert organisations_marked(theirs) == {"001", "002"}
    assert organisations_marked(named) == {"002"}


def test_the_locustfile_finds_another_tenant_in_an_answer_as_the_seeder_marks_them():
    """The locustfile runs under locust (gevent), so it is imported in a process of its own."""
    texts = {
        "own": "<h1>Northwind Studio (org 001)</h1><td>ana.lima@org001.test</td>",
        "name": "<h1>Northwind Studio (org 001)</h1><li>Bluebird Digital (org 002)</li>",
        "viewer": "<td>jo.king@northwind.com.org017.test</td>",
        "nothing": "<p>No time requests wait for you.</p>",
    }
    script = (
        "import json, sys\n"
        "from integrations.bench.locustfile import foreign_marks\n"
        "texts = json.loads(sys.argv[1])\n"
        "print(json.dumps({k: sorted(foreign_marks(v, '001')) for k, v in texts.items()}))\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", script, json.dumps(texts)],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(answer.stdout.strip().splitlines()[-1])

    assert found == {"own": [], "name": ["002"], "viewer": ["017"], "nothing": []}
    for key, text in texts.items():  # the same marks as the seeder's
        assert sorted(organisations_marked(text) - {"001"}) == found[key]
