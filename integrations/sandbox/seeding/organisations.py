"""Many organisations side by side, as a hosted Clockroom serves them: one workspace and one Owner
each, a mix of small and medium teams, every queue holding something to approve.

    seed_organisations(count=200, seed=1)   # deterministic for a seed on a given day

Each organisation is the agency world of structure.py and timeline.py at a shape of its own (its
own seeded Random, so organisation 17 is the same whatever the count), with its own email domain
(`org017.test`, its clients' viewers at `<client>.org017.test`) and a name ending in its number,
`Northwind Studio (org 017)`: a page that shows another organisation's name or addresses is easy
to catch. Rows go in with `bulk_create`, a batch of organisations per transaction.
"""

import re
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from .context import DB, Context, Scale, WorkspacePlan
from .structure import StructureBuilder
from .timeline import TimelineBuilder


@dataclass(frozen=True)
class OrganisationShape:
    name: str
    members: int  # memberships, the Owner included
    projects: int
    weeks: int  # weeks of time entries and timesheets, this week included
    running_trackers: int


# Medium teams are big enough for team managers, project managers and client viewers (10 members
# or more, see StructureBuilder._staff); small ones are an owner and a few people.
SHAPES = {
    "small": OrganisationShape("small", members=6, projects=2, weeks=3, running_trackers=1),
    "medium": OrganisationShape("medium", members=24, projects=6, weeks=5, running_trackers=3),
}
MEDIUM_EVERY = 4  # one organisation in four is medium
PLACES = (
    ("Europe/Berlin", "EUR"),
    ("America/New_York", "USD"),
    ("Europe/Lisbon", "EUR"),
    ("Europe/London", "GBP"),
)
NAMES = (
    "Northwind Studio",
    "Bluebird Digital",
    "Harbor Works",
    "Copperleaf Design",
    "Lantern Labs",
    "Maple & Finch",
    "Orbit Agency",
    "Saltmarsh Software",
)
# What names and addresses of the organisations look like, to find them in a page.
NAME_MARK = re.compile(r"\(org (\d{3,})\)")
EMAIL_MARK = re.compile(r"@(?:[a-z0-9-]+\.)*org(\d{3,})\.test\b")
BATCH = 20  # organisations per transaction


def organisation_number(index):
    """1-based, zero-padded: `017`."""
    return f"{index + 1:03d}"


def organisation_shape(index):
    return SHAPES["medium" if index % MEDIUM_EVERY == MEDIUM_EVERY - 1 else "small"]


def organisation_name(index):
    return f"{NAMES[index % len(NAMES)]} (org {organisation_number(index)})"


def organisation_domain(index):
    return f"org{organisation_number(index)}.test"


def organisation_owner_email(index):
    return f"owner@{organisation_domain(index)}"


def organisations_marked(text):
    """The organisation numbers (`"017"`) whose names or email addresses appear in `text`."""
    return set(NAME_MARK.findall(text)) | set(EMAIL_MARK.findall(text))


@dataclass
class OrganisationsSummary:
    count: int
    seed: int
    seconds: float
    shapes: dict = field(default_factory=dict)  # shape name -> organisations of that shape
    owners: list = field(default_factory=list)  # (sandbox workspace id, owner email), in order

    def lines(self):
        mix = ", ".join(
            f"{n} {name} ({SHAPES[name].members} members, {SHAPES[name].projects} projects, "
            f"{SHAPES[name].weeks} weeks)"
            for name, n in self.shapes.items()
        )
        return [f"Seeded {self.count} organisations (seed {self.seed}) in {self.seconds:.1f} s: {mix}"]


def _scale(index):
    shape = organisation_shape(index)
    zone, currency = PLACES[index % len(PLACES)]
    return Scale(
        f"org-{shape.name}",
        shape.weeks,
        (WorkspacePlan(organisation_name(index), zone, currency, shape.members, shape.projects),),
        running_trackers=shape.running_trackers,
        over_limit=1 if shape.name == "medium" else 0,
        near_limit=1,
    )


def organisation_seed(index, *, seed, now):
    """Seed organisation `index` (0-based) into the sandbox; returns its sandbox Workspace."""
    ctx = Context(_scale(index), seed * 1_000_003 + index, now)
    domain = organisation_domain(index)
    builder = StructureBuilder(
        ctx,
        owner=("Owen", f"Owner {organisation_number(index)}", organisation_owner_email(index)),
        domain=domain,
        domain_suffix=f".{domain}",
        owner_full_hash=False,
    )
    structure = builder.build()
    TimelineBuilder(ctx, structure).build()
    return structure.sites[0].workspace


def seed_organisations(*, count, seed=1, now=None, progress=None):
    """Add `count` organisations to the sandbox (empty or not: their addresses are their own).
    Returns an OrganisationsSummary; `progress(line)` hears after each batch."""
    say = progress or (lambda line: None)
    started = time.monotonic()
    now = now or timezone.now()
    summary = OrganisationsSummary(count=count, seed=seed, seconds=0)
    for first in range(0, count, BATCH):
        with transaction.atomic(using=DB):
            for index in range(first, min(count, first + BATCH)):
                workspace = organisation_seed(index, seed=seed, now=now)
                summary.owners.append((workspace.id, organisation_owner_email(index)))
                shape = organisation_shape(index).name
                summary.shapes[shape] = summary.shapes.get(shape, 0) + 1
        say(f"  {len(summary.owners)} of {count} organisations after {time.monotonic() - started:.1f} s")
    summary.seconds = time.monotonic() - started
    return summary
