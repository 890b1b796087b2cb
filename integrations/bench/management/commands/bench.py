"""`manage.py bench sync|pages|upsert|memory|intake|all`: the performance figures of docs/performance.md.

Every run uses throwaway databases made the way the test runner makes them (fresh SQLite files or
PostgreSQL `test_` databases), seeded and dropped by the run: the developer's data is never read
or written. The sync benchmarks talk to the embedded sandbox over HTTP in this process, so they
need it on: `DJANGO_DEBUG=1 python manage.py bench sync`.

    python manage.py bench sync --scale medium [--seed N] [--rate R] [--window S]
    python manage.py bench pages --scale medium [--repeat 30] [--check-scaling] [--json] [--only hours]
    python manage.py bench upsert [--rows N]
    python manage.py bench memory [--scale medium] [--few 5] [--many 40]
    python manage.py bench intake [--n 500]
    python manage.py bench hosted [--orgs 200] [--minutes 10] [--deliveries 10000] [--managers 50]
                                  [--parts first-sync,steady,webhooks,pages] [--window 10] [--port 8731]
    python manage.py bench faults --scale small [--scenarios server_errors,webhooks_dropped,...]
    python manage.py bench all --scale medium

Each benchmark prints one aligned table to stdout (progress goes to stderr), each figure beside its
target; with --check the command fails when a target is missed, after printing every table.
"""

import contextlib
import sys
import time
import warnings

from django.core.management.base import BaseCommand, CommandError

from integrations.bench.environment import (
    BenchSetupError,
    in_process_wire,
    quiet_queue_log,
    run_settings,
    sandbox_required,
    throwaway_databases,
)
from integrations.bench.hosted import Q_WORKERS, SYNC_SLOTS

BENCHMARKS = ("sync", "pages", "upsert", "memory", "intake", "faults")
# `bench all`: the figures of one sandbox seed. `faults` seeds its own and runs minutes of
# scenarios, and `hosted` runs processes on PostgreSQL + Redis: each is run by name.
IN_ALL = ("sync", "pages", "upsert", "memory", "intake")
NEEDS_SANDBOX = {"sync", "pages", "memory", "faults"}
ONLY_PAGES = ("json", "check_scaling", "only")


class Command(BaseCommand):
    help = (
        "Measure Clockroom on throwaway databases: a full sync of the seeded sandbox (requests planned vs "
        "made, 429s, the naive plan's cost), the dashboard's pages (time and SQL queries per request), "
        "upsert vs bulk_create, a sync's peak memory, and the webhook intake's latency. "
        "See docs/performance.md."
    )

    def add_arguments(self, parser):
        # `hosted` (PostgreSQL + Redis, real processes, minutes long) is not part of `all`.
        parser.add_argument("benchmark", choices=[*BENCHMARKS, "hosted", "all"])
        parser.add_argument(
            "--scale", choices=["small", "medium", "large"], default="medium", help="Sandbox seed scale."
        )
        parser.add_argument("--seed", type=int, default=1, help="The sandbox seed (default 1).")
        parser.add_argument(
            "--rate",
            type=int,
            default=60,
            help="Requests per window, for the client's limiter and the sandbox's limit alike (default 60).",
        )
        parser.add_argument(
            "--window",
            type=int,
            default=10,
            help=(
                "The rate-limit window in seconds, for both (default 10: WebWork's minute shortened, "
                "still tight enough that the limiter has to wait)."
            ),
        )
        parser.add_argument("--rows", type=int, default=20_000, help="Rows for `upsert` (default 20000).")
        parser.add_argument("--few", type=int, default=5, help="Dates of the small `memory` run (default 5).")
        parser.add_argument(
            "--many", type=int, default=40, help="Dates of the large `memory` run (default 40)."
        )
        parser.add_argument("--n", type=int, default=500, help="Deliveries for `intake` (default 500).")
        parser.add_argument(
            "--repeat", type=int, default=30, help="Measured requests per page for `pages` (default 30)."
        )
        parser.add_argument(
            "--check-scaling",
            action="store_true",
            help="`pages`: also run at --scale small and show each page's query counts at both scales.",
        )
        parser.add_argument(
            "--json", action="store_true", help="`pages`: print a JSON report instead of the tables."
        )
        parser.add_argument(
            "--only",
            default="",
            help="`pages`: only the pages whose label contains one of these comma-separated words "
            "(e.g. --only 'hours,Overview').",
        )
        parser.add_argument(
            "--check", action="store_true", help="Fail (exit status 1) when a figure misses its target."
        )
        hosted = parser.add_argument_group("hosted", "`bench hosted` (integrations/bench/hosted.py)")
        hosted.add_argument("--orgs", type=int, default=200, help="Organisations in the sandbox (200).")
        hosted.add_argument("--minutes", type=float, default=10, help="Minutes of steady state (10).")
        hosted.add_argument("--deliveries", type=int, default=10_000, help="Webhook deliveries (10000).")
        hosted.add_argument("--managers", type=int, default=50, help="Simulated managers (50).")
        hosted.add_argument("--pages-seconds", type=int, default=120, help="Seconds of `pages` (120).")
        hosted.add_argument(
            "--parts", default="first-sync,steady,webhooks,pages", help="Parts to run, comma-separated."
        )
        hosted.add_argument("--port", type=int, default=8731, help="gunicorn's port (8731).")
        hosted.add_argument(
            "--first-sync-timeout", type=int, default=3600, help="Seconds to wait for the first syncs (3600)."
        )
        hosted.add_argument(
            "--q-workers",
            type=int,
            default=Q_WORKERS,
            help=f"Workers in each of the 3 qclusters ({Q_WORKERS}).",
        )
        hosted.add_argument(
            "--slots",
            type=int,
            default=SYNC_SLOTS,
            help=f"WEBWORK_SYNC_SLOTS: longer syncs at once, in all ({SYNC_SLOTS}).",
        )
        hosted.add_argument(
            "--sandbox-apart",
            action="store_true",
            help="Serve the sandbox (WebWork) from a gunicorn of its own on --port + 1.",
        )
        parser.add_argument(
            "--scenarios",
            default="",
            help="`faults`: the scenarios to run, comma-separated (default: all; see docs/reliability.md).",
        )

    def handle(self, *args, benchmark, **options):
        chosen = list(IN_ALL) if benchmark == "all" else [benchmark]
        self._check({**options, "benchmark": benchmark})
        self.json_report = None
        verbose = options["verbosity"] >= 2
        # Django runs with DEBUG off here; static files are not what is measured.
        warnings.filterwarnings("ignore", message="No directory at: .*staticfiles")
        try:
            if NEEDS_SANDBOX & set(chosen):
                sandbox_required()
            started = time.monotonic()
            self.say("Creating throwaway databases...")
            # Only the tables (or the JSON) on stdout: what Django prints while it makes the databases
            # ("Cache table ... already exists") goes to stderr with the progress.
            with contextlib.redirect_stdout(sys.stderr), throwaway_databases() as names:
                self.say("  " + ", ".join(f"{alias}: {name}" for alias, name in names.items()))
                with run_settings(rate=options["rate"], window=options["window"]), quiet_queue_log():
                    tables = self._run(chosen, options, verbose)
        except BenchSetupError as exc:
            raise CommandError(str(exc)) from exc
        self.say(f"Done in {time.monotonic() - started:.0f} s.")
        if self.json_report is not None:
            self.stdout.write(self.json_report)
        missed = [f"{table.title.split(':')[0]}: {row.figure}" for table in tables for row in table.missed]
        if missed:
            message = "Targets missed: " + "; ".join(missed)
            if options["check"]:
                raise CommandError(message)
            self.say(message)

    def _check(self, options):
        for name in ("rate", "window", "rows", "few", "many", "n", "repeat", "q_workers", "slots"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        if options["few"] >= options["many"]:
            raise CommandError("--few must be smaller than --many.")
        for name in ONLY_PAGES:
            if options[name] and options["benchmark"] != "pages":
                raise CommandError(f"--{name.replace('_', '-')} is an option of `bench pages` only.")
        if options["check_scaling"] and options["scale"] == "small":
            raise CommandError("--check-scaling compares with --scale small: choose a larger --scale.")
        if options["only"]:
            from integrations.bench.pages import PAGES, pages_labelled

            if not pages_labelled(options["only"]):
                labels = ", ".join(entry[0] for entry in PAGES)
                raise CommandError(f"No page is labelled with “{options['only']}”. The pages: {labels}.")

    def _run(self, chosen, options, verbose):
        from integrations.bench import intake, memory, pages, sync, upsert

        tables = []
        if NEEDS_SANDBOX & set(chosen):
            with in_process_wire() as transport:
                world = None
                if {"sync", "memory"} & set(chosen):
                    world = sync.world_prepare(
                        scale=options["scale"], seed=options["seed"], transport=transport, say=self.say
                    )
                if "sync" in chosen:
                    tables.append(
                        sync.bench_sync(
                            world,
                            rate=options["rate"],
                            window=options["window"],
                            say=self.say,
                            verbose=verbose,
                        )
                    )
                    self.show(tables[-1])
                    tables.append(
                        sync.bench_steady(world, rate=options["rate"], window=options["window"], say=self.say)
                    )
                    self.show(tables[-1])
                if "pages" in chosen:
                    # Before `memory`, which empties the mirror's time entries.
                    if world is None:
                        world = pages.world_synced(
                            scale=options["scale"], seed=options["seed"], transport=transport, say=self.say
                        )
                    elif "sync" not in chosen:
                        pages.full_sync(world, self.say)
                    tables += self._pages(pages, world, transport, options)
                if "memory" in chosen:
                    if not {"sync", "pages"} & set(chosen):
                        memory.reference_sync(world, self.say)
                    tables.append(
                        memory.bench_memory(world, few=options["few"], many=options["many"], say=self.say)
                    )
                    self.show(tables[-1])
        if "upsert" in chosen:
            tables.append(upsert.bench_upsert(rows=options["rows"], say=self.say))
            self.show(tables[-1])
        if "intake" in chosen:
            tables.append(intake.bench_intake(n=options["n"], say=self.say))
            self.show(tables[-1])
        if "faults" in chosen:
            from integrations.bench import faults

            try:
                names = faults.scenarios_parse(options["scenarios"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            tables.append(
                faults.bench_faults(
                    scenarios=names, scale=options["scale"], seed=options["seed"], say=self.say
                )
            )
            self.show(tables[-1])
        if "hosted" in chosen:
            from integrations.bench import hosted

            parts = [part.strip() for part in options["parts"].split(",") if part.strip()]
            unknown = sorted(set(parts) - set(hosted.PARTS))
            if unknown or not parts:
                raise CommandError(f"--parts: choose from {', '.join(hosted.PARTS)} (not {unknown}).")
            tables += hosted.bench_hosted(
                orgs=options["orgs"],
                minutes=options["minutes"],
                deliveries=options["deliveries"],
                managers=options["managers"],
                pages_seconds=options["pages_seconds"],
                parts=parts,
                rate=options["rate"],
                window=options["window"],
                port=options["port"],
                seed=options["seed"],
                first_sync_timeout=options["first_sync_timeout"],
                sandbox_apart=options["sandbox_apart"],
                q_workers=options["q_workers"],
                slots=options["slots"],
                say=self.say,
                show=self.show,
            )
        return tables

    def _pages(self, pages, world, transport, options):
        """`bench pages` on `world`'s synced mirror; with --check-scaling again on a small seed."""
        quiet = options["json"]
        table, results = pages.bench_pages(
            world, repeat=options["repeat"], say=self.say, only=options["only"]
        )
        tables = [table]
        scaling = small_results = None
        if not quiet:
            self.show(table)
        if options["check_scaling"]:
            pages.databases_reset(self.say)
            small = pages.world_synced(scale="small", seed=options["seed"], transport=transport, say=self.say)
            small_table, small_results = pages.bench_pages(
                small, repeat=options["repeat"], say=self.say, only=options["only"]
            )
            scaling = pages.scaling_table(
                small_results, results, small_scale="small", large_scale=options["scale"]
            )
            tables += [small_table, scaling]
            if not quiet:
                self.show(small_table)
                self.show(scaling)
        if quiet:
            self.json_report = pages.report_json(
                scale=options["scale"],
                seed=options["seed"],
                repeat=options["repeat"],
                results=results,
                scaling=scaling,
                small_results=small_results,
            )
        return tables

    def say(self, line):
        self.stderr.write(line)
        self.stderr.flush()

    def show(self, table):
        self.stdout.write("")
        self.stdout.write(table.render())
        self.stdout.flush()
