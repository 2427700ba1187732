"""Shelving order for call numbers: 中图法 (CLC), Library of Congress (LC), and the rest.

``shelving_key(call_number)`` returns a string whose plain string order is the order
of the books on the shelf, so the database can ``ORDER BY`` it.

The key uses only ``0-9`` and ``A-Z``. Plain ASCII is not enough: PostgreSQL under
an ``en_US`` or ICU collation orders punctuation, spaces and lower case differently
from byte order, but upper-case letters and digits compare the same way under C,
``en_US``, ICU and SQLite's BINARY. The key is at most 255 characters; cutting it
shorter keeps the order of every pair that differs within the kept part.

How a key is built: a scheme letter (``C`` CLC, ``L`` LC, ``X`` anything else, ``Z``
no call number, so unnumbered items come last), then tokens, each opened by a type
character chosen so that the types compare in filing order. Contents delimit
themselves, so equal tokens line up and the next type characters are compared:

- integers: a length digit (``0-9A-Z``) then the digits without leading zeros, so
  ``9 < 45 < 123``;
- decimal digit strings (CLC class numbers, LC decimals and cutters, author marks):
  each digit shifted up by one (``0-9`` becomes ``1-9A``) and ended by ``0``, so a
  shorter string files first and ``.P875 < .P9 < .P98``;
- letters: the letters ended by ``0`` (below every letter), so ``T < TP``.

CLC (中图法), ``class number / book number``, e.g. ``K825.6=74/12``, ``O13-44/W123``:

- class number: digits are hierarchical decimals and the dots only punctuation,
  so ``TP3 < TP31 < TP311 < TP311.1 < TP311.13 < TP312`` and ``F239 < F239.0``.
  After the same digits: nothing, then the auxiliary marks in the filing order of
  the 中图法 5th-edition user manual (as Chinese library software quotes it, with
  its example below), ``-`` general subdivisions, ``()``
  areas, ``""`` ethnic groups, ``=`` periods, ``<>`` common time/place/people,
  ``:`` combination, ``+`` union; then letter notations (``TP312JA``, compared
  alphabetically letter by letter); then further digits, which are narrower
  classes. So ``R711 < R711-62 < R711(711) < R711=6 < R711<326> < R711:R83 <
  R711+R173 < R711.1``: a class with its facets comes before its subclasses.
- book number (after ``/``): a 种次号 compares as an integer (``/9 < /45 < /123``);
  an author mark (著者号, ``W123``) by its letters, then its digits as a decimal
  fraction, as the author tables (like Cutter tables) are built; letters appended
  to a number tell apart works given the same number in turn (A, B, ... Z, AA), so
  they compare shorter first. Volume and copy parts compare as integers after
  the book number (``45 < 45:2 < 45:10``). After the same book number: nothing,
  then ``(`` (copy), ``:``, ``/``, ``.`` (volume), ``-`` (edition), ``=``, other
  marks, then letters, then digits; so all copies of one edition come before the
  next edition (``S623 < S623(2) < S623-2(1)``).

LC, e.g. ``QA76.73.P98 L88 2019``: class letters (``Q < QA``), the class number as
an integer then a decimal fraction (``76.7 < 76.73 < 76.9``), then the remaining
elements in turn, each cutter as letter plus decimal fraction with any work
letters after it (``.P875 < .P9 < .P98``, ``G276 < G276Lo``); numbers (dates,
ordinals like ``15th``, volume numbers) as integers. Nothing files before
something and numbers before letters, so ``KF4558 15th .A3 < KF4558 .A3`` and
``... 1981 < ... 1981 v.2 < ... 1981 v.10``. Spaces and dots are optional
(``QA76.73P98`` is ``QA76.73 .P98``).

Anything else (and anything that fails to parse) gets a natural-sort key: digit
runs compare as numbers, letters case-insensitively, other characters by code
point, punctuation and spaces ignored.

Which scheme (``detect_scheme``): CLC class letters are one letter or T plus one
(TP, TN ...), LC's one to three; a class number followed by ``/`` is CLC; I, O and
X are CLC only, L, M and W (NLM) LC only, two letters not starting with T and three
letters LC. For the letters both use, LC signs decide (a cutter, four digits
before the decimal point, a point after one or two digits, an ordinal such as
``15th``, anything after the class number), and a bare class number (``E841``,
``TP311.13``) counts as CLC, the scheme this platform's libraries mostly use.
Four or more letters (``MLCS``, ``Microfiche``) and no letter at all are "other".
Full-width forms (``ＴＰ３１１／１２３``, ``〈〉``, ``“”``) are folded to ASCII first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Literal

Scheme = Literal["clc", "lc", "other"]

MAX_KEY_LENGTH = 255
# Longer input cannot add to a 255-character key in any useful way; capping it keeps
# pathological strings cheap.
_MAX_INPUT = 512

_CLC, _LC, _OTHER, _EMPTY = "C", "L", "X", "Z"

# Index = a length (or count) written as one ordered character.
_LEN = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MAX_LEN = len(_LEN) - 1
# Digits shifted up by one so that "0" is free to end a decimal digit string.
_SHIFT = str.maketrans("0123456789", "123456789A")

# Catalogues typed on Chinese keyboards use full-width and typographic forms. NFKC
# folds the full-width ones; these it leaves alone.
_FOLD = str.maketrans(
    {
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u3003": '"',  # 〃
        "\u3008": "<",  # 〈
        "\u3009": ">",  # 〉
        "\u300a": "<",  # 《
        "\u300b": ">",  # 》
        "\u2039": "<",
        "\u203a": ">",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u30fb": ".",  # ・
        "\u00b7": ".",  # ·
    }
)

# CLC class-number marks in the 中图法 manual's filing order; closing marks and
# anything else are dropped (a closing quote is told by the open/close toggle below).
_CLC_CLASS_MARK = {"-": "1", "(": "2", '"': "3", "=": "4", "<": "5", ":": "6", "+": "7"}
# Book-number marks: copy/volume markers before the edition marker "-".
_CLC_BOOK_MARK = {"(": "1", ":": "2", "/": "3", ".": "4", "-": "5", "=": "6"}
_CLC_BOOK_OTHER = "7"
_CLC_BOOK_DROP = frozenset(")>]} \t\r\n")

_TOKEN = re.compile(r"([0-9]+)|([A-Z]+)|(.)", re.S)
_NATURAL_TOKEN = re.compile(r"([0-9]+)|([A-Z]+)|([^\x00-\x7f])")
_LC_CLASS = re.compile(r"([A-Z]{1,3}) ?([0-9]*)(?: ?\.([0-9]+))?")
_LC_REST = re.compile(
    r"([A-Z])([0-9]+)((?:[A-Z](?![0-9]))*)"  # cutter: one letter, digits, work letters
    r"|([0-9]+)((?:[A-Z](?![0-9]))*)"  # number: date, ordinal, volume number
    r"|([A-Z]+)\.? ?([0-9]*)"  # word or labelled number: V.2, NO. 4, PT 1, SUPPL
)

# Detection.
_LETTERS = re.compile(r"[A-Z]+")
_CLC_CLASS = re.compile(r'[A-Z]{1,2}(?:(?:[0-9]|[-=(<"+:])[0-9A-Z.\-=()<>"+:]*)?')
_CLC_START = re.compile(r'[A-Z]{1,2}(?:[0-9]|[-=(<"+:])')
_LC_START = re.compile(r"[A-Z]{1,3} ?[0-9]")
_LC_ONLY = re.compile(
    r"[A-Z]{1,3} ?(?:"
    r"[0-9]{4}"  # four-digit integer part: CLC puts a dot after every three digits
    r"|[0-9]{1,2}\.[0-9]"  # a dot after one or two digits
    r"|[0-9]+(?:\.[0-9]+)? ?\.? ?[A-Z][0-9]"  # a cutter right after the class number
    r"|[0-9]+(?:\.[0-9]+)? [0-9]+(?:ST|ND|RD|TH|D)\b"  # an ordinal "date or other number"
    r")"
)
_CLC_ONLY_FIRST = frozenset("IOX")  # CLC classes that LC does not have
_LC_ONLY_FIRST = frozenset("LMW")  # LC (and NLM) classes that CLC does not have


def _normalize(call_number: object) -> str:
    if not isinstance(call_number, str):
        return ""
    s = call_number[:_MAX_INPUT]
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s).translate(_FOLD)
    return s.upper().strip()


def _int(digits: str) -> str:
    digits = digits.lstrip("0")
    if len(digits) > _MAX_LEN:
        # Saturate: absurdly long numbers still sort after every shorter one.
        return "Z" + "9" * _MAX_LEN
    return _LEN[len(digits)] + digits


def _decimal(digits: str) -> str:
    return digits.translate(_SHIFT) + "0"


def _finish(parts: list[str]) -> str:
    return "".join(parts)[:MAX_KEY_LENGTH]


def _detect(s: str) -> Scheme:
    m = _LETTERS.match(s)
    if m is None:
        return "other"
    n = m.end()
    if n > 3:
        return "other"  # MLCS, Microfiche, UNCLASSIFIED, location prefixes ...
    first = s[0]
    # CLC class letters are one letter, or T and one letter (TP, TN, TU ...).
    clc_letters = n == 1 or (n == 2 and first == "T")
    if clc_letters and "/" in s and _CLC_CLASS.fullmatch(s.partition("/")[0].rstrip()):
        return "clc"
    if n == 3:
        return "lc" if _LC_START.match(s) else "other"
    if first in _CLC_ONLY_FIRST:
        return "clc" if clc_letters and _CLC_START.match(s) else "other"
    if first in _LC_ONLY_FIRST or not clc_letters:
        return "lc" if _LC_START.match(s) else "other"
    # Letters both schemes use. Without a slash, only a bare class number reads as
    # CLC (E841, TP311.13 could be either: this platform serves CLC libraries
    # first); anything after it (cutters, dates) is LC's way of writing.
    if _LC_ONLY.match(s):
        return "lc"
    if _CLC_CLASS.fullmatch(s):
        return "clc"
    if _LC_START.match(s):
        return "lc"
    return "clc" if _CLC_START.match(s) else "other"


def detect_scheme(call_number: str) -> Scheme:
    """Which scheme a call number is written in: ``"clc"``, ``"lc"`` or ``"other"``.

    A bare class number both schemes could have written (``E841``, ``TP311.13``)
    counts as CLC; ``lc_key`` reads it as LC where a library knows better.
    """
    return _detect(_normalize(call_number))


def _clc(s: str) -> str:
    head, sep, book = s.partition("/")
    if not sep:
        # Some catalogues put a space (or a line break) where the slash goes.
        head, _, book = s.partition(" ")
    out = [_CLC]
    quote_open = False
    for digits, letters, mark in _TOKEN.findall(head.replace(".", "")):
        if digits:
            out.append("N" + _decimal(digits))
        elif letters:
            out.append("L" + letters + "0")
        elif mark == '"':
            if quote_open:
                quote_open = False
            else:
                quote_open = True
                out.append("3")
        else:
            code = _CLC_CLASS_MARK.get(mark)
            if code is not None:
                out.append(code)
    out.append("0")  # end of class number: below every mark, letter and digit

    prev = ""  # kind of the previous book-number token: L letters, D digits, M mark
    for digits, letters, mark in _TOKEN.findall(book):
        if digits:
            # Digits after an author mark's letters are its decimal number.
            out.append("P" + _decimal(digits) if prev == "L" else "N" + _int(digits))
            prev = "D"
        elif letters:
            if prev == "D":
                # Work letters given in turn (A ... Z, AA): shorter first.
                out.append("S" + _LEN[min(len(letters), _MAX_LEN)] + letters[:_MAX_LEN])
            else:
                out.append("L" + letters + "0")
            prev = "L"
        elif mark not in _CLC_BOOK_DROP:
            out.append(_CLC_BOOK_MARK.get(mark, _CLC_BOOK_OTHER))
            prev = "M"
        else:
            prev = "M"
    return _finish(out)


def _lc(s: str) -> str:
    m = _LC_CLASS.match(s)
    if m is None:
        return _natural(s)
    letters, whole, fraction = m.groups()
    out = [_LC, letters, "0", _int(whole), _decimal(fraction or "")]
    # Types: end of key < number "1" < letters "2" (nothing before something,
    # numbers before letters).
    for c_letter, c_digits, c_work, number, n_suffix, word, w_digits in _LC_REST.findall(
        s, m.end()
    ):
        if c_letter:
            out.append("2" + c_letter + "01" + _decimal(c_digits) + c_work + "0")
        elif number:
            out.append("1" + _int(number) + n_suffix + "0")
        elif word:
            out.append("2" + word + "0" + ("2" + _int(w_digits) if w_digits else "0") + "0")
    return _finish(out)


def _natural(s: str) -> str:
    out = [_OTHER]
    for digits, letters, char in _NATURAL_TOKEN.findall(s):
        if digits:
            out.append("1" + _int(digits))
        elif letters:
            out.append("2" + letters + "0")
        else:
            code = ord(char)
            # Four base-36 places cover every code point (36**4 > 0x10FFFF).
            out.append(
                "3"
                + _LEN[code // 46656]
                + _LEN[code // 1296 % 36]
                + _LEN[code // 36 % 36]
                + _LEN[code % 36]
            )
    return _finish(out)


def _scheme_key(call_number: str, key: Callable[[str], str]) -> str:
    s = _normalize(call_number)
    if not s:
        return _EMPTY
    try:
        return key(s)
    except Exception:  # a key must always come back
        return _natural(s)


def clc_key(call_number: str) -> str:
    """Shelving key of a call number read as 中图法 (CLC), e.g. ``TP311.13/123``."""
    return _scheme_key(call_number, _clc)


def lc_key(call_number: str) -> str:
    """Shelving key of a call number read as Library of Congress, e.g. ``QA76.73.P98 L88``."""
    return _scheme_key(call_number, _lc)


def natural_key(call_number: str) -> str:
    """Shelving key for call numbers in no known scheme: digit runs compare as numbers."""
    s = _normalize(call_number)
    return _natural(s) if s else _EMPTY


def shelving_key(call_number: str) -> str:
    """A string whose plain order (bytes, C, en_US, ICU, SQLite) is shelving order.

    Upper-case ``0-9A-Z`` only, at most 255 characters; never raises. CLC keys sort
    before LC keys, then other call numbers, then items without one.
    """
    s = _normalize(call_number)
    if not s:
        return _EMPTY
    try:
        scheme = _detect(s)
        if scheme == "clc":
            return _clc(s)
        if scheme == "lc":
            return _lc(s)
    except Exception:  # fall back rather than fail an import
        pass
    return _natural(s)
