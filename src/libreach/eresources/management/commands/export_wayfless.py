"""`libreach export-wayfless --library CODE [--entity-id URL | --community] --format md|json|csv
[-o FILE]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from libreach.eresources import selectors, wayfless
from libreach.eresources.management.commands._common import (
    BAD_ARGUMENTS,
    NOTHING_DONE,
    library_named,
)


class Command(BaseCommand):
    summary = "Export a library's WAYFless list as Markdown, JSON or CSV"
    help = (
        "Export the library's WAYFless list (its CARSI routes and notes, in the community "
        "Markdown form, or as JSON or CSV) with the library's IdP entityID, or the one "
        "given, filled in; with neither, {IDP地址} stays for others to fill."
    )

    def add_arguments(self, parser):
        parser.add_argument("--library", required=True, help="library code, e.g. PKU")
        parser.add_argument(
            "--entity-id",
            default="",
            help="an IdP entityID, e.g. https://idp.x.edu.cn/idp/shibboleth",
        )
        parser.add_argument(
            "--community",
            action="store_true",
            help="keep {IDP地址} even where the library has an IdP: the community form",
        )
        # Checked in handle(), not with `choices`, so a bad value exits with 2 under
        # call_command too.
        parser.add_argument("--format", required=True, help="md, json or csv")
        parser.add_argument("-o", "--output", type=Path, help="write to FILE (else stdout)")

    def handle(
        self, *args, library: str, entity_id: str, format: str, output, community=False, **options
    ):
        if format not in selectors.EXPORT_FORMATS:
            raise CommandError(
                f"Unknown --format {format!r}: use one of {', '.join(selectors.EXPORT_FORMATS)}.",
                returncode=BAD_ARGUMENTS,
            )
        if entity_id and community:
            raise CommandError(
                "--entity-id fills the placeholder in, --community keeps it: give one.",
                returncode=BAD_ARGUMENTS,
            )
        if entity_id:
            try:
                wayfless.idp_host_of(entity_id)
            except ValueError:
                raise CommandError(
                    f"--entity-id {entity_id!r} is not an https:// address.",
                    returncode=BAD_ARGUMENTS,
                ) from None
        lib = library_named(library)
        wlist = selectors.wayfless_list(library=lib)
        if not wlist.entries:
            raise CommandError(
                f"{lib.code} has no WAYFless list to export.", returncode=NOTHING_DONE
            )
        text = selectors.export_wayfless(
            library=lib, fmt=format, entity_id=entity_id or None, community=community
        )
        links = sum(len(m.links) for e in wlist.entries for m in e.methods)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc}", returncode=BAD_ARGUMENTS) from exc
        self.stdout.write(
            f"{lib.code} → {output}: {len(wlist.entries)} entries, {links} links ({format})"
        )
