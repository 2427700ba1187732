"""Document delivery statistics (issue 9, point 8): the BALIS month across 77 members, and
small hand-made cases for the months, the periods, the reasons and the medians.

Every time is given explicitly (the statistics never read the clock); the site time zone
is Asia/Shanghai, where local midnight is 16:00 UTC the day before."""

import datetime as dt
import statistics

import pytest

from libreach.docdelivery import stats
from libreach.docdelivery.models import (
    DocRequest,
    ReasonUnfilled,
    RequestType,
    RotaEntry,
    RotaStatus,
    Status,
)
from libreach.docdelivery.tests.stats_fixtures import (
    FEBRUARY,
    BalisMonth,
    local,
    make_libraries,
    make_readers,
    request,
)

START, END = FEBRUARY
BORROWER_COUNTS = (
    "received",
    "satisfied",
    "unfilled",
    "rejected",
    "cancelled",
    "open",
    "satisfied_locally",
)
LENDER_COUNTS = ("received", "supplied", "unfilled", "timeouts", "cancelled", "open")


@pytest.fixture(autouse=True)
def _site_time_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.fixture
def balis(db) -> BalisMonth:
    return BalisMonth()


# --- the BALIS month -----------------------------------------------------------------------


def test_balis_month_gives_the_reported_fill_rate(balis, django_assert_num_queries):
    with django_assert_num_queries(8):
        figures = stats.consortium_figures(start=START, end=END)

    assert figures["received"] == 3271
    assert figures["satisfied"] == 2515
    assert figures["fill_rate"] == 0.769
    assert figures["members"] == 77 == len(figures["by_member"])
    # received = satisfied + unfilled + rejected + cancelled + open
    assert figures["received"] == sum(
        figures[name] for name in ("satisfied", "unfilled", "rejected", "cancelled", "open")
    )
    assert figures["unfilled"] == 420
    assert sum(figures["unfilled_by_final_reason"].values()) == 420
    assert sum(figures["unfilled_by_reason"].values()) > 420  # some collected several
    assert figures["unfilled_by_reason"][ReasonUnfilled.NO_ANSWER] > 0
    assert figures["unfilled_by_reason"][ReasonUnfilled.NOT_HELD] > 0
    assert figures["as_lender"]["timeouts"] > 0


def test_balis_month_each_member_as_counted_independently(balis):
    figures = stats.consortium_figures(start=START, end=END)
    expected = balis.expected
    by_code = {member["library"]: member for member in figures["by_member"]}
    for library in balis.libraries:
        member = by_code[library.code]
        borrower, lender = expected.borrower[library.pk], expected.lender[library.pk]
        assert {name: member[name] for name in BORROWER_COUNTS} == {
            name: borrower[name] for name in BORROWER_COUNTS
        }, library.code
        assert member["unfilled_by_reason"] == dict(sorted(expected.reasons[library.pk].items()))
        assert member["unfilled_by_final_reason"] == dict(
            sorted(expected.final_reasons[library.pk].items())
        )
        assert {name: member["as_lender"][name] for name in LENDER_COUNTS} == {
            name: lender[name] for name in LENDER_COUNTS
        }, library.code
        assert member["as_lender"]["unfilled_by_reason"] == {
            key.removeprefix("reason:"): n
            for key, n in sorted(lender.items())
            if key.startswith("reason:")
        }
        borrowed = borrower["satisfied"] - borrower["satisfied_locally"]
        assert member["as_lender"]["loan_to_borrow_ratio"] == (
            round(lender["supplied"] / borrowed, 3) if borrowed else None
        )

    # The members sum to the totals; the medians are over everyone's requests.
    for name in BORROWER_COUNTS:
        assert sum(m[name] for m in figures["by_member"]) == figures[name], name
    for name in LENDER_COUNTS:
        assert (
            sum(m["as_lender"][name] for m in figures["by_member"]) == (figures["as_lender"][name])
        ), name
    assert figures["median_hours_to_delivery"] == round(statistics.median(expected.to_delivery), 1)
    assert figures["median_hours_to_first_answer"] == round(
        statistics.median(expected.to_first_answer), 1
    )
    assert figures["as_lender"]["median_hours_to_answer"] == round(
        statistics.median(expected.to_answer), 1
    )


def test_balis_month_library_figures_and_months_agree_with_the_consortium_view(
    balis, django_assert_num_queries
):
    figures = stats.consortium_figures(start=START, end=END)
    by_code = {member["library"]: member for member in figures["by_member"]}
    for library in balis.libraries:
        own = stats.library_figures(library, start=START, end=END)
        assert own["library"] == library.code
        assert (own["from"], own["to"]) == ("2020-02-01", "2020-02-29")
        assert {k: v for k, v in own.items() if k not in ("library", "from", "to")} == {
            k: v
            for k, v in by_code[library.code].items()
            if k not in ("library", "name", "name_en")
        }, library.code

    busiest = max(balis.libraries, key=lambda lib: by_code[lib.code]["received"])
    with django_assert_num_queries(7):
        stats.library_figures(busiest, start=START, end=END)
    with django_assert_num_queries(7):
        months = stats.monthly(busiest, start=dt.date(2020, 1, 1), end=dt.date(2020, 3, 31))
    assert [m["month"] for m in months] == ["2020-01", "2020-02", "2020-03"]
    february = {k: v for k, v in months[1].items() if k not in ("month",)}
    assert february == stats.library_figures(busiest, start=START, end=END)
    # The requests a minute either side of the month fall in January and March.
    outside = DocRequest.objects.filter(library=busiest).exclude(
        created_at__gte=local(START, 0), created_at__lt=local(dt.date(2020, 3, 1), 0)
    )
    assert months[0]["received"] + months[2]["received"] == outside.count() > 0


# --- hand-made cases -----------------------------------------------------------------------


@pytest.fixture
def two(db):
    """PKU (the borrower here) and BLCU, THU (lenders), a reader each."""
    libraries = make_libraries(["BLCU", "PKU", "THU"])
    readers = make_readers(libraries)
    blcu, pku, thu = libraries
    return pku, blcu, thu, readers[pku.pk], readers[blcu.pk]


def _save(doc: DocRequest, *entries: RotaEntry) -> DocRequest:
    doc.save()
    for position, entry in enumerate(entries, start=1):
        entry.request, entry.position = doc, position
        entry.save()
    return doc


def test_a_month_ends_at_local_midnight(two):
    pku, _blcu, _thu, reader, _ = two
    # 23:30 on 31 January in Beijing is 15:30 UTC the same day: January.
    _save(request(reader, local(dt.date(2020, 1, 31), 23, 30), citation_key="a"))
    # 00:10 on 1 February in Beijing is 16:10 UTC on 31 January: February.
    _save(request(reader, local(dt.date(2020, 2, 1), 0, 10), citation_key="b"))
    # 23:59 on 29 February: still February.
    _save(request(reader, local(dt.date(2020, 2, 29), 23, 59), citation_key="c"))

    months = stats.monthly(pku, start=dt.date(2020, 1, 15), end=dt.date(2020, 3, 10))
    assert [(m["month"], m["from"], m["to"], m["received"]) for m in months] == [
        ("2020-01", "2020-01-15", "2020-01-31", 1),
        ("2020-02", "2020-02-01", "2020-02-29", 2),
        ("2020-03", "2020-03-01", "2020-03-10", 0),
    ]
    assert (
        stats.library_figures(pku, start=dt.date(2020, 1, 31), end=dt.date(2020, 1, 31))["received"]
        == 1
    )
    assert (
        stats.library_figures(pku, start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 1))["received"]
        == 1
    )


def test_only_the_library_s_own_requests_in_the_period_count(two):
    pku, blcu, _thu, reader, blcu_reader = two
    _save(request(reader, local(dt.date(2020, 2, 10)), Status.DELIVERED, citation_key="in"))
    _save(request(reader, local(dt.date(2020, 1, 10)), Status.DELIVERED, citation_key="before"))
    _save(request(reader, local(dt.date(2020, 3, 1), 0, 0), Status.DELIVERED, citation_key="after"))
    _save(request(blcu_reader, local(dt.date(2020, 2, 10)), Status.UNFILLED, citation_key="x"))

    figures = stats.library_figures(pku, start=START, end=END)
    assert (figures["received"], figures["satisfied"], figures["fill_rate"]) == (1, 1, 1.0)
    assert figures["unfilled"] == 0 and figures["unfilled_by_reason"] == {}
    other = stats.library_figures(blcu, start=START, end=END)
    assert (other["received"], other["satisfied"], other["fill_rate"]) == (1, 0, 0.0)


def test_nothing_received(two):
    pku, *_ = two
    figures = stats.library_figures(pku, start=START, end=END)
    assert figures["received"] == 0
    assert figures["fill_rate"] is None
    assert figures["median_hours_to_delivery"] is None
    assert figures["median_hours_to_first_answer"] is None
    assert figures["unfilled_by_reason"] == {}
    assert figures["as_lender"] == {
        "received": 0,
        "supplied": 0,
        "unfilled": 0,
        "timeouts": 0,
        "cancelled": 0,
        "open": 0,
        "fill_rate": None,
        "unfilled_by_reason": {},
        "median_hours_to_answer": None,
        "loan_to_borrow_ratio": None,
    }
    assert stats.monthly(pku, start=END, end=START) == []


def test_medians_and_lender_figures_on_a_small_case(two):
    pku, blcu, thu, reader, _ = two
    day = dt.date(2020, 2, 3)
    created = local(day, 8)
    hours = dt.timedelta(hours=1)

    # Three copies delivered after 10, 20 and 40 hours; first answers after 2, 3, 5 hours.
    for n, (answer, delivery) in enumerate([(2, 10), (3, 20), (5, 40)]):
        _save(
            request(
                reader,
                created,
                Status.DELIVERED,
                citation_key=f"d{n}",
                first_answer_at=created + answer * hours,
                delivered_at=created + delivery * hours,
            ),
            RotaEntry(
                lender=blcu,
                status=RotaStatus.SUPPLIED,
                sent_at=created + hours,
                answered_at=created + answer * hours,
            ),
        )
    # Unfilled: BLCU NotOnShelf, THU no answer in time. Final: NoAnswer (THU came last).
    _save(
        request(
            reader, created, Status.UNFILLED, citation_key="u1", first_answer_at=created + 7 * hours
        ),
        RotaEntry(
            lender=blcu,
            status=RotaStatus.UNFILLED,
            reason_unfilled=ReasonUnfilled.NOT_ON_SHELF,
            sent_at=created + hours,
            answered_at=created + 7 * hours,
        ),
        RotaEntry(lender=thu, status=RotaStatus.TIMED_OUT, sent_at=created + 7 * hours),
    )
    # Unfilled: THU NotOnShelf then BLCU NotHeld; NotOnShelf again counts this request once.
    _save(
        request(reader, created, Status.UNFILLED, citation_key="u2"),
        RotaEntry(
            lender=thu,
            status=RotaStatus.UNFILLED,
            reason_unfilled=ReasonUnfilled.NOT_ON_SHELF,
            sent_at=created + hours,
            answered_at=created + 2 * hours,
        ),
        RotaEntry(
            lender=blcu,
            status=RotaStatus.UNFILLED,
            reason_unfilled=ReasonUnfilled.NOT_HELD,
            sent_at=created + 2 * hours,
            answered_at=created + 13 * hours,
        ),
    )
    # Unfilled with an empty rota (nobody held it): NotHeld.
    _save(request(reader, created, Status.UNFILLED, citation_key="u3"))
    # Satisfied at home, shipped (a loan, not yet received), rejected, cancelled, open.
    _save(
        request(
            reader,
            created,
            Status.SATISFIED_LOCALLY,
            citation_key="l",
            delivered_at=created + 30 * hours,
        )
    )
    _save(
        request(reader, created, Status.SHIPPED, citation_key="s", type=RequestType.BOOK),
        RotaEntry(
            lender=thu,
            status=RotaStatus.SUPPLIED,
            sent_at=created + hours,
            answered_at=created + 25 * hours,
        ),
    )
    _save(request(reader, created, Status.REJECTED, citation_key="r"))
    _save(request(reader, created, Status.CANCELLED, citation_key="c"))
    _save(
        request(reader, created, Status.SENT, citation_key="o"),
        RotaEntry(lender=blcu, status=RotaStatus.SENT, sent_at=created + hours),
    )

    figures = stats.library_figures(pku, start=day, end=day)
    assert {name: figures[name] for name in BORROWER_COUNTS} == {
        "received": 11,
        "satisfied": 5,  # 3 delivered, 1 shipped, 1 locally
        "unfilled": 3,
        "rejected": 1,
        "cancelled": 1,
        "open": 1,
        "satisfied_locally": 1,
    }
    assert figures["fill_rate"] == 0.455  # 5 / 11
    assert figures["unfilled_by_reason"] == {"NoAnswer": 1, "NotHeld": 2, "NotOnShelf": 2}
    assert figures["unfilled_by_final_reason"] == {"NoAnswer": 1, "NotHeld": 2}
    # Hours to delivery: 10, 20, 30 (locally), 40; the shipped loan has no delivered_at.
    assert figures["median_hours_to_delivery"] == 25.0
    # Hours to first answer: 2, 3, 5, 7.
    assert figures["median_hours_to_first_answer"] == 4.0
    # PKU lent nothing; it borrowed 4 from members (5 satisfied, 1 at home).
    assert figures["as_lender"]["received"] == 0
    assert figures["as_lender"]["loan_to_borrow_ratio"] == 0.0

    lender = stats.library_figures(blcu, start=day, end=day)["as_lender"]
    assert lender == {
        "received": 6,
        "supplied": 3,
        "unfilled": 2,
        "timeouts": 0,
        "cancelled": 0,
        "open": 1,
        "fill_rate": 0.5,
        "unfilled_by_reason": {"NotHeld": 1, "NotOnShelf": 1},
        # Answered after 1, 2, 4 (supplied), 6 and 11 hours (unfilled).
        "median_hours_to_answer": 4.0,
        "loan_to_borrow_ratio": None,  # BLCU borrowed nothing
    }
    thu_lender = stats.library_figures(thu, start=day, end=day)["as_lender"]
    assert (thu_lender["received"], thu_lender["supplied"], thu_lender["timeouts"]) == (3, 1, 1)
    assert thu_lender["median_hours_to_answer"] == 12.5  # 1 and 24 hours

    # An entry sent after the period counts in the lender's next day, not this one.
    late = RotaEntry.objects.get(lender=thu, status=RotaStatus.TIMED_OUT)
    late.sent_at = local(day + dt.timedelta(days=1), 0, 0)
    late.save()
    assert stats.library_figures(thu, start=day, end=day)["as_lender"]["timeouts"] == 0


def test_the_statistics_only_read():
    """No services module reaches stats, however indirectly (pyproject's "reads" contract
    names selectors only)."""
    import grimp

    graph = grimp.build_graph("libreach", cache_dir=None)
    upstream = graph.find_upstream_modules("libreach.docdelivery.stats")
    assert upstream  # the graph did see its imports
    assert not [m for m in upstream if ".services" in m or m.endswith(".services")]
