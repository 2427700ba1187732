"""The search form of characters (`catalog.fold`) and its copies in the databases."""

import pytest
from django.db import connection

from libreach.catalog import fold as fold_module
from libreach.catalog.fold import FOLD_RANGES, TABLE, build_table, fold
from libreach.catalog.fold_chars import FOLDED, SOURCE


@pytest.fixture
def opencc():
    # The test extra installs it; only these tests need it, the runtime never does.
    return pytest.importorskip("opencc")


# Titles and names in traditional characters, as libraries in Taiwan and Hong Kong and
# older Library of Congress records catalogue them.
TRADITIONAL = [
    "紅樓夢",
    "三國演義",
    "羅貫中",
    "水滸傳",
    "西遊記",
    "中國建築史",
    "經濟學原理",
    "臺灣文學史綱",
    "香港中文大學出版社",
    "聊齋誌異",
    "資治通鑑",
    "魯迅全集",
    "歷史的天空",
    "電腦網路與資訊安全",
]


def test_the_frozen_table_is_the_one_built_from_opencc(opencc):
    # A newer OpenCC that changes it needs a migration reinstalling the table (see fold).
    assert build_table() == dict(zip(SOURCE, FOLDED, strict=True))


def test_the_three_titles_readers_typed_fold_to_their_simplified_forms():
    assert fold("紅樓夢") == "红楼梦"
    assert fold("三國演義") == "三国演义"
    assert fold("羅貫中") == "罗贯中"
    assert fold("红楼梦 三国演义 罗贯中") == "红楼梦 三国演义 罗贯中"  # simplified stays


@pytest.mark.parametrize("text", TRADITIONAL)
@pytest.mark.parametrize("config", ["t2s", "tw2s", "hk2s"])
def test_folding_agrees_with_opencc_phrase_conversion(opencc, text, config):
    simplified = opencc.OpenCC(config).convert(text)
    assert fold(text) == fold(simplified) == simplified


def test_taiwan_and_hong_kong_variants_fold_with_the_standard_forms():
    assert fold("裡") == fold("裏") == "里"
    assert fold("臺") == fold("台") == "台"
    assert fold("衞") == fold("衛") == "卫"
    assert fold("啟") == fold("啓") == "启"
    # Everyday simplified characters that Taiwan writes for other words stay themselves.
    assert fold("著") == "著"
    assert fold("抬") == "抬"


def test_full_width_latin_and_compatibility_ideographs_fold():
    assert fold("ＳＱＬ必知必会　第４版") == "SQL必知必会 第4版"
    assert fold("\uf902") == "车"  # CJK COMPATIBILITY IDEOGRAPH-F902, 車


def test_a_part_of_a_text_folds_to_that_part_of_the_folded_text(opencc):
    # Why a character table and not OpenCC's phrases: the phrase 乾隆 keeps 乾, 乾 alone
    # becomes 干, so a search for 乾 through phrase conversion misses 乾隆.
    phrases = opencc.OpenCC("t2s")
    assert phrases.convert("乾") not in phrases.convert("乾隆皇帝")
    assert fold("乾") in fold("乾隆皇帝")
    for text in TRADITIONAL:
        for start in range(len(text)):
            for end in range(start + 1, len(text) + 1):
                assert fold(text[start:end]) == fold(text)[start:end]


def test_every_folded_character_is_in_the_ranges_the_databases_check_first():
    assert all(any(lo <= c <= hi for lo, hi in FOLD_RANGES) for c in TABLE)
    assert all(len(folded) == 1 for folded in TABLE.values())
    assert all(fold(folded) == folded for folded in TABLE.values())  # once is enough


def test_plain_ascii_folds_to_itself():
    text = "".join(chr(c) for c in range(0x20, 0x7F))
    assert fold(text) == text


@pytest.mark.django_db
def test_the_database_folds_with_the_same_table():
    sources, folded = fold_module.pairs()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT c, s FROM catalog_search_fold")
            assert dict(cursor.fetchall()) == dict(zip(sources, folded, strict=True))
        else:
            cursor.execute("SELECT catalog_fold(%s), catalog_fold('Plain 1')", [sources])
            assert cursor.fetchone() == (folded, "Plain 1")
