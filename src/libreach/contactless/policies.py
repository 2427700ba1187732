"""Who may do what in contactless borrowing: the one place that answers it, called by
services and selectors so pages, API and commands agree. What a role may do to a
request in a given state is the transition table's (`transitions.actions`); this module
says which role the caller has."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from libreach.accounts import policies as accounts_policies
from libreach.accounts.models import StaffRole
from libreach.accounts.selectors import is_staff_of, roles_at
from libreach.consortium.selectors import lenders_to, lends_to
from libreach.contactless.models import BorrowRequest, Mode
from libreach.contactless.transitions import READER, STAFF, VOLUNTEER
from libreach.core import words
from libreach.core.errors import NotAuthenticated, NotFound, PermissionDenied, RuleViolation


def role_for(user, request: BorrowRequest) -> str:
    """What `user` is to `request`: READER (its own), STAFF, VOLUNTEER (on its run).

    Anyone else may not see the request: NotFound, as for a request that does not exist.
    """
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if is_staff_of(user, request.library):
        return STAFF
    if request.reader.user_id == user.pk:
        return READER
    if (
        is_volunteer(user, request.library)
        and request.run_id is not None
        and request.run.assignee_id == user.pk
    ):
        return VOLUNTEER
    raise NotFound(_("No such borrow request."), code="request_not_found")


# The refusal for each action services name, whole sentences so they translate well.
_MAY_NOT = {
    "pick": _("You may not pick this request."),
    "disinfect": _("You may not disinfect this request."),
    "stage": _("You may not stage this request."),
    "dispatch": _("You may not dispatch this request."),
    "hand over": _("You may not hand over this request."),
    "cancel": _("You may not cancel this request."),
    "book a slot for": _("You may not book a slot for this request."),
}


def require(role: str, allowed: set[str], action: str) -> None:
    if role not in allowed:
        if action in _MAY_NOT:
            raise PermissionDenied(_MAY_NOT[action])
        raise PermissionDenied(_("You may not %(action)s this request."), action=action)


def require_staff(user, library) -> None:
    """Staff of `library` (the desk's work: picking, runs, slips, check-in); else 401/403."""
    accounts_policies.require_staff(user, library)


def is_volunteer(user, library) -> bool:
    return StaffRole.VOLUNTEER in roles_at(user, library)


def may_see_runs(user, library) -> bool:
    """Staff see every run of the library; a volunteer the runs given to them."""
    return is_staff_of(user, library) or is_volunteer(user, library)


def may_see_run(user, run) -> bool:
    return is_staff_of(user, run.library) or (
        run.assignee_id == user.pk and is_volunteer(user, run.library)
    )


def may_deliver(user, library) -> bool:
    """Who may be given a delivery run: the library's staff and volunteers."""
    return may_see_runs(user, library)


def slot_invitation_roles() -> frozenset[str]:
    # The reader and staff get the pickup slot's invitation; a volunteer has no use for it.
    return frozenset({READER, STAFF})


# --- what the reader already has (one rule for the basket, the record page, submission) --


@dataclass(frozen=True)
class Held:
    """What a reader has now: copies on loan and copies held by their open requests
    (selectors.held_by reads it in two queries)."""

    loans: tuple[tuple[int, int, dt.date], ...]  # (item, record, due date)
    lines: tuple[tuple[str, int, int | None, int], ...]  # (level, record, item, request)

    def __len__(self) -> int:
        return len(self.loans) + len(self.lines)


@dataclass(frozen=True)
class AlreadyHas:
    """Why a book would be asked for twice: on loan to the reader until `due_date`, or
    held for them by their open request `request_id`."""

    title: str
    due_date: dt.date | None = None
    request_id: int | None = None


def already_has(held: Held, record, item=None) -> AlreadyHas | None:
    """A copy (`item`) is the reader's already when it is on loan to them or held by one of
    their open requests. A record ("any copy") is when any copy of it is: asking for a
    named copy of a work they have is how readers get volume 2 after volume 1 (一种两册),
    asking for any copy is not."""
    if item is not None:
        due = next((d for i, _r, d in held.loans if i == item.pk), None)
        request = next((q for _l, _r, i, q in held.lines if i == item.pk), None)
    else:
        due = next((d for _i, r, d in held.loans if r == record.pk), None)
        request = next((q for _l, r, _i, q in held.lines if r == record.pk), None)
    if due is not None:
        return AlreadyHas(title=record.title, due_date=due)
    if request is not None:
        return AlreadyHas(title=record.title, request_id=request)
    return None


def require_not_had(held: Held, record, item=None) -> None:
    had = already_has(held, record, item)
    if had is None:
        return
    if had.due_date is not None:
        raise RuleViolation(
            _("You have 《%(title)s》 on loan until %(due)s."),
            code="duplicate_line",
            title=had.title,
            due=words.format_date_lazy(had.due_date),
        )
    raise RuleViolation(
        _("《%(title)s》 is already in your request #%(request)s."),
        code="duplicate_line",
        title=had.title,
        request=had.request_id,
    )


# --- whose books a reader may ask for (the consortium rule) --------------------------------

# A reader asks their own library for its books. Another member's books come through
# document delivery (the reader's library asks the lender), unless the lender has agreed
# to lend to readers of the reader's library (consortium.ReciprocalBorrowing): then the
# reader asks the lender directly and collects at the lender's pickup points, since the
# lender delivers only to its own readers' buildings.
HOME = "home"
RECIPROCAL = "reciprocal"
DOCUMENT_DELIVERY = "document_delivery"


def lending_terms(reader, library) -> str:
    """HOME, RECIPROCAL or DOCUMENT_DELIVERY: how `reader` may borrow `library`'s books."""
    if reader.library_id == library.pk:
        return HOME
    if lends_to(library, reader.library_id):
        return RECIPROCAL
    return DOCUMENT_DELIVERY


def lending_library_ids(reader) -> set[int]:
    """Every library `reader` may ask for books directly: theirs, and those with a
    reciprocal-borrowing rule for its readers (one query)."""
    return {reader.library_id, *lenders_to(reader.library_id)}


def require_may_request(reader, library, mode: str | None = None) -> str:
    """The reader may ask `library` for books (in `mode`, when given); else 403 or 422."""
    terms = lending_terms(reader, library)
    if terms == DOCUMENT_DELIVERY:
        raise PermissionDenied(
            _(
                "%(lender)s lends its books to readers of %(library)s through document "
                "delivery: ask your own library for them."
            ),
            code="document_delivery_only",
            lender=words.local_name_lazy(library),
            library=words.local_name_lazy(reader.library),
        )
    if terms == RECIPROCAL and mode == Mode.DELIVERY:
        raise RuleViolation(
            _(
                "Readers of %(library)s collect books of %(lender)s at its pickup points: "
                "choose a pickup."
            ),
            code="delivery_not_allowed",
            lender=words.local_name_lazy(library),
            library=words.local_name_lazy(reader.library),
        )
    return terms
