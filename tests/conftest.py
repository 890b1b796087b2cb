import os

import pytest

# The live server and Playwright's sync API share a thread with Django's ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright must never download a browser of its own."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(autouse=True)
def _redis_queue_starts_empty():
    """With the Redis broker, django-q2's queue lives outside the test database and its rollback:
    every test starts with it empty, as it does with the ORM broker."""
    from django_q.conf import Conf

    if Conf.ORM is None and Conf.REDIS:
        from django_q.brokers import get_broker

        get_broker().purge_queue()
