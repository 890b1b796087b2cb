from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "integrations.sandbox"
    label = "sandbox"
    verbose_name = "WebWork sandbox"

    def ready(self):
        # Changes of members, projects and running trackers become webhook events.
        from . import signals

        signals.connect()
