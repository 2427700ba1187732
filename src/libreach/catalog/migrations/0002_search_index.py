"""Catalogue search index, kept current by the database itself on every write.

Hand-written and vendor-aware; it changes no model state. `catalog.search` writes the
queries that use it.

SQLite: a contentless FTS5 table `catalog_record_fts` (rowid = record id) with the
trigram tokenizer, case-insensitive, over
- title, author_text, isbns, call_numbers: substrings of three or more characters;
- title_grams, author_grams: the CJK characters of title and authors, so that 1-2
  character CJK terms (红楼, 鲁迅, 梦) also become trigrams. Each CJK character c
  followed by d is written "cd<US>", or "c<US><US>" when no CJK character follows
  (US = U+001F, which no query contains), after a start of "<US><US>" ("<RS><RS>" in a
  title starting with a CJK character; RS = U+001E). 红楼梦 gives
  "<US><US>红楼<US>楼梦<US>梦<US><US>", so the bigram 红楼 is the trigram
  "红楼<US>", and a character is "c<US>c" inside a run, "<US><US>c" or "<RS><RS>c" at
  its start. "<RS>cd" and "<RS><RS>c" are the title's first characters (title-prefix
  rank of a short query);
- library: "<GS>id<GS>" (GS = U+001D), so the library filter stays inside the index.
Ranking and counting then never read catalog_record, whose rows carry the MARC record.

Triggers on catalog_record keep the index current however rows are written (ORM save,
bulk_create, bulk_update, raw SQL): contentless, so no text is stored twice, and a
deletion hands FTS5 the old values, computed by the same SQL as when they were indexed.

Django remakes a SQLite table (create a new one, copy, drop, rename) for some later
alterations of catalog_record, and dropping the table drops its triggers (the index
itself stays right, as the copy keeps the ids). Such a migration must call
`install_sqlite_triggers(schema_editor)` afterwards: since 0004 (text folded to one
script) that module's, not the one below; `catalog.tests.test_search` fails while the
triggers are missing.

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
    # Most characters of a record are Latin: one comparison rules them out.
    lo = CJK_RANGES[0][0]
    ranges = " OR ".join(f"{expr} BETWEEN {lo} AND {hi}" for lo, hi in CJK_RANGES)
    return f"({expr} >= {lo} AND ({ranges}))"


def _glob_class() -> str:
    return "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in CJK_RANGES) + "]"


def _sqlite_grams(text: str, *, marks_start: bool) -> str:
    """SQL for the CJK grams of `text` (an expression); '' when it has no CJK character.

    The numbers table walks the characters (a trigger cannot use a recursive CTE). The
    grams of neighbouring characters make the single-character trigrams, so their order
    matters: group_concat takes the rows as the primary-key range scan of the numbers
    table yields them, in order (an ORDER BY here costs a hundredfold; the tests check
    every character and pair of real titles is found).
    """
    here = _is_cjk("unicode(substr(t.s, q.n, 1))")
    after = _is_cjk("unicode(substr(t.s, q.n + 1, 1))")
    start = f"{US} || {US}"
    if marks_start:
        start = f"CASE WHEN {_is_cjk(f'unicode({text})')} THEN {RS} || {RS} ELSE {start} END"
    return f"""CASE WHEN {text} GLOB '*{_glob_class()}*' THEN {start} || (
      SELECT group_concat(g, '') FROM (
        SELECT substr(t.s, q.n, 1)
          || CASE WHEN {after} THEN substr(t.s, q.n + 1, 1) ELSE {US} END || {US} AS g
        FROM (SELECT {text} AS s) AS t
        JOIN catalog_search_seq AS q ON q.n <= length(t.s)
        WHERE {here}
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


_CJK = _glob_class()  # a regular expression bracket too
_NOT_CJK = "[^" + _CJK[1:]


POSTGRES_INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # One expression over every searched column: a term never contains a space, so it
    # cannot match across two columns, and one GIN index serves every term.
    """CREATE INDEX catalog_record_search_trgm ON catalog_record USING gin (
        (title || ' ' || author_text || ' ' || isbns || ' ' || call_numbers) gin_trgm_ops)""",
    # The CJK characters and neighbouring pairs of title and authors as space-separated
    # words (红楼梦: 红 楼 梦, 红楼 梦, 楼梦): the other text becomes a space, then every
    # character, the pairs from the start of each run and those from its second character.
    f"""CREATE FUNCTION catalog_record_cjk_grams(title text, authors text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT CASE WHEN s !~ '{_CJK}' THEN ' ' ELSE
            ' ' || regexp_replace(s, '({_CJK})', ' \\1 ', 'g')
            || ' ' || regexp_replace(s, '({_CJK}{_CJK})', ' \\1 ', 'g')
            || ' ' || regexp_replace(
                regexp_replace(s, '(^| ){_CJK}', '\\1', 'g'), '({_CJK}{_CJK})', ' \\1 ', 'g')
            || ' ' END
        FROM (SELECT regexp_replace(title || ' ' || authors, '{_NOT_CJK}+', ' ', 'g') AS s) AS t
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
