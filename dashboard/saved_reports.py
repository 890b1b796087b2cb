"""Saved reports: the changes (a report's filters kept under a name, renamed, deleted).

They live in Clockroom only (WebWork has no saved reports), so these are the dashboard's own
services: keyword-only, atomic, refusing with `SavedReportError` (`.message`, `.field_errors`
{input name: [messages]}) as the integration's services refuse. A name is unique in its workspace
whatever its case. Reads are in `dashboard.selectors.reports`.
"""

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from dashboard.models import SavedReport

NAME_MAX = SavedReport._meta.get_field("name").max_length


class SavedReportError(Exception):
    def __init__(self, message, *, field_errors=None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


def _clean_name(name, *, workspace, exclude=None):
    name = " ".join((name or "").split())
    if not name:
        raise SavedReportError("Give the report a name.", field_errors={"name": ["Give the report a name."]})
    if len(name) > NAME_MAX:
        message = f"A name has at most {NAME_MAX} characters."
        raise SavedReportError(message, field_errors={"name": [message]})
    taken = (
        SavedReport.objects.filter(workspace=workspace)
        .annotate(lower=Lower("name"))
        .filter(lower=name.lower())
    )
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        message = f"{workspace.name} already has a saved report called “{name}”: choose another name."
        raise SavedReportError(message, field_errors={"name": [message]})
    return name


def _saved(saved_report, name):
    try:
        with transaction.atomic():
            saved_report.save()
    except IntegrityError:  # saved under that name meanwhile
        message = f"There is already a saved report called “{name}”: choose another name."
        raise SavedReportError(message, field_errors={"name": [message]}) from None
    return saved_report


@transaction.atomic
def saved_report_create(*, workspace, user, name, query, report="hours") -> SavedReport:
    """Keep `query` (a report's query string, relative periods relative) as `name` in `workspace`."""
    name = _clean_name(name, workspace=workspace)
    return _saved(
        SavedReport(workspace=workspace, report=report, name=name, query=query, created_by=user), name
    )


@transaction.atomic
def saved_report_rename(*, saved_report, name) -> SavedReport:
    name = _clean_name(name, workspace=saved_report.workspace, exclude=saved_report)
    saved_report.name = name
    return _saved(saved_report, name)


@transaction.atomic
def saved_report_delete(*, saved_report):
    saved_report.delete()
