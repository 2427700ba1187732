"""Keyed slow hashes of ID numbers: normalised input, rotation through fallbacks, old hashes."""

import functools
import hashlib
import hmac

from django.conf import settings
from django.test import override_settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from libreach.core import hashing

ID_NUMBER = "11010119900307123X"
KEY_A, KEY_B = "id-hash-key-a-" + "a" * 40, "id-hash-key-b-" + "b" * 40


def test_the_same_number_matches_however_it_is_typed():
    stored = hashing.make_id_hash(ID_NUMBER)
    for typed in [
        ID_NUMBER,
        "11010119900307123x",  # the check character in lower case
        "１１０１０１１９９００３０７１２３Ｘ",  # full-width, from a Chinese input method
        " 110101 19900307 123X ",  # spaces as people type them
        "110101\u300019900307\u3000123X",  # the ideographic space
        "110101\u200b19900307123X",  # a zero-width space in a pasted number
    ]:
        assert hashing.id_hash_matches(typed, stored), typed


def test_other_input_does_not_match_and_never_raises():
    stored = hashing.make_id_hash(ID_NUMBER)
    for typed in ["11010119900307123", "110101199003071234", "", "   ", None, "一一〇一〇一", "💳"]:
        assert not hashing.id_hash_matches(typed, stored), typed
    for mangled in ["", "scrypt$", "scrypt$x$y$z$1$2$3", stored + "$", stored[:-4], "a$b$c"]:
        assert not hashing.id_hash_matches(ID_NUMBER, mangled), mangled


@hypothesis_settings(max_examples=30, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_checked_without_an_error(typed):
    stored = _stored_for_fuzz()
    assert hashing.id_hash_matches(typed, stored) == (
        hashing.normalise(typed) == ID_NUMBER.casefold()
    )


@functools.cache
def _stored_for_fuzz() -> str:
    return hashing.make_id_hash(ID_NUMBER)


def test_hashes_are_salted_slow_and_hold_no_digits_of_the_number():
    first, second = hashing.make_id_hash(ID_NUMBER), hashing.make_id_hash(ID_NUMBER)
    assert first != second  # a salt per hash: equal numbers cannot be spotted
    algorithm, _key_id, n, r, p, _salt, _digest = first.split("$")
    assert (algorithm, int(n), int(r), int(p)) == ("scrypt", hashing.SCRYPT_N, 8, 1)
    assert ID_NUMBER[-4:] not in first and ID_NUMBER[:6] not in first


def test_rotation_old_key_in_the_fallbacks_still_checks_its_hashes():
    with override_settings(LIBREACH_ID_HASH_KEY=KEY_A, LIBREACH_ID_HASH_KEY_FALLBACKS=[]):
        made_with_a = hashing.make_id_hash(ID_NUMBER)
    with override_settings(LIBREACH_ID_HASH_KEY=KEY_B, LIBREACH_ID_HASH_KEY_FALLBACKS=[KEY_A]):
        assert hashing.id_hash_matches(ID_NUMBER, made_with_a)
        assert not hashing.id_hash_matches("110101199003071239", made_with_a)
        made_with_b = hashing.make_id_hash(ID_NUMBER)
        assert made_with_b.split("$")[1] != made_with_a.split("$")[1]  # names its key
        assert hashing.id_hash_matches(ID_NUMBER, made_with_b)
    # Once the old key leaves the fallbacks, its hashes no longer check.
    with override_settings(LIBREACH_ID_HASH_KEY=KEY_B, LIBREACH_ID_HASH_KEY_FALLBACKS=[]):
        assert not hashing.id_hash_matches(ID_NUMBER, made_with_a)
        assert hashing.id_hash_matches(ID_NUMBER, made_with_b)


def test_the_key_is_its_own_not_the_secret_key():
    with override_settings(LIBREACH_ID_HASH_KEY=KEY_A):
        stored = hashing.make_id_hash(ID_NUMBER)
        with override_settings(SECRET_KEY="another-secret-key-" + "c" * 40):
            assert hashing.id_hash_matches(ID_NUMBER, stored)
    with override_settings(LIBREACH_ID_HASH_KEY=KEY_B):
        assert not hashing.id_hash_matches(ID_NUMBER, stored)  # a stolen database alone


def test_hashes_made_before_scrypt_still_check():
    # `salt$hex(HMAC-SHA256(SECRET_KEY, "salt:ID"))`, as requests submitted before it hold.
    def legacy(number: str, key: str) -> str:
        digest = hmac.new(key.encode(), f"0123abcd:{number}".encode(), hashlib.sha256)
        return f"0123abcd${digest.hexdigest()}"

    stored = legacy(ID_NUMBER, settings.SECRET_KEY)
    assert hashing.id_hash_matches("１１０１０１１９９００３０７１２３ｘ", stored)
    assert not hashing.id_hash_matches("110101199003071230", stored)
    old_key = "the-secret-key-before-rotation-" + "d" * 30
    with override_settings(SECRET_KEY_FALLBACKS=[old_key]):
        assert hashing.id_hash_matches(ID_NUMBER, legacy(ID_NUMBER, old_key))
    assert not hashing.id_hash_matches(ID_NUMBER, legacy(ID_NUMBER, old_key))
