"""The desk: pick slips, found / not found, disinfection, staging."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from libreach.accounts.models import User
from libreach.catalog.models import Item, ItemStatus
from libreach.circulation import selectors as circulation_selectors
from libreach.circulation.models import CirculationSettings
from libreach.circulation.transitions import Trigger as ItemTrigger
from libreach.circulation.transitions import apply as apply_to_item
from libreach.consortium.models import Library, ServicePoint
from libreach.contactless import policies, slots
from libreach.contactless.models import (
    PICKUP_MODES,
    BorrowRequest,
    Disinfection,
    DisinfectionMethod,
    LineStatus,
    NotFoundReason,
    PickSlip,
    RequestLine,
    RequestStatus,
)
from libreach.contactless.selectors import pick_list_lines
from libreach.contactless.services.common import (
    _event,
    _line,
    _move,
    _notify,
    _release_item,
    _staff_request,
)
from libreach.contactless.transitions import (
    STAFF,
    SYSTEM,
    LineTrigger,
    Trigger,
    line_next,
    request_next,
)
from libreach.core import normalise
from libreach.core.errors import Conflict, NotFound, RuleViolation
from libreach.core.lengths import require_fits

MISSING_REASONS = {NotFoundReason.NOT_ON_SHELF, NotFoundReason.MISSING, NotFoundReason.DAMAGED}


def _start_picking(request: BorrowRequest, by: User, at) -> None:
    """A line is picked: the table refuses a request past picking; the first starts it."""
    before = request.status
    _move(request, Trigger.PICK, STAFF, at)
    if request.status != before:
        request.save(update_fields=["status"])
        _event(request, "picking", by, at)


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
    if barcode is not None and barcode.strip():
        typed, barcode = barcode, normalise.barcode(barcode)
        if not barcode:  # only invisible characters: a misread, not "the line's own copy"
            raise RuleViolation(
                _("%(typed)s is not a barcode."), code="invalid_barcode", typed=repr(typed)
            )
    else:
        barcode = None
    request = _staff_request(request_id, by, "pick")
    line = _line(request, line_id)
    return _mark_found(request, line, by, barcode, at)


def _mark_found(
    request: BorrowRequest, line: RequestLine, by: User, barcode: str | None, at
) -> RequestLine:
    """`mark_found` on a locked request and line."""
    found = line_next(line.status, LineTrigger.FOUND, STAFF)
    _start_picking(request, by, at)
    if barcode and barcode != line.item.barcode:
        if line.level == RequestLine.Level.ITEM:
            raise RuleViolation(
                _("This line asks for copy %(wanted)s, not %(barcode)s."),
                code="wrong_copy",
                wanted=line.item.barcode,
                barcode=barcode,
            )
        other = (
            Item.objects.select_for_update()
            .filter(library=request.library, barcode=barcode)
            .first()
        )
        if other is None or other.record_id != line.record_id:
            raise RuleViolation(
                _("%(barcode)s is not a copy of 《%(title)s》 here."),
                code="wrong_copy",
                barcode=barcode,
                title=line.record.title,
            )
        if other.status != ItemStatus.AVAILABLE or not other.loanable:
            raise Conflict(
                _("Copy %(barcode)s is not available."), code="item_unavailable", barcode=barcode
            )
        _release_item(line)
        line.item = other
    apply_to_item(Item.objects.select_for_update().get(pk=line.item_id), ItemTrigger.PICK)
    line.status = found
    line.resolved_at = at
    line.save(update_fields=["status", "item", "resolved_at"])
    _event(request, "line_found", by, at, line=line, barcode=line.item.barcode)
    line.request = request  # the desk's answer names its queue number
    return line


# Lines a scan can find: still to pick, of a request still being picked (the pick list).
_OPEN = {
    "status": LineStatus.REQUESTED,
    "request__status__in": (RequestStatus.SUBMITTED, RequestStatus.PICKING),
}
_PICKED = (LineStatus.FOUND, LineStatus.DISINFECTED, LineStatus.STAGED)


def _line_for_copy(
    item: Item, library: Library, service_point: ServicePoint | None, request_id: int | None
) -> tuple[int, int, bool] | None:
    """(request, line, swap) of the open line a scanned copy answers: the line holding
    that copy, else the oldest record-level line of its record (`swap`: the copy is taken
    instead of the one the line held)."""
    lines = RequestLine.objects.filter(request__library=library, **_OPEN)
    if service_point is not None:
        lines = lines.filter(request__service_point=service_point)
    if request_id is not None:
        lines = lines.filter(request_id=request_id)
    holding = lines.filter(item=item).values_list("request_id", "pk").first()
    if holding:
        return (*holding, False)
    other = (
        lines.filter(level=RequestLine.Level.RECORD, record_id=item.record_id)
        .order_by("request__submitted_at", "request_id", "position")
        .values_list("request_id", "pk")
        .first()
    )
    return (*other, True) if other else None


def _found_on(item: Item, library: Library) -> int | None:
    """The request whose found (not yet lent) line holds `item`, if one does."""
    return (
        RequestLine.objects.filter(request__library=library, item=item, status__in=_PICKED)
        .values_list("request_id", flat=True)
        .first()
    )


@transaction.atomic
def scan_found(
    *,
    library: Library,
    barcode: str,
    by: User,
    service_point: ServicePoint | None = None,
    request_id: int | None = None,
    at=None,
) -> RequestLine:
    """A copy scanned at the desk: mark found the open pick-list line holding it (of
    `service_point`'s requests, or of request `request_id`, when given). A copy on no line
    but of a record a record-level line asks for is taken for that line instead of the
    copy it held, as `mark_found(barcode=...)` does. Refused, changing nothing: a barcode
    this library has no copy of (`item_not_found`), a copy already found
    (`already_found`), one no open line wants (`not_on_pick_list`)."""
    at = at or timezone.now()
    typed, barcode = barcode, normalise.barcode(barcode or "")
    if not barcode:
        raise RuleViolation(
            _("%(typed)s is not a barcode."), code="invalid_barcode", typed=repr(typed)
        )
    policies.require_staff(by, library)
    item = Item.objects.filter(library=library, barcode=barcode).only("pk", "record_id").first()
    if item is None:
        raise NotFound(
            _("This library has no copy with barcode %(barcode)s."),
            code="item_not_found",
            barcode=barcode,
        )
    # Found unlocked, then locked in mark_found's order (request, then line): a scan racing
    # another finds the line taken once it holds the lock, and looks again.
    for _attempt in range(3):
        match = _line_for_copy(item, library, service_point, request_id)
        if match is None or (match[2] and _found_on(item, library)):
            break  # a copy scanned twice is found, not taken again for a record-level line
        line_request_id, line_id, swap = match
        request = _staff_request(line_request_id, by, "pick")
        line = _line(request, line_id)
        if line.status == LineStatus.REQUESTED and request.status in _OPEN["request__status__in"]:
            return _mark_found(request, line, by, barcode if swap else None, at)
    done = _found_on(item, library)
    if done is not None:
        raise Conflict(
            _("Copy %(barcode)s is already found (request %(id)s)."),
            code="already_found",
            barcode=barcode,
            id=done,
        )
    raise RuleViolation(
        _("Copy %(barcode)s is on no line of the pick list."),
        code="not_on_pick_list",
        barcode=barcode,
    )


@transaction.atomic
def mark_not_found(*, request_id: int, line_id: int, by: User, reason: str, at=None) -> RequestLine:
    at = at or timezone.now()
    if reason not in NotFoundReason.values:
        raise RuleViolation(
            _("Unknown reason %(reason)s."), code="invalid_reason", reason=repr(reason)
        )
    request = _staff_request(request_id, by, "pick")
    line = _line(request, line_id)
    not_found = line_next(line.status, LineTrigger.NOT_FOUND, STAFF)
    _start_picking(request, by, at)
    item = Item.objects.select_for_update().get(pk=line.item_id)
    apply_to_item(
        item, ItemTrigger.MARK_MISSING if reason in MISSING_REASONS else ItemTrigger.UNREQUEST
    )
    line.status = not_found
    line.not_found_reason = reason
    line.resolved_at = at
    line.save(update_fields=["status", "not_found_reason", "resolved_at"])
    _event(request, "line_not_found", by, at, line=line, reason=reason, barcode=item.barcode)
    _finish_if_unfilled(request, by, at)
    line.request = request
    return line


@transaction.atomic
def disinfect(*, request_id: int, by: User, method: str, minutes: int, at=None) -> Disinfection:
    """Log how the found books were disinfected; their lines become `disinfected`."""
    at = at or timezone.now()
    if method not in DisinfectionMethod.values:
        raise RuleViolation(
            _("Unknown method %(method)s."), code="invalid_method", method=repr(method)
        )
    if not 1 <= minutes <= 24 * 60 * 14:
        raise RuleViolation(_("Minutes must be between 1 and 20160."), code="invalid_minutes")
    request = _staff_request(request_id, by, "disinfect")
    request_next(request.status, Trigger.DISINFECT, request.mode, STAFF)
    found = list(request.lines.select_for_update().filter(status=LineStatus.FOUND))
    if not found:
        raise Conflict(
            _("No found book is waiting to be disinfected."), code="nothing_to_disinfect"
        )
    for line in found:
        line.status = line_next(line.status, LineTrigger.DISINFECT, STAFF)
        line.save(update_fields=["status"])
    record = Disinfection.objects.create(
        request=request, method=method, minutes=minutes, by=by, at=at
    )
    _event(request, "disinfected", by, at, method=method, minutes=minutes)
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
    shelf_slot = (shelf_slot or "").strip()
    require_fits(BorrowRequest, "shelf_slot", shelf_slot)  # refused, never cut
    lines = list(request.lines.select_for_update(of=("self",)).select_related("item"))
    waiting = [line for line in lines if line.status == LineStatus.REQUESTED]
    if waiting:
        raise Conflict(
            ngettext_lazy(
                "%(n)d book of this request is still to be picked.",
                "%(n)d books of this request are still to be picked.",
                "n",
            ),
            code="lines_unresolved",
            n=len(waiting),
        )
    found = [line for line in lines if line.status in (LineStatus.FOUND, LineStatus.DISINFECTED)]
    requires = (
        CirculationSettings.objects.filter(library=request.library)
        .values_list("requires_disinfection", flat=True)
        .first()
    )
    if requires and any(line.status == LineStatus.FOUND for line in found):
        raise RuleViolation(
            _("This library disinfects every book before staging: record the disinfection first."),
            code="disinfection_required",
        )
    for line in found:
        apply_to_item(line.item, ItemTrigger.STAGE)
        line.status = line_next(line.status, LineTrigger.STAGE, STAFF)
        line.save(update_fields=["status"])
    _move(request, Trigger.STAGE, STAFF, at)
    request.shelf_slot = shelf_slot or str(request.queue_number)
    request.ready_at = at
    if request.mode in PICKUP_MODES:
        request.hold_until = _hold_until(request, at)
    request.save(update_fields=["status", "shelf_slot", "ready_at", "hold_until"])
    _event(request, "ready", by, at, shelf_slot=request.shelf_slot)
    if request.mode in PICKUP_MODES:
        _notify(request, "ready")
        _move(request, Trigger.NOTIFY_READY, SYSTEM, at)
        request.save(update_fields=["status"])
        _event(request, "reader_notified", None, at)
    return request


@transaction.atomic
def print_pick_slip(
    *, library: Library, by: User, service_point: ServicePoint | None = None, at=None
) -> PickSlip:
    """Remember the lines a printed pick list carries, so the next print leaves them out."""
    at = at or timezone.now()
    policies.require_staff(by, library)
    Library.objects.select_for_update().get(pk=library.pk)
    line_ids = [row["line"] for row in pick_list_lines(library, service_point, unprinted=True)]
    if not line_ids:
        raise Conflict(
            _("Every line to pick is already on a printed slip."), code="nothing_to_print"
        )
    slip = PickSlip.objects.create(
        library=library, service_point=service_point, printed_by=by, printed_at=at
    )
    slip.lines.set(line_ids)
    return slip
