"""Who could lend it: the members that hold what a reader asks for, in the order to ask them.

Reads only. The order of a rota (issue 9, point 3):

1. holdings: copies held (catalogue items not withdrawn or missing, of the records that
   match; for a journal, the holding rows whose coverage includes the year), most first;
2. load balance: the member's loan-to-borrow ratio over the last 12 months (requests it
   supplied as a lender ÷ requests its readers were supplied by other members), lowest
   first. This is ReShare's idea (mod-rs `FoliosharedindexRouterService`: a lender's
   score is how far its loans fall short of its borrowing times its agreed ratio, and the
   furthest behind is asked first) with the consortium's ratio 1:1 and the counts taken
   from our own rota rather than a statistics service. A member with no supplied
   requests either way is placed at parity (1.0), as ReShare places a peer without
   statistics; one that lent but never borrowed counts its loans against one borrowing;
3. speed: the median hours from sending to a lender's answer over the last 12 months,
   fastest first, unknown last;
4. the library code, so that the order never depends on the database.

Never the requesting library, never a member whose document delivery settings say it
does not lend (no settings row: it lends).

What matches: a book or a chapter by ISBN (the record's ISBN, or any ISBN the record
lists in its search column), else, when the citation has no ISBN or no member holds
that ISBN, by title (catalog.titles.title_key of the whole title, or of the title
before its subtitle) and year when both sides give one. An article by ISSN (print or
electronic) within the holding's years (a citation without a year: any coverage), else
by the journal's title.

`rank_lenders_many` routes many requests of one member, `route_many` those of many
members, in a bounded number of queries: the members, their ratios and response hours
once, then the holdings of all the ISBNs, ISSNs and titles in chunks (nine queries for a
few hundred citations of every kind).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, Count, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length
from django.utils import timezone

from libreach.catalog.models import Item, ItemStatus, JournalHolding, Record
from libreach.catalog.search import (
    contains_pattern,
    fts5_title_all,
    fts5_title_prefix,
    like_escape,
    parse_query,
    pg_cjk_pattern,
)
from libreach.catalog.selectors import PG_CJK_GRAMS, PG_FOLDED_TEXT, PG_FOLDED_TITLE
from libreach.catalog.titles import title_key
from libreach.consortium.models import Library
from libreach.docdelivery.citations import normalise
from libreach.docdelivery.models import RotaEntry, RotaStatus

# What the statistics look back over.
WINDOW = dt.timedelta(days=365)
# Values per query (SQLite's oldest limit on parameters is 999).
CHUNK = 900
# Titles per query: each is several index terms.
TITLE_CHUNK = 100
# Above this many ISBNs, the records listing more than one ISBN are read in one pass
# instead of looking each ISBN up in the search index (the bench's 10,000 requests).
SCAN_ABOVE = 2000
NOT_HELD = (ItemStatus.WITHDRAWN, ItemStatus.MISSING)
PARITY = 1.0
_ROUTING_FIELDS = ("type", "isbn", "issn", "title", "year")

# Punctuation is left out of the index terms ("Language." is "Language" in the index).
_NOT_WORD = re.compile(r"[\W_]+")
_SUBTITLE = re.compile(r"\s+[:=/]\s*|\s*[:：]\s*")


@dataclass(frozen=True)
class Candidate:
    library_id: int
    code: str
    holdings: int
    ratio: float | None
    response_hours: float | None


@dataclass
class _Wanted:
    """One citation as matched: its identifiers and title key, and what each member holds."""

    type: str
    isbn: str
    issn: str
    title: str  # its title_key
    words: str  # its title's words, to find it in the search index
    year: int | None
    held: dict[int, int] = field(default_factory=dict)  # library id -> copies

    @property
    def is_journal(self) -> bool:
        return self.type == "article"


def rank_lenders(
    *,
    requester_id: int,
    type: str,
    isbn: str = "",
    issn: str = "",
    title: str = "",
    year: str = "",
    exclude: Collection[int] = (),
) -> list[Candidate]:
    """The members holding it, in the order to ask them (see the module's docstring)."""
    citation = {"type": type, "isbn": isbn, "issn": issn, "title": title, "year": year}
    return rank_lenders_many([citation], requester_id=requester_id, exclude=exclude)[0]


def rank_lenders_many(
    citations: Sequence[dict], *, requester_id: int, exclude: Collection[int] = ()
) -> list[list[Candidate]]:
    """`rank_lenders` for each citation (dicts with DocRequest's field names), in a number
    of queries that grows with the chunks of identifiers, not with the citations."""
    return route_many([(requester_id, citation) for citation in citations], exclude=exclude)


def route_many(
    requests: Sequence[tuple[int, dict]], *, exclude: Collection[int] = ()
) -> list[list[Candidate]]:
    """`rank_lenders` for each (requesting library id, citation), members' figures read
    once for all: the requests of a whole consortium routed together."""
    if not requests:
        return []
    members = _lending_members(skip=set(exclude))
    wanted = [_wanted(citation) for _requester, citation in requests]
    _match_books([w for w in wanted if not w.is_journal], members)
    _match_journals([w for w in wanted if w.is_journal], members)
    if not any(w.held for w in wanted):
        return [[] for _ in wanted]
    held = {library_id for want in wanted for library_id in want.held}
    ratios, hours = _ratios(), _response_hours(held)
    # Candidates are immutable: one per (member, copies) serves every request.
    made: dict[tuple[int, int], tuple[tuple, Candidate]] = {}
    ranked = []
    for (requester_id, _citation), want in zip(requests, wanted, strict=True):
        keyed = []
        for library_id, copies in want.held.items():
            if copies <= 0 or library_id == requester_id:
                continue
            entry = made.get((library_id, copies))
            if entry is None:
                candidate = Candidate(
                    library_id=library_id,
                    code=members[library_id],
                    holdings=copies,
                    ratio=ratios.get(library_id),
                    response_hours=hours.get(library_id),
                )
                entry = made[library_id, copies] = (_order(candidate), candidate)
            keyed.append(entry)
        keyed.sort(key=lambda entry: entry[0])
        ranked.append([candidate for _key, candidate in keyed])
    return ranked


def _order(c: Candidate) -> tuple:
    ratio = PARITY if c.ratio is None else c.ratio
    unknown = c.response_hours is None
    return (-c.holdings, ratio, unknown, c.response_hours or 0.0, c.code)


def _wanted(citation: dict) -> _Wanted:
    c = _normalised(tuple(citation.get(name) or "" for name in _ROUTING_FIELDS))
    return _Wanted(
        type=c["type"],
        isbn=c["isbn"],
        issn=c["issn"],
        title=title_key(c["title"]),
        words=_NOT_WORD.sub(" ", c["title"]),
        year=int(c["year"]) if c["year"] else None,
    )


@functools.lru_cache(maxsize=65536)
def _normalised(fields: tuple) -> dict:
    """normalise() of the fields routing reads; a batch asks for the same work often."""
    return normalise(dict(zip(_ROUTING_FIELDS, fields, strict=True)))


def _chunks(values: Iterable, size: int = CHUNK) -> Iterable[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- members and their figures ----------------------------------------------------------


def _lending_members(*, skip: Collection[int]) -> dict[int, str]:
    """Library id -> code of every member that lends (one query)."""
    rows = Library.objects.values_list("id", "code", "docdelivery_settings__lends")
    return {pk: code for pk, code, lends in rows if lends is not False and pk not in skip}


def _ratios() -> dict[int, float]:
    """Each member's loan-to-borrow ratio over the window (one query)."""
    since = timezone.now() - WINDOW
    lent: dict[int, int] = defaultdict(int)
    borrowed: dict[int, int] = defaultdict(int)
    rows = (
        RotaEntry.objects.filter(status=RotaStatus.SUPPLIED, request__created_at__gte=since)
        .values_list("lender_id", "request__library_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for lender_id, library_id, n in rows:
        lent[lender_id] += n
        borrowed[library_id] += n
    return {pk: lent[pk] / max(borrowed[pk], 1) for pk in set(lent) | set(borrowed)}


def _response_hours(lender_ids: Collection[int]) -> dict[int, float]:
    """Those members' median hours from a request sent to their answer (one query)."""
    since = timezone.now() - WINDOW
    spans: dict[int, list[float]] = defaultdict(list)
    rows = RotaEntry.objects.filter(
        sent_at__gte=since, answered_at__isnull=False, lender_id__in=sorted(lender_ids)
    ).values_list("lender_id", "sent_at", "answered_at")
    # A year of a consortium's rota is tens of thousands of rows: read them through the
    # cursor, since the ORM's per-value conversion of two datetimes was most of the time.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for lender_id, sent_at, answered_at in cursor.fetchall():
            seconds = (_moment(answered_at) - _moment(sent_at)).total_seconds()
            spans[lender_id].append(max(seconds, 0) / 3600)
    return {pk: statistics.median(values) for pk, values in spans.items()}


def _moment(value: dt.datetime | str) -> dt.datetime:
    """A timestamp as the database driver gives it (SQLite: ISO text in UTC), aware."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --- books and chapters: the catalogue -----------------------------------------------------


def _match_books(wanted: list[_Wanted], members: dict[int, str]) -> None:
    """Fill `held` of each book or chapter from the catalogue."""
    if not wanted:
        return
    records: dict[int, int] = {}  # record id -> library id, for members only
    by_isbn: dict[str, set[int]] = defaultdict(set)
    isbns = {w.isbn for w in wanted if w.isbn}
    for record_id, library_id, isbn in _records_by_isbn(isbns):
        if library_id in members:
            records[record_id] = library_id
            by_isbn[isbn].add(record_id)
    # No ISBN, or an ISBN no member holds (another edition's): the title.
    by_title = [w for w in wanted if w.title and not by_isbn.get(w.isbn)]
    title_matches = _records_by_title(by_title)
    for matches in title_matches:
        for record_id, library_id in matches:
            if library_id in members:
                records[record_id] = library_id
    copies = _copies(records)
    title_of = dict(zip((id(w) for w in by_title), title_matches, strict=True))
    for want in wanted:
        found = set(by_isbn.get(want.isbn, ())) if want.isbn else set()
        found.update(r for r, lib in title_of.get(id(want), ()) if lib in members)
        for record_id in found:
            if copies.get(record_id):
                library_id = records[record_id]
                want.held[library_id] = want.held.get(library_id, 0) + copies[record_id]


def _records_by_isbn(isbns: set[str]) -> Iterable[tuple[int, int, str]]:
    """(record id, library id, ISBN-13 asked for) of every record carrying one of `isbns`."""
    if not isbns:
        return
    seen: set[tuple[int, str]] = set()
    for chunk in _chunks(sorted(isbns)):
        for record_id, library_id, isbn in Record.objects.filter(isbn__in=chunk).values_list(
            "id", "library_id", "isbn"
        ):
            seen.add((record_id, isbn))
            yield record_id, library_id, isbn
    # Second and further ISBNs (paperback and hardback) are only in the search column.
    for record_id, library_id, listed in _records_listing(isbns):
        for isbn in listed.split():
            if isbn in isbns and (record_id, isbn) not in seen:
                seen.add((record_id, isbn))
                yield record_id, library_id, isbn


def _records_listing(isbns: set[str]) -> Iterable[tuple[int, int, str]]:
    """(id, library id, isbns) of records whose search column may list one of `isbns`."""
    if len(isbns) > SCAN_ABOVE:
        # One pass over the records with more than one ISBN (one ISBN-13 with its
        # ISBN-10 is 24 characters) beats thousands of index lookups.
        yield from (
            Record.objects.annotate(listed=Length("isbns"))
            .filter(listed__gt=24)
            .values_list("id", "library_id", "isbns")
            .iterator(chunk_size=5000)
        )
        return
    if connection.vendor == "sqlite":
        for chunk in _chunks(sorted(isbns)):
            match = "isbns : (" + " OR ".join(f'"{isbn}"' for isbn in chunk) + ")"
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT r.id, r.library_id, r.isbns FROM catalog_record_fts AS f"
                    " JOIN catalog_record AS r ON r.id = f.rowid"
                    " WHERE f.catalog_record_fts MATCH %s",
                    [match],
                )
                yield from cursor.fetchall()
    else:
        for chunk in _chunks(sorted(isbns)):
            conditions = Q()
            for isbn in chunk:  # each through the trigram index
                conditions |= _raw(f"{PG_FOLDED_TEXT} LIKE %s", [contains_pattern(isbn)])
            yield from Record.objects.filter(conditions).values_list("id", "library_id", "isbns")


def _records_by_title(wanted: list[_Wanted]) -> list[list[tuple[int, int]]]:
    """For each citation, (record id, library id) of the records with its title (and year)."""
    parsed_titles = {}
    for want in wanted:
        if want.words not in parsed_titles:
            parsed = parse_query(want.words)
            if parsed and parsed.indexed_terms:
                parsed_titles[want.words] = parsed
    # The records found for all the titles, by title key (whole title and main title);
    # each citation then keeps those whose key is its own.
    keyed: dict[str, dict[int, tuple[int, int | None]]] = defaultdict(dict)
    for chunk in _chunks(parsed_titles.values(), TITLE_CHUNK):
        for record_id, library_id, title, year in _title_candidates(chunk):
            row = (library_id, _year(year))
            keyed[title_key(title)][record_id] = row
            keyed[title_key(_SUBTITLE.split(title, 1)[0])][record_id] = row
    results: list[list[tuple[int, int]]] = []
    for want in wanted:
        rows = keyed.get(want.title, {}) if want.words in parsed_titles else {}
        results.append(
            [
                (record_id, library_id)
                for record_id, (library_id, year) in rows.items()
                if not (want.year and year and want.year != year)
            ]
        )
    return results


def _title_candidates(parsed_titles: list) -> list[tuple[int, int, str, str]]:
    """Records whose title contains every indexed term of one of the titles and starts
    with its first word (one query)."""
    if connection.vendor == "sqlite":
        parts = []
        for parsed in parsed_titles:
            part = f"({fts5_title_all(parsed)})"
            first = parse_query(parsed.text.split(" ")[0])
            prefix = fts5_title_prefix(first) if first else None
            parts.append(f"({part} AND ({prefix}))" if prefix else part)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT r.id, r.library_id, r.title, r.year FROM catalog_record_fts AS f"
                " JOIN catalog_record AS r ON r.id = f.rowid"
                " WHERE f.catalog_record_fts MATCH %s",
                [" OR ".join(parts)],
            )
            return cursor.fetchall()
    conditions = Q()
    for parsed in parsed_titles:
        terms = [
            _raw(f"{PG_FOLDED_TEXT} ILIKE %s", [contains_pattern(t)]) for t in parsed.long_terms
        ]
        terms += [_raw(f"{PG_CJK_GRAMS} LIKE %s", [pg_cjk_pattern(t)]) for t in parsed.cjk_terms]
        first = parsed.text.split(" ")[0]
        terms.append(_raw(f"{PG_FOLDED_TITLE} ILIKE %s", [like_escape(first) + "%"]))
        conditions |= Q(*terms)
    return list(Record.objects.filter(conditions).values_list("id", "library_id", "title", "year"))


def _copies(records: dict[int, int]) -> dict[int, int]:
    """Record id -> its copies held (items not withdrawn or missing)."""
    copies: dict[int, int] = {}
    for chunk in _chunks(sorted(records)):
        rows = (
            Item.objects.filter(record_id__in=chunk)
            .exclude(status__in=NOT_HELD)
            .values_list("record_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        copies.update(rows)
    return copies


# --- articles: the journal holdings -------------------------------------------------------


def _match_journals(wanted: list[_Wanted], members: dict[int, str]) -> None:
    """Fill `held` of each article from the members' journal holdings."""
    if not wanted:
        return
    issns = {w.issn for w in wanted if w.issn}
    # By holding: one whose print and electronic ISSNs fall in two chunks is found twice.
    found: dict[int, tuple] = {}
    for chunk in _chunks(sorted(issns), max(CHUNK // 2, 1)):  # each ISSN is asked twice
        rows = JournalHolding.objects.filter(Q(issn__in=chunk) | Q(eissn__in=chunk))
        found.update(
            (row[0], row[1:])
            for row in rows.values_list(
                "id", "library_id", "issn", "eissn", "first_year", "last_year"
            )
        )
    by_issn: dict[str, list[tuple[int, int | None, int | None]]] = defaultdict(list)
    for library_id, issn, eissn, first, last in found.values():
        for number in {issn, eissn} & issns:
            by_issn[number].append((library_id, first, last))
    by_title: dict[str, list[tuple[int, int | None, int | None]]] = defaultdict(list)
    titles = {w.title for w in wanted if w.title and not by_issn.get(w.issn)}
    for chunk in _chunks(sorted(titles)):
        for library_id, key, first, last in JournalHolding.objects.filter(
            title_key__in=chunk
        ).values_list("library_id", "title_key", "first_year", "last_year"):
            by_title[key].append((library_id, first, last))
    for want in wanted:
        holdings = by_issn.get(want.issn) if want.issn else None
        if not holdings:
            holdings = by_title.get(want.title, [])
        for library_id, first, last in holdings:
            if library_id not in members or not _covers(first, last, want.year):
                continue
            want.held[library_id] = want.held.get(library_id, 0) + 1


def _covers(first: int | None, last: int | None, year: int | None) -> bool:
    if year is None:
        return True
    return (first is None or first <= year) and (last is None or year <= last)


# --- helpers ---------------------------------------------------------------------------------


def _raw(sql: str, params: list) -> Q:
    return Q(RawSQL(sql, params, output_field=BooleanField()))


_YEAR_IN = re.compile(r"(1[5-9]\d\d|20\d\d)")


def _year(text: str) -> int | None:
    match = _YEAR_IN.search(text or "")
    return int(match.group(1)) if match else None
