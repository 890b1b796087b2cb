"""The django-q2 schedules of the WebWork syncs, created idempotently by name.

`schedules_ensure()` runs after every `migrate` (a post_migrate receiver, see apps.py), so a
deployment gets its schedules from the step it already runs, and a changed interval here is
applied in place on the next deploy. A schedule is found by its name (django-q2's names are
not unique): it is updated in place, duplicates left by hand are deleted, and its next run is
kept. A new schedule's first run is one interval from now. Missed runs are not replayed
(Q_CLUSTER catch_up is False).

* every minute: the front of every workspace that can sync (the approval queues, who is working
  now and recent expenses), one short task each, least recently refreshed first, so none is more
  than about a minute old;
* every 15 minutes: who is working now and the recent window (the time entries of the last
  WEBWORK_RECENT_DAYS days, recent timesheets, leave balances, recent expenses, time requests
  and leaves), so late edits, approvals and deletions at WebWork show within the cycle;
* hourly: everything but the history (people, projects, contracts, tasks, and the above);
* nightly: a full reconcile, history included;

The 15-minute, hourly and nightly schedules only mark those syncs queued; they take turns through
a few slots (sync/scheduler.py), so hundreds of workspaces never pile long tasks in front of the
1-minute ones. Every one of those syncs also retries what an earlier sync owes (see sync/owed.py).
* every 10 minutes: webhook deliveries still waiting after 10 minutes are queued again (their
  task was lost, e.g. with a worker).
"""

from datetime import datetime, time, timedelta

from django.db import connections, router, transaction
from django.utils import timezone
from django_q.models import Schedule

from .sync.orchestrator import FRONT_EVERY

NIGHTLY_AT = time(2, 30)  # in TIME_ZONE

SCHEDULES = (
    {
        "name": "WebWork sync: approval queues",
        "func": "integrations.tasks.sync_queues_all_task",
        "schedule_type": Schedule.MINUTES,
        "minutes": int(FRONT_EVERY.total_seconds() // 60),  # the front's cycle, as a sync reckons it
    },
    {
        "name": "WebWork sync: recent weeks",
        "func": "integrations.tasks.sync_recent_all_task",
        "schedule_type": Schedule.MINUTES,
        "minutes": 15,
    },
    {
        "name": "WebWork sync: hourly refresh",
        "func": "integrations.tasks.sync_incremental_all_task",
        "schedule_type": Schedule.HOURLY,
        "minutes": None,
    },
    {
        "name": "WebWork sync: nightly reconcile",
        "func": "integrations.tasks.reconcile_all_task",
        "schedule_type": Schedule.DAILY,
        "minutes": None,
    },
    {
        "name": "WebWork webhooks: requeue stale deliveries",
        "func": "integrations.webhooks.tasks.requeue_stale_webhook_deliveries_task",
        "schedule_type": Schedule.MINUTES,
        "minutes": 10,
    },
)


# Schedules of earlier versions, deleted by name.
RETIRED = ("WebWork sync: recent time entries",)


def _first_run(spec, now):
    if spec["schedule_type"] == Schedule.DAILY:
        local = timezone.localtime(now)
        at = timezone.make_aware(datetime.combine(local.date(), NIGHTLY_AT), local.tzinfo)
        return at if at > now else at + timedelta(days=1)
    if spec["schedule_type"] == Schedule.HOURLY:
        return now + timedelta(hours=1)
    return now + timedelta(minutes=spec["minutes"])


def schedules_ensure(using="default"):
    """Create or update the sync schedules. Returns the Schedule rows, in SCHEDULES order."""
    now = timezone.now()
    rows = []
    with transaction.atomic(using=using):
        Schedule.objects.using(using).filter(name__in=RETIRED).delete()
        for spec in SCHEDULES:
            found = list(Schedule.objects.using(using).filter(name=spec["name"]).order_by("pk"))
            schedule = found[0] if found else Schedule(name=spec["name"], next_run=_first_run(spec, now))
            for duplicate in found[1:]:
                duplicate.delete()
            schedule.func = spec["func"]
            schedule.schedule_type = spec["schedule_type"]
            schedule.minutes = spec["minutes"]
            schedule.repeats = -1
            schedule.args = None
            schedule.kwargs = None
            schedule.cluster = None
            schedule.save(using=using)
            rows.append(schedule)
    return rows


def schedules_ensure_after_migrate(sender, using="default", **kwargs):
    """post_migrate receiver: ensure the schedules in the database that holds django-q2's tables."""
    if not router.allow_migrate_model(using, Schedule):
        return
    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return  # django_q not migrated (yet) in this database
    schedules_ensure(using)
