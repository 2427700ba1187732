"""Circulation routes: closures, bulk extension, and a reader's own loans."""

import datetime as dt
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from libreach.circulation import closures, selectors, services
from libreach.consortium.models import Closure
from libreach.consortium.selectors import library_by_code
from libreach.core import lengths
from libreach.core.errors import RuleViolation
from libreach.core.schemas import READ_ERRORS, WRITE_ERRORS, Day

router = Router(tags=["circulation"])

ReaderTypeIn = Literal["undergraduate", "graduate", "faculty", "staff"]


class ClosureIn(Schema):
    start_date: Day
    end_date: Day
    reason: str = lengths.schema_field("consortium.Closure", "reason", "")
    stops_counter_loans: bool = True


class ClosureOut(Schema):
    id: int
    library: str = Field(alias="library.code")
    start_date: dt.date
    end_date: dt.date
    reason: str
    stops_counter_loans: bool
    created_at: dt.datetime
    lifted_at: dt.datetime | None
    loans_redated: int = 0
    loans_restored: int = 0
    state: Literal["scheduled", "in_force", "ended", "lifted"] = Field(
        description="By the library's date today: lifted, else before, within or after its days."
    )

    @staticmethod
    def resolve_state(obj) -> str:
        return closures.closure_state(obj, timezone.localdate()).value


class DueDateMoveOut(Schema):
    old_due_date: dt.date
    new_due_date: dt.date
    loans: int


class PreviewLoanOut(Schema):
    id: int
    barcode: str = Field(alias="item.barcode")
    title: str = Field(alias="item.record.title")
    card_number: str = Field(alias="reader.card_number")
    due_date: dt.date


class ClosurePreviewOut(Schema):
    start_date: dt.date
    end_date: dt.date
    new_due_date: dt.date = Field(description="Where every loan due inside it moves.")
    loans: int
    readers: int
    moves: list[DueDateMoveOut]
    sample: list[PreviewLoanOut] = Field(description="The first loans, by due date.")
    state: Literal["scheduled", "in_force", "ended"]
    digest: str = Field(description="Names these days and exact changes.")


class BulkExtensionIn(Schema):
    reader_type: ReaderTypeIn | None = None
    due_from: Day
    due_to: Day
    new_due_date: Day
    preview: bool = False


class BulkExtensionOut(Schema):
    count: int
    applied: bool


class LoanOut(Schema):
    id: int
    barcode: str = Field(alias="item.barcode")
    title: str = Field(alias="item.record.title")
    library: str = Field(alias="library.code")
    checked_out_at: dt.datetime
    due_date: dt.date
    original_due_date: dt.date | None
    renewals: int


class LoansParams(Schema):
    mine: bool = True


@router.get(
    "/libraries/{lib}/closures",
    response={200: list[ClosureOut], **READ_ERRORS},
    summary="A library's closures, the latest first",
)
def list_closures(request, lib: str):
    library = library_by_code(lib)
    return list(selectors.closures_of(library, by=request.auth).select_related("library"))


@router.post(
    "/libraries/{lib}/closures",
    response={201: ClosureOut, **WRITE_ERRORS},
    summary="Declare a closure and re-date the loans due inside it",
)
def declare_closure(request, lib: str, payload: ClosureIn):
    library = library_by_code(lib)
    closure = closures.declare_closure(library=library, by=request.auth, **payload.dict())
    # Synchronous: the answer tells staff how many loans moved. Each batch commits on
    # its own, and the worker's "apply_closures" job finishes a run cut short.
    closures.apply_closure(closure=closure)
    return Status(201, selectors.closure_of(library, closure.pk, by=request.auth))


@router.post(
    "/libraries/{lib}/closures/preview",
    response={200: ClosurePreviewOut, **WRITE_ERRORS},
    summary="What declaring this closure would change now; changes nothing",
)
def preview_closure(request, lib: str, payload: ClosureIn):
    library = library_by_code(lib)
    preview = closures.preview_closure(library=library, by=request.auth, **payload.dict())
    state = closures.closure_state(
        Closure(start_date=preview.start_date, end_date=preview.end_date), timezone.localdate()
    )
    return {**vars(preview), "state": state.value, "digest": preview.digest}


@router.post(
    "/libraries/{lib}/closures/{closure_id}/lift",
    response={200: ClosureOut, **WRITE_ERRORS},
    summary="Lift a closure and restore the due dates it moved",
)
def lift_closure(request, lib: str, closure_id: int):
    library = library_by_code(lib)
    closure = selectors.closure_of(library, closure_id, by=request.auth)
    closures.lift_closure(closure=closure, by=request.auth)
    return selectors.closure_of(library, closure_id, by=request.auth)


@router.post(
    "/libraries/{lib}/loans/bulk-extension",
    response={200: BulkExtensionOut, **WRITE_ERRORS},
    summary="Extend the loans due in a date range (preview: count them only)",
)
def bulk_extension(request, lib: str, payload: BulkExtensionIn):
    library = library_by_code(lib)
    args = {
        "library": library,
        "by": request.auth,
        "reader_type": payload.reader_type,
        "due_from": payload.due_from,
        "due_to": payload.due_to,
        "new_due_date": payload.new_due_date,
    }
    if payload.preview:
        return {"count": closures.preview_bulk_extension(**args), "applied": False}
    return {"count": closures.apply_bulk_extension(**args), "applied": True}


@router.get(
    "/loans",
    response={200: list[LoanOut], **READ_ERRORS, 422: READ_ERRORS[401]},
    summary="The caller's open loans, the first due first",
)
def my_loans(request, params: Query[LoansParams]):
    if not params.mine:
        raise RuleViolation(
            _("Only your own loans are listed here (mine=true); staff see loans at the desk."),
            code="mine_only",
        )
    return selectors.own_open_loans(request.auth)


@router.post(
    "/loans/{loan_id}/renew",
    response={200: LoanOut, **WRITE_ERRORS},
    summary="Renew a loan (its reader, or staff of the library that lent it)",
)
def renew_loan(request, loan_id: int):
    loan = selectors.loan_for(request.auth, loan_id)
    services.renew(loan=loan, by=request.auth)
    return selectors.loan_for(request.auth, loan_id)
