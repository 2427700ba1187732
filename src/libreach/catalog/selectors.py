"""Reads of the catalogue: search and a record with its items."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from libreach.catalog.models import Item, ItemStatus, Record
from libreach.catalog.search import (
    ParsedQuery,
    contains_pattern,
    fts5_match,
    fts5_title_all,
    fts5_title_prefix,
    isbn_core,
    isbn_token_pattern,
    like_escape,
    parse_query,
    pg_cjk_pattern,
)
from libreach.consortium.models import Library
from libreach.core.errors import BadRequest, NotFound

MAX_PAGE_SIZE = 100

# Every searched column in one string; terms never contain a space, so none can match
# across two columns. PostgreSQL has a trigram index on exactly this expression.
SEARCH_TEXT = "({t}title || ' ' || {t}author_text || ' ' || {t}isbns || ' ' || {t}call_numbers)"
# The same folded to one script (catalog.fold; migration 0004), as PostgreSQL indexes it.
PG_FOLDED_TEXT = (
    "(catalog_fold(title) || ' ' || catalog_fold(author_text) || ' ' || isbns"
    " || ' ' || catalog_fold(call_numbers))"
)
PG_CJK_GRAMS = "catalog_record_cjk_grams(catalog_fold(title), catalog_fold(author_text))"
PG_FOLDED_TITLE = "catalog_fold(title)"


@dataclass
class SearchPage:
    count: int  # total matches
    results: list[Record]  # this page, ranked
    page: int
    page_size: int


def _items_prefetch() -> Prefetch:
    return Prefetch("items", queryset=Item.objects.order_by("shelving_key", "volume", "barcode"))


# --- SQLite: FTS5 ------------------------------------------------------------------------


def _sqlite_ranked_ids(
    parsed: ParsedQuery, library: Library | None, available_only: bool, offset: int, limit: int
) -> tuple[list[int], int]:
    """One page of ranked record ids and the number of matches, in one statement.

    Matching, counting and ranking read the index only; catalog_record is read just for
    the rare 1-2 character non-CJK terms, the exact ISBN check, or a scan.
    """
    match = fts5_match(parsed, library.pk if library else None)
    if match is None:
        return _sqlite_scan_ids(parsed, library, available_only, offset, limit)
    source = "catalog_record_fts AS f"
    if parsed.short_terms or parsed.isbn13:
        source += " JOIN catalog_record AS r ON r.id = f.rowid"
    filters, params = _sqlite_filters(parsed, available_only, "f.rowid")

    def member(expression: str, rank: int) -> tuple[str, list]:
        # FTS5 yields rowids in order, so LIMIT stops each rank's search early.
        sql = (
            f"SELECT * FROM (SELECT f.rowid AS id, {rank} AS search_rank FROM {source}"
            f" WHERE f.catalog_record_fts MATCH %s{filters} ORDER BY f.rowid LIMIT %s)"
        )
        return sql, [expression, *params, offset + limit]

    if parsed.isbn13:  # only exact ISBN matches: one rank
        members = [member(match, 0)]
    else:
        prefix, title_all = fts5_title_prefix(parsed), fts5_title_all(parsed)
        members = [
            member(f"({match}) AND ({prefix})", 1),
            member(f"({match}) AND ({title_all}) NOT ({prefix})", 2),
            member(f"({match}) NOT ({title_all})", 3),
        ]
    count_sql = f"SELECT count(*) FROM {source} WHERE f.catalog_record_fts MATCH %s{filters}"
    count_params = [match, *params]
    union = " UNION ALL ".join(sql for sql, _ in members)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, ({count_sql}) FROM ({union}) ORDER BY search_rank, id LIMIT %s OFFSET %s",
            [*count_params, *(p for _, member_params in members for p in member_params)]
            + [limit, offset],
        )
        rows = cursor.fetchall()
        if rows:
            return [row[0] for row in rows], rows[0][1]
        if offset == 0:
            return [], 0
        cursor.execute(count_sql, count_params)  # a page past the end
        return [], cursor.fetchone()[0]


def _sqlite_filters(parsed: ParsedQuery, available_only: bool, rowid: str) -> tuple[str, list]:
    """The conditions no index answers, as " AND ..." (they read the record `r`)."""
    where: list[str] = []
    params: list = []
    for term in parsed.short_terms:
        where.append(f"{SEARCH_TEXT.format(t='r.')} LIKE %s ESCAPE '\\'")  # ASCII-insensitive
        params.append(contains_pattern(term))
    if parsed.isbn13:
        where.append("(' ' || r.isbns || ' ') LIKE %s")
        params.append(isbn_token_pattern(parsed.isbn13))
    if available_only:
        where.append(
            f"EXISTS (SELECT 1 FROM catalog_item AS i WHERE i.record_id = {rowid}"
            " AND i.status = %s)"
        )
        params.append(ItemStatus.AVAILABLE.value)
    return "".join(f" AND {w}" for w in where), params


def _sqlite_scan_ids(
    parsed: ParsedQuery, library: Library | None, available_only: bool, offset: int, limit: int
) -> tuple[list[int], int]:
    """A query of 1-2 character non-CJK terms only: no index helps, scan the records."""
    filters, params = _sqlite_filters(parsed, available_only, "r.id")
    if library is not None:
        filters += " AND r.library_id = %s"
        params.append(library.pk)
    from_where = f"FROM catalog_record AS r WHERE 1{filters}"
    rank = "CASE WHEN r.title LIKE %s ESCAPE '\\' THEN 1 ELSE 3 END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.id, count(*) OVER () {from_where} ORDER BY {rank}, r.id LIMIT %s OFFSET %s",
            [*params, like_escape(parsed.text) + "%", limit, offset],
        )
        rows = cursor.fetchall()
        if rows:
            return [row[0] for row in rows], rows[0][1]
        if offset == 0:
            return [], 0
        cursor.execute(f"SELECT count(*) {from_where}", params)
        return [], cursor.fetchone()[0]


# --- PostgreSQL: pg_trgm ---------------------------------------------------------------


def _condition(sql: str, params: list) -> Q:
    return Q(RawSQL(sql, params, output_field=BooleanField()))


def _pg_matching(parsed: ParsedQuery) -> QuerySet[Record]:
    """The records matching every term, through the trigram indexes (ILIKE)."""
    text = PG_FOLDED_TEXT
    if parsed.isbn13:
        # The core digits narrow through the index; the exact ISBN is then a token.
        core = _condition(f"{text} LIKE %s", [contains_pattern(isbn_core(parsed.isbn13))])
        exact = _condition("(' ' || isbns || ' ') LIKE %s", [isbn_token_pattern(parsed.isbn13)])
        return Record.objects.filter(Q(isbn=parsed.isbn13) | (core & exact))
    conditions = [_condition(f"{text} ILIKE %s", [contains_pattern(t)]) for t in parsed.long_terms]
    conditions += [
        _condition(f"{PG_CJK_GRAMS} LIKE %s", [pg_cjk_pattern(t)]) for t in parsed.cjk_terms
    ]
    conditions += [
        _condition(f"{text} ILIKE %s", [contains_pattern(t)]) for t in parsed.short_terms
    ]
    return Record.objects.filter(*conditions)


def _pg_ranked_ids(
    parsed: ParsedQuery, library: Library | None, available_only: bool, offset: int, limit: int
) -> tuple[list[int], int]:
    """One page of ranked record ids and the number of matches, as `_sqlite_ranked_ids`.

    Ranks and the count over narrow rows (id, rank); only the page's records are read in
    full afterwards, not every match with its MARC record.
    """
    records = _pg_matching(parsed)
    if library is not None:
        records = records.filter(library=library)
    if available_only:
        records = records.filter(
            Exists(Item.objects.filter(record=OuterRef("pk"), status=ItemStatus.AVAILABLE))
        )
    ranks = []
    if not parsed.isbn13:  # an ISBN query has only exact ISBN matches
        title = f"{PG_FOLDED_TITLE} ILIKE %s"
        ranks.append(When(_condition(title, [like_escape(parsed.text) + "%"]), then=1))
        if parsed.indexed_terms:
            title_all = Q(*(_condition(title, [contains_pattern(t)]) for t in parsed.indexed_terms))
            ranks.append(When(title_all, then=2))
    rank = Case(*ranks, default=Value(3), output_field=IntegerField()) if ranks else Value(0)
    rows = list(
        records.annotate(search_rank=rank, total=Window(Count("*")))
        .order_by("search_rank", "id")
        .values_list("id", "total")[offset : offset + limit]
    )
    if rows:
        return [row[0] for row in rows], rows[0][1]
    return [], records.count() if offset else 0


# --- the selectors -------------------------------------------------------------------------


def search_records(
    *,
    query: str,
    library: Library | None = None,
    available_only: bool = False,
    page: int = 1,
    page_size: int = 20,
) -> SearchPage:
    """One page of the catalogue records matching `query`, best first (see
    `catalog.search` for what matches and the order). An empty query finds nothing.

    `available_only` keeps records with an item on the shelf (status available). Each
    result has its library and its items (in shelving order). Three queries: the ranked
    ids with the count, the records with their libraries, their items.
    """
    if page < 1:
        raise BadRequest(_("The page number starts at 1."), code="invalid_page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise BadRequest(
            _("A page holds 1 to %(max)d records."), code="invalid_page_size", max=MAX_PAGE_SIZE
        )
    parsed = parse_query(query)
    if parsed is None:
        return SearchPage(count=0, results=[], page=page, page_size=page_size)
    ranked_ids = _sqlite_ranked_ids if connection.vendor == "sqlite" else _pg_ranked_ids
    ids, count = ranked_ids(parsed, library, available_only, (page - 1) * page_size, page_size)
    results: list[Record] = []
    if ids:
        records = Record.objects.select_related("library").prefetch_related(_items_prefetch())
        found = {record.pk: record for record in records.filter(pk__in=ids)}
        results = [found[pk] for pk in ids if pk in found]  # a record deleted meanwhile
    return SearchPage(count=count, results=results, page=page, page_size=page_size)


def record_with_items(record_id: int) -> Record:
    """A record with its library and its items in shelving order."""
    try:
        return (
            Record.objects.select_related("library")
            .prefetch_related(_items_prefetch())
            .get(pk=record_id)
        )
    except Record.DoesNotExist:
        raise NotFound(_("No such record."), code="record_not_found") from None
