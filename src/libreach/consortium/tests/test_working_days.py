"""add_working_days: a lender's response window counted on its own calendar."""

import datetime as dt

import pytest
from django.utils import timezone

from libreach.consortium.models import Closure
from libreach.consortium.selectors import add_working_days
from libreach.consortium.services import create_library, set_calendar_exception, set_weekly_hours

NINE, FIVE = dt.time(9), dt.time(17)
# 2026-12-04 is a Friday.
FRIDAY = dt.date(2026, 12, 4)


def at(day: dt.date, hour: int = 10, minute: int = 30) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def day(offset: int) -> dt.date:
    return FRIDAY + dt.timedelta(days=offset)


@pytest.fixture
def library(db):
    library = create_library(code="PKU", name="北京大学图书馆")
    set_weekly_hours(library=library, hours={d: [(NINE, FIVE)] for d in range(5)})
    return library


def test_one_day_from_friday_is_monday_same_time(library):
    assert add_working_days(library, at(FRIDAY), 1) == at(day(3))


def test_two_days_from_thursday_skip_the_weekend(library):
    assert add_working_days(library, at(day(-1)), 2) == at(day(3))


def test_zero_days_is_the_moment_itself_on_an_open_day(library):
    assert add_working_days(library, at(FRIDAY), 0) == at(FRIDAY)


def test_a_start_on_a_closed_day_counts_from_the_next_open_day(library):
    saturday = day(1)
    assert add_working_days(library, at(saturday), 0) == at(day(3))
    assert add_working_days(library, at(saturday), 1) == at(day(4))


def test_weekend_opening_counts(library):
    set_weekly_hours(library=library, hours={d: [(NINE, FIVE)] for d in range(6)})
    assert add_working_days(library, at(FRIDAY), 1) == at(day(1))


def test_a_closed_exception_day_is_skipped(library):
    set_calendar_exception(library=library, date=day(3), is_closed=True, reason="元旦")
    assert add_working_days(library, at(FRIDAY), 1) == at(day(4))


def test_an_open_exception_on_a_weekend_counts(library):
    set_calendar_exception(
        library=library, date=day(2), is_closed=False, opens=NINE, closes=FIVE, reason="调休"
    )
    assert add_working_days(library, at(FRIDAY), 1) == at(day(2))


def test_a_closure_is_skipped_and_a_lifted_one_is_not(library):
    closure = Closure.objects.create(library=library, start_date=day(3), end_date=day(7))
    assert add_working_days(library, at(FRIDAY), 1) == at(day(10))
    closure.lifted_at = timezone.now()
    closure.save()
    assert add_working_days(library, at(FRIDAY), 1) == at(day(3))


def test_no_hours_entered_counts_monday_to_friday(db):
    library = create_library(code="RUC", name="中国人民大学图书馆")
    assert add_working_days(library, at(FRIDAY), 1) == at(day(3))
    assert add_working_days(library, at(day(1)), 1) == at(day(4))
    # Its closures still count.
    Closure.objects.create(library=library, start_date=day(3), end_date=day(3))
    assert add_working_days(library, at(FRIDAY), 1) == at(day(4))


def test_counted_in_the_site_time_zone(library):
    # 2026-12-04 23:30 UTC is Saturday 07:30 in Beijing: closed, so Monday then Tuesday.
    start = dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.UTC)
    assert add_working_days(library, start, 1) == at(day(4), 7, 30)


def test_a_closure_of_over_a_year_still_falls_due(library):
    Closure.objects.create(library=library, start_date=FRIDAY, end_date=day(800))
    due = add_working_days(library, at(FRIDAY), 1)
    assert day(400) < due.date() < day(420)


def test_negative_days_are_refused(library):
    with pytest.raises(ValueError):
        add_working_days(library, at(FRIDAY), -1)
