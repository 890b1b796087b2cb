"""The project's own app: what every install needs whatever the apps it carries."""

import sys

from django.apps import AppConfig
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import connections, router
from django.db.models.signals import post_migrate

from .middleware import log_context_clear


def create_cache_tables(sender, using, verbosity=1, **kwargs):
    """Create the database cache's table on `using` after `migrate`, when it is missing.

    Without it the task queue logs `no such table: clockroom_cache` twice a second and every
    cached page fails, so `migrate` alone leaves a working install (no `createcachetable`).
    `migrate` sends post_migrate once per app; after the first, the table exists and this
    only looks."""
    tables = None
    for alias in caches:
        cache = caches[alias]
        if not isinstance(cache, BaseDatabaseCache):
            continue
        if not router.allow_migrate_model(using, cache.cache_model_class):
            continue
        if tables is None:
            tables = set(connections[using].introspection.table_names())
        if cache._table in tables:
            continue
        call_command("createcachetable", cache._table, database=using, verbosity=0)
        tables.add(cache._table)
        if verbosity >= 1:
            stdout = kwargs.get("stdout") or sys.stdout
            stdout.write(f"  Created the cache table {cache._table!r} on the {using!r} database.\n")


class ClockroomConfig(AppConfig):
    name = "config"
    verbose_name = "Clockroom"

    def ready(self):
        post_migrate.connect(create_cache_tables, dispatch_uid="clockroom-create-cache-tables")
        # A request's ids stay on its log lines until its response is closed (config/middleware.py).
        request_finished.connect(log_context_clear, dispatch_uid="clockroom-log-context-clear")
