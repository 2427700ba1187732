"""What people and scanners type comes to one form (core.normalise)."""

import string

from hypothesis import given
from hypothesis import strategies as st

from libreach.core import normalise

FULL_WIDTH = str.maketrans(
    string.digits + string.ascii_letters,
    "０１２３４５６７８９"
    + "".join(chr(0xFF41 + i) for i in range(26))
    + "".join(chr(0xFF21 + i) for i in range(26)),
)


def test_full_width_digits_and_spaces_from_a_chinese_input_method():
    assert normalise.digits_code("０１２３４５") == "012345"
    assert normalise.digits_code("\u3000０１２ ３４５\u200b ") == "012345"
    assert normalise.barcode(" ｐ０００１\n") == "P0001"
    assert normalise.card_number("２０２０ ０００ ００１") == "2020000001"
    assert normalise.typed_text("\ufeff ｐｋｕ-ｃｉｒｃ ") == "pku-circ"


def test_codes_equal_refuses_what_is_not_ascii_instead_of_raising():
    assert normalise.codes_equal("012345", "012345")
    assert not normalise.codes_equal("012346", "012345")
    assert not normalise.codes_equal("０１２３４５", "012345")  # only after normalising
    assert not normalise.codes_equal("红楼梦", "012345")
    assert not normalise.codes_equal("", "012345")


@given(st.text(alphabet=string.digits + string.ascii_letters, min_size=1, max_size=20))
def test_full_width_forms_normalise_to_what_a_scanner_sends(code):
    wide = code.translate(FULL_WIDTH)
    assert normalise.barcode(wide) == code.upper()
    assert normalise.card_number(f" {wide}\u3000") == code
    assert normalise.digits_code(wide) == code


@given(st.text())
def test_any_text_normalises_idempotently_and_compares_without_raising(text):
    for form in (normalise.barcode, normalise.card_number, normalise.digits_code):
        once = form(text)
        assert form(once) == once
        assert normalise.codes_equal(once, "012345") in (True, False)
    assert normalise.typed_text(normalise.typed_text(text)) == normalise.typed_text(text)
