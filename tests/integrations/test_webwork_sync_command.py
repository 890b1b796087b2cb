"""`manage.py webwork_sync`: a foreground sync with its progress and a closing summary line."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from integrations import models as mirror
from integrations.sandbox import models as sandbox
from integrations.sync import orchestrator
from tests.sandbox_world import mirror_connected

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

SUMMARY = re.compile(
    r"^Synced (?P<name>.+): (?P<requests>\d+) requests, (?P<rows>\d+) rows \((?P<created>\d+) created, "
    r"(?P<updated>\d+) updated, (?P<removed>\d+) removed\) in \d+\.\d s$"
)


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def workspace(world, sandbox_transport, settings):
    settings.WEBWORK_HISTORY_DAYS = 3
    return mirror_connected(world.acme, world.owner)


def sync(*args, out=None):
    out = out or io.StringIO()
    err = io.StringIO()
    call_command("webwork_sync", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_summary_line_counts_requests_and_rows(workspace):
    output, errors = sync("--workspace", str(workspace.webwork_id))

    assert errors == ""
    summary = SUMMARY.match(output.splitlines()[-1])
    assert summary, output
    assert summary["name"] == "Acme Studio"
    runs = mirror.SyncRun.objects.filter(workspace=workspace)
    assert int(summary["requests"]) == sum(run.requests for run in runs) > 0
    assert int(summary["created"]) == sum(run.created for run in runs) >= 6  # the six members at least
    assert int(summary["rows"]) == int(summary["created"]) + int(summary["updated"]) + int(summary["removed"])
    # Not a terminal: a line per step.
    steps = mirror.SyncState.objects.get(workspace=workspace).plan["steps"]
    step_lines = [line for line in output.splitlines()[:-1] if line.startswith("[")]
    assert len(step_lines) == len(steps)
    assert step_lines[0].endswith("timesheets: submitted (queues) done")
    assert re.match(r"^\[#+\] (\d+)/\1 requests ", step_lines[-1])


def test_on_a_terminal_the_progress_bar_redraws_one_line(workspace):
    output, _errors = sync("--workspace", str(workspace.webwork_id), out=Terminal())

    lines = output.split("\n")
    assert len([line for line in lines if line]) == 2  # the redrawn bar, then the summary
    assert lines[0].count("\r") > 10
    assert SUMMARY.match(lines[1])


def test_one_resource_and_the_full_history(workspace):
    sync("--workspace", str(workspace.webwork_id), "--resource", "members")

    assert set(mirror.SyncRun.objects.values_list("resource", flat=True)) == {"members"}
    assert mirror.Member.objects.filter(workspace=workspace).count() == 6

    sync("--workspace", str(workspace.pk), "--full")

    plan = mirror.SyncState.objects.get(workspace=workspace).plan
    assert plan["scope"] == "full"
    assert any(step["kind"] == "history" for step in plan["steps"])


def test_unknown_workspace_or_resource_lists_the_valid_ones(workspace):
    with pytest.raises(CommandError) as unknown_workspace:
        sync("--workspace", "999999")
    assert f"{workspace.webwork_id}\tAcme Studio" in str(unknown_workspace.value)

    with pytest.raises(CommandError) as unknown_resource:
        sync("--workspace", str(workspace.webwork_id), "--resource", "invoices")
    message = str(unknown_resource.value)
    assert "invoices" in message
    assert "members" in message
    assert "time_entries" in message
    assert not mirror.SyncRun.objects.exists()


def test_a_sync_already_running_is_refused(workspace):
    with orchestrator.workspace_lock(workspace), pytest.raises(CommandError, match="already running"):
        sync("--workspace", str(workspace.webwork_id))
    assert not mirror.SyncRun.objects.exists()


def test_failed_steps_are_named_one_line_each_and_the_command_fails(workspace):
    sandbox.FaultSettings.objects.update_or_create(pk=1, defaults={"server_error_rate": 1.0})
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("webwork_sync", "--workspace", str(workspace.webwork_id), stdout=out, stderr=err)

    steps = [
        s for s in mirror.SyncState.objects.get(workspace=workspace).plan["steps"] if s["status"] == "failed"
    ]
    assert len(steps) > 10
    failed_lines = [line for line in err.getvalue().splitlines() if line.startswith("  failed: ")]
    assert [line.removeprefix("  failed: ") for line in failed_lines] == [
        f"{s['name']}: {s['error']}" for s in steps
    ]
    assert all("ServerError" in line for line in failed_lines)
    assert f"{len(steps)} steps of the sync of Acme Studio failed" in str(failed.value)
    assert SUMMARY.match(out.getvalue().splitlines()[-1])
    # What failed is owed, to be retried by the next syncs.
    assert mirror.OwedSync.objects.filter(workspace=workspace).count() >= len(steps)
