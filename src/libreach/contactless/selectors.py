"""Reads of contactless borrowing: requests as their reader or staff see them, the pick
list in shelving order, delivery runs and their route sheets, the statistics, and the
counts of today's work on the desk home."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import User
from libreach.accounts.selectors import is_staff_of, reader_profile
from libreach.catalog.callnumbers import natural_key
from libreach.catalog.models import Item, ItemStatus
from libreach.circulation.models import CirculationSettings, Loan
from libreach.consortium.models import Library, ServicePoint
from libreach.contactless import policies
from libreach.contactless.models import (
    FULFILLED_STATES,
    HOLDING_LINE_STATES,
    OPEN_REQUEST_STATES,
    PICKUP_MODES,
    BorrowRequest,
    DeliveryRun,
    Disinfection,
    LineStatus,
    Mode,
    PickSlip,
    RequestEvent,
    RequestLine,
    RequestStatus,
    SlotBooking,
)
from libreach.contactless.policies import Held, role_for
from libreach.core.errors import NotAuthenticated, NotFound


def _with_details(requests: QuerySet[BorrowRequest]) -> QuerySet[BorrowRequest]:
    return requests.select_related(
        "library", "reader", "reader__user", "building", "service_point", "run", "slot_booking"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=RequestLine.objects.select_related("record", "item", "loan").order_by(
                "position"
            ),
        ),
        Prefetch("history", queryset=RequestEvent.objects.select_related("actor")),
        Prefetch("disinfections", queryset=Disinfection.objects.select_related("by")),
    )


def request_for(user, request_id: int) -> tuple[BorrowRequest, str]:
    """The request and the caller's role to it (reader, staff, volunteer); else 404."""
    request = _with_details(BorrowRequest.objects.filter(pk=request_id)).first()
    if request is None:
        if not getattr(user, "is_authenticated", False):
            raise NotAuthenticated()
        raise NotFound(_("No such borrow request."), code="request_not_found")
    return request, role_for(user, request)


def requests_of_reader(user) -> QuerySet[BorrowRequest]:
    reader = reader_profile(user)
    if reader is None:
        return BorrowRequest.objects.none()
    return _with_details(BorrowRequest.objects.filter(reader=reader)).order_by(
        "-submitted_at", "-id"
    )


def requests_of_library(
    library: Library, *, status: str | None = None, mode: str | None = None
) -> QuerySet[BorrowRequest]:
    requests = BorrowRequest.objects.filter(library=library)
    if status:
        requests = requests.filter(status=status)
    if mode:
        requests = requests.filter(mode=mode)
    return _with_details(requests).order_by("queue_number")


def pick_list_lines(
    library: Library, service_point: ServicePoint | None = None, *, unprinted: bool = False
) -> list[dict]:
    """Lines still to pick, in shelving order: location, call number, title.

    One query over narrow rows, so a list of thousands of lines builds in milliseconds.
    """
    lines = RequestLine.objects.filter(
        request__library=library,
        request__status__in=[RequestStatus.SUBMITTED, RequestStatus.PICKING],
        status=LineStatus.REQUESTED,
    )
    if service_point is not None:
        lines = lines.filter(request__service_point=service_point)
    if unprinted:
        lines = lines.filter(pick_slips=None)
    return in_shelving_order(lines, service_point="request__service_point__code")


def pick_slip_rows(slip: PickSlip, **extra: str) -> list[dict]:
    """The lines a printed slip recorded, as pick-list rows in shelving order (whatever
    became of them since): read from the slip's own relation, so what is printed is what
    was marked printed. `extra` adds columns, as for `in_shelving_order`."""
    return in_shelving_order(
        RequestLine.objects.filter(pick_slips=slip),
        service_point="request__service_point__code",
        **extra,
    )


# The columns of a pick list row, by the name a row gives each.
_PICK_COLUMNS = {
    "request": "request_id",
    "line": "id",
    "level": "level",
    "barcode": "item__barcode",
    "title": "record__title",
    "language": "record__language",  # the title's `lang` (a French title is not English)
    "location": "item__location",
    "queue_number": "request__queue_number",
    "mode": "request__mode",
}


def in_shelving_order(lines: QuerySet[RequestLine], **extra: str) -> list[dict]:
    """Pick-list rows of `lines` in shelving order (location, call number, title), read
    as narrow values in one query; `extra` adds columns (row key -> field path).

    The copy's call number is shown, else the record's. Copies with no shelf location
    come last, after the walk along the shelves (an empty location would sort first, and
    a missing one first on SQLite but last on PostgreSQL)."""
    columns = {**_PICK_COLUMNS, **extra}
    unshelved = Q(item__location="") | Q(item__location__isnull=True)
    rows = (
        lines.annotate(unshelved=Case(When(unshelved, then=Value(1)), default=Value(0)))
        .order_by(
            "unshelved",
            "item__location",
            "item__shelving_key",
            "record__title",
            "request_id",
            "position",
        )
        .values(*columns.values(), "item__call_number", "record__call_number")
    )
    return [
        {
            **{key: row[field] for key, field in columns.items()},
            "call_number": row["item__call_number"] or row["record__call_number"],
        }
        for row in rows
    ]


def runs_visible_to(user, library: Library) -> QuerySet[DeliveryRun]:
    """Staff see every run of the library; a volunteer only the runs given to them."""
    runs = DeliveryRun.objects.filter(library=library).select_related("assignee")
    if is_staff_of(user, library):
        return runs
    if policies.is_volunteer(user, library):
        return runs.filter(assignee=user)
    return runs.none()


def route_sheet(run: DeliveryRun) -> list[dict]:
    """The run's stops: one per building in building order (the buildings' codes as the
    library lists them, digits as numbers: DORM2 before DORM10), its requests in queue
    order."""
    requests = _with_details(run.requests.all()).order_by("queue_number")
    stops: dict[int, dict] = {}
    for request in requests:
        stop = stops.setdefault(
            request.building_id,
            {"building": request.building, "requests": []},
        )
        stop["requests"].append(request)
    return sorted(stops.values(), key=lambda stop: _building_order(stop["building"]))


def _building_order(building) -> tuple[bool, str]:
    # A request without a building (none should have one) ends the route.
    return (building is None, natural_key(building.code) if building else "")


# --- statistics --------------------------------------------------------------------------

FIGURES = (
    "requests",
    "readers",
    "titles_requested",
    "volumes_requested",
    "fulfilled_requests",
    "readers_served",
    "titles_fulfilled",
    "volumes_fulfilled",
)


def _figures(rows: list[dict], lines: dict[int, list[tuple[int, str]]]) -> dict:
    readers, served = set(), set()
    figures = dict.fromkeys(FIGURES, 0)
    for row in rows:
        own = lines.get(row["id"], [])
        figures["requests"] += 1
        readers.add(row["reader_id"])
        figures["volumes_requested"] += len(own)
        figures["titles_requested"] += len({record for record, _ in own})
        if row["status"] in FULFILLED_STATES:
            handed = [record for record, status in own if status == LineStatus.HANDED_OVER]
            figures["fulfilled_requests"] += 1
            served.add(row["reader_id"])
            figures["volumes_fulfilled"] += len(handed)
            figures["titles_fulfilled"] += len(set(handed))
    figures["readers"] = len(readers)
    figures["readers_served"] = len(served)
    return figures


def contactless_stats(library: Library, start: dt.date, end: dt.date) -> dict:
    """Figures (docs/contactless.md) of requests submitted from `start` to `end` (inclusive, local
    dates), by mode and by building, with the median hours to handover and the
    not-found rate of resolved lines. Two queries."""
    from django.db.models.functions import TruncDate

    requests = BorrowRequest.objects.annotate(day=TruncDate("submitted_at")).filter(
        library=library, day__gte=start, day__lte=end
    )
    rows = list(
        requests.values(
            "id", "reader_id", "status", "mode", "building__name", "submitted_at", "closed_at"
        )
    )
    lines: dict[int, list[tuple[int, str]]] = defaultdict(list)
    reasons: dict[str, int] = defaultdict(int)
    for request_id, record_id, status, reason in RequestLine.objects.filter(
        request__in=requests.values("id")
    ).values_list("request_id", "record_id", "status", "not_found_reason"):
        lines[request_id].append((record_id, status))
        if status == LineStatus.NOT_FOUND:
            reasons[reason] += 1
    by_mode = {mode: _figures([r for r in rows if r["mode"] == mode], lines) for mode in Mode}
    buildings = sorted({r["building__name"] for r in rows if r["building__name"]})
    by_building = {
        name: _figures([r for r in rows if r["building__name"] == name], lines)
        for name in buildings
    }
    hours = [
        (r["closed_at"] - r["submitted_at"]).total_seconds() / 3600
        for r in rows
        if r["status"] in FULFILLED_STATES and r["closed_at"]
    ]
    resolved = sum(
        1
        for own in lines.values()
        for _, status in own
        if status not in (LineStatus.REQUESTED, LineStatus.CANCELLED)
    )
    not_found = sum(reasons.values())
    return {
        "library": library.code,
        "from": start.isoformat(),
        "to": end.isoformat(),
        **_figures(rows, lines),
        "by_mode": {str(mode): figures for mode, figures in by_mode.items()},
        "by_building": by_building,
        "median_hours_to_handover": round(statistics.median(hours), 1) if hours else None,
        "not_found_rate": round(not_found / resolved, 4) if resolved else None,
        "not_found_by_reason": dict(sorted(reasons.items())),
        "unfilled_requests": sum(1 for r in rows if r["status"] == RequestStatus.UNFILLED),
    }


def may_see_runs(user, library: Library) -> bool:
    return policies.may_see_runs(user, library)


def run_for(user, run_id: int) -> DeliveryRun:
    """A run its viewer may see (staff of the library, or its volunteer); else 404."""
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    run = (
        DeliveryRun.objects.select_related("library", "assignee")
        .prefetch_related("requests")
        .filter(pk=run_id)
        .first()
    )
    if run is None or not policies.may_see_run(user, run):
        raise NotFound(_("No such delivery run."), code="run_not_found")
    return run


# --- today's work, for the desk home -------------------------------------------------------


def desk_work_counts(
    libraries: list[Library],
    *,
    today: dt.date,
    day_start: dt.datetime,
    day_end: dt.datetime,
    by: User,
) -> dict[int, dict[str, int | None]]:
    """Per library (by id), the contactless work waiting at its desk on `today` (a local
    date; `day_start`/`day_end` bound it as instants). Six queries, whatever the number
    of libraries and requests. Each count, exactly:

    - to_pick: request lines still to pick (requested, of a submitted or picking
      request): the rows of the pick list.
    - to_disinfect: picking requests with a found book not yet disinfected; None where
      the library does not require disinfection before staging (nothing then waits for it).
    - to_stage: picking requests that staging would accept now: no line left to pick, at
      least one book found, and (where disinfection is required) none found but not yet
      disinfected.
    - ready_for_run: ready delivery requests that no delivery run has taken yet.
    - runs_out: delivery runs dispatched and not yet completed (any date).
    - pickups_today: requests with a pickup slot booked today that are still open (not
      collected, cancelled or expired).
    - holds_last_day: pickup requests waiting on the hold shelf whose hold date is today
      (the reader is sent the last-day notice).
    - holds_overdue: pickup requests still waiting on the hold shelf after their hold date
      (the expiry job has not run yet; they will expire and their copies come back).
    - to_check_in: copies a closed request gave back (in transit, held by no open line),
      waiting to be checked in on the returns page.
    """
    for library in libraries:
        policies.require_staff(by, library)
    ids = [library.pk for library in libraries]
    counts: dict[int, dict[str, int | None]] = {pk: dict.fromkeys(DESK_WORK_KEYS, 0) for pk in ids}

    def put(key: str, rows) -> None:
        for library_id, n in rows:
            counts[library_id][key] = n

    put(
        "to_pick",
        RequestLine.objects.filter(
            request__library_id__in=ids,
            request__status__in=[RequestStatus.SUBMITTED, RequestStatus.PICKING],
            status=LineStatus.REQUESTED,
        )
        .order_by()
        .values("request__library_id")
        .annotate(n=Count("id"))
        .values_list("request__library_id", "n"),
    )

    lines = RequestLine.objects.filter(request=OuterRef("pk"))
    waiting = Exists(lines.filter(status=LineStatus.REQUESTED))
    found = Exists(lines.filter(status=LineStatus.FOUND))
    disinfected = Exists(lines.filter(status=LineStatus.DISINFECTED))
    picking = Q(status=RequestStatus.PICKING)
    on_hold_shelf = Q(
        mode__in=PICKUP_MODES, status__in=[RequestStatus.READY, RequestStatus.AWAITING_PICKUP]
    )
    rows = (
        BorrowRequest.objects.filter(
            library_id__in=ids,
            status__in=[RequestStatus.PICKING, RequestStatus.READY, RequestStatus.AWAITING_PICKUP],
        )
        .order_by()
        .values("library_id")
        .annotate(
            to_disinfect=Count("id", filter=picking & found),
            stageable=Count("id", filter=picking & ~waiting & (found | disinfected)),
            stageable_disinfected=Count("id", filter=picking & ~waiting & ~found & disinfected),
            ready_for_run=Count(
                "id", filter=Q(mode=Mode.DELIVERY, status=RequestStatus.READY, run=None)
            ),
            holds_last_day=Count("id", filter=on_hold_shelf & Q(hold_until=today)),
            holds_overdue=Count("id", filter=on_hold_shelf & Q(hold_until__lt=today)),
        )
    )
    disinfecting = set(
        CirculationSettings.objects.filter(
            library_id__in=ids, requires_disinfection=True
        ).values_list("library_id", flat=True)
    )
    for row in rows:
        own = counts[row["library_id"]]
        for key in ("to_disinfect", "ready_for_run", "holds_last_day", "holds_overdue"):
            own[key] = row[key]
        disinfects = row["library_id"] in disinfecting
        own["to_stage"] = row["stageable_disinfected" if disinfects else "stageable"]
    for pk in ids:
        if pk not in disinfecting:
            counts[pk]["to_disinfect"] = None

    put(
        "runs_out",
        DeliveryRun.objects.filter(library_id__in=ids, status=DeliveryRun.Status.DISPATCHED)
        .order_by()
        .values("library_id")
        .annotate(n=Count("id"))
        .values_list("library_id", "n"),
    )
    put(
        "pickups_today",
        SlotBooking.objects.filter(
            request__library_id__in=ids,
            slot_start__gte=day_start,
            slot_start__lt=day_end,
            request__status__in=OPEN_REQUEST_STATES,
        )
        .order_by()
        .values("request__library_id")
        .annotate(n=Count("id"))
        .values_list("request__library_id", "n"),
    )
    put(
        "to_check_in",
        Item.objects.filter(library_id__in=ids, status=ItemStatus.IN_TRANSIT)
        .exclude(request_lines__status__in=HOLDING_LINE_STATES)
        .order_by()
        .values("library_id")
        .annotate(n=Count("id"))
        .values_list("library_id", "n"),
    )
    return counts


DESK_WORK_KEYS = (
    "to_pick",
    "to_disinfect",
    "to_stage",
    "ready_for_run",
    "runs_out",
    "pickups_today",
    "holds_last_day",
    "holds_overdue",
    "to_check_in",
)


def held_by(reader) -> Held:
    """The reader's copies on loan and copies held by their open requests: what
    `policies.already_has` checks a new line against. Two queries."""
    return Held(
        loans=tuple(
            Loan.objects.filter(reader=reader, returned_at=None).values_list(
                "item_id", "item__record_id", "due_date"
            )
        ),
        lines=tuple(
            RequestLine.objects.filter(
                request__reader=reader,
                request__status__in=OPEN_REQUEST_STATES,
                status__in=HOLDING_LINE_STATES,
            )
            .order_by("request_id", "position")
            .values_list("level", "record_id", "item_id", "request_id")
        ),
    )
