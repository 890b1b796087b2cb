"""The parts of the frame that refresh by themselves."""

from dashboard.frame import freshness_resources
from dashboard.permissions import workspace_view
from dashboard.selectors.frame import freshness_for_workspace
from dashboard.views.overview import partial_response


@workspace_view
def freshness(request, workspace):
    """The freshness line of a page showing the resources named in `?of=` (comma-separated)."""
    resources = freshness_resources(request.GET.get("of"))
    context = {
        "workspace": workspace,
        "freshness": freshness_for_workspace(workspace=workspace, resources=resources),
        "freshness_of": ",".join(resources),
    }
    return partial_response(request, "dashboard/_freshness.html", context)
