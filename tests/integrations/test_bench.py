"""`manage.py bench`: a smoke run at a tiny scale prints every figure (timings are not asserted:
these machines are shared and noisy), and the figures that are not timings hold."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

TABLES = ("bench sync:", "bench sync, steady state:", "bench memory:", "bench upsert:", "bench intake:")


def figure(out, name):
    """(value, target, verdict) of the row `name` in the printed tables."""
    for line in out.splitlines():
        if line.startswith(f"  {name}  "):
            cells = re.split(r"\s{2,}", line.strip())
            return tuple(cells[1:]) + ("",) * (4 - len(cells))
    raise AssertionError(f"No figure {name!r} in:\n{out}")


@pytest.fixture(scope="module")
def smoke_run():
    """`bench all` at the small scale, a week of history and tiny counts, on its own throwaway
    databases (a suffix of their own, beside this suite's)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CLOCKROOM_TEST_DB_SUFFIX": os.environ.get("CLOCKROOM_TEST_DB_SUFFIX", "") + "_bench",
        "WEBWORK_HISTORY_DAYS": "7",
    }
    command = [
        sys.executable,
        "manage.py",
        "bench",
        "all",
        "--scale=small",
        "--rate=60",
        "--window=1",
        "--rows=300",
        "--few=2",
        "--many=4",
        "--n=20",
    ]
    return subprocess.run(
        command,
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


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
    for kind, runs in (("queues", 30), ("recent", 4), ("incremental", 1)):
        planned, made = (int(n) for n in figure(out, f"{kind}: requests planned / made")[0].split(" / "))
        assert 0 < made <= planned * 1.05, kind
        assert figure(out, f"{kind}: made / planned")[2] == "ok"
        assert figure(out, f"{kind}: 429 answers")[:3] == ("0", "0", "ok")
        assert figure(out, f"{kind}: steps failed")[0] == "0"
        assert figure(out, f"{kind}: runs an hour")[0] == str(runs)
        per_hour += made * runs
    assert figure(out, "requests an hour, default schedule")[0] == f"{per_hour:,}"
    assert figure(out, "share of the per-minute budget")[0] == f"{per_hour / 3600:.1%}"


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
