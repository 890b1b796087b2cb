from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "WebWork integration"

    def ready(self):
        from .schedules import schedules_ensure_after_migrate

        # The sync schedules follow every migrate (see schedules.py).
        post_migrate.connect(
            schedules_ensure_after_migrate, sender=self, dispatch_uid="integrations_sync_schedules"
        )
