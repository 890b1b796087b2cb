"""Attendance of older dates, on demand: a manager asks, a django-q2 task reads WebWork.

The schedule keeps the attendance of the recent weeks (see sync/plan.py). A page that shows
older dates asks for them with `attendance_fetch()`, which records an `AttendanceFetch` and queues
`integrations.tasks.attendance_fetch_task` once the transaction commits; the task
(`attendance_fetch_run`) reads the daily-attendance report date by date (ceil(members / 100)
requests a date) into the mirror, counting its progress on the row, which the pages read to say
"fetching attendance for 1-14 Oct..." until it is done.

The window. WebWork documents no range for the daily-attendance report, and the sandbox answers
any date. Clockroom asks only for dates WebWork can have something to say about and that its
mirror keeps: from one year before the workspace's today (the daily timeline's window, which
bounds the mirror's history) up to today; a date to come has no attendance yet. One fetch covers
at most 31 dates (the longest range WebWork's by-day reports accept), 31 x ceil(members / 100)
requests: under a minute of the rate limit for up to 100 members.

A fetch already queued or running that covers the dates asked for is returned instead of a
second one. A fetch not finished within FETCH_GRACE of being asked for (its task lost, or its
worker killed) is taken as lost and may be asked for again.

The task does not take the workspace's sync lock: a long full sync would otherwise hold a
manager's fetch for minutes. Both write one date per transaction from WebWork's answer, and the
client's rate limiter is shared by every process, so running beside a sync is safe.
"""

import logging
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_q.tasks import async_task

from ..connections import workspace_client
from ..models import AttendanceFetch, Workspace
from ..models.attendance import days_words
from ..sync.attendance import sync_attendance
from ..sync.base import SyncContext
from ..sync.owed import PartsFailed
from ..webwork import errors
from .base import ServiceError

logger = logging.getLogger(__name__)

ATTENDANCE_FETCH_TASK = "integrations.tasks.attendance_fetch_task"
WINDOW_DAYS = 365  # how far back WebWork is asked (the daily timeline's year)
MAX_FETCH_DAYS = 31  # dates one fetch may cover
FETCH_GRACE = timedelta(minutes=10)  # a queued fetch older than this was lost with its task


def attendance_window(*, workspace, today=None) -> tuple[date, date]:
    """(first, last) date whose attendance may be asked for: a year back to today, in the
    workspace's calendar."""
    today = today or workspace.today()
    return today - timedelta(days=WINDOW_DAYS), today


def attendance_fetch_under_way(fetch, now=None):
    """Whether `fetch` is queued or running and not lost: a fetch whose task has not finished
    FETCH_GRACE after it was asked for is taken as lost with its worker."""
    return fetch.pending and fetch.requested_at >= (now or timezone.now()) - FETCH_GRACE


def attendance_fetch_pending(*, workspace, date_from, date_to, now=None):
    """The fetch queued or running (and not lost) that covers `date_from`..`date_to`, or None."""
    now = now or timezone.now()
    return (
        AttendanceFetch.objects.filter(workspace=workspace, date_from__lte=date_from, date_to__gte=date_to)
        .filter(
            status__in=(AttendanceFetch.Status.QUEUED, AttendanceFetch.Status.RUNNING),
            requested_at__gte=now - FETCH_GRACE,
        )
        .order_by("-requested_at")
        .first()
    )


def _checked_period(workspace, date_from, date_to):
    if not isinstance(date_from, date) or not isinstance(date_to, date):
        raise ServiceError(
            "Choose the first and the last date to fetch.",
            field_errors={"date_from": ["Enter a date."], "date_to": ["Enter a date."]},
        )
    if date_from > date_to:
        raise ServiceError(
            "The first date comes after the last one.",
            field_errors={"date_from": ["This date comes after the last one."]},
        )
    first, last = attendance_window(workspace=workspace)
    if date_to > last:
        raise ServiceError(
            f"WebWork has no attendance for dates to come; the last date it can give is today, "
            f"{days_words(last, last)}.",
            field_errors={"date_to": ["Choose today or an earlier date."]},
        )
    if date_from < first:
        raise ServiceError(
            f"Clockroom asks WebWork for the attendance of the last year only: from "
            f"{days_words(first, first)} on.",
            field_errors={"date_from": [f"Choose {first:%-d %b %Y} or a later date."]},
        )
    days = (date_to - date_from).days + 1
    if days > MAX_FETCH_DAYS:
        raise ServiceError(
            f"One fetch covers at most {MAX_FETCH_DAYS} days; {days_words(date_from, date_to)} is {days}. "
            "Choose a shorter period.",
            field_errors={"date_to": [f"At most {MAX_FETCH_DAYS} days after the first date."]},
        )


@transaction.atomic
def attendance_fetch(*, workspace, date_from, date_to, actor=None) -> AttendanceFetch:
    """Queue a read of the attendance of `date_from`..`date_to` (dates in the workspace's
    calendar) from WebWork into the mirror. Returns the AttendanceFetch, whose `status` the pages
    follow; one already queued or running that covers the dates is returned instead (nothing new
    is queued). `actor`: the Clockroom user who asked.

    Raises ServiceError (nothing queued) for a period outside the window (see the module's
    docstring), longer than MAX_FETCH_DAYS, or for a workspace Clockroom does not keep in sync.
    """
    _checked_period(workspace, date_from, date_to)
    # One at a time per workspace, so two pages asking at once queue one fetch.
    locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
    if not locked.is_connected:
        raise ServiceError(
            f"{workspace} is not connected, so Clockroom cannot ask WebWork for its attendance. "
            "Signing in with WebWork as one of its managers connects it.",
            kind="unavailable",
        )
    pending = attendance_fetch_pending(workspace=locked, date_from=date_from, date_to=date_to)
    if pending is not None:
        return pending
    fetch = AttendanceFetch.objects.create(
        workspace=locked,
        date_from=date_from,
        date_to=date_to,
        requested_by=actor if getattr(actor, "pk", None) else None,
    )
    transaction.on_commit(
        lambda: async_task(
            ATTENDANCE_FETCH_TASK,
            fetch.pk,
            task_name=f"attendance {date_from}..{date_to} of workspace {locked.pk}",
            group=f"attendance-fetch-{locked.pk}",
        )
    )
    return fetch


def _claim(fetch_id):
    """Mark the fetch running if it is still queued; False when another task has it (or had it)."""
    return bool(
        AttendanceFetch.objects.filter(pk=fetch_id, status=AttendanceFetch.Status.QUEUED).update(
            status=AttendanceFetch.Status.RUNNING, started_at=timezone.now()
        )
    )


def _finish(fetch_id, status, *, requests, error=""):
    AttendanceFetch.objects.filter(pk=fetch_id).update(
        status=status, finished_at=timezone.now(), requests=requests, error=error[:2000]
    )


def attendance_fetch_run(fetch_id) -> str:
    """What the task does: read the fetch's dates from WebWork into the mirror, one date per
    transaction, then mark the fetch done, or failed with the reason in a manager's words (the
    dates read before a failure stay read). Returns a line for the task's result."""
    fetch = AttendanceFetch.objects.select_related("workspace").filter(pk=fetch_id).first()
    if fetch is None:
        return f"Attendance fetch {fetch_id} no longer exists."
    if not _claim(fetch.pk):
        return f"Attendance fetch {fetch_id} was already run ({fetch.status})."
    workspace = fetch.workspace
    days = [fetch.date_from + timedelta(days=n) for n in range(fetch.days)]
    try:
        client = workspace_client(workspace)
    except Exception as exc:
        logger.warning("No WebWork client for the attendance of %s: %s", workspace, exc)
        _finish(
            fetch.pk,
            AttendanceFetch.Status.FAILED,
            requests=0,
            error="Clockroom has no working WebWork sign-in for this workspace. Sign in with WebWork again.",
        )
        return f"Attendance fetch {fetch_id}: no WebWork client."
    ctx = SyncContext(workspace=workspace, client=client)

    def on_date(day, stats):
        AttendanceFetch.objects.filter(pk=fetch.pk).update(
            dates_done=F("dates_done") + 1, requests=client.requests_made
        )

    words = days_words(fetch.date_from, fetch.date_to)
    try:
        sync_attendance(ctx, days, on_date=on_date)
    except PartsFailed as exc:
        failed = ", ".join(days_words(date.fromisoformat(d), date.fromisoformat(d)) for d in exc.failed)
        _finish(
            fetch.pk,
            AttendanceFetch.Status.FAILED,
            requests=client.requests_made,
            error=f"WebWork did not give the attendance of {failed}. Try again in a minute.",
        )
        return f"Attendance of {words}: {len(exc.failed)} of {len(days)} dates failed."
    except errors.AuthError:
        _finish(
            fetch.pk,
            AttendanceFetch.Status.FAILED,
            requests=client.requests_made,
            error="WebWork refused Clockroom's sign-in. Sign in with WebWork again, then try again.",
        )
        return f"Attendance of {words}: the sign-in was refused."
    except Exception:
        logger.exception("Fetching the attendance of %s in %s failed", words, workspace)
        _finish(
            fetch.pk,
            AttendanceFetch.Status.FAILED,
            requests=client.requests_made,
            error="Something went wrong while reading WebWork's answer. Try again in a minute.",
        )
        return f"Attendance of {words}: failed."
    finally:
        client.close()
    _finish(fetch.pk, AttendanceFetch.Status.DONE, requests=client.requests_made)
    return f"Attendance of {words}: {len(days)} dates in {client.requests_made} requests."
