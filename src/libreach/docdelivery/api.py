"""Document delivery routes (API.md, "Document delivery"; docs/docdelivery.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from libreach.accounts.policies import require_consortium_admin, require_staff
from libreach.consortium.selectors import library_by_code
from libreach.core import lengths
from libreach.core.errors import RuleViolation
from libreach.core.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut
from libreach.docdelivery import fees, selectors, services, stats
from libreach.docdelivery.models import DocRequest

router = Router(tags=["document delivery"])

M = "docdelivery.DocRequest"
LibraryCode = Annotated[str, lengths.schema_field("consortium.Library", "code")]


class DocRequestIn(Schema):
    library: str = lengths.schema_field("consortium.Library", "code")
    type: Literal["article", "chapter", "book"]
    title: str = lengths.schema_field(M, "title", min_length=1)
    article_title: str = lengths.schema_field(M, "article_title", "")
    authors: str = lengths.schema_field(M, "authors", "")
    journal: str = lengths.schema_field(
        M, "title", "", description="The journal's title, for an article (the same as title)."
    )
    issn: str = lengths.schema_field(M, "issn", "")
    isbn: str = Field("", max_length=17)
    year: str = lengths.schema_field(M, "year", "")
    volume: str = lengths.schema_field(M, "volume", "")
    issue: str = lengths.schema_field(M, "issue", "")
    pages: str = lengths.schema_field(M, "pages", "")
    doi: str = lengths.schema_field(M, "doi", "")
    note: str = lengths.schema_field(M, "note", "")


class DocCreatedOut(Schema):
    id: int
    status: str


class DocAnsweredOut(Schema):
    """What a lender is told after its answer: the request may have moved on to another
    lender, whose business the rest is no longer."""

    id: int
    status: str


class DocRotaEntryOut(Schema):
    lender: str
    position: int
    status: str
    sent_at: dt.datetime | None
    due_at: dt.datetime | None
    answered_at: dt.datetime | None
    reason_unfilled: str
    reason_retry: str
    retry_cost: Decimal | None


class DocEventOut(Schema):
    at: dt.datetime
    event: str
    status: str
    library: str | None
    data: dict


class DocRequestOut(Schema):
    id: int
    library: str
    type: str
    status: str
    title: str
    article_title: str
    authors: str
    issn: str
    isbn: str
    year: str
    volume: str
    issue: str
    pages: str
    doi: str
    lender: str | None
    rota: list[str] = Field(description="The lenders' codes, in the order they are asked.")
    rota_entries: list[DocRotaEntryOut]
    reason: str = Field(description="Why it was rejected, or where it is held at home.")
    file: bool = Field(description="A supplied PDF can be downloaded.")
    created_at: dt.datetime
    history: list[DocEventOut]


def request_out(request: DocRequest) -> dict:
    rota = list(request.rota.all())
    return {
        **{f: getattr(request, f) for f in services.CITATION_FIELDS if f != "note"},
        "id": request.pk,
        "library": request.library.code,
        "type": request.type,
        "status": request.status,
        "lender": request.lender.code if request.lender_id else None,
        "rota": [entry.lender.code for entry in rota],
        "rota_entries": [
            {
                "lender": entry.lender.code,
                "position": entry.position,
                "status": entry.status,
                "sent_at": entry.sent_at,
                "due_at": entry.due_at,
                "answered_at": entry.answered_at,
                "reason_unfilled": entry.reason_unfilled,
                "reason_retry": entry.reason_retry,
                "retry_cost": entry.retry_cost,
            }
            for entry in rota
        ],
        "reason": request.reject_reason,
        "file": hasattr(request, "file"),
        "created_at": request.created_at,
        "history": [
            {
                "at": event.at,
                "event": event.event,
                "status": event.status,
                "library": event.library.code if event.library_id else None,
                "data": event.data,
            }
            for event in request.history.all()
        ],
    }


def _answer(request, request_id: int) -> dict:
    found, _roles = selectors.request_for(request.auth, request_id)
    return request_out(found)


@router.post(
    "/docdelivery/requests",
    response={201: DocCreatedOut, **WRITE_ERRORS},
    summary="Ask your library for an article, a chapter or a book",
)
def submit(request, payload: DocRequestIn):
    citation = payload.dict()
    if payload.journal and not payload.title:
        citation["title"] = payload.journal
    created = services.submit(
        by=request.auth,
        library=library_by_code(payload.library),
        type_=payload.type,
        citation=citation,
    )
    return Status(201, {"id": created.pk, "status": created.status})


@router.get(
    "/docdelivery/requests/{request_id}",
    response={200: DocRequestOut, **READ_ERRORS},
    summary="A request, its rota and its history",
)
def get_request(request, request_id: int):
    return _answer(request, request_id)


class DocRotaIn(Schema):
    rota: list[LibraryCode] | None = Field(
        None, description="Lenders' codes in order; omitted: built from the members' holdings."
    )


@router.post(
    "/docdelivery/requests/{request_id}/approve",
    response={200: DocRequestOut, **WRITE_ERRORS},
    summary="Accept a reader's request and send it to its first lender",
)
def approve(request, request_id: int, payload: DocRotaIn | None = None):
    services.approve(request_id=request_id, by=request.auth, rota=payload.rota if payload else None)
    return _answer(request, request_id)


class DocReasonIn(Schema):
    reason: str = lengths.schema_field(M, "reject_reason", min_length=1)


@router.post(
    "/docdelivery/requests/{request_id}/reject",
    response={200: DocRequestOut, **WRITE_ERRORS},
    summary="Reject a reader's request, saying why",
)
def reject(request, request_id: int, payload: DocReasonIn):
    services.reject(request_id=request_id, by=request.auth, reason=payload.reason)
    return _answer(request, request_id)


class DocNoteIn(Schema):
    note: str = lengths.schema_field(M, "reject_reason", "")


@router.post(
    "/docdelivery/requests/{request_id}/satisfy-locally",
    response={200: DocRequestOut, **WRITE_ERRORS},
    summary="Held at home (in print or in the e-resources): tell the reader where",
)
def satisfy_locally(request, request_id: int, payload: DocNoteIn | None = None):
    services.satisfy_locally(
        request_id=request_id, by=request.auth, note=payload.note if payload else ""
    )
    return _answer(request, request_id)


class DocLendersIn(Schema):
    lenders: list[LibraryCode] = Field(description="The lenders still to be asked, in order.")


@router.post(
    "/docdelivery/requests/{request_id}/rota",
    response={200: DocRequestOut, **WRITE_ERRORS},
    summary="Set the lenders still to be asked",
)
def edit_rota(request, request_id: int, payload: DocLendersIn):
    services.edit_rota(request_id=request_id, by=request.auth, codes=payload.lenders)
    return _answer(request, request_id)


class DocUnfilledIn(Schema):
    reason: str = lengths.schema_field(
        "docdelivery.RotaEntry",
        "reason_unfilled",
        description="An ISO 18626 reasonUnfilled value, e.g. NotHeld.",
    )
    note: str = lengths.schema_field("docdelivery.RotaEntry", "note", "")


@router.post(
    "/docdelivery/requests/{request_id}/unfilled",
    response={200: DocAnsweredOut, **WRITE_ERRORS},
    summary="The lender cannot supply: on to the next lender",
)
def unfilled(request, request_id: int, payload: DocUnfilledIn):
    done = services.unfilled(
        request_id=request_id, by=request.auth, reason=payload.reason, note=payload.note
    )
    return {"id": done.pk, "status": done.status}


@router.post(
    "/docdelivery/requests/{request_id}/will-supply",
    response={200: DocAnsweredOut, **WRITE_ERRORS},
    summary="The lender will supply",
)
def will_supply(request, request_id: int):
    done = services.will_supply(request_id=request_id, by=request.auth)
    return {"id": done.pk, "status": done.status}


class DocRetryIn(Schema):
    reason: str = lengths.schema_field(
        "docdelivery.RotaEntry",
        "reason_retry",
        description="An ISO 18626 reasonRetry value, e.g. CostExceedsMaxCost.",
    )
    cost: float | None = Field(None, ge=0, le=9_999_999.99, description="In CNY.")
    note: str = lengths.schema_field("docdelivery.RotaEntry", "note", "")


@router.post(
    "/docdelivery/requests/{request_id}/retry",
    response={200: DocAnsweredOut, **WRITE_ERRORS},
    summary="The lender could supply on conditions",
)
def retry(request, request_id: int, payload: DocRetryIn):
    done = services.retry(
        request_id=request_id,
        by=request.auth,
        reason=payload.reason,
        cost=None if payload.cost is None else Decimal(str(round(payload.cost, 2))),
        note=payload.note,
    )
    return {"id": done.pk, "status": done.status}


def _simple(name: str, service, summary: str, *, lender: bool = False):
    def view(request, request_id: int):
        done = service(request_id=request_id, by=request.auth)
        if lender:
            return {"id": done.pk, "status": done.status}
        return _answer(request, request_id)

    view.__name__ = name.replace("-", "_")
    router.post(
        f"/docdelivery/requests/{{request_id}}/{name}",
        response={200: DocAnsweredOut if lender else DocRequestOut, **WRITE_ERRORS},
        summary=summary,
        operation_id=f"docdelivery_{view.__name__}",
    )(view)


_simple("accept-retry", services.accept_retry, "Accept the lender's conditions")
_simple("decline-retry", services.decline_retry, "Decline them: on to the next lender")
_simple("ship", services.ship, "The lender has sent the book", lender=True)
_simple("receive", services.receive, "The book has arrived at the reader's library")
_simple("return", services.return_loan, "The book has been sent back to the lender")
_simple("complete", services.complete, "The lender has its book back", lender=True)
_simple("cancel", services.cancel, "Withdraw the request")


@router.post(
    "/docdelivery/requests/{request_id}/supply",
    response={200: DocAnsweredOut, **WRITE_ERRORS},
    summary="Supply a copy: upload the PDF (multipart, field file)",
)
def supply(request, request_id: int, file: File[UploadedFile]):
    # Refused by its announced size before it is read into memory.
    services.check_size(file.size or 0)
    done = services.supply(request_id=request_id, by=request.auth, data=file.read())
    return {"id": done.pk, "status": done.status}


@router.get(
    "/docdelivery/requests/{request_id}/file",
    response={200: None, **READ_ERRORS, 410: ErrorOut},
    summary="Download the supplied PDF (its reader, or its library's staff)",
)
def download(request, request_id: int):
    path, name = services.open_file(request_id=request_id, by=request.auth)
    return FileResponse(path.open("rb"), content_type="application/pdf", filename=name)


class DocStatsParams(Schema):
    from_: dt.date = Field(alias="from")
    to: dt.date
    by_month: bool = Field(False, description="Also each calendar month's figures.")


def _period(params: DocStatsParams) -> None:
    if params.to < params.from_:
        raise RuleViolation(_("'to' is before 'from'."), code="invalid_range")


@router.get(
    "/libraries/{lib}/stats/docdelivery",
    response={200: dict, **READ_ERRORS},
    summary="Document delivery figures of a library, as borrower and as lender",
)
def library_stats(request, lib: str, params: Query[DocStatsParams]):
    library = library_by_code(lib)
    require_staff(request.auth, library)
    _period(params)
    figures = stats.library_figures(library, start=params.from_, end=params.to)
    if params.by_month:
        figures["months"] = stats.monthly(library, start=params.from_, end=params.to)
    return figures


@router.get(
    "/stats/docdelivery",
    response={200: dict, **READ_ERRORS},
    summary="Document delivery figures across the consortium, with each member's",
)
def consortium_stats(request, params: Query[DocStatsParams]):
    require_consortium_admin(request.auth)
    _period(params)
    return stats.consortium_figures(start=params.from_, end=params.to)


@router.get(
    "/stats/docdelivery/fees",
    response={200: dict, **READ_ERRORS},
    summary="Fees and the consortium's subsidy per member, as borrower and as lender",
)
def fees_by_member(request, params: Query[DocStatsParams]):
    _period(params)
    figures = fees.subsidy_by_member(params.from_, params.to, by=request.auth)
    # Money as text with two places, as the database keeps it (JSON has no decimals).
    return {
        code: {
            key: str(value) if isinstance(value, Decimal) else value for key, value in row.items()
        }
        for code, row in figures.items()
    }
