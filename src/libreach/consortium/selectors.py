"""Reads: libraries, their places, and the opening calendar."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.consortium.models import (
    Building,
    CalendarException,
    Closure,
    Library,
    OpeningHours,
    ReciprocalBorrowing,
    ServicePoint,
)
from libreach.core.errors import NotFound


def library_by_code(code: str) -> Library:
    try:
        return Library.objects.get(code=code)
    except Library.DoesNotExist:
        raise NotFound(
            _("No library with code %(library)s."), code="library_not_found", library=repr(code)
        ) from None


def building_by_code(library: Library, code: str) -> Building:
    try:
        return Building.objects.get(library=library, code=code)
    except Building.DoesNotExist:
        raise NotFound(
            _("Library %(library)s has no building %(building)s."),
            code="building_not_found",
            library=library.code,
            building=repr(code),
        ) from None


def service_point_by_code(library: Library, code: str) -> ServicePoint:
    try:
        return ServicePoint.objects.get(library=library, code=code)
    except ServicePoint.DoesNotExist:
        raise NotFound(
            _("Library %(library)s has no service point %(point)s."),
            code="service_point_not_found",
            library=library.code,
            point=repr(code),
        ) from None


class OpeningCalendar:
    """A library's open and closed days over a span, loaded in three queries.

    Order of precedence: an unlifted closure, then an exception date, then weekly hours.
    """

    def __init__(self, library: Library, start: dt.date, end: dt.date):
        self.library = library
        self.start, self.end = start, end
        self.open_weekdays = set(
            OpeningHours.objects.filter(library=library, service_point=None).values_list(
                "weekday", flat=True
            )
        )
        self.exceptions = dict(
            CalendarException.objects.filter(
                library=library, date__gte=start, date__lte=end
            ).values_list("date", "is_closed")
        )
        self.closures = list(
            Closure.objects.filter(
                library=library, lifted_at=None, start_date__lte=end, end_date__gte=start
            ).values_list("start_date", "end_date")
        )

    def in_closure(self, day: dt.date) -> bool:
        return any(s <= day <= e for s, e in self.closures)

    def is_open(self, day: dt.date) -> bool:
        if self.in_closure(day):
            return False
        if day in self.exceptions:
            return not self.exceptions[day]
        return day.weekday() in self.open_weekdays


def next_open_day(library: Library, day: dt.date, *, horizon_days: int = 400) -> dt.date:
    """`day` if the library opens that day, else the first open day after it.

    A library with no open day within the horizon (no hours entered) keeps `day`:
    moving a due date into the unknown would be worse than leaving it.
    """
    calendar = OpeningCalendar(library, day, day + dt.timedelta(days=horizon_days))
    for offset in range(horizon_days + 1):
        candidate = day + dt.timedelta(days=offset)
        if calendar.is_open(candidate):
            return candidate
    return day


# Mondays to Fridays: the working week of a library that has entered no hours.
WORKING_WEEK = frozenset(range(5))


def add_working_days(library: Library, start: dt.datetime, days: int) -> dt.datetime:
    """The moment `days` open days of `library` after `start`, at the same time of day, in
    the site time zone (a lender's response window, counted on its own calendar).

    A start on a closed day counts from the next open day: a request sent on Saturday
    with one working day to answer is due on Tuesday at that time when Monday is open.
    Closures and calendar exceptions count as for loans (`OpeningCalendar`). A library
    that has entered no opening hours counts every weekday, Monday to Friday, as open
    (its exceptions and closures still count). Past about a year of closed days the
    remaining days are counted Monday to Friday, rather than never falling due.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    zone = timezone.get_default_timezone()
    local = timezone.localtime(start, zone) if timezone.is_aware(start) else start
    horizon = 400 + 7 * days
    first_day = local.date()
    calendar = OpeningCalendar(library, first_day, first_day + dt.timedelta(days=horizon))
    if not calendar.open_weekdays:
        calendar.open_weekdays = set(WORKING_WEEK)

    def is_open(day: dt.date) -> bool:
        if day > calendar.end:
            return day.weekday() in WORKING_WEEK
        return calendar.is_open(day)

    day = first_day
    while not is_open(day) and day <= calendar.end:
        day += dt.timedelta(days=1)
    for _counted in range(days):
        day += dt.timedelta(days=1)
        while not is_open(day):
            day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, local.time().replace(tzinfo=None)), zone)


def all_libraries() -> QuerySet[Library]:
    return Library.objects.order_by("code")


def buildings_of(library: Library) -> QuerySet[Building]:
    return Building.objects.filter(library=library).select_related("library").order_by("code")


def service_points_of(library: Library) -> QuerySet[ServicePoint]:
    return ServicePoint.objects.filter(library=library).select_related("library").order_by("code")


def lends_to(lender: Library, borrower_library_id: int) -> bool:
    """Whether `lender` has agreed to lend to readers of that library (one query)."""
    return ReciprocalBorrowing.objects.filter(
        lender=lender, borrower_library_id=borrower_library_id
    ).exists()


def lenders_to(borrower_library_id: int) -> list[int]:
    """The libraries that lend to readers of that library (ids; one query)."""
    return list(
        ReciprocalBorrowing.objects.filter(borrower_library_id=borrower_library_id).values_list(
            "lender_id", flat=True
        )
    )
