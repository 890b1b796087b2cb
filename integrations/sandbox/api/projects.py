"""Projects: list, create, get, update, archive (GET/POST /projects, GET/PUT/DELETE /projects/{id})."""

from .base import day, iso_micro, number


def serialize_project(project, *, sees_rates, contracts_count=None):
    """A project as the API answers it. `contracts_count`: active contracts (counted if not given)."""
    if contracts_count is None:
        contracts_count = project.contracts.filter(status="active").count()
    return {
        "id": project.id,
        "name": project.name,
        "owner_id": project.owner_id,
        "start_date": day(project.start_date),
        "deadline": day(project.deadline),
        "estimation": number(project.estimation),
        "budget_estimation": number(project.budget_estimation),
        "notes": project.notes,
        "icon": project.icon,
        "is_billable": project.is_billable,
        "rate": number(project.rate) if sees_rates else None,
        "weekly_hours_limit": project.weekly_hours_limit,
        "screenshots": project.screenshots,
        "tags": project.tags,
        "contracts_count": contracts_count,
        "status": project.status,
        "created_at": iso_micro(project.created_at),
        "updated_at": iso_micro(project.updated_at),
    }


urlpatterns = []
