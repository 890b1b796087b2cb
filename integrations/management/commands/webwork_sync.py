"""`manage.py webwork_sync --workspace ID [--resource NAME] [--full]`: sync one workspace now.

Runs in the foreground with the connection that syncs the workspace (see `webwork_connect`),
under the same per-workspace lock as the scheduled syncs, and shows the plan's progress: one
line redrawn in place on a terminal, a line per step otherwise. Ends with a summary line:

    Synced Acme Studio: 42 requests, 310 rows (300 created, 8 updated, 2 removed) in 41.7 s

A step that failed is named on stderr, one line each, and the command exits with status 1.
"""

from django.core.management.base import BaseCommand, CommandError

from integrations.models import Workspace
from integrations.services import workspaces as workspace_services

BAR_WIDTH = 24


class Command(BaseCommand):
    help = "Sync one WebWork workspace now, showing the plan's progress and a summary."

    def add_arguments(self, parser):
        parser.add_argument(
            "--workspace", required=True, help="The workspace's WebWork id (or Clockroom id)."
        )
        parser.add_argument("--resource", default="", help="Only this resource (e.g. members, time_entries).")
        parser.add_argument("--full", action="store_true", help="Everything, history included.")

    def handle(self, *args, workspace, resource, full, **options):
        target = self._workspace(workspace)
        resource = (resource or "").strip()
        if resource and resource not in workspace_services.SYNC_RESOURCES:
            valid = ", ".join(workspace_services.SYNC_RESOURCES)
            raise CommandError(f"Unknown resource {resource!r}. Valid resources: {valid}.")
        progress = Progress(self.stdout, self.stdout.isatty())
        result = workspace_services.workspace_sync_run(
            workspace=target, full=full, resource=resource, progress=progress
        )
        progress.close()
        if result.status == workspace_services.SYNC_ALREADY_RUNNING:
            raise CommandError(f"A sync of {target} is already running; try again when it has finished.")
        if result.plan is not None and not result.plan.steps:
            self.stderr.write(
                f"Nothing of {resource or 'this workspace'} to sync now; --full includes the history."
            )
        for error in result.errors:
            self.stderr.write(f"  failed: {error}")
        self.stdout.write(result.summary())
        if result.status == workspace_services.SYNC_STOPPED:
            reason = result.errors[-1] if result.errors else "WebWork refused it."
            raise CommandError(f"The sync of {target} stopped: {reason}")
        if result.status == workspace_services.SYNC_LOST_LOCK:
            raise CommandError(f"Another sync of {target} took over; this one stopped.")
        if result.errors:
            failed = len(result.errors)
            raise CommandError(
                f"{failed} step{'s' if failed != 1 else ''} of the sync of {target} failed (listed above). "
                "What failed is owed: the next syncs retry it, and Sync health shows it until then."
            )

    def _workspace(self, value):
        workspaces = Workspace.objects.order_by("name", "pk")
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
        found = None
        if number is not None:
            found = workspaces.filter(webwork_id=number).first() or workspaces.filter(pk=number).first()
        if found is None:
            valid = (
                "\n".join(f"  {w.webwork_id}\t{w.name}" for w in workspaces) or "  (none: connect one first)"
            )
            raise CommandError(f"Unknown workspace {value!r}. Valid workspaces (WebWork id, name):\n{valid}")
        return found


class Progress:
    """The plan's progress: one line redrawn on a terminal, or one line per finished step."""

    def __init__(self, out, tty):
        self.out = out
        self.tty = tty
        self.width = 0

    def __call__(self, plan, step, event):
        if self.tty:
            self._draw(self._line(plan, step, "" if event == "start" else " done"))
        elif event == "end":
            outcome = "done" if step.status == "done" else f"FAILED ({step.error})"
            self.out.write(self._line(plan, step, f" {outcome}"))

    def _line(self, plan, step, suffix):
        done = plan.requests_done
        total = done + plan.requests_remaining
        filled = BAR_WIDTH if total == 0 else min(BAR_WIDTH, round(BAR_WIDTH * done / total))
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"[{bar}] {done}/{total} requests  {step.name} ({step.kind}){suffix}"

    def _draw(self, line):
        padding = " " * max(0, self.width - len(line))
        self.out.write(f"\r{line}{padding}", ending="")
        self.out.flush()
        self.width = len(line)

    def close(self):
        if self.tty and self.width:
            self.out.write("")  # end the redrawn line
