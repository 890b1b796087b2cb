"""Helpers shared by the integration tests: Acme's local time, the dates the fixtures use, and
the sandbox's faults switched on mid-run."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from django.utils import timezone

from integrations.sandbox import models as sandbox
from integrations.sandbox.tokens import access_token_issue

BERLIN = ZoneInfo("Europe/Berlin")  # Acme's time zone
YEAR = timezone.localdate().year


def berlin_today():
    return timezone.now().astimezone(BERLIN).date()


def at(day, hour, minute=0):
    """`day` at `hour`:`minute` in Acme's time zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def days_ago(days, hour=9):
    """`hour` o'clock `days` days before today, in Acme's time zone."""
    return at(berlin_today() - timedelta(days=days), hour)


def weekday(week, number=1):
    """Monday (1) to Friday (5) of an ISO week of this year: leaves whose working days are known."""
    return date.fromisocalendar(YEAR, week, number)


def status_at_webwork(obj):
    """The status the sandbox holds now for `obj` (a sandbox row)."""
    obj.refresh_from_db()
    return obj.status


def faults_from_request(user, number):
    """A token source that switches the sandbox's 500s on from the `number`th request."""
    raw, _ = access_token_issue(user=user)
    sent = 0

    def get_token():
        nonlocal sent
        sent += 1
        if sent == number:
            sandbox.FaultSettings.objects.update_or_create(pk=1, defaults={"server_error_rate": 1.0})
        return raw

    return get_token


def faults_on_requests(user, numbers):
    """A token source that makes the sandbox answer 500 to exactly the requests numbered `numbers`
    (counting from 1; use a client with max_retries=0 so that each try is one request)."""
    raw, _ = access_token_issue(user=user)
    failing = set(numbers)
    sent = 0

    def get_token():
        nonlocal sent
        sent += 1
        rate = 1.0 if sent in failing else 0.0
        sandbox.FaultSettings.objects.update_or_create(pk=1, defaults={"server_error_rate": rate})
        return raw

    return get_token


class FaultsFrom(httpx.BaseTransport):
    """The wire to the sandbox that switches the sandbox's `fault` (FaultSettings fields) on just
    before its `number`th request: WebWork breaking down mid-sync. Set it as the seam
    (`settings.WEBWORK_HTTP_TRANSPORT = FaultsFrom(sandbox_transport, 6, {...})`)."""

    def __init__(self, wire, number, fault):
        self.wire, self.number, self.fault = wire, number, fault
        self.sent = 0

    def handle_request(self, request):
        self.sent += 1
        if self.sent == self.number:
            sandbox.FaultSettings.objects.update_or_create(pk=1, defaults=self.fault)
        return self.wire.handle_request(request)


class CountingWire(httpx.BaseTransport):
    """The wire to the sandbox, counting the requests every client sent through it (`sent`)."""

    def __init__(self, wire):
        self.wire = wire
        self.sent = 0

    def handle_request(self, request):
        self.sent += 1
        return self.wire.handle_request(request)


def queued_tasks():
    """The tasks waiting in django-q2's queue (dicts with func, args ...), on the ORM or the Redis broker."""
    from django_q.brokers import get_broker
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    broker = get_broker()
    if hasattr(broker.connection, "lrange"):  # Redis
        payloads = [p.decode() for p in broker.connection.lrange(broker.list_key, 0, -1)]
    else:
        payloads = list(OrmQ.objects.filter(key=broker.list_key).values_list("payload", flat=True))
    return [SignedPackage.loads(payload) for payload in payloads]


def queue_purge():
    from django_q.brokers import get_broker

    get_broker().purge_queue()
