"""Permission cases of the document delivery routes. The reader (PKU) asks PKU; BLCU, the
"other library", is the lender the request is sent to, so its staff are the lender's; a
third member (THU) is there to be put on a rota."""

from django.core.files.uploadedfile import SimpleUploadedFile

from libreach.consortium.services import create_library
from libreach.docdelivery import services
from libreach.testing.permissions import STAFF_READ, RouteCase

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
ARTICLE = {"title": "Nature", "article_title": "A pneumonia outbreak", "year": "2020"}

# Who sees a request: its reader, the reader's library (staff, library admins, consortium
# admins) and the lender now holding it (BLCU's staff); anyone else is told it is not there.
SEEN = {
    "anonymous": 401,
    "reader": 200,
    "other_reader": 404,
    "staff": 200,
    "other_staff": 200,
    "consortium_admin": 200,
}
SEEN_EXTRA = {"library_admin": 200, "volunteer": 404}
# What the reader's library does: the reader and the lender see the request but may not.
HOME_ACTION = {**SEEN, "reader": 403, "other_staff": 403}
# A request still under review is not yet the lender's business.
REVIEW = {**HOME_ACTION, "other_staff": 404}
# What the lender does: the reader and the reader's library may not (consortium admins are
# staff of every member, the lender's included).
LENDER_ACTION = {**SEEN, "reader": 403, "staff": 403}
LENDER_EXTRA = {"library_admin": 403, "volunteer": 404}
CONSORTIUM_ONLY = {
    "anonymous": 401,
    "reader": 403,
    "other_reader": 403,
    "staff": 403,
    "other_staff": 403,
    "consortium_admin": 200,
}


def _new(consortium, type_: str = "article") -> dict:
    create_library(code="THU", name="清华大学图书馆", name_en="Tsinghua University Library")
    citation = dict(ARTICLE)
    if type_ == "book":
        citation = {"title": "数据结构", "year": "2007"}
    request = services.submit(
        by=consortium.reader, library=consortium.lib, type_=type_, citation=citation
    )
    return {"lib": consortium.lib.code, "request_id": request.pk}


def _sent(consortium, type_: str = "article") -> dict:
    values = _new(consortium, type_)
    services.approve(request_id=values["request_id"], by=consortium.staff, rota=["BLCU"])
    return values


def _retry(consortium) -> dict:
    values = _sent(consortium)
    services.retry(request_id=values["request_id"], by=consortium.other_staff, reason="OnLoan")
    return values


def _delivered(consortium) -> dict:
    values = _sent(consortium)
    services.supply(request_id=values["request_id"], by=consortium.other_staff, data=PDF)
    return values


def _shipped(consortium) -> dict:
    values = _sent(consortium, "book")
    services.ship(request_id=values["request_id"], by=consortium.other_staff)
    return values


def _received(consortium) -> dict:
    values = _shipped(consortium)
    services.receive(request_id=values["request_id"], by=consortium.staff)
    return values


def _returned(consortium) -> dict:
    values = _received(consortium)
    services.return_loan(request_id=values["request_id"], by=consortium.staff)
    return values


R = "/api/v1/docdelivery/requests/{request_id}"
PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}

CASES = [
    RouteCase(
        "POST",
        "/api/v1/docdelivery/requests",
        body={"library": "PKU", "type": "article", **ARTICLE},
        expect={
            "anonymous": 401,
            "reader": 201,
            "other_reader": 201,
            "staff": 403,
            "other_staff": 403,
            "consortium_admin": 403,
        },
        extra={"library_admin": 403, "volunteer": 403},
    ),
    RouteCase("GET", R, setup=_sent, expect=SEEN, extra=SEEN_EXTRA),
    RouteCase(
        "POST",
        R + "/approve",
        setup=_new,
        body={"rota": ["BLCU"]},
        expect=REVIEW,
        extra=SEEN_EXTRA,
    ),  # fmt: skip
    RouteCase(
        "POST",
        R + "/reject",
        setup=_new,
        body={"reason": "超出服务范围"},
        expect=REVIEW,
        extra=SEEN_EXTRA,
    ),  # fmt: skip
    RouteCase(
        "POST",
        R + "/satisfy-locally",
        setup=_new,
        body={"note": "本馆电子资源"},
        expect=REVIEW,
        extra=SEEN_EXTRA,
    ),  # fmt: skip
    RouteCase(
        "POST",
        R + "/rota",
        setup=_sent,
        body={"lenders": ["THU"]},
        expect=HOME_ACTION,
        extra=SEEN_EXTRA,
    ),  # fmt: skip
    RouteCase(
        "POST",
        R + "/unfilled",
        setup=_sent,
        body={"reason": "NotHeld"},
        expect=LENDER_ACTION,
        extra=LENDER_EXTRA,
    ),  # fmt: skip
    RouteCase("POST", R + "/will-supply", setup=_sent, expect=LENDER_ACTION, extra=LENDER_EXTRA),
    RouteCase(
        "POST",
        R + "/retry",
        setup=_sent,
        body={"reason": "CostExceedsMaxCost", "cost": 30},
        expect=LENDER_ACTION,
        extra=LENDER_EXTRA,
    ),  # fmt: skip
    RouteCase(
        "POST",
        R + "/supply",
        setup=_sent,
        body=lambda v: {"file": SimpleUploadedFile("copy.pdf", PDF, "application/pdf")},
        multipart=True,
        expect=LENDER_ACTION,
        extra=LENDER_EXTRA,
    ),
    RouteCase(
        "POST",
        R + "/ship",
        setup=lambda c: _sent(c, "book"),
        expect=LENDER_ACTION,
        extra=LENDER_EXTRA,
    ),  # fmt: skip
    RouteCase("POST", R + "/complete", setup=_returned, expect=LENDER_ACTION, extra=LENDER_EXTRA),
    RouteCase("POST", R + "/accept-retry", setup=_retry, expect=HOME_ACTION, extra=SEEN_EXTRA),
    RouteCase("POST", R + "/decline-retry", setup=_retry, expect=HOME_ACTION, extra=SEEN_EXTRA),
    RouteCase("POST", R + "/receive", setup=_shipped, expect=HOME_ACTION, extra=SEEN_EXTRA),
    RouteCase("POST", R + "/return", setup=_received, expect=HOME_ACTION, extra=SEEN_EXTRA),
    RouteCase(
        "POST", R + "/cancel", setup=_sent, expect={**SEEN, "other_staff": 403}, extra=SEEN_EXTRA
    ),
    RouteCase(
        "GET",
        R + "/file",
        setup=_delivered,
        expect={**SEEN, "other_staff": 403},
        extra=SEEN_EXTRA,
    ),  # fmt: skip
    RouteCase(
        "GET",
        "/api/v1/libraries/{lib}/stats/docdelivery",
        query=PERIOD,
        expect=STAFF_READ,
        extra={"library_admin": 200, "volunteer": 403},
    ),
    RouteCase("GET", "/api/v1/stats/docdelivery", query=PERIOD, expect=CONSORTIUM_ONLY),
    RouteCase("GET", "/api/v1/stats/docdelivery/fees", query=PERIOD, expect=CONSORTIUM_ONLY),
]
