"""Writes for the consortium's structure: libraries, buildings, service points, calendar."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from libreach.consortium import policies
from libreach.consortium.models import (
    Building,
    CalendarException,
    Library,
    OpeningHours,
    ReciprocalBorrowing,
    ServicePoint,
)
from libreach.consortium.policies import SYSTEM, Actor
from libreach.core.errors import Conflict
from libreach.core.validation import full_clean_or_raise


def _save_new(obj, clash, **params):
    """Save `obj`; `clash` (with `params`) says what already exists if the code is taken."""
    full_clean_or_raise(obj)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # a parallel request took the same code
        raise Conflict(clash, code="already_exists", **params) from exc
    return obj


@transaction.atomic
def create_library(*, code: str, name: str, name_en: str = "", by: Actor = SYSTEM) -> Library:
    policies.require_can_add_library(by)
    return _save_new(
        Library(code=code, name=name, name_en=name_en),
        _("Library %(library)s already exists."),
        library=code,
    )


@transaction.atomic
def create_building(*, library: Library, code: str, name: str, by: Actor = SYSTEM) -> Building:
    policies.require_can_manage_library(by, library)
    return _save_new(
        Building(library=library, code=code, name=name),
        _("Building %(building)s of %(library)s already exists."),
        building=code,
        library=library.code,
    )


@transaction.atomic
def create_service_point(
    *,
    library: Library,
    code: str,
    name: str,
    is_pickup: bool = False,
    slot_minutes: int | None = None,
    slot_capacity: int | None = None,
    by: Actor = SYSTEM,
) -> ServicePoint:
    policies.require_can_manage_library(by, library)
    point = ServicePoint(library=library, code=code, name=name, is_pickup=is_pickup)
    if slot_minutes is not None:
        point.slot_minutes = slot_minutes
    if slot_capacity is not None:
        point.slot_capacity = slot_capacity
    return _save_new(
        point,
        _("Service point %(point)s of %(library)s already exists."),
        point=code,
        library=library.code,
    )


@transaction.atomic
def set_weekly_hours(
    *,
    library: Library,
    hours: dict[int, list[tuple[dt.time, dt.time]]],
    service_point: ServicePoint | None = None,
    by: Actor = SYSTEM,
) -> list[OpeningHours]:
    """Replace the weekly hours: weekday (0 = Monday) -> list of (opens, closes)."""
    policies.require_can_manage_library(by, library)
    OpeningHours.objects.filter(library=library, service_point=service_point).delete()
    rows = []
    for weekday, spans in sorted(hours.items()):
        for opens, closes in spans:
            row = OpeningHours(
                library=library,
                service_point=service_point,
                weekday=weekday,
                opens=opens,
                closes=closes,
            )
            full_clean_or_raise(row)
            rows.append(row)
    return OpeningHours.objects.bulk_create(rows)


@transaction.atomic
def set_calendar_exception(
    *,
    library: Library,
    date: dt.date,
    is_closed: bool = True,
    opens: dt.time | None = None,
    closes: dt.time | None = None,
    reason: str = "",
    by: Actor = SYSTEM,
) -> CalendarException:
    policies.require_can_manage_library(by, library)
    row, _ = CalendarException.objects.update_or_create(
        library=library,
        date=date,
        defaults={"is_closed": is_closed, "opens": opens, "closes": closes, "reason": reason},
    )
    full_clean_or_raise(row, exclude=["library", "date"])
    return row


@transaction.atomic
def allow_reciprocal_borrowing(
    *, lender: Library, borrower_library: Library, by: Actor = SYSTEM
) -> ReciprocalBorrowing:
    """`lender` lends to readers of `borrower_library` directly (collected at the lender's
    pickup points); the lender's managers decide. Allowing it twice changes nothing."""
    policies.require_can_manage_library(by, lender)
    if lender.pk == borrower_library.pk:
        raise Conflict(_("A library lends to its own readers anyway."), code="same_library")
    rule, _created = ReciprocalBorrowing.objects.get_or_create(
        lender=lender, borrower_library=borrower_library
    )
    return rule
