"""Citations: OpenURL links read, normal forms, and the duplicate key."""

import pytest
from django.http import QueryDict

from libreach.docdelivery.citations import (
    MAX_LENGTHS,
    citation_key,
    from_openurl,
    normalise,
    normalise_doi,
    normalise_issn,
)
from libreach.docdelivery.models import DocRequest

NATURE_KEV = (
    "url_ver=Z39.88-2004&ctx_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:journal"
    "&rfr_id=info:sid/www.isinet.com:WoK:WOS&rft.genre=article&rft.atitle=Deep+learning"
    "&rft.jtitle=NATURE&rft.au=LeCun,+Yann&rft.au=Bengio,+Yoshua&rft.aulast=LeCun"
    "&rft.aufirst=Yann&rft.issn=0028-0836&rft.eissn=1476-4687&rft.date=2015-05-28"
    "&rft.volume=521&rft.issue=7553&rft.spage=436&rft.epage=444"
    "&rft_id=info:pmid/26017442&rft_id=info:doi/10.1038%2FNATURE14539"
)


def test_openurl_1_0_article():
    assert from_openurl(QueryDict(NATURE_KEV)) == {
        "type": "article",
        "title": "NATURE",
        "article_title": "Deep learning",
        "authors": "LeCun, Yann; Bengio, Yoshua",
        "issn": "0028-0836",
        "isbn": "",
        "year": "2015",
        "volume": "521",
        "issue": "7553",
        "pages": "436-444",
        "doi": "10.1038/nature14539",
    }


def test_openurl_as_lists_or_single_values_gives_the_same():
    query = QueryDict(NATURE_KEV)
    assert from_openurl(dict(query.lists())) == from_openurl(query)
    assert from_openurl(query.dict())["doi"] == "10.1038/nature14539"


def test_openurl_0_1_article():
    citation = from_openurl(
        {
            "genre": "article", "atitle": "CRISPR", "title": "Science", "aulast": "Doudna",
            "aufirst": "Jennifer", "issn": "00368075", "date": "2014", "volume": "346",
            "issue": "6213", "pages": "1258096", "id": "doi:10.1126/science.1258096",
        }
    )  # fmt: skip
    assert citation["type"] == "article"
    assert citation["title"] == "Science"
    assert citation["authors"] == "Doudna, Jennifer"
    assert citation["issn"] == "0036-8075"
    assert citation["pages"] == "1258096"
    assert citation["doi"] == "10.1126/science.1258096"


@pytest.mark.parametrize(
    ("genre", "kind"),
    [
        ("article", "article"), ("journal", "article"), ("issue", "article"),
        ("proceeding", "article"), ("conference", "article"), ("bookitem", "chapter"),
        ("book", "book"), ("BOOK", "book"),
    ],
)  # fmt: skip
def test_genres(genre, kind):
    assert from_openurl({"rft.genre": genre, "rft.title": "X"})["type"] == kind


def test_a_chapter_has_its_book_and_its_own_title():
    citation = from_openurl(
        {
            "rft.genre": "bookitem", "rft.btitle": "红楼梦", "rft.atitle": "第一回",
            "rft.isbn": "7-02-000220-X", "rft.aulast": "曹", "rft.aufirst": "雪芹",
            "rft.date": "1982", "rft.spage": "1", "rft.epage": "15",
        }
    )  # fmt: skip
    assert citation["type"] == "chapter"
    assert (citation["title"], citation["article_title"]) == ("红楼梦", "第一回")
    assert citation["isbn"] == "9787020002207"
    assert citation["authors"] == "曹雪芹"
    assert citation["pages"] == "1-15"


def test_no_genre_the_fields_tell():
    assert from_openurl({"isbn": "9787020002207", "title": "红楼梦"})["type"] == "book"
    assert from_openurl({"btitle": "红楼梦", "atitle": "第一回"})["type"] == "chapter"
    assert from_openurl({"jtitle": "Nature", "atitle": "x"})["type"] == "article"
    fmt = "info:ofi/fmt:kev:mtx:book"
    assert from_openurl({"rft_val_fmt": fmt, "rft.title": "红楼梦"})["type"] == "book"


def test_a_book_s_title_from_btitle_or_title():
    citation = from_openurl({"genre": "book", "btitle": "The C programming language"})
    assert (citation["title"], citation["article_title"]) == ("The C programming language", "")


def test_a_bad_print_issn_gives_way_to_a_good_electronic_one():
    citation = from_openurl({"genre": "article", "issn": "0028-0837", "eissn": "1476-4687"})
    assert citation["issn"] == "1476-4687"


def test_a_doi_as_url_in_rft_id():
    citation = from_openurl({"rft_id": ["https://doi.org/10.1000/ABC.1", "info:pmid/1"]})
    assert citation["doi"] == "10.1000/abc.1"


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"": ""},
        {"\x00": [None, ""]},
        {"genre": "\ufffd\ufffd", "issn": "garbage", "isbn": "12", "date": "someday"},
        {"rft_id": "info:doi/not-a-doi", "doi": "10.", "spage": "x" * 1000},
        {"rft.atitle": ["a" * 2000], "rft.au": ["b" * 300, "c" * 300]},
        {"genre": 5, "volume": None, "title": 3.5},
    ],
)
def test_junk_gives_what_can_be_read_and_fits_the_model(query):
    citation = from_openurl(query)
    assert citation["type"] in {"article", "chapter", "book"}
    for name, limit in MAX_LENGTHS.items():
        assert len(citation[name]) <= limit
        assert len(citation[name]) <= DocRequest._meta.get_field(name).max_length
    assert citation["issn"] == citation["isbn"] == citation["doi"] == ""


def test_long_titles_are_cut_at_a_word_with_an_ellipsis():
    citation = from_openurl({"atitle": "word " * 200, "jtitle": "J"})
    assert len(citation["article_title"]) <= 500
    assert citation["article_title"].endswith("word…")


# --- normal forms --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "issn"),
    [("0028-0836", "0028-0836"), ("00280836", "0028-0836"), ("ISSN 0028 0836", "0028-0836"),
     ("2049-3630", "2049-3630"), ("0028-0837", ""), ("", ""), ("abcd-efgh", "")],
)  # fmt: skip
def test_issn(raw, issn):
    assert normalise_issn(raw) == issn


@pytest.mark.parametrize(
    ("raw", "doi"),
    [("10.1038/NATURE14539", "10.1038/nature14539"),
     ("https://doi.org/10.1038/nature14539", "10.1038/nature14539"),
     ("http://dx.doi.org/10.1038/nature14539", "10.1038/nature14539"),
     ("doi: 10.1038/nature14539.", "10.1038/nature14539"),
     ("DOI:10.1038/nature14539", "10.1038/nature14539"),
     ("info:doi/10.1038%2Fnature14539", "10.1038/nature14539"),
     ("nature14539", ""), ("", "")],
)  # fmt: skip
def test_doi(raw, doi):
    assert normalise_doi(raw) == doi


def test_normalise():
    citation = normalise(
        {
            "type": "Book", "title": "  红楼梦\n（上）  ", "isbn": "7-02-000220-X",
            "issn": "2049-3631", "year": "c1982.", "doi": "https://doi.org/10.1000/X",
        }
    )  # fmt: skip
    assert citation["type"] == "book"
    assert citation["title"] == "红楼梦 （上）"
    assert citation["isbn"] == "9787020002207"
    assert citation["issn"] == ""  # a wrong check digit
    assert citation["year"] == "1982"
    assert citation["doi"] == "10.1000/x"
    assert citation["volume"] == ""


# --- the key -------------------------------------------------------------------------------------

ARTICLE = {
    "type": "article", "title": "Nature", "article_title": "Deep learning", "issn": "0028-0836",
    "year": "2015", "volume": "521", "issue": "7553", "pages": "436-444",
}  # fmt: skip


def test_key_is_short():
    assert len(citation_key(ARTICLE)) <= 64
    assert len(citation_key({})) <= 64


def test_same_doi_same_key_in_any_form():
    a = citation_key(ARTICLE | {"doi": "10.1038/nature14539"})
    assert a == citation_key({"type": "article", "doi": "https://doi.org/10.1038/NATURE14539"})
    assert a != citation_key(ARTICLE | {"doi": "10.1038/nature14540"})


def test_same_article_typed_twice_same_key():
    other_form = ARTICLE | {
        "issn": "00280836", "year": "2015-05-28", "pages": "pp. 436–444", "title": "NATURE ",
        "article_title": "Deep  Learning",
    }  # fmt: skip
    assert citation_key(other_form) == citation_key(ARTICLE)


def test_another_article_in_the_same_issue_has_another_key():
    assert citation_key(ARTICLE | {"pages": "445-450"}) != citation_key(ARTICLE)
    assert citation_key(ARTICLE | {"issue": "7554"}) != citation_key(ARTICLE)


def test_without_pages_the_article_title_tells_articles_apart():
    bare = ARTICLE | {"pages": ""}
    assert citation_key(bare) != citation_key(bare | {"article_title": "Attention"})
    assert citation_key(bare) == citation_key(bare | {"article_title": "DEEP LEARNING"})


def test_titles_fold_case_width_and_script():
    a = {"type": "book", "title": "紅樓夢", "authors": "曹雪芹"}
    assert citation_key(a) == citation_key({"type": "book", "title": "红楼梦"})
    assert citation_key({"type": "book", "title": "ＡＢＣ　Ｄ"}) == citation_key(
        {"type": "book", "title": "abc d"}
    )
    assert citation_key(a) != citation_key({"type": "book", "title": "红楼梦魇"})


def test_a_book_by_its_isbn_in_either_form():
    assert citation_key({"type": "book", "isbn": "7-02-000220-X", "title": "红楼梦"}) == (
        citation_key({"type": "book", "isbn": "9787020002207", "year": "1982"})
    )
    assert citation_key({"type": "book", "isbn": "9787020002207"}) != citation_key(
        {"type": "chapter", "isbn": "9787020002207", "article_title": "第一回"}
    )


def test_two_chapters_of_one_book_differ():
    chapter = {"type": "chapter", "isbn": "9787020002207", "title": "红楼梦"}
    first = citation_key(chapter | {"article_title": "第一回"})
    assert first != citation_key(chapter | {"article_title": "第二回"})
    assert citation_key(chapter | {"pages": "1-15"}) != citation_key(chapter | {"pages": "16-30"})
