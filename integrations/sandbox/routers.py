"""Keeps the sandbox's models on the `sandbox` database alias and everything else off it."""

SANDBOX_ALIAS = "sandbox"
SANDBOX_APP_LABEL = "sandbox"


class SandboxRouter:
    def db_for_read(self, model, **hints):
        return SANDBOX_ALIAS if model._meta.app_label == SANDBOX_APP_LABEL else "default"

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return (obj1._meta.app_label == SANDBOX_APP_LABEL) == (obj2._meta.app_label == SANDBOX_APP_LABEL)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return (db == SANDBOX_ALIAS) == (app_label == SANDBOX_APP_LABEL)
