"""The audit trail of a workspace: who decided what, when, why, and what WebWork answered."""

from django.utils import timezone

from dashboard.frame import page_context
from dashboard.permissions import workspace_view
from dashboard.selectors.audit import (
    AuditFilters,
    action_words,
    audit_choices_for_workspace,
    audit_events_for_workspace,
    audit_object_words,
    audit_page_for_workspace,
)
from dashboard.templatetags.clockroom import user_name
from dashboard.views.exports import csv_download, csv_writer
from dashboard.views.overview import partial_response
from dashboard.views.pages import wants_partial

CSV_COLUMNS = (
    "When ({zone})",
    "Who",
    "Made in",
    "Action",
    "Object",
    "Object's WebWork id",
    "Member",
    "Outcome",
    "Reason",
    "WebWork's answer",
)


@workspace_view
def audit_trail(request, workspace):
    """Every audit event of the workspace, filtered by the query string, 50 a page. htmx (the
    filters and pagination) gets the list partial."""
    filters = AuditFilters.from_query(request.GET)
    events = audit_page_for_workspace(workspace=workspace, filters=filters, page=request.GET.get("page") or 1)
    for event in events:
        event.words = audit_object_words(event)
        event.verb = action_words(event.action)[0]
    context = {"workspace": workspace, "filters": filters, "events": events, "query": filters.as_query()}
    if wants_partial(request):
        return partial_response(request, "dashboard/audit/trail.html#audit-list", context)
    context.update(page_context(request, workspace, section="audit"))
    context["choices"] = audit_choices_for_workspace(workspace=workspace)
    return partial_response(request, "dashboard/audit/trail.html", context)


@workspace_view
def audit_trail_csv(request, workspace):
    """The events the filters select, as CSV, streamed (never all held in memory), times in the
    workspace's time zone."""
    filters = AuditFilters.from_query(request.GET)
    events = audit_events_for_workspace(workspace=workspace, filters=filters)
    writer = csv_writer()
    zone = workspace.zone

    def rows():
        yield writer.writerow([column.format(zone=zone.key) for column in CSV_COLUMNS])
        for event in events.iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    timezone.localtime(event.created_at, zone).isoformat(timespec="seconds"),
                    user_name(event.actor) if event.actor_id else "",
                    event.get_source_display(),
                    action_words(event.action)[0],
                    audit_object_words(event),
                    event.object_id,
                    str(event.member) if event.member_id else "",
                    event.get_outcome_display(),
                    event.note,
                    event.answer,
                ]
            )

    stamp = timezone.localdate(timezone=zone).isoformat()
    return csv_download(rows(), f"audit-{workspace.webwork_id}-{stamp}.csv")
