"""What the e-resources commands share: exit codes and the library named by its code."""

from django.core.management.base import CommandError

from libreach.consortium.models import Library
from libreach.consortium.selectors import library_by_code
from libreach.core.errors import DomainError

BAD_ARGUMENTS = 2
NOTHING_DONE = 1


def library_named(code: str) -> Library:
    try:
        return library_by_code(code)
    except DomainError as exc:
        raise CommandError(str(exc), returncode=BAD_ARGUMENTS) from exc


def read_text(path) -> str:
    """A UTF-8 text file (a byte-order mark dropped); a missing or unreadable one is a bad
    argument."""
    if not path.is_file():
        raise CommandError(f"No such file: {path}", returncode=BAD_ARGUMENTS)
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}", returncode=BAD_ARGUMENTS) from exc
