"""All sandbox API operations under /sandbox/api/v2/: one module per resource group."""

from django.urls import path

from .. import openapi_view
from . import (
    contracts,
    expenses,
    leaves,
    members,
    project_viewers,
    projects,
    reports,
    tasks,
    time_entries,
    time_requests,
    time_tracking,
    timesheets,
    webhooks,
    workspaces,
)

MODULES = [
    workspaces,
    members,
    projects,
    contracts,
    tasks,
    project_viewers,
    time_tracking,
    time_entries,
    timesheets,
    time_requests,
    leaves,
    expenses,
    webhooks,
    reports,
]

urlpatterns = [pattern for module in MODULES for pattern in module.urlpatterns]
urlpatterns.append(path("openapi.json", openapi_view.openapi_json, name="openapi"))
