"""Re-encrypt every stored WebWork token with the newest key of WEBWORK_TOKEN_KEYS."""

from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.models import Connection, Workspace


class Command(BaseCommand):
    help = (
        "Re-encrypt the stored WebWork tokens with the first key of WEBWORK_TOKEN_KEYS. Put the new key "
        "first, run this, then remove the old key."
    )

    def handle(self, *args, **options):
        # Reading decrypts with whichever configured key fits; saving encrypts with the first.
        with transaction.atomic():
            connections = 0
            for connection in Connection.objects.select_for_update().only(
                "pk", "access_token", "refresh_token"
            ):
                connection.save(update_fields=["access_token", "refresh_token"])
                connections += 1
            workspaces = 0
            for workspace in (
                Workspace.objects.select_for_update().exclude(webhook_token="").only("pk", "webhook_token")
            ):
                workspace.save(update_fields=["webhook_token"])
                workspaces += 1
        self.stdout.write(
            f"Re-encrypted the tokens of {connections} connections and {workspaces} webhook registrations."
        )
