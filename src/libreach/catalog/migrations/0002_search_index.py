"""Catalogue search index, kept current by the database itself on every write.

Hand-written and vendor-aware; it changes no model state. `catalog.search` writes the
queries that use it.

SQLite: a contentless FTS5 table `catalog_record_fts` (rowid = record id) with the
trigram tokenizer, case-insensitive, over
- title, author_text, isbns, call_numbers: substrings of three or more characters;
- title_grams, author_grams: every CJK character c as "c<US><US>" and every pair of
  CJK characters cd as "cd<US>" (US = U+001F, which no query contains), so 红楼 is the
  trigram "红楼<US>"; title_grams also marks the title's first one and two CJK
  characters with RS (U+001E) for the title-prefix rank of a short query;
- library: "<GS>id<GS>" (GS = U+001D), so the library filter stays inside the index.
Ranking and counting then never read catalog_record, whose rows carry the MARC record.

Triggers on catalog_record keep the index current however rows are written (ORM save,
bulk_create, bulk_update, raw SQL): contentless, so no text is stored twice, and a
deletion hands FTS5 the old values, computed by the same SQL as when they were indexed.

Django remakes a SQLite table (create a new one, copy, drop, rename) for some later
alterations of catalog_record, and dropping the table drops its triggers (the index
itself stays right, as the copy keeps the ids). Such a migration must call
`install_sqlite_triggers(schema_editor)` (below) afterwards; `catalog.tests.test_search`
fails while the triggers are missing.

PostgreSQL: pg_trgm GIN indexes. Trigrams need three characters, so the CJK characters
and pairs of title and authors are also indexed, space-separated, through the immutable
function `catalog_record_cjk_grams`: a 1-2 character term is then a whole word, which
pg_trgm pads and finds. And a plain index on isbn.
"""

from django.db import migrations

# Code point ranges treated as CJK: radicals to unified ideographs without the CJK
# punctuation block (kana and Bopomofo included), Hangul syllables, compatibility
# ideographs, extensions B-G. `libreach.catalog.search.CJK_RANGES` must match.
CJK_RANGES = (
    (0x2E80, 0x2FDF),
    (0x3040, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)
# Longest text (in characters) whose CJK grams are indexed.
SEQ_MAX = 4000
US, RS = "char(31)", "char(30)"


def _is_cjk(expr: str) -> str:
    return "(" + " OR ".join(f"{expr} BETWEEN {lo} AND {hi}" for lo, hi in CJK_RANGES) + ")"


def _glob_class() -> str:
    return "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in CJK_RANGES) + "]"


def _sqlite_grams(text: str, *, marks_start: bool) -> str:
    """SQL for the grams of `text` (an expression); '' when it has no CJK character.

    The numbers table walks the characters, as triggers cannot use a recursive CTE.
    """
    here = _is_cjk("unicode(substr(t.s, q.n, 1))")
    after = _is_cjk("unicode(substr(t.s, q.n + 1, 1))")
    gram = f"""substr(t.s, q.n, 1) || {US} || {US}
          || CASE WHEN {after} THEN substr(t.s, q.n, 2) || {US} ELSE '' END"""
    if marks_start:
        gram = f"""CASE WHEN q.n = 1 THEN {RS} || substr(t.s, 1, 1) || {US}
              || CASE WHEN {after} THEN {RS} || substr(t.s, 1, 2) || {US} ELSE '' END
            ELSE '' END || {gram}"""
    return f"""CASE WHEN {text} GLOB '*{_glob_class()}*' THEN (
      SELECT coalesce(group_concat(g, ''), '') FROM (
        SELECT CASE WHEN {here} THEN {gram} END AS g
        FROM (SELECT {text} AS s) AS t
        JOIN catalog_search_seq AS q ON q.n <= length(t.s)
      )
    ) ELSE '' END"""


FTS_COLUMNS = "title, author_text, isbns, call_numbers, title_grams, author_grams, library"


def _sqlite_values(row: str) -> str:
    """The FTS5 column values of the catalog_record row `row` (new, old or a table alias)."""
    return ", ".join(
        [
            f"{row}.title",
            f"{row}.author_text",
            f"{row}.isbns",
            f"{row}.call_numbers",
            _sqlite_grams(f"{row}.title", marks_start=True),
            _sqlite_grams(f"{row}.author_text", marks_start=False),
            f"char(29) || {row}.library_id || char(29)",
        ]
    )


_WATCHED = ("title", "author_text", "isbns", "call_numbers", "library_id")
_CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in _WATCHED)

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER catalog_record_fts_ai AFTER INSERT ON catalog_record BEGIN
        INSERT INTO catalog_record_fts (rowid, {FTS_COLUMNS})
        VALUES (new.id, {_sqlite_values("new")});
    END""",
    f"""CREATE TRIGGER catalog_record_fts_ad AFTER DELETE ON catalog_record BEGIN
        INSERT INTO catalog_record_fts (catalog_record_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, {_sqlite_values("old")});
    END""",
    # An update that leaves the searched columns alone leaves the index alone.
    f"""CREATE TRIGGER catalog_record_fts_au AFTER UPDATE OF {", ".join(_WATCHED)}
        ON catalog_record WHEN {_CHANGED} BEGIN
        INSERT INTO catalog_record_fts (catalog_record_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, {_sqlite_values("old")});
        INSERT INTO catalog_record_fts (rowid, {FTS_COLUMNS})
        VALUES (new.id, {_sqlite_values("new")});
    END""",
]
SQLITE_TRIGGER_NAMES = ("catalog_record_fts_ai", "catalog_record_fts_ad", "catalog_record_fts_au")

SQLITE_INSTALL = [
    "CREATE TABLE catalog_search_seq (n INTEGER PRIMARY KEY)",
    f"""INSERT INTO catalog_search_seq (n)
        WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {SEQ_MAX})
        SELECT n FROM s""",
    # columnsize=0: no per-row sizes, which only bm25() would read.
    f"""CREATE VIRTUAL TABLE catalog_record_fts USING fts5(
        {FTS_COLUMNS},
        content='', columnsize=0, tokenize='trigram case_sensitive 0'
    )""",
    f"""INSERT INTO catalog_record_fts (rowid, {FTS_COLUMNS})
        SELECT r.id, {_sqlite_values("r")} FROM catalog_record AS r""",
    *SQLITE_TRIGGERS,
]

SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES),
    "DROP TABLE IF EXISTS catalog_record_fts",
    "DROP TABLE IF EXISTS catalog_search_seq",
]


def _pg_is_cjk(expr: str) -> str:
    return "(" + " OR ".join(f"{expr} BETWEEN {lo} AND {hi}" for lo, hi in CJK_RANGES) + ")"


POSTGRES_INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # One expression over every searched column: a term never contains a space, so it
    # cannot match across two columns, and one GIN index serves every term.
    """CREATE INDEX catalog_record_search_trgm ON catalog_record USING gin (
        (title || ' ' || author_text || ' ' || isbns || ' ' || call_numbers) gin_trgm_ops)""",
    # ' 红 红楼 楼 楼梦 梦 ' for 红楼梦: CJK characters and pairs as words.
    f"""CREATE FUNCTION catalog_record_cjk_grams(title text, authors text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT CASE WHEN s !~ '{_glob_class()}' THEN ' ' ELSE (
            SELECT ' ' || coalesce(string_agg(
                substr(s, n, 1) || CASE
                    WHEN {_pg_is_cjk("ascii(substr(s, n + 1, 1))")}
                    THEN ' ' || substr(s, n, 2) ELSE '' END,
                ' ' ORDER BY n), '') || ' '
            FROM generate_series(1, length(s)) AS n
            WHERE {_pg_is_cjk("ascii(substr(s, n, 1))")}
        ) END
        FROM (SELECT title || ' ' || authors AS s) AS t
        $$""",
    """CREATE INDEX catalog_record_cjk_trgm ON catalog_record USING gin (
        catalog_record_cjk_grams(title, author_text) gin_trgm_ops)""",
    "CREATE INDEX catalog_record_isbn ON catalog_record (isbn)",
]

POSTGRES_DROP = [
    "DROP INDEX IF EXISTS catalog_record_isbn",
    "DROP INDEX IF EXISTS catalog_record_cjk_trgm",
    "DROP FUNCTION IF EXISTS catalog_record_cjk_grams(text, text)",
    "DROP INDEX IF EXISTS catalog_record_search_trgm",
    # pg_trgm stays: other objects may use it, and dropping an extension needs its owner.
]


def install_sqlite_triggers(schema_editor) -> None:
    """(Re)create the triggers, e.g. after a migration that remade catalog_record."""
    for name in SQLITE_TRIGGER_NAMES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
    for statement in SQLITE_TRIGGERS:
        schema_editor.execute(statement, params=None)


def _run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def forwards(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_INSTALL)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_INSTALL)


def backwards(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
