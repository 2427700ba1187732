"""libreach import-readers FILE.csv --library CODE"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from libreach.accounts.services import READER_CSV_COLUMNS, import_readers
from libreach.consortium.models import Library
from libreach.core.progress import CommandProgress


class Command(BaseCommand):
    summary = "Add or update a library's readers from a CSV file"
    help = (
        "Add or update readers from a UTF-8 CSV file with the columns "
        + ", ".join(READER_CSV_COLUMNS)
        + " (and optionally password). Re-importing updates readers by card number."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--library", required=True, help="library code, e.g. PKU")
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress bar (on a terminal) nor progress lines (otherwise)",
        )

    def handle(self, *args, file: Path, library: str, no_progress: bool, **options):
        try:
            lib = Library.objects.get(code=library)
        except Library.DoesNotExist:
            raise CommandError(f"No library with code {library!r}.", returncode=2) from None
        if not file.is_file():
            raise CommandError(f"No such file: {file}", returncode=2)
        # utf-8-sig: spreadsheet programs often save CSV with a byte-order mark.
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = {h.strip().lower() for h in reader.fieldnames or []}
            missing = {"card_number", "name", "reader_type"} - header
            if missing:
                raise CommandError(
                    f"{file}: missing column(s) {', '.join(sorted(missing))}; expected "
                    + ", ".join(READER_CSV_COLUMNS),
                    returncode=2,
                )
            # Progress on stderr (a bar on a terminal, a line per tenth otherwise): a
            # password is hashed per row, so a large file takes minutes.
            with CommandProgress(self.stderr._out, show=not no_progress) as progress:
                advance = progress.task(file.name, total=_data_rows(file), unit="readers")
                report = import_readers(library=lib, rows=_counted(reader, advance))

        for problem in report.problems:
            self.stderr.write(
                f"line {problem.line} ({problem.card_number or 'no card number'}): {problem.reason}"
            )
        self.stdout.write(
            f"read {report.read}, imported {report.imported}, updated {report.updated}, "
            f"skipped {report.skipped}"
        )
        if report.imported + report.updated == 0:
            raise CommandError("No reader was imported.", returncode=1)


def _data_rows(file: Path) -> int:
    with file.open(newline="", encoding="utf-8-sig") as handle:
        return max(0, sum(1 for row in csv.reader(handle) if row) - 1)  # less the header


def _counted(reader: csv.DictReader, advance):
    for done, row in enumerate(reader, start=1):
        yield reader.line_num, row
        advance(done)
