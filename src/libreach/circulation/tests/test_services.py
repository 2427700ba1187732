"""Checkout, renewal, checkin, fines and quarantine: what each rule allows and refuses."""

import datetime as dt

import pytest

from libreach.catalog.models import Item, ItemStatus
from libreach.circulation import selectors, services
from libreach.circulation.models import Loan, LoanPolicy
from libreach.circulation.selectors import DEFAULT_POLICY, policy_for
from libreach.circulation.tests.conftest import MONDAY, at
from libreach.consortium import services as consortium_services
from libreach.consortium.models import Closure
from libreach.core.errors import Conflict, PermissionDenied, RuleViolation

D = dt.timedelta


def snapshot():
    """Everything a refused call must leave untouched."""
    return (
        list(Item.objects.order_by("pk").values()),
        list(Loan.objects.order_by("pk").values()),
    )


# --- policies ---------------------------------------------------------------------


def test_policy_default_when_nothing_configured(circ):
    policy = policy_for(circ.other_lib, "faculty")
    assert policy.pk is None
    assert {k: getattr(policy, k) for k in DEFAULT_POLICY} == DEFAULT_POLICY


def test_policy_reader_type_row_wins_over_library_row(circ):
    faculty = LoanPolicy.objects.create(
        library=circ.lib,
        reader_type="faculty",
        loan_days=90,
        max_renewals=3,
        renewal_days=30,
        max_open_loans=50,
        fine_per_day_fen=0,
        hold_days=14,
    )
    assert policy_for(circ.lib, "faculty") == faculty
    assert policy_for(circ.lib, "undergraduate") == circ.policy


# --- checkout ---------------------------------------------------------------------


def test_checkout(circ, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        loan = services.checkout(
            item=circ.item, reader=circ.reader, library_staff=circ.c.staff, at=at(MONDAY)
        )
    assert loan.due_date == MONDAY + D(days=14)  # a Monday, open
    assert (loan.library, loan.renewals, loan.returned_at) == (circ.lib, 0, None)
    assert circ.item.status == ItemStatus.ON_LOAN
    assert Item.objects.get(pk=circ.item.pk).status == ItemStatus.ON_LOAN


@pytest.mark.parametrize("status", [ItemStatus.STAGED, ItemStatus.IN_TRANSIT])
def test_checkout_hands_over_contactless_items(circ, status):
    Item.objects.filter(pk=circ.item.pk).update(status=status)
    loan = services.checkout(item=circ.item, reader=circ.reader, at=at(MONDAY))
    assert loan.item.status == ItemStatus.ON_LOAN


def _refused(error, code, **kwargs):
    before = snapshot()
    with pytest.raises(error) as refused:
        services.checkout(**kwargs)
    assert refused.value.code == code
    assert snapshot() == before


@pytest.mark.parametrize(
    "status",
    [
        ItemStatus.REQUESTED,
        ItemStatus.IN_PROCESS,
        ItemStatus.QUARANTINED,
        ItemStatus.MISSING,
        ItemStatus.WITHDRAWN,
    ],
)
def test_checkout_refuses_unavailable_item(circ, status):
    Item.objects.filter(pk=circ.item.pk).update(status=status)
    _refused(Conflict, "invalid_transition", item=circ.item, reader=circ.reader, at=at(MONDAY))


def test_checkout_refuses_item_on_loan(circ):
    services.checkout(item=circ.item, reader=circ.reader, at=at(MONDAY))
    _refused(
        Conflict, "invalid_transition", item=circ.item, reader=circ.other_reader, at=at(MONDAY)
    )


def test_checkout_refuses_item_not_for_loan(circ):
    Item.objects.filter(pk=circ.item.pk).update(loanable=False)
    _refused(RuleViolation, "item_not_loanable", item=circ.item, reader=circ.reader)


def test_checkout_refuses_staff_of_another_library(circ):
    _refused(
        PermissionDenied,
        "forbidden",
        item=circ.item,
        reader=circ.reader,
        library_staff=circ.c.other_staff,
    )


def test_checkout_refuses_beyond_max_open_loans(circ):
    for item in circ.items[:3]:
        services.checkout(item=item, reader=circ.reader, at=at(MONDAY))
    _refused(RuleViolation, "too_many_loans", item=circ.items[3], reader=circ.reader)
    # Another reader is counted on their own.
    services.checkout(item=circ.items[3], reader=circ.other_reader, at=at(MONDAY))


def test_closure_stops_counter_loans_but_not_handover(circ):
    Closure.objects.create(library=circ.lib, start_date=MONDAY, end_date=MONDAY + D(days=9))
    _refused(RuleViolation, "counter_closed", item=circ.item, reader=circ.reader, at=at(MONDAY))
    Item.objects.filter(pk=circ.item.pk).update(status=ItemStatus.STAGED)
    loan = services.checkout(item=circ.item, reader=circ.reader, at=at(MONDAY))
    assert loan.due_date == MONDAY + D(days=14)


def test_closure_that_lets_counter_loans_go_on(circ):
    Closure.objects.create(
        library=circ.lib, start_date=MONDAY, end_date=MONDAY, stops_counter_loans=False
    )
    services.checkout(item=circ.item, reader=circ.reader, at=at(MONDAY))


# --- due dates on closed days -----------------------------------------------------


def _due(circ, *, loan_days: int) -> dt.date:
    LoanPolicy.objects.filter(pk=circ.policy.pk).update(loan_days=loan_days)
    return services.checkout(item=circ.item, reader=circ.reader, at=at(MONDAY)).due_date


def test_due_date_on_a_closed_weekday_moves_to_monday(circ):
    assert _due(circ, loan_days=13) == MONDAY + D(days=14)  # Sunday -> Monday


def test_due_date_on_a_holiday_moves(circ):
    consortium_services.set_calendar_exception(
        library=circ.lib, date=MONDAY + D(days=14), reason="元宵"
    )
    assert _due(circ, loan_days=14) == MONDAY + D(days=15)


def test_due_date_inside_a_closure_moves_after_it(circ):
    Closure.objects.create(
        library=circ.lib,
        start_date=MONDAY + D(days=10),
        end_date=MONDAY + D(days=16),  # Thursday .. Wednesday
        stops_counter_loans=False,
    )
    assert _due(circ, loan_days=14) == MONDAY + D(days=17)


def test_lifted_closure_does_not_move_due_dates(circ):
    Closure.objects.create(
        library=circ.lib,
        start_date=MONDAY + D(days=10),
        end_date=MONDAY + D(days=16),
        lifted_at=at(MONDAY),
    )
    assert _due(circ, loan_days=14) == MONDAY + D(days=14)


def test_due_date_in_library_time_zone(circ):
    # 23:30 UTC on Sunday is 07:30 Monday in Beijing: the loan counts from Monday.
    moment = dt.datetime.combine(MONDAY - D(days=1), dt.time(23, 30), tzinfo=dt.UTC)
    loan = services.checkout(item=circ.item, reader=circ.reader, at=moment)
    assert loan.due_date == MONDAY + D(days=14)


# --- renewal ----------------------------------------------------------------------


@pytest.fixture
def loan(circ):
    return services.checkout(item=circ.item, reader=circ.reader, at=at(MONDAY))


def test_renew_counts_from_the_due_date(circ, loan):
    renewed = services.renew(loan=loan, at=at(MONDAY + D(days=2)))
    # 14 + 14 days from Monday is a Monday; renewing early does not shorten the loan.
    assert renewed.due_date == MONDAY + D(days=28)
    assert Loan.objects.get(pk=loan.pk).renewals == 1


def test_renew_moves_off_a_closed_day(circ, loan):
    LoanPolicy.objects.filter(pk=circ.policy.pk).update(renewal_days=13)
    assert services.renew(loan=loan, at=at(MONDAY)).due_date == MONDAY + D(days=28)


def _renew_refused(loan, error, code, when):
    before = snapshot()
    with pytest.raises(error) as refused:
        services.renew(loan=loan, at=when)
    assert refused.value.code == code
    assert snapshot() == before


def test_renew_refused_beyond_max_renewals(circ, loan):
    services.renew(loan=loan, at=at(MONDAY))
    _renew_refused(loan, RuleViolation, "too_many_renewals", at(MONDAY + D(days=1)))


def test_renew_refused_when_overdue(circ, loan):
    # Due on day 14 (allowed up to the end of that day), refused the day after.
    services.renew(loan=Loan.objects.get(pk=loan.pk), at=at(MONDAY + D(days=14), 21))
    loan.refresh_from_db()
    LoanPolicy.objects.filter(pk=circ.policy.pk).update(max_renewals=5)
    _renew_refused(loan, RuleViolation, "loan_overdue", at(loan.due_date + D(days=1)))


def test_renew_refused_after_return(circ, loan):
    services.checkin(item=circ.item, at_library=circ.lib, at=at(MONDAY + D(days=1)))
    _renew_refused(loan, Conflict, "loan_closed", at(MONDAY + D(days=1)))


# --- checkin and fines ------------------------------------------------------------


def test_checkin_on_time(circ, loan, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        returned = services.checkin(item=circ.item, at_library=circ.lib, at=at(loan.due_date, 21))
    assert returned.returned_at == at(loan.due_date, 21)
    assert (returned.return_library, returned.fine_fen) == (circ.lib, 0)
    assert circ.item.status == ItemStatus.AVAILABLE
    assert Item.objects.get(pk=circ.item.pk).status == ItemStatus.AVAILABLE
    assert selectors.open_loan_of_item(circ.item) is None


def test_checkin_refused_when_not_on_loan(circ):
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        services.checkin(item=circ.item, at_library=circ.lib)
    assert refused.value.code == "not_on_loan"
    assert snapshot() == before


def test_fine_counts_open_days_only(circ, loan):
    # Due Monday 17th; back Monday 24th: Tue..Sat and Mon are open, Sunday is not.
    returned = services.checkin(item=circ.item, at_library=circ.lib, at=at(loan.due_date + D(7)))
    assert returned.fine_fen == 6 * 10


def test_fine_skips_a_closure(circ, loan):
    Closure.objects.create(
        library=circ.lib,
        start_date=loan.due_date + D(days=1),
        end_date=loan.due_date + D(days=4),  # Tue..Fri
        stops_counter_loans=False,
    )
    returned = services.checkin(item=circ.item, at_library=circ.lib, at=at(loan.due_date + D(7)))
    assert returned.fine_fen == 2 * 10  # Saturday and Monday


def test_fine_returned_elsewhere_counts_the_checkout_library_calendar(circ, loan):
    Closure.objects.create(
        library=circ.lib,
        start_date=loan.due_date + D(days=1),
        end_date=loan.due_date + D(days=4),
        stops_counter_loans=False,
    )
    # BLCU is open every day and has no closure: its calendar must not count.
    returned = services.checkin(
        item=circ.item, at_library=circ.other_lib, at=at(loan.due_date + D(7))
    )
    assert returned.return_library == circ.other_lib
    assert returned.fine_fen == 2 * 10


def test_fine_ignores_the_return_library_closure(circ, loan):
    Closure.objects.create(
        library=circ.other_lib,
        start_date=loan.due_date + D(days=1),
        end_date=loan.due_date + D(days=4),
    )
    returned = services.checkin(
        item=circ.item, at_library=circ.other_lib, at=at(loan.due_date + D(7))
    )
    assert returned.fine_fen == 6 * 10


def test_chargeable_days_without_weekly_hours_counts_every_day(circ):
    due = MONDAY
    assert selectors.chargeable_days(circ.other_lib, due, due) == 0
    consortium_services.set_weekly_hours(library=circ.other_lib, hours={})
    assert selectors.chargeable_days(circ.other_lib, due, due + D(days=7)) == 7


# --- quarantine -------------------------------------------------------------------


def test_checkin_quarantines_by_the_returning_library(circ, loan):
    circ.quarantine(circ.other_lib, 72)
    back = at(MONDAY + D(days=3))
    services.checkin(item=circ.item, at_library=circ.other_lib, at=back)
    item = Item.objects.get(pk=circ.item.pk)
    assert (item.status, item.quarantine_until) == (ItemStatus.QUARANTINED, back + D(hours=72))
    assert list(selectors.quarantined_items(circ.lib, by=circ.c.staff)) == [item]
    # Quarantined items cannot be lent.
    with pytest.raises(Conflict):
        services.checkout(item=item, reader=circ.other_reader, at=back)


def test_no_quarantine_at_a_library_without_it(circ, loan):
    circ.quarantine(circ.other_lib, 72)
    services.checkin(item=circ.item, at_library=circ.lib, at=at(MONDAY + D(days=3)))
    assert Item.objects.get(pk=circ.item.pk).status == ItemStatus.AVAILABLE


def test_release_quarantined(circ, django_assert_num_queries):
    circ.quarantine(circ.lib, 24)
    back = at(MONDAY + D(days=1))
    for item in circ.items[:3]:
        services.checkout(item=item, reader=circ.reader, at=at(MONDAY))
    for n, item in enumerate(circ.items[:3]):
        services.checkin(item=item, at_library=circ.lib, at=back + D(hours=n))
    assert services.release_quarantined(now=back + D(hours=23)) == 0
    with django_assert_num_queries(3):  # savepoint, UPDATE, release savepoint
        assert services.release_quarantined(now=back + D(hours=25)) == 2
    statuses = dict(
        Item.objects.filter(pk__in=[i.pk for i in circ.items[:3]]).values_list("barcode", "status")
    )
    assert statuses == {"P001": "available", "P002": "available", "P003": "quarantined"}
    assert Item.objects.get(barcode="P001").quarantine_until is None
    assert services.release_quarantined(now=back + D(hours=25)) == 0
    assert services.release_quarantined(now=back + D(hours=26)) == 1
