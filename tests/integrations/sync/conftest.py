import pytest

from integrations.models import Workspace
from integrations.sync.base import SyncContext


@pytest.fixture
def mirror_workspace(world):
    """Acme as Clockroom knows it (the tenant row), before any sync."""
    return Workspace.objects.create(webwork_id=world.acme.id, name=world.acme.name)


@pytest.fixture
def sync_context(world, mirror_workspace, make_client):
    return SyncContext(workspace=mirror_workspace, client=make_client(world.owner))
