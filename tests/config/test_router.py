"""The sandbox's tables live only on the `sandbox` alias; the mirror's only on `default`."""

import pytest
from django.db import connections, router

from integrations.sandbox.models import SandboxUser, Workspace

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_sandbox_models_read_and_write_on_the_sandbox_alias():
    owner = SandboxUser.objects.create(email="owner@acme.test", firstname="Ada", lastname="Owner")
    workspace = Workspace.objects.create(name="Acme", owner=owner)

    assert router.db_for_read(Workspace) == "sandbox"
    assert router.db_for_write(Workspace) == "sandbox"
    assert workspace._state.db == "sandbox"
    assert Workspace.objects.using("sandbox").filter(pk=workspace.pk).exists()


def test_sandbox_tables_exist_only_in_the_sandbox_database():
    default_tables = connections["default"].introspection.table_names()
    sandbox_tables = connections["sandbox"].introspection.table_names()

    assert "sandbox_workspace" in sandbox_tables
    assert "sandbox_workspace" not in default_tables
    assert "auth_user" in default_tables
    assert "auth_user" not in sandbox_tables
    assert "django_q_ormq" in default_tables


def test_mirror_code_cannot_query_sandbox_tables_on_the_default_alias():
    from django.db.utils import DatabaseError

    with pytest.raises(DatabaseError):
        list(Workspace.objects.using("default").all())
