"""Tracked time, counted one way on every page that shows it (the overview, people, projects,
contracts), so that their figures agree by construction.

The rules (the overview's, `overview.hours_for_workspace`, where they were first written):

- A week is the workspace's: it starts on Monday, in the workspace's time zone; "today" is the
  workspace's today. A month likewise starts on its first day.
- An entry counts on its date (the day WebWork files it under).
- A closed entry counts its minutes as WebWork gives them.
- An open entry of this week is a tracker running now: it counts from its start up to `now`.
- An open entry of an earlier week is not running now (the mirror has not seen it stopped): it
  counts the minutes WebWork last gave.

Two ways to read them, with the same result: `minutes_by` for the figures of several rows (or of
the whole workspace) in one or more periods (two queries); and, for a page whose rows come with
their figures in one query, `tracked_subquery` in that query plus `running_minutes_by` for the
page's rows (one more query).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.models import TimeEntry


@dataclass(frozen=True)
class Week:
    """The workspace's current week up to today, in its time zone, and the moment it is now."""

    start: date
    today: date
    now: object

    @property
    def end(self):
        return self.start + timedelta(days=6)


def week_for_workspace(*, workspace, now=None, today=None) -> Week:
    """The workspace's week at `now` (the workspace's `today` unless given)."""
    now = now or timezone.now()
    today = today or workspace.today(now)
    return Week(start=workspace.week_start(today), today=today, now=now)


def running_minutes(start_time, now):
    """Minutes of a tracker running since `start_time`, up to `now`."""
    return max(0, int((now - start_time).total_seconds() // 60))


def _days(first=None, last=None):
    days = Q()
    if first is not None:
        days &= Q(date__gte=first)
    if last is not None:
        days &= Q(date__lte=last)
    return days


def counted_as_given(week):
    """The entries whose minutes count as WebWork gives them: closed ones, and those of earlier
    weeks (the open entries of this week count up to now instead)."""
    return Q(end_time__isnull=False) | Q(date__lt=week.start)


def running_now(week):
    """The open entries of this week: trackers running now."""
    return Q(end_time__isnull=True, date__gte=week.start)


def given_minutes(week, first=None, last=None, also=None):
    """The sum of the minutes of entries counted as WebWork gives them, dated `first` to `last`
    (either open), and matching `also` (a Q) when given: an aggregate for `.aggregate()` or a
    grouped `.annotate()`. Add the running trackers (`running_entries`) for the whole figure."""
    return Sum("duration_minutes", filter=counted_as_given(week) & _days(first, last) & (also or Q()))


def tracked_subquery(entries, week, first=None, last=None):
    """For rows read in one query: the minutes of `entries` (correlated with the outer row through
    an OuterRef) counted as given, dated `first` to `last`, 0 for none. Add `running_minutes_by`."""
    summed = (
        entries.filter(counted_as_given(week), _days(first, last))
        .order_by()
        .values("workspace")
        .annotate(total=Sum("duration_minutes"))
        .values("total")
    )
    return Coalesce(Subquery(summed, output_field=IntegerField()), 0)


def running_entries(entries, week, *fields):
    """The trackers running now among `entries`: (each of `fields`..., date, minutes up to now).
    One query."""
    rows = entries.filter(running_now(week)).values_list(*fields, "date", "start_time")
    return [(*values, day, running_minutes(start, week.now)) for *values, day, start in rows]


def running_minutes_by(entries, key, week):
    """{value of `key`: minutes} of the trackers running now among `entries`, each up to now.
    One query."""
    totals = {}
    for value, _day, minutes in running_entries(entries, week, key):
        totals[value] = totals.get(value, 0) + minutes
    return totals


def minutes_by(entries, week, periods, *, key=None):
    """The minutes tracked among `entries` in each of `periods` ({name: (first day, last day)}):
    {value of `key`: {name: minutes}} (a value only when it has entries in the periods), or
    {name: minutes} for all of `entries` when `key` is None. Two queries."""
    first = min(days[0] for days in periods.values())
    last = max(days[1] for days in periods.values())
    entries = entries.filter(date__gte=first, date__lte=last)
    sums = {f"minutes_{name}": given_minutes(week, *days) for name, days in periods.items()}
    if key is None:
        given = {None: entries.aggregate(**sums)}
    else:
        given = {row[key]: row for row in entries.order_by().values(key).annotate(**sums)}
    totals = {value: {name: row[f"minutes_{name}"] or 0 for name in periods} for value, row in given.items()}
    for *value, day, minutes in running_entries(entries, week, *([] if key is None else [key])):
        figures = totals.setdefault(value[0] if value else None, dict.fromkeys(periods, 0))
        for name, (start, end) in periods.items():
            if start <= day <= end:
                figures[name] += minutes
    return totals[None] if key is None else totals


def week_minutes_by(entries, week, key):
    """{value of `key`: minutes tracked this week so far} among `entries`. Two queries."""
    figures = minutes_by(entries, week, {"week": (week.start, week.today)}, key=key)
    return {value: minutes["week"] for value, minutes in figures.items()}


def contracts_with_week_minutes(contracts, *, workspace, week):
    """`contracts` (a queryset of the workspace's contracts) as a list, each with `week_minutes`,
    the time tracked on it this week so far. Two queries."""
    entries = TimeEntry.objects.current().filter(workspace=workspace)
    given = tracked_subquery(entries.filter(contract=OuterRef("pk")), week, week.start, week.today)
    found = list(contracts.annotate(given_week_minutes=given))
    running = {}
    if found:
        running = running_minutes_by(entries.filter(contract__in=[c.pk for c in found]), "contract", week)
    for contract in found:
        contract.week_minutes = contract.given_week_minutes + running.get(contract.pk, 0)
    return found
