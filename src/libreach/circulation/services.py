"""Writes of circulation: checkout, renewal, checkin and quarantine release.

Each service is one transaction; a refusal raises a DomainError before anything is
written, or rolls the transaction back, so a refused call changes nothing.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import ReaderProfile
from libreach.catalog.models import Item, ItemStatus
from libreach.circulation import policies, selectors
from libreach.circulation.models import Loan
from libreach.circulation.transitions import Trigger, allowed, apply
from libreach.consortium.models import Closure, Library
from libreach.consortium.selectors import next_open_day
from libreach.core.errors import Conflict, DomainError, NotFound, RuleViolation
from libreach.core.notify import queue_notice
from libreach.core.words import format_datetime_lazy, local_name_lazy


def _lock_item(item: Item) -> Item:
    # select_for_update serialises checkouts of one copy on PostgreSQL; on SQLite the
    # IMMEDIATE transaction mode (settings) already serialises every writer.
    # of=self: lock the copy only, not its library (which would queue every checkout
    # of the library behind each other on PostgreSQL).
    return Item.objects.select_for_update(of=("self",)).select_related("library").get(pk=item.pk)


def _sync(target: Item, source: Item) -> None:
    """Bring the caller's item object up to date with the row just written."""
    target.status = source.status
    target.quarantine_until = source.quarantine_until
    target.updated_at = source.updated_at


@transaction.atomic
def checkout(
    *,
    item: Item,
    reader: ReaderProfile,
    library_staff=None,
    at: dt.datetime | None = None,
) -> Loan:
    """Lend `item` to `reader` at the item's own library.

    `library_staff`, when given, must be staff of that library. Over the counter
    (item available) is refused while a closure that stops counter loans is on;
    the handover of a staged or in-transit contactless request goes on.
    """
    at = at or timezone.now()
    locked = _lock_item(item)
    library = locked.library
    if library_staff is not None:
        policies.require_can_lend(library_staff, library)
    # Lock the reader too, so two checkouts for one reader cannot both pass the count.
    reader = ReaderProfile.objects.select_for_update().get(pk=reader.pk)
    if not allowed(locked.status, Trigger.CHECKOUT):
        raise Conflict(
            _("Item %(barcode)s is %(status)s and cannot be lent."),
            code="invalid_transition",
            barcode=locked.barcode,
            status=locked.get_status_display(),
        )
    if not locked.loanable:
        raise RuleViolation(
            _("Item %(barcode)s is not for loan."), code="item_not_loanable", barcode=locked.barcode
        )
    today = timezone.localdate(at)
    if (
        locked.status == ItemStatus.AVAILABLE
        and Closure.objects.filter(
            library=library,
            lifted_at=None,
            stops_counter_loans=True,
            start_date__lte=today,
            end_date__gte=today,
        ).exists()
    ):
        raise RuleViolation(
            _("%(library)s is closed: no loans over the counter."),
            code="counter_closed",
            library=local_name_lazy(library),
        )
    policy = selectors.policy_for(library, reader.reader_type)
    if selectors.open_loan_count(reader) >= policy.max_open_loans:
        raise RuleViolation(
            _("The reader already has %(n)d loans open, the most allowed."),
            code="too_many_loans",
            n=policy.max_open_loans,
        )
    due_date = next_open_day(library, today + dt.timedelta(days=policy.loan_days))
    apply(locked, Trigger.CHECKOUT)
    try:
        with transaction.atomic():
            loan = Loan.objects.create(
                item=locked,
                reader=reader,
                library=library,
                checked_out_at=at,
                due_date=due_date,
            )
    except IntegrityError as exc:  # the partial unique constraint: already on loan
        raise Conflict(
            _("Item %(barcode)s is already on loan."),
            code="already_on_loan",
            barcode=locked.barcode,
        ) from exc
    _sync(item, locked)
    return loan


@transaction.atomic
def renew(
    *, loan: Loan, at: dt.datetime | None = None, by: policies.Actor = policies.SYSTEM
) -> Loan:
    """Extend an open loan by the policy's renewal period.

    The new due date counts from the current due date, not from today: Koha's default
    (RenewalPeriodBase = "old due date"), so renewing early never shortens a loan.
    An overdue loan cannot be renewed: it must come back (and its fine be counted).
    """
    at = at or timezone.now()
    locked = (
        Loan.objects.select_for_update(of=("self",))
        .select_related("library", "reader")
        .get(pk=loan.pk)
    )
    policies.require_can_renew(by, locked)
    policy = selectors.policy_for(locked.library, locked.reader.reader_type)
    refusal = selectors.renewal_refusal(locked, policy, timezone.localdate(at))
    if refusal is not None:
        raise refusal
    locked.due_date = next_open_day(
        locked.library, locked.due_date + dt.timedelta(days=policy.renewal_days)
    )
    locked.renewals += 1
    locked.save(update_fields=["due_date", "renewals"])
    loan.due_date, loan.renewals = locked.due_date, locked.renewals
    return locked


@dataclass
class RenewAllResult:
    renewed: list[Loan]
    refused: list[tuple[Loan, DomainError]]


@transaction.atomic
def renew_all(*, by: policies.Actor, at: dt.datetime | None = None) -> RenewAllResult:
    """Renew every open loan of the caller's card that the renewal rule allows.

    One transaction; each renewal is `renew` (its own savepoint), so a loan refused
    meanwhile (renewed elsewhere to its limit) is reported and the others still go.
    """
    at = at or timezone.now()
    result = RenewAllResult(renewed=[], refused=[])
    for line in selectors.reader_loan_lines(by, today=timezone.localdate(at)):
        if not line.renewable:
            continue
        try:
            result.renewed.append(renew(loan=line.loan, at=at, by=by))
        except DomainError as error:
            result.refused.append((line.loan, error))
    return result


def send_due_soon_notices(*, today: dt.date | None = None) -> int:
    """E-mail each reader whose open loans fall due within DUE_SOON_DAYS; return how
    many readers were told.

    Once per loan and due date: a loan is marked with the due date it was announced
    for, so running again sends nothing, and a renewed (or re-dated) loan is announced
    again when its new date comes near. One transaction per reader.
    """
    today = today or timezone.localdate()
    due = Loan.objects.filter(
        returned_at=None,
        due_date__gte=today,
        due_date__lte=today + dt.timedelta(days=selectors.DUE_SOON_DAYS),
    ).exclude(due_soon_notice_for=F("due_date"))
    told = 0
    for reader_id in sorted(set(due.values_list("reader_id", flat=True))):
        with transaction.atomic():
            loans = list(
                due.filter(reader_id=reader_id)
                .select_for_update(of=("self",))
                .select_related("item__record", "library", "reader__user")
                .order_by("due_date", "id")
            )
            if not loans:  # returned or told meanwhile
                continue
            Loan.objects.filter(pk__in=[loan.pk for loan in loans]).update(
                due_soon_notice_for=F("due_date")
            )
            queue_notice(
                user=loans[0].reader.user,
                template="loan_due_soon",
                context={
                    "loans": [
                        {
                            "title": loan.item.record.title,
                            "barcode": loan.item.barcode,
                            "due_date": loan.due_date.isoformat(),
                            "library": loan.library.name,
                            "library_en": loan.library.name_en,
                        }
                        for loan in loans
                    ],
                },
            )
            told += 1
    return told


@transaction.atomic
def checkin(*, item: Item, at_library, at: dt.datetime | None = None) -> Loan:
    """Take `item` back at `at_library` (any member library) and close its loan.

    The fine counts the overdue days on which the CHECKOUT library was open (see
    selectors.chargeable_days), whichever library takes the book back. The item is
    quarantined for the returning library's quarantine hours, where it now sits.
    """
    at = at or timezone.now()
    locked = _lock_item(item)
    loan = (
        Loan.objects.select_for_update(of=("self",))
        .select_related("library", "reader")
        .filter(item=locked, returned_at=None)
        .first()
    )
    if loan is None or not allowed(locked.status, Trigger.CHECKIN):
        raise Conflict(
            _("Item %(barcode)s is not on loan."), code="not_on_loan", barcode=locked.barcode
        )
    policy = selectors.policy_for(loan.library, loan.reader.reader_type)
    days = selectors.chargeable_days(loan.library, loan.due_date, timezone.localdate(at))
    hours = selectors.quarantine_hours(at_library)
    apply(
        locked,
        Trigger.CHECKIN,
        quarantine_until=at + dt.timedelta(hours=hours) if hours > 0 else None,
    )
    loan.returned_at = at
    loan.return_library = at_library
    loan.fine_fen = days * policy.fine_per_day_fen
    loan.save(update_fields=["returned_at", "return_library", "fine_fen"])
    _sync(item, locked)
    return loan


@transaction.atomic
def release_quarantined(*, now: dt.datetime | None = None) -> int:
    """Put back on the shelf every item whose quarantine has ended; one UPDATE.

    The scheduled job calls this; running it twice releases nothing the second time.
    """
    now = now or timezone.now()
    return Item.objects.filter(status=ItemStatus.QUARANTINED, quarantine_until__lte=now).update(
        status=ItemStatus.AVAILABLE, quarantine_until=None, updated_at=now
    )


@transaction.atomic
def release_item(*, item: Item, by, now: dt.datetime | None = None) -> Item:
    """Staff put one quarantined item back on the shelf before its quarantine ends."""
    locked = _lock_item(item)
    policies.require_can_manage_circulation(by, locked.library)
    if not allowed(locked.status, Trigger.RELEASE):
        raise Conflict(
            _("Item %(barcode)s is not in quarantine."),
            code="not_quarantined",
            barcode=locked.barcode,
        )
    apply(locked, Trigger.RELEASE)
    _sync(item, locked)
    return locked


@transaction.atomic
def release_scanned(*, library: Library, barcode: str, by, now: dt.datetime | None = None) -> Item:
    """The quarantine desk's scan: put a copy of `library` back on the shelf when its
    quarantine is over. Refused, changing nothing, when the copy is not here, not in
    quarantine, or still in it (releasing early is the board's button, a choice made
    with the row in view, not a scan's side effect)."""
    now = now or timezone.now()
    policies.require_can_manage_circulation(by, library)
    code = (barcode or "").strip()
    item = Item.objects.select_for_update(of=("self",)).filter(library=library, barcode=code)
    item = item.first()
    if item is None:
        raise NotFound(
            _("Library %(library)s has no item %(barcode)s."),
            code="item_not_found",
            library=local_name_lazy(library),
            barcode=code,
        )
    if not allowed(item.status, Trigger.RELEASE):
        raise Conflict(
            _("Item %(barcode)s is not in quarantine."),
            code="not_quarantined",
            barcode=item.barcode,
        )
    if item.quarantine_until is not None and item.quarantine_until > now:
        raise Conflict(
            _("Item %(barcode)s is in quarantine until %(until)s."),
            code="quarantine_not_over",
            barcode=item.barcode,
            until=format_datetime_lazy(item.quarantine_until),
        )
    apply(item, Trigger.RELEASE)
    return item
