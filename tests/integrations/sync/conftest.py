import pytest

from integrations.models import Workspace
from integrations.sync.base import SyncContext
from tests.integrations.sandbox.conftest import api, world  # noqa: F401  (shared sandbox fixtures)
from tests.integrations.webwork.conftest import make_client, sandbox_transport  # noqa: F401


@pytest.fixture
def mirror_workspace(world):  # noqa: F811
    """Acme as Clockroom knows it (the tenant row), before any sync."""
    return Workspace.objects.create(webwork_id=world.acme.id, name=world.acme.name)


@pytest.fixture
def sync_context(world, mirror_workspace, make_client):  # noqa: F811
    return SyncContext(workspace=mirror_workspace, client=make_client(world.owner))
