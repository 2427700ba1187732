"""Page cases of document delivery: the reader's requests, form, OpenURL link, request,
Cancel and file; the desk's review queue, lending queue, a request's page and each of
its actions, for the reader's library (PKU) and for PKU as the lender of a request from
BLCU."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from libreach.accounts import services as account_services
from libreach.docdelivery import services
from libreach.docdelivery.tests.conftest import ARTICLE, PDF
from libreach.testing.fixtures import PASSWORD
from libreach.testing.pages import ACTORS, DESK, DESK_POST, LOGIN, SIGNED_IN, PageCase

# The reader's own request: theirs alone here; staff use the desk's page for it.
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
SIGNED_IN_POST = {**SIGNED_IN, **{k: 302 for k, v in SIGNED_IN.items() if v == 200}}
# Signed in without a library card: told only readers ask, and sent back.
NOT_READERS = frozenset({"staff", "other_staff", "volunteer", "library_admin", "consortium_admin"})
# The delivered file: its reader and the staff of the reader's library (PKU); BLCU, the
# lender, sees the request but may not download the reader's copy.
FILE = {
    **OWN,
    "staff": 200,
    "library_admin": 200,
    "consortium_admin": 200,
    "other_staff": 403,
}

BOOK = {"title": "计算机程序设计艺术", "authors": "高德纳", "isbn": "9787111205715", "year": "2007"}


def _asked(consortium, kind: str = "article") -> dict:
    """The reader asks PKU for an article (or a book)."""
    citation = ARTICLE if kind == "article" else BOOK
    doc = services.submit(
        by=consortium.reader, library=consortium.lib, type_=kind, citation=citation
    )
    return {"lib": consortium.lib.code, "request_id": doc.pk}


def _sent_to_blcu(consortium, kind: str = "article") -> dict:
    values = _asked(consortium, kind)
    services.approve(request_id=values["request_id"], by=consortium.staff, rota=["BLCU"])
    return values


def _retry(consortium) -> dict:
    values = _sent_to_blcu(consortium)
    services.retry(
        request_id=values["request_id"], by=consortium.other_staff, reason="CostExceedsMaxCost"
    )
    return values


def _delivered(consortium) -> dict:
    values = _sent_to_blcu(consortium)
    services.supply(request_id=values["request_id"], by=consortium.other_staff, data=PDF)
    return values


def _shipped(consortium) -> dict:
    values = _sent_to_blcu(consortium, "book")
    services.ship(request_id=values["request_id"], by=consortium.other_staff)
    return values


def _received(consortium) -> dict:
    values = _shipped(consortium)
    services.receive(request_id=values["request_id"], by=consortium.staff)
    return values


def _lent(consortium, kind: str = "article") -> dict:
    """A BLCU reader's request, sent to PKU as its lender."""
    reader = account_services.create_reader(
        library=consortium.other_lib,
        card_number="2020009001",
        name="王五",
        reader_type="undergraduate",
        password=PASSWORD,
    ).user
    citation = ARTICLE if kind == "article" else BOOK
    doc = services.submit(by=reader, library=consortium.other_lib, type_=kind, citation=citation)
    services.approve(request_id=doc.pk, by=consortium.other_staff, rota=["PKU"])
    return {"lib": consortium.lib.code, "request_id": doc.pk}


def _lent_book(consortium) -> dict:
    return _lent(consortium, "book")


def _lent_book_returned(consortium) -> dict:
    values = _lent(consortium, "book")
    services.ship(request_id=values["request_id"], by=consortium.staff)
    services.receive(request_id=values["request_id"], by=consortium.other_staff)
    services.return_loan(request_id=values["request_id"], by=consortium.other_staff)
    return values


def _pdf(values: dict) -> dict:
    return {"file": SimpleUploadedFile("copy.pdf", PDF, "application/pdf")}


R = "desk/<str:lib>/docdelivery/<int:request_id>/"

CASES = [
    # --- reader pages ---
    PageCase("GET", "docdelivery/", setup=_asked, expect=SIGNED_IN),
    PageCase("GET", "docdelivery/new/", expect=SIGNED_IN),
    PageCase(
        "POST",
        "docdelivery/new/",
        data={"type": "article", **ARTICLE},
        expect=SIGNED_IN_POST,
        refused=NOT_READERS,
    ),
    PageCase(
        "GET",
        "docdelivery/openurl",
        data={
            "url_ver": "Z39.88-2004",
            "rft_val_fmt": "info:ofi/fmt:kev:mtx:journal",
            "rft.genre": "article",
            "rft.atitle": ARTICLE["article_title"],
            "rft.jtitle": "Nature",
            "rft.issn": "0028-0836",
            "rft.date": "2020",
        },
        expect=SIGNED_IN,
    ),
    PageCase("GET", "docdelivery/<int:request_id>/", setup=_asked, expect=OWN),
    PageCase("POST", "docdelivery/<int:request_id>/cancel/", setup=_asked, expect=OWN_POST),
    PageCase("GET", "docdelivery/<int:request_id>/file/", setup=_delivered, expect=FILE),
    # --- the reader's library at the desk ---
    PageCase("GET", "desk/<str:lib>/docdelivery/", setup=_sent_to_blcu, expect=DESK),
    PageCase("GET", R, setup=_asked, expect=DESK),
    PageCase("POST", R + "approve/", setup=_asked, data={"rota": "BLCU"}, expect=DESK_POST),
    PageCase(
        "POST",
        R + "approve/",
        name="POST /desk/<lib>/docdelivery/<id>/approve/ (rota from holdings)",
        setup=_asked,
        expect=DESK_POST,
    ),
    PageCase("POST", R + "reject/", setup=_asked, data={"reason": "超出范围"}, expect=DESK_POST),
    PageCase("POST", R + "satisfy/", setup=_asked, data={"note": "本馆电子资源"}, expect=DESK_POST),
    PageCase("POST", R + "rota/", setup=_sent_to_blcu, data={"rota": ""}, expect=DESK_POST),
    PageCase("POST", R + "accept-retry/", setup=_retry, expect=DESK_POST),
    PageCase("POST", R + "decline-retry/", setup=_retry, expect=DESK_POST),
    PageCase("POST", R + "receive/", setup=_shipped, expect=DESK_POST),
    PageCase("POST", R + "return/", setup=_received, expect=DESK_POST),
    PageCase("POST", R + "cancel/", setup=_asked, expect=DESK_POST),
    # --- PKU as the lender of a BLCU reader's request ---
    PageCase("GET", "desk/<str:lib>/docdelivery/lending/", setup=_lent, expect=DESK),
    PageCase(
        "GET",
        R,
        name="GET /desk/<lib>/docdelivery/<id>/ (as its lender)",
        setup=_lent,
        expect=DESK,
    ),
    PageCase("POST", R + "will-supply/", setup=_lent, expect=DESK_POST),
    PageCase("POST", R + "unfilled/", setup=_lent, data={"reason": "NotHeld"}, expect=DESK_POST),
    PageCase(
        "POST",
        R + "retry/",
        setup=_lent,
        data={"reason": "CostExceedsMaxCost", "cost": "20"},
        expect=DESK_POST,
    ),
    PageCase("POST", R + "supply/", setup=_lent, data=_pdf, expect=DESK_POST),
    PageCase("POST", R + "ship/", setup=_lent_book, expect=DESK_POST),
    PageCase("POST", R + "complete/", setup=_lent_book_returned, expect=DESK_POST),
    # --- ISO 18626: member systems post XML here (test_iso18626_exchange.py); no page ---
    PageCase("GET", "iso18626", expect=dict.fromkeys(ACTORS, 405)),
]
