"""ISBN handling: every form a reader may type maps to one ISBN-13.

Check digits and the ISBN-10 <-> 13 conversion are python-stdnum's; this module only
finds the ISBN in what people and MARC records write around it.
"""

import re

from stdnum import isbn
from stdnum.exceptions import ValidationError

# Readers paste ISBNs with any dash or space between the groups.
_STRIP = re.compile(r"[\s\-‐‑–—]")
_CANDIDATE = re.compile(r"(97[89]\d{10}|\d{9}[\dXx])")


def normalize_isbn(raw: str | None) -> str | None:
    """The ISBN-13 (digits only) for an ISBN-10 or -13 in `raw`, or None if there is none.

    MARC 020 $a often carries qualifiers ("0415245125 (pbk.)"), so the first
    ISBN-shaped run of characters is taken; its check digit must be right.
    """
    if not raw:
        return None
    match = _CANDIDATE.search(_STRIP.sub("", raw))
    if not match:
        return None
    try:
        return isbn.validate(match.group(1), convert=True)
    except ValidationError:
        return None


def isbn10(isbn13: str) -> str | None:
    """The ISBN-10 of a 978-prefixed ISBN-13; 979 numbers have none."""
    if not isbn13.startswith("978"):
        return None
    return isbn.to_isbn10(isbn13)


def isbn_forms(isbn13: str) -> list[str]:
    """Both forms a reader may search by, without hyphens."""
    ten = isbn10(isbn13)
    return [isbn13, ten] if ten else [isbn13]


def looks_like_isbn(query: str) -> str | None:
    """The ISBN-13 if the whole query is an ISBN (with or without hyphens)."""
    compact = _STRIP.sub("", query)
    if not re.fullmatch(r"\d{9}[\dXx]|\d{13}", compact):
        return None
    return normalize_isbn(compact)
