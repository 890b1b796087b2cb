"""The audit trail of a workspace: every decision and change made through Clockroom, and the
decisions taken inside WebWork that a sync or a webhook saw."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q

from integrations.models import AuditEvent, Member

from .query import day_from_query, webwork_id_from_query

AUDIT_PER_PAGE = 50
FROM_WEBWORK = "webwork"  # the actor filter's value for decisions taken inside WebWork

# What each action did, as a manager says it ("approved", "paused") and the thing it acted on.
ACTION_WORDS = {
    "timesheet_approve": ("approved", "timesheet"),
    "timesheet_reject": ("rejected", "timesheet"),
    "timesheet_submit": ("submitted", "timesheet"),
    "timesheet_unsubmit": ("took back", "timesheet"),
    "time_request_approve": ("approved", "time request"),
    "time_request_reject": ("rejected", "time request"),
    "time_request_create": ("requested", "time"),
    "leave_approve": ("approved", "leave"),
    "leave_reject": ("rejected", "leave"),
    "leave_create": ("requested", "leave"),
    "contract_create": ("created", "contract"),
    "contract_update": ("changed", "contract"),
    "contract_pause": ("paused", "contract"),
    "contract_resume": ("resumed", "contract"),
    "contract_delete": ("deleted", "contract"),
    "expense_create": ("added", "expense"),
    "expense_update": ("changed", "expense"),
    "expense_delete": ("deleted", "expense"),
    "member_invite": ("invited", "member"),
    "member_update": ("changed", "member"),
    "project_viewer_create": ("added", "project viewer"),
    "project_viewer_assign": ("gave a project to", "project viewer"),
    "project_viewer_unassign": ("took a project from", "project viewer"),
    "project_viewer_remove": ("removed", "project viewer"),
    "project_viewer_restore": ("restored", "project viewer"),
    "workspace_disconnect": ("disconnected", "workspace"),
}


def action_words(action):
    """(verb, thing) for `action`, e.g. ("approved", "timesheet"); a guess for an unknown one."""
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    thing, _, verb = action.rpartition("_")
    return (verb or action).replace("_", " "), thing.replace("_", " ")


def action_label(action):
    verb, thing = action_words(action)
    return f"{thing.capitalize()}: {verb}"


def _day(value):
    return day_from_query(value)


@dataclass(frozen=True)
class AuditFilters:
    """The audit page's filters, as its query string gives them (bad values are ignored)."""

    actor: str = ""  # a user's pk, "webwork", or ""
    action: str = ""
    member: str = ""  # a member's WebWork id
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, query):
        actor = query.get("actor", "")
        return cls(
            actor=actor if actor == FROM_WEBWORK else webwork_id_from_query(actor),
            action=query.get("action", "")[:64],
            member=query.get("member", "")[:64],
            date_from=_day(query.get("from")),
            date_to=_day(query.get("to")),
        )

    @property
    def active(self):
        return bool(self.actor or self.action or self.member or self.date_from or self.date_to)

    def as_query(self):
        """The filters as query-string pairs (for pagination and the CSV link)."""
        pairs = {
            "actor": self.actor,
            "action": self.action,
            "member": self.member,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in pairs.items() if value}


def audit_events_for_workspace(*, workspace, filters: AuditFilters):
    """The workspace's audit events matching `filters`, newest first, with actor and member."""
    events = AuditEvent.objects.filter(workspace=workspace).select_related("actor", "member")
    if filters.actor == FROM_WEBWORK:
        events = events.filter(source=AuditEvent.Source.WEBWORK)
    elif filters.actor:
        events = events.filter(actor_id=int(filters.actor))
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.member:
        events = events.filter(member__webwork_id=filters.member)
    zone = workspace.zone
    if filters.date_from:
        events = events.filter(created_at__gte=datetime.combine(filters.date_from, time.min, zone))
    if filters.date_to:
        events = events.filter(
            created_at__lt=datetime.combine(filters.date_to + timedelta(days=1), time.min, zone)
        )
    return events.order_by("-created_at", "-id")


@dataclass
class AuditChoices:
    actors: list  # (value, label)
    actions: list  # (value, label)
    members: list  # (webwork id, name)


def audit_choices_for_workspace(*, workspace) -> AuditChoices:
    """What the filters offer: the managers who decided something here, the actions taken, and
    the workspace's members. Three queries."""
    events = AuditEvent.objects.filter(workspace=workspace).order_by()
    actor_ids = events.exclude(actor=None).values("actor").distinct()
    users = get_user_model().objects.filter(pk__in=actor_ids).order_by("first_name", "last_name", "pk")
    actions = sorted(events.values_list("action", flat=True).distinct(), key=action_label)
    members = Member.objects.filter(workspace=workspace).filter(
        Q(removed_at__isnull=True) | Q(pk__in=events.exclude(member=None).values("member"))
    )
    return AuditChoices(
        actors=[(str(user.pk), user) for user in users] + [(FROM_WEBWORK, "In WebWork itself")],
        actions=[(action, action_label(action)) for action in actions],
        members=[(member.webwork_id, str(member)) for member in members],
    )


def audit_page_for_workspace(*, workspace, filters: AuditFilters, page=1):
    return Paginator(
        audit_events_for_workspace(workspace=workspace, filters=filters), AUDIT_PER_PAGE
    ).get_page(page)


def audit_object_words(event):
    """What the event acted on, in a manager's words: "the timesheet of 30 Nov to 6 Dec 2026"."""
    _, thing = action_words(event.action)
    shape = event.after or event.before or {}
    if not isinstance(shape, dict):
        shape = {}
    when = ""
    if shape.get("date_from") and shape.get("date_to"):
        when = f"{_short(shape['date_from'])} to {_short(shape['date_to'])}"
    elif shape.get("start_date"):
        end = shape.get("end_date")
        when = _short(shape["start_date"]) + (
            f" to {_short(end)}" if end and end != shape["start_date"] else ""
        )
    elif shape.get("start"):
        when = _short(str(shape["start"])[:10])
    elif shape.get("name"):
        when = str(shape["name"])
    elif shape.get("email"):
        when = str(shape["email"])
    return f"{thing} {when}".strip()


def _short(iso):
    day = _day(str(iso)[:10])
    return day.strftime("%a %-d %b %Y") if day else str(iso)
