"""What the contactless services share: locking a request, moving it through its
table, recording events, releasing copies, notifying the reader, proxy ID hashes."""

from __future__ import annotations

import secrets

from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import User
from libreach.catalog.models import Item, ItemStatus
from libreach.circulation.transitions import Trigger as ItemTrigger
from libreach.circulation.transitions import apply as apply_to_item
from libreach.contactless import slots
from libreach.contactless.models import (
    CLOSED_REQUEST_STATES,
    HOLDING_LINE_STATES,
    BorrowRequest,
    LineStatus,
    RequestEvent,
    RequestLine,
)
from libreach.contactless.policies import require, role_for
from libreach.contactless.transitions import STAFF, LineTrigger, line_next, request_next
from libreach.core import hashing
from libreach.core.errors import NotFound
from libreach.core.notify import queue_notice


def new_pickup_code() -> str:
    # Six digits: read out at a door, typed on a phone; guessing is 1 in a million per
    # request. The desk may find a request by it (handover lookup), and is then told to
    # check the reader's card: a guessed code could match someone's request.
    return f"{secrets.randbelow(10**6):06d}"


def _normalise_id(id_number: str) -> str:
    # As hashed (width, spaces and case ignored), in capitals for the desk's last four.
    return hashing.normalise(id_number).upper()


def hash_id_number(id_number: str) -> str:
    """A keyed slow hash of an ID number, with its own key and rotation (core.hashing)."""
    return hashing.make_id_hash(id_number)


def id_number_matches(id_number: str, stored: str) -> bool:
    # Also checks hashes made before core.hashing, for requests submitted before it.
    return hashing.id_hash_matches(id_number, stored)


def _event(
    request: BorrowRequest, event: str, actor: User | None, at, *, line=None, **data
) -> None:
    """Record `event` (an EventCode) with its details as data, never as a sentence."""
    RequestEvent.objects.create(
        request=request,
        at=at,
        event=event,
        status=request.status,
        actor=actor,
        line=line,
        data=data,
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
        raise NotFound(_("No such borrow request."), code="request_not_found") from None


def _line(request: BorrowRequest, line_id: int) -> RequestLine:
    line = (
        RequestLine.objects.select_for_update(of=("self",))
        .select_related("item", "record")
        .filter(request=request, pk=line_id)
        .first()
    )
    if line is None:
        raise NotFound(_("The request has no such line."), code="line_not_found")
    return line


def _release_item(line: RequestLine) -> None:
    """Give back the copy a line held (cancel, expiry, swap). One still on the shelf or in
    the picker's hands goes back on the shelf; one on the hold shelf or out with a run
    must come back to the desk and be checked in there (services.returns)."""
    if line.item_id is None:
        return
    item = Item.objects.select_for_update().get(pk=line.item_id)
    if item.status in (ItemStatus.REQUESTED, ItemStatus.IN_PROCESS):
        apply_to_item(item, ItemTrigger.UNREQUEST)
    elif item.status in (ItemStatus.STAGED, ItemStatus.IN_TRANSIT):
        apply_to_item(item, ItemTrigger.RETURN_TO_DESK)


def _close_lines(request: BorrowRequest, at, who: str) -> None:
    for line in RequestLine.objects.select_for_update().filter(
        request=request, status__in=HOLDING_LINE_STATES
    ):
        _release_item(line)
        line.status = line_next(line.status, LineTrigger.CANCEL, who)
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


def _staff_request(request_id: int, by: User, action: str) -> BorrowRequest:
    request = _lock_request(request_id)
    require(role_for(by, request), {STAFF}, action)
    return request
