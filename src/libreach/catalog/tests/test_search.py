"""Catalogue search (`catalog.selectors.search_records`), the same on SQLite and PostgreSQL.

Run on PostgreSQL with DATABASE_URL=postgres://... pytest; every test here runs on both.
"""

import importlib
import re

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from libreach.catalog import search
from libreach.catalog.models import Item, ItemStatus, Record
from libreach.catalog.search import parse_query
from libreach.catalog.selectors import SearchPage, record_with_items, search_records
from libreach.catalog.services import ItemInput, create_record, search_columns
from libreach.core.errors import BadRequest, NotFound

pytestmark = pytest.mark.django_db

index_migration = importlib.import_module("libreach.catalog.migrations.0002_search_index")
fold_migration = importlib.import_module("libreach.catalog.migrations.0004_search_fold")

HONGLOUMENG_ISBN13 = "9787020002207"
HONGLOUMENG_ISBN10 = "702000220X"  # 7-02-000220-X: the ISBN-10 of 978-7-02-000220-7


@pytest.fixture
def books(library, other_library) -> dict[str, Record]:
    def record(key: str, title: str, library=library, **fields) -> tuple[str, Record]:
        return key, create_record(library=library, title=title, **fields)

    return dict(
        [
            record(
                "hlm",
                "红楼梦",
                authors=["曹雪芹", "高鹗"],
                isbn="978-7-02-000220-7",
                call_number="I242.4/12",
                items=[
                    ItemInput(barcode="PKU-2", volume="下"),
                    ItemInput(barcode="PKU-1", volume="上"),
                    ItemInput(barcode="PKU-3", call_number="I242.4/12:2"),
                ],
            ),
            record("nahan", "呐喊", authors=["鲁迅"], call_number="I210.2/3"),
            record("research", "红楼梦研究", library=other_library, authors=["俞平伯"]),
            record("python", "Python Cookbook", authors=["Beazley, David"], isbn="9781449340377"),
            record(
                "kr",
                "The C Programming Language",
                authors=["Kernighan, Brian W."],
                call_number="QA76.73.C15 K47 1988",
                items=[ItemInput(barcode="PKU-KR")],
            ),
            record("rust", "Programming Rust", authors=["Blandy, Jim"]),
        ]
    )


def titles(page: SearchPage) -> list[str]:
    return [record.title for record in page.results]


def found(query: str, **kwargs) -> list[str]:
    return titles(search_records(query=query, **kwargs))


def found_ids(query: str) -> list[int]:
    return [record.pk for record in search_records(query=query, page_size=100).results]


# --- the index itself -----------------------------------------------------------------


def test_the_index_is_installed_and_kept_by_triggers():
    # A later migration that remakes catalog_record on SQLite drops its triggers; it must
    # reinstall them (migration 0004's install_sqlite_triggers).
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            triggers = {row[0] for row in cursor.fetchall()}
            assert set(index_migration.SQLITE_TRIGGER_NAMES) <= triggers
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_record'")
            indexes = {row[0] for row in cursor.fetchall()}
            assert {"catalog_record_search_trgm", "catalog_record_cjk_trgm"} <= indexes


def test_query_analysis_uses_the_cjk_ranges_the_migration_indexes():
    assert search.CJK_RANGES == index_migration.CJK_RANGES


def test_query_terms_by_length_and_script():
    parsed = parse_query("  红楼梦  红楼 梦 Go  python PYTHON ")
    assert parsed.long_terms == ("红楼梦", "python")  # case-insensitive duplicates dropped
    assert parsed.cjk_terms == ("红楼", "梦")
    assert parsed.short_terms == ("Go",)
    assert parse_query("ＰＹＴＨＯＮ　红楼").text == "PYTHON 红楼"  # full-width, ideographic space
    assert parse_query(" \t ") is None
    assert parse_query("7-02-000220-x").isbn13 == HONGLOUMENG_ISBN13
    assert parse_query("7-02-000220-3").isbn13 is None  # wrong check digit: plain text


# --- what matches ---------------------------------------------------------------------


def test_chinese_substrings_of_any_length_find_titles_and_authors(books):
    assert found("红楼") == ["红楼梦", "红楼梦研究"]
    assert found("楼梦") == ["红楼梦", "红楼梦研究"]
    assert found("红楼梦研究") == ["红楼梦研究"]
    assert found("梦") == ["红楼梦", "红楼梦研究"]
    assert found("曹雪芹") == ["红楼梦"]
    assert found("鲁迅") == ["呐喊"]
    assert found("迅") == ["呐喊"]


def test_chinese_characters_that_are_not_adjacent_do_not_match(books):
    assert found("红梦") == []
    assert found("梦红") == []
    assert found("梦研究红") == []
    # The grams of title and authors are separate: 梦 ends the title, 曹 starts the authors.
    assert found("梦曹") == []
    assert found("楼红") == []


GRAM_TITLES = [
    "哈哈哈",  # repeated characters
    "论语 Lun yu",  # CJK first, Latin after
    "Java编程思想",  # Latin first
    "梦",  # one character
    "中国古代文学史 第2版",  # two runs
    "ノルウェイの森",  # kana
    "한국어 문법",  # hangul
    "𠀋𠀾 extension B",  # beyond the Basic Multilingual Plane
]


def test_every_cjk_character_and_adjacent_pair_is_found(library):
    records = {title: create_record(library=library, title=title).pk for title in GRAM_TITLES}
    for title, pk in records.items():
        runs = [run for run in re.split(r"[^\w]|[A-Za-z0-9_]", title) if run]
        for run in runs:
            for i, char in enumerate(run):
                assert pk in found_ids(char), (title, char)
                if i + 1 < len(run):
                    assert pk in found_ids(run[i : i + 2]), (title, run[i : i + 2])
    # Characters of a title that are not neighbours there do not make a pair.
    for pair in ["哈梦", "语论", "程J", "国中", "史第", "森ノ", "어한", "语Lu"]:
        assert found_ids(pair) == [], pair


def test_latin_words_match_regardless_of_case(books):
    assert found("python") == ["Python Cookbook"]
    assert found("PYTHON") == ["Python Cookbook"]
    assert found("cookb") == ["Python Cookbook"]
    assert found("ＰＹＴＨＯＮ") == ["Python Cookbook"]  # typed with a Chinese input method
    assert found("beazley") == ["Python Cookbook"]
    assert found("Pythonic") == []


@pytest.mark.parametrize(
    "query", [HONGLOUMENG_ISBN13, "978-7-02-000220-7", HONGLOUMENG_ISBN10, "7-02-000220-x"]
)
def test_either_isbn_form_with_or_without_hyphens_finds_its_record(books, query):
    assert found(query) == ["红楼梦"]


def test_an_isbn_finds_only_the_records_carrying_it(books, library):
    other = create_record(library=library, title="Mentions 9787020002207 in its title")
    assert found(HONGLOUMENG_ISBN13) == ["红楼梦"]
    assert found("9781449340378") == []  # a wrong check digit is text, found nowhere
    # A record's further ISBNs (MARC 020 repeated) are searched too.
    columns = search_columns(authors=[], isbns=["9787020002207", "9781449340377"], call_numbers=[])
    Record.objects.filter(pk=other.pk).update(isbns=columns["isbns"])
    assert found("1449340377") == ["Python Cookbook", "Mentions 9787020002207 in its title"]


def test_call_numbers_of_records_and_items_match(books):
    assert found("I242.4") == ["红楼梦"]
    assert found("i242.4/12") == ["红楼梦"]
    assert found("I242.4/12:2") == ["红楼梦"]  # an item's own call number
    assert found("QA76.73") == ["The C Programming Language"]


def test_terms_are_anded_across_columns(books):
    assert found("红楼 曹雪芹") == ["红楼梦"]
    assert found("红楼 俞平伯") == ["红楼梦研究"]
    assert found("红楼 鲁迅") == []
    assert found("programming kernighan") == ["The C Programming Language"]
    assert found("python rust") == []


def test_one_or_two_latin_characters_filter_what_other_terms_found(books):
    # "c" is in "The C Programming Language" (and its call number), not in Programming Rust.
    assert found("C programming") == ["The C Programming Language"]
    assert found("programming c") == ["The C Programming Language"]
    assert found("rust zz") == []


def test_a_query_of_only_short_latin_terms_scans_and_ranks_alike(books):
    assert found("go") == []
    assert found("c") == ["Python Cookbook", "The C Programming Language"]
    # "pr": Programming Rust starts with it, The C Programming Language only contains it.
    assert found("pr") == ["Programming Rust", "The C Programming Language"]


def test_like_wildcards_and_fts_syntax_in_a_query_are_plain_characters(books, library):
    create_record(library=library, title='100% "pure" C_lang: (NOT) a*b')
    assert found("a_") == []
    assert found("%") == ['100% "pure" C_lang: (NOT) a*b']
    assert found("C_l") == ['100% "pure" C_lang: (NOT) a*b']
    assert found('"pure"') == ['100% "pure" C_lang: (NOT) a*b']
    assert found('"pure') == ['100% "pure" C_lang: (NOT) a*b']
    for query in ["(NOT)", "a*b", "NOT", "AND OR", "title:", "^红", "{title}", "C++", "a'b", "\\"]:
        search_records(query=query)  # no syntax error reaches the reader
    assert found("NOT") == ['100% "pure" C_lang: (NOT) a*b']


def test_an_empty_query_finds_nothing_without_touching_the_database(books):
    with CaptureQueriesContext(connection) as queries:
        page = search_records(query="   ")
    assert (page.count, page.results, len(queries)) == (0, [], 0)


# --- ranking ----------------------------------------------------------------------------


def test_title_prefix_before_title_before_the_rest_then_oldest_first(library):
    for title, authors in [
        ("Green and red", []),
        ("Red mansions", []),
        ("Sundance", ["Redford, Robert"]),
        ("redder still", []),
        ("Another red book", []),
    ]:
        create_record(library=library, title=title, authors=authors)
    assert found("red") == [
        "Red mansions",
        "redder still",
        "Green and red",
        "Another red book",
        "Sundance",
    ]
    # Two words: titles starting with the whole query, then titles with both words.
    create_record(library=library, title="Red book of Westmarch")
    assert found("red book") == ["Red book of Westmarch", "Another red book"]


def test_chinese_title_prefix_ranks_first_for_short_and_long_queries(library):
    for title, authors in [("读红楼梦", []), ("Annotations", ["红楼研究会"]), ("红楼梦", [])]:
        create_record(library=library, title=title, authors=authors)
    assert found("红楼") == ["红楼梦", "读红楼梦", "Annotations"]
    assert found("红") == ["红楼梦", "读红楼梦", "Annotations"]
    assert found("红楼梦") == ["红楼梦", "读红楼梦"]


def test_an_isbn_query_ranks_its_records_oldest_first(library):
    older = create_record(library=library, title="B", isbn=HONGLOUMENG_ISBN13)
    newer = create_record(library=library, title="A", isbn=HONGLOUMENG_ISBN10)
    create_record(library=library, title=f"A {HONGLOUMENG_ISBN13}")  # text is no ISBN
    page = search_records(query=HONGLOUMENG_ISBN10)
    assert [r.pk for r in page.results] == [older.pk, newer.pk]


# --- filters and pages ----------------------------------------------------------------


def test_library_filter(books, library, other_library):
    assert found("红楼", library=library) == ["红楼梦"]
    assert found("红楼", library=other_library) == ["红楼梦研究"]
    assert found(HONGLOUMENG_ISBN13, library=other_library) == []
    assert found("c", library=other_library) == []  # the scan filters too


def test_available_only_keeps_records_with_an_item_on_the_shelf(books):
    assert found("红楼", available_only=True) == ["红楼梦"]  # 红楼梦研究 has no items
    Item.objects.filter(record=books["hlm"]).update(status=ItemStatus.ON_LOAN)
    assert found("红楼", available_only=True) == []
    Item.objects.filter(barcode="PKU-3").update(status=ItemStatus.AVAILABLE)
    assert found("红楼", available_only=True) == ["红楼梦"]
    assert found("C", available_only=True) == ["The C Programming Language"]  # a scan
    Item.objects.filter(barcode="PKU-KR").update(status=ItemStatus.REQUESTED)
    assert found("programming", available_only=True) == []
    assert found("C", available_only=True) == []


def test_pages(library):
    for n in range(25):
        create_record(library=library, title=f"History volume {n:02d}")
    first = search_records(query="history", page_size=10)
    second = search_records(query="history", page=2, page_size=10)
    third = search_records(query="history", page=3, page_size=10)
    assert (first.count, second.count, third.count) == (25, 25, 25)
    assert titles(first)[0] == "History volume 00"
    assert titles(second)[0] == "History volume 10"
    assert len(third.results) == 5
    past = search_records(query="history", page=4, page_size=10)
    assert (past.count, past.results, past.page, past.page_size) == (25, [], 4, 10)
    assert search_records(query="nothing-like-this", page=2).count == 0


@pytest.mark.parametrize("kwargs", [{"page": 0}, {"page_size": 0}, {"page_size": 101}])
def test_page_numbers_and_sizes_out_of_range_are_refused(books, kwargs):
    with pytest.raises(BadRequest):
        search_records(query="红楼", **kwargs)


@pytest.mark.parametrize("query", ["红楼", "programming", "9787020002207", "C programming", "c"])
def test_a_page_costs_three_queries_whatever_its_size(library, django_assert_num_queries, query):
    for n in range(6):
        create_record(
            library=library,
            title=f"红楼 C programming {n}",
            isbn="9787020002207",
            items=[ItemInput(barcode=f"B{n}-{v}", volume=str(v)) for v in range(3)],
        )
    with django_assert_num_queries(3):
        page = search_records(query=query, page_size=2)
    with django_assert_num_queries(3):
        page = search_records(query=query, available_only=True, library=library, page_size=6)
    with django_assert_num_queries(0):  # all prefetched
        for record in page.results:
            assert record.library.code == "PKU"
            assert len(record.items.all()) == 3


def test_results_carry_their_library_and_items_in_shelving_order(books):
    (record,) = search_records(query="曹雪芹").results
    assert record.library.code == "PKU"
    # Shelving key, then volume, then barcode: 上 sorts before 下.
    assert [item.barcode for item in record.items.all()] == ["PKU-1", "PKU-2", "PKU-3"]


# --- kept current ---------------------------------------------------------------------


def _index_consistent() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO catalog_record_fts (catalog_record_fts, rank)"
                " VALUES ('integrity-check', 0)"
            )


def test_a_title_changed_with_save_is_searched_at_once(books):
    record = books["python"]
    record.title = "蟒蛇 Cookbook"
    record.save()
    assert found("python") == []
    assert found("蟒蛇") == ["蟒蛇 Cookbook"]
    assert found("蟒") == ["蟒蛇 Cookbook"]
    _index_consistent()


def test_a_title_changed_with_bulk_update_is_searched_at_once(books):
    hlm, nahan = books["hlm"], books["nahan"]
    hlm.title, nahan.title = "石头记", "Call to Arms"
    Record.objects.bulk_update([hlm, nahan], ["title"])
    assert found("红楼") == ["红楼梦研究"]
    assert found("石头") == ["石头记"]
    assert found("arms") == ["Call to Arms"]
    assert found("呐喊") == []
    _index_consistent()


def test_authors_call_numbers_and_library_changed_are_searched_at_once(books, other_library):
    Record.objects.filter(pk=books["nahan"].pk).update(
        author_text="Lu Xun", call_numbers="I210.9/9", library=other_library
    )
    assert found("鲁迅") == []
    assert found("lu xun") == ["呐喊"]
    assert found("I210.9") == ["呐喊"]
    assert found("呐喊", library=other_library) == ["呐喊"]
    _index_consistent()


def test_a_deleted_record_is_gone_at_once(books):
    books["hlm"].delete()
    assert found("红楼") == ["红楼梦研究"]
    assert found(HONGLOUMENG_ISBN10) == []
    Record.objects.filter(title="红楼梦研究").delete()
    assert found("红楼") == []
    _index_consistent()


def test_bulk_created_records_are_searched_at_once(library):
    Record.objects.bulk_create(
        Record(
            library=library, title=title, **search_columns(authors=[], isbns=[], call_numbers=[])
        )
        for title in ["红楼梦", "Dream of the Red Chamber"]
    )
    assert found("红楼") == ["红楼梦"]
    assert found("chamber") == ["Dream of the Red Chamber"]


def test_optimizing_the_index_after_a_bulk_import_keeps_every_record_found(books):
    search.optimize_index()
    assert found("红楼") == ["红楼梦", "红楼梦研究"]
    assert found(HONGLOUMENG_ISBN10) == ["红楼梦"]
    _index_consistent()


def test_saving_without_changing_searched_columns_keeps_the_record_found(books):
    record = books["hlm"]
    record.publisher = "人民文学出版社"
    record.save()
    record.save(update_fields=["publisher"])
    assert found("红楼") == ["红楼梦", "红楼梦研究"]
    _index_consistent()


@pytest.mark.django_db(transaction=True)
def test_the_index_migration_reverses_and_indexes_existing_records(library):
    create_record(library=library, title="红楼梦", authors=["曹雪芹"])
    try:
        with connection.schema_editor() as editor:
            fold_migration.backwards(None, editor)
            index_migration.backwards(None, editor)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'catalog_%fts%'")
                assert cursor.fetchone()[0] == 0
            create_record(library=library, title="Written while the index was away")
    finally:
        with connection.schema_editor() as editor:
            index_migration.forwards(None, editor)
            fold_migration.forwards(None, editor)
    assert found("红楼") == ["红楼梦"]
    assert found("芹") == ["红楼梦"]
    if connection.vendor == "sqlite":
        assert found("away") == ["Written while the index was away"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite table remakes")
@pytest.mark.django_db(transaction=True)
def test_after_a_table_remake_install_sqlite_triggers_restores_the_upkeep(library):
    create_record(library=library, title="红楼梦")
    probe = models.CharField(max_length=5, default="x")
    probe.set_attributes_from_name("remake_probe")
    try:
        with connection.schema_editor() as editor:
            editor.add_field(Record, probe)  # a NOT NULL column with a default: remade
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            assert not {row[0] for row in cursor.fetchall()} & set(
                index_migration.SQLITE_TRIGGER_NAMES
            )
    finally:
        with connection.schema_editor() as editor:
            editor.remove_field(Record, probe)
            fold_migration.install_sqlite_triggers(editor)
    assert found("红楼") == ["红楼梦"]  # the index survived the copy
    Record.objects.filter(title="红楼梦").update(title="石頭記")
    assert found("红楼") == []
    assert found("石头") == ["石頭記"]  # the reinstalled triggers fold
    _index_consistent()


# --- one record -------------------------------------------------------------------------


def test_record_with_items(books, django_assert_num_queries):
    with django_assert_num_queries(2):
        record = record_with_items(books["hlm"].pk)
        assert record.library.code == "PKU"
        assert [item.barcode for item in record.items.all()] == ["PKU-1", "PKU-2", "PKU-3"]


def test_record_with_items_refuses_an_unknown_id(books):
    with pytest.raises(NotFound):
        record_with_items(999_999)


# --- PostgreSQL plans -------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL index plans")
@pytest.mark.parametrize(
    ("query", "index"),
    [("programming", "catalog_record_search_trgm"), ("红楼", "catalog_record_cjk_trgm")],
)
def test_postgresql_searches_through_the_trigram_indexes(books, query, index):
    # With sequential scans off, a plan that can use the index must: the query's
    # expression is then exactly the indexed one.
    from libreach.catalog.selectors import _pg_matching

    sql, params = _pg_matching(parse_query(query)).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
