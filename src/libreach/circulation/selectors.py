"""Reads: loan policies, open loans, and the calendar arithmetic of due dates and fines."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import ReaderProfile
from libreach.catalog.models import Item, ItemStatus
from libreach.circulation import policies
from libreach.circulation.models import BulkExtension, CirculationSettings, Loan, LoanPolicy
from libreach.consortium.models import Closure, Library
from libreach.consortium.selectors import OpeningCalendar
from libreach.core.errors import Conflict, DomainError, NotFound, RuleViolation

# Used when a library has configured nothing: Koha-like defaults for a Chinese academic
# library — four weeks, two renewals of four weeks, ten volumes, 0.10 yuan a day
# (10 fen), a request held a week.
DEFAULT_POLICY = {
    "loan_days": 30,
    "max_renewals": 2,
    "renewal_days": 30,
    "max_open_loans": 10,
    "fine_per_day_fen": 10,
    "hold_days": 7,
}


def policy_for(library: Library, reader_type: str) -> LoanPolicy:
    """The policy for a reader type at a library, in one query.

    Order: the library's row for that reader type, else its row with an empty reader
    type, else an unsaved LoanPolicy with DEFAULT_POLICY.
    """
    rows = {
        p.reader_type: p
        for p in LoanPolicy.objects.filter(library=library, reader_type__in=[reader_type, ""])
    }
    return rows.get(reader_type) or rows.get("") or LoanPolicy(library=library, **DEFAULT_POLICY)


def policies_for(library_ids: set[int], reader_type: str) -> dict[int, LoanPolicy]:
    """`policy_for` of each library for one reader type, in one query whatever the count."""
    rows: dict[tuple[int, str], LoanPolicy] = {
        (p.library_id, p.reader_type): p
        for p in LoanPolicy.objects.filter(
            library_id__in=library_ids, reader_type__in=[reader_type, ""]
        )
    }
    return {
        lib: rows.get((lib, reader_type))
        or rows.get((lib, ""))
        or LoanPolicy(library_id=lib, **DEFAULT_POLICY)
        for lib in library_ids
    }


def renewal_refusal(loan: Loan, policy: LoanPolicy, today: dt.date) -> DomainError | None:
    """Why `loan` cannot be renewed on `today` under `policy`, or None if it can.

    The one statement of the renewal rule: services.renew raises what this returns, and
    the reader's loans page shows it beside a loan before anyone presses Renew.
    """
    if loan.returned_at is not None:
        return Conflict(_("This loan has ended."), code="loan_closed")
    if loan.renewals >= policy.max_renewals:
        return RuleViolation(
            _("This loan has been renewed %(n)d times, the most allowed."),
            code="too_many_renewals",
            n=loan.renewals,
        )
    if today > loan.due_date:
        return RuleViolation(_("An overdue loan cannot be renewed."), code="loan_overdue")
    return None


# A loan due within this many days (today included) is "due soon": the banner on the
# reader's pages and the e-mail notice. No library setting exists for it; three days
# leave time to renew online or bring the book back on an open day around a weekend.
DUE_SOON_DAYS = 3


@dataclass
class LoanLine:
    """One open loan as its reader sees it: when it is due and whether it may be renewed."""

    loan: Loan
    days_left: int  # negative: overdue by that many days
    max_renewals: int
    refusal: DomainError | None

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def overdue_days(self) -> int:
        return max(0, -self.days_left)

    @property
    def due_soon(self) -> bool:
        return 0 <= self.days_left <= DUE_SOON_DAYS

    @property
    def renewable(self) -> bool:
        return self.refusal is None


def reader_loan_lines(user: policies.Actor, *, today: dt.date | None = None) -> list[LoanLine]:
    """The caller's open loans, the first due first, each with its renewal verdict.

    Three queries however many loans: the card, the loans, the policies of their
    libraries. Dates are the libraries' (the site's time zone).
    """
    policies.require_can_list_own_loans(user)
    today = today or timezone.localdate()
    reader = ReaderProfile.objects.filter(user_id=user.pk).first()
    if reader is None:
        return []
    loans = list(open_loans_of(reader))
    rules = policies_for({loan.library_id for loan in loans}, reader.reader_type)
    return [
        LoanLine(
            loan=loan,
            days_left=(loan.due_date - today).days,
            max_renewals=rules[loan.library_id].max_renewals,
            refusal=renewal_refusal(loan, rules[loan.library_id], today),
        )
        for loan in loans
    ]


def loan_history_of(user: policies.Actor) -> QuerySet[Loan]:
    """The caller's returned loans, the latest returned first (theirs alone)."""
    policies.require_can_list_own_loans(user)
    return (
        Loan.objects.filter(reader__user_id=user.pk, returned_at__isnull=False)
        .select_related("item__record", "library", "return_library")
        .order_by("-returned_at", "-id")
    )


def due_soon_counts(user: policies.Actor, *, today: dt.date | None = None) -> dict[str, int]:
    """How many of the caller's open loans are overdue, and how many are due within
    DUE_SOON_DAYS (today included): one query, for the banner on every reader page."""
    if not getattr(user, "is_authenticated", False):
        return {"overdue": 0, "due_soon": 0}
    today = today or timezone.localdate()
    return Loan.objects.filter(
        reader__user_id=user.pk,
        returned_at=None,
        due_date__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
    ).aggregate(
        overdue=Count("pk", filter=Q(due_date__lt=today)),
        due_soon=Count("pk", filter=Q(due_date__gte=today)),
    )


def own_loan(user: policies.Actor, loan_id: int) -> Loan:
    """The caller's own loan, for the reader's pages; to anyone else, staff included,
    it does not exist (the desk has its own ways to a loan)."""
    policies.require_can_list_own_loans(user)
    loan = (
        Loan.objects.select_related("item__record", "library", "reader")
        .filter(pk=loan_id, reader__user_id=user.pk)
        .first()
    )
    if loan is None:
        raise NotFound(_("No loan %(id)s."), code="loan_not_found", id=loan_id)
    return loan


def quarantine_hours(library: Library) -> int:
    row = CirculationSettings.objects.filter(library=library).values_list(
        "quarantine_hours", flat=True
    )
    return next(iter(row), 0)


def own_open_loans(user: policies.Actor) -> list[Loan]:
    """The caller's open loans (none if the caller has no library card)."""
    policies.require_can_list_own_loans(user)
    reader = ReaderProfile.objects.filter(user_id=user.pk).first()
    return [] if reader is None else list(open_loans_of(reader))


def open_loans_of(reader: ReaderProfile) -> QuerySet[Loan]:
    return (
        Loan.objects.filter(reader=reader, returned_at=None)
        .select_related("item", "item__record", "library")
        .order_by("due_date", "id")
    )


def open_loan_count(reader: ReaderProfile) -> int:
    return Loan.objects.filter(reader=reader, returned_at=None).count()


def open_loan_of_item(item: Item) -> Loan | None:
    return Loan.objects.filter(item=item, returned_at=None).first()


def quarantined_items(library: Library, *, by: policies.Actor) -> QuerySet[Item]:
    """The staff board: quarantined items of a library, the first to free first."""
    policies.require_can_manage_circulation(by, library)
    return (
        Item.objects.filter(library=library, status=ItemStatus.QUARANTINED)
        .select_related("record")
        .order_by("quarantine_until", "barcode")
    )


def chargeable_days(library: Library, due_date: dt.date, returned_on: dt.date) -> int:
    """Overdue days the fine counts: days after `due_date` up to `returned_on` on which
    `library` (the checkout library) was open.

    Closed weekdays, exception dates and unlifted closures are never charged. A library
    with no weekly hours entered at all counts every day that is not an exception or
    a closure, so leaving the hours empty does not silently waive every fine.
    """
    if returned_on <= due_date:
        return 0
    first = due_date + dt.timedelta(days=1)
    calendar = OpeningCalendar(library, first, returned_on)
    if not calendar.open_weekdays:
        calendar.open_weekdays = set(range(7))
    return sum(
        calendar.is_open(first + dt.timedelta(days=n))
        for n in range((returned_on - first).days + 1)
    )


def closures_of(library: Library, *, by: policies.Actor) -> QuerySet[Closure]:
    """A library's closures, the latest first, with how many loans each moved and put back."""
    policies.require_can_manage_circulation(by, library)
    return (
        Closure.objects.filter(library=library)
        .annotate(
            loans_redated=Count("redates"),
            loans_restored=Count("redates", filter=Q(redates__restored_at__isnull=False)),
        )
        .order_by("-start_date", "-id")
    )


def closure_of(library: Library, closure_id: int, *, by: policies.Actor) -> Closure:
    closure = closures_of(library, by=by).filter(pk=closure_id).select_related("library").first()
    if closure is None:
        raise NotFound(
            _("Library %(library)s has no closure %(id)s."),
            code="closure_not_found",
            library=library.code,
            id=closure_id,
        )
    return closure


def bulk_extensions_of(library: Library, *, by: policies.Actor) -> QuerySet[BulkExtension]:
    policies.require_can_manage_circulation(by, library)
    return BulkExtension.objects.filter(library=library).select_related("by")


def loan_for(user, loan_id: int) -> Loan:
    """A loan its reader, the checkout library's staff or a consortium admin may see.

    Anyone else gets NotFound, as if it did not exist.
    """
    loan = (
        Loan.objects.select_related("item__record", "library", "reader__user")
        .filter(pk=loan_id)
        .first()
    )
    if loan is None:
        raise NotFound(_("No loan %(id)s."), code="loan_not_found", id=loan_id)
    policies.require_can_see_loan(user, loan)
    return loan


def quarantine_due_counts(
    libraries: list[Library], *, until: dt.datetime, by: policies.Actor
) -> dict[int, int]:
    """Per library (by id): its quarantined copies whose quarantine ends before `until`
    (the desk home passes the end of today), those already past it included, which the
    scheduled release has not put back yet. One query, whatever the number of libraries."""
    for library in libraries:
        policies.require_can_manage_circulation(by, library)
    rows = (
        Item.objects.filter(
            library__in=libraries, status=ItemStatus.QUARANTINED, quarantine_until__lt=until
        )
        .order_by()
        .values("library_id")
        .annotate(n=Count("id"))
        .values_list("library_id", "n")
    )
    return dict(rows)
