"""ISBN handling: every form a reader may type maps to one ISBN-13."""

import re

_STRIP = re.compile(r"[\s\-‐‑–—]")
_CANDIDATE = re.compile(r"(97[89]\d{10}|\d{9}[\dXx])")


def _isbn10_check(first9: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(first9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _isbn13_check(first12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


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
    value = match.group(1).upper()
    if len(value) == 10:
        if not value[:9].isdigit() or _isbn10_check(value[:9]) != value[9]:
            return None
        body = "978" + value[:9]
        return body + _isbn13_check(body)
    if _isbn13_check(value[:12]) != value[12]:
        return None
    return value


def isbn10(isbn13: str) -> str | None:
    """The ISBN-10 of a 978-prefixed ISBN-13; 979 numbers have none."""
    if not isbn13.startswith("978"):
        return None
    return isbn13[3:12] + _isbn10_check(isbn13[3:12])


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
