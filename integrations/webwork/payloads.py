"""Reading WebWork's values: text, ids, numbers, moments, dates and time zones, as WebWork's
answers and webhook deliveries hold them (the two doc versions spell some differently).

Every reader takes whatever the payload holds and returns a value a mirror row can store, or None
(or "" for text) when the payload holds nothing usable: no reader raises on bad input.
"""

import re
from datetime import UTC, date
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

# In a Python string every surrogate code point stands alone (JSON's pairs decode to one character).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def text(value):
    """A string to store: "" for None; a lone surrogate (not valid Unicode, which no database
    column holds) becomes U+FFFD, and a NUL character (which PostgreSQL's text refuses) is dropped."""
    if value is None:
        return ""
    value = str(value)
    if not value.isascii():
        value = LONE_SURROGATE.sub("\ufffd", value)
    return value.replace("\x00", "")


def _unstorable_text(value):
    return "\x00" in value or (not value.isascii() and LONE_SURROGATE.search(value) is not None)


def unstorable(value):
    """Whether a payload holds text a database refuses (see `text`), in a key or a value."""
    if isinstance(value, str):
        return _unstorable_text(value)
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(unstorable(item) for item in value)
    return False


def storable(value):
    """A payload (for `raw`) with every string, keys included, made storable as `text` does."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


# WebWork's ids and counts are 64-bit integers; a number beyond is none a database column holds.
INTEGER_MAX = 2**63 - 1


def integer(value):
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float (1e999)
        return None
    return number if -INTEGER_MAX <= number <= INTEGER_MAX else None


def decimal(value):
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def moment(value):
    """An aware datetime from ISO-8601 (`Z`, an offset, or WebWork's `Y-m-d H:i:s`, taken as UTC).

    None when it is not one, names no real moment (`2026-02-30`, `T25:00`), or lies beyond what
    a database column holds once in UTC (`0001-01-01T00:00:00+01:00`).
    """
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        return None
    return parsed


def zone(name):
    """The ZoneInfo of a time zone name; UTC when it is empty or unknown."""
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(str(name)) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def today_in(workspace_tz, now=None):
    return (now or timezone.now()).astimezone(zone(workspace_tz)).date()


def calendar_day(value):
    if isinstance(value, date):
        return value
    if not value or not isinstance(value, str):
        return None
    try:
        return parse_date(value[:10])
    except ValueError:
        return None


def iso_day(day):
    """A date as a query parameter (None, left out, when not given)."""
    return day.isoformat() if day else None
