"""Contactless borrowing routes (docs/contactless.md), plus pickup slots,
pick slips and delivery runs in the same style."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from ninja.responses import NinjaJSONEncoder

from libreach.accounts.models import User
from libreach.consortium.selectors import library_by_code, service_point_by_code
from libreach.contactless import events, policies, selectors, services, slots
from libreach.contactless.models import BorrowRequest
from libreach.contactless.transitions import READER, STAFF
from libreach.core import lengths
from libreach.core.errors import NotFound, PermissionDenied, RuleViolation
from libreach.core.schemas import READ_ERRORS, WRITE_ERRORS, Day, ErrorOut, Moment

router = Router(tags=["contactless borrowing"])


# --- schemas -----------------------------------------------------------------------------


class LineIn(Schema):
    record: int | None = None
    item: str | None = lengths.schema_field("catalog.Item", "barcode", None, min_length=1)


class ProxyIn(Schema):
    name: str = lengths.schema_field("contactless.BorrowRequest", "proxy_name", min_length=1)
    id_number: str = Field(min_length=4, max_length=40)


class RequestIn(Schema):
    library: str = lengths.schema_field("consortium.Library", "code")
    mode: Literal["delivery", "pickup", "proxy"]
    building: str | None = lengths.schema_field("consortium.Building", "code", None)
    service_point: str | None = lengths.schema_field("consortium.ServicePoint", "code", None)
    slot_start: Moment | None = None
    proxy: ProxyIn | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=services.MAX_LINES)


class LineStatusOut(Schema):
    id: int
    status: str


class RequestCreatedOut(Schema):
    id: int
    status: str
    pickup_code: str
    queue_number: int
    lines: list[LineStatusOut]


class LineOut(Schema):
    id: int
    position: int
    level: str
    record: int
    title: str
    barcode: str | None
    call_number: str
    location: str
    status: str
    not_found_reason: str
    due_date: dt.date | None


class EventOut(Schema):
    at: dt.datetime
    event: str
    status: str
    note: str = Field(description="The event's details in words, in the caller's language.")
    data: dict = Field(description='The details as data, e.g. {"reason": "not_on_shelf"}.')


class SlotOut(Schema):
    start: dt.datetime
    end: dt.datetime


class RequestOut(Schema):
    id: int
    library: str
    reader: str
    mode: str
    status: str
    queue_number: int
    shelf_slot: str
    building: str | None
    service_point: str | None
    proxy_name: str
    pickup_code: str | None = Field(None, description="Only to the request's own reader.")
    submitted_at: dt.datetime
    hold_until: dt.date | None
    run: int | None
    slot: SlotOut | None
    lines: list[LineOut]
    history: list[EventOut]


def request_out(request: BorrowRequest, role: str) -> dict:
    booking = getattr(request, "slot_booking", None)
    minutes = request.service_point.slot_minutes if request.service_point_id else 0
    return {
        "id": request.pk,
        "library": request.library.code,
        "reader": request.reader.card_number,
        "mode": request.mode,
        "status": request.status,
        "queue_number": request.queue_number,
        "shelf_slot": request.shelf_slot,
        "building": request.building.code if request.building_id else None,
        "service_point": request.service_point.code if request.service_point_id else None,
        "proxy_name": request.proxy_name,
        "pickup_code": request.pickup_code if role == READER else None,
        "submitted_at": request.submitted_at,
        "hold_until": request.hold_until,
        "run": request.run_id,
        "slot": (
            {
                "start": booking.slot_start,
                "end": booking.slot_start + dt.timedelta(minutes=minutes),
            }
            if booking
            else None
        ),
        "lines": [
            {
                "id": line.pk,
                "position": line.position,
                "level": line.level,
                "record": line.record_id,
                "title": line.record.title,
                "barcode": line.item.barcode if line.item_id else None,
                "call_number": (line.item.call_number if line.item_id else "")
                or line.record.call_number,
                "location": line.item.location if line.item_id else "",
                "status": line.status,
                "not_found_reason": line.not_found_reason,
                "due_date": line.loan.due_date if line.loan_id else None,
            }
            for line in request.lines.all()
        ],
        "history": [
            {
                "at": e.at,
                "event": e.event,
                "status": e.status,
                "note": events.desk_detail(e),
                "data": e.data,
            }
            for e in request.history.all()
        ],
    }


def _detail(request_id: int, user) -> dict:
    request, role = selectors.request_for(user, request_id)
    return request_out(request, role)


class RequestListParams(Schema):
    mine: bool = True
    library: str | None = None
    status: str | None = None


class FoundIn(Schema):
    barcode: str | None = lengths.schema_field("catalog.Item", "barcode", None, min_length=1)


class NotFoundIn(Schema):
    reason: Literal["not_on_shelf", "damaged", "missing", "other"]


class DisinfectIn(Schema):
    method: Literal["uv", "wipe", "quarantine"]
    minutes: int = Field(ge=1, le=20160)


class StageIn(Schema):
    shelf_slot: str | None = lengths.schema_field("contactless.BorrowRequest", "shelf_slot", None)


class DispatchIn(Schema):
    run: int | None = None


class HandoverIn(Schema):
    pickup_code: str = lengths.schema_field(
        "contactless.BorrowRequest", "pickup_code", min_length=1
    )
    proxy_id_number: str | None = Field(None, max_length=40)


class HandoverLoanOut(Schema):
    barcode: str
    due_date: dt.date


class HandoverOut(Schema):
    status: str
    loans: list[HandoverLoanOut]


class PickLineOut(Schema):
    request: int
    line: int
    barcode: str | None
    title: str
    call_number: str
    location: str
    level: str
    queue_number: int
    mode: str
    service_point: str | None


class PickListParams(Schema):
    service_point: str | None = None
    unprinted: bool = False


class StatsParams(Schema):
    from_: dt.date = Field(alias="from")
    to: dt.date


class SlotIn(Schema):
    slot_start: Moment


class SlotListParams(Schema):
    date: Day


class FreeSlotOut(Schema):
    start: dt.datetime
    end: dt.datetime
    capacity: int
    free: int


class PickSlipIn(Schema):
    service_point: str | None = lengths.schema_field("consortium.ServicePoint", "code", None)


class PickSlipOut(Schema):
    id: int
    printed_at: dt.datetime
    lines: list[PickLineOut]


class RunIn(Schema):
    date: Day | None = None
    buildings: list[Annotated[str, lengths.schema_field("consortium.Building", "code")]] | None = (
        None
    )
    assignee: str | None = lengths.schema_field(
        "accounts.User", "username", None, description="User name of the staff or volunteer."
    )


class RunOut(Schema):
    id: int
    library: str
    date: dt.date
    number: int
    status: str
    assignee: str | None
    requests: list[int]


class StopOut(Schema):
    building: str
    building_name: str
    requests: list[RequestOut]


class RouteSheetOut(RunOut):
    stops: list[StopOut]


def run_out(run) -> dict:
    return {
        "id": run.pk,
        "library": run.library.code,
        "date": run.run_date,
        "number": run.number,
        "status": run.status,
        "assignee": run.assignee.username if run.assignee_id else None,
        "requests": sorted(r.pk for r in run.requests.all()),
    }


# --- the reader's side ---------------------------------------------------------------------


@router.post(
    "/borrow-requests",
    response={201: RequestCreatedOut, **WRITE_ERRORS},
    summary="Request books for delivery, pickup or proxy pickup",
)
def submit(request, payload: RequestIn):
    library = library_by_code(payload.library)
    specs = []
    for line in payload.lines:
        if (line.record is None) == (line.item is None):
            raise RuleViolation(
                _("Each line names either a record or an item barcode."), code="invalid_line"
            )
        specs.append(services.LineSpec(record_id=line.record, barcode=line.item))
    created = services.submit_request(
        user=request.auth,
        library=library,
        mode=payload.mode,
        lines=specs,
        building_code=payload.building,
        service_point_code=payload.service_point,
        slot_start=payload.slot_start,
        proxy=services.Proxy(payload.proxy.name, payload.proxy.id_number)
        if payload.proxy
        else None,
    )
    return Status(
        201,
        {
            "id": created.pk,
            "status": created.status,
            "pickup_code": created.pickup_code,
            "queue_number": created.queue_number,
            "lines": [
                {"id": pk, "status": status}
                for pk, status in created.lines.order_by("position").values_list("pk", "status")
            ],
        },
    )


@router.get(
    "/borrow-requests",
    response={200: list[RequestOut], **READ_ERRORS, 422: ErrorOut},
    summary="The caller's requests (mine=true), or a library's (staff, mine=false&library=)",
)
def list_requests(request, params: Query[RequestListParams]):
    if params.mine:
        return [request_out(r, READER) for r in selectors.requests_of_reader(request.auth)]
    if not params.library:
        raise RuleViolation(_("Give library= with mine=false."), code="library_required")
    library = library_by_code(params.library)
    policies.require_staff(request.auth, library)
    return [
        request_out(r, STAFF)
        for r in selectors.requests_of_library(library, status=params.status)[:500]
    ]


@router.get(
    "/borrow-requests/{request_id}",
    response={200: RequestOut, **READ_ERRORS},
    summary="One request with its lines and history",
)
def get_request(request, request_id: int):
    return _detail(request_id, request.auth)


@router.post(
    "/borrow-requests/{request_id}/cancel",
    response={200: RequestOut, **WRITE_ERRORS},
    summary="Cancel a request (its reader before it is ready; staff until handover)",
)
def cancel(request, request_id: int):
    services.cancel_request(request_id=request_id, by=request.auth)
    return _detail(request_id, request.auth)


@router.post(
    "/borrow-requests/{request_id}/slot",
    response={200: RequestOut, **WRITE_ERRORS},
    summary="Book or move the pickup slot of a pickup or proxy request (its reader)",
)
def book_slot(request, request_id: int, payload: SlotIn):
    services.book_slot(request_id=request_id, by=request.auth, slot_start=payload.slot_start)
    return _detail(request_id, request.auth)


@router.get(
    "/borrow-requests/{request_id}/slot.ics",
    response={200: None, **READ_ERRORS},
    summary="The booked pickup slot as an iCalendar invitation",
)
def slot_ics(request, request_id: int):
    booked, role = selectors.request_for(request.auth, request_id)
    if role not in policies.slot_invitation_roles():
        raise PermissionDenied(_("Only the reader and staff see the invitation."))
    if getattr(booked, "slot_booking", None) is None:
        raise NotFound(_("This request has no pickup slot booked."), code="no_slot")
    response = HttpResponse(slots.ics_for(booked), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pickup-{booked.pk}.ics"'
    return response


@router.get(
    "/libraries/{lib}/service-points/{service_point}/slots",
    response={200: list[FreeSlotOut], **READ_ERRORS},
    auth=None,
    summary="The pickup slots of a day with their free seats",
)
def list_slots(request, lib: str, service_point: str, params: Query[SlotListParams]):
    point = service_point_by_code(library_by_code(lib), service_point)
    return [
        {"start": s.start, "end": s.end, "capacity": s.capacity, "free": s.free}
        for s in slots.slots_on(point, params.date)
    ]


# --- the desk ------------------------------------------------------------------------------


@router.get(
    "/libraries/{lib}/pick-list",
    response={200: list[PickLineOut], **READ_ERRORS, 422: ErrorOut},
    summary="Lines to pick, in shelving order (location, call number, title)",
)
def pick_list(request, lib: str, params: Query[PickListParams]):
    library = library_by_code(lib)
    policies.require_staff(request.auth, library)
    point = service_point_by_code(library, params.service_point) if params.service_point else None
    rows = selectors.pick_list_lines(library, point, unprinted=params.unprinted)
    # The selector's rows have PickLineOut's fields already. Validating them again, row
    # by row, through pydantic took 130 of the 230 ms a list of 5,000 lines took to serve
    # (bench/contactless.py); encode them as Ninja's renderer would.
    return JsonResponse(rows, safe=False, encoder=NinjaJSONEncoder)


@router.post(
    "/libraries/{lib}/pick-slips",
    response={201: PickSlipOut, **WRITE_ERRORS},
    summary="Print the lines no slip has carried yet; remembered so none is picked twice",
)
def print_pick_slip(request, lib: str, payload: PickSlipIn):
    library = library_by_code(lib)
    policies.require_staff(request.auth, library)
    point = service_point_by_code(library, payload.service_point) if payload.service_point else None
    slip = services.print_pick_slip(library=library, by=request.auth, service_point=point)
    rows = selectors.pick_slip_rows(slip)
    return Status(201, {"id": slip.pk, "printed_at": slip.printed_at, "lines": rows})


@router.post(
    "/borrow-requests/{request_id}/lines/{line_id}/found",
    response={200: RequestOut, **WRITE_ERRORS},
    summary="The copy is in hand (for a record-level line: which copy)",
)
def found(request, request_id: int, line_id: int, payload: FoundIn):
    services.mark_found(
        request_id=request_id, line_id=line_id, by=request.auth, barcode=payload.barcode
    )
    return _detail(request_id, request.auth)


@router.post(
    "/borrow-requests/{request_id}/lines/{line_id}/not-found",
    response={200: RequestOut, **WRITE_ERRORS},
    summary="The copy could not be found, and why",
)
def not_found(request, request_id: int, line_id: int, payload: NotFoundIn):
    services.mark_not_found(
        request_id=request_id, line_id=line_id, by=request.auth, reason=payload.reason
    )
    return _detail(request_id, request.auth)


@router.post(
    "/borrow-requests/{request_id}/disinfect",
    response={200: RequestOut, **WRITE_ERRORS},
    summary="Record how the found books were disinfected",
)
def disinfect(request, request_id: int, payload: DisinfectIn):
    services.disinfect(
        request_id=request_id, by=request.auth, method=payload.method, minutes=payload.minutes
    )
    return _detail(request_id, request.auth)


@router.post(
    "/borrow-requests/{request_id}/stage",
    response={200: RequestOut, **WRITE_ERRORS},
    summary="Put the found books on a numbered shelf slot: the request is ready",
)
def stage(request, request_id: int, payload: StageIn):
    services.stage(request_id=request_id, by=request.auth, shelf_slot=payload.shelf_slot)
    return _detail(request_id, request.auth)


@router.post(
    "/borrow-requests/{request_id}/dispatch",
    response={200: RequestOut, **WRITE_ERRORS},
    summary="Send a ready delivery request out (staff, or the run's volunteer)",
)
def dispatch(request, request_id: int, payload: DispatchIn):
    services.dispatch(request_id=request_id, by=request.auth, run_id=payload.run)
    return _detail(request_id, request.auth)


@router.post(
    "/borrow-requests/{request_id}/handover",
    response={200: HandoverOut, **WRITE_ERRORS},
    summary="Check the pickup code (and a proxy's ID number) and lend every staged book",
)
def handover(request, request_id: int, payload: HandoverIn):
    loans = services.handover(
        request_id=request_id,
        by=request.auth,
        pickup_code=payload.pickup_code,
        proxy_id_number=payload.proxy_id_number,
    )
    status = BorrowRequest.objects.values_list("status", flat=True).get(pk=request_id)
    return {
        "status": status,
        "loans": [{"barcode": loan.item.barcode, "due_date": loan.due_date} for loan in loans],
    }


@router.post(
    "/libraries/{lib}/delivery-runs",
    response={201: RunOut, **WRITE_ERRORS},
    summary="Gather ready delivery requests (of some buildings) into a run",
)
def create_run(request, lib: str, payload: RunIn):
    library = library_by_code(lib)
    policies.require_staff(request.auth, library)
    assignee = None
    if payload.assignee:
        assignee = User.objects.filter(username=payload.assignee).first()
        if assignee is None:
            raise RuleViolation(
                _("No user %(username)s."),
                code="invalid_assignee",
                username=repr(payload.assignee),
            )
    run = services.create_run(
        library=library,
        by=request.auth,
        run_date=payload.date,
        building_codes=payload.buildings,
        assignee=assignee,
    )
    return Status(201, run_out(run))


@router.get(
    "/libraries/{lib}/delivery-runs",
    response={200: list[RunOut], **READ_ERRORS},
    summary="Delivery runs (a volunteer sees only the runs given to them)",
)
def list_runs(request, lib: str):
    library = library_by_code(lib)
    if not selectors.may_see_runs(request.auth, library):
        raise PermissionDenied(
            _("You are not staff or a volunteer of %(library)s."), library=library.code
        )
    runs = selectors.runs_visible_to(request.auth, library)
    return [
        run_out(run) for run in runs.prefetch_related("requests").select_related("library")[:200]
    ]


@router.get(
    "/delivery-runs/{run_id}",
    response={200: RouteSheetOut, **READ_ERRORS},
    summary="A run's route sheet: its stops by building and their requests",
)
def get_run(request, run_id: int):
    run = selectors.run_for(request.auth, run_id)
    return {
        **run_out(run),
        "stops": [
            {
                "building": stop["building"].code,
                "building_name": stop["building"].name,
                "requests": [request_out(r, STAFF) for r in stop["requests"]],
            }
            for stop in selectors.route_sheet(run)
        ],
    }


@router.post(
    "/delivery-runs/{run_id}/dispatch",
    response={200: RunOut, **WRITE_ERRORS},
    summary="Send every ready request of the run out",
)
def dispatch_run(request, run_id: int):
    run = selectors.run_for(request.auth, run_id)
    services.dispatch_run(run_id=run.pk, by=request.auth)
    return run_out(selectors.run_for(request.auth, run_id))


@router.get(
    "/libraries/{lib}/stats/contactless",
    response={200: dict, **READ_ERRORS, 422: ErrorOut},
    summary="Requests, readers, titles and volumes asked for and fulfilled, by mode",
)
def stats(request, lib: str, params: Query[StatsParams]):
    library = library_by_code(lib)
    policies.require_staff(request.auth, library)
    if params.to < params.from_:
        raise RuleViolation(_("'to' is before 'from'."), code="invalid_range")
    return selectors.contactless_stats(library, params.from_, params.to)
