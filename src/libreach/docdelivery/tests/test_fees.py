"""Fees and the consortium's subsidy: the policy in force on the day a request is satisfied
prices it, per request or per page; inside a free period (days of the site time zone) the
consortium bears it; each satisfied request is charged once; each member's sums."""

import datetime as dt
from decimal import Decimal

import pytest

from libreach.core.errors import Conflict, NotAuthenticated, PermissionDenied, RuleViolation
from libreach.docdelivery import fees, services
from libreach.docdelivery.models import (
    DocRequest,
    FeeBasis,
    FeeCharge,
    FeePolicy,
    FreePeriod,
    ServiceType,
)
from libreach.docdelivery.tests.conftest import ARTICLE, PDF, TZ

pytestmark = pytest.mark.django_db

# The 2020 policy: document delivery free to readers from 1 February to 30 June.
FREE_FIRST, FREE_LAST = dt.date(2020, 2, 1), dt.date(2020, 6, 30)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def policy_2020(db):
    copy = FeePolicy.objects.create(
        service_type=ServiceType.COPY,
        basis=FeeBasis.PER_PAGE,
        price=Decimal("0.30"),
        minimum=Decimal("2.00"),
        valid_from=dt.date(2019, 1, 1),
    )
    loan = FeePolicy.objects.create(
        service_type=ServiceType.LOAN,
        basis=FeeBasis.PER_REQUEST,
        price=Decimal("20.00"),
        valid_from=dt.date(2019, 1, 1),
    )
    free = FreePeriod.objects.create(start=FREE_FIRST, end=FREE_LAST, note="疫情期间文献传递免费")
    return copy, loan, free


def article(pages="270-273", type_="article") -> DocRequest:
    return DocRequest(type=type_, title="Nature", pages=pages)


@pytest.mark.parametrize(
    ("pages", "count"),
    [
        ("270-273", 4),
        ("270–273", 4),
        ("pp. 270-273", 4),
        ("270-3", 4),
        ("1099-1101", 3),
        ("e12-e20", 9),
        ("5, 9-11", 4),
        ("12", 1),
        ("", None),
        ("xii-xv", None),
        ("273-270", None),
    ],
)
def test_pages_counted_from_the_citation(pages, count):
    assert fees.count_pages(pages) == count


def test_a_copy_is_priced_per_page_with_a_minimum(policy_2020):
    at = local(2021, 3, 3, 10)
    assert fees.fee_for(article("270-273"), at) == (Decimal("2.00"), False)  # 4 x 0.30 < 2
    assert fees.fee_for(article("1-20"), at) == (Decimal("6.00"), False)
    # Pages that cannot be counted count as one: the minimum.
    assert fees.fee_for(article("xii-xv"), at) == (Decimal("2.00"), False)


def test_a_loan_is_priced_per_request(policy_2020):
    book = DocRequest(type="book", title="红楼梦", pages="1-900")
    assert fees.fee_for(book, local(2021, 3, 3, 10)) == (Decimal("20.00"), False)


def test_inside_the_free_period_the_consortium_bears_the_fee(policy_2020):
    assert fees.fee_for(article("1-20"), local(2020, 3, 3, 10)) == (Decimal("6.00"), True)
    book = DocRequest(type="book", title="红楼梦")
    assert fees.fee_for(book, local(2020, 3, 3, 10)) == (Decimal("20.00"), True)


@pytest.mark.parametrize(
    ("at", "subsidised"),
    [
        (local(2020, 1, 31, 23, 59), False),
        # Midnight in Beijing is 16:00 UTC the day before: still January in UTC.
        (local(2020, 2, 1, 0, 0), True),
        (local(2020, 6, 30, 23, 59, 59), True),
        # 1 July 00:00 in Beijing is 30 June in UTC: the free period is over all the same.
        (local(2020, 7, 1, 0, 0), False),
    ],
)
def test_free_period_boundaries_are_days_of_the_site_time_zone(policy_2020, at, subsidised):
    assert fees.fee_for(article(), at)[1] is subsidised


def test_a_free_period_for_one_service_leaves_the_other_charged(policy_2020):
    _, _, free = policy_2020
    free.service_type = ServiceType.COPY
    free.save()
    at = local(2020, 3, 3, 10)
    assert fees.fee_for(article(), at)[1] is True
    assert fees.fee_for(DocRequest(type="book", title="x"), at) == (Decimal("20.00"), False)


def test_the_policy_in_force_that_day_applies(policy_2020):
    copy, _, _ = policy_2020
    copy.valid_to = dt.date(2022, 12, 31)
    copy.save()
    FeePolicy.objects.create(
        service_type=ServiceType.COPY,
        basis=FeeBasis.PER_REQUEST,
        price=Decimal("5.00"),
        valid_from=dt.date(2023, 1, 1),
    )
    assert fees.fee_for(article("1-20"), local(2022, 12, 31, 23, 59)) == (Decimal("6.00"), False)
    assert fees.fee_for(article("1-20"), local(2023, 1, 1, 0, 1)) == (Decimal("5.00"), False)
    # Before any policy: nothing to pay.
    assert fees.fee_for(article("1-20"), local(2018, 6, 1, 10)) == (Decimal("0.00"), False)


# --- charged when satisfied -------------------------------------------------------------------


def _supplied(members, at, pages="270-273", by_lender=0):
    request = services.submit(
        by=members.c.reader,
        library=members.home,
        type_="article",
        citation={**ARTICLE, "pages": pages},
        at=at,
    )
    lender = members.lenders[by_lender]
    services.approve(request_id=request.pk, by=members.c.staff, rota=[lender.code], at=at)
    services.supply(request_id=request.pk, by=members.lender_staff[by_lender], data=PDF, at=at)
    request.refresh_from_db()
    return request


def test_a_supplied_request_is_charged_once(members, policy_2020, file_store):
    at = local(2020, 3, 3, 10)
    request = _supplied(members, at, pages="1-20")
    charge = fees.record_charge(request, at)
    assert (charge.amount, charge.paid_by, charge.pages) == (Decimal("6.00"), "consortium", 20)
    assert (charge.library, charge.lender) == (members.home, members.lenders[0])
    assert charge.free_period == policy_2020[2]
    # Again (a retransmission, a second call): the same charge, nothing added.
    assert fees.record_charge(request, local(2021, 1, 1, 10)) == charge
    assert FeeCharge.objects.count() == 1


def test_only_a_supplied_request_is_charged(members, policy_2020, file_store):
    at = local(2021, 3, 3, 10)
    request = services.submit(
        by=members.c.reader, library=members.home, type_="article", citation=ARTICLE, at=at
    )
    with pytest.raises(Conflict):
        fees.record_charge(request, at)
    services.satisfy_locally(request_id=request.pk, by=members.c.staff, at=at)
    request.refresh_from_db()
    assert fees.record_charge(request, at) is None
    assert not FeeCharge.objects.exists()


def test_subsidy_by_member(members, policy_2020, file_store):
    free_day, paid_day = local(2020, 6, 30, 23, 0), local(2020, 7, 1, 9, 0)
    for at, pages, lender in ((free_day, "1-20", 0), (free_day, "1-10", 1), (paid_day, "1-30", 0)):
        request = _supplied(members, at, pages=pages, by_lender=lender)
        fees.record_charge(request, at)
    figures = fees.subsidy_by_member(FREE_FIRST, dt.date(2020, 7, 31))
    home = figures[members.home.code]
    assert home == {
        "requests": 3,
        "fees": Decimal("18.00"),
        "subsidy": Decimal("9.00"),
        "paid_by_readers": Decimal("9.00"),
        "supplied": 0,
        "supplied_fees": Decimal("0.00"),
        "supplied_subsidy": Decimal("0.00"),
    }
    thu, ruc = figures[members.lenders[0].code], figures[members.lenders[1].code]
    assert (thu["supplied"], thu["supplied_fees"], thu["supplied_subsidy"]) == (
        2,
        Decimal("15.00"),
        Decimal("6.00"),
    )
    assert (ruc["supplied"], ruc["supplied_subsidy"]) == (1, Decimal("3.00"))
    assert figures[members.c.other_lib.code]["requests"] == 0
    # The period's last day ends at Beijing midnight: the paid copy of 1 July is left out.
    june = fees.subsidy_by_member(FREE_FIRST, FREE_LAST)[members.home.code]
    assert (june["requests"], june["fees"], june["subsidy"]) == (
        2,
        Decimal("9.00"),
        Decimal("9.00"),
    )


def test_subsidy_figures_are_the_consortium_admins(members):
    with pytest.raises(PermissionDenied):
        fees.subsidy_by_member(FREE_FIRST, FREE_LAST, by=members.c.staff)
    with pytest.raises(NotAuthenticated):
        fees.subsidy_by_member(FREE_FIRST, FREE_LAST, by=None)
    with pytest.raises(RuleViolation):
        fees.subsidy_by_member(FREE_LAST, FREE_FIRST, by=members.c.consortium_admin)
    assert fees.subsidy_by_member(FREE_FIRST, FREE_LAST, by=members.c.consortium_admin)
