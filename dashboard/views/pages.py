"""What the views of a workspace's pages share: telling an htmx request for a part of a page from
a request for the whole page, the frame around a whole page, the address bar after a filter, and
what follows a change (the page's parts told by `HX-Trigger`, or a message and a redirect)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import trigger_client_event

from dashboard import selectors
from dashboard.frame import page_context


def wants_partial(request):
    """An htmx request for a part of the page (a filter, a page link, a row). A history restore
    (the browser's back button with the cache gone) wants the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def framed(request, workspace, context, *, section, resources):
    """`context` with the frame of a whole page (navigation, switcher, freshness of `resources`)
    and the banner asking the manager to sign in to WebWork again when a sign-in no longer works."""
    context.update(page_context(request, workspace, section=section, resources=resources))
    context["reconnect"] = selectors.connections_needing_sign_in_for_user(request.user)
    return context


def trigger(response, *events):
    """Tell the page's parts that listen for `events` (`HX-Trigger`) that something changed."""
    for event in events:
        trigger_client_event(response, event, {})
    return response


def push_clean_url(response, request, query, page):
    """The address bar after a filter or a page link: only the filters in use (an empty select
    is not `role=`), and the page when it is not the first."""
    query = dict(query)
    if page.number > 1:
        query["page"] = page.number
    response["HX-Push-Url"] = f"{request.path}?{urlencode(query)}" if query else request.path
    return response


def next_or(request, default):
    """Where a plain form goes back to: its `next` (POST, else GET) when it is a path of ours, else
    `default`. Anything else (another site, a view name, a made-up word) goes to `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def back_with_message(request, url, *, done="", refusal=""):
    """After a plain form's change: back to `url`, saying what was done, or WebWork's refusal."""
    if refusal:
        messages.error(request, refusal)
    else:
        messages.success(request, done)
    return redirect(url)
