"""The rota's candidates: who holds it, who never is asked, and in which order."""

import datetime as dt

import pytest
from django.utils import timezone

from libreach.accounts import services as account_services
from libreach.accounts.models import StaffRole
from libreach.catalog import services as catalog_services
from libreach.catalog.models import Item, ItemStatus, JournalHolding
from libreach.catalog.services import ItemInput, add_journal_holdings
from libreach.consortium.services import create_library
from libreach.core.errors import PermissionDenied, RuleViolation
from libreach.docdelivery import lenders
from libreach.docdelivery.lenders import Candidate, rank_lenders, rank_lenders_many
from libreach.docdelivery.models import DocDeliverySettings, DocRequest, RotaEntry, RotaStatus

HONGLOU = "9787020002207"  # 7-02-000220-X
KR = "9780131103627"
CLRS = "9780262033848"
OTHER = "9780306406157"
NATURE, NATURE_E, SCIENCE, LANCET = "0028-0836", "1476-4687", "0036-8075", "0140-6736"


class World:
    def __init__(self):
        self.requester = create_library(code="AAA", name="请求馆")
        self.b = create_library(code="BBB", name="乙馆")
        self.c = create_library(code="CCC", name="丙馆")
        self.d = create_library(code="DDD", name="丁馆")
        self.e = create_library(code="EEE", name="戊馆")
        self._barcodes = 0

    def record(self, library, copies=1, title="红楼梦", isbn=None, year="", statuses=()):
        items = []
        for _ in range(copies + len(statuses)):
            self._barcodes += 1
            items.append(ItemInput(barcode=f"B{self._barcodes:06d}"))
        record = catalog_services.create_record(
            library=library, title=title, isbn=isbn, year=year, items=items
        )
        for item, status in zip(
            Item.objects.filter(record=record).order_by("-id"), statuses, strict=False
        ):
            item.status = status
            item.save()
        return record


@pytest.fixture
def world(db):
    return World()


def codes(candidates: list[Candidate]) -> list[str]:
    return [c.code for c in candidates]


def book(world, **fields):
    return rank_lenders(requester_id=world.requester.pk, type="book", **fields)


# --- books ------------------------------------------------------------------------------------


def test_books_by_isbn_most_copies_first_never_the_requester(world):
    world.record(world.requester, copies=5, isbn=HONGLOU)
    world.record(world.c, copies=1, isbn=HONGLOU)
    world.record(world.b, copies=2, isbn=HONGLOU)
    world.record(world.d, copies=3, isbn=KR)  # another book
    found = book(world, isbn=HONGLOU)
    assert codes(found) == ["BBB", "CCC"]
    assert found[0] == Candidate(world.b.pk, "BBB", 2, None, None)


def test_two_records_of_one_member_add_their_copies(world):
    world.record(world.b, copies=1, isbn=HONGLOU)
    world.record(world.b, copies=2, isbn=HONGLOU)
    world.record(world.c, copies=2, isbn=HONGLOU)
    assert [(c.code, c.holdings) for c in book(world, isbn=HONGLOU)] == [("BBB", 3), ("CCC", 2)]


def test_an_isbn_in_any_form_matches(world):
    world.record(world.b, isbn=HONGLOU)
    assert codes(book(world, isbn="7-02-000220-X")) == ["BBB"]
    assert codes(book(world, isbn="978-7-02-000220-7")) == ["BBB"]


def test_a_second_isbn_of_a_record_matches(world):
    record = world.record(world.b, isbn=KR)
    record.isbns = f"{KR} {HONGLOU}"
    catalog_services.refresh_search_columns(record)
    world.record(world.c, isbn=HONGLOU)
    assert codes(book(world, isbn=HONGLOU)) == ["BBB", "CCC"]
    assert codes(book(world, isbn=KR)) == ["BBB"]


def test_withdrawn_and_missing_copies_are_not_held(world):
    world.record(world.b, copies=0, isbn=HONGLOU, statuses=[ItemStatus.WITHDRAWN])
    world.record(world.c, copies=0, isbn=HONGLOU, statuses=[ItemStatus.MISSING])
    world.record(world.d, copies=1, isbn=HONGLOU, statuses=[ItemStatus.MISSING])
    world.record(world.e, copies=0, isbn=HONGLOU, statuses=[ItemStatus.ON_LOAN])
    found = book(world, isbn=HONGLOU)
    assert [(c.code, c.holdings) for c in found] == [("DDD", 1), ("EEE", 1)]


def test_members_that_do_not_lend_and_excluded_members_are_left_out(world):
    for library in (world.b, world.c, world.d):
        world.record(library, isbn=HONGLOU)
    DocDeliverySettings.objects.create(library=world.b, lends=False)
    DocDeliverySettings.objects.create(library=world.c, lends=True)
    assert codes(book(world, isbn=HONGLOU)) == ["CCC", "DDD"]
    assert codes(book(world, isbn=HONGLOU, exclude=[world.c.pk])) == ["DDD"]


def test_nothing_held_is_an_empty_list(world):
    world.record(world.b, isbn=KR)
    assert book(world, isbn=HONGLOU) == []
    assert book(world, title="无此书") == []
    assert book(world) == []


def test_a_book_without_isbn_matches_by_folded_title(world):
    world.record(world.b, title="紅樓夢")
    world.record(world.c, title="红楼梦", isbn=HONGLOU)
    world.record(world.d, title="红楼梦魇")  # a longer title is another book
    assert codes(book(world, title="红楼梦")) == ["BBB", "CCC"]
    assert codes(book(world, title="紅楼夢")) == ["BBB", "CCC"]


def test_title_match_folds_case_width_and_punctuation(world):
    world.record(world.b, title="The C programming language")
    world.record(world.c, title="Deep learning : a practitioner's approach")
    assert codes(book(world, title="ＴＨＥ  C Programming Language.")) == ["BBB"]
    # The title before its subtitle is the same book.
    assert codes(book(world, title="Deep Learning")) == ["CCC"]
    assert codes(book(world, title="Deep learning: a practitioner's approach")) == ["CCC"]


def test_title_match_keeps_the_year_when_both_give_one(world):
    world.record(world.b, title="红楼梦", year="1982")
    world.record(world.c, title="红楼梦", year="c2005.")
    world.record(world.d, title="红楼梦")
    assert codes(book(world, title="红楼梦", year="1982")) == ["BBB", "DDD"]
    assert codes(book(world, title="红楼梦")) == ["BBB", "CCC", "DDD"]


def test_an_isbn_nobody_holds_falls_back_to_the_title(world):
    world.record(world.b, title="红楼梦", isbn=KR)
    assert codes(book(world, isbn=HONGLOU, title="红楼梦")) == ["BBB"]
    # Held by ISBN somewhere: the title does not add other editions.
    world.record(world.c, title="红楼梦", isbn=HONGLOU)
    assert codes(book(world, isbn=HONGLOU, title="红楼梦")) == ["CCC"]


def test_a_chapter_matches_as_its_book(world):
    world.record(world.b, isbn=HONGLOU)
    found = rank_lenders(requester_id=world.requester.pk, type="chapter", isbn=HONGLOU)
    assert codes(found) == ["BBB"]


# --- journals ---------------------------------------------------------------------------------


def article(world, **fields):
    return rank_lenders(requester_id=world.requester.pk, type="article", **fields)


def test_articles_by_issn_or_eissn_within_coverage(world):
    add_journal_holdings(world.requester, [{"issn": NATURE, "title": "Nature"}])
    add_journal_holdings(world.b, [{"issn": NATURE, "title": "Nature", "first_year": 2000}])
    add_journal_holdings(world.c, [{"eissn": NATURE, "title": "Nature", "last_year": 1999}])
    add_journal_holdings(
        world.d, [{"issn": "00280836", "eissn": NATURE_E, "title": "Nature", "first_year": 1990}]
    )
    add_journal_holdings(world.e, [{"issn": SCIENCE, "title": "Science"}])
    assert codes(article(world, issn=NATURE, year="2015")) == ["BBB", "DDD"]
    assert codes(article(world, issn=NATURE, year="1995")) == ["CCC", "DDD"]
    assert codes(article(world, issn=NATURE_E, year="1995")) == ["DDD"]
    # No year: any coverage.
    assert codes(article(world, issn=NATURE)) == ["BBB", "CCC", "DDD"]
    assert article(world, issn=LANCET, year="2015") == []


def test_two_holding_rows_of_a_member_count_twice(world):
    add_journal_holdings(
        world.b,
        [
            {"issn": NATURE, "title": "Nature", "note": "印本"},
            {"issn": NATURE, "title": "Nature", "note": "电子版"},
        ],
    )
    add_journal_holdings(world.c, [{"issn": NATURE, "title": "Nature"}])
    assert [(c.code, c.holdings) for c in article(world, issn=NATURE)] == [("BBB", 2), ("CCC", 1)]


def test_an_article_without_issn_matches_the_journal_title(world):
    add_journal_holdings(world.b, [{"title": "中国图书馆学报", "first_year": 2010}])
    add_journal_holdings(world.c, [{"issn": NATURE, "title": "Nature"}])
    assert codes(article(world, title="中國圖書館學報", year="2020")) == ["BBB"]
    assert article(world, title="中国图书馆学报", year="2009") == []
    assert codes(article(world, title="NATURE")) == ["CCC"]


def test_journal_holdings_are_not_books(world):
    add_journal_holdings(world.b, [{"issn": NATURE, "title": "红楼梦"}])
    world.record(world.c, title="Nature")
    assert book(world, title="红楼梦") == []
    assert codes(article(world, title="Nature")) == []


# --- the order after holdings -------------------------------------------------------------------


def _request(world, library, n=[0]):  # noqa: B006 - a counter for card numbers
    n[0] += 1
    reader = account_services.create_reader(
        library=library, card_number=f"R{n[0]:05d}", name="读者", reader_type="staff",
        password=None,
    )  # fmt: skip
    now = timezone.now()
    return DocRequest.objects.create(
        library=library, reader=reader, type="article", title="Nature", citation_key=str(n[0]),
        created_at=now - dt.timedelta(days=30), updated_at=now,
    )  # fmt: skip


def _supplied(world, borrower, lender, *, hours=None, status=RotaStatus.SUPPLIED):
    request = _request(world, borrower)
    sent = timezone.now() - dt.timedelta(days=20)
    RotaEntry.objects.create(
        request=request, position=1, lender=lender, status=status, sent_at=sent,
        answered_at=sent + dt.timedelta(hours=hours) if hours is not None else None,
    )  # fmt: skip


@pytest.fixture
def held_by_all(world):
    for library in (world.b, world.c, world.d, world.e):
        add_journal_holdings(library, [{"issn": NATURE, "title": "Nature"}])
    return world


def test_equal_holdings_lowest_loan_to_borrow_ratio_first(held_by_all):
    world = held_by_all
    # BBB lent 3 and borrowed 1 (3.0); CCC lent 1 and borrowed 2 (0.5); DDD lent 2 and
    # never borrowed (2.0, against one borrowing); EEE nothing either way (parity, 1.0).
    for _ in range(3):
        _supplied(world, world.requester, world.b)
    _supplied(world, world.b, world.c)
    _supplied(world, world.c, world.requester)
    _supplied(world, world.c, world.requester)
    _supplied(world, world.requester, world.d)
    _supplied(world, world.requester, world.d)
    # Not supplied, so not counted.
    _supplied(world, world.e, world.b, status=RotaStatus.UNFILLED)
    found = article(world, issn=NATURE)
    assert [(c.code, c.ratio) for c in found] == [
        ("CCC", 0.5),
        ("EEE", None),
        ("DDD", 2.0),
        ("BBB", 3.0),
    ]


def test_requests_older_than_a_year_do_not_count(held_by_all):
    world = held_by_all
    _supplied(world, world.requester, world.b)
    DocRequest.objects.update(created_at=timezone.now() - dt.timedelta(days=400))
    assert all(c.ratio is None for c in article(world, issn=NATURE))


def test_equal_ratio_fastest_median_answer_first_unknown_last(held_by_all):
    world = held_by_all
    # Each lender answered (unfilled: the ratio stays at parity); medians BBB 30, CCC 2,
    # DDD 10 hours; EEE never answered.
    for hours in (1, 30, 40):
        _supplied(world, world.requester, world.b, hours=hours, status=RotaStatus.UNFILLED)
    for hours in (1, 2, 100):
        _supplied(world, world.requester, world.c, hours=hours, status=RotaStatus.UNFILLED)
    _supplied(world, world.requester, world.d, hours=10, status=RotaStatus.UNFILLED)
    _supplied(world, world.requester, world.e, status=RotaStatus.UNFILLED)
    found = article(world, issn=NATURE)
    assert [(c.code, c.response_hours) for c in found] == [
        ("CCC", 2.0),
        ("DDD", 10.0),
        ("BBB", 30.0),
        ("EEE", None),
    ]


def test_all_else_equal_by_code(held_by_all):
    assert codes(article(held_by_all, issn=NATURE)) == ["BBB", "CCC", "DDD", "EEE"]


# --- many at once -------------------------------------------------------------------------------


def _fifty(world) -> list[dict]:
    isbns = [HONGLOU, KR, CLRS, OTHER]
    world.record(world.b, copies=2, isbn=HONGLOU)
    world.record(world.c, isbn=KR, title="The C programming language")
    second = world.record(world.d, isbn=CLRS, title="Introduction to algorithms")
    second.isbns = f"{CLRS} {OTHER}"
    catalog_services.refresh_search_columns(second)
    world.record(world.e, title="红楼梦", year="1982")
    add_journal_holdings(world.b, [{"issn": NATURE, "title": "Nature", "first_year": 2000}])
    add_journal_holdings(world.c, [{"eissn": SCIENCE, "title": "Science"}])
    add_journal_holdings(world.d, [{"title": "中国图书馆学报"}])
    _supplied(world, world.requester, world.b, hours=5)
    citations = []
    for n in range(50):
        kind = n % 5
        if kind == 0:
            citations.append({"type": "book", "isbn": isbns[n % 4]})
        elif kind == 1:
            citations.append({"type": "chapter", "title": "紅樓夢", "year": "1982"})
        elif kind == 2:
            citations.append({"type": "article", "issn": [NATURE, SCIENCE][n % 2], "year": "2015"})
        elif kind == 3:
            citations.append({"type": "article", "title": "中国图书馆学报", "year": str(2000 + n)})
        else:
            citations.append({"type": "book", "isbn": HONGLOU, "title": "C programming"})
    return citations


def test_many_at_once_in_a_few_queries_as_one_at_a_time(world, django_assert_num_queries):
    citations = _fifty(world)
    # Members; ISBNs, second ISBNs, titles, copies; ISSNs, journal titles; ratios, hours.
    with django_assert_num_queries(9):
        many = rank_lenders_many(citations, requester_id=world.requester.pk)
    one_by_one = [rank_lenders(requester_id=world.requester.pk, **c) for c in citations]
    assert many == one_by_one
    assert all(many[n] for n in range(50) if n % 5 != 4)
    assert codes(many[0]) == ["BBB"]
    assert codes(many[1]) == ["BBB", "EEE"]  # its copies first


def test_many_at_once_reads_second_isbns_in_one_pass_when_there_are_many(world, monkeypatch):
    citations = _fifty(world)
    indexed = rank_lenders_many(citations, requester_id=world.requester.pk)
    monkeypatch.setattr(lenders, "SCAN_ABOVE", 0)
    assert rank_lenders_many(citations, requester_id=world.requester.pk) == indexed
    assert codes(indexed[15]) == ["DDD"]  # OTHER: only the record's second ISBN


def test_many_with_nothing_to_route(world):
    assert rank_lenders_many([], requester_id=world.requester.pk) == []
    assert rank_lenders_many([{"type": "book"}], requester_id=world.requester.pk) == [[]]


# --- journal holdings, the service ----------------------------------------------------------------


def test_add_journal_holdings_stores_issns_in_one_form(world):
    added = add_journal_holdings(
        world.b,
        [{"issn": "0028 0836", "eissn": "1476-4687", "title": " Nature ", "first_year": "1869"}],
    )
    assert added == 1
    holding = JournalHolding.objects.get()
    assert (holding.issn, holding.eissn, holding.title, holding.first_year, holding.last_year) == (
        NATURE,
        NATURE_E,
        "Nature",
        1869,
        None,
    )
    assert holding.title_key == "nature"


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ({"issn": "0028-0837", "title": "Nature"}, "invalid_issn"),
        ({"eissn": "nature", "title": "Nature"}, "invalid_issn"),
        ({"issn": NATURE, "title": "  "}, "title_required"),
        ({"issn": NATURE, "title": "Nature", "first_year": 2000, "last_year": 1999}, "years_out_of_order"),
        ({"issn": NATURE, "title": "Nature", "first_year": "2000s"}, "invalid_year"),
        ({"issn": NATURE, "title": "x" * 501}, "too_long"),
    ],
)  # fmt: skip
def test_a_bad_row_refuses_the_whole_batch(world, row, code):
    good = {"issn": SCIENCE, "title": "Science"}
    with pytest.raises(RuleViolation) as refused:
        add_journal_holdings(world.b, [good, row])
    assert refused.value.code == code
    assert not JournalHolding.objects.exists()


def test_replace_drops_the_members_earlier_holdings_only(world):
    add_journal_holdings(world.b, [{"issn": NATURE, "title": "Nature"}])
    add_journal_holdings(world.c, [{"issn": NATURE, "title": "Nature"}])
    add_journal_holdings(world.b, [{"issn": SCIENCE, "title": "Science"}], replace=True)
    assert sorted(JournalHolding.objects.values_list("library__code", "issn")) == [
        ("BBB", SCIENCE),
        ("CCC", NATURE),
    ]


def test_only_the_members_staff_add_its_holdings(world):
    staff = account_services.create_staff(
        library=world.c, username="ccc-staff", password="x-Reach-2020", name="丙馆员",
        role=StaffRole.CIRCULATION,
    ).user  # fmt: skip
    with pytest.raises(PermissionDenied):
        add_journal_holdings(world.b, [{"issn": NATURE, "title": "Nature"}], by=staff)
    assert add_journal_holdings(world.c, [{"issn": NATURE, "title": "Nature"}], by=staff) == 1


def test_route_many_takes_each_requests_own_library_out(world):
    from libreach.docdelivery.lenders import route_many

    world.record(world.b, copies=2, isbn=HONGLOU)
    world.record(world.c, isbn=HONGLOU)
    citation = {"type": "book", "isbn": HONGLOU}
    routed = route_many([(world.b.pk, citation), (world.c.pk, citation), (world.d.pk, citation)])
    assert [codes(r) for r in routed] == [["CCC"], ["BBB"], ["BBB", "CCC"]]
    assert routed[2] == rank_lenders(requester_id=world.d.pk, type="book", isbn=HONGLOU)


def test_a_holding_found_by_both_its_issns_in_two_chunks_counts_once(world, monkeypatch):
    add_journal_holdings(world.b, [{"issn": NATURE, "eissn": NATURE_E, "title": "Nature"}])
    monkeypatch.setattr(lenders, "CHUNK", 1)  # each ISSN in a query of its own
    citations = [{"type": "article", "issn": NATURE}, {"type": "article", "issn": NATURE_E}]
    routed = rank_lenders_many(citations, requester_id=world.requester.pk)
    assert [[(c.code, c.holdings) for c in r] for r in routed] == [[("BBB", 1)], [("BBB", 1)]]
