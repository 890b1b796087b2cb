from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.sandbox.management.commands.sandbox_oauth_app import CLIENT_ID_VARIABLE, env_file_read
from integrations.sandbox.models import OAuthApplication, Workspace
from integrations.sandbox.seeding import (
    DEMO_PASSWORD,
    OWNER_EMAIL,
    sandbox_counts,
    sandbox_is_empty,
    sandbox_reset,
    seed_sandbox,
)

APP_NAME = "Clockroom"


class Command(BaseCommand):
    help = (
        "Prepare the sandbox for `make demo`: seed the small world when it has no workspace, and make "
        "sure Clockroom's OAuth app exists with its credentials in var/sandbox.env, its redirect URI "
        "under WEBWORK_PUBLIC_BASE_URL (which follows PORT). Safe to run again, on any port."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--env-file",
            type=Path,
            help="where the app's WEBWORK_OAUTH_CLIENT_ID/SECRET are written (default: var/sandbox.env)",
        )

    def handle(self, *args, env_file=None, **options):
        if Workspace.objects.using("sandbox").exists():
            counts = sandbox_counts()
            self.stdout.write(
                f"Sandbox already seeded ({counts['workspaces']} workspaces, {counts['users']} users): kept."
            )
        else:
            self.seed()
        env_file = env_file or Path(settings.BASE_DIR) / "var" / "sandbox.env"
        redirect_uri = f"{settings.WEBWORK_PUBLIC_BASE_URL.rstrip('/')}/auth/webwork/callback/"
        self.redirect_follow(env_file, redirect_uri)
        call_command(
            "sandbox_oauth_app",
            name=APP_NAME,
            redirect_uri=redirect_uri,
            env_file=env_file,
            stdout=self.stdout,
            stderr=self.stderr,
        )
        self.stdout.write(
            f"Clockroom's OAuth app is registered (redirect URI {redirect_uri}); "
            f"its credentials are in {env_file}."
        )
        self.stdout.write(f"Sign in as {OWNER_EMAIL} / {DEMO_PASSWORD}.")

    def redirect_follow(self, env_file, redirect_uri):
        """Point the app already written to `env_file` at `redirect_uri` (the demo moved to another
        port or address), so it keeps its client id and secret instead of a new app being made."""
        client_id = env_file_read(env_file).get(CLIENT_ID_VARIABLE)
        if not client_id:
            return
        moved = OAuthApplication.objects.filter(name=APP_NAME, client_id=client_id).exclude(
            redirect_uri=redirect_uri
        )
        if moved.update(redirect_uri=redirect_uri):
            self.stdout.write(f"Clockroom's OAuth app now redirects to {redirect_uri}.")

    def seed(self):
        self.stdout.write("Seeding the sandbox (scale small)...")
        with transaction.atomic(using="sandbox"):
            if not sandbox_is_empty():  # accounts without any workspace: nothing worth keeping
                sandbox_reset()
            summary = seed_sandbox(scale="small")
        for line in summary.lines()[:-1]:
            self.stdout.write(line)
