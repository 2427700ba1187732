"""Permission cases of the contactless routes: a reader's own request, other readers,
the library's staff and volunteers, another library's staff, consortium admins."""

import datetime as dt

from django.utils import timezone

from libreach.catalog.services import ItemInput, create_record
from libreach.consortium.services import set_weekly_hours
from libreach.contactless import services
from libreach.contactless.models import RequestLine
from libreach.testing.permissions import PUBLIC, STAFF_READ, STAFF_WRITE, RouteCase

# A request of the reader: its reader and the library's staff act on it; other readers,
# other libraries' staff and volunteers without its run cannot see it (404).
ON_OWN_REQUEST = {
    "anonymous": 401,
    "reader": 200,
    "other_reader": 404,
    "staff": 200,
    "other_staff": 404,
    "consortium_admin": 200,
}
HIDDEN_FROM_VOLUNTEER = {"volunteer": 404}
# A desk action on the reader's request: the reader sees it but may not do it (403).
DESK_ACTION = {**ON_OWN_REQUEST, "reader": 403}
STAFF_ONLY_EXTRA = {"volunteer": 403, "library_admin": 200}
READER_WRITE = {
    "anonymous": 401,
    "reader": 201,
    "other_reader": 201,
    "staff": 403,
    "other_staff": 403,
    "consortium_admin": 403,
}


def _books(consortium) -> dict:
    set_weekly_hours(
        library=consortium.lib, hours={d: [(dt.time(8), dt.time(22))] for d in range(7)}
    )
    record = create_record(
        library=consortium.lib,
        title="红楼梦",
        authors=["曹雪芹"],
        call_number="I242.4/1",
        items=[ItemInput(barcode=f"P000{n}", location="中文书库") for n in range(1, 4)],
    )
    return {"lib": consortium.lib.code, "record_id": record.id, "service_point": "MAIN"}


def _submitted(consortium, mode: str = "delivery", **extra) -> dict:
    values = _books(consortium)
    request = services.submit_request(
        user=consortium.reader,
        library=consortium.lib,
        mode=mode,
        lines=[services.LineSpec(record_id=values["record_id"])],
        service_point_code="MAIN" if mode != "delivery" else None,
        **extra,
    )
    line = RequestLine.objects.get(request=request)
    return {**values, "request_id": request.id, "line_id": line.id, "code": request.pickup_code}


def _picking(consortium) -> dict:
    values = _submitted(consortium)
    services.mark_found(
        request_id=values["request_id"], line_id=values["line_id"], by=consortium.staff
    )
    return values


def _ready(consortium) -> dict:
    values = _picking(consortium)
    services.stage(request_id=values["request_id"], by=consortium.staff)
    return values


def _out(consortium) -> dict:
    values = _ready(consortium)
    services.dispatch(request_id=values["request_id"], by=consortium.staff)
    return values


def _in_volunteer_run(consortium) -> dict:
    values = _ready(consortium)
    run = services.create_run(
        library=consortium.lib, by=consortium.staff, assignee=consortium.volunteer
    )
    return {**values, "run_id": run.id}


def _out_with_volunteer(consortium) -> dict:
    values = _in_volunteer_run(consortium)
    services.dispatch(request_id=values["request_id"], by=consortium.staff)
    return values


def _pickup_slot() -> str:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=timezone.get_current_timezone())
    return start.isoformat()


def _pickup(consortium) -> dict:
    return _submitted(consortium, mode="pickup")


def _pickup_booked(consortium) -> dict:
    values = _pickup(consortium)
    services.book_slot(
        request_id=values["request_id"],
        by=consortium.reader,
        slot_start=dt.datetime.fromisoformat(_pickup_slot()),
    )
    return values


CASES = [
    RouteCase(
        "POST",
        "/api/v1/borrow-requests",
        setup=_books,
        body=lambda v: {
            "library": v["lib"],
            "mode": "delivery",
            "building": "DORM1",
            "lines": [{"record": v["record_id"]}],
        },
        expect=READER_WRITE,
        extra={"volunteer": 403, "library_admin": 403},
    ),
    RouteCase(
        "GET",
        "/api/v1/borrow-requests",
        setup=_submitted,
        expect={**PUBLIC, "anonymous": 401},
    ),
    RouteCase(
        "GET",
        "/api/v1/borrow-requests",
        name="GET /api/v1/borrow-requests?mine=false (a library's requests)",
        setup=_submitted,
        query={"mine": "false", "library": "PKU"},
        expect=STAFF_READ,
        extra=STAFF_ONLY_EXTRA,
    ),
    RouteCase(
        "GET",
        "/api/v1/borrow-requests/{request_id}",
        setup=_submitted,
        expect=ON_OWN_REQUEST,
        extra=HIDDEN_FROM_VOLUNTEER,
    ),
    RouteCase(
        "POST",
        "/api/v1/borrow-requests/{request_id}/cancel",
        setup=_submitted,
        expect=ON_OWN_REQUEST,
        extra=HIDDEN_FROM_VOLUNTEER,
    ),
    RouteCase(
        "POST",
        "/api/v1/borrow-requests/{request_id}/slot",
        setup=_pickup,
        body={"slot_start": _pickup_slot()},
        expect=ON_OWN_REQUEST,
        extra=HIDDEN_FROM_VOLUNTEER,
    ),
    RouteCase(
        "GET",
        "/api/v1/borrow-requests/{request_id}/slot.ics",
        setup=_pickup_booked,
        expect=ON_OWN_REQUEST,
        extra=HIDDEN_FROM_VOLUNTEER,
    ),
    RouteCase(
        "GET",
        "/api/v1/libraries/{lib}/service-points/{service_point}/slots",
        setup=_books,
        query={"date": "2030-01-07"},
        expect=PUBLIC,
    ),
    RouteCase(
        "GET",
        "/api/v1/libraries/{lib}/pick-list",
        setup=_submitted,
        expect=STAFF_READ,
        extra=STAFF_ONLY_EXTRA,
    ),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/pick-slips",
        setup=_submitted,
        expect=STAFF_WRITE,
        extra={"volunteer": 403, "library_admin": 201},
    ),
    RouteCase(
        "POST",
        "/api/v1/borrow-requests/{request_id}/lines/{line_id}/found",
        setup=_submitted,
        expect=DESK_ACTION,
        extra=HIDDEN_FROM_VOLUNTEER,
    ),
    RouteCase(
        "POST",
        "/api/v1/borrow-requests/{request_id}/lines/{line_id}/not-found",
        setup=_submitted,
        body={"reason": "not_on_shelf"},
        expect=DESK_ACTION,
        extra=HIDDEN_FROM_VOLUNTEER,
    ),
    RouteCase(
        "POST",
        "/api/v1/borrow-requests/{request_id}/disinfect",
        setup=_picking,
        body={"method": "uv", "minutes": 30},
        expect=DESK_ACTION,
        extra=HIDDEN_FROM_VOLUNTEER,
    ),
    RouteCase(
        "POST",
        "/api/v1/borrow-requests/{request_id}/stage",
        setup=_picking,
        expect=DESK_ACTION,
        extra=HIDDEN_FROM_VOLUNTEER,
    ),
    RouteCase(
        "POST",
        "/api/v1/borrow-requests/{request_id}/dispatch",
        setup=_ready,
        expect=DESK_ACTION,
        extra=HIDDEN_FROM_VOLUNTEER,
    ),
    RouteCase(
        "POST",
        "/api/v1/borrow-requests/{request_id}/dispatch",
        name="dispatch by the volunteer of the request's run",
        setup=_in_volunteer_run,
        body=lambda v: {"run": v["run_id"]},
        expect=DESK_ACTION,
        extra={"volunteer": 200},
    ),
    RouteCase(
        "POST",
        "/api/v1/borrow-requests/{request_id}/handover",
        setup=_out,
        body=lambda v: {"pickup_code": v["code"]},
        expect=DESK_ACTION,
        extra=HIDDEN_FROM_VOLUNTEER,
    ),
    RouteCase(
        "POST",
        "/api/v1/borrow-requests/{request_id}/handover",
        name="handover by the volunteer of the request's run",
        setup=_out_with_volunteer,
        body=lambda v: {"pickup_code": v["code"]},
        expect=DESK_ACTION,
        extra={"volunteer": 200},
    ),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/delivery-runs",
        setup=_ready,
        expect=STAFF_WRITE,
        extra={"volunteer": 403, "library_admin": 201},
    ),
    RouteCase(
        "GET",
        "/api/v1/libraries/{lib}/delivery-runs",
        setup=_in_volunteer_run,
        expect=STAFF_READ,
        extra={"volunteer": 200, "library_admin": 200},
    ),
    RouteCase(
        "GET",
        "/api/v1/delivery-runs/{run_id}",
        setup=_in_volunteer_run,
        expect={**ON_OWN_REQUEST, "reader": 404},
        extra={"volunteer": 200},
    ),
    RouteCase(
        "POST",
        "/api/v1/delivery-runs/{run_id}/dispatch",
        setup=_in_volunteer_run,
        expect={**ON_OWN_REQUEST, "reader": 404},
        extra={"volunteer": 200},
    ),
    RouteCase(
        "GET",
        "/api/v1/libraries/{lib}/stats/contactless",
        setup=_submitted,
        query={"from": "2020-02-01", "to": "2030-02-28"},
        expect=STAFF_READ,
        extra=STAFF_ONLY_EXTRA,
    ),
]
