"""ISBNs as people and MARC records write them, all to one ISBN-13."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libreach.catalog.isbn import isbn10, isbn_forms, looks_like_isbn, normalize_isbn


@pytest.mark.parametrize(
    ("raw", "isbn13"),
    [
        ("9787020002207", "9787020002207"),
        ("978-7-02-000220-7", "9787020002207"),
        ("702000220X", "9787020002207"),  # ISBN-10 of the same book
        ("020161622X", "9780201616224"),
        ("020161622x", "9780201616224"),
        ("0415245125 (pbk.)", "9780415245128"),  # a MARC 020 $a with its qualifier
        ("ISBN 978–7–02–000220–7", "9787020002207"),  # en dashes, pasted
        ("9791032300824", "9791032300824"),
        ("9787020002208", None),  # wrong check digit
        ("7020002208", None),
        ("978702000220", None),  # too short
        ("", None),
        (None, None),
        ("no number here", None),
    ],
)
def test_every_form_maps_to_one_isbn13(raw, isbn13):
    assert normalize_isbn(raw) == isbn13


def test_both_search_forms_and_none_for_979():
    assert isbn10("9787020002207") == "702000220X"
    assert isbn_forms("9780201616224") == ["9780201616224", "020161622X"]
    assert isbn10("9791032300824") is None
    assert isbn_forms("9791032300824") == ["9791032300824"]


def test_a_query_is_an_isbn_only_when_it_is_nothing_else():
    assert looks_like_isbn("978-7-02-000220-7") == "9787020002207"
    assert looks_like_isbn("红楼梦 9787020002207") is None
    assert looks_like_isbn("9787020002208") is None


@given(st.from_regex(r"97[89][0-9]{9}", fullmatch=True))
def test_isbn10_and_back(first12):
    # Whatever the 12 digits, the one right check digit makes a valid ISBN-13.
    valid = [normalize_isbn(first12 + d) for d in "0123456789"]
    (isbn13,) = [v for v in valid if v]
    ten = isbn10(isbn13)
    assert ten is None or normalize_isbn(ten) == isbn13
