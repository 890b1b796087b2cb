"""`bench pages`: how fast the dashboard's pages answer a manager, and how many SQL queries each
costs, on a mirror filled by a full sync of the seeded sandbox.

The sandbox is seeded at `--scale` and its first workspace's Owner connected and fully synced, as
`bench sync` does (over HTTP, into the mirror). A Django test `Client` signed in as that Owner
(`force_login` of the user whose WorkspaceAccess may manage the workspace) then requests each page
of PAGES: WARM_UP unmeasured requests, then `repeat` measured ones, each timed around
`client.get` (the whole middleware stack, the view, the template) with the default database's
queries counted (`CaptureQueriesContext`). A page whose URL name does not exist yet is skipped
with a note.

`--check-scaling` runs the same pages again on a small seed and puts the query counts side by
side: a page whose count grows with the workspace's rows has an N+1 somewhere.
"""

import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.core.cache import caches
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse

from ..models import WorkspaceAccess
from ..sync import orchestrator
from .environment import ALIASES, BenchSetupError
from .report import MISSED, OK, load_average, median, percentile


def first_row(model_name, **filters):
    """A URL argument of PAGES: the WebWork id of the workspace's first current `model_name` row
    (in the model's order) matching `filters`, e.g. `first_row("Member", role="Regular User")`."""

    def webwork_id(workspace):
        from django.apps import apps

        rows = apps.get_model("integrations", model_name).objects.current()
        return rows.filter(workspace=workspace, **filters).values_list("webwork_id", flat=True).first()

    return webwork_id


def weeks_back(weeks, **query):
    """Query parameters of a report over the `weeks` whole weeks up to this one (a custom period,
    its dates read from the workspace's today when the page is requested)."""

    def start(workspace):
        today = workspace.today()
        return (workspace.week_start(today) - timedelta(weeks=weeks - 1)).isoformat()

    def end(workspace):
        return workspace.week_of(workspace.today())[1].isoformat()

    return {"period": "custom", "from": start, "to": end, **query}


# (label, URL name, query parameters[, request headers[, URL arguments]]): one line a page. A
# workspace page's URL takes the workspace's WebWork id (`workspace_id`); a page without that
# argument is reversed without it. URL arguments are values or functions of the workspace (a
# row's page: `first_row`). A URL name that does not exist (yet) is skipped with a note.
PAGES = [
    ("Home", "dashboard:home", {}),
    ("Overview", "dashboard:workspace", {}),
    ("Overview, polled: sync card", "dashboard:workspace", {"part": "sync-status"}, {"HX-Request": "true"}),
    ("Overview, polled: working now", "dashboard:workspace", {"part": "working-now"}, {"HX-Request": "true"}),
    ("Sync health", "dashboard:sync_health", {}),
    ("Freshness line", "dashboard:freshness", {"of": "timesheets,time_requests,leave_requests"}),
    ("Approvals: timesheets", "dashboard:approvals", {"tab": "timesheets"}),
    ("Approvals: time requests", "dashboard:approvals", {"tab": "time_requests"}),
    ("Approvals: leaves", "dashboard:approvals", {"tab": "leaves"}),
    ("Contracts", "dashboard:contracts", {}),
    ("Contracts: closest to the limit", "dashboard:contracts", {"sort": "closest", "group": "project"}),
    ("Contract", "dashboard:contract", {}, {}, {"webwork_id": first_row("Contract", status="active")}),
    ("Contract: edit", "dashboard:contract_edit", {}, {}, {"webwork_id": first_row("Contract")}),
    ("Audit trail", "dashboard:audit", {}),
    ("People", "dashboard:people", {}),
    ("Person", "dashboard:person", {}, {}, {"webwork_id": first_row("Member", role="Regular User")}),
    ("Projects", "dashboard:projects", {}),
    ("Project viewers", "dashboard:viewers", {}),
    ("Expenses", "dashboard:expenses", {}),
    ("Reports: timeline of today", "dashboard:report_timeline", {}),
    ("Reports: activity last week", "dashboard:report_activity", {"period": "last_week", "below": "40"}),
    ("Reports: tasks last week", "dashboard:report_tasks", {"period": "last_week"}),
    ("Reports: descriptions last week", "dashboard:report_descriptions", {"period": "last_week"}),
    ("Reports: attendance last week", "dashboard:report_attendance", {"period": "last_week"}),
    ("Reports: hours this week", "dashboard:reports", {}),
    (
        "Reports: hours, 13 weeks by member and week",
        "dashboard:reports",
        weeks_back(13, by="member", then="week"),
    ),
    (
        "Reports: hours CSV, 13 weeks by member and day",
        "dashboard:reports_csv",
        weeks_back(13, by="member", then="day"),
    ),
]

WARM_UP = 3
TARGET_MEDIAN_MS = 150.0
TARGET_P95_MS = 300.0
# The syncs that fill the mirror are not what is measured: no rate limit worth waiting for.
FAST_LIMIT = {
    "WEBWORK_RATE_LIMIT_PER_MINUTE": 100_000,
    "WEBWORK_RATE_LIMIT_PERIOD_SECONDS": 1,
    "SANDBOX_RATE_LIMIT_PER_MINUTE": 100_000,
    "SANDBOX_RATE_LIMIT_WINDOW_SECONDS": 1,
}
# Templates use `{% static %}`; without DEBUG the manifest storage would need `collectstatic`.
PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@dataclass
class PageResult:
    label: str
    url_name: str
    url: str = ""
    skipped: str = ""  # why the page was not measured
    statuses: list[int] = field(default_factory=list)
    times_ms: list[float] = field(default_factory=list)
    query_counts: list[int] = field(default_factory=list)

    @property
    def measured(self):
        return not self.skipped

    @property
    def status(self):
        """The answer's status when every request got the same one, else the first odd one."""
        odd = [status for status in self.statuses if status != 200]
        return odd[0] if odd else (200 if self.statuses else 0)

    @property
    def median_ms(self):
        return median(self.times_ms)

    @property
    def p95_ms(self):
        return percentile(self.times_ms, 0.95)

    @property
    def queries(self):
        """The query count, as "n" when every repeat made the same, else "min-max"."""
        low, high = min(self.query_counts, default=0), max(self.query_counts, default=0)
        return str(low) if low == high else f"{low}-{high}"

    @property
    def queries_same(self):
        return len(set(self.query_counts)) <= 1

    @property
    def met(self):
        return self.status == 200 and self.median_ms < TARGET_MEDIAN_MS and self.p95_ms < TARGET_P95_MS

    def as_json(self):
        if self.skipped:
            return {"page": self.label, "url_name": self.url_name, "skipped": self.skipped}
        return {
            "page": self.label,
            "url_name": self.url_name,
            "url": self.url,
            "status": self.status,
            "median_ms": round(self.median_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "queries": min(self.query_counts, default=0),
            "queries_max": max(self.query_counts, default=0),
            "queries_same": self.queries_same,
            "met": self.met,
            "times_ms": [round(ms, 2) for ms in self.times_ms],
            "query_counts": self.query_counts,
        }


@dataclass
class Missed:
    figure: str


class PagesTable:
    """One row a page: URL, median and p95 ms, queries, and the verdict against the targets."""

    HEADER = ("page", "URL", "status", "median ms", "p95 ms", "queries", "same", "")

    def __init__(self, title, results, notes=()):
        self.title = title
        self.results = results
        self.notes = list(notes)

    @property
    def missed(self):
        return [
            Missed(f"{result.label} ({result.url})")
            for result in self.results
            if result.measured and not result.met
        ]

    def lines(self):
        cells = [self.HEADER]
        for result in self.results:
            if result.measured:
                cells.append(
                    (
                        result.label,
                        result.url,
                        str(result.status),
                        f"{result.median_ms:.1f}",
                        f"{result.p95_ms:.1f}",
                        result.queries,
                        "yes" if result.queries_same else "no",
                        OK if result.met else MISSED,
                    )
                )
        widths = [max(len(cell[i]) for cell in cells) for i in range(len(self.HEADER))]
        right = {2, 3, 4, 5}

        def line(cell):
            parts = [
                f"{text:>{widths[i]}}" if i in right else f"{text:<{widths[i]}}"
                for i, text in enumerate(cell)
            ]
            return ("  " + "  ".join(parts)).rstrip()

        out = [self.title, *(f"  {note}" for note in self.notes), line(cells[0])]
        out.append("  " + "  ".join("-" * width for width in widths[:-1]))
        out += [line(cell) for cell in cells[1:]]
        out += [
            f"  skipped: {result.label} ({result.url_name}): {result.skipped}"
            for result in self.results
            if result.skipped
        ]
        return out

    def render(self):
        return "\n".join(self.lines())


class ScalingTable:
    """Each page's query count at two scales, side by side."""

    def __init__(self, title, small, large, *, small_scale, large_scale):
        self.title = title
        self.rows = []
        large_by_label = {result.label: result for result in large}
        for result in small:
            other = large_by_label.get(result.label)
            if result.measured and other is not None and other.measured:
                self.rows.append((result, other))
        self.small_scale = small_scale
        self.large_scale = large_scale

    @property
    def missed(self):
        return [
            Missed(f"{small.label}: queries {small.queries} -> {large.queries}")
            for small, large in self.rows
            if not self.independent(small, large)
        ]

    @staticmethod
    def independent(small, large):
        return small.queries_same and large.queries_same and small.queries == large.queries

    def lines(self):
        header = ("page", f"queries ({self.small_scale})", f"queries ({self.large_scale})", "")
        cells = [header] + [
            (small.label, small.queries, large.queries, OK if self.independent(small, large) else MISSED)
            for small, large in self.rows
        ]
        widths = [max(len(cell[i]) for cell in cells) for i in range(4)]

        def line(cell):
            label, a, b, verdict = cell
            return f"  {label:<{widths[0]}}  {a:>{widths[1]}}  {b:>{widths[2]}}  {verdict}".rstrip()

        out = [self.title, "  target: the same count at both scales, on every repeat", line(header)]
        out.append("  " + "  ".join("-" * width for width in widths[:3]))
        out += [line(cell) for cell in cells[1:]]
        return out

    def render(self):
        return "\n".join(self.lines())

    def as_json(self):
        return [
            {
                "page": small.label,
                f"queries_{self.small_scale}": small.queries,
                f"queries_{self.large_scale}": large.queries,
                "independent": self.independent(small, large),
            }
            for small, large in self.rows
        ]


# --- preparing the mirror ------------------------------------------------------------------------


def world_synced(*, scale, seed, transport, say):
    """Seed the sandbox at `scale`, connect its first workspace and fill the mirror with a full
    sync, as `bench sync` does (without its rate limit: the sync is not what is measured here)."""
    from . import sync

    with override_settings(**FAST_LIMIT):
        world = sync.world_prepare(scale=scale, seed=seed, transport=transport, say=say)
        full_sync(world, say)
    return world


def full_sync(world, say):
    """A full sync of `world`'s workspace into the mirror; refuses to measure a half-filled one."""
    say(f"Syncing {world.workspace.name} into the mirror (a full sync)...")
    started = time.monotonic()
    with override_settings(**FAST_LIMIT):
        result = orchestrator.workspace_sync(world.workspace, kind="full")
    if result.status != orchestrator.DONE:
        raise BenchSetupError(
            f"The full sync of {world.workspace.name} ended {result.status}: {result.errors}"
        )
    say(f"  synced {result.rows:,} rows in {time.monotonic() - started:.1f} s")


def databases_reset(say):
    """Empty both throwaway databases (and the cache) for another seed."""
    say("Emptying the throwaway databases for the next scale...")
    for alias in ALIASES:
        call_command("flush", database=alias, interactive=False, verbosity=0)
    for cache in caches.all():
        cache.clear()


# --- measuring -----------------------------------------------------------------------------------


def manager_of(workspace):
    """The Clockroom user who may manage `workspace` (the Owner the bench connected)."""
    access = (
        WorkspaceAccess.objects.filter(workspace=workspace, can_manage=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if access is None:
        raise BenchSetupError(
            f"Nobody may manage {workspace.name} in the mirror: the connection made no access."
        )
    return access.user


def page_url(url_name, query, workspace, arguments=None):
    """The page's URL for `workspace`, or None when the URL name does not exist."""
    arguments = arguments or {}
    extra = {name: value(workspace) if callable(value) else value for name, value in arguments.items()}
    try:
        path = reverse(url_name, kwargs={"workspace_id": workspace.webwork_id, **extra})
    except NoReverseMatch:
        try:
            path = reverse(url_name)
        except NoReverseMatch:
            return None
    query = {name: value(workspace) if callable(value) else value for name, value in query.items()}
    return f"{path}?{urlencode(query, safe=',')}" if query else path


def _entry(entry):
    label, url_name, query, *rest = entry
    return label, url_name, query, (rest[0] if rest else {}), (rest[1] if len(rest) > 1 else {})


def measure_pages(world, *, repeat, say, pages=None, warm_up=WARM_UP):
    """Request every page of `pages` (default PAGES) as the workspace's manager; a PageResult each."""
    client = Client()
    client.force_login(manager_of(world.workspace))
    results = []
    database = connections[DEFAULT_DB_ALIAS]
    with override_settings(STORAGES=PLAIN_STATIC):
        for entry in pages or PAGES:
            label, url_name, query, headers, arguments = _entry(entry)
            url = page_url(url_name, query, world.workspace, arguments)
            if url is None:
                results.append(PageResult(label, url_name, skipped="no such URL name yet"))
                continue
            say(f"  {label}: {url}")
            result = PageResult(label, url_name, url)
            for _ in range(warm_up):
                client.get(url, headers=headers, secure=True)
            for _ in range(repeat):
                with CaptureQueriesContext(database) as queries:
                    started = time.perf_counter()
                    response = client.get(url, headers=headers, secure=True)
                    if response.streaming:  # a CSV: the time it takes is the time to read it all
                        b"".join(response.streaming_content)
                    elapsed = time.perf_counter() - started
                result.times_ms.append(elapsed * 1000)
                result.query_counts.append(len(queries.captured_queries))
                result.statuses.append(response.status_code)
            results.append(result)
    return results


def database_name():
    return f"{connection.vendor} ({connection.display_name})"


def pages_labelled(only=""):
    """The entries of PAGES whose label contains one of `only`'s comma-separated words (every
    entry when `only` is empty)."""
    words = [word.strip().lower() for word in only.split(",") if word.strip()]
    return [entry for entry in PAGES if not words or any(word in entry[0].lower() for word in words)]


def bench_pages(world, *, repeat, say, only=""):
    """Measure PAGES (those `only` names, when given: see `pages_labelled`) on `world`'s synced
    mirror; returns (PagesTable, results)."""
    chosen = pages_labelled(only)
    if not chosen:
        raise BenchSetupError(f"No page of `bench pages` is labelled with “{only}”.")
    say(f"Requesting {len(chosen)} pages {repeat} times each (after {WARM_UP} warm-up requests)...")
    results = measure_pages(world, repeat=repeat, say=say, pages=chosen)
    table = PagesTable(
        f"bench pages: scale {world.scale}, seed {world.seed}, {world.workspace.name} "
        f"(WebWork id {world.workspace.webwork_id}), as its Owner",
        results,
        notes=[
            f"{repeat} requests a page after {WARM_UP} warm-up ones, timed around the test client's get",
            f"queries: SQL queries per request on the default database ({database_name()}), "
            '"n-m" when the repeats differed; same: the same count on every repeat',
            f"targets: median < {TARGET_MEDIAN_MS:g} ms, p95 < {TARGET_P95_MS:g} ms; "
            f"load average {load_average()}",
        ],
    )
    return table, results


def scaling_table(small, large, *, small_scale, large_scale):
    return ScalingTable(
        f"bench pages, query counts at two scales: {small_scale} vs {large_scale}",
        small,
        large,
        small_scale=small_scale,
        large_scale=large_scale,
    )


def report_json(*, scale, seed, repeat, results, scaling=None, small_results=None):
    """The machine-readable report of `bench pages --json`."""
    body = {
        "benchmark": "pages",
        "scale": scale,
        "seed": seed,
        "repeat": repeat,
        "warm_up": WARM_UP,
        "database": database_name(),
        "targets": {"median_ms": TARGET_MEDIAN_MS, "p95_ms": TARGET_P95_MS},
        "load_average": load_average(),
        "pages": [result.as_json() for result in results],
    }
    if scaling is not None:
        body["small_scale_pages"] = [result.as_json() for result in small_results]
        body["scaling"] = scaling.as_json()
    return json.dumps(body, indent=2)
