"""How every page writes durations, hours, names and times: one place, so pages agree."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.timesince import timesince

from dashboard.selectors.frame import RESOURCE_WORDS

register = template.Library()

PLACEHOLDER_EMAIL_DOMAIN = "@users.webwork.invalid"  # a WebWork account without an email


@register.filter
def duration(minutes):
    """Minutes as hours and minutes, the way every page writes a duration: `7 h 05 min`,
    `45 min`, `0 min`; a negative duration keeps its sign (`-1 h 30 min`)."""
    if minutes in (None, ""):
        return ""
    try:
        total = round(float(minutes))
    except (TypeError, ValueError):
        return ""
    sign = "-" if total < 0 else ""
    hours, mins = divmod(abs(total), 60)
    if not hours:
        return f"{sign}{mins} min"
    return f"{sign}{hours} h {mins:02d} min"


@register.filter
def decimal_hours(minutes):
    """Minutes as decimal hours with two places (`7.08`), as exports write them."""
    if minutes in (None, ""):
        return ""
    return str((Decimal(int(minutes)) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@register.filter
def percent_of(part, whole):
    """`part` as a whole percentage of `whole` (0 when `whole` is 0 or missing)."""
    try:
        return round(100 * float(part) / float(whole)) if whole else 0
    except (TypeError, ValueError):
        return 0


@register.filter
def user_name(user):
    """A signed-in manager as people read them: their name, else their email, else their
    WebWork account (never the stand-in address of an account without an email)."""
    if user is None:
        return "Someone"
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    if name:
        return name
    email = getattr(user, "email", "") or ""
    if email and not email.endswith(PLACEHOLDER_EMAIL_DOMAIN):
        return email
    username = getattr(user, "username", "") or ""
    if username.startswith("webwork-"):
        return f"WebWork user {username.removeprefix('webwork-')}"
    return username or "Someone"


@register.filter
def ago(moment):
    """`2 min ago`, `just now`: how long ago `moment` was, in the largest unit that matters."""
    if not moment:
        return ""
    seconds = (timezone.now() - moment).total_seconds()
    if seconds < 60:
        return "just now"
    return f"{timesince(moment, depth=1)} ago".replace("minutes", "min").replace("minute", "min")


@register.filter
def urlencode_dict(pairs):
    """A dict as a query string (`actor=3&from=2026-12-01`), for links that keep the filters."""
    return urlencode(pairs or {})


@register.filter
def resource_words(resource):
    """A synced resource in a manager's words: `leave_requests` -> `leaves`."""
    return RESOURCE_WORDS.get(resource, str(resource).replace("_", " "))
