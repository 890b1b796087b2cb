"""People: the workspace's members with their week at a glance, a member's own page, changing a
member's role and inviting someone.

The list (`dashboard:people`) filters by name or email, role and status in the query string;
htmx (the filters, the pages) gets the list partial. A member's page (`dashboard:person`) shows
their contracts, the last eight weeks, timesheets, leaves, time requests and expenses; htmx gets
its summary (asked for again after the role changed). Changing the role and inviting go through
the services: WebWork's refusal shows on the form's fields, with what was typed.

Members are named by their WebWork id and looked up within the URL's workspace: another
workspace's id answers 404.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from dashboard.forms import MemberInviteForm, MemberRoleForm, add_service_error
from dashboard.frame import page_context
from dashboard.permissions import workspace_view
from dashboard.selectors.people import (
    ROLES,
    STATUSES,
    PeopleFilters,
    people_page_for_workspace,
    person_detail_for_workspace,
    person_for_workspace,
)
from dashboard.views.overview import partial_response
from dashboard.views.pages import push_clean_url, trigger, wants_partial
from integrations.models import Member
from integrations.services import ServiceError, member_invite, member_update

LIST_TEMPLATE = "dashboard/people/list.html"
PERSON_TEMPLATE = "dashboard/people/person.html"
INVITE_TEMPLATE = "dashboard/people/invite.html"
LIST_RESOURCES = ("members", "contracts", "time_entries", "timesheets", "time_requests", "leave_requests")
PERSON_RESOURCES = (*LIST_RESOURCES, "leave_balances", "expenses")


@workspace_view
def people(request, workspace):
    """The workspace's people, 50 a page, each with role, contracts, hours and activity this
    week, and what waits for a decision."""
    filters = PeopleFilters.from_query(request.GET)
    members = people_page_for_workspace(
        workspace=workspace, filters=filters, page=request.GET.get("page") or 1
    )
    context = {
        "workspace": workspace,
        "filters": filters,
        "people": members,
        "query": filters.as_query(),
        "week_start": workspace.week_start(workspace.today()),
    }
    if wants_partial(request):
        response = partial_response(request, f"{LIST_TEMPLATE}#people-list", context)
        return push_clean_url(response, request, filters.as_query(), members)
    context.update(page_context(request, workspace, section="people", resources=LIST_RESOURCES))
    context.update(roles=ROLES, statuses=STATUSES.items())
    return partial_response(request, LIST_TEMPLATE, context)


def person_or_404(workspace, webwork_id):
    try:
        return person_for_workspace(workspace=workspace, webwork_id=webwork_id)
    except Member.DoesNotExist:
        raise Http404("No such member.") from None


def person_url(workspace, member):
    return reverse(
        "dashboard:person", kwargs={"workspace_id": workspace.webwork_id, "webwork_id": member.webwork_id}
    )


def role_form_for(member, data=None):
    return MemberRoleForm(data, initial={"role": member.role})


def person_page(request, workspace, member, *, role_form=None, status=200):
    context = {
        "workspace": workspace,
        "member": member,
        "detail": person_detail_for_workspace(workspace=workspace, member=member),
        "role_form": role_form or role_form_for(member),
        "statuses": STATUSES,
    }
    context.update(page_context(request, workspace, section="people", resources=PERSON_RESOURCES))
    response = partial_response(request, PERSON_TEMPLATE, context)
    response.status_code = status
    return response


@workspace_view
def person(request, workspace, webwork_id):
    """A member's page. htmx gets its summary (role, status, this week's figures)."""
    member = person_or_404(workspace, webwork_id)
    if wants_partial(request):
        context = {"workspace": workspace, "member": member, "statuses": STATUSES}
        return partial_response(request, f"{PERSON_TEMPLATE}#person-summary", context)
    return person_page(request, workspace, member)


@workspace_view(methods=("GET", "HEAD", "POST"))
def person_role(request, workspace, webwork_id):
    """GET: the member's page (the form is on it). POST: change the member's role at WebWork.

    htmx gets the role form back (with WebWork's refusal on its field, or a line saying it is
    done) and `member-changed` for the summary; a plain form goes back to the member's page
    with a message, or shows the page again with the refusal on the field."""
    member = person_or_404(workspace, webwork_id)
    if request.method != "POST":
        if wants_partial(request):
            return role_form_response(request, workspace, member, role_form_for(member))
        return person_page(request, workspace, member)
    form = role_form_for(member, request.POST)
    if form.is_valid():
        role = form.cleaned_data["role"]
        try:
            member_update(workspace=workspace, actor=request.user, member=member, role=role)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            member = person_or_404(workspace, webwork_id)
            done = f"{member} is now {with_article(member.role)} in {workspace.name}."
            if wants_partial(request):
                response = role_form_response(request, workspace, member, role_form_for(member), done=done)
                return trigger(response, "member-changed", "mirror-changed")
            messages.success(request, done)
            return redirect(person_url(workspace, member))
    if wants_partial(request):
        return role_form_response(request, workspace, member, form)
    return person_page(request, workspace, member, role_form=form)


def with_article(role):
    return f"{'an' if role[:1].lower() in 'aeiou' else 'a'} {role}"


def role_form_response(request, workspace, member, form, *, done=""):
    context = {"workspace": workspace, "member": member, "role_form": form, "role_done": done}
    return partial_response(request, f"{PERSON_TEMPLATE}#role-form", context)


@workspace_view(methods=("GET", "HEAD", "POST"))
def people_invite(request, workspace):
    """GET: the invitation form. POST: invite at WebWork, then to the new member's page (htmx:
    the whole page goes there); WebWork's refusal shows on the form, which keeps what was typed."""
    form = MemberInviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invited = member_invite(workspace=workspace, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                f"Invited {invited.email} to {workspace.name} as {with_article(invited.role)}. "
                "WebWork has emailed them the invitation.",
            )
            target = person_url(workspace, invited)
            if wants_partial(request):
                return HttpResponseClientRedirect(target)
            return redirect(target)
    context = {"workspace": workspace, "form": form}
    if wants_partial(request):
        return partial_response(request, f"{INVITE_TEMPLATE}#invite-form", context)
    context.update(page_context(request, workspace, section="people", resources=("members",)))
    return partial_response(request, INVITE_TEMPLATE, context)
