"""Page cases of contactless borrowing: the reader's basket and requests, and the desk's
pick list, requests, runs, handover and statistics."""

from libreach.contactless import services
from libreach.contactless.models import RequestLine
from libreach.contactless.tests.permissions import (
    _books,
    _in_volunteer_run,
    _out,
    _picking,
    _pickup_booked,
    _ready,
    _submitted,
)
from libreach.testing.pages import DESK, DESK_POST, LOGIN, SIGNED_IN, PageCase

# The reader's own request: theirs alone; to anyone else, staff included, it is not there
# (the desk has its own pages for it).
OWN: dict = {
    "anonymous": LOGIN,
    "reader": 200,
    "other_reader": 404,
    "staff": 404,
    "other_staff": 404,
    "volunteer": 404,
    "library_admin": 404,
    "consortium_admin": 404,
}
OWN_POST = {**OWN, "reader": 302}
# Pages volunteers use too: their runs and the handover.
DESK_AND_VOLUNTEERS = {**DESK, "volunteer": 200}
SIGNED_IN_POST = {**SIGNED_IN, **{k: 302 for k, v in SIGNED_IN.items() if v == 200}}
# Signed in without a library card: told only readers borrow, and sent back.
NOT_READERS = frozenset({"staff", "other_staff", "volunteer", "library_admin", "consortium_admin"})


def _slip(consortium) -> dict:
    values = _submitted(consortium)
    slip = services.print_pick_slip(library=consortium.lib, by=consortium.staff)
    return {**values, "slip_id": slip.id}


def _returned(consortium) -> dict:
    """A staged request cancelled by staff: its copy waits for check-in at the desk."""
    values = _ready(consortium)
    services.cancel_request(request_id=values["request_id"], by=consortium.staff)
    line = RequestLine.objects.select_related("item").get(pk=values["line_id"])
    return {**values, "barcode": line.item.barcode}


CASES = [
    # --- reader pages ---
    PageCase("GET", "basket/", setup=_books, expect=SIGNED_IN),
    # Anonymous readers are sent to sign in first; the basket lives in the session only.
    PageCase(
        "POST",
        "basket/add/",
        setup=_books,
        data=lambda v: {"record": v["record_id"]},
        expect=SIGNED_IN_POST,
        refused=NOT_READERS,
    ),
    PageCase("POST", "basket/remove/", data={"line": "0"}, expect=SIGNED_IN_POST),
    # An empty basket (a new session) sends everyone back to the basket.
    PageCase("GET", "basket/<str:lib>/request/", setup=_books, expect=SIGNED_IN_POST),
    PageCase(
        "POST",
        "basket/<str:lib>/request/",
        setup=_books,
        data={"mode": "delivery", "building": "DORM1"},
        expect=SIGNED_IN_POST,
        refused=NOT_READERS | {"reader", "other_reader"},  # and readers: nothing to request
    ),
    PageCase("GET", "requests/", setup=_submitted, expect=SIGNED_IN),
    PageCase("GET", "requests/<int:request_id>/", setup=_submitted, expect=OWN),
    PageCase("POST", "requests/<int:request_id>/cancel/", setup=_submitted, expect=OWN_POST),
    PageCase(
        "POST",
        "requests/<int:request_id>/slot/",
        setup=_submitted,
        data={"slot": "MAIN|2030-01-07T10:00"},
        expect=OWN_POST,
    ),
    PageCase("GET", "requests/<int:request_id>/slot.ics", setup=_pickup_booked, expect=OWN),
    # --- desk pages ---
    PageCase("GET", "desk/<str:lib>/pick-list/", setup=_submitted, expect=DESK),
    PageCase("POST", "desk/<str:lib>/pick-slips/", setup=_submitted, expect=DESK_POST),
    PageCase(
        "POST",
        "desk/<str:lib>/pick-list/scan/",
        setup=_submitted,
        data={"scan": "X"},
        expect=DESK_POST,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/requests/<int:request_id>/scan/",
        setup=_submitted,
        data={"scan": "X"},
        expect=DESK_POST,
    ),
    PageCase("GET", "desk/<str:lib>/pick-slips/<int:slip_id>/", setup=_slip, expect=DESK),
    PageCase("GET", "desk/<str:lib>/pick-slips/<int:slip_id>.pdf", setup=_slip, expect=DESK),
    PageCase("GET", "desk/<str:lib>/requests/", setup=_submitted, expect=DESK),
    PageCase("GET", "desk/<str:lib>/requests/<int:request_id>/", setup=_submitted, expect=DESK),
    PageCase(
        "POST",
        "desk/<str:lib>/requests/<int:request_id>/lines/<int:line_id>/found/",
        setup=_submitted,
        expect=DESK_POST,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/requests/<int:request_id>/lines/<int:line_id>/not-found/",
        setup=_submitted,
        data={"reason": "not_on_shelf"},
        expect=DESK_POST,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/requests/<int:request_id>/disinfect/",
        setup=_picking,
        data={"method": "uv", "minutes": "30"},
        expect=DESK_POST,
    ),
    PageCase(
        "POST", "desk/<str:lib>/requests/<int:request_id>/stage/", setup=_picking, expect=DESK_POST
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/requests/<int:request_id>/cancel/",
        setup=_submitted,
        expect=DESK_POST,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/requests/<int:request_id>/dispatch/",
        setup=_ready,
        expect={**DESK_POST, "volunteer": 404},
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/requests/<int:request_id>/dispatch/",
        name="POST /desk/<lib>/requests/<id>/dispatch/ (in the volunteer's run)",
        setup=_in_volunteer_run,
        expect={**DESK_POST, "volunteer": 302},
    ),
    PageCase("GET", "desk/<str:lib>/runs/", setup=_in_volunteer_run, expect=DESK_AND_VOLUNTEERS),
    PageCase("POST", "desk/<str:lib>/runs/new/", setup=_ready, expect=DESK_POST),
    PageCase(
        "GET",
        "desk/<str:lib>/runs/<int:run_id>/",
        setup=_in_volunteer_run,
        expect=DESK_AND_VOLUNTEERS,
    ),
    PageCase(
        "GET",
        "desk/<str:lib>/runs/<int:run_id>/sheet/",
        setup=_in_volunteer_run,
        expect=DESK_AND_VOLUNTEERS,
    ),
    PageCase(
        "GET",
        "desk/<str:lib>/runs/<int:run_id>/sheet.pdf",
        setup=_in_volunteer_run,
        expect=DESK_AND_VOLUNTEERS,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/runs/<int:run_id>/dispatch/",
        setup=_in_volunteer_run,
        expect={**DESK_POST, "volunteer": 302},
    ),
    PageCase(
        "GET",
        "desk/<str:lib>/handover/",
        setup=_out,
        data=lambda v: {"request": v["request_id"]},
        expect=DESK_AND_VOLUNTEERS,
    ),
    PageCase(
        "GET",
        "desk/<str:lib>/handover/",
        name="GET /desk/<lib>/handover/?q= (the reader's card number)",
        setup=_out,
        data={"q": "2020000001"},
        expect=DESK_AND_VOLUNTEERS,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/handover/",
        setup=_out,
        data=lambda v: {"request": v["request_id"], "pickup_code": v["code"]},
        expect={**DESK_POST, "volunteer": 404},
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/handover/scan/",
        setup=_out,
        data=lambda v: {"scan": f"libreach:request:{v['request_id']}:{v['code']}"},
        expect={**DESK_POST, "volunteer": 302},
    ),
    PageCase("GET", "desk/<str:lib>/stats/", setup=_submitted, expect=DESK),
    PageCase("GET", "desk/<str:lib>/returns/", setup=_returned, expect=DESK),
    PageCase(
        "POST",
        "desk/<str:lib>/returns/",
        setup=_returned,
        data=lambda v: {"barcode": v["barcode"]},
        expect=DESK_POST,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/returns/",
        name="POST /desk/<lib>/returns/ (the scan box)",
        setup=_returned,
        data=lambda v: {"scan": v["barcode"]},
        expect=DESK_POST,
    ),
]
