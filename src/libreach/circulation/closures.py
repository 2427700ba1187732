"""Writes that move many due dates at once: closures (Evergreen's "emergency closing")
and bulk extensions.

Rules common to both: only open loans of the CHECKOUT library move; a date only ever
moves later; each loan keeps its earliest `original_due_date`; each reader gets one
notice per run listing their loans.

Lifting a closure cancels it, as if it had not been declared: its days count as open
again for due dates and fines, and each loan it moved that is still open and still due
on the date the closure set goes back to its original due date (moved off a closed day).
A loan renewed or extended since keeps its date. If the original date is already past,
the loan would become overdue through no fault of the reader, so it is due on the next
open day from today instead (Evergreen restores the original date regardless).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from libreach.accounts.models import ReaderType
from libreach.circulation.models import BulkExtension, ClosureRedate, Loan
from libreach.circulation.policies import require_can_manage_circulation
from libreach.consortium.models import Closure, Library
from libreach.consortium.selectors import next_open_day
from libreach.core.errors import Conflict, RuleViolation
from libreach.core.lengths import require_fits
from libreach.core.notify import queue_notice

ONE_DAY = dt.timedelta(days=1)


# --- closures ---------------------------------------------------------------------


@transaction.atomic
def declare_closure(
    *,
    library: Library,
    start_date: dt.date,
    end_date: dt.date,
    reason: str = "",
    stops_counter_loans: bool = True,
    by,
) -> Closure:
    """Record a closure. Its loans are re-dated by `apply_closure` (the caller or the
    worker's "apply_closures" job), in batches that commit on their own."""
    _check_closure(library=library, start_date=start_date, end_date=end_date, reason=reason, by=by)
    return Closure.objects.create(
        library=library,
        start_date=start_date,
        end_date=end_date,
        reason=reason,
        stops_counter_loans=stops_counter_loans,
    )


def _check_closure(
    *, library: Library, start_date: dt.date, end_date: dt.date, reason: str, by
) -> None:
    """What declaring refuses, and so what its preview refuses too."""
    require_can_manage_circulation(by, library)
    if end_date < start_date:
        raise RuleViolation(
            _("The last closed day cannot come before the first."), code="closure_dates"
        )
    require_fits(Closure, "reason", reason)


def _loans_moved(
    library_id: int, start_date: dt.date, end_date: dt.date, new_due: dt.date
) -> QuerySet[Loan]:
    """The loans a closure of these days moves: the one rule that the preview reads and
    `apply_closure` writes, so they cannot disagree."""
    return Loan.objects.filter(
        library_id=library_id,
        returned_at=None,
        due_date__gte=start_date,
        due_date__lte=end_date,
        due_date__lt=new_due,  # only ever later
    )


def _to_redate(closure: Closure, new_due: dt.date) -> QuerySet[Loan]:
    return _loans_moved(closure.library_id, closure.start_date, closure.end_date, new_due).exclude(
        Exists(ClosureRedate.objects.filter(closure=closure, loan=OuterRef("pk")))
    )


def _due_date_after(library: Library, end_date: dt.date) -> dt.date:
    return next_open_day(library, end_date + ONE_DAY)


def closure_due_date(closure: Closure) -> dt.date:
    """Where a closure moves the loans due inside it: the first open day after it."""
    return _due_date_after(closure.library, closure.end_date)


# --- what a closure is on a given day, and what declaring one would change -------------


class ClosureState(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("closure state", "Scheduled")
    IN_FORCE = "in_force", pgettext_lazy("closure state", "In force")
    ENDED = "ended", pgettext_lazy("closure state", "Ended")
    LIFTED = "lifted", pgettext_lazy("closure state", "Lifted")


def closure_state(closure: Closure, today: dt.date) -> ClosureState:
    """Lifted, else by `today` (the library's date, `timezone.localdate()`): scheduled
    before its first day, in force from its first to its last day, ended after."""
    if closure.lifted_at is not None:
        return ClosureState.LIFTED
    if today < closure.start_date:
        return ClosureState.SCHEDULED
    if today <= closure.end_date:
        return ClosureState.IN_FORCE
    return ClosureState.ENDED


PREVIEW_SAMPLE = 10


@dataclass(frozen=True)
class DueDateMove:
    old_due_date: dt.date
    new_due_date: dt.date
    loans: int


@dataclass(frozen=True)
class ClosurePreview:
    """What `declare_closure` and `apply_closure` would do with these days, now."""

    start_date: dt.date
    end_date: dt.date
    new_due_date: dt.date
    loans: int
    readers: int
    moves: list[DueDateMove]  # by the due date they move from, the earliest first
    sample: list[Loan] = field(default_factory=list)  # the first few, to recognise
    stops_counter_loans: bool = True
    # Each moved loan as (id, due date before, due date after): what apply records.
    changes: frozenset[tuple[int, dt.date, dt.date]] = frozenset()

    @property
    def digest(self) -> str:
        """Names these days and exact changes: a page applies the closure it previewed."""
        return changes_digest(self.start_date, self.end_date, self.changes)


def changes_digest(
    start_date: dt.date, end_date: dt.date, changes: Iterable[tuple[int, dt.date, dt.date]]
) -> str:
    moves = ";".join(f"{loan}:{old}:{new}" for loan, old, new in sorted(changes))
    text = f"{start_date}..{end_date};{moves}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def preview_closure(
    *,
    library: Library,
    start_date: dt.date,
    end_date: dt.date,
    reason: str = "",
    stops_counter_loans: bool = True,
    by,
) -> ClosurePreview:
    """Read only: the loans a closure of these days would move, and to which day.
    Refuses what `declare_closure` would refuse. (`reason` and `stops_counter_loans`
    move no loan: taken so a form's data passes as it is, and checked or shown.)"""
    _check_closure(library=library, start_date=start_date, end_date=end_date, reason=reason, by=by)
    new_due = _due_date_after(library, end_date)
    loans = _loans_moved(library.pk, start_date, end_date, new_due)
    rows = list(loans.values_list("id", "due_date", "reader_id"))
    per_day: dict[dt.date, int] = defaultdict(int)
    for _id, due, _reader in rows:
        per_day[due] += 1
    sample = list(
        loans.select_related("item__record", "reader__user").order_by("due_date", "id")[
            :PREVIEW_SAMPLE
        ]
    )
    return ClosurePreview(
        start_date=start_date,
        end_date=end_date,
        new_due_date=new_due,
        loans=len(rows),
        readers=len({reader for _id, _due, reader in rows}),
        moves=[DueDateMove(day, new_due, n) for day, n in sorted(per_day.items())],
        sample=sample,
        changes=frozenset((loan_id, due, new_due) for loan_id, due, _reader in rows),
        stops_counter_loans=stops_counter_loans,
    )


def apply_closure(
    *, closure: Closure, batch_size: int = 500, now: dt.datetime | None = None
) -> int:
    """Move every open loan due inside `closure` to the first open day after it.

    Works in batches of about `batch_size` loans, each its own transaction, so an
    interrupted run resumes where it stopped: loans with a ClosureRedate for this
    closure are skipped. A batch never splits one reader's loans, so each reader gets
    one notice per run. Returns the number of loans moved (0 on a second run, and for
    a lifted closure).
    """
    now = now or timezone.now()
    closure = Closure.objects.select_related("library").get(pk=closure.pk)
    if closure.lifted_at is not None:
        return 0
    new_due = closure_due_date(closure)
    total = 0
    while True:
        moved = _apply_batch(closure, new_due, batch_size, now)
        total += moved
        if moved == 0:
            return total


@transaction.atomic
def _apply_batch(closure: Closure, new_due: dt.date, batch_size: int, now: dt.datetime) -> int:
    # Lifting takes this lock too: no batch runs half before, half after a lift.
    locked = Closure.objects.select_for_update().get(pk=closure.pk)
    if locked.lifted_at is not None:
        return 0
    pending = _to_redate(closure, new_due)
    rows = list(pending.order_by("reader_id", "id").values_list("id", "reader_id")[:batch_size])
    if not rows:
        return 0
    ids = {loan_id for loan_id, _ in rows}
    if len(rows) == batch_size:  # finish the last reader, for one notice per reader
        ids |= set(pending.filter(reader_id=rows[-1][1]).values_list("id", flat=True))
    loans = list(
        _to_redate(closure, new_due)
        .filter(pk__in=ids)
        .select_for_update(of=("self",))
        .select_related("item__record", "reader__user", "library")
        .order_by("id")
    )
    redates = []
    for loan in loans:
        redates.append(
            ClosureRedate(
                closure=closure,
                loan=loan,
                original_due_date=loan.due_date,
                new_due_date=new_due,
                processed_at=now,
            )
        )
        loan.original_due_date = loan.original_due_date or loan.due_date
        loan.due_date = new_due
    Loan.objects.bulk_update(loans, ["due_date", "original_due_date"])
    ClosureRedate.objects.bulk_create(redates)
    _notify(
        loans,
        template="closure_redated",
        old={r.loan_id: r.original_due_date for r in redates},
        extra={
            "closure_start": closure.start_date.isoformat(),
            "closure_end": closure.end_date.isoformat(),
            "reason": closure.reason,
        },
    )
    return len(loans)


def apply_open_closures(*, batch_size: int = 500) -> int:
    """The worker's "apply_closures" job: finish every unlifted closure that still has
    loans to re-date (a run interrupted by a crash, or loans the request left)."""
    total = 0
    for closure in Closure.objects.filter(lifted_at=None).select_related("library"):
        if _to_redate(closure, closure_due_date(closure)).exists():
            total += apply_closure(closure=closure, batch_size=batch_size)
    return total


@transaction.atomic
def lift_closure(*, closure: Closure, by, now: dt.datetime | None = None) -> int:
    """Cancel `closure` and restore the loans it moved (see the module's docstring).

    Returns the number of loans whose due date changed back.
    """
    now = now or timezone.now()
    require_can_manage_circulation(by, closure.library)
    locked = (
        Closure.objects.select_for_update(of=("self",)).select_related("library").get(pk=closure.pk)
    )
    if locked.lifted_at is not None:
        raise Conflict(_("This closure has already been lifted."), code="closure_lifted")
    locked.lifted_at = now
    locked.save(update_fields=["lifted_at"])
    closure.lifted_at = now
    library = locked.library
    today = timezone.localdate(now)
    # Computed after the lift, so the closure's own days count as open again.
    earliest = next_open_day(library, today)
    targets: dict[dt.date, dt.date] = {}

    redates = list(
        ClosureRedate.objects.filter(closure=locked, restored_at=None, loan__returned_at=None)
        .select_related("loan__item__record", "loan__reader__user", "loan__library")
        .order_by("loan_id")
    )
    loan_ids = [r.loan_id for r in redates]
    current = dict(
        Loan.objects.select_for_update().filter(pk__in=loan_ids).values_list("id", "due_date")
    )
    changed, old, touched = [], {}, []
    for redate in redates:
        loan = redate.loan
        loan.due_date = current[loan.pk]
        if loan.due_date != redate.new_due_date:
            continue  # renewed or extended since: the reader keeps that date
        if redate.original_due_date not in targets:
            targets[redate.original_due_date] = next_open_day(library, redate.original_due_date)
        target = max(targets[redate.original_due_date], earliest)
        redate.restored_at = now
        redate.restored_due_date = min(target, loan.due_date)  # a lift never lengthens
        touched.append(redate)
        if target < loan.due_date:
            old[loan.pk] = loan.due_date
            loan.due_date = target
            if loan.original_due_date == target:
                loan.original_due_date = None  # back where it started
            changed.append(loan)
    ClosureRedate.objects.bulk_update(touched, ["restored_at", "restored_due_date"])
    Loan.objects.bulk_update(changed, ["due_date", "original_due_date"])
    _notify(
        changed,
        template="closure_lifted",
        old=old,
        extra={
            "closure_start": locked.start_date.isoformat(),
            "closure_end": locked.end_date.isoformat(),
        },
    )
    return len(changed)


# --- bulk extension ---------------------------------------------------------------


def _extension_candidates(
    *,
    library: Library,
    by,
    reader_type: str | None,
    due_from: dt.date,
    due_to: dt.date,
    new_due_date: dt.date | None,
    now: dt.datetime,
) -> tuple[QuerySet[Loan], dt.date | None]:
    require_can_manage_circulation(by, library)
    if due_to < due_from:
        raise RuleViolation(_("The due range ends before it starts."), code="due_range")
    if reader_type and reader_type not in ReaderType.values:
        raise RuleViolation(
            _("Unknown reader type %(reader_type)s."),
            code="reader_type",
            reader_type=repr(reader_type),
        )
    target = None
    if new_due_date is not None:
        if new_due_date < timezone.localdate(now):
            raise RuleViolation(_("The new due date is in the past."), code="new_due_date_past")
        target = next_open_day(library, new_due_date)
    loans = Loan.objects.filter(
        library=library, returned_at=None, due_date__gte=due_from, due_date__lte=due_to
    )
    if reader_type:
        loans = loans.filter(reader__reader_type=reader_type)
    if target is not None:
        loans = loans.filter(due_date__lt=target)  # loans already due later stay
    return loans, target


def preview_bulk_extension(
    *,
    library: Library,
    by,
    reader_type: str | None = None,
    due_from: dt.date,
    due_to: dt.date,
    new_due_date: dt.date | None = None,
    now: dt.datetime | None = None,
) -> int:
    """How many loans `apply_bulk_extension` would move (all in the range without a
    new due date; with one, those due before it). Refuses what apply would refuse."""
    loans, _ = _extension_candidates(
        library=library,
        by=by,
        reader_type=reader_type,
        due_from=due_from,
        due_to=due_to,
        new_due_date=new_due_date,
        now=now or timezone.now(),
    )
    return loans.count()


@transaction.atomic
def apply_bulk_extension(
    *,
    library: Library,
    by,
    reader_type: str | None = None,
    due_from: dt.date,
    due_to: dt.date,
    new_due_date: dt.date,
    notify: bool = True,
    now: dt.datetime | None = None,
) -> int:
    """Move the library's open loans due in [due_from, due_to] (of one reader type, or
    all) to `new_due_date`, or the next open day after it. Loans already due on or after
    that day are left alone and not counted. Records a BulkExtension row."""
    now = now or timezone.now()
    loans, target = _extension_candidates(
        library=library,
        by=by,
        reader_type=reader_type,
        due_from=due_from,
        due_to=due_to,
        new_due_date=new_due_date,
        now=now,
    )
    locked = list(
        loans.select_for_update(of=("self",))
        .select_related("item__record", "reader__user", "library")
        .order_by("id")
    )
    old = {}
    for loan in locked:
        old[loan.pk] = loan.due_date
        loan.original_due_date = loan.original_due_date or loan.due_date
        loan.due_date = target
    Loan.objects.bulk_update(locked, ["due_date", "original_due_date"])
    BulkExtension.objects.create(
        library=library,
        by=by,
        created_at=now,
        reader_type=reader_type or "",
        due_from=due_from,
        due_to=due_to,
        new_due_date=target,
        count=len(locked),
    )
    if notify:
        _notify(locked, template="loans_extended", old=old, extra={})
    return len(locked)


# --- notices ----------------------------------------------------------------------


def _notify(loans: Iterable[Loan], *, template: str, old: dict[int, dt.date], extra: dict) -> None:
    """One notice per reader listing their loans; the context is plain JSON."""
    by_reader: dict[int, list[Loan]] = defaultdict(list)
    for loan in loans:
        by_reader[loan.reader_id].append(loan)
    for reader_loans in by_reader.values():
        first = reader_loans[0]
        queue_notice(
            user=first.reader.user,
            template=template,
            context={
                **extra,
                "library": first.library.name,
                "library_en": first.library.name_en,
                "loans": [
                    {
                        "barcode": loan.item.barcode,
                        "title": loan.item.record.title,
                        "old_due_date": old[loan.pk].isoformat(),
                        "due_date": loan.due_date.isoformat(),
                    }
                    for loan in reader_loans
                ],
            },
        )
