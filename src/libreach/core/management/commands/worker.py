"""libreach worker [--once] [--interval SECONDS]"""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from libreach.core import worker


class Command(BaseCommand):
    summary = "Run background tasks (notices) and periodic jobs (quarantine, closures)"
    help = (
        "Run background tasks and enqueue periodic jobs when they fall due "
        "(quarantine release, closure re-dating, ...). Run as many as you like."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="one round (due jobs, pending tasks), then exit"
        )
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds between rounds (default 5)"
        )

    def handle(self, *args, once: bool, interval: float, **options):
        if interval <= 0:
            raise CommandError("--interval must be positive.", returncode=2)
        if not worker.uses_database_backend():
            self.stdout.write("Tasks run inline (LIBREACH_TASKS=immediate): only periodic jobs.")
        if once:
            enqueued, ran = worker.run_once()
            self.stdout.write(
                f"Enqueued {len(enqueued)} periodic job(s)"
                f"{': ' + ', '.join(enqueued) if enqueued else ''}; ran {ran} task(s)."
            )
            return
        stop = threading.Event()

        def finish(signum, frame):
            self.stdout.write("Stopping after the current round ...")
            stop.set()

        signal.signal(signal.SIGINT, finish)
        signal.signal(signal.SIGTERM, finish)
        self.stdout.write(f"Worker running, a round every {interval:g} s; Ctrl+C stops it.")
        worker.run_forever(stop, interval=interval)
        self.stdout.write("Worker stopped.")
