"""The document delivery request and its rota entries as tables of allowed transitions.

Each row: state, trigger, next state, the request types it applies to, and who may fire
it. READER is the requesting reader; STAFF the staff of the reader's library (ISO 18626's
requesting agency); LENDER the staff (or the ISO 18626 system) of the member now holding
the request (the supplying agency); SYSTEM the platform itself (timeouts, the end of the
rota). `request_next` and `entry_next` refuse anything outside the tables with
Conflict("invalid_transition") before anything is written (core.transitions).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from libreach.core import transitions as table
from libreach.docdelivery.models import RequestType, RotaStatus, Status

S = Status
E = RotaStatus
ALL_TYPES = frozenset(RequestType.values)
COPIES = frozenset({RequestType.ARTICLE, RequestType.CHAPTER})
LOANS = frozenset({RequestType.BOOK})

READER = "reader"
STAFF = "staff"
LENDER = "lender"
SYSTEM = "system"


class Trigger:
    APPROVE = "approve"  # reviewed and sent to the rota's first lender
    REJECT = "reject"
    SATISFY_LOCALLY = "satisfy_locally"  # held in print or in e-resources at home
    WILL_SUPPLY = "will_supply"
    RETRY = "retry"  # the lender could supply on conditions (reasonRetry, cost)
    ACCEPT_RETRY = "accept_retry"  # the home library accepts them: back to that lender
    NEXT_LENDER = "next_lender"  # unfilled, timed out, or a retry declined: on to the next
    END_OF_ROTA = "end_of_rota"  # no lender left
    SUPPLY = "supply"  # a copy uploaded
    SHIP = "ship"  # a book sent
    RECEIVE = "receive"  # the book arrived at the reader's library
    RETURN = "return"  # sent back to the lender
    COMPLETE = "complete"  # the lender has it back
    CANCEL = "cancel"

    ALL = (
        APPROVE, REJECT, SATISFY_LOCALLY, WILL_SUPPLY, RETRY, ACCEPT_RETRY, NEXT_LENDER,
        END_OF_ROTA, SUPPLY, SHIP, RECEIVE, RETURN, COMPLETE, CANCEL,
    )  # fmt: skip


@dataclass(frozen=True)
class Transition:
    state: str
    trigger: str
    next_state: str
    who: frozenset[str]
    types: frozenset[str] = ALL_TYPES


def _t(state, trigger, next_state, who, types=ALL_TYPES) -> Transition:
    return Transition(state, trigger, next_state, frozenset(who), frozenset(types))


WITH_A_LENDER = (S.SENT, S.WILL_SUPPLY, S.RETRY_POSSIBLE)

REQUEST_TABLE: tuple[Transition, ...] = (
    _t(S.NEW, Trigger.APPROVE, S.SENT, {STAFF}),
    _t(S.NEW, Trigger.REJECT, S.REJECTED, {STAFF}),
    _t(S.NEW, Trigger.SATISFY_LOCALLY, S.SATISFIED_LOCALLY, {STAFF}),
    # Reviewed, but no member holds it: unfilled at once.
    _t(S.NEW, Trigger.END_OF_ROTA, S.UNFILLED, {SYSTEM}),
    _t(S.SENT, Trigger.WILL_SUPPLY, S.WILL_SUPPLY, {LENDER}),
    _t(S.SENT, Trigger.RETRY, S.RETRY_POSSIBLE, {LENDER}),
    _t(S.WILL_SUPPLY, Trigger.RETRY, S.RETRY_POSSIBLE, {LENDER}),
    _t(S.RETRY_POSSIBLE, Trigger.ACCEPT_RETRY, S.SENT, {STAFF}),
    # The lender says Unfilled (LENDER), its window passes (SYSTEM), the home library
    # declines a retry's conditions or takes the request from a lender (STAFF).
    *(_t(s, Trigger.NEXT_LENDER, S.SENT, {LENDER, STAFF, SYSTEM}) for s in WITH_A_LENDER),
    *(_t(s, Trigger.END_OF_ROTA, S.UNFILLED, {SYSTEM}) for s in WITH_A_LENDER),
    _t(S.SENT, Trigger.SUPPLY, S.DELIVERED, {LENDER}, COPIES),
    _t(S.WILL_SUPPLY, Trigger.SUPPLY, S.DELIVERED, {LENDER}, COPIES),
    _t(S.SENT, Trigger.SHIP, S.SHIPPED, {LENDER}, LOANS),
    _t(S.WILL_SUPPLY, Trigger.SHIP, S.SHIPPED, {LENDER}, LOANS),
    _t(S.SHIPPED, Trigger.RECEIVE, S.RECEIVED, {STAFF}, LOANS),
    _t(S.RECEIVED, Trigger.RETURN, S.RETURNED, {STAFF}, LOANS),
    _t(S.RETURNED, Trigger.COMPLETE, S.COMPLETED, {LENDER}, LOANS),
    # Until something has been supplied, the reader and their library may withdraw.
    _t(S.NEW, Trigger.CANCEL, S.CANCELLED, {READER, STAFF}),
    *(_t(s, Trigger.CANCEL, S.CANCELLED, {READER, STAFF}) for s in WITH_A_LENDER),
)


class EntryTrigger:
    SEND = "send"
    WILL_SUPPLY = "will_supply"
    RETRY = "retry"
    RESEND = "resend"  # a retry accepted
    UNFILLED = "unfilled"
    TIME_OUT = "time_out"
    SUPPLY = "supply"
    WITHDRAW = "withdraw"  # the home library takes the request away, or it is cancelled
    SKIP = "skip"  # ended before this lender's turn

    ALL = (SEND, WILL_SUPPLY, RETRY, RESEND, UNFILLED, TIME_OUT, SUPPLY, WITHDRAW, SKIP)


ENTRY_TABLE: tuple[Transition, ...] = (
    _t(E.WAITING, EntryTrigger.SEND, E.SENT, {STAFF, SYSTEM}),
    _t(E.SENT, EntryTrigger.WILL_SUPPLY, E.WILL_SUPPLY, {LENDER}),
    _t(E.SENT, EntryTrigger.RETRY, E.RETRY_POSSIBLE, {LENDER}),
    _t(E.WILL_SUPPLY, EntryTrigger.RETRY, E.RETRY_POSSIBLE, {LENDER}),
    _t(E.RETRY_POSSIBLE, EntryTrigger.RESEND, E.SENT, {STAFF}),
    _t(E.SENT, EntryTrigger.UNFILLED, E.UNFILLED, {LENDER}),
    _t(E.WILL_SUPPLY, EntryTrigger.UNFILLED, E.UNFILLED, {LENDER}),
    _t(E.SENT, EntryTrigger.TIME_OUT, E.TIMED_OUT, {SYSTEM}),
    _t(E.SENT, EntryTrigger.SUPPLY, E.SUPPLIED, {LENDER}),
    _t(E.WILL_SUPPLY, EntryTrigger.SUPPLY, E.SUPPLIED, {LENDER}),
    *(
        _t(s, EntryTrigger.WITHDRAW, E.CANCELLED, {READER, STAFF})
        for s in (E.SENT, E.WILL_SUPPLY, E.RETRY_POSSIBLE)
    ),
    _t(E.WAITING, EntryTrigger.SKIP, E.SKIPPED, {READER, STAFF, LENDER, SYSTEM}),
)

_WHO = {READER: _("reader"), STAFF: _("staff"), LENDER: _("lender"), SYSTEM: _("system")}


def request_next(state: str, trigger: str, type_: str, who: str) -> str:
    """The request's next state, or Conflict (409) when the table has no such row."""
    return table.next_state(
        REQUEST_TABLE,
        state,
        trigger,
        who,
        applies=lambda row: type_ in row.types,
        states=Status,
        refusal=_("A request that is “%(state)s” cannot take '%(trigger)s'."),
        refusal_by_who=_(
            "A request that is “%(state)s” cannot be changed that way by the %(who)s."
        ),
        who_words=_WHO,
    )


def entry_next(state: str, trigger: str, who: str) -> str:
    """A rota entry's next state, or Conflict (409)."""
    return table.next_state(
        ENTRY_TABLE,
        state,
        trigger,
        who,
        states=RotaStatus,
        refusal=_("A lender's turn that is “%(state)s” cannot take '%(trigger)s'."),
    )


def actions(state: str, type_: str, who: str) -> frozenset[str]:
    """The request triggers `who` may fire now: what a page offers as buttons."""
    return frozenset(
        row.trigger
        for row in REQUEST_TABLE
        if row.state == state and type_ in row.types and who in row.who
    )
