"""`libreach import-wayfless FILE.md --library CODE`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from libreach.accounts.policies import SYSTEM
from libreach.core.errors import DomainError
from libreach.eresources import services
from libreach.eresources.management.commands._common import (
    BAD_ARGUMENTS,
    NOTHING_DONE,
    library_named,
    read_text,
)


class Command(BaseCommand):
    summary = "Import a community WAYFless list (Markdown) as a library's CARSI routes"
    help = (
        "Import a community WAYFless list in its Markdown form (## name headings, ### 方式N "
        "headings, URL lines indented four spaces with {IDP地址} for the IdP host, note "
        "lines): each entry becomes a database (made if missing) with its CARSI routes and "
        "notes in their places. Importing again replaces them."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the list, a UTF-8 Markdown file")
        parser.add_argument("--library", required=True, help="library code, e.g. PKU")

    def handle(self, *args, file: Path, library: str, **options):
        lib = library_named(library)
        text = read_text(file)
        try:
            done = services.import_wayfless(by=SYSTEM, library=lib, text=text)
        except DomainError as exc:
            code = NOTHING_DONE if exc.code == "empty_list" else BAD_ARGUMENTS
            raise CommandError(f"{file}: {exc}", returncode=code) from exc
        self.stdout.write(
            f"{file.name} → {lib.code}: {len(done.names)} entries "
            f"({done.databases_created} new, {done.databases_updated} updated), "
            f"{done.links} links, {done.notes} notes"
        )
