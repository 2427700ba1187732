"""The reader's basket (借书篮): books chosen from the catalogue before a request.

Kept in the session, not the database: a basket is a reader's scratch list, costs no
write until the request is submitted, and goes when the session ends. Each line is a
record (any copy) or one copy (volume 1 and volume 2 of a work are two copies); the
same copy twice, or a record's "any copy" twice, is refused, as the request would be. Lines of several libraries may sit in the basket; each library's lines become
one request (`contactless.services.submit_request` re-checks everything).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from libreach.catalog.models import Item, ItemStatus, Record
from libreach.consortium.models import Library
from libreach.contactless.services import MAX_LINES, LineSpec
from libreach.core.errors import Conflict, NotFound, RuleViolation

SESSION_KEY = "contactless_basket"


@dataclass
class Line:
    record: Record
    item: Item | None  # None: any copy
    available: bool  # still requestable now

    @property
    def key(self) -> str:
        return f"i{self.item.pk}" if self.item else f"r{self.record.pk}"


@dataclass
class Group:
    library: Library
    lines: list[Line]

    @property
    def all_available(self) -> bool:
        return all(line.available for line in self.lines)


def _raw(session) -> list[dict]:
    return list(session.get(SESSION_KEY, []))


def _save(session, rows: list[dict]) -> None:
    session[SESSION_KEY] = rows


def count(session) -> int:
    return len(session.get(SESSION_KEY, []))


def record_ids(session) -> set[int]:
    """Records in the basket as "any copy"."""
    return {row["record"] for row in session.get(SESSION_KEY, []) if not row["item"]}


def item_ids(session) -> set[int]:
    """Copies in the basket by themselves."""
    return {row["item"] for row in session.get(SESSION_KEY, []) if row["item"]}


def _key(row: dict) -> str:
    return f"i{row['item']}" if row["item"] else f"r{row['record']}"


def _requestable(item: Item) -> bool:
    return item.loanable and item.status == ItemStatus.AVAILABLE


def add(session, *, record_id: int | None = None, item_id: int | None = None) -> Line:
    """Put a record (any copy) or one copy in the basket; refuses what cannot be lent now."""
    rows = _raw(session)
    item = None
    if item_id is not None:
        item = Item.objects.select_related("record", "record__library").filter(pk=item_id).first()
        if item is None:
            raise NotFound(_("There is no such copy."), code="item_not_found")
        record = item.record
        if not item.loanable:
            raise RuleViolation(
                _("Copy %(barcode)s is not for loan."),
                code="item_not_loanable",
                barcode=item.barcode,
            )
        if item.status != ItemStatus.AVAILABLE:
            raise Conflict(
                _("Copy %(barcode)s is not available now (%(status)s)."),
                code="item_unavailable",
                barcode=item.barcode,
                status=item.get_status_display(),
            )
    else:
        record = Record.objects.select_related("library").filter(pk=record_id).first()
        if record is None:
            raise NotFound(_("There is no such record."), code="record_not_found")
        if not Item.objects.filter(
            record=record, status=ItemStatus.AVAILABLE, loanable=True
        ).exists():
            raise Conflict(
                _("No copy of 《%(title)s》 is available now."),
                code="item_unavailable",
                title=record.title,
            )
    key = f"i{item.pk}" if item else f"r{record.pk}"
    if any(_key(row) == key for row in rows):
        if item is not None:
            raise RuleViolation(
                _("Copy %(barcode)s is already in your basket."),
                code="duplicate_line",
                barcode=item.barcode,
            )
        raise RuleViolation(
            _("《%(title)s》 is already in your basket."), code="duplicate_line", title=record.title
        )
    library_code = record.library.code
    if sum(1 for row in rows if row["library"] == library_code) >= MAX_LINES:
        raise RuleViolation(
            _("At most %(n)d books per request: submit the basket first."),
            code="too_many_lines",
            n=MAX_LINES,
        )
    rows.append({"library": library_code, "record": record.pk, "item": item.pk if item else None})
    _save(session, rows)
    return Line(record=record, item=item, available=True)


def remove(session, key: str) -> bool:
    """Take out the line with this key ("r<record id>" or "i<item id>")."""
    rows = _raw(session)
    kept = [row for row in rows if _key(row) != key]
    _save(session, kept)
    return len(kept) != len(rows)


def take(session, library_code: str) -> None:
    """Empty the lines of one library (its request was submitted)."""
    _save(session, [row for row in _raw(session) if row["library"] != library_code])


def groups(session) -> list[Group]:
    """The basket by library (in the order first added), with records and copies loaded
    and each line's availability as it is now. Three queries however long the basket."""
    rows = _raw(session)
    if not rows:
        return []
    records = {
        r.pk: r
        for r in Record.objects.select_related("library").filter(
            pk__in=[row["record"] for row in rows]
        )
    }
    items = {
        i.pk: i for i in Item.objects.filter(pk__in=[row["item"] for row in rows if row["item"]])
    }
    open_records = set(
        Item.objects.filter(
            record_id__in=list(records), status=ItemStatus.AVAILABLE, loanable=True
        ).values_list("record_id", flat=True)
    )
    by_library: dict[str, Group] = {}
    stale = False
    for row in rows:
        record = records.get(row["record"])
        item = items.get(row["item"]) if row["item"] else None
        if record is None or (row["item"] and item is None):
            stale = True  # deleted from the catalogue meanwhile
            continue
        available = _requestable(item) if item else record.pk in open_records
        group = by_library.setdefault(record.library.code, Group(library=record.library, lines=[]))
        group.lines.append(Line(record=record, item=item, available=available))
    if stale:
        _save(
            session,
            [
                row
                for row in rows
                if row["record"] in records and (not row["item"] or row["item"] in items)
            ],
        )
    return list(by_library.values())


def group_of(session, library_code: str) -> Group | None:
    return next((g for g in groups(session) if g.library.code == library_code), None)


def specs(group: Group) -> list[LineSpec]:
    """The group's lines as `submit_request` takes them."""
    return [
        LineSpec(barcode=line.item.barcode) if line.item else LineSpec(record_id=line.record.pk)
        for line in group.lines
    ]
