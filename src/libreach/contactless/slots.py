"""Pickup slots: a service point's opening hours cut into slots of `slot_minutes`, each
with `slot_capacity` seats.

Booking locks the service point's row and takes the lowest free seat; the unique
(service point, slot start, seat) constraint is the last guard, so capacity holds under
concurrent bookings on both databases (Koha's count-then-insert races; this does not).
Closures do not close slots: pickup at the door is what goes on while a building is shut.
Exception dates marked closed do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.consortium.models import CalendarException, OpeningHours, ServicePoint
from libreach.contactless.models import BorrowRequest, SlotBooking
from libreach.core.errors import Conflict, RuleViolation
from libreach.core.words import format_datetime_lazy, local_name

# How far ahead a reader may book.
BOOKING_HORIZON_DAYS = 14


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


def slots_between(service_point: ServicePoint, first: dt.date, last: dt.date) -> dict:
    """Every slot from `first` to `last` (inclusive) at `service_point`, by day, with how
    many seats are booked: three queries however many days."""
    tz = timezone.get_current_timezone()
    length = dt.timedelta(minutes=service_point.slot_minutes)
    closed = set(
        CalendarException.objects.filter(
            library_id=service_point.library_id, date__gte=first, date__lte=last, is_closed=True
        ).values_list("date", flat=True)
    )
    own: dict[int, list] = {}
    library: dict[int, list] = {}
    for point_id, weekday, opens, closes in OpeningHours.objects.filter(
        library_id=service_point.library_id
    ).values_list("service_point_id", "weekday", "opens", "closes"):
        if point_id == service_point.pk:
            own.setdefault(weekday, []).append((opens, closes))
        elif point_id is None:
            library.setdefault(weekday, []).append((opens, closes))
    starts_by_day: dict[dt.date, list[dt.datetime]] = {}
    day = first
    while day <= last:
        # The service point's own hours that weekday, else its library's.
        hours = [] if day in closed else own.get(day.weekday()) or library.get(day.weekday(), [])
        starts = []
        for opens, closes in sorted(hours):
            start = dt.datetime.combine(day, opens, tzinfo=tz)
            end_of_hours = dt.datetime.combine(day, closes, tzinfo=tz)
            while start + length <= end_of_hours:
                starts.append(start)
                start += length
        starts_by_day[day] = starts
        day += dt.timedelta(days=1)
    span_start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    span_end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    booked = dict(
        SlotBooking.objects.filter(
            service_point=service_point, slot_start__gte=span_start, slot_start__lt=span_end
        )
        .values_list("slot_start")
        .annotate(n=Count("pk"))
        .values_list("slot_start", "n")
    )
    return {
        day: [
            Slot(
                start=s,
                end=s + length,
                capacity=service_point.slot_capacity,
                booked=booked.get(s, 0),
            )
            for s in starts
        ]
        for day, starts in starts_by_day.items()
    }


def slots_on(service_point: ServicePoint, day: dt.date) -> list[Slot]:
    """Every slot of `day` at `service_point`, with how many seats are booked."""
    return slots_between(service_point, day, day)[day]


def _valid_start(service_point: ServicePoint, slot_start: dt.datetime, at: dt.datetime) -> None:
    if timezone.is_naive(slot_start):
        raise RuleViolation(
            _("Give the slot's start with its time zone offset."), code="invalid_slot"
        )
    local = timezone.localtime(slot_start)
    if slot_start <= at:
        raise RuleViolation(_("That slot has already begun."), code="slot_in_past")
    if local.date() > timezone.localdate(at) + dt.timedelta(days=BOOKING_HORIZON_DAYS):
        raise RuleViolation(
            _("Slots can be booked at most %(n)d days ahead."),
            code="slot_too_far",
            n=BOOKING_HORIZON_DAYS,
        )
    if not any(s.start == local for s in slots_on(service_point, local.date())):
        raise RuleViolation(
            _("%(start)s is not the start of a pickup slot at %(point)s."),
            code="invalid_slot",
            start=format_datetime_lazy(local),
            point=service_point.name,
        )


def book(*, request: BorrowRequest, slot_start: dt.datetime, at: dt.datetime | None = None):
    """Book (or move) the request's seat in a slot of its service point."""
    at = at or timezone.now()
    with transaction.atomic():
        service_point = ServicePoint.objects.select_for_update().get(pk=request.service_point_id)
        if not service_point.is_pickup:
            raise RuleViolation(
                _("%(point)s is not a pickup point."),
                code="not_a_pickup_point",
                point=service_point.name,
            )
        _valid_start(service_point, slot_start, at)
        SlotBooking.objects.filter(request=request).delete()
        taken = set(
            SlotBooking.objects.filter(
                service_point=service_point, slot_start=slot_start
            ).values_list("seat", flat=True)
        )
        free = [n for n in range(1, service_point.slot_capacity + 1) if n not in taken]
        if not free:
            raise Conflict(_("That pickup slot is full: choose another."), code="slot_full")
        try:
            with transaction.atomic():
                return SlotBooking.objects.create(
                    service_point=service_point,
                    slot_start=slot_start,
                    seat=free[0],
                    request=request,
                    booked_at=at,
                )
        except IntegrityError as exc:
            raise Conflict(
                _("That pickup slot is full: choose another."), code="slot_full"
            ) from exc


def release(request: BorrowRequest) -> None:
    SlotBooking.objects.filter(request=request).delete()


def ics_for(request: BorrowRequest) -> bytes:
    """An iCalendar invitation for the request's booked slot."""
    from icalendar import Calendar, Event

    booking = request.slot_booking
    service_point = booking.service_point
    calendar = Calendar()
    calendar.add("prodid", "-//libreach//contactless pickup//ZH")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"libreach-request-{request.pk}-slot@{request.library.code.lower()}")
    event.add("dtstamp", booking.booked_at)
    event.add("dtstart", booking.slot_start)
    event.add("dtend", booking.slot_start + dt.timedelta(minutes=service_point.slot_minutes))
    # In the language of the page it is downloaded from, as the page is.
    library = local_name(request.library)
    event.add("summary", _("Book pickup: %(library)s") % {"library": library})
    event.add("location", f"{library} {service_point.name}")
    event.add(
        "description",
        f"{_('Pickup code')}: {request.pickup_code}\n"
        f"{_('Shelf slot')}: {request.shelf_slot or request.queue_number}",
    )
    calendar.add_component(event)
    return calendar.to_ical()
