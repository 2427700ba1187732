"""Writes of contactless borrowing: submit, cancel, pick, disinfect, stage, dispatch,
hand over, expire.

Every function is one transaction. Refusals raise a DomainError before anything is
written (or roll the transaction back), so a refused call changes nothing. Copies move
through circulation's item table (`circulation.transitions`); requests and lines move
through this app's tables (`contactless.transitions`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from libreach.accounts.models import ReaderProfile, StaffRole, User
from libreach.accounts.selectors import is_staff_of, roles_at
from libreach.catalog.models import Item, ItemStatus, Record
from libreach.circulation import selectors as circulation_selectors
from libreach.circulation import services as circulation
from libreach.circulation.models import CirculationSettings, Loan
from libreach.circulation.transitions import Trigger as ItemTrigger
from libreach.circulation.transitions import apply as apply_to_item
from libreach.circulation.transitions import next_state as item_next_state
from libreach.consortium.models import Library, ServicePoint
from libreach.consortium.selectors import building_by_code, service_point_by_code
from libreach.contactless import slots
from libreach.contactless.models import (
    CLOSED_REQUEST_STATES,
    HOLDING_LINE_STATES,
    OPEN_REQUEST_STATES,
    PICKUP_MODES,
    BorrowRequest,
    DeliveryRun,
    Disinfection,
    DisinfectionMethod,
    LineStatus,
    Mode,
    NotFoundReason,
    PickSlip,
    RequestEvent,
    RequestLine,
    RequestStatus,
)
from libreach.contactless.transitions import (
    READER,
    STAFF,
    SYSTEM,
    VOLUNTEER,
    LineTrigger,
    Trigger,
    line_next,
    request_next,
)
from libreach.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from libreach.core.notify import queue_notice

MAX_LINES = 30
# Reasons after which the copy is not on the shelf for anyone: it is marked missing.
MISSING_REASONS = {NotFoundReason.NOT_ON_SHELF, NotFoundReason.MISSING, NotFoundReason.DAMAGED}


@dataclass(frozen=True)
class LineSpec:
    """One line as the reader asks for it: a record (any copy) or a barcode (that copy)."""

    record_id: int | None = None
    barcode: str | None = None


@dataclass(frozen=True)
class Proxy:
    name: str
    id_number: str


# --- small helpers ---------------------------------------------------------------------


def new_pickup_code() -> str:
    # Six digits: read out at a door, typed on a phone; guessing is 1 in a million and
    # the desk checks it against one request, never searches by it.
    return f"{secrets.randbelow(10**6):06d}"


def _normalise_id(id_number: str) -> str:
    return "".join((id_number or "").split()).upper()


def hash_id_number(id_number: str, salt: str | None = None) -> str:
    """`salt$digest` of an ID number (spaces and case ignored), keyed by SECRET_KEY."""
    salt = salt or secrets.token_hex(8)
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{salt}:{_normalise_id(id_number)}".encode(), hashlib.sha256
    ).hexdigest()
    return f"{salt}${digest}"


def id_number_matches(id_number: str, stored: str) -> bool:
    salt, _, _digest = stored.partition("$")
    return bool(id_number) and hmac.compare_digest(hash_id_number(id_number, salt), stored)


def _event(request: BorrowRequest, event: str, actor: User | None, at, *, line=None, note=""):
    RequestEvent.objects.create(
        request=request,
        at=at,
        event=event,
        status=request.status,
        actor=actor,
        line=line,
        note=note[:255],
    )


def _move(request: BorrowRequest, trigger: str, who: str, at) -> None:
    request.status = request_next(request.status, trigger, request.mode, who)
    if request.status in CLOSED_REQUEST_STATES:
        request.closed_at = at


def _lock_request(request_id: int) -> BorrowRequest:
    try:
        return (
            BorrowRequest.objects.select_for_update(of=("self",))
            .select_related("library", "reader", "reader__user", "run")
            .get(pk=request_id)
        )
    except BorrowRequest.DoesNotExist:
        raise NotFound("No such borrow request.", code="request_not_found") from None


def role_for(user, request: BorrowRequest) -> str:
    """What `user` is to `request`: READER (its own), STAFF, VOLUNTEER (on its run).

    Anyone else may not see the request: NotFound, as for a request that does not exist.
    """
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if is_staff_of(user, request.library):
        return STAFF
    if request.reader.user_id == user.pk:
        return READER
    if (
        StaffRole.VOLUNTEER in roles_at(user, request.library)
        and request.run_id is not None
        and request.run.assignee_id == user.pk
    ):
        return VOLUNTEER
    raise NotFound("No such borrow request.", code="request_not_found")


def _require(role: str, allowed: set[str], action: str) -> None:
    if role not in allowed:
        raise PermissionDenied(f"You may not {action} this request.")


def _line(request: BorrowRequest, line_id: int) -> RequestLine:
    line = (
        RequestLine.objects.select_for_update(of=("self",))
        .select_related("item", "record")
        .filter(request=request, pk=line_id)
        .first()
    )
    if line is None:
        raise NotFound("The request has no such line.", code="line_not_found")
    return line


def _release_item(line: RequestLine) -> None:
    """Put the copy a line held back on the shelf (cancel, expiry, swap)."""
    if line.item_id is None:
        return
    item = Item.objects.select_for_update().get(pk=line.item_id)
    if item.status in (
        ItemStatus.REQUESTED,
        ItemStatus.IN_PROCESS,
        ItemStatus.STAGED,
        ItemStatus.IN_TRANSIT,
    ):
        apply_to_item(item, ItemTrigger.UNREQUEST)


def _close_lines(request: BorrowRequest, at) -> None:
    for line in RequestLine.objects.select_for_update().filter(
        request=request, status__in=HOLDING_LINE_STATES
    ):
        _release_item(line)
        line.status = line_next(line.status, LineTrigger.CANCEL)
        line.resolved_at = line.resolved_at or at
        line.save(update_fields=["status", "resolved_at"])
    slots.release(request)


def _notify(request: BorrowRequest, template: str) -> None:
    user = request.reader.user
    lines = list(
        request.lines.exclude(status__in=[LineStatus.NOT_FOUND, LineStatus.CANCELLED])
        .select_related("record")
        .values_list("record__title", flat=True)
    )
    context = {
        "request_id": request.pk,
        "library": request.library.name,
        "library_en": request.library.name_en or request.library.name,
        "mode": request.mode,
        "pickup_code": request.pickup_code,
        "shelf_slot": request.shelf_slot,
        "hold_until": request.hold_until.isoformat() if request.hold_until else "",
        "service_point": request.service_point.name if request.service_point_id else "",
        "building": request.building.name if request.building_id else "",
        "titles": lines,
    }
    queue_notice(user=user, template=f"contactless_{template}", context=context)


# --- submission ------------------------------------------------------------------------


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
        raise RuleViolation(f"Unknown mode {mode!r}.", code="invalid_mode")
    if mode == Mode.DELIVERY:
        if building_code:
            building = building_by_code(library, building_code)
        elif reader.building_id and reader.building.library_id == library.pk:
            building = reader.building
        else:
            raise RuleViolation(
                "Say which building to deliver to: your card has none at this library.",
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
                f"Library {library.code} has no service point to stage deliveries at.",
                code="no_service_point",
            )
    else:
        if not service_point_code:
            raise RuleViolation(
                "Choose the service point to pick the books up at.",
                code="service_point_required",
            )
        service_point = service_point_by_code(library, service_point_code)
        if not service_point.is_pickup:
            raise RuleViolation(
                f"{service_point.name} is not a pickup point.", code="not_a_pickup_point"
            )
    if mode == Mode.PROXY:
        if proxy is None or not proxy.name.strip() or len("".join(proxy.id_number.split())) < 4:
            raise RuleViolation(
                "A proxy pickup needs the proxy's name and ID number.", code="proxy_required"
            )
    elif proxy is not None:
        raise RuleViolation("Only a proxy pickup names a proxy.", code="proxy_not_allowed")
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
        raise RuleViolation("A request needs at least one book.", code="no_lines")
    if len(specs) > MAX_LINES:
        raise RuleViolation(f"At most {MAX_LINES} books per request.", code="too_many_lines")
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
                    f"Library {library.code} has no item {spec.barcode!r}.",
                    code="item_not_found",
                )
            if not item.loanable:
                raise RuleViolation(
                    f"Item {item.barcode} is not for loan.", code="item_not_loanable"
                )
            record, level = item.record, RequestLine.Level.ITEM
        else:
            record = records.get(spec.record_id)
            if record is None:
                raise NotFound(
                    f"Library {library.code} has no record {spec.record_id}.",
                    code="record_not_found",
                )
            item, level = None, RequestLine.Level.RECORD
        seen = seen_items if item is not None else seen_records
        key = item.pk if item is not None else record.pk
        if key in seen:
            what = f"Copy {item.barcode}" if item is not None else f"《{record.title}》"
            raise RuleViolation(
                f"{what} is asked for twice in this request.", code="duplicate_line"
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
                    f"Item {item.barcode} is {item.get_status_display()}, not available now.",
                    code="item_unavailable",
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
                    f"No copy of 《{line.record.title}》 is available now.",
                    code="item_unavailable",
                )
        taken.add(item.pk)
        copies.append(item)
    return copies


def _check_limits(reader: ReaderProfile, policy, planned: list[_Line], copies: list[Item]) -> None:
    """Within policy, and nothing the reader already has or has asked for: the same
    copy for an item-level line; the same record (any copy held by a record-level
    line, or on loan) for a record-level line. Two queries."""
    held = list(
        RequestLine.objects.filter(
            request__reader=reader,
            request__status__in=OPEN_REQUEST_STATES,
            status__in=HOLDING_LINE_STATES,
        ).values_list("level", "record_id", "item_id")
    )
    loans = list(
        Loan.objects.filter(reader=reader, returned_at=None).values_list(
            "item_id", "item__record_id"
        )
    )
    if len(loans) + len(held) + len(planned) > policy.max_open_loans:
        raise RuleViolation(
            f"Loans and requested books together may not exceed {policy.max_open_loans}.",
            code="too_many_loans",
        )
    held_items = {item for _, _, item in held} | {item for item, _ in loans}
    held_records = {rec for level, rec, _ in held if level == RequestLine.Level.RECORD}
    loan_records = {rec for _, rec in loans}
    for line, copy in zip(planned, copies, strict=True):
        if line.item is not None:
            twice = copy.pk in held_items
        else:
            twice = line.record.pk in held_records or line.record.pk in loan_records
        if twice:
            raise RuleViolation(
                f"You already have 《{line.record.title}》 on loan or requested.",
                code="duplicate_line",
            )


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
        raise PermissionDenied("Only a reader with a library card can request books.")
    building, service_point = _validate_place(
        library=library,
        reader=reader,
        mode=mode,
        building_code=building_code,
        service_point_code=service_point_code,
        proxy=proxy,
    )
    if slot_start is not None and mode not in PICKUP_MODES:
        raise RuleViolation("Only a pickup books a slot.", code="slot_not_allowed")
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
        copies = _take_copies(planned)
        _check_limits(reader, policy, planned, copies)
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
            raise Conflict("A requested copy was just taken.", code="item_unavailable")
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
            raise Conflict("A requested copy was just taken.", code="item_unavailable") from exc
        _event(request, "submitted", user, at)
        if slot_start is not None:
            slots.book(request=request, slot_start=slot_start, at=at)
            _event(
                request, "slot_booked", user, at, note=timezone.localtime(slot_start).isoformat()
            )
    return request


# --- reader and staff: cancel ------------------------------------------------------------


@transaction.atomic
def cancel_request(*, request_id: int, by: User, at: dt.datetime | None = None) -> BorrowRequest:
    """Readers cancel until their books are ready; staff until they are handed over."""
    at = at or timezone.now()
    request = _lock_request(request_id)
    role = role_for(by, request)
    _require(role, {READER, STAFF}, "cancel")
    _move(request, Trigger.CANCEL, role, at)
    _close_lines(request, at)
    request.save(update_fields=["status", "closed_at"])
    _event(request, "cancelled", by, at)
    return request


@transaction.atomic
def book_slot(*, request_id: int, by: User, slot_start: dt.datetime, at: dt.datetime | None = None):
    """The reader books (or moves) the pickup slot of an open pickup or proxy request."""
    at = at or timezone.now()
    request = _lock_request(request_id)
    _require(role_for(by, request), {READER, STAFF}, "book a slot for")
    if request.mode not in PICKUP_MODES:
        raise RuleViolation("Only a pickup books a slot.", code="slot_not_allowed")
    if request.status not in OPEN_REQUEST_STATES:
        raise Conflict(f"A request that is {request.status} needs no slot.", code="request_closed")
    booking = slots.book(request=request, slot_start=slot_start, at=at)
    _event(request, "slot_booked", by, at, note=timezone.localtime(slot_start).isoformat())
    return booking


# --- the desk: pick, disinfect, stage ----------------------------------------------------


def _staff_request(request_id: int, by: User, action: str) -> BorrowRequest:
    request = _lock_request(request_id)
    _require(role_for(by, request), {STAFF}, action)
    return request


def _start_picking(request: BorrowRequest, by: User, at) -> None:
    if request.status == RequestStatus.SUBMITTED:
        _move(request, Trigger.START_PICKING, STAFF, at)
        request.save(update_fields=["status"])
        _event(request, "picking", by, at)
    elif request.status != RequestStatus.PICKING:
        raise Conflict(
            f"A request that is {request.status} is not being picked.",
            code="invalid_transition",
        )


def _finish_if_unfilled(request: BorrowRequest, by: User, at) -> None:
    statuses = set(request.lines.values_list("status", flat=True))
    if statuses == {LineStatus.NOT_FOUND}:
        _move(request, Trigger.UNFILL, SYSTEM, at)
        request.save(update_fields=["status", "closed_at"])
        slots.release(request)
        _event(request, "unfilled", by, at)
        _notify(request, "unfilled")


@transaction.atomic
def mark_found(
    *, request_id: int, line_id: int, by: User, barcode: str | None = None, at=None
) -> RequestLine:
    """The copy is in hand. For a record-level line, `barcode` may name another copy."""
    at = at or timezone.now()
    request = _staff_request(request_id, by, "pick")
    line = _line(request, line_id)
    line_next(line.status, LineTrigger.FOUND)
    _start_picking(request, by, at)
    if barcode and barcode != line.item.barcode:
        if line.level == RequestLine.Level.ITEM:
            raise RuleViolation(
                f"This line asks for copy {line.item.barcode}, not {barcode}.",
                code="wrong_copy",
            )
        other = (
            Item.objects.select_for_update()
            .filter(library=request.library, barcode=barcode)
            .first()
        )
        if other is None or other.record_id != line.record_id:
            raise RuleViolation(
                f"{barcode} is not a copy of 《{line.record.title}》 here.", code="wrong_copy"
            )
        if other.status != ItemStatus.AVAILABLE or not other.loanable:
            raise Conflict(f"Copy {barcode} is not available.", code="item_unavailable")
        _release_item(line)
        line.item = other
    apply_to_item(Item.objects.select_for_update().get(pk=line.item_id), ItemTrigger.PICK)
    line.status = LineStatus.FOUND
    line.resolved_at = at
    line.save(update_fields=["status", "item", "resolved_at"])
    _event(request, "line_found", by, at, line=line, note=line.item.barcode)
    return line


@transaction.atomic
def mark_not_found(*, request_id: int, line_id: int, by: User, reason: str, at=None) -> RequestLine:
    at = at or timezone.now()
    if reason not in NotFoundReason.values:
        raise RuleViolation(f"Unknown reason {reason!r}.", code="invalid_reason")
    request = _staff_request(request_id, by, "pick")
    line = _line(request, line_id)
    line_next(line.status, LineTrigger.NOT_FOUND)
    _start_picking(request, by, at)
    item = Item.objects.select_for_update().get(pk=line.item_id)
    apply_to_item(
        item, ItemTrigger.MARK_MISSING if reason in MISSING_REASONS else ItemTrigger.UNREQUEST
    )
    line.status = LineStatus.NOT_FOUND
    line.not_found_reason = reason
    line.resolved_at = at
    line.save(update_fields=["status", "not_found_reason", "resolved_at"])
    _event(request, "line_not_found", by, at, line=line, note=reason)
    _finish_if_unfilled(request, by, at)
    return line


@transaction.atomic
def disinfect(*, request_id: int, by: User, method: str, minutes: int, at=None) -> Disinfection:
    """Log how the found books were disinfected; their lines become `disinfected`."""
    at = at or timezone.now()
    if method not in DisinfectionMethod.values:
        raise RuleViolation(f"Unknown method {method!r}.", code="invalid_method")
    if not 1 <= minutes <= 24 * 60 * 14:
        raise RuleViolation("Minutes must be between 1 and 20160.", code="invalid_minutes")
    request = _staff_request(request_id, by, "disinfect")
    if request.status != RequestStatus.PICKING:
        raise Conflict(
            f"A request that is {request.status} has no books to disinfect.",
            code="invalid_transition",
        )
    found = list(request.lines.select_for_update().filter(status=LineStatus.FOUND))
    if not found:
        raise Conflict("No found book is waiting to be disinfected.", code="nothing_to_disinfect")
    for line in found:
        line.status = line_next(line.status, LineTrigger.DISINFECT)
        line.save(update_fields=["status"])
    record = Disinfection.objects.create(
        request=request, method=method, minutes=minutes, by=by, at=at
    )
    _event(request, "disinfected", by, at, note=f"{method} {minutes} min")
    return record


def _hold_until(request: BorrowRequest, at) -> dt.date:
    policy = circulation_selectors.policy_for(request.library, request.reader.reader_type)
    return timezone.localdate(at) + dt.timedelta(days=policy.hold_days)


@transaction.atomic
def stage(*, request_id: int, by: User, shelf_slot: str | None = None, at=None) -> BorrowRequest:
    """Every line resolved: the found books go to a numbered shelf slot; request `ready`.

    Pickup requests are then notified and wait (`awaiting_pickup`) until their hold date.
    """
    at = at or timezone.now()
    request = _staff_request(request_id, by, "stage")
    request_next(request.status, Trigger.STAGE, request.mode, STAFF)
    lines = list(request.lines.select_for_update(of=("self",)).select_related("item"))
    waiting = [line for line in lines if line.status == LineStatus.REQUESTED]
    if waiting:
        raise Conflict(
            f"{len(waiting)} book(s) of this request are still to be picked.",
            code="lines_unresolved",
        )
    found = [line for line in lines if line.status in (LineStatus.FOUND, LineStatus.DISINFECTED)]
    requires = (
        CirculationSettings.objects.filter(library=request.library)
        .values_list("requires_disinfection", flat=True)
        .first()
    )
    if requires and any(line.status == LineStatus.FOUND for line in found):
        raise RuleViolation(
            "This library disinfects every book before staging: record the disinfection first.",
            code="disinfection_required",
        )
    for line in found:
        apply_to_item(line.item, ItemTrigger.STAGE)
        line.status = line_next(line.status, LineTrigger.STAGE)
        line.save(update_fields=["status"])
    _move(request, Trigger.STAGE, STAFF, at)
    request.shelf_slot = (shelf_slot or "").strip() or str(request.queue_number)
    request.ready_at = at
    if request.mode in PICKUP_MODES:
        request.hold_until = _hold_until(request, at)
    request.save(update_fields=["status", "shelf_slot", "ready_at", "hold_until"])
    _event(request, "ready", by, at, note=request.shelf_slot)
    if request.mode in PICKUP_MODES:
        _notify(request, "ready")
        _move(request, Trigger.NOTIFY_READY, SYSTEM, at)
        request.save(update_fields=["status"])
        _event(request, "reader_notified", None, at)
    return request


# --- delivery runs and dispatch ---------------------------------------------------------


@transaction.atomic
def create_run(
    *,
    library: Library,
    by: User,
    run_date: dt.date | None = None,
    building_codes: list[str] | None = None,
    assignee: User | None = None,
    at=None,
) -> DeliveryRun:
    """Gather the ready delivery requests (of the given buildings) into one run."""
    at = at or timezone.now()
    if not is_staff_of(by, library):
        raise PermissionDenied(f"You are not staff of library {library.code}.")
    if assignee is not None and not (
        is_staff_of(assignee, library) or StaffRole.VOLUNTEER in roles_at(assignee, library)
    ):
        raise RuleViolation(
            f"{assignee} is neither staff nor a volunteer of {library.code}.",
            code="invalid_assignee",
        )
    library = Library.objects.select_for_update().get(pk=library.pk)
    run_date = run_date or timezone.localdate(at)
    ready = BorrowRequest.objects.select_for_update().filter(
        library=library, mode=Mode.DELIVERY, status=RequestStatus.READY, run=None
    )
    if building_codes:
        ready = ready.filter(building__code__in=building_codes)
    ids = list(ready.values_list("pk", flat=True))
    if not ids:
        raise Conflict("No ready delivery request is waiting for a run.", code="nothing_to_run")
    last = DeliveryRun.objects.filter(library=library, run_date=run_date).aggregate(
        n=Max("number")
    )["n"]
    run = DeliveryRun.objects.create(
        library=library,
        run_date=run_date,
        number=(last or 0) + 1,
        assignee=assignee,
        created_by=by,
    )
    BorrowRequest.objects.filter(pk__in=ids).update(run=run)
    return run


def _run_for(request: BorrowRequest, run_id: int | None) -> DeliveryRun | None:
    if run_id is None:
        return request.run
    run = DeliveryRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.library_id != request.library_id:
        raise NotFound("No such delivery run.", code="run_not_found")
    if run.status == DeliveryRun.Status.COMPLETED:
        raise Conflict("That delivery run is completed.", code="run_completed")
    return run


@transaction.atomic
def dispatch(*, request_id: int, by: User, run_id: int | None = None, at=None) -> BorrowRequest:
    """A ready delivery request leaves with its run (staff, or the run's volunteer)."""
    at = at or timezone.now()
    request = _lock_request(request_id)
    role = role_for(by, request)
    _require(role, {STAFF, VOLUNTEER}, "dispatch")
    if role == VOLUNTEER and run_id not in (None, request.run_id):
        raise PermissionDenied("Volunteers dispatch only with the run given to them.")
    request_next(request.status, Trigger.DISPATCH, request.mode, role)
    run = _run_for(request, run_id)
    for line in request.lines.select_for_update().filter(status=LineStatus.STAGED):
        apply_to_item(Item.objects.select_for_update().get(pk=line.item_id), ItemTrigger.DISPATCH)
    _move(request, Trigger.DISPATCH, role, at)
    request.run = run
    request.save(update_fields=["status", "run"])
    if run is not None and run.status == DeliveryRun.Status.PLANNED:
        run.status = DeliveryRun.Status.DISPATCHED
        run.dispatched_at = at
        run.save(update_fields=["status", "dispatched_at"])
    _event(request, "out_for_delivery", by, at, note=f"run {run.pk}" if run else "")
    _notify(request, "out_for_delivery")
    return request


@transaction.atomic
def dispatch_run(*, run_id: int, by: User, at=None) -> int:
    """Dispatch every ready request of a run; returns how many left."""
    at = at or timezone.now()
    run = DeliveryRun.objects.select_related("library").filter(pk=run_id).first()
    if run is None or not (
        is_staff_of(by, run.library)
        or (run.assignee_id == by.pk and StaffRole.VOLUNTEER in roles_at(by, run.library))
    ):
        raise NotFound("No such delivery run.", code="run_not_found")
    ids = list(
        run.requests.filter(status=RequestStatus.READY).order_by("pk").values_list("pk", flat=True)
    )
    if not ids:
        raise Conflict("Nothing in this run is ready to leave.", code="nothing_to_dispatch")
    for request_id in ids:
        dispatch(request_id=request_id, by=by, run_id=run.pk, at=at)
    return len(ids)


# --- handover ----------------------------------------------------------------------------


@transaction.atomic
def handover(
    *,
    request_id: int,
    by: User,
    pickup_code: str,
    proxy_id_number: str | None = None,
    at: dt.datetime | None = None,
) -> list[Loan]:
    """Check the code (and a proxy's ID number), then lend every staged book at once."""
    at = at or timezone.now()
    request = _lock_request(request_id)
    role = role_for(by, request)
    _require(role, {STAFF, VOLUNTEER}, "hand over")
    request_next(request.status, Trigger.HANDOVER, request.mode, role)
    if not hmac.compare_digest(str(pickup_code).strip(), request.pickup_code):
        raise PermissionDenied("The pickup code does not match.", code="wrong_pickup_code")
    if request.mode == Mode.PROXY and not id_number_matches(
        proxy_id_number or "", request.proxy_id_hash
    ):
        raise PermissionDenied("The proxy's ID number does not match.", code="wrong_proxy_id")
    lines = list(
        request.lines.select_for_update(of=("self",))
        .filter(status=LineStatus.STAGED)
        .select_related("item")
        .order_by("position")
    )
    loans = []
    for line in lines:
        loan = circulation.checkout(item=line.item, reader=request.reader, at=at)
        line.status = line_next(line.status, LineTrigger.HAND_OVER)
        line.loan = loan
        line.save(update_fields=["status", "loan"])
        loans.append(loan)
    _move(request, Trigger.HANDOVER, role, at)
    request.save(update_fields=["status", "closed_at"])
    _event(request, request.status, by, at)
    run = request.run
    if run is not None and not run.requests.filter(status__in=OPEN_REQUEST_STATES).exists():
        run.status = DeliveryRun.Status.COMPLETED
        run.save(update_fields=["status"])
    return loans


# --- pick slips ----------------------------------------------------------------------------


@transaction.atomic
def print_pick_slip(
    *, library: Library, by: User, service_point: ServicePoint | None = None, at=None
) -> PickSlip:
    """Remember the lines a printed pick list carries, so the next print leaves them out."""
    from libreach.contactless.selectors import pick_list_lines

    at = at or timezone.now()
    if not is_staff_of(by, library):
        raise PermissionDenied(f"You are not staff of library {library.code}.")
    Library.objects.select_for_update().get(pk=library.pk)
    line_ids = [row["line"] for row in pick_list_lines(library, service_point, unprinted=True)]
    if not line_ids:
        raise Conflict("Every line to pick is already on a printed slip.", code="nothing_to_print")
    slip = PickSlip.objects.create(
        library=library, service_point=service_point, printed_by=by, printed_at=at
    )
    slip.lines.set(line_ids)
    return slip


# --- scheduled jobs ------------------------------------------------------------------------


def expire_holds(*, today: dt.date | None = None) -> int:
    """Requests not collected by their hold date expire; their copies go back."""
    today = today or timezone.localdate()
    ids = list(
        BorrowRequest.objects.filter(
            mode__in=PICKUP_MODES,
            status__in=[RequestStatus.READY, RequestStatus.AWAITING_PICKUP],
            hold_until__lt=today,
        ).values_list("pk", flat=True)
    )
    expired = 0
    for request_id in ids:
        with transaction.atomic():
            request = _lock_request(request_id)
            if request.status not in (RequestStatus.READY, RequestStatus.AWAITING_PICKUP):
                continue  # collected meanwhile
            at = timezone.now()
            _move(request, Trigger.EXPIRE, SYSTEM, at)
            _close_lines(request, at)
            request.save(update_fields=["status", "closed_at"])
            _event(request, "expired", None, at)
            _notify(request, "expired")
            expired += 1
    return expired


def send_expiry_notices(*, today: dt.date | None = None) -> int:
    """Tell readers whose books wait their last day (hold date is today)."""
    today = today or timezone.localdate()
    sent = 0
    ids = list(
        BorrowRequest.objects.filter(
            status=RequestStatus.AWAITING_PICKUP,
            hold_until=today,
            expiry_notice_sent_at=None,
        ).values_list("pk", flat=True)
    )
    for request_id in ids:
        with transaction.atomic():
            request = _lock_request(request_id)
            if request.expiry_notice_sent_at is not None:
                continue
            request.expiry_notice_sent_at = timezone.now()
            request.save(update_fields=["expiry_notice_sent_at"])
            _notify(request, "about_to_expire")
            sent += 1
    return sent
