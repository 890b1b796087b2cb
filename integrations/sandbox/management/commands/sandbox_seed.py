from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from integrations.sandbox.seeding import SCALES, sandbox_counts, sandbox_is_empty, sandbox_reset, seed_sandbox


class Command(BaseCommand):
    help = (
        "Fill the WebWork sandbox with an agency's people, projects and weeks of tracked time. "
        "small: 15 members, 5 projects, 8 weeks; medium: 2 workspaces, 150 members, 40 projects, "
        "13 weeks; large: 500 members, 150 projects, 26 weeks (about 200k time entries)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument(
            "--seed", type=int, default=1, help="The same seed gives the same world (default 1)."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete all sandbox data first (OAuth applications without an owner are kept).",
        )

    def handle(self, *args, scale, seed, reset, **options):
        if not reset and not sandbox_is_empty():
            counts = sandbox_counts()
            raise CommandError(
                f"The sandbox already holds data ({counts['workspaces']} workspaces, {counts['users']} "
                "users). Run again with --reset to delete it and seed afresh."
            )
        self.stdout.write(f"Seeding the sandbox: scale {scale}, seed {seed}...")
        with transaction.atomic(using="sandbox"):
            if reset:
                sandbox_reset()
                self.stdout.write("  deleted the previous sandbox data")
            summary = seed_sandbox(scale=scale, seed=seed, progress=self.stdout.write)
        for line in summary.lines():
            self.stdout.write(line)
