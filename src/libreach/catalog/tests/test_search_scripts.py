"""Traditional and simplified characters find the same records (issue 7, item 19), on
SQLite and PostgreSQL, through the selector, the API and the reader's search page."""

import importlib

import pytest
from django.db import connection

from libreach.catalog.models import Record
from libreach.catalog.selectors import search_records
from libreach.catalog.services import create_record

pytestmark = pytest.mark.django_db

fold_migration = importlib.import_module("libreach.catalog.migrations.0004_search_fold")


@pytest.fixture
def shelves(library, other_library) -> dict[str, Record]:
    """The same books catalogued in simplified characters and (elsewhere) in traditional."""
    return {
        "hlm": create_record(library=library, title="红楼梦", authors=["曹雪芹", "高鹗"]),
        "hlm_tw": create_record(
            library=other_library, title="紅樓夢", authors=["曹雪芹", "高鶚"], year=1984
        ),
        "sgyy": create_record(library=library, title="三国演义", authors=["罗贯中"]),
        "sgyy_tw": create_record(library=other_library, title="三國演義", authors=["羅貫中"]),
        "shz": create_record(library=library, title="水浒传", authors=["施耐庵", "罗贯中"]),
        "python": create_record(library=library, title="Python Cookbook", authors=["Beazley"]),
        "sql": create_record(library=library, title="ＳＱＬ必知必会", call_number="ＴＰ３１１"),
    }


def ids(query: str, **kwargs) -> list[int]:
    return [r.pk for r in search_records(query=query, page_size=100, **kwargs).results]


def keys(shelves, query: str) -> list[str]:
    names = {record.pk: name for name, record in shelves.items()}
    return [names[pk] for pk in ids(query)]


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [("紅樓夢", "红楼梦"), ("三國演義", "三国演义"), ("羅貫中", "罗贯中")],
)
def test_the_readers_three_searches_find_what_their_simplified_forms_find(
    shelves, traditional, simplified
):
    assert ids(traditional) == ids(simplified) != []


def test_a_record_catalogued_in_traditional_is_found_in_simplified(shelves):
    assert keys(shelves, "红楼梦") == ["hlm", "hlm_tw"]
    assert keys(shelves, "紅樓夢") == ["hlm", "hlm_tw"]
    assert keys(shelves, "三国演义") == ["sgyy", "sgyy_tw"]


def test_authors_in_either_script(shelves):
    assert keys(shelves, "罗贯中") == ["sgyy", "sgyy_tw", "shz"]
    assert keys(shelves, "羅貫中") == ["sgyy", "sgyy_tw", "shz"]
    assert keys(shelves, "高鶚") == keys(shelves, "高鹗") == ["hlm", "hlm_tw"]


def test_one_and_two_character_terms_in_either_script(shelves):
    # The CJK grams index (1-2 characters) folds too.
    assert keys(shelves, "樓夢") == keys(shelves, "楼梦") == ["hlm", "hlm_tw"]
    assert keys(shelves, "國") == keys(shelves, "国") == ["sgyy", "sgyy_tw"]
    assert keys(shelves, "羅") == ["sgyy", "sgyy_tw", "shz"]


def test_mixed_queries(shelves):
    assert keys(shelves, "紅楼梦") == ["hlm", "hlm_tw"]  # one word in both scripts
    assert keys(shelves, "三國 罗贯中") == ["sgyy", "sgyy_tw"]
    assert keys(shelves, "水滸 羅") == ["shz"]
    assert keys(shelves, "紅樓夢 python") == []


def test_the_library_filter_keeps_working_across_scripts(shelves, other_library):
    assert keys(shelves, "红楼梦") == ["hlm", "hlm_tw"]
    assert [r.title for r in search_records(query="红楼梦", library=other_library).results] == [
        "紅樓夢"
    ]


def test_ascii_queries_find_what_they_found(shelves):
    assert keys(shelves, "python") == ["python"]
    assert keys(shelves, "PYTHON beazley") == ["python"]
    for query in ["gao", "luo", "hong", "cao", "sgyy", "zz", "?"]:
        assert ids(query) == [], query


def test_full_width_latin_in_records_and_queries(shelves):
    assert keys(shelves, "sql") == ["sql"]
    assert keys(shelves, "ＳＱＬ必知") == ["sql"]
    assert keys(shelves, "tp311") == ["sql"]  # a full-width call number


def test_ranking_of_a_title_prefix_holds_across_scripts(library):
    for title in ["读红楼梦", "紅樓夢人物論", "红楼梦"]:
        create_record(library=library, title=title)
    # Titles starting with the query first, then by record id, whatever the script.
    assert [r.title for r in search_records(query="红楼梦").results] == [
        "紅樓夢人物論",
        "红楼梦",
        "读红楼梦",
    ]
    assert [r.title for r in search_records(query="紅樓").results] == [
        "紅樓夢人物論",
        "红楼梦",
        "读红楼梦",
    ]


def test_shown_text_keeps_its_script(shelves):
    (record,) = search_records(query="三国演义", library=shelves["sgyy_tw"].library).results
    assert (record.title, record.authors, record.author_text) == ("三國演義", ["羅貫中"], "羅貫中")


def test_titles_changed_by_any_write_are_found_in_either_script(shelves):
    Record.objects.filter(pk=shelves["python"].pk).update(title="西遊記")
    assert keys(shelves, "西游记") == ["python"]
    shelves["python"].refresh_from_db()
    shelves["python"].title = "西游记"
    shelves["python"].save()
    assert keys(shelves, "西遊") == ["python"]
    shelves["hlm_tw"].delete()
    assert keys(shelves, "紅樓夢") == ["hlm"]
    if connection.vendor == "sqlite":  # deletes recomputed the folded text exactly
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO catalog_record_fts (catalog_record_fts, rank)"
                " VALUES ('integrity-check', 0)"
            )


@pytest.mark.django_db(transaction=True)
def test_the_migration_folds_the_index_of_existing_records(library):
    create_record(library=library, title="紅樓夢", authors=["曹雪芹"])
    try:
        with connection.schema_editor() as editor:
            fold_migration.backwards(None, editor)
        if connection.vendor == "sqlite":  # PostgreSQL's queries need catalog_fold
            assert ids("红楼梦") == []  # the index as it was: traditional found nothing
        create_record(library=library, title="三國演義")
    finally:
        with connection.schema_editor() as editor:
            fold_migration.forwards(None, editor)
    assert len(ids("红楼梦")) == len(ids("红楼")) == len(ids("三国")) == 1


def test_the_api_search_route_finds_traditional_and_simplified_alike(api_as, consortium):
    create_record(library=consortium.lib, title="紅樓夢", authors=["曹雪芹"])
    create_record(library=consortium.lib, title="红楼梦", authors=["曹雪芹"])
    client = api_as("anonymous")
    bodies = [client.get("/api/v1/catalog/search", {"q": q}).json() for q in ("紅樓夢", "红楼梦")]
    assert bodies[0] == bodies[1]
    assert {r["title"] for r in bodies[0]["results"]} == {"红楼梦", "紅樓夢"}


def test_the_readers_search_page_finds_a_traditional_query(client, consortium):
    create_record(library=consortium.lib, title="三国演义", authors=["罗贯中"])
    response = client.get("/search/", {"q": "三國演義"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "三国演义" in page and "罗贯中" in page
    assert "没有找到结果" not in page


def test_the_demo_holds_both_scripts_editions_and_finds_them_together(library, tmp_path):
    from libreach.catalog.marc_import import import_marc
    from libreach.site.demo import chinese_books_marc

    path = tmp_path / "books.mrc"
    path.write_bytes(chinese_books_marc(library, share=1, seed=0))
    import_marc(library=library, path=path, background=False)
    for query in ("紅樓夢", "红楼梦"):
        titles = [r.title for r in search_records(query=query).results]
        assert titles[:2] == ["红楼梦", "紅樓夢"], query
    assert [r.title for r in search_records(query="罗贯中").results] == [
        "三国演义",
        "水浒传",
        "三國演義",
    ]
