"""Reads only the staff desk pages need, beside `selectors.py`: which pick-list lines a
printed slip already carried, a slip's lines, how many requests wait in each state, the
buildings a delivery run can serve, who can take a run, and the handover lookup."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import StaffMembership, StaffRole, User
from libreach.accounts.selectors import STAFF_ROLES, is_staff_of
from libreach.catalog.models import Item, ItemStatus
from libreach.consortium.models import Library
from libreach.contactless import policies, transitions
from libreach.contactless.models import (
    CLOSED_REQUEST_STATES,
    HOLDING_LINE_STATES,
    BorrowRequest,
    LineStatus,
    Mode,
    PickSlip,
    RequestLine,
    RequestStatus,
)
from libreach.core import normalise
from libreach.core.errors import NotFound


def printed_lines(line_ids: list[int]) -> dict[int, PickSlip]:
    """For each of `line_ids` already on a printed slip: the last slip that carried it."""
    if not line_ids:
        return {}
    through = PickSlip.lines.through
    rows = (
        through.objects.filter(requestline_id__in=line_ids)
        .select_related("pickslip")
        .order_by("pickslip__printed_at", "pickslip_id")
    )
    return {row.requestline_id: row.pickslip for row in rows}


def recent_pick_slips(library: Library, *, limit: int = 5) -> list[PickSlip]:
    return list(
        PickSlip.objects.filter(library=library)
        .select_related("service_point", "printed_by")
        .annotate(line_count=Count("lines"))
        .order_by("-printed_at", "-id")[:limit]
    )


def pick_slip(library: Library, slip_id: int) -> PickSlip:
    slip = (
        PickSlip.objects.select_related("library", "service_point", "printed_by")
        .filter(library=library, pk=slip_id)
        .first()
    )
    if slip is None:
        raise NotFound(_("No such pick slip."), code="pick_slip_not_found")
    return slip


def status_counts(library: Library) -> dict[str, int]:
    """Requests of the library per status, in one query."""
    rows = (
        BorrowRequest.objects.filter(library=library)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return dict(rows)


def closed_requests(requests: QuerySet[BorrowRequest]) -> QuerySet[BorrowRequest]:
    return requests.filter(status__in=CLOSED_REQUEST_STATES).order_by("-closed_at", "-id")


def ready_delivery_buildings(library: Library) -> list[dict]:
    """Buildings with ready delivery requests no run has taken yet, with their counts."""
    rows = (
        BorrowRequest.objects.filter(
            library=library, mode=Mode.DELIVERY, status=RequestStatus.READY, run=None
        )
        .values("building__code", "building__name")
        .annotate(n=Count("id"))
        .order_by("building__name")
    )
    return [
        {"code": row["building__code"], "name": row["building__name"], "requests": row["n"]}
        for row in rows
    ]


def run_assignees(library: Library) -> QuerySet[User]:
    """Staff and volunteers of the library: who can take a delivery run."""
    ids = StaffMembership.objects.filter(
        library=library, role__in=[*STAFF_ROLES, StaffRole.VOLUNTEER]
    ).values("user_id")
    return User.objects.filter(Q(pk__in=ids), is_active=True).order_by("name", "username")


def awaiting_return(library: Library) -> QuerySet[Item]:
    """Copies a closed request gave back from the hold shelf or a run: in transit, held by
    no open request line, waiting to be checked in at the desk."""
    return (
        Item.objects.filter(library=library, status=ItemStatus.IN_TRANSIT)
        .exclude(request_lines__status__in=HOLDING_LINE_STATES)
        .select_related("record")
        .order_by("updated_at", "barcode")
    )


# --- handover lookup ----------------------------------------------------------------------

# At most this many requests a lookup lists: a common surname finds many, and the desk
# narrows the search (adds the given name, takes the card) rather than scrolls.
HANDOVER_LOOKUP_LIMIT = 20
# What a pickup code looks like (services.new_pickup_code): only such a string is
# looked up as one.
PICKUP_CODE_LENGTH = 6


class MatchedBy:
    """Why a request is in the lookup's list: which part of it the typed text matched."""

    REQUEST = "request"
    PICKUP_CODE = "pickup_code"
    CARD = "card"
    NAME = "name"
    PROXY = "proxy"


@dataclass(frozen=True)
class HandoverMatch:
    request: BorrowRequest
    matched_by: tuple[str, ...]

    @property
    def by_code_only(self) -> bool:
        # Nothing but a six-digit code ties this request to the person at the desk.
        return self.matched_by == (MatchedBy.PICKUP_CODE,)


@dataclass(frozen=True)
class HandoverLookup:
    matches: list[HandoverMatch]
    # More requests matched than the list shows.
    more: bool = False


def _handover_states(role: str) -> Q:
    """The (state, mode) pairs from which `role` may hand a request over, read from the
    transition table so the lookup lists exactly what the handover step accepts."""
    ready = Q(pk__in=[])
    for row in transitions.REQUEST_TABLE:
        if row.trigger == transitions.Trigger.HANDOVER and role in row.who:
            ready |= Q(status=row.state, mode__in=sorted(row.modes))
    return ready


def handover_lookup(
    user, library: Library, text: str, *, limit: int = HANDOVER_LOOKUP_LIMIT
) -> HandoverLookup:
    """Requests of `library` ready for `user` to hand over, found by what the desk typed:
    a request number, the six-digit pickup code, the reader's card number, or part of the
    reader's (or the proxy's) name, any case. Typed codes are read as `normalise` reads
    them (full-width digits, spaces). Staff find every such request of the library, a
    volunteer only those on their runs, anyone else nothing.

    Two queries (the requests, their staged books) whatever the number of matches; at
    most `limit` matches, `more` when there were others.
    """
    typed = " ".join(normalise.typed_text(text).split())
    if not typed:
        return HandoverLookup([])
    if is_staff_of(user, library):
        role, visible = transitions.STAFF, Q()
    elif policies.is_volunteer(user, library):
        role, visible = transitions.VOLUNTEER, Q(run__assignee=user)
    else:
        return HandoverLookup([])

    number = normalise.digits_code(typed).lstrip("#")
    # isascii: str.isdigit also takes digits int() refuses (superscripts, other scripts).
    is_number = number.isascii() and number.isdigit()
    card = normalise.card_number(typed)
    keys = Q(reader__card_number__iexact=card)
    if is_number and len(number) < 10:  # a longer number is no request (the id column)
        keys |= Q(pk=int(number))
    if is_number and len(number) == PICKUP_CODE_LENGTH:
        keys |= Q(pickup_code=number)
    if not is_number:  # names hold no digits; "2020" is a card, not part of a name
        keys |= Q(reader__user__name__icontains=typed) | Q(proxy_name__icontains=typed)

    requests = (
        BorrowRequest.objects.filter(_handover_states(role), visible, keys, library=library)
        .select_related("reader__user", "building", "service_point", "run", "slot_booking")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=RequestLine.objects.filter(status=LineStatus.STAGED)
                .select_related("record", "item")
                .order_by("position"),
                to_attr="staged_lines",
            )
        )
        .order_by("reader__user__name", "reader__card_number", "queue_number")[: limit + 1]
    )
    found = list(requests)
    folded = typed.casefold()
    matches = []
    for request in found[:limit]:
        matched = (
            (MatchedBy.REQUEST, is_number and str(request.pk) == number),
            (MatchedBy.PICKUP_CODE, is_number and request.pickup_code == number),
            (MatchedBy.CARD, request.reader.card_number.casefold() == card.casefold()),
            (MatchedBy.NAME, not is_number and folded in request.reader.user.name.casefold()),
            (MatchedBy.PROXY, not is_number and folded in request.proxy_name.casefold()),
        )
        # The database folds case a little differently from Python: call it the name.
        matched_by = tuple(key for key, hit in matched if hit) or (MatchedBy.NAME,)
        matches.append(HandoverMatch(request, matched_by))
    return HandoverLookup(matches, more=len(found) > limit)


def awaiting_return_count(library: Library) -> int:
    """How many copies wait to be checked in: the returns desk's running count."""
    return awaiting_return(library).order_by().count()


# --- the pick list's running count ---------------------------------------------------------

_PICKED_STATES = (
    LineStatus.FOUND,
    LineStatus.DISINFECTED,
    LineStatus.STAGED,
    LineStatus.HANDED_OVER,
)


class PickCount(NamedTuple):
    found: int  # found today
    of: int  # found today, missed today, still to pick
    to_pick: int  # still on the pick list
    unprinted: int  # of those, on no printed slip yet


def pick_count(library: Library, service_point=None, *, at=None) -> PickCount:
    """The pick list's running count, "found 37 of 300", and its summary, in one query.

    `found`: lines of the library (of `service_point`'s requests, when given) found today,
    in the site's time zone, whatever became of them since, but for lines cancelled later.
    `of`: those, the lines marked not found today, and the lines still on the pick list:
    today's picking, which neither grows as lines are found nor forgets the misses.
    """
    start = timezone.localtime(at or timezone.now()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    end = start + dt.timedelta(days=1)
    lines = RequestLine.objects.filter(request__library=library)
    if service_point is not None:
        lines = lines.filter(request__service_point=service_point)
    today = Q(resolved_at__gte=start, resolved_at__lt=end)
    still_open = Q(
        status=LineStatus.REQUESTED,
        request__status__in=(RequestStatus.SUBMITTED, RequestStatus.PICKING),
    )
    # Distinct: a line on two printed slips is joined twice.
    counts = lines.filter(today | still_open).aggregate(
        found=Count("pk", distinct=True, filter=today & Q(status__in=_PICKED_STATES)),
        missed=Count("pk", distinct=True, filter=today & Q(status=LineStatus.NOT_FOUND)),
        open=Count("pk", distinct=True, filter=still_open),
        unprinted=Count("pk", distinct=True, filter=still_open & Q(pick_slips=None)),
    )
    found, to_pick = counts["found"], counts["open"]
    return PickCount(found, found + counts["missed"] + to_pick, to_pick, counts["unprinted"])
