"""Structured logs: every line carries the request id and the workspace; tokens never.

* `log_context(workspace=..., request_id=...)` binds the ids for a block (a task, a request);
  `log_workspace_set(workspace)` binds the workspace until the block around it ends (a view that
  resolved one). Both live in context variables, so threads and tasks never see another's ids.
* `LogContextFilter` copies them onto every record (`request_id`, `workspace`; "-" when none);
  `RedactSecretsFilter` blanks bearer tokens, Authorization headers, `access_token`,
  `refresh_token`, `client_secret`, webhook tokens, passwords and `code=` values in the message,
  its arguments, the traceback and gunicorn's access atoms.
* `JsonFormatter` writes one JSON object a line (production); `TextFormatter` a readable line
  (DEBUG and tests). `logging_config()` is the dictConfig both Django (settings LOGGING) and
  gunicorn (deploy/gunicorn.conf.py) use, so every process's lines look alike.

Nothing here imports Django: gunicorn's master process uses it before Django is set up.
"""

import contextvars
import copy
import json
import logging
import re
import uuid
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

NONE = "-"
REQUEST_ID_HEADER = "X-Request-ID"
# The WSGI environ keys the request middleware leaves for gunicorn's access line (written after
# the response, outside the request's context): `%({clockroom.request_id}e)s`.
ENVIRON_REQUEST_ID = "clockroom.request_id"
ENVIRON_WORKSPACE = "clockroom.workspace"

request_id_var = contextvars.ContextVar("clockroom_request_id", default=NONE)
workspace_var = contextvars.ContextVar("clockroom_workspace", default=NONE)

# An incoming X-Request-ID is kept when it is 8 to 128 of these characters (a UUID, nginx's
# $request_id, a load balancer's trace id); anything else is replaced by a new one, so a client
# cannot write arbitrary text (newlines, quotes, a megabyte) into every log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")


def request_id_new():
    return uuid.uuid4().hex


def request_id_from(value):
    """`value` (an X-Request-ID header) when it is well-formed, else a new request id."""
    if isinstance(value, str) and _REQUEST_ID.fullmatch(value):
        return value
    return request_id_new()


def workspace_label(workspace):
    """How a workspace reads in the logs: its WebWork id (the id in its pages' URLs)."""
    if workspace is None:
        return NONE
    return str(getattr(workspace, "webwork_id", workspace))


def log_workspace_set(workspace):
    """Every line logged from here on in this context names `workspace` (until the enclosing
    `log_context` or request ends)."""
    workspace_var.set(workspace_label(workspace))


@contextmanager
def log_context(*, workspace=None, request_id=None):
    """Lines logged inside the block carry `workspace` ("-" when not given) and `request_id` (when
    given); the ids bound before the block are back after it, even when it raises."""
    tokens = []
    if request_id is not None:
        tokens.append((request_id_var, request_id_var.set(str(request_id))))
    # Set last, reset first: a workspace bound inside the block (log_workspace_set) ends with it.
    tokens.append((workspace_var, workspace_var.set(workspace_label(workspace))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


# --- redaction -----------------------------------------------------------------------

REDACTED = "[redacted]"
# A secret's value (not one already redacted: redacting twice changes nothing).
_VALUE = r"(?!\[redacted\])[^\s\"'&,;)}\]]+"
_SECRET_PATTERNS = [
    # Authorization headers in any spelling: `Authorization: Bearer x`, `'Authorization': 'Basic x'`,
    # `HTTP_AUTHORIZATION=x`; the scheme and the credentials go.
    re.compile(rf"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:[A-Za-z]+\s+)?{_VALUE}"),
    # A bearer token anywhere else (`Bearer x` in an error message).
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*(?![A-Za-z0-9\-._~+/=])"),
    # key=value, key: value, "key": "value" of the OAuth and webhook secrets.
    re.compile(
        r"(?i)((?<![A-Za-z0-9_-])(?:access_token|refresh_token|id_token|client_secret|webhook_token"
        rf"|x-webhook-token|token|password)[\"']?\s*[:=]\s*[\"']?){_VALUE}"
    ),
    # The OAuth callback's authorization code: `?code=...&state=...`.
    re.compile(rf"((?<![A-Za-z0-9_-])code=){_VALUE}"),
]


def redact(text):
    """`text` with every token, secret and authorization code replaced by [redacted]."""
    if not isinstance(text, str) or not text:
        return text
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Blanks secrets in a record before any handler writes it: the message with its arguments,
    a mapping of arguments (gunicorn's access atoms), the traceback and the stack."""

    _exceptions = logging.Formatter()

    def filter(self, record):
        try:
            self._redact(record)
        except Exception:  # a broken record is the formatter's to report, never the caller's
            return True
        return True

    def _redact(self, record):
        args = record.args
        if isinstance(args, Mapping) and args:
            # gunicorn logs its access line as `format % atoms`; keep the atoms (the JSON
            # formatter reads them), redacted in a copy of their own type.
            clean = copy.copy(args)
            for key, value in args.items():
                if isinstance(value, str):
                    dict.__setitem__(clean, key, redact(value))
            record.args = clean
        # Whatever is left (a dict or an object given for `%s`): the message as it will read.
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exceptions.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)


class LogContextFilter(logging.Filter):
    """Puts `request_id` and `workspace` on every record (unless the call gave its own in `extra`).

    gunicorn's access line is written after the response, when the request's context is gone:
    its ids come from the WSGI environ the request middleware filled."""

    def filter(self, record):
        args = record.args
        if record.name == "gunicorn.access" and isinstance(args, Mapping):
            record.request_id = dict.get(args, f"{{{ENVIRON_REQUEST_ID}}}e") or NONE
            record.workspace = dict.get(args, f"{{{ENVIRON_WORKSPACE}}}e") or NONE
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "workspace"):
            record.workspace = workspace_var.get()
        return True


# --- formatters ----------------------------------------------------------------------

# gunicorn's access atoms that become fields of a JSON access line.
ACCESS_FIELDS = {
    "remote_addr": "h",
    "forwarded_for": "{x-forwarded-for}i",
    "method": "m",
    "path": "U",
    "query": "q",
    "status": "s",
    "bytes": "B",
    "duration_ms": "M",
    "referer": "f",
    "user_agent": "a",
}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id,
    workspace, process; `exception` with the traceback; `http` on gunicorn's access lines."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NONE),
            "workspace": getattr(record, "workspace", NONE),
            "process": record.process,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            entry["http"] = self._access(record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)

    @staticmethod
    def _access(atoms):
        fields = {}
        for name, atom in ACCESS_FIELDS.items():
            value = dict.get(atoms, atom)
            if value in (None, "", "-"):
                continue
            if isinstance(value, str):
                value = value.replace('\\"', '"')  # gunicorn escapes quotes for its text line
            if name == "status":
                value = int(value) if str(value).isdigit() else value
            fields[name] = value
        return fields


class TextFormatter(logging.Formatter):
    """A readable line: time, level, logger, [request id, workspace], message."""

    def __init__(self, fmt=None, datefmt=None, style="%", validate=True, **kwargs):
        fmt = fmt or "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s ws=%(workspace)s] %(message)s"
        super().__init__(
            fmt, datefmt, style, validate, defaults={"request_id": NONE, "workspace": NONE}, **kwargs
        )


LOG_FORMATS = ("json", "text")


def log_format(value, *, debug):
    """The log format asked for (DJANGO_LOG_FORMAT), else json in production and text with DEBUG."""
    value = (value or "").strip().lower()
    if not value:
        return "text" if debug else "json"
    if value not in LOG_FORMATS:
        raise ValueError(f"DJANGO_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {value!r}.")
    return value


def logging_config(*, fmt, level="INFO", gunicorn=False):
    """The dictConfig for `fmt` ("json" or "text"): one console handler (stderr) with the context
    and redaction filters. With `gunicorn`, its error and access loggers write through it too."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"Unknown log format {fmt!r}.")
    level = (level or "INFO").upper()
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "config.logs.LogContextFilter"},
            "redact": {"()": "config.logs.RedactSecretsFilter"},
        },
        "formatters": {
            "json": {"()": "config.logs.JsonFormatter"},
            "text": {"()": "config.logs.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": fmt,
                # Context first: redaction then sees the final record.
                "filters": ["context", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # httpx logs every request URL at INFO; keep it quiet.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }
    if gunicorn:
        config["loggers"].update(
            {
                "gunicorn.error": {"level": level, "handlers": ["console"], "propagate": False},
                "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
            }
        )
    return config
