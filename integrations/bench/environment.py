"""Where the benchmarks run: throwaway databases, the settings of a run, HTTP into this Django.

* `throwaway_databases()` makes fresh databases for every alias the way the test runner does
  (`setup_databases`): SQLite files (the configured test names, else var/bench_<alias>.sqlite3)
  or PostgreSQL databases (the configured test names, else `test_<name>_bench`, apart from the
  test suite's), and drops them afterwards. The developer's data is never read or written.
* `run_settings()` sets the client's limiter and the sandbox's limit to the same rate and window,
  and runs Django as in production (DEBUG off: no query log growing with every request).
* `in_process_transport()` is httpx speaking WSGI to this Django, which serves the sandbox.
"""

import contextlib
import logging
from pathlib import Path

import httpx
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connections
from django.test.utils import override_settings, setup_databases, teardown_databases

HOST = "testserver"
SANDBOX_API = f"https://{HOST}/sandbox/api/v2"
ALIASES = ("default", "sandbox")


class BenchSetupError(Exception):
    """The bench cannot run here; the message says what to do."""


def sandbox_required():
    """Refuse when the sandbox is not mounted: the sync benchmarks talk to it over HTTP."""
    if not settings.WEBWORK_SANDBOX:
        raise BenchSetupError(
            "The bench syncs against the embedded WebWork sandbox, which is off in these settings. "
            "Run it with the sandbox on: `DJANGO_DEBUG=1 python manage.py bench ...` "
            "(or WEBWORK_SANDBOX=1)."
        )


def _sqlite(settings_dict):
    return settings_dict["ENGINE"] == "django.db.backends.sqlite3"


def _prepare_test_names():
    """SQLite would make in-memory test databases unless told otherwise: use files, as a server
    does. PostgreSQL: a name of the bench's own. Refuse a test database that is the developer's own."""
    for alias in ALIASES:
        settings_dict = connections[alias].settings_dict
        test = settings_dict.setdefault("TEST", {})
        if _sqlite(settings_dict):
            if not test.get("NAME") or str(test["NAME"]).startswith(("file:", ":memory:")):
                Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
                test["NAME"] = str(Path(settings.VAR_DIR) / f"bench_{alias}.sqlite3")
            if str(test["NAME"]) == str(settings_dict["NAME"]):
                raise BenchSetupError(
                    f"The test database of {alias!r} is its real database ({settings_dict['NAME']}); "
                    "the bench runs only on throwaway databases."
                )
        else:
            if not test.get("NAME"):
                # Not the test runner's test_<name>, which a test suite may be using right now.
                test["NAME"] = f"test_{settings_dict['NAME']}_bench"
            if test["NAME"] == settings_dict["NAME"]:
                raise BenchSetupError(
                    f"The test database of {alias!r} is its real database; the bench runs only on "
                    "throwaway databases."
                )


@contextlib.contextmanager
def throwaway_databases():
    """Fresh, migrated databases for every alias while the block runs; dropped afterwards."""
    _prepare_test_names()
    old_config = setup_databases(
        verbosity=0, interactive=False, aliases=set(ALIASES), serialized_aliases=set()
    )
    names = {alias: str(connections[alias].settings_dict["NAME"]) for alias in ALIASES}
    try:
        yield names
    finally:
        teardown_databases(old_config, verbosity=0)
        for alias, name in names.items():
            if _sqlite(connections[alias].settings_dict) or name.endswith(".sqlite3"):
                for suffix in ("-wal", "-shm"):
                    Path(name + suffix).unlink(missing_ok=True)


def run_settings(*, rate, window):
    """The client's limiter and the sandbox's limit both at `rate` requests per `window` seconds."""
    return override_settings(
        DEBUG=False,
        ALLOWED_HOSTS=[HOST],
        WEBWORK_RATE_LIMIT_PER_MINUTE=rate,
        WEBWORK_RATE_LIMIT_PERIOD_SECONDS=window,
        SANDBOX_RATE_LIMIT_PER_MINUTE=rate,
        SANDBOX_RATE_LIMIT_WINDOW_SECONDS=window,
    )


@contextlib.contextmanager
def in_process_transport(transport=None):
    """httpx's WSGI transport into this Django (or `transport`, wrapping it), for the seam every
    WebWorkClient takes its wire from (WEBWORK_HTTP_TRANSPORT; see `in_process_wire`).

    As two servers would, the sandbox's requests leave the client side's database connections
    alone (a request otherwise closes them at its end, even mid-transaction, since both sides
    share this thread)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield transport or httpx.WSGITransport(app=get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@contextlib.contextmanager
def in_process_wire(api_base_url=SANDBOX_API, transport=None):
    """Every WebWorkClient made meanwhile reaches the sandbox in this process. Yields the transport."""
    with (
        in_process_transport(transport) as wire,
        override_settings(WEBWORK_HTTP_TRANSPORT=wire, WEBWORK_API_BASE_URL=api_base_url),
    ):
        yield wire


@contextlib.contextmanager
def quiet_queue_log():
    """django-q2 logs every task it queues at INFO (a webhook delivery, a first sync): not what is
    measured, and a terminal's speed would be."""
    queue_logger = logging.getLogger("django-q")
    level = queue_logger.level
    queue_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        queue_logger.setLevel(level)
