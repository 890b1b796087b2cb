"""Run the web server and a django-q2 cluster together until Ctrl-C (what `make demo` ends with)."""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Clockroom on 127.0.0.1:PORT with a django-q2 cluster beside it; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, host, port, **options):
        manage = [sys.executable, "manage.py"]
        processes = {
            "web": subprocess.Popen([*manage, "runserver", f"{host}:{port}", "--noreload"]),
            "worker": subprocess.Popen([*manage, "qcluster"]),
        }
        self.stdout.write(self.style.SUCCESS(f"\nClockroom is running at http://{host}:{port}/"))
        self.stdout.write("The task queue is running beside it. Press Ctrl-C to stop both.\n")

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"The {name} process stopped (exit {process.returncode}).")
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
            self.stdout.write("Stopped.")
