"""Emptying the sandbox: every account, workspace and what hangs off them, children first.

Registered OAuth applications without an owner (such as Clockroom's own, whose credentials live
in `var/sandbox.env`) and the fault-injection settings are the sandbox's configuration, not its
data: they stay. Id sequences restart, so a seed gives the same ids every time.
"""

from django.apps import apps
from django.core.management.color import no_style
from django.db import connections

from ..models import FaultSettings, OAuthApplication, SandboxUser, Workspace
from .context import DB

# Kept rows: the configuration of the sandbox.
KEPT = (FaultSettings,)
# Partly kept: registrations without an owner stay.
OWNERLESS_KEPT = (OAuthApplication,)


def sandbox_is_empty():
    return not (Workspace.objects.using(DB).exists() or SandboxUser.objects.using(DB).exists())


def sandbox_counts():
    return {
        "workspaces": Workspace.objects.using(DB).count(),
        "users": SandboxUser.objects.using(DB).count(),
    }


def _references(model, target):
    return any(
        field.many_to_one or field.one_to_one
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is target
    )


def delete_order():
    """The sandbox's models, each before every model it refers to (so children go first)."""
    remaining = [m for m in apps.get_app_config("sandbox").get_models() if m not in KEPT]
    ordered = []
    while remaining:
        model = next(m for m in remaining if not any(o is not m and _references(o, m) for o in remaining))
        ordered.append(model)
        remaining.remove(model)
    return ordered


def sandbox_reset():
    """Delete all sandbox data with one DELETE per table (no per-row work), then restart ids."""
    connection = connections[DB]
    quote = connection.ops.quote_name
    sequences = []
    with connection.cursor() as cursor:
        for model in delete_order():
            table = quote(model._meta.db_table)
            if model in OWNERLESS_KEPT:
                owner = quote(model._meta.get_field("owner").column)
                cursor.execute(f"DELETE FROM {table} WHERE {owner} IS NOT NULL")  # noqa: S608 - model names
                continue
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - model table names
            if model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField"):
                sequences += connection.introspection.get_sequences(
                    cursor, model._meta.db_table, model._meta.local_fields
                )
        for statement in connection.ops.sequence_reset_by_name_sql(no_style(), sequences):
            cursor.execute(statement)
