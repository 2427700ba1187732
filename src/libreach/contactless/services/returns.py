"""Copies coming back to the desk: a cancelled or expired request's books that were on
the hold shelf or out with a delivery run are `in_transit` until checked in here; the
check-in releases them or quarantines them, as a circulation return does."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import User
from libreach.catalog.models import Item, ItemStatus
from libreach.circulation import selectors as circulation_selectors
from libreach.circulation.transitions import Trigger as ItemTrigger
from libreach.circulation.transitions import apply as apply_to_item
from libreach.consortium.models import Library
from libreach.contactless import policies
from libreach.contactless.models import HOLDING_LINE_STATES, RequestLine
from libreach.core.errors import Conflict, NotFound


@transaction.atomic
def check_in_returned(
    *, library: Library, barcode: str, by: User, at: dt.datetime | None = None
) -> Item:
    """Check in a copy a closed request gave back: quarantined for the library's
    quarantine hours, else back on the shelf."""
    at = at or timezone.now()
    policies.require_staff(by, library)
    item = (
        Item.objects.select_for_update(of=("self",))
        .filter(library=library, barcode=(barcode or "").strip())
        .first()
    )
    if item is None:
        raise NotFound(
            _("Library %(library)s has no item %(barcode)s."),
            code="item_not_found",
            library=library.code,
            barcode=repr(barcode),
        )
    # A copy out with an open request travels with it: only its handover ends that.
    held = RequestLine.objects.filter(item=item, status__in=HOLDING_LINE_STATES).exists()
    if item.status != ItemStatus.IN_TRANSIT or held:
        raise Conflict(
            _("Item %(barcode)s is not waiting to be checked in."),
            code="not_awaiting_return",
            barcode=item.barcode,
        )
    hours = circulation_selectors.quarantine_hours(library)
    apply_to_item(
        item,
        ItemTrigger.CHECKIN,
        quarantine_until=at + dt.timedelta(hours=hours) if hours > 0 else None,
    )
    return item
