"""`libreach patrol [--library CODE]`: the link patrol now, with a progress bar."""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from libreach.core.progress import CommandProgress
from libreach.eresources import services
from libreach.eresources.management.commands._common import NOTHING_DONE, library_named
from libreach.eresources.models import PatrolStatus


class Command(BaseCommand):
    summary = "Check the link of every access route now (the daily link patrol)"
    help = (
        "Check every access route's link of one library (or all), record the results "
        "(the desk's link status, the API's link-status) and e-mail each library's staff "
        "the links newly broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--library", help="library code, e.g. PKU (default: all)")
        parser.add_argument("--timeout", type=float, help="seconds per request (default 15)")
        parser.add_argument("--retries", type=int, help="more attempts after a failure (2)")
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress bar (on a terminal) nor progress lines (otherwise)",
        )

    def handle(self, *args, library: str | None, no_progress: bool, **options):
        lib = library_named(library) if library else None
        limits = {k: options[k] for k in ("timeout", "retries") if options.get(k) is not None}
        if any(v < 0 for v in limits.values()):
            raise CommandError("--timeout and --retries cannot be negative.", returncode=2)
        # Progress on stderr (a bar on a terminal, a line per tenth otherwise); the
        # summary on stdout.
        with CommandProgress(self.stderr._out, show=not no_progress) as progress:
            advance = None

            def on_result(result, done: int, total: int) -> None:
                nonlocal advance
                if advance is None:
                    advance = progress.task("links", total=total, unit="links")
                advance(done)

            outcome = services.run_patrol(library=lib, progress=on_result, **limits)
        if outcome.checked == 0:
            raise CommandError("No link to check.", returncode=NOTHING_DONE)
        counts = Counter(c.status for c in outcome.run.checks.all())
        self.stdout.write(
            f"checked {outcome.checked} links: {outcome.checked - outcome.broken} reachable, "
            f"{outcome.broken} broken, {len(outcome.newly_broken)} newly broken"
        )
        for status in PatrolStatus.values:
            if counts.get(status):
                self.stdout.write(f"  {status}: {counts[status]}")
        for check in outcome.newly_broken:
            self.stdout.write(
                f"newly broken: {check.route.database.name} ({check.route.kind}) {check.url} "
                f"{check.status}{f' {check.http_status}' if check.http_status else ''}"
            )
