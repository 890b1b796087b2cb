"""Run the web server and a django-q2 cluster together until Ctrl-C (what `make demo` ends with).

Each of the two runs in a process group of its own, so the cluster's sentinel, workers, pusher
and monitor are found with it, and the terminal's Ctrl-C reaches only this command. Ctrl-C
(SIGINT), SIGTERM or SIGHUP stops both groups with SIGTERM: the cluster's helpers die at once
(django-q2 leaves them SIGTERM's default), so a sync in progress does not keep them running;
whatever still runs after a short grace period (or at a second Ctrl-C) is killed.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

# The Django admin's demo account (a local run only: never created with DJANGO_DEBUG=0).
DEMO_STAFF_USERNAME = "admin"
DEMO_STAFF_PASSWORD = "demo"  # noqa: S105 (the demo's published password)
GRACE_SECONDS = 5.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Command(BaseCommand):
    help = (
        "Serve Clockroom on 127.0.0.1:PORT with a django-q2 cluster beside it, and make sure the demo's "
        "staff account exists (with DJANGO_DEBUG=1); Ctrl-C stops everything it started."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", type=int, default=settings.PORT, help="default: PORT (8000); the public URL follows it"
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--grace",
            type=float,
            default=GRACE_SECONDS,
            help="seconds the processes get to stop after SIGTERM before they are killed",
        )

    def handle(self, *args, host, port, grace, **options):
        staff = self.demo_staff_ensure()
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        previous = {signum: signal.signal(signum, stop) for signum in STOP_SIGNALS}
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        processes = {}
        try:
            # process_group=0: each child leads a new process group (the cluster's processes join
            # the worker's), and the terminal's Ctrl-C reaches only this command, which stops them.
            processes["web"] = subprocess.Popen(
                [*manage, "runserver", f"{host}:{port}", "--noreload"], process_group=0
            )
            processes["worker"] = subprocess.Popen([*manage, "qcluster"], process_group=0)
            self.announce(host, port, staff)
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"The {name} process stopped (exit {process.returncode}).")
                        stopping.append(None)
                        break
                time.sleep(0.2)
        finally:
            self.stdout.write("Stopping the web server and the task queue...")
            self.stop_groups(processes.values(), grace, stopping)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.stdout.write("Stopped.")
        if stopping and stopping[0] is None:
            raise CommandError("Clockroom stopped because one of its processes did (see above).")

    def demo_staff_ensure(self):
        """The Django admin's demo account (staff and superuser, password `demo`), made again if it
        changed; None with DJANGO_DEBUG=0, where a known password must never exist."""
        if not settings.DEBUG:
            return None
        user, _created = get_user_model().objects.get_or_create(username=DEMO_STAFF_USERNAME)
        ready = user.is_active and user.is_staff and user.is_superuser
        if not (ready and user.check_password(DEMO_STAFF_PASSWORD)):
            user.is_active = user.is_staff = user.is_superuser = True
            user.set_password(DEMO_STAFF_PASSWORD)
            user.save()
        return user

    def announce(self, host, port, staff):
        base = f"http://{host}:{port}"
        self.stdout.write(self.style.SUCCESS(f"\nClockroom is running at {base}/"))
        if staff is not None:
            self.stdout.write(
                f"Django admin: {base}/admin/ as {DEMO_STAFF_USERNAME} / {DEMO_STAFF_PASSWORD} "
                "(the demo's staff account)."
            )
        public = urlsplit(settings.WEBWORK_PUBLIC_BASE_URL)
        if public.hostname in LOCAL_HOSTS | {host} and public.port != port:
            self.stderr.write(
                f"WEBWORK_PUBLIC_BASE_URL is {settings.WEBWORK_PUBLIC_BASE_URL}, not this server: "
                f"Sign in with WebWork and the webhooks go there. Run `PORT={port} make demo` instead."
            )
        self.stdout.write("The task queue is running beside it. Press Ctrl-C to stop both.\n")

    def stop_groups(self, processes, grace, stopping):
        """Stop every group: SIGTERM to the processes a child started first, then to the child once
        it is alone (django-q2's qcluster, told to stop while its sentinel dies, can wait forever
        for it; with its helpers gone it exits at once). What still runs after `grace` seconds, or
        at another stop signal, is killed. The children are reaped."""
        processes = list(processes)
        signals_seen = len(stopping)
        signalled = set()
        deadline = time.monotonic() + grace
        while True:
            running = False
            for process in processes:
                targets = stop_targets(process)
                if not targets:
                    continue
                running = True
                for pid in targets - signalled:
                    signalled.add(pid)
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGTERM)
            if not running:
                break
            if time.monotonic() >= deadline or len(stopping) > signals_seen:
                for process in processes:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(process.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.stderr.write(f"Process {process.pid} did not stop.")


def stop_targets(process):
    """What to send SIGTERM to (os.kill's pids) so the group `process` leads stops, or nothing once
    it has no running process left: the processes the child started while there are any, then the
    child. Zombies (left to an init that may never reap them) do not count. Without /proc to tell
    the processes apart, the whole group at once (-pgid)."""
    process.poll()  # reap the leader once it exits
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(process.pid, 0)
        except (ProcessLookupError, PermissionError):
            return set()
        return {-process.pid}
    members = set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == process.pid and fields[0] not in ("Z", "X"):
            members.add(int(entry.name))
    return (members - {process.pid}) or members
