"""Citations: what a reader asks for, read from an OpenURL link, put in one form, and keyed.

Pure functions, no database. The dictionaries use DocRequest's field names: type,
title (the journal's or the book's), article_title (the article's or the chapter's),
authors, issn, isbn, year, volume, issue, pages, doi.

OpenURL: databases hand a citation over as an OpenURL 1.0 KEV query (`rft.atitle=...`,
`rft_id=info:doi/...`) or in the older 0.1 form (`atitle=...`, `id=doi:...`); both are
read, and a link that is garbled gives what can be read of it, never an error.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import unquote

from stdnum import issn as stdnum_issn
from stdnum.exceptions import ValidationError

from libreach.catalog.isbn import normalize_isbn
from libreach.catalog.titles import title_key

# DocRequest's max_length of each citation field.
MAX_LENGTHS = {
    "title": 500,
    "article_title": 500,
    "authors": 500,
    "issn": 9,
    "isbn": 13,
    "year": 16,
    "volume": 32,
    "issue": 32,
    "pages": 64,
    "doi": 255,
}
TEXT_FIELDS = tuple(MAX_LENGTHS)
TYPES = ("article", "chapter", "book")

# OpenURL genres (1.0 journal and book formats, and 0.1) to our request types.
_GENRES = {
    "article": "article",
    "journal": "article",
    "issue": "article",
    "proceeding": "article",
    "conference": "article",
    "preprint": "article",
    "unknown": "",
    "bookitem": "chapter",
    "book": "book",
    "report": "book",
    "document": "book",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_ISSN = re.compile(r"(\d{4})\s*[-‐‑–—]?\s*(\d{3}[\dXx])")
_DOI_PREFIX = re.compile(
    r"^(?:(?:https?://)?(?:dx\.)?doi\.org/|info:doi/|doi:\s*|urn:doi:)", re.IGNORECASE
)
_DOI = re.compile(r"^10\.\d{3,9}/\S+$")
_START_PAGE = re.compile(r"[A-Za-z]?\d+[A-Za-z]?")


def clean(value: object) -> str:
    """A value as one line: control characters out, whitespace collapsed, NFC."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", str(value)))
    return " ".join(text.split())


def fit(value: str, limit: int) -> str:
    """`value` cut to `limit` characters, at a word boundary with an ellipsis when it can."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # else one very long word: cut inside it
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


# --- OpenURL ---------------------------------------------------------------------------


def _keys(query: Mapping[str, str | list[str]]) -> dict[str, list[str]]:
    """Every value under its bare key: rft.atitle and atitle are one; rft_id and id too."""
    values: dict[str, list[str]] = {}
    try:
        items = list(query.lists()) if hasattr(query, "lists") else list(query.items())
    except Exception:  # a mapping that cannot be read is an empty link
        return values
    for raw_key, raw in items:
        key = clean(raw_key).lower()
        if key.startswith("rft."):
            key = key[4:]
        elif key == "rft_id":
            key = "id"
        raw_values = raw if isinstance(raw, list | tuple) else [raw]
        for value in raw_values:
            text = clean(value)
            if text:
                values.setdefault(key, []).append(text)
    return values


def _first(values: dict[str, list[str]], *keys: str) -> str:
    for key in keys:
        for value in values.get(key, ()):
            if value:
                return value
    return ""


def _genre_type(values: dict[str, list[str]]) -> str:
    genre = _first(values, "genre").lower()
    kind = _GENRES.get(genre, "")
    if kind:
        return kind
    # No genre or one we do not know: the format and the fields tell.
    fmt = _first(values, "rft_val_fmt").lower()
    has_part = bool(_first(values, "atitle"))
    journal = _first(values, "issn", "eissn", "jtitle")
    if (
        fmt.endswith(":book")
        or _first(values, "btitle")
        or (_first(values, "isbn") and not journal)
    ):
        return "chapter" if has_part else "book"
    return "article"


def _authors(values: dict[str, list[str]]) -> str:
    names: list[str] = []
    for name in values.get("au", ()):
        if name not in names:
            names.append(name)
    last = _first(values, "aulast")
    if last:
        first = _first(values, "aufirst", "auinit", "auinit1")
        if first and _is_cjk(last[-1]) and _is_cjk(first[0]):
            name = last + first  # 曹 + 雪芹 is written 曹雪芹
        else:
            name = f"{last}, {first}" if first else last
        if not any(n.casefold().startswith(last.casefold()) for n in names):
            names.insert(0, name)
    corp = _first(values, "aucorp")
    if corp and corp not in names:
        names.append(corp)
    return "; ".join(names)


def _is_cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _doi(values: dict[str, list[str]]) -> str:
    for value in values.get("doi", []) + values.get("id", []):
        if _DOI_PREFIX.match(value) or value.startswith("10."):
            doi = normalise_doi(value)
            if doi:
                return doi
    return ""


def _pages(values: dict[str, list[str]]) -> str:
    pages = _first(values, "pages")
    if pages:
        return pages
    start, end = _first(values, "spage"), _first(values, "epage")
    if start and end and end != start:
        return f"{start}-{end}"
    return start or end


def from_openurl(query: Mapping[str, str | list[str]]) -> dict:
    """The citation an OpenURL 1.0 KEV (or 0.1) query carries, as DocRequest fields.

    `query` maps keys to a value or a list of values (a QueryDict, or `dict(q.lists())`).
    The genre decides the type (article, journal, issue, proceeding, conference: article;
    bookitem: chapter; book: book); without one the fields do. Values are cleaned and
    normalised (`normalise`), and cut to the model's lengths.
    """
    values = _keys(query)
    kind = _genre_type(values)
    if kind == "article":
        title = _first(values, "jtitle", "title", "stitle", "btitle")
    else:
        title = _first(values, "btitle", "title", "jtitle")
    article_title = _first(values, "atitle") if kind != "book" else ""
    if not title and kind == "book":
        title = _first(values, "atitle")
    citation = {
        "type": kind,
        "title": title,
        "article_title": article_title,
        "authors": _authors(values),
        "issn": _first(values, "issn", "eissn"),
        "isbn": _first(values, "isbn"),
        "year": _first(values, "date", "year"),
        "volume": _first(values, "volume"),
        "issue": _first(values, "issue"),
        "pages": _pages(values),
        "doi": _doi(values),
    }
    # An ISSN that does not check may be the print one beside a good electronic one.
    if not normalise_issn(citation["issn"]):
        for candidate in values.get("issn", []) + values.get("eissn", []):
            if normalise_issn(candidate):
                citation["issn"] = candidate
                break
    return normalise(citation)


# --- normal forms ------------------------------------------------------------------------


def normalise_issn(raw: str) -> str:
    """NNNN-NNNN with a right check digit, else blank."""
    match = _ISSN.search(clean(raw))
    if not match:
        return ""
    compact = (match.group(1) + match.group(2)).upper()
    try:
        return stdnum_issn.format(stdnum_issn.validate(compact))
    except ValidationError:
        return ""


def normalise_doi(raw: str) -> str:
    """The DOI in lower case without a resolver or scheme prefix, else blank."""
    text = clean(raw)
    if "%" in text:  # a DOI taken from a URL is percent-encoded
        text = unquote(text)
    previous = None
    while previous != text:  # "https://doi.org/doi:10..." happens
        previous, text = text, _DOI_PREFIX.sub("", text).strip()
    text = text.lower().rstrip(".,;")
    return text if _DOI.match(text) and len(text) <= MAX_LENGTHS["doi"] else ""


def normalise_year(raw: str) -> str:
    """The four-digit year in `raw` ("2019-05-01", "c2019.", "Spring 2019"), else blank."""
    match = _YEAR.search(clean(raw))
    return match.group(1) if match else ""


def normalise(citation: dict) -> dict:
    """`citation` in one form: ISSN NNNN-NNNN (checked), ISBN-13 digits, DOI bare and lower
    case, four-digit year, whitespace collapsed, each field within the model's length.

    Identifiers that do not check are blanked; other keys are kept as they are. The type
    is article, chapter or book (anything else: article).
    """
    result = dict(citation)
    for name in TEXT_FIELDS:
        result[name] = clean(result.get(name))
    kind = clean(result.get("type")).lower()
    result["type"] = kind if kind in TYPES else "article"
    result["issn"] = normalise_issn(result.get("issn", ""))
    result["isbn"] = normalize_isbn(result.get("isbn", "")) or ""
    result["doi"] = normalise_doi(result.get("doi", ""))
    result["year"] = normalise_year(result["year"])
    for name, limit in MAX_LENGTHS.items():
        result[name] = fit(result[name], limit)
    return result


# --- the key -------------------------------------------------------------------------------


def fold_title(text: str) -> str:
    """A title as compared (catalog.titles.title_key): one script, case folded, full-width
    undone, only letters and digits kept."""
    return title_key(clean(text))


def start_page(pages: str) -> str:
    """The first page of "123-130", "pp. 123–30" or "e1234"."""
    match = _START_PAGE.search(clean(pages))
    return match.group(0).lower() if match else ""


def citation_key(citation: dict) -> str:
    """A key (64 hex digits) equal for two forms of one request of the same work.

    The DOI when there is one; else the type with the ISSN or ISBN, year, volume, issue and
    start page (a whole book by its ISBN alone; an article or a chapter without a start
    page adds its own folded title, so two chapters of one book stay apart); else the
    folded titles with what else is known.
    """
    c = normalise(citation)
    if c["doi"]:
        basis = ["doi", c["doi"]]
    else:
        number = c["issn"] if c["type"] == "article" else c["isbn"]
        number = number or c["issn"] or c["isbn"]
        first = start_page(c["pages"])
        numbering = [fold_title(c["volume"]), fold_title(c["issue"])]
        if number and c["type"] == "book":
            basis = ["book", number]
        elif number and first:
            basis = [c["type"], number, c["year"], *numbering, first]
        else:
            basis = [c["type"], number, c["year"], *numbering, first,
                     fold_title(c["title"]), fold_title(c["article_title"])]  # fmt: skip
    return hashlib.sha256("\x1f".join(basis).encode()).hexdigest()
