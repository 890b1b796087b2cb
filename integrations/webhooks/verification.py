"""Checking that a delivery comes from WebWork, and reading its body.

WebWork's delivery format is undocumented: the registration's token may come in the
`X-Webhook-Token` header or as `token` in the JSON body, so both are accepted. Tokens are compared
in constant time and never logged.
"""

import hmac
import json
import math

from ..webwork.payloads import moment, unstorable

TOKEN_HEADER = "X-Webhook-Token"  # noqa: S105 (a header name)
TOKEN_FIELD = "token"  # noqa: S105 (a field name)
MAX_BODY_BYTES = 256 * 1024
# WebWork's deliveries nest a few levels; a body far deeper is none (and would exhaust the stack of
# whatever reads it recursively).
MAX_DEPTH = 64


class BodyError(ValueError):
    """The body is not a JSON object. The message is fit to send back."""


def token_matches(expected, given) -> bool:
    """Whether `given` is the registration's token. No stored token (nothing registered) matches nothing."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass")
    )


def _refuse_constant(name):
    raise BodyError(f"The body holds {name}, which is not JSON.")


def _finite_float(literal):
    number = float(literal)
    if not math.isfinite(number):
        raise BodyError(f"The body holds the number {literal[:40]}, too large for any database.")
    return number


def body_parse(raw: bytes) -> dict:
    """The delivery's JSON object. Raises BodyError for anything else."""
    if not raw.strip():
        raise BodyError("The body is empty; a JSON object was expected.")
    try:
        payload = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except BodyError:
        raise
    except (ValueError, RecursionError) as exc:
        raise BodyError("The body is not valid JSON.") from exc
    if not isinstance(payload, dict):
        raise BodyError("The body must be a JSON object.")
    return payload


def body_check(payload: dict) -> dict:
    """The verified delivery, if Clockroom can store it: no text that is not valid Unicode nor a NUL
    character, and a `timestamp` (when given as text) that is a real date and time. Raises
    BodyError otherwise."""
    if _deeper_than(payload, MAX_DEPTH):
        raise BodyError(f"The body nests objects and arrays deeper than {MAX_DEPTH} levels.")
    if unstorable(payload):
        raise BodyError(
            "The body holds text no database stores: an unpaired surrogate (such as \\ud800), "
            "which is not valid Unicode, or a NUL character."
        )
    timestamp = payload.get("timestamp")
    if isinstance(timestamp, str) and timestamp.strip() and moment(timestamp) is None:
        raise BodyError(
            f"The timestamp {timestamp[:40]!r} is not a real date and time "
            "(expected ISO 8601, e.g. 2026-12-07T10:00:00Z)."
        )
    return payload


def _deeper_than(value, limit) -> bool:
    """Whether `value` nests dicts and lists more than `limit` levels (read without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def body_token(payload: dict):
    token = payload.get(TOKEN_FIELD)
    return token if isinstance(token, str) else None


def without_token(payload: dict) -> dict:
    """The body as stored: everything but the secret."""
    return {key: value for key, value in payload.items() if key != TOKEN_FIELD}
