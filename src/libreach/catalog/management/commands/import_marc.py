"""`libreach import-marc FILE --library CODE [--format auto|marc21|unimarc]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from libreach.catalog.marc import FORMATS
from libreach.catalog.marc_import import ImportProblem, import_marc
from libreach.consortium.selectors import library_by_code
from libreach.core.errors import DomainError
from libreach.core.progress import CommandProgress

BAD_ARGUMENTS = 2
NOTHING_DONE = 1


class Command(BaseCommand):
    summary = "Import MARC records (MARC 21, CNMARC; ISO 2709, MARCXML) into a catalogue"
    help = (
        "Import MARC records (ISO 2709 or MARCXML; MARC 21 or UNIMARC/CNMARC) into a "
        "library's catalogue, with their items. Re-importing a file updates its records."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="ISO 2709 (.mrc, .dat) or MARCXML (.xml) file")
        parser.add_argument("--library", required=True, help="code of the library")
        # Checked in handle(), not with `choices`, so that a bad value exits with 2
        # under call_command too.
        parser.add_argument(
            "--format", default="auto", help="auto (per record, default), marc21 or unimarc"
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="records per transaction")
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress bar (on a terminal) nor progress lines (otherwise)",
        )

    def handle(self, *args, **options):
        fmt = options["format"]
        if fmt not in FORMATS:
            raise CommandError(
                f"Unknown --format {fmt!r}: use one of {', '.join(FORMATS)}.",
                returncode=BAD_ARGUMENTS,
            )
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.", returncode=BAD_ARGUMENTS)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}", returncode=BAD_ARGUMENTS)
        try:
            library = library_by_code(options["library"])
        except DomainError as exc:
            raise CommandError(exc.detail, returncode=BAD_ARGUMENTS) from exc

        # Problems and progress (a bar on a terminal, a line per tenth of the file
        # otherwise) go to stderr, the summary to stdout.
        progress = CommandProgress(self.stderr._out, show=not options["no_progress"])

        def on_problem(problem: ImportProblem) -> None:
            progress.print(str(problem))

        try:
            with progress:
                result = import_marc(
                    library=library,
                    path=path,
                    format=fmt,
                    batch_size=options["batch_size"],
                    on_progress=progress.task(path.name, total=path.stat().st_size, unit="bytes"),
                    on_problem=on_problem,
                )
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}", returncode=BAD_ARGUMENTS) from exc
        except DomainError as exc:
            raise CommandError(exc.detail, returncode=BAD_ARGUMENTS) from exc

        self.stdout.write(f"{path.name} → {library.code}: {result.summary()}")
        if result.imported + result.updated == 0:
            raise CommandError(
                "Nothing was imported." if result.read else "The file holds no MARC records.",
                returncode=NOTHING_DONE,
            )
