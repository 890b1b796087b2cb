"""What every part of the seeder shares: the scale, the seeded Random, the calendar, the writer."""

import random
import unicodedata
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..models import Expense, LeaveRequest, TimeEntry, TimeRequest, Timesheet
from ..timekeeping import week_start

DB = "sandbox"
BATCH_SIZE = 2000


@dataclass(frozen=True)
class WorkspacePlan:
    name: str
    timezone: str
    currency: str
    members: int  # memberships, the Owner and project viewers included
    projects: int


@dataclass(frozen=True)
class Scale:
    name: str
    weeks: int  # weeks of time entries and timesheets, this week included
    workspaces: tuple[WorkspacePlan, ...]
    running_trackers: int
    over_limit: int  # contracts over their weekly limit this week
    near_limit: int  # contracts at 85-100% of it


# `small` is one agency workspace; its tiny second workspace only gives two of its managers a
# second workspace, as WebWork users often have.
SCALES = {
    "small": Scale(
        "small",
        8,
        (
            WorkspacePlan("Acme Studio", "Europe/Berlin", "EUR", 15, 5),
            WorkspacePlan("Acme Product Lab", "America/New_York", "USD", 4, 1),
        ),
        running_trackers=3,
        over_limit=1,
        near_limit=2,
    ),
    "medium": Scale(
        "medium",
        13,
        (
            WorkspacePlan("Acme Studio", "Europe/Berlin", "EUR", 90, 24),
            WorkspacePlan("Acme Product Lab", "America/New_York", "USD", 60, 16),
        ),
        running_trackers=8,
        over_limit=3,
        near_limit=5,
    ),
    "large": Scale(
        "large",
        26,
        (
            WorkspacePlan("Acme Studio", "Europe/Berlin", "EUR", 260, 80),
            WorkspacePlan("Acme Product Lab", "America/New_York", "USD", 140, 40),
            WorkspacePlan("Acme Studio Lisbon", "Europe/Lisbon", "EUR", 100, 30),
        ),
        running_trackers=20,
        over_limit=8,
        near_limit=12,
    ),
}


def email_part(name):
    """`José` -> `jose`: the ASCII form of a name for an email address."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_name.lower() if ch.isalnum())


def local_moment(day, minutes, zone):
    """The UTC datetime `minutes` after local midnight of `day` in `zone`."""
    naive = datetime.combine(day, time.min) + timedelta(minutes=minutes)
    return naive.replace(tzinfo=zone).astimezone(UTC)


class BulkWriter:
    """Buffers the many rows of the timeline and inserts them in batches, parents first."""

    ORDER = (TimeEntry, TimeRequest, Timesheet, LeaveRequest, Expense)

    def __init__(self, batch_size=BATCH_SIZE):
        self.batch_size = batch_size
        self.buffers = defaultdict(list)
        self.pending = 0
        self.counts = Counter()

    def add(self, obj):
        self.buffers[type(obj)].append(obj)
        self.pending += 1
        if self.pending >= self.batch_size:
            self.flush()

    def flush(self):
        for model in self.ORDER:
            rows = self.buffers.pop(model, None)
            if rows:
                model.objects.using(DB).bulk_create(rows, batch_size=self.batch_size)
                self.counts[model] += len(rows)
        self.pending = 0


@dataclass
class Context:
    """The seeded Random, the moment the world is seeded at, and its calendar."""

    scale: Scale
    seed: int
    now: datetime
    rng: random.Random = field(init=False)
    zone: ZoneInfo = field(init=False)
    today: date = field(init=False)
    weeks: list = field(init=False)  # Mondays, oldest first; the last is this week
    writer: BulkWriter = field(default_factory=BulkWriter)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.now = self.now.astimezone(UTC).replace(microsecond=0)
        self.zone = ZoneInfo(self.scale.workspaces[0].timezone)
        self.today = self.now.astimezone(self.zone).date()
        this_week = week_start(self.today)
        self.weeks = [this_week - timedelta(weeks=n) for n in range(self.scale.weeks - 1, -1, -1)]

    @property
    def range_start(self):
        return self.weeks[0]

    @property
    def this_week(self):
        return self.weeks[-1]

    @property
    def last_week(self):
        return self.weeks[-2]

    def uuid(self):
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def chance(self, probability):
        return self.rng.random() < probability

    def weekdays(self, first, last):
        """The Monday..Friday dates from first to last, both included."""
        days, day = [], first
        while day <= last:
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
        return days

    def at(self, day, hour, minute=0, zone=None):
        """An aware UTC moment at local hour:minute of `day`."""
        return local_moment(day, hour * 60 + minute, zone or self.zone)

    def past(self, moment, *, margin=timedelta(minutes=5)):
        """`moment`, or just before now when it would lie in the future."""
        return min(moment, self.now - margin)
