"""`manage.py bench`: a smoke run at a tiny scale prints every figure (timings are not asserted:
these machines are shared and noisy), and the figures that are not timings hold."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch, reverse

from integrations.bench.pages import PAGES, PageResult, report_json, scaling_table

TABLES = (
    "bench sync:",
    "bench sync, steady state:",
    "bench pages:",
    "bench memory:",
    "bench upsert:",
    "bench intake:",
)


def figure(out, name):
    """(value, target, verdict) of the row `name` in the printed tables."""
    for line in out.splitlines():
        if line.startswith(f"  {name}  "):
            cells = re.split(r"\s{2,}", line.strip())
            return tuple(cells[1:]) + ("",) * (4 - len(cells))
    raise AssertionError(f"No figure {name!r} in:\n{out}")


def bench_run(*arguments, suffix="_bench"):
    """`manage.py bench ...` in its own process, on its own throwaway databases (a suffix of their
    own, beside this suite's), with a week of history."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CLOCKROOM_TEST_DB_SUFFIX": os.environ.get("CLOCKROOM_TEST_DB_SUFFIX", "") + suffix,
        "WEBWORK_HISTORY_DAYS": "7",
    }
    command = [sys.executable, "manage.py", "bench", *arguments]
    return subprocess.run(
        command,
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture(scope="module")
def smoke_run():
    """`bench all` at the small scale and tiny counts."""
    return bench_run(
        "all",
        "--scale=small",
        "--rate=60",
        "--window=1",
        "--rows=300",
        "--few=2",
        "--many=4",
        "--n=20",
        "--repeat=2",
    )


@pytest.fixture(scope="module")
def pages_run():
    """`bench pages` at the smallest scale, two requests a page."""
    return bench_run("pages", "--scale=small", "--repeat=2", suffix="_bench_pages")


def test_bench_all_prints_every_table(smoke_run):
    assert smoke_run.returncode == 0, smoke_run.stderr
    out = smoke_run.stdout
    assert [title for title in TABLES if title in out] == list(TABLES)
    for name in (
        "requests planned",
        "requests made",
        "made / planned",
        "naive plan (/time-entries per member per date)",
        "naive / planned",
        "wall seconds",
        "rows mirrored (created + updated + removed)",
        "bulk_create rows/s",
        "upsert (inserts) / bulk_create",
        "upsert (updates) / bulk_create",
        "peak 4 / peak 2",
        "median ms",
        "p95 ms",
    ):
        value, _target, _verdict = figure(out, name)[:3]
        assert re.fullmatch(r"[\d,.]+", value), (name, value)
    assert "load average" in out


def test_bench_sync_mirrors_the_sandbox_without_a_429(smoke_run):
    out = smoke_run.stdout
    assert figure(out, "429 answers")[:3] == ("0", "0", "ok")
    assert figure(out, "sync status")[0] == "done"
    assert figure(out, "steps failed")[0] == "0"
    planned = int(figure(out, "requests planned")[0].replace(",", ""))
    naive = int(figure(out, "naive plan (/time-entries per member per date)")[0].replace(",", ""))
    assert 0 < planned < naive
    for table in ("members", "projects", "tasks", "contracts", "time entries", "timesheets"):
        mirror, sandbox = figure(out, f"mirror / sandbox: {table}")[0].split(" / ")
        assert mirror == sandbox != "0", table


def test_bench_sync_prices_each_scheduled_cycle_and_the_hour(smoke_run):
    out = smoke_run.stdout
    per_hour = 0
    for kind, runs in (("queues", 60), ("recent", 4), ("incremental", 1)):
        planned, made = (int(n) for n in figure(out, f"{kind}: requests planned / made")[0].split(" / "))
        assert 0 < made <= planned * 1.05, kind
        assert figure(out, f"{kind}: made / planned")[2] == "ok"
        assert figure(out, f"{kind}: 429 answers")[:3] == ("0", "0", "ok")
        assert figure(out, f"{kind}: steps failed")[0] == "0"
        assert figure(out, f"{kind}: runs an hour")[0] == str(runs)
        per_hour += made * runs
    assert figure(out, "requests an hour, default schedule")[0] == f"{per_hour:,}"
    assert figure(out, "share of the per-minute budget")[0] == f"{per_hour / 3600:.1%}"


def test_bench_sync_says_what_attendance_costs(smoke_run):
    """A week of history: attendance of today and the 7 days before in the first (full) sync, of
    today and yesterday every 15 minutes and hourly; one request a date (under 100 members)."""
    out = smoke_run.stdout
    assert figure(out, "of the requests made: attendance (dates)")[0] == "8 (8)"
    assert figure(out, "recent: of which attendance (dates)")[0] == "2 (2)"
    assert figure(out, "incremental: of which attendance (dates)")[0] == "2 (2)"
    assert figure(out, "queues: of which attendance (dates)")[0] == "0 (0)"
    assert figure(out, "of which attendance, requests an hour")[0] == str(4 * 2 + 2)


def test_bench_counts_what_it_wrote(smoke_run):
    out = smoke_run.stdout
    assert figure(out, "upsert counted (created+updated)")[0] == "300+0, 0+300"
    assert figure(out, "answered 202 / stored")[0] == "40 / 40"


def test_bench_leaves_no_database_behind(smoke_run):
    suffix = os.environ.get("CLOCKROOM_TEST_DB_SUFFIX", "") + "_bench"
    left = [p.name for p in django_settings.VAR_DIR.glob(f"test_*{suffix}.sqlite3*")]
    assert smoke_run.returncode == 0
    assert left == []


def test_the_sync_bench_refuses_without_the_sandbox(settings):
    settings.WEBWORK_SANDBOX = False

    with pytest.raises(CommandError, match=r"sandbox.*DJANGO_DEBUG=1 python manage.py bench"):
        call_command("bench", "sync")


def test_the_bench_refuses_nonsense_counts():
    with pytest.raises(CommandError, match="--few must be smaller than --many"):
        call_command("bench", "memory", few=10, many=5)


def existing_pages():
    """(label, URL name) of PAGES whose URL name exists, and of those that do not (yet)."""
    existing, missing = [], []
    for label, url_name, *rest in PAGES:
        arguments = {name: 1 for name in (rest[2] if len(rest) > 2 else {})}  # a row's page
        try:
            reverse(url_name, kwargs={"workspace_id": 1, **arguments})
        except NoReverseMatch:
            try:
                reverse(url_name)
            except NoReverseMatch:
                missing.append((label, url_name))
                continue
        existing.append((label, url_name))
    return existing, missing


def test_bench_pages_requests_every_existing_page_as_a_manager(pages_run):
    assert pages_run.returncode == 0, pages_run.stderr
    out = pages_run.stdout
    assert "bench pages: scale small" in out
    existing, missing = existing_pages()
    assert {"dashboard:home", "dashboard:workspace", "dashboard:sync_health", "dashboard:freshness"} <= {
        url_name for _label, url_name in existing
    }
    for label, _url_name in existing:
        url, status, median_ms, p95_ms, queries, same, verdict = figure(out, label)[:7]
        assert url.startswith("/"), (label, url)
        assert status == "200", (label, status)
        for timing in (median_ms, p95_ms):
            assert re.fullmatch(r"\d+\.\d", timing), (label, timing)
        assert re.fullmatch(r"[1-9]\d*(-\d+)?", queries), (label, queries)
        assert same in ("yes", "no"), (label, same)
        assert verdict in ("ok", "MISSED"), (label, verdict)
    for label, url_name in missing:
        assert f"skipped: {label} ({url_name}): no such URL name yet" in out
    assert figure(out, "Freshness line")[0] == "/w/1/freshness/?of=timesheets,time_requests,leave_requests"


def test_the_pages_options_belong_to_bench_pages():
    with pytest.raises(CommandError, match="--json is an option of `bench pages` only"):
        call_command("bench", "sync", json=True)
    with pytest.raises(CommandError, match="--check-scaling compares with --scale small"):
        call_command("bench", "pages", scale="small", check_scaling=True)
    with pytest.raises(CommandError, match="--repeat must be at least 1"):
        call_command("bench", "pages", repeat=0)
    with pytest.raises(CommandError, match="--only is an option of `bench pages` only"):
        call_command("bench", "sync", only="Hours")
    with pytest.raises(CommandError, match=r"No page is labelled with “Payroll”\. The pages: Home, Overview"):
        call_command("bench", "pages", only="Payroll")


def measured(label, queries, times=(10.0, 12.0, 400.0)):
    return PageResult(
        label,
        "dashboard:x",
        "/x/",
        statuses=[200] * len(queries),
        times_ms=list(times[: len(queries)]),
        query_counts=list(queries),
    )


def test_query_counts_must_match_at_both_scales_and_on_every_repeat():
    small = [measured("Same", [5, 5]), measured("Grows", [5, 5]), measured("Wobbles", [5, 5])]
    large = [measured("Same", [5, 5]), measured("Grows", [9, 9]), measured("Wobbles", [5, 6])]

    table = scaling_table(small, large, small_scale="small", large_scale="medium")

    assert [figure.figure for figure in table.missed] == [
        "Grows: queries 5 -> 9",
        "Wobbles: queries 5 -> 5-6",
    ]
    assert figure(table.render(), "Same")[:3] == ("5", "5", "ok")
    assert figure(table.render(), "Wobbles")[:3] == ("5", "5-6", "MISSED")


def test_the_json_report_carries_every_figure():
    fast = measured("Fast", [4, 4, 4])
    slow = PageResult(
        "Slow", "dashboard:y", "/y/", statuses=[200] * 3, times_ms=[160.0] * 3, query_counts=[3] * 3
    )
    skipped = PageResult("Later", "dashboard:later", skipped="no such URL name yet")

    report = json.loads(report_json(scale="small", seed=1, repeat=3, results=[fast, slow, skipped]))

    assert report["targets"] == {"median_ms": 150.0, "p95_ms": 300.0}
    first, second, third = report["pages"]
    assert (first["median_ms"], first["p95_ms"], first["queries"], first["queries_same"]) == (
        12.0,
        400.0,
        4,
        True,
    )
    assert first["met"] is False  # p95 over 300 ms
    assert (second["status"], second["median_ms"], second["met"]) == (200, 160.0, False)
    assert third == {"page": "Later", "url_name": "dashboard:later", "skipped": "no such URL name yet"}
