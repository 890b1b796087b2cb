from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.sandbox.models import Workspace
from integrations.sandbox.seeding import (
    DEMO_PASSWORD,
    OWNER_EMAIL,
    sandbox_counts,
    sandbox_is_empty,
    sandbox_reset,
    seed_sandbox,
)


class Command(BaseCommand):
    help = (
        "Prepare the sandbox for `make demo`: seed the small world when it has no workspace, and make "
        "sure Clockroom's OAuth app exists with its credentials in var/sandbox.env. Safe to run again."
    )

    def handle(self, *args, **options):
        if Workspace.objects.using("sandbox").exists():
            counts = sandbox_counts()
            self.stdout.write(
                f"Sandbox already seeded ({counts['workspaces']} workspaces, {counts['users']} users): kept."
            )
        else:
            self.seed()
        env_file = settings.BASE_DIR / "var" / "sandbox.env"
        redirect_uri = f"{settings.WEBWORK_PUBLIC_BASE_URL.rstrip('/')}/auth/webwork/callback/"
        call_command(
            "sandbox_oauth_app",
            name="Clockroom",
            redirect_uri=redirect_uri,
            env_file=env_file,
            stdout=self.stdout,
            stderr=self.stderr,
        )
        self.stdout.write(f"Clockroom's OAuth app is registered; its credentials are in {env_file}.")
        self.stdout.write(f"Sign in as {OWNER_EMAIL} / {DEMO_PASSWORD}.")

    def seed(self):
        self.stdout.write("Seeding the sandbox (scale small)...")
        with transaction.atomic(using="sandbox"):
            if not sandbox_is_empty():  # accounts without any workspace: nothing worth keeping
                sandbox_reset()
            summary = seed_sandbox(scale="small")
        for line in summary.lines()[:-1]:
            self.stdout.write(line)
