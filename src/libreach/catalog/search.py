"""Query analysis for catalogue search: what a reader typed, as terms the indexes can use.

Semantics, the same on SQLite and PostgreSQL:

- Terms (split on spaces) are ANDed; each must be a case-insensitive substring of the
  title, the authors (with the romanised and varying forms the importer adds), the
  ISBNs or the call numbers.
- A query that is an ISBN (ISBN-10 or -13, with or without hyphens) finds the records
  carrying that ISBN, in either form, and nothing else.
- Rank: exact ISBN, then titles starting with the query, then titles containing every
  indexed term, then the rest; within a rank by record id (oldest first), which both
  databases order without reading the records.

How a term reaches an index depends on its length, as trigram indexes know substrings
of three characters or more:

- three or more characters: a trigram phrase (SQLite FTS5) or `ILIKE '%term%'` (pg_trgm);
- one or two CJK characters: the CJK grams indexed by migration 0002 (红楼 → "红楼<US>");
- one or two other characters (`C`, `Go`, `3D`): no index can narrow them, so they only
  filter the rows the other terms found and do not count for the title rank; a query
  made only of such terms scans the catalogue (about half a second on 250,000 records).

Scripts: the query and the indexed title, authors and call numbers are folded to one
form first (`catalog.fold`: traditional to simplified characters, Taiwan and Hong Kong
variants, compatibility ideographs, full-width Latin), so 紅樓夢, 红楼梦 and 紅楼梦 find
the same records; the text shown is never folded. Migration 0004 folds in the databases.

Known differences: SQLite folds case for ASCII only in those short terms and in the
title prefix of a 1-2 character query (FTS5 folds all of Unicode elsewhere, PostgreSQL
everywhere). Neither database folds diacritics: "resume" does not find "résumé". A query
keeps its first eight distinct terms.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.db import connection

from libreach.catalog.fold import fold
from libreach.catalog.isbn import looks_like_isbn

# The CJK ranges of migration 0002 (a test keeps them in step).
CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x2E80, 0x2FDF),
    (0x3040, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)
US, RS, GS = "\x1f", "\x1e", "\x1d"  # padding, title start, library (see migration 0002)
TEXT_COLUMNS = "{title author_text isbns call_numbers}"
GRAM_COLUMNS = "{title_grams author_grams}"
MAX_TERMS = 8

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in CJK_RANGES)


def normalize_query(query: str) -> str:
    """Folded as the index is (half-width, simplified), NFC (MARC data mixes composed and
    decomposed forms), single spaces."""
    text = unicodedata.normalize("NFC", fold(query))
    return " ".join(_CONTROL.sub(" ", text).split())


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # the normalized query, for the title-prefix rank
    long_terms: tuple[str, ...]  # >= 3 characters: trigram index
    cjk_terms: tuple[str, ...]  # 1-2 CJK characters: CJK grams index
    short_terms: tuple[str, ...]  # 1-2 other characters: filter only
    isbn13: str | None  # the query is this ISBN

    @property
    def indexed_terms(self) -> tuple[str, ...]:
        return self.long_terms + self.cjk_terms

    @property
    def terms(self) -> tuple[str, ...]:
        return self.long_terms + self.cjk_terms + self.short_terms

    @property
    def scans(self) -> bool:
        """Whether no index narrows the search (only 1-2 character non-CJK terms)."""
        return not (self.isbn13 or self.indexed_terms)

    @property
    def short_text(self) -> bool:
        """Whether the title-prefix rank cannot use the trigram index."""
        return len(self.text) < 3


def parse_query(query: str) -> ParsedQuery | None:
    """The terms of `query`, or None when there is nothing to search for."""
    text = normalize_query(query)
    if not text:
        return None
    terms: list[str] = []
    for word in text.split(" "):
        # Case-insensitive duplicates add nothing to an AND.
        if word.casefold() not in (t.casefold() for t in terms):
            terms.append(word)
    # Readers paste whole sentences; the first terms are enough to narrow them down.
    terms = terms[:MAX_TERMS]
    long_terms = tuple(t for t in terms if len(t) >= 3)
    cjk_terms = tuple(t for t in terms if len(t) < 3 and all(is_cjk(c) for c in t))
    short_terms = tuple(t for t in terms if len(t) < 3 and t not in cjk_terms)
    return ParsedQuery(
        text=text,
        long_terms=long_terms,
        cjk_terms=cjk_terms,
        short_terms=short_terms,
        isbn13=looks_like_isbn(text),
    )


# --- SQLite FTS5 ----------------------------------------------------------------------


def _phrase(text: str) -> str:
    # An FTS5 string: inside double quotes every character is literal but '"' itself.
    return '"' + text.replace('"', '""') + '"'


def cjk_grams(term: str) -> str:
    """The FTS5 expression of a 1-2 character CJK term over a grams column (migration 0002:
    a pair "cd" is written "cd<US>"; a character c is "c<US>c" inside a run of CJK
    characters and "<US><US>c" or "<RS><RS>c" at its start)."""
    if len(term) == 2:
        return _phrase(term + US)
    return (
        "("
        + " OR ".join(_phrase(gram) for gram in (term + US + term, US + US + term, RS + RS + term))
        + ")"
    )


def isbn_core(isbn13: str) -> str:
    """The nine digits both forms of a 978 ISBN share (and a 979 one's last ten but one)."""
    return isbn13[3:12]


def fts5_match(parsed: ParsedQuery, library_id: int | None = None) -> str | None:
    """The FTS5 MATCH expression of the search, or None when it cannot use the index.

    An ISBN query matches its core digits; the caller checks the exact ISBN.
    """
    if parsed.isbn13:
        parts = [f"isbns : {_phrase(isbn_core(parsed.isbn13))}"]
    else:
        parts = [f"{TEXT_COLUMNS} : {_phrase(t)}" for t in parsed.long_terms]
        parts += [f"{GRAM_COLUMNS} : {cjk_grams(t)}" for t in parsed.cjk_terms]
    if not parts:
        return None
    if library_id is not None:
        parts.append(f"library : {_phrase(f'{GS}{library_id}{GS}')}")
    return " AND ".join(parts)


def fts5_title_prefix(parsed: ParsedQuery) -> str | None:
    """Titles starting with the query, or None when the index cannot tell."""
    if len(parsed.text) >= 3:
        return f"title : ^ {_phrase(parsed.text)}"
    if all(is_cjk(c) for c in parsed.text):  # "<RS>cd" or "<RS><RS>c" opens the title
        return f"title_grams : {_phrase((RS * (3 - len(parsed.text))) + parsed.text)}"
    return None


def fts5_title_all(parsed: ParsedQuery) -> str | None:
    """Titles containing every indexed term, or None when there is none."""
    parts = [f"title : {_phrase(t)}" for t in parsed.long_terms]
    parts += [f"title_grams : {cjk_grams(t)}" for t in parsed.cjk_terms]
    return " AND ".join(parts) or None


def optimize_index() -> None:
    """Compact the search index after a bulk import; searches are then 2-3 times faster.

    A bulk import writes one FTS5 segment per transaction, and every search reads every
    segment; 'optimize' merges them into one (about 10 s for 250,000 records, so worth
    it after imports of thousands of records, not after each edit). On PostgreSQL the
    GIN pending lists are flushed and the table statistics refreshed.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "INSERT INTO catalog_record_fts (catalog_record_fts) VALUES ('optimize')"
            )
        elif connection.vendor == "postgresql":
            for index in ("catalog_record_search_trgm", "catalog_record_cjk_trgm"):
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
            cursor.execute("ANALYZE catalog_record")


# --- LIKE patterns (both databases) ------------------------------------------------------


def like_escape(term: str) -> str:
    """`term` for a LIKE pattern with ESCAPE '\\' (PostgreSQL's default escape too)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(term: str) -> str:
    return f"%{like_escape(term)}%"


def isbn_token_pattern(isbn13: str) -> str:
    """For `' ' || isbns || ' '`: the ISBN as a whole token."""
    return f"% {isbn13} %"


def pg_cjk_pattern(term: str) -> str:
    """The LIKE pattern over `catalog_record_cjk_grams(...)` for a 1-2 character CJK term.

    The grams are space-separated words, so the term is a whole word; pg_trgm pads a
    word bounded by spaces and so finds trigrams even in a one-character word.
    """
    return f"% {like_escape(term)} %"
