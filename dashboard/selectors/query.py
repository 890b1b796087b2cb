"""Reading a query string's ids and days: what a mistyped, made-up or hostile value becomes.

A filter reads only what it can use; anything else is ignored, as if it had not been given (the
page shows without that filter), never an error.
"""

from datetime import date

from django.utils.dateparse import parse_date

# WebWork's ids are 64-bit integers; a longer number names nothing (and the database refuses it).
WEBWORK_ID_MAX = 2**63 - 1
# The days a report or a filter may name. Further out there is no tracked time, and a period at
# the calendar's very ends would overflow the arithmetic of its weeks and months.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def webwork_id_from_query(value) -> str:
    """`value` when it is a WebWork id (ASCII digits, at most a 64-bit integer), else ""."""
    value = str(value or "").strip()
    if value.isascii() and value.isdigit() and int(value) <= WEBWORK_ID_MAX:
        return value
    return ""


def day_from_query(value) -> date | None:
    """The day `value` names (YYYY-MM-DD) between FIRST_DAY and LAST_DAY, else None."""
    try:
        day = parse_date(str(value)) if value else None
    except ValueError:
        return None
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None
