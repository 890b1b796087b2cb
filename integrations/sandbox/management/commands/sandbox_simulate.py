import random

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integrations.sandbox.models import Workspace
from integrations.sandbox.simulation import MEAN_PAUSE_SECONDS, Simulator


def positive_float(value):
    number = float(value)
    if number <= 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Bring the WebWork sandbox to life: members start and stop trackers, submit timesheets, ask "
        f"for time and leave, and file expenses, one action every {MEAN_PAUSE_SECONDS:.0f} s on average "
        "at speed 1. Runs until Ctrl-C, or for --seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=positive_float, help="stop after this many seconds")
        parser.add_argument("--speed", type=positive_float, default=1.0, help="2 = twice as many actions")
        parser.add_argument("--workspace", type=int, help="keep the activity to this workspace id")
        parser.add_argument("--seed", type=int, help="a seed for a repeatable run")

    def handle(self, *args, seconds, speed, workspace, seed, **options):
        workspaces = Workspace.objects.all()
        if workspace is not None and not workspaces.filter(pk=workspace).exists():
            raise CommandError(f"No sandbox workspace with id {workspace}.")
        if not workspaces.exists():
            raise CommandError("The sandbox is empty: run `manage.py sandbox_seed` first.")
        simulator = Simulator(rng=random.Random(seed), workspace_id=workspace)
        scope = workspaces.get(pk=workspace).name if workspace else "all workspaces"
        until = f"for {seconds:g} s" if seconds else "until Ctrl-C"
        self.stdout.write(f"Simulating activity in {scope} at speed {speed:g}, {until}.")
        try:
            simulator.run(seconds=seconds, speed=speed, log=self.log)
        except KeyboardInterrupt:
            self.stdout.write("")
        count = simulator.actions
        self.stdout.write(f"Stopped after {count} action{'' if count == 1 else 's'}.")

    def log(self, line):
        self.stdout.write(f"{timezone.localtime():%H:%M:%S} {line}")
        self.stdout.flush()
