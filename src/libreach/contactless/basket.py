"""The reader's basket (借书篮): books chosen from the catalogue before a request.

Kept with the reader's card (`models.BasketLine`), not in the browser session, so the
basket the reader filled on their phone is the one they send from a desktop. Only readers
have one: anonymous visitors are sent to sign in before anything goes in, so there is no
session basket to merge at sign-in. Each line is a record (any copy) or one copy (volume 1
and volume 2 of a work are two copies); the same copy twice, or a record's "any copy"
twice, is refused, as the request would be, and so is a book the reader already has
(`policies.already_has`) or may not ask this library for (`policies.require_may_request`).
Lines of several libraries may sit in the basket; each library's lines become one request
(`contactless.services.submit_request` re-checks everything).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import ReaderProfile
from libreach.catalog.models import Item, ItemStatus, Record
from libreach.consortium.models import Library
from libreach.contactless import policies
from libreach.contactless.models import BasketLine
from libreach.contactless.selectors import held_by
from libreach.contactless.services import MAX_LINES, LineSpec
from libreach.core.errors import Conflict, NotFound, RuleViolation


@dataclass
class Line:
    pk: int
    record: Record
    item: Item | None  # None: any copy
    available: bool  # still requestable now
    had: policies.AlreadyHas | None = None  # the reader has it already

    @property
    def sendable(self) -> bool:
        return self.available and self.had is None


@dataclass
class Group:
    library: Library
    lines: list[Line]
    terms: str = policies.HOME  # how the reader may borrow this library's books

    @property
    def all_available(self) -> bool:
        return all(line.available for line in self.lines)

    @property
    def sendable(self) -> bool:
        return self.terms != policies.DOCUMENT_DELIVERY and all(
            line.sendable for line in self.lines
        )


def _lines_of_user(user):
    return BasketLine.objects.filter(reader__user_id=user.pk)


def count(user) -> int:
    """Lines in the signed-in reader's basket: one query (the header shows it on every page)."""
    return _lines_of_user(user).count()


def record_ids(user) -> set[int]:
    """Records in the basket as "any copy"."""
    return set(_lines_of_user(user).filter(item=None).values_list("record_id", flat=True))


def item_ids(user) -> set[int]:
    """Copies in the basket by themselves."""
    return set(_lines_of_user(user).exclude(item=None).values_list("item_id", flat=True))


def _requestable(item: Item) -> bool:
    return item.loanable and item.status == ItemStatus.AVAILABLE


def add(reader: ReaderProfile, *, record_id: int | None = None, item_id: int | None = None) -> Line:
    """Put a record (any copy) or one copy in the reader's basket; refuses what they may not
    ask for, already have, or cannot borrow now. A refusal changes nothing."""
    item = None
    if item_id is not None:
        item = Item.objects.select_related("record", "record__library").filter(pk=item_id).first()
        if item is None:
            raise NotFound(_("There is no such copy."), code="item_not_found")
        record = item.record
    else:
        record = Record.objects.select_related("library").filter(pk=record_id).first()
        if record is None:
            raise NotFound(_("There is no such record."), code="record_not_found")
    policies.require_may_request(reader, record.library)
    policies.require_not_had(held_by(reader), record, item)
    if item is not None:
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
    elif not Item.objects.filter(
        record=record, status=ItemStatus.AVAILABLE, loanable=True
    ).exists():
        raise Conflict(
            _("No copy of 《%(title)s》 is available now."),
            code="item_unavailable",
            title=record.title,
        )
    try:
        with transaction.atomic():
            # One add at a time per reader, so the count below stays true until the insert
            # (on SQLite select_for_update takes the writers' turn).
            ReaderProfile.objects.select_for_update().filter(pk=reader.pk).first()
            lines = BasketLine.objects.filter(reader=reader)
            if (item is None and lines.filter(record=record, item=None).exists()) or (
                item is not None and lines.filter(item=item).exists()
            ):
                raise IntegrityError("already in the basket")
            if lines.filter(library=record.library).count() >= MAX_LINES:
                raise RuleViolation(
                    _("At most %(n)d books per request: submit the basket first."),
                    code="too_many_lines",
                    n=MAX_LINES,
                )
            line = BasketLine.objects.create(
                reader=reader,
                library=record.library,
                record=record,
                item=item,
                added_at=timezone.now(),
            )
    except IntegrityError:  # the check above, or one_basket_line_per_copy / _per_record
        if item is not None:
            raise RuleViolation(
                _("Copy %(barcode)s is already in your basket."),
                code="duplicate_line",
                barcode=item.barcode,
            ) from None
        raise RuleViolation(
            _("《%(title)s》 is already in your basket."), code="duplicate_line", title=record.title
        ) from None
    return Line(pk=line.pk, record=record, item=item, available=True)


def remove(reader: ReaderProfile, line_id) -> bool:
    """Take out the reader's line with this id; another reader's line, or a made-up id,
    removes nothing."""
    try:
        line_id = int(line_id)
    except (TypeError, ValueError):
        return False
    deleted, _by_model = BasketLine.objects.filter(reader=reader, pk=line_id).delete()
    return deleted > 0


def remove_book(
    reader: ReaderProfile, *, record_id: int | None = None, item_id: int | None = None
) -> Record | None:
    """Take out the reader's line of this copy, or of this record as "any copy" (the
    catalogue's "Remove" knows the book, not the line); the removed line's record, or None
    when there was no such line."""
    lines = BasketLine.objects.filter(reader=reader).select_related("record")
    if item_id is not None:
        line = lines.filter(item_id=item_id).first()
    elif record_id is not None:
        line = lines.filter(record_id=record_id, item=None).first()
    else:
        line = None
    if line is None:
        return None
    line.delete()
    return line.record


def line_record(reader: ReaderProfile, line_id) -> Record | None:
    """The record of the reader's line with this id (to name it once removed), else None."""
    try:
        line_id = int(line_id)
    except (TypeError, ValueError):
        return None
    line = BasketLine.objects.filter(reader=reader, pk=line_id).select_related("record").first()
    return line.record if line else None


def take(reader: ReaderProfile, group: Group) -> None:
    """Empty the group's lines (its request was submitted); lines added meanwhile, on
    another device, stay."""
    BasketLine.objects.filter(reader=reader, pk__in=[line.pk for line in group.lines]).delete()


def groups(reader: ReaderProfile) -> list[Group]:
    """The basket by library (in the order first added), with records and copies loaded,
    each line's availability as it is now and whether the reader already has it, and each
    library's lending terms. Five queries however long the basket (one more per library
    other than the reader's)."""
    rows = list(
        BasketLine.objects.filter(reader=reader).select_related("record", "record__library", "item")
    )
    if not rows:
        return []
    open_records = set(
        Item.objects.filter(
            record_id__in={row.record_id for row in rows if row.item_id is None},
            status=ItemStatus.AVAILABLE,
            loanable=True,
        ).values_list("record_id", flat=True)
    )
    held = held_by(reader)
    by_library: dict[int, Group] = {}
    for row in rows:
        library = row.record.library
        group = by_library.get(library.pk)
        if group is None:
            group = by_library[library.pk] = Group(
                library=library, lines=[], terms=policies.lending_terms(reader, library)
            )
        available = _requestable(row.item) if row.item else row.record_id in open_records
        group.lines.append(
            Line(
                pk=row.pk,
                record=row.record,
                item=row.item,
                available=available,
                had=policies.already_has(held, row.record, row.item),
            )
        )
    return list(by_library.values())


def group_of(reader: ReaderProfile, library_code: str) -> Group | None:
    return next((g for g in groups(reader) if g.library.code == library_code), None)


def specs(group: Group) -> list[LineSpec]:
    """The group's lines as `submit_request` takes them."""
    return [
        LineSpec(barcode=line.item.barcode) if line.item else LineSpec(record_id=line.record.pk)
        for line in group.lines
    ]
