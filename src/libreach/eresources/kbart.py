"""KBART title lists (NISO RP-9-2014), read into plain frozen dataclasses.

Pure: no models, no database. A file is tab-separated UTF-8 with one header row; fields are
never quoted, so one line is one row. Rows with errors are reported with their line number and
left out of the entries, so one bad row never stops a 50,000-title package.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from stdnum import isbn, issn
from stdnum.exceptions import ValidationError

# The 25 fields of RP-9-2014 (KBART Phase II), in their order.
KBART_FIELDS: tuple[str, ...] = (
    "publication_title",
    "print_identifier",
    "online_identifier",
    "date_first_issue_online",
    "num_first_vol_online",
    "num_first_issue_online",
    "date_last_issue_online",
    "num_last_vol_online",
    "num_last_issue_online",
    "title_url",
    "first_author",
    "title_id",
    "embargo_info",
    "coverage_depth",
    "notes",
    "publisher_name",
    "publication_type",
    "date_monograph_published_print",
    "date_monograph_published_online",
    "monograph_volume",
    "monograph_edition",
    "first_editor",
    "parent_publication_title_id",
    "preceding_publication_title_id",
    "access_type",
)

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_EMBARGO_RE = re.compile(r"^([RP])(\d+)([DMY])$")


class KbartFormatError(ValueError):
    """The file cannot be read at all (no header, or no publication_title column)."""


@dataclass(frozen=True)
class KbartDate:
    """A KBART date: YYYY, YYYY-MM or YYYY-MM-DD; month and day may be unknown."""

    year: int
    month: int | None = None
    day: int | None = None

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> dt.date:
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return dt.date(self.year, month, day)

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
        if self.day:
            text += f"-{self.day:02d}"
        return text


@dataclass(frozen=True)
class Embargo:
    """One embargo part. kind "R": only the most recent `amount` units are available;
    kind "P": the most recent `amount` units are NOT available (the moving wall)."""

    kind: str
    amount: int
    unit: str  # "D", "M" or "Y"

    def boundary(self, today: dt.date) -> dt.date:
        """today minus the embargo's length."""
        if self.unit == "D":
            return today - dt.timedelta(days=self.amount)
        months = self.amount * (12 if self.unit == "Y" else 1)
        index = today.year * 12 + today.month - 1 - months
        year, month = divmod(index, 12)
        month += 1
        day = min(today.day, calendar.monthrange(year, month)[1])
        return dt.date(year, month, day)


@dataclass(frozen=True)
class KbartEntry:
    line: int
    publication_title: str
    publication_type: str  # "serial" or "monograph"
    print_identifier: str  # formatted ISSN or ISBN-13, or ""
    online_identifier: str
    date_first_issue_online: KbartDate | None
    date_last_issue_online: KbartDate | None  # None: up to the present
    embargo: tuple[Embargo, ...]
    coverage_depth: str
    title_url: str
    title_id: str
    publisher_name: str
    access_type: str  # "F" free, "P" paid, "" unknown
    date_monograph_published_print: KbartDate | None
    date_monograph_published_online: KbartDate | None
    raw: dict[str, str] = field(compare=False, hash=False)
    extra: dict[str, str] = field(compare=False, hash=False)

    @property
    def is_monograph(self) -> bool:
        return self.publication_type == "monograph"

    @property
    def identifiers(self) -> tuple[str, ...]:
        return tuple(i for i in (self.print_identifier, self.online_identifier) if i)


@dataclass(frozen=True)
class KbartError:
    line: int
    field: str
    message: str
    value: str = ""


@dataclass(frozen=True)
class KbartFile:
    entries: tuple[KbartEntry, ...]
    errors: tuple[KbartError, ...]
    extra_columns: tuple[str, ...]  # columns beyond the standard ones, kept in entry.extra
    missing_columns: tuple[str, ...]  # standard columns absent from the header


def parse_date(value: str) -> KbartDate | None:
    """'' -> None; 'YYYY', 'YYYY-MM', 'YYYY-MM-DD' -> KbartDate; anything else ValueError."""
    value = value.strip()
    if not value:
        return None
    match = _DATE_RE.match(value)
    if not match:
        raise ValueError(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {value!r}")
    year, month, day = (int(g) if g else None for g in match.groups())
    dt.date(year, month or 1, day or 1)  # raises ValueError for month 13, 31 June, ...
    return KbartDate(year, month, day)


def parse_embargo(value: str) -> tuple[Embargo, ...]:
    """'R1Y', 'P6M', 'P1Y;R10Y' (both kinds at most once) -> Embargo parts; '' -> ()."""
    value = value.strip()
    if not value:
        return ()
    parts = []
    for part in value.split(";"):
        match = _EMBARGO_RE.match(part.strip().upper())
        if not match:
            raise ValueError(f"not an embargo (R1Y, P6M, P1Y;R10Y): {value!r}")
        parts.append(Embargo(match[1], int(match[2]), match[3]))
    if len({p.kind for p in parts}) != len(parts):
        raise ValueError(f"an embargo kind given twice: {value!r}")
    return tuple(parts)


def normalize_issn(value: str) -> str:
    """Check digit verified; returns 'NNNN-NNNX'. ValueError when invalid."""
    try:
        return issn.format(issn.validate(value))
    except ValidationError as exc:
        raise ValueError(f"invalid ISSN {value!r}: {exc}") from None


def normalize_isbn(value: str) -> str:
    """ISBN-10 or -13, check digit verified; returns the hyphenated ISBN-13."""
    try:
        return isbn.format(isbn.validate(value), convert=True)
    except ValidationError as exc:
        raise ValueError(f"invalid ISBN {value!r}: {exc}") from None


def _lines(source: str | bytes | Iterable[str]) -> Iterable[str]:
    if isinstance(source, bytes):
        source = source.decode("utf-8-sig")
    if isinstance(source, str):
        # not splitlines(): it also breaks at U+2028 etc., which would shift line numbers
        return source.split("\n")
    return source


def read_kbart(path: str | Path) -> KbartFile:
    """Read a KBART file from disk (UTF-8, with or without a BOM)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return parse_kbart(handle)


def parse_kbart(source: str | bytes | Iterable[str]) -> KbartFile:
    """Parse a KBART title list given as text, bytes or an iterable of lines."""
    lines = iter(_lines(source))
    header_line = next(lines, None)
    if header_line is None:
        raise KbartFormatError("empty file: no header row")
    header = [h.strip().lower() for h in header_line.lstrip("\ufeff").rstrip("\r\n").split("\t")]
    if "publication_title" not in header:
        raise KbartFormatError("the header row has no publication_title column")
    extra_columns = tuple(h for h in header if h and h not in KBART_FIELDS)
    missing = tuple(f for f in KBART_FIELDS if f not in header)

    entries: list[KbartEntry] = []
    errors: list[KbartError] = []
    for number, line in enumerate(lines, start=2):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) > len(header):
            errors.append(
                KbartError(number, "", f"{len(cells)} fields for {len(header)} columns", line)
            )
            continue
        cells += [""] * (len(header) - len(cells))  # trailing empty fields are often cut
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=True) if name}
        entry, row_errors = _entry(number, row, extra_columns)
        if row_errors:
            errors.extend(row_errors)
        else:
            entries.append(entry)
    return KbartFile(tuple(entries), tuple(errors), extra_columns, missing)


def _entry(
    number: int, row: dict[str, str], extra_columns: tuple[str, ...]
) -> tuple[KbartEntry | None, list[KbartError]]:
    errors: list[KbartError] = []
    get = row.get

    def check(name: str, parse, value: str):
        try:
            return parse(value)
        except ValueError as exc:
            errors.append(KbartError(number, name, str(exc), value))
            return None

    title = get("publication_title", "")
    if not title:
        errors.append(KbartError(number, "publication_title", "empty publication_title"))
    kind = get("publication_type", "").lower() or "serial"  # Phase I lists are all serials
    if kind not in ("serial", "monograph"):
        errors.append(
            KbartError(
                number, "publication_type", "not serial or monograph", get("publication_type", "")
            )
        )
    normalize = normalize_isbn if kind == "monograph" else normalize_issn
    identifiers = {}
    for name in ("print_identifier", "online_identifier"):
        value = get(name, "")
        identifiers[name] = check(name, normalize, value) if value else ""
    dates = {}
    for name in (
        "date_first_issue_online",
        "date_last_issue_online",
        "date_monograph_published_print",
        "date_monograph_published_online",
    ):
        dates[name] = check(name, parse_date, get(name, ""))
    first, last = dates["date_first_issue_online"], dates["date_last_issue_online"]
    if first and last and last.last_day() < first.first_day():
        errors.append(
            KbartError(number, "date_last_issue_online", "ends before it starts", str(last))
        )
    embargo = check("embargo_info", parse_embargo, get("embargo_info", "")) or ()
    access = get("access_type", "").upper()
    if access not in ("", "F", "P"):
        errors.append(KbartError(number, "access_type", "not F or P", get("access_type", "")))
    if errors:
        return None, errors
    return (
        KbartEntry(
            line=number,
            publication_title=title,
            publication_type=kind,
            print_identifier=identifiers["print_identifier"],
            online_identifier=identifiers["online_identifier"],
            date_first_issue_online=first,
            date_last_issue_online=last,
            embargo=embargo,
            coverage_depth=get("coverage_depth", "").lower(),
            title_url=get("title_url", ""),
            title_id=get("title_id", ""),
            publisher_name=get("publisher_name", ""),
            access_type=access,
            date_monograph_published_print=dates["date_monograph_published_print"],
            date_monograph_published_online=dates["date_monograph_published_online"],
            raw={k: v for k, v in row.items() if k in KBART_FIELDS},
            extra={k: row.get(k, "") for k in extra_columns},
        ),
        [],
    )


def covers(entry: KbartEntry, year: int, today: dt.date | None = None) -> bool:
    """Does the package carry this title for `year` (any part of that year readable)?

    Serials: within the first/last issue dates (no last date: up to `today`), and outside the
    embargo. Monographs: the year is the print or online publication year (an e-book has no
    coverage range). `today` defaults to the current date; pass it to get a stable answer.
    """
    today = today or dt.date.today()
    if entry.is_monograph:
        published = (entry.date_monograph_published_print, entry.date_monograph_published_online)
        return any(d and d.year == year for d in published)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    first = entry.date_first_issue_online
    last = entry.date_last_issue_online
    available_from = first.first_day() if first else dt.date.min
    available_to = last.last_day() if last else today
    for part in entry.embargo:
        if part.kind == "P":  # the newest content is not available
            available_to = min(available_to, part.boundary(today))
        else:  # only the newest content is available
            available_from = max(available_from, part.boundary(today))
    return max(start, available_from) <= min(end, available_to)
