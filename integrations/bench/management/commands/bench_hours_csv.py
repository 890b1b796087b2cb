"""`manage.py bench_hours_csv [--members 150] [--days 365]`: the Hours report's CSV of a year of a
150-member workspace, streamed in flat memory (integrations/bench/report_csv.py). Runs on
throwaway databases made the way the test runner makes them; the developer's data is never read.
"""

import contextlib
import sys
import time
import warnings

from django.core.management.base import BaseCommand, CommandError

from integrations.bench.environment import throwaway_databases


class Command(BaseCommand):
    help = "Measure the Hours report's CSV of a month and of a year of time: rows, seconds and peak memory."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=150, help="Members (default 150).")
        parser.add_argument("--days", type=int, default=365, help="Days of time up to today (default 365).")
        parser.add_argument("--check", action="store_true", help="Fail when memory is not flat.")

    def handle(self, *args, members, days, check, **options):
        if members < 1 or days < 31:
            raise CommandError("--members must be at least 1 and --days at least 31.")
        from integrations.bench.report_csv import bench_hours_csv

        warnings.filterwarnings("ignore", message="No directory at: .*staticfiles")
        started = time.monotonic()
        self.say("Creating throwaway databases...")
        with contextlib.redirect_stdout(sys.stderr), throwaway_databases():
            table = bench_hours_csv(members=members, days=days, say=self.say)
        self.stdout.write(table.render())
        self.say(f"Done in {time.monotonic() - started:.0f} s.")
        if table.missed and check:
            raise CommandError("Targets missed: " + "; ".join(row.figure for row in table.missed))

    def say(self, line):
        self.stderr.write(line)
