"""`libreach import-kbart FILE.txt --library CODE --database ID_or_NAME`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from libreach.accounts.policies import SYSTEM
from libreach.core.errors import DomainError
from libreach.eresources import services
from libreach.eresources.management.commands._common import (
    BAD_ARGUMENTS,
    NOTHING_DONE,
    library_named,
)
from libreach.eresources.models import Database


class Command(BaseCommand):
    summary = "Import a KBART title list (NISO RP-9-2014) into one of a library's databases"
    help = (
        "Replace a database's title list with a KBART file's (tab-separated, 25 fields). "
        "Its journals also become the library's journal holdings, for document delivery. "
        "Rows with errors are skipped and printed with their line numbers."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the KBART file (.txt, tab-separated)")
        parser.add_argument("--library", required=True, help="library code, e.g. PKU")
        parser.add_argument("--database", required=True, help="the database's id or name")

    def handle(self, *args, file: Path, library: str, database: str, **options):
        lib = library_named(library)
        if not file.is_file():
            raise CommandError(f"No such file: {file}", returncode=BAD_ARGUMENTS)
        wanted = database.strip()
        found = Database.objects.filter(library=lib)
        found = found.filter(
            Q(pk=int(wanted)) if wanted.isdigit() else Q(name=wanted) | Q(name_en=wanted)
        ).first()
        if found is None:
            raise CommandError(
                f"{lib.code} has no database {database!r}.", returncode=BAD_ARGUMENTS
            )
        try:
            done = services.import_kbart(by=SYSTEM, database_id=found.pk, source=file.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}", returncode=BAD_ARGUMENTS) from exc
        except DomainError as exc:
            code = NOTHING_DONE if exc.code == "no_titles" else BAD_ARGUMENTS
            raise CommandError(f"{file}: {exc}", returncode=code) from exc
        for error in done.errors:
            self.stderr.write(f"line {error.line}: {error.field}: {error.message} {error.value!r}")
        self.stdout.write(
            f"{file.name} → {lib.code} {found.name}: {done.titles} titles, "
            f"{done.journal_holdings} journal holdings, {len(done.errors)} rows skipped"
        )
