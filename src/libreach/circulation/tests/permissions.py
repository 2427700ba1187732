import datetime as dt

from django.utils import timezone

from libreach.catalog.services import ItemInput, create_record
from libreach.circulation import closures, services
from libreach.testing.permissions import (
    SIGNED_IN,
    STAFF_READ,
    STAFF_WRITE,
    STAFF_WRITE_EXTRA,
    RouteCase,
)

TODAY = timezone.localdate()


def with_loan(consortium) -> dict:
    record = create_record(
        library=consortium.lib, title="红楼梦", items=[ItemInput(barcode="P0001")]
    )
    loan = services.checkout(item=record.items.get(), reader=consortium.reader.reader)
    return {"lib": consortium.lib.code, "loan_id": loan.id}


def with_closure(consortium) -> dict:
    closure = closures.declare_closure(
        library=consortium.lib,
        start_date=TODAY + dt.timedelta(days=10),
        end_date=TODAY + dt.timedelta(days=20),
        by=consortium.staff,
    )
    return {"lib": consortium.lib.code, "closure_id": closure.id}


STAFF_ACTION = {**STAFF_WRITE, "staff": 200, "consortium_admin": 200}
# Its reader and the lending library's staff; to anyone else the loan does not exist.
LOAN_OWNER = {
    "anonymous": 401,
    "reader": 200,
    "other_reader": 404,
    "staff": 200,
    "other_staff": 404,
    "consortium_admin": 200,
}

CASES = [
    RouteCase("GET", "/api/v1/libraries/{lib}/closures", expect=STAFF_READ, setup=with_closure),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/closures",
        body={
            "start_date": str(TODAY),
            "end_date": str(TODAY + dt.timedelta(days=14)),
            "reason": "疫情闭馆",
        },
        expect=STAFF_WRITE,
        extra=STAFF_WRITE_EXTRA,
    ),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/closures/preview",
        body={"start_date": str(TODAY), "end_date": str(TODAY + dt.timedelta(days=14))},
        expect=STAFF_ACTION,
        extra={"library_admin": 200, "volunteer": 403},
    ),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/closures/{closure_id}/lift",
        expect=STAFF_ACTION,
        extra={"library_admin": 200, "volunteer": 403},
        setup=with_closure,
    ),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/loans/bulk-extension",
        body={
            "due_from": str(TODAY),
            "due_to": str(TODAY + dt.timedelta(days=60)),
            "new_due_date": str(TODAY + dt.timedelta(days=90)),
        },
        expect=STAFF_ACTION,
        extra={"library_admin": 200, "volunteer": 403},
        setup=with_loan,
    ),
    RouteCase("GET", "/api/v1/loans", query={"mine": "true"}, expect=SIGNED_IN, setup=with_loan),
    RouteCase("POST", "/api/v1/loans/{loan_id}/renew", expect=LOAN_OWNER, setup=with_loan),
]
