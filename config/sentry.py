"""The error tracker: Sentry, only when SENTRY_DSN is set; off (and never imported) otherwise.

Called once from the settings, so the web processes and the django-q2 workers alike report:
unhandled errors of the pages (the Django integration) and every line logged at ERROR, which is
how a failed task or sync step shows (Sentry's logging integration, on by default). No personal
data is sent (no user, cookies, headers or bodies), and the same redaction as the logs runs on
every event and breadcrumb before it leaves (config/logs.py).
"""

from .logs import redact


def sentry_init(*, dsn, release="", environment="production", traces_sample_rate=0.0):
    """Start Sentry when `dsn` is set. Returns whether it was started."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        release=release or None,
        environment=environment or None,
        traces_sample_rate=traces_sample_rate,
        before_send=event_redact,
        before_breadcrumb=breadcrumb_redact,
    )
    return True


def event_redact(event, hint=None):
    """The event with tokens blanked in its message, exception values and request URL parts."""
    logentry = event.get("logentry") or {}
    for key in ("message", "formatted"):
        if isinstance(logentry.get(key), str):
            logentry[key] = redact(logentry[key])
    if isinstance(logentry.get("params"), list):
        logentry["params"] = [redact(p) if isinstance(p, str) else p for p in logentry["params"]]
    if isinstance(event.get("message"), str):
        event["message"] = redact(event["message"])
    for value in (event.get("exception") or {}).get("values") or []:
        if isinstance(value.get("value"), str):
            value["value"] = redact(value["value"])
    request = event.get("request") or {}
    for key in ("url", "query_string"):
        if isinstance(request.get(key), str):
            request[key] = redact(request[key])
    return event


def breadcrumb_redact(crumb, hint=None):
    if isinstance(crumb.get("message"), str):
        crumb["message"] = redact(crumb["message"])
    data = crumb.get("data")
    if isinstance(data, dict):
        for key in ("url", "http.query"):
            if isinstance(data.get(key), str):
                data[key] = redact(data[key])
    return crumb
