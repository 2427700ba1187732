"""`libreach import-carsi FILE.xml` and `libreach import-carsi --find NAME`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from libreach.accounts.policies import SYSTEM
from libreach.core.errors import DomainError
from libreach.eresources import selectors, services
from libreach.eresources.management.commands._common import BAD_ARGUMENTS, NOTHING_DONE


class Command(BaseCommand):
    summary = "Import the CARSI federation's SAML metadata, or find an institution's IdP"
    help = (
        "Replace the federation's identity providers with those of a SAML metadata "
        "aggregate (EntitiesDescriptor), to find a school's IdP by name and check the "
        "entityIDs libraries enter. --find NAME lists the IdPs whose names match."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path, help="the metadata aggregate (XML)")
        parser.add_argument("--find", default="", help="print the IdPs whose names match")

    def handle(self, *args, file: Path | None, find: str, **options):
        if file is None and not find.strip():
            raise CommandError("Give a metadata file, --find NAME, or both.", returncode=2)
        if file is not None:
            if not file.is_file():
                raise CommandError(f"No such file: {file}", returncode=BAD_ARGUMENTS)
            try:
                with file.open("rb") as handle:
                    count = services.import_federation_metadata(by=SYSTEM, source=handle)
            except DomainError as exc:
                code = NOTHING_DONE if exc.code == "no_idps" else BAD_ARGUMENTS
                raise CommandError(f"{file}: {exc}", returncode=code) from exc
            self.stdout.write(f"{file.name}: {count} identity providers")
        if find.strip():
            found = selectors.find_federation_idps(q=find)
            for idp in found:
                names = " / ".join(n for n in (idp.name, idp.name_en) if n)
                self.stdout.write(f"{idp.entity_id}\t{names}")
            if not found:
                raise CommandError(f"No identity provider matches {find!r}.", returncode=1)
