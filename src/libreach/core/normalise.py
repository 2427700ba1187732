"""One form for what people and scanners type: barcodes, pickup codes, card numbers.

A reader typing with a Chinese input method sends full-width digits (０１２３) and the
ideographic space; a phone keyboard adds a trailing space; a copied code can carry a
zero-width space; a barcode label may be lower or upper case. Values are stored in the form
these functions give and compared in it, so "０１２３ " finds "0123" and nothing typed can
reach a comparison that only takes ASCII (`hmac.compare_digest` raises on other text).
"""

from __future__ import annotations

import hmac
import unicodedata


def _visible_nfkc(value: object) -> str:
    # NFKC folds full-width forms and the ideographic space to ASCII; format characters
    # (zero-width space, BOM, direction marks) are dropped, as a person never means them.
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return "".join(ch for ch in text if unicodedata.category(ch) not in {"Cf", "Cc"})


def _settled(form, value: object) -> str:
    # Removing a space or upper-casing can leave a letter NFKC composes differently
    # ("A´" -> "A" + combining acute; "ǰ" -> "J" + caron): apply the form until it holds.
    text = form("" if value is None else str(value))
    for _ in range(3):
        again = form(text)
        if again == text:
            break
        text = again
    return text


def typed_text(value: object) -> str:
    """NFKC and trimmed: for names people type (user names, ID numbers before hashing)."""
    return _settled(lambda text: _visible_nfkc(text).strip(), value)


def barcode(value: object) -> str:
    """A copy's barcode as stored: NFKC, no white space, upper case (labels mix cases)."""
    return _settled(lambda text: "".join(_visible_nfkc(text).split()).upper(), value)


def card_number(value: object) -> str:
    """A reader's card number as stored and signed in with: NFKC, no white space.

    Case is kept (the card number is also the reader's user name); look card numbers up
    with `iexact`.
    """
    return _settled(lambda text: "".join(_visible_nfkc(text).split()), value)


def digits_code(value: object) -> str:
    """A code read out or typed, such as a pickup code: NFKC, no spaces or hyphens.

    The result may still hold characters other than ASCII digits (a typo); compare it with
    `codes_equal`, which refuses those instead of raising.
    """
    return _settled(lambda text: "".join(_visible_nfkc(text).split()).replace("-", ""), value)


def codes_equal(typed: str, stored: str) -> bool:
    """Constant-time equality of two codes; False (not an exception) for non-ASCII input."""
    try:
        return hmac.compare_digest(typed.encode("ascii"), stored.encode("ascii"))
    except UnicodeEncodeError:
        return False
