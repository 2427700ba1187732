"""Item availability as a table of allowed transitions (docs/architecture.md).

Anything not in `TABLE` is refused with Conflict("invalid_transition") and changes
nothing. The contactless triggers (request, pick, stage, dispatch, unrequest) move a
copy through the desk's hands; checkout ends them.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from libreach.catalog.models import Item, ItemStatus
from libreach.core.errors import Conflict

S = ItemStatus


class Trigger:
    CHECKOUT = "checkout"
    CHECKIN = "checkin"
    RELEASE = "release"
    MARK_MISSING = "mark_missing"
    WITHDRAW = "withdraw"
    FOUND = "found"
    # Contactless borrowing
    REQUEST = "request"
    PICK = "pick"
    STAGE = "stage"
    DISPATCH = "dispatch"
    UNREQUEST = "unrequest"
    # A cancelled or expired request's copy left the shelf (hold shelf, delivery run):
    # it comes back to the desk and is checked in there (FOLIO: "In transit").
    RETURN_TO_DESK = "return_to_desk"

    ALL = (
        CHECKOUT,
        CHECKIN,
        RELEASE,
        MARK_MISSING,
        WITHDRAW,
        FOUND,
        REQUEST,
        PICK,
        STAGE,
        DISPATCH,
        UNREQUEST,
        RETURN_TO_DESK,
    )


@dataclass(frozen=True)
class Transition:
    state: str
    trigger: str
    next_state: str
    who: str
    # checkin has two rows: it quarantines only when the returning library says so.
    quarantine: bool | None = None


TABLE: tuple[Transition, ...] = (
    Transition(S.AVAILABLE, Trigger.CHECKOUT, S.ON_LOAN, "circulation staff"),
    # Handover of a contactless request: the item was staged or out on a delivery run.
    Transition(S.STAGED, Trigger.CHECKOUT, S.ON_LOAN, "circulation staff, volunteer"),
    Transition(S.IN_TRANSIT, Trigger.CHECKOUT, S.ON_LOAN, "circulation staff, volunteer"),
    Transition(S.ON_LOAN, Trigger.CHECKIN, S.QUARANTINED, "circulation staff", quarantine=True),
    Transition(S.ON_LOAN, Trigger.CHECKIN, S.AVAILABLE, "circulation staff", quarantine=False),
    Transition(S.QUARANTINED, Trigger.RELEASE, S.AVAILABLE, "system (scheduled), staff"),
    *(
        Transition(state, Trigger.MARK_MISSING, S.MISSING, "circulation staff")
        for state in (
            S.AVAILABLE,
            S.REQUESTED,
            S.IN_PROCESS,
            S.STAGED,
            S.IN_TRANSIT,
            S.QUARANTINED,
        )
    ),
    # An item on loan is checked in first; withdrawing it would orphan the loan.
    *(
        Transition(state, Trigger.WITHDRAW, S.WITHDRAWN, "library administrator")
        for state in (S.AVAILABLE, S.MISSING, S.QUARANTINED)
    ),
    Transition(S.MISSING, Trigger.FOUND, S.AVAILABLE, "circulation staff"),
    # A reader's request holds the copy (FOLIO's "paged"); only an available copy.
    Transition(S.REQUESTED, Trigger.PICK, S.IN_PROCESS, "circulation staff"),
    # Staff may take another copy of the record than the one held: it was on the shelf.
    Transition(S.AVAILABLE, Trigger.PICK, S.IN_PROCESS, "circulation staff"),
    Transition(S.AVAILABLE, Trigger.REQUEST, S.REQUESTED, "reader"),
    Transition(S.IN_PROCESS, Trigger.STAGE, S.STAGED, "circulation staff"),
    Transition(S.STAGED, Trigger.DISPATCH, S.IN_TRANSIT, "circulation staff, volunteer"),
    # Cancelled, expired or swapped before staging: the copy goes back on the shelf.
    *(
        Transition(state, Trigger.UNREQUEST, S.AVAILABLE, "reader, circulation staff, system")
        for state in (S.REQUESTED, S.IN_PROCESS)
    ),
    # Cancelled or expired once staged or out: back to the desk, never straight to the
    # shelf; checking it in there releases it or quarantines it, as a return does.
    Transition(S.STAGED, Trigger.RETURN_TO_DESK, S.IN_TRANSIT, "circulation staff, system"),
    Transition(S.IN_TRANSIT, Trigger.RETURN_TO_DESK, S.IN_TRANSIT, "circulation staff, system"),
    Transition(S.IN_TRANSIT, Trigger.CHECKIN, S.QUARANTINED, "circulation staff", quarantine=True),
    Transition(S.IN_TRANSIT, Trigger.CHECKIN, S.AVAILABLE, "circulation staff", quarantine=False),
)


def allowed(state: str, trigger: str) -> bool:
    return any(t.state == state and t.trigger == trigger for t in TABLE)


def next_state(state: str, trigger: str, *, quarantine: bool = False) -> str:
    for t in TABLE:
        if t.state == state and t.trigger == trigger and t.quarantine in (None, quarantine):
            return t.next_state
    raise Conflict(
        _("An item that is %(state)s cannot take %(trigger)s."),
        code="invalid_transition",
        state=dict(ItemStatus.choices).get(state, state),
        trigger=trigger,
    )


def apply(item: Item, trigger: str, *, quarantine_until: dt.datetime | None = None) -> Item:
    """Move `item` along the table and save it; refuse (changing nothing) otherwise.

    `quarantine_until` only matters for checkin: given, the item is quarantined until
    then; absent, it goes back on the shelf.
    """
    new = next_state(item.status, trigger, quarantine=quarantine_until is not None)
    item.status = new
    item.quarantine_until = quarantine_until if new == S.QUARANTINED else None
    item.save(update_fields=["status", "quarantine_until", "updated_at"])
    return item
