"""A reader asks for books (one transaction holding the copies), and books or moves
the pickup slot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import ReaderProfile, User
from libreach.catalog.models import Item, ItemStatus, Record
from libreach.circulation import selectors as circulation_selectors
from libreach.circulation.transitions import Trigger as ItemTrigger
from libreach.circulation.transitions import next_state as item_next_state
from libreach.consortium.models import Library, ServicePoint
from libreach.consortium.selectors import building_by_code, service_point_by_code
from libreach.contactless import slots
from libreach.contactless.models import (
    OPEN_REQUEST_STATES,
    PICKUP_MODES,
    BorrowRequest,
    Mode,
    RequestLine,
)
from libreach.contactless.policies import (
    require,
    require_may_request,
    require_not_had,
    role_for,
)
from libreach.contactless.selectors import held_by
from libreach.contactless.services.common import (
    _event,
    _lock_request,
    _normalise_id,
    hash_id_number,
    new_pickup_code,
)
from libreach.contactless.transitions import READER, STAFF
from libreach.core import normalise
from libreach.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from libreach.core.lengths import require_fits

MAX_LINES = 30


@dataclass(frozen=True)
class LineSpec:
    """One line as the reader asks for it: a record (any copy) or a barcode (that copy)."""

    record_id: int | None = None
    barcode: str | None = None

    def __post_init__(self):
        # A barcode typed or scanned in any width or case names the copy stored in one form.
        if self.barcode is not None:
            object.__setattr__(self, "barcode", normalise.barcode(self.barcode) or None)


@dataclass(frozen=True)
class Proxy:
    name: str
    id_number: str


def _validate_place(
    *,
    library: Library,
    reader: ReaderProfile,
    mode: str,
    building_code: str | None,
    service_point_code: str | None,
    proxy: Proxy | None,
) -> tuple:
    building = service_point = None
    if mode not in Mode.values:
        raise RuleViolation(_("Unknown mode %(mode)s."), code="invalid_mode", mode=repr(mode))
    if mode == Mode.DELIVERY:
        if building_code:
            building = building_by_code(library, building_code)
        elif reader.building_id and reader.building.library_id == library.pk:
            building = reader.building
        else:
            raise RuleViolation(
                _("Say which building to deliver to: your card has none at this library."),
                code="building_required",
            )
        # Delivery requests are staged at the library's first service point.
        service_point = (
            service_point_by_code(library, service_point_code)
            if service_point_code
            else ServicePoint.objects.filter(library=library).order_by("-is_pickup", "code").first()
        )
        if service_point is None:
            raise RuleViolation(
                _("Library %(library)s has no service point to stage deliveries at."),
                code="no_service_point",
                library=library.code,
            )
    else:
        if not service_point_code:
            raise RuleViolation(
                _("Choose the service point to pick the books up at."),
                code="service_point_required",
            )
        service_point = service_point_by_code(library, service_point_code)
        if not service_point.is_pickup:
            raise RuleViolation(
                _("%(point)s is not a pickup point."),
                code="not_a_pickup_point",
                point=service_point.name,
            )
    if mode == Mode.PROXY:
        if proxy is None or not proxy.name.strip() or len(_normalise_id(proxy.id_number)) < 4:
            raise RuleViolation(
                _("A proxy pickup needs the proxy's name and ID number."), code="proxy_required"
            )
        require_fits("contactless.BorrowRequest", "proxy_name", proxy.name.strip())
    elif proxy is not None:
        raise RuleViolation(_("Only a proxy pickup names a proxy."), code="proxy_not_allowed")
    return building, service_point


@dataclass
class _Line:
    level: str
    record: Record
    item: Item | None  # named by barcode; a record-level line gets its copy under the lock


def _plan_lines(library: Library, specs: list[LineSpec]) -> list[_Line]:
    """Each spec to its record (and named copy); refuses unknown books and duplicates.

    A duplicate is a second line for the same copy, or a second record-level line for
    the same record. Item-level lines for different copies of one record are allowed:
    that is how a reader asks for volumes 1 and 2 of a multi-volume work (一种两册).
    Read before the write lock: nothing here can change while a request is submitted
    except availability, which `_take_copies` checks under the lock.
    """
    if not specs:
        raise RuleViolation(_("A request needs at least one book."), code="no_lines")
    if len(specs) > MAX_LINES:
        raise RuleViolation(
            _("At most %(n)d books per request."), code="too_many_lines", n=MAX_LINES
        )
    barcodes = [s.barcode for s in specs if s.barcode]
    record_ids = [s.record_id for s in specs if s.record_id is not None and not s.barcode]
    items_by_barcode = {
        item.barcode: item
        for item in Item.objects.select_related("record").filter(
            library=library, barcode__in=barcodes
        )
    }
    records = {r.pk: r for r in Record.objects.filter(library=library, pk__in=record_ids)}
    planned: list[_Line] = []
    seen_items: set[int] = set()
    seen_records: set[int] = set()
    for spec in specs:
        if spec.barcode:
            item = items_by_barcode.get(spec.barcode)
            if item is None:
                raise NotFound(
                    _("Library %(library)s has no item %(barcode)s."),
                    code="item_not_found",
                    library=library.code,
                    barcode=repr(spec.barcode),
                )
            if not item.loanable:
                raise RuleViolation(
                    _("Item %(barcode)s is not for loan."),
                    code="item_not_loanable",
                    barcode=item.barcode,
                )
            record, level = item.record, RequestLine.Level.ITEM
        else:
            record = records.get(spec.record_id)
            if record is None:
                raise NotFound(
                    _("Library %(library)s has no record %(id)s."),
                    code="record_not_found",
                    library=library.code,
                    id=spec.record_id,
                )
            item, level = None, RequestLine.Level.RECORD
        seen = seen_items if item is not None else seen_records
        key = item.pk if item is not None else record.pk
        if key in seen:
            if item is not None:
                raise RuleViolation(
                    _("Copy %(barcode)s is asked for twice in this request."),
                    code="duplicate_line",
                    barcode=item.barcode,
                )
            raise RuleViolation(
                _("《%(title)s》 is asked for twice in this request."),
                code="duplicate_line",
                title=record.title,
            )
        seen.add(key)
        planned.append(_Line(level, record, item))
    return planned


def _take_copies(planned: list[_Line]) -> list[Item]:
    """Under the lock: the named copies must still be available; each record-level line
    takes the first available copy in shelving order that no other line names. One query
    (FOR UPDATE on PostgreSQL re-checks the status after a wait)."""
    named = [line.item.pk for line in planned if line.item is not None]
    wanted = [line.record.pk for line in planned if line.item is None]
    rows = list(
        Item.objects.select_for_update(of=("self",))
        .filter(
            Q(pk__in=named) | Q(record_id__in=wanted, status=ItemStatus.AVAILABLE, loanable=True)
        )
        .order_by("shelving_key", "barcode")
    )
    by_pk = {item.pk: item for item in rows}
    taken: set[int] = set(named)
    copies = []
    for line in planned:
        if line.item is not None:
            item = by_pk[line.item.pk]
            if item.status != ItemStatus.AVAILABLE:
                raise Conflict(
                    _("Item %(barcode)s is %(status)s, not available now."),
                    code="item_unavailable",
                    barcode=item.barcode,
                    status=item.get_status_display(),
                )
        else:
            item = next(
                (
                    c
                    for c in rows
                    if c.record_id == line.record.pk
                    and c.pk not in taken
                    and c.status == ItemStatus.AVAILABLE
                    and c.loanable
                ),
                None,
            )
            if item is None:
                raise Conflict(
                    _("No copy of 《%(title)s》 is available now."),
                    code="item_unavailable",
                    title=line.record.title,
                )
        taken.add(item.pk)
        copies.append(item)
    return copies


def _check_limits(reader: ReaderProfile, policy, planned: list[_Line]) -> None:
    """Within policy, and nothing the reader already has or has asked for
    (`policies.already_has`, the rule the basket and the record page show). Two queries."""
    held = held_by(reader)
    if len(held) + len(planned) > policy.max_open_loans:
        raise RuleViolation(
            _("Loans and requested books together may not exceed %(n)d."),
            code="too_many_loans",
            n=policy.max_open_loans,
        )
    for line in planned:
        require_not_had(held, line.record, line.item)


def submit_request(
    *,
    user: User,
    library: Library,
    mode: str,
    lines: list[LineSpec],
    building_code: str | None = None,
    service_point_code: str | None = None,
    slot_start: dt.datetime | None = None,
    proxy: Proxy | None = None,
    at: dt.datetime | None = None,
) -> BorrowRequest:
    """A reader asks for books: each line holds one available copy until handover.

    What cannot change during a submission (the reader's card, the places, the books
    named, the policy) is read first; only what can (availability, the reader's loans
    and requests, the queue number) is read again inside the transaction, which holds
    the write lock, so that lock is held as briefly as the writes need.
    """
    at = at or timezone.now()
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    reader = ReaderProfile.objects.select_related("building").filter(user=user).first()
    if reader is None:
        raise PermissionDenied(_("Only a reader with a library card can request books."))
    # Whose books this reader may ask for, and how (the consortium rule), before anything
    # about the books themselves.
    require_may_request(reader, library, mode)
    building, service_point = _validate_place(
        library=library,
        reader=reader,
        mode=mode,
        building_code=building_code,
        service_point_code=service_point_code,
        proxy=proxy,
    )
    if slot_start is not None and mode not in PICKUP_MODES:
        raise RuleViolation(_("Only a pickup books a slot."), code="slot_not_allowed")
    planned = _plan_lines(library, lines)
    policy = circulation_selectors.policy_for(library, reader.reader_type)
    proxy_hash = hash_id_number(proxy.id_number) if proxy is not None else ""
    requested = item_next_state(ItemStatus.AVAILABLE, ItemTrigger.REQUEST)
    with transaction.atomic():
        if connection.features.has_select_for_update:
            # PostgreSQL: one submission at a time per library (the queue number) and
            # per reader (the limits). SQLite's write lock already serialises them.
            Library.objects.select_for_update().filter(pk=library.pk).first()
            ReaderProfile.objects.select_for_update().filter(pk=reader.pk).first()
        # What the reader already has first: a copy on loan to them is "yours until …"
        # rather than "not available".
        _check_limits(reader, policy, planned)
        copies = _take_copies(planned)
        last = BorrowRequest.objects.filter(library=library).aggregate(n=Max("queue_number"))["n"]
        request = BorrowRequest.objects.create(
            library=library,
            reader=reader,
            mode=mode,
            building=building,
            service_point=service_point,
            proxy_name=proxy.name.strip() if proxy else "",
            proxy_id_hash=proxy_hash,
            proxy_id_last4=_normalise_id(proxy.id_number)[-4:] if proxy else "",
            pickup_code=new_pickup_code(),
            queue_number=(last or 0) + 1,
            submitted_at=at,
        )
        # The item table's REQUEST move, for every copy at once.
        moved = Item.objects.filter(
            pk__in=[c.pk for c in copies], status=ItemStatus.AVAILABLE
        ).update(status=requested, quarantine_until=None, updated_at=at)
        if moved != len(copies):
            raise Conflict(_("A requested copy was just taken."), code="item_unavailable")
        # No savepoint: a clash ends the whole submission, which rolls back.
        try:
            RequestLine.objects.bulk_create(
                RequestLine(
                    request=request,
                    position=position,
                    level=line.level,
                    record=line.record,
                    item=copy,
                )
                for position, (line, copy) in enumerate(zip(planned, copies, strict=True), 1)
            )
        except IntegrityError as exc:  # one_holding_line_per_item: another request won
            raise Conflict(_("A requested copy was just taken."), code="item_unavailable") from exc
        _event(request, "submitted", user, at)
        if slot_start is not None:
            slots.book(request=request, slot_start=slot_start, at=at)
            _event(
                request,
                "slot_booked",
                user,
                at,
                slot_start=timezone.localtime(slot_start).isoformat(),
            )
    return request


@transaction.atomic
def book_slot(*, request_id: int, by: User, slot_start: dt.datetime, at: dt.datetime | None = None):
    """The reader books (or moves) the pickup slot of an open pickup or proxy request."""
    at = at or timezone.now()
    request = _lock_request(request_id)
    require(role_for(by, request), {READER, STAFF}, "book a slot for")
    if request.mode not in PICKUP_MODES:
        raise RuleViolation(_("Only a pickup books a slot."), code="slot_not_allowed")
    if request.status not in OPEN_REQUEST_STATES:
        raise Conflict(
            _("A request that is “%(status)s” needs no slot."),
            code="request_closed",
            status=request.get_status_display(),
        )
    booking = slots.book(request=request, slot_start=slot_start, at=at)
    _event(request, "slot_booked", by, at, slot_start=timezone.localtime(slot_start).isoformat())
    return booking
