"""The request id: read from X-Request-ID (when well-formed) or made, bound to every log line of
the request, answered in the response's X-Request-ID, and left in the WSGI environ for gunicorn's
access line with the workspace the view resolved (see config/logs.py).

The ids stay bound until the response is closed (`request_finished`, connected in config/apps.py),
not only while the middleware runs: Django logs a 4xx answer ("Not Found: /w/9/") after the
middleware has returned, and gunicorn writes its access line after that.
"""

from .logs import (
    ENVIRON_REQUEST_ID,
    ENVIRON_WORKSPACE,
    NONE,
    REQUEST_ID_HEADER,
    request_id_from,
    request_id_var,
    workspace_var,
)


class RequestIdMiddleware:
    """First in MIDDLEWARE, so even a redirect to HTTPS or a refused host carries the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        request.META[ENVIRON_REQUEST_ID] = request_id
        request_id_var.set(request_id)
        workspace_var.set(NONE)  # a view that resolves a workspace binds it (log_workspace_set)
        response = self.get_response(request)
        request.META[ENVIRON_WORKSPACE] = workspace_var.get()
        response[REQUEST_ID_HEADER] = request_id
        return response


def log_context_clear(**kwargs):
    """The request is over (its response closed): lines logged from now on belong to no request."""
    request_id_var.set(NONE)
    workspace_var.set(NONE)


NUL_REFUSED = (
    "This request holds a NUL character (%00) in its address or its form. No page of Clockroom "
    "takes one, and no database stores it: remove it and try again."
)


class RefuseNulMiddleware:
    """A request whose path, query string or form holds a NUL character answers 400.

    Browsers never send one; a made-up URL or a script may, and PostgreSQL's text cannot hold it
    (a filter or a lookup with it would fail in the database). After CsrfViewMiddleware, which
    reads the form first anyway. A view exempt from CSRF (the webhook intake, the WebWork
    sandbox's API) reads its own input and answers in its own format (WebWork's JSON errors), so
    it is left to do so.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "csrf_exempt", False):
            return None
        if "\x00" in request.path or _holds_nul(request.GET):
            return _nul_refused()
        if request.method == "POST" and _holds_nul(request.POST):
            return _nul_refused()
        return None


def _holds_nul(query):
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())


def _nul_refused():
    from django.http import HttpResponseBadRequest

    return HttpResponseBadRequest(NUL_REFUSED, content_type="text/plain; charset=utf-8")
