"""Writes to the catalogue. Every write keeps the search columns current."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from stdnum import issn
from stdnum.exceptions import ValidationError

from libreach.catalog.callnumbers import shelving_key
from libreach.catalog.isbn import isbn_forms, normalize_isbn
from libreach.catalog.models import Item, JournalHolding, MarcFormat, Record
from libreach.catalog.policies import SYSTEM, Actor, require_can_catalogue
from libreach.catalog.titles import title_key
from libreach.consortium.models import Library
from libreach.core import normalise
from libreach.core.errors import Conflict, RuleViolation
from libreach.core.lengths import require_fits


@dataclass(frozen=True)
class ItemInput:
    barcode: str
    location: str = ""
    call_number: str = ""
    volume: str = ""


def search_columns(
    *, authors: Sequence[str], isbns: Iterable[str], call_numbers: Iterable[str]
) -> dict[str, str]:
    """The denormalised text the full-text index reads, for a record and its items."""
    forms: list[str] = []
    for isbn in isbns:
        for form in isbn_forms(isbn):
            if form not in forms:
                forms.append(form)
    numbers: list[str] = []
    for number in call_numbers:
        if number and number not in numbers:
            numbers.append(number)
    return {
        "author_text": "; ".join(a for a in authors if a),
        "isbns": " ".join(forms),
        "call_numbers": " ".join(numbers),
    }


def refresh_search_columns(record: Record) -> None:
    """Recompute a record's search columns from itself and its items, and save them."""
    item_numbers = record.items.exclude(call_number="").values_list("call_number", flat=True)
    extra_isbns = [i for i in record.isbns.split() if len(i) == 13]
    columns = search_columns(
        authors=record.authors,
        isbns=[record.isbn, *extra_isbns] if record.isbn else extra_isbns,
        call_numbers=[record.call_number, *item_numbers],
    )
    for name, value in columns.items():
        setattr(record, name, value)
    record.save(update_fields=[*columns, "updated_at"])


@transaction.atomic
def refresh_derived_fields(record: Record) -> None:
    """Recompute the items' shelving keys and the record's search columns after an edit."""
    items = list(record.items.all())
    for item in items:
        item.shelving_key = shelving_key(item.call_number or record.call_number)
    Item.objects.bulk_update(items, ["shelving_key"])
    refresh_search_columns(record)


@transaction.atomic
def create_record(
    *,
    library: Library,
    title: str,
    authors: Sequence[str] = (),
    isbn: str | None = None,
    publisher: str = "",
    year: str | int | None = None,
    language: str = "",
    call_number: str = "",
    items: Sequence[ItemInput] = (),
    by: Actor = SYSTEM,
) -> Record:
    """A hand-entered record with its items. Barcodes are unique within a library."""
    require_can_catalogue(by, library)
    title = title.strip()
    if not title:
        raise RuleViolation(_("A record needs a title."), code="title_required")
    isbn13 = ""
    if isbn:
        isbn13 = normalize_isbn(isbn) or ""
        if not isbn13:
            raise RuleViolation(
                _("%(isbn)s is not a valid ISBN."), code="invalid_isbn", isbn=repr(isbn)
            )
    barcodes = [normalise.barcode(i.barcode) for i in items]
    if any(not b for b in barcodes):
        raise RuleViolation(_("Every item needs a barcode."), code="barcode_required")
    if len(set(barcodes)) != len(barcodes):
        raise RuleViolation(_("The same barcode appears twice."), code="duplicate_barcode")
    taken = list(
        Item.objects.filter(library=library, barcode__in=barcodes).values_list("barcode", flat=True)
    )
    if taken:
        raise Conflict(
            _("Barcode already in use at %(library)s: %(barcodes)s."),
            code="barcode_taken",
            library=library.code,
            barcodes=", ".join(taken),
        )
    authors = [a.strip() for a in authors if a and a.strip()]
    call_number = call_number.strip()
    year = "" if year is None else str(year).strip()
    # Refused, never cut; the API's schema bounds the rest, not an int year.
    for name, value in (("publisher", publisher), ("year", year), ("language", language)):
        require_fits(Record, name, value.strip())
    require_fits(Record, "call_number", call_number)
    for barcode, item in zip(barcodes, items, strict=True):
        require_fits(Item, "barcode", barcode)
        for name in ("location", "call_number", "volume"):
            require_fits(Item, name, getattr(item, name).strip())
    record = Record.objects.create(
        library=library,
        title=title,
        authors=authors,
        isbn=isbn13,
        publisher=publisher.strip(),
        year=year,
        language=language.strip(),
        call_number=call_number,
        marc_format=MarcFormat.NONE,
        **search_columns(
            authors=authors,
            isbns=[isbn13] if isbn13 else [],
            call_numbers=[call_number, *(i.call_number.strip() for i in items)],
        ),
    )
    try:
        with transaction.atomic():
            Item.objects.bulk_create(
                Item(
                    record=record,
                    library=library,
                    barcode=barcode,
                    location=item.location.strip(),
                    call_number=item.call_number.strip(),
                    shelving_key=shelving_key(item.call_number.strip() or call_number),
                    volume=item.volume.strip(),
                )
                for barcode, item in zip(barcodes, items, strict=True)
            )
    except IntegrityError as exc:  # a parallel request took a barcode
        raise Conflict(_("A barcode was taken meanwhile."), code="barcode_taken") from exc
    return record


# --- journal holdings (document delivery of articles) -------------------------------------

_ISSN_SHAPE = re.compile(r"^\s*(\d{4})\s*[-‐‑–—]?\s*(\d{3}[\dXx])\s*$")


def _issn(raw: object, row: int) -> str:
    """NNNN-NNNN with a right check digit; blank stays blank; anything else is refused."""
    text = str(raw or "").strip()
    if not text:
        return ""
    match = _ISSN_SHAPE.match(text)
    try:
        if not match:
            raise ValidationError
        return issn.format(issn.validate(match.group(1) + match.group(2)))
    except ValidationError:
        raise RuleViolation(
            _("Row %(row)d: %(issn)s is not a valid ISSN."), code="invalid_issn",
            row=row, issn=repr(text),
        ) from None  # fmt: skip


def _year(raw: object, row: int) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    if not (text.isdigit() and 1500 <= int(text) <= 2200):
        raise RuleViolation(
            _("Row %(row)d: %(year)s is not a year."), code="invalid_year", row=row,
            year=repr(text),
        )  # fmt: skip
    return int(text)


@transaction.atomic
def add_journal_holdings(
    library: Library,
    rows: Iterable[Mapping[str, object]],
    *,
    replace: bool = False,
    by: Actor = SYSTEM,
) -> int:
    """Add the journals `library` holds, in bulk; `replace` drops its earlier ones first.

    Each row: issn and/or eissn (checked, stored NNNN-NNNN), title, first_year and
    last_year (blank: open ended), note. A row that breaks a rule refuses the whole batch,
    naming the row (counted from 1), and nothing is written. Returns the rows added.
    """
    require_can_catalogue(by, library)
    holdings: list[JournalHolding] = []
    for number, row in enumerate(rows, start=1):
        title = " ".join(str(row.get("title") or "").split())
        print_issn, e_issn = _issn(row.get("issn"), number), _issn(row.get("eissn"), number)
        if not title:
            raise RuleViolation(
                _("Row %(row)d: a journal needs a title."), code="title_required", row=number
            )
        first, last = _year(row.get("first_year"), number), _year(row.get("last_year"), number)
        if first is not None and last is not None and first > last:
            raise RuleViolation(
                _("Row %(row)d: the first year held is after the last."),
                code="years_out_of_order", row=number,
            )  # fmt: skip
        note = " ".join(str(row.get("note") or "").split())
        require_fits(JournalHolding, "title", title)
        require_fits(JournalHolding, "note", note)
        holdings.append(
            JournalHolding(
                library=library,
                issn=print_issn,
                eissn=e_issn,
                title=title,
                title_key=title_key(title)[:500],
                first_year=first,
                last_year=last,
                note=note,
            )  # fmt: skip
        )
    if replace:
        JournalHolding.objects.filter(library=library).delete()
    JournalHolding.objects.bulk_create(holdings, batch_size=1000)
    return len(holdings)
