"""The borrow request and its lines as tables of allowed transitions (docs/architecture.md).

Each row: state, trigger, next state, the modes it applies to, and who may fire it.
`request_next`, `line_next` and `run_next` refuse anything outside the tables with
Conflict("invalid_transition") before anything is written (core.transitions).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from libreach.contactless.models import DeliveryRun, LineStatus, Mode, RequestStatus
from libreach.core import transitions as table

R = RequestStatus
L = LineStatus
ALL_MODES = frozenset(Mode.values)
DELIVERY = frozenset({Mode.DELIVERY})
PICKUP = frozenset({Mode.PICKUP, Mode.PROXY})

READER = "reader"
STAFF = "staff"
VOLUNTEER = "volunteer"
SYSTEM = "system"


class Trigger:
    # A line found or not found: the first one starts picking, later ones continue it.
    PICK = "pick"
    DISINFECT = "disinfect"
    STAGE = "stage"
    DISPATCH = "dispatch"
    NOTIFY_READY = "notify_ready"
    HANDOVER = "handover"
    CANCEL = "cancel"
    UNFILL = "unfill"
    EXPIRE = "expire"

    ALL = (PICK, DISINFECT, STAGE, DISPATCH, NOTIFY_READY, HANDOVER, CANCEL, UNFILL, EXPIRE)


@dataclass(frozen=True)
class Transition:
    state: str
    trigger: str
    next_state: str
    who: frozenset[str]
    modes: frozenset[str] = ALL_MODES


def _t(state, trigger, next_state, who, modes=ALL_MODES) -> Transition:
    return Transition(state, trigger, next_state, frozenset(who), frozenset(modes))


REQUEST_TABLE: tuple[Transition, ...] = (
    # The first line found or not found starts picking; the others go on with it.
    _t(R.SUBMITTED, Trigger.PICK, R.PICKING, {STAFF}),
    _t(R.PICKING, Trigger.PICK, R.PICKING, {STAFF}),
    # The found books are disinfected while the request is being picked.
    _t(R.PICKING, Trigger.DISINFECT, R.PICKING, {STAFF}),
    # Every line resolved, at least one found (and disinfected where required).
    _t(R.PICKING, Trigger.STAGE, R.READY, {STAFF}),
    # Every line resolved and none found.
    _t(R.PICKING, Trigger.UNFILL, R.UNFILLED, {SYSTEM}),
    _t(R.READY, Trigger.DISPATCH, R.OUT_FOR_DELIVERY, {STAFF, VOLUNTEER}, DELIVERY),
    _t(R.OUT_FOR_DELIVERY, Trigger.HANDOVER, R.DELIVERED, {STAFF, VOLUNTEER}, DELIVERY),
    # The reader has been told; the hold period runs from here.
    _t(R.READY, Trigger.NOTIFY_READY, R.AWAITING_PICKUP, {SYSTEM}, PICKUP),
    # A reader at the door before the notice went out is served all the same.
    _t(R.READY, Trigger.HANDOVER, R.COLLECTED, {STAFF, VOLUNTEER}, PICKUP),
    _t(R.AWAITING_PICKUP, Trigger.HANDOVER, R.COLLECTED, {STAFF, VOLUNTEER}, PICKUP),
    # Readers cancel until the books are ready; staff until they are handed over.
    _t(R.SUBMITTED, Trigger.CANCEL, R.CANCELLED, {READER, STAFF}),
    _t(R.PICKING, Trigger.CANCEL, R.CANCELLED, {READER, STAFF}),
    _t(R.READY, Trigger.CANCEL, R.CANCELLED, {STAFF}),
    _t(R.AWAITING_PICKUP, Trigger.CANCEL, R.CANCELLED, {STAFF}, PICKUP),
    _t(R.OUT_FOR_DELIVERY, Trigger.CANCEL, R.CANCELLED, {STAFF}, DELIVERY),
    _t(R.READY, Trigger.EXPIRE, R.EXPIRED, {SYSTEM}, PICKUP),
    _t(R.AWAITING_PICKUP, Trigger.EXPIRE, R.EXPIRED, {SYSTEM}, PICKUP),
)


class LineTrigger:
    FOUND = "found"
    NOT_FOUND = "not_found"
    DISINFECT = "disinfect"
    STAGE = "stage"
    HAND_OVER = "hand_over"
    CANCEL = "cancel"

    ALL = (FOUND, NOT_FOUND, DISINFECT, STAGE, HAND_OVER, CANCEL)


LINE_TABLE: tuple[Transition, ...] = (
    _t(L.REQUESTED, LineTrigger.FOUND, L.FOUND, {STAFF}),
    _t(L.REQUESTED, LineTrigger.NOT_FOUND, L.NOT_FOUND, {STAFF}),
    _t(L.FOUND, LineTrigger.DISINFECT, L.DISINFECTED, {STAFF}),
    _t(L.FOUND, LineTrigger.STAGE, L.STAGED, {STAFF}),
    _t(L.DISINFECTED, LineTrigger.STAGE, L.STAGED, {STAFF}),
    _t(L.STAGED, LineTrigger.HAND_OVER, L.HANDED_OVER, {STAFF, VOLUNTEER}),
    *(
        _t(state, LineTrigger.CANCEL, L.CANCELLED, {READER, STAFF, SYSTEM})
        for state in (L.REQUESTED, L.FOUND, L.DISINFECTED, L.STAGED)
    ),
)


# Who fired it, in the words of a refusal.
_WHO = {READER: _("reader"), STAFF: _("staff"), VOLUNTEER: _("volunteer"), SYSTEM: _("system")}


def request_next(state: str, trigger: str, mode: str, who: str = SYSTEM) -> str:
    """The request's next state, or Conflict (409) when the table has no such row."""
    return table.next_state(
        REQUEST_TABLE,
        state,
        trigger,
        who,
        applies=lambda row: mode in row.modes,
        states=RequestStatus,
        refusal=_("A request that is “%(state)s” (%(mode)s) cannot take '%(trigger)s'."),
        mode=table.label(Mode, mode),
        refusal_by_who=_(
            "A request that is “%(state)s” can no longer be changed that way by the %(who)s."
        ),
        who_words=_WHO,
    )


def line_next(state: str, trigger: str, who: str) -> str:
    """The line's next state, or Conflict (409) when the table has no such row for `who`."""
    return table.next_state(
        LINE_TABLE,
        state,
        trigger,
        who,
        states=LineStatus,
        refusal=_("A line that is “%(state)s” cannot take '%(trigger)s'."),
    )


def actions(state: str, mode: str, who: str) -> frozenset[str]:
    """The request triggers `who` may fire now: what a page offers as buttons."""
    return frozenset(
        row.trigger
        for row in REQUEST_TABLE
        if row.state == state and mode in row.modes and who in row.who
    )


def line_actions(state: str, who: str) -> frozenset[str]:
    return frozenset(row.trigger for row in LINE_TABLE if row.state == state and who in row.who)


# --- delivery runs ------------------------------------------------------------------------

Run = DeliveryRun.Status


class RunTrigger:
    DISPATCH = "dispatch"  # its first request leaves
    COMPLETE = "complete"  # its last open request is handed over

    ALL = (DISPATCH, COMPLETE)


RUN_TABLE: tuple[Transition, ...] = (
    _t(Run.PLANNED, RunTrigger.DISPATCH, Run.DISPATCHED, {STAFF, VOLUNTEER}),
    _t(Run.DISPATCHED, RunTrigger.COMPLETE, Run.COMPLETED, {STAFF, VOLUNTEER}),
)


def run_next(state: str, trigger: str, who: str) -> str:
    return table.next_state(
        RUN_TABLE,
        state,
        trigger,
        who,
        states=DeliveryRun.Status,
        refusal=_("A delivery run that is “%(state)s” cannot take '%(trigger)s'."),
    )
