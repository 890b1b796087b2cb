"""Time entries: one member's day, create, update, delete (/time-entries, /time-entries/{id})."""

from .base import day, iso


def serialize_time_entry(entry):
    """A time entry as GET /time-entries answers it; the daily-timeline report lists the same fields.

    Expects `project` and `task` to be selected with the entry.
    """
    return {
        "id": str(entry.id),
        "user_id": entry.user_id,
        "contract_id": entry.contract_id,
        "project_id": entry.project_id,
        "project_name": entry.project.name if entry.project_id else None,
        "task_id": entry.task_id,
        "task_title": entry.task.title if entry.task_id else None,
        "activity_description": entry.activity_description,
        "method": entry.method,
        "date": day(entry.date),
        "start_time": iso(entry.start_time),
        "end_time": iso(entry.end_time),
        "duration_minutes": entry.duration_minutes,
    }


urlpatterns = []
