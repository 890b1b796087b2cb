"""What the browser journeys share: Acme connected by its Owner, synced over HTTP, and the browser
signed in as the Owner, with every error of the page's console kept to be checked."""

from django.conf import settings as django_settings
from django.test import Client

from integrations.sync import orchestrator
from tests.dashboard.helpers import connected_by_owner


def duration(minutes):
    """Minutes as the pages write them: `7 h 05 min`, `40 min`."""
    hours, mins = divmod(minutes, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def sign_in_as_owner(world, page, live_webwork, *, first_name="", last_name=""):
    """Connect Acme by its Owner, sync it fully over HTTP and sign `page` in as the Owner (on
    `live_webwork`, not yet on any page). Returns the tenant and the list where every console
    error and page error of `page` lands from now on (none is expected)."""
    tenant, user = connected_by_owner(world, first_name=first_name, last_name=last_name)
    assert orchestrator.workspace_sync(tenant, kind="full").status == orchestrator.DONE
    signed_in = Client()
    signed_in.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": signed_in.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_webwork.url,
            }
        ]
    )
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return tenant, problems
