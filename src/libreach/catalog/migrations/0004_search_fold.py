"""Search in one script: the index reads title, authors and call numbers folded by
`catalog.fold` (traditional to simplified characters, Taiwan and Hong Kong variants,
compatibility ideographs, full-width Latin), as the query is, so 紅樓夢 finds 红楼梦 and
the other way round. The columns themselves, which pages show, are not changed.

The database folds, from the same character table as `catalog.fold`, so the index stays
current however rows are written (as migration 0002 explains) and deletes from the
contentless SQLite index recompute exactly what was indexed:

- SQLite: a table `catalog_search_fold` (character → folded character); the triggers walk
  the characters of a text that has any CJK or full-width character with the numbers table
  of 0002 and put each through it. Triggers and index are remade, the index filled again.
- PostgreSQL: `catalog_fold(text)`, immutable: text without a character the table changes
  is itself (inlined, one regular expression), else each character is looked up in a jsonb constant
  (`catalog_fold_chars`, PL/pgSQL so that its plan is made once per connection). The two trigram indexes are rebuilt over the folded text.

Rebuilding the index reads every record once: measured in BENCHMARKS.md ("Search in one
script"). A later table-remaking migration calls this module's `install_sqlite_triggers`.
"""

import importlib
import json

from django.db import migrations

from libreach.catalog.fold import FOLD_RANGES, pairs

index = importlib.import_module("libreach.catalog.migrations.0002_search_index")

_CLASS = "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in FOLD_RANGES) + "]"


def _pg_class() -> str:
    """A regular expression bracket of exactly the characters the table changes.

    PostgreSQL folds at query time too (an index recheck, the title ranks), so a text in
    simplified characters, most of a Chinese catalogue, should not walk the table: a
    bracket of 5,000 characters costs it 1 µs (compiled once per connection), after the
    ranges' 0.4 µs have let Latin text through. SQLite's
    GLOB would scan such a bracket for each character; its triggers use the ranges.
    """
    fullwidth = (0xFF01, 0xFF5E)
    chars = [c for c in pairs()[0] if not fullwidth[0] <= ord(c) <= fullwidth[1]]
    return "[" + "".join(chars) + f"{chr(fullwidth[0])}-{chr(fullwidth[1])}]"


def _fold(text: str) -> str:
    """SQL for `text` (an expression) folded through catalog_search_fold (SQLite).

    As the CJK grams of 0002, group_concat takes the characters in the order the primary
    key scan of the numbers table yields them; beyond its 4,000 the text is kept as it is.
    """
    return f"""(CASE WHEN {text} GLOB '*{_CLASS}*' THEN (
      SELECT group_concat(coalesce(f.s, substr(t.s, q.n, 1)), '')
        || substr(t.s, {index.SEQ_MAX + 1})
      FROM (SELECT {text} AS s) AS t
      JOIN catalog_search_seq AS q ON q.n <= length(t.s)
      LEFT JOIN catalog_search_fold AS f ON f.c = substr(t.s, q.n, 1)
    ) ELSE {text} END)"""


def _sqlite_values(row: str) -> str:
    """The FTS5 column values (0002's FTS_COLUMNS) of the catalog_record row `row`."""
    title, authors = _fold(f"{row}.title"), _fold(f"{row}.author_text")
    return ", ".join(
        [
            title,
            authors,
            f"{row}.isbns",
            _fold(f"{row}.call_numbers"),
            index._sqlite_grams(title, marks_start=True),
            index._sqlite_grams(authors, marks_start=False),
            f"char(29) || {row}.library_id || char(29)",
        ]
    )


COLUMNS = index.FTS_COLUMNS
WATCHED = ("title", "author_text", "isbns", "call_numbers", "library_id")
_CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in WATCHED)

# The triggers of 0002 under the same names, over the folded text.
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER catalog_record_fts_ai AFTER INSERT ON catalog_record BEGIN
        INSERT INTO catalog_record_fts (rowid, {COLUMNS})
        VALUES (new.id, {_sqlite_values("new")});
    END""",
    f"""CREATE TRIGGER catalog_record_fts_ad AFTER DELETE ON catalog_record BEGIN
        INSERT INTO catalog_record_fts (catalog_record_fts, rowid, {COLUMNS})
        VALUES ('delete', old.id, {_sqlite_values("old")});
    END""",
    f"""CREATE TRIGGER catalog_record_fts_au AFTER UPDATE OF {", ".join(WATCHED)}
        ON catalog_record WHEN {_CHANGED} BEGIN
        INSERT INTO catalog_record_fts (catalog_record_fts, rowid, {COLUMNS})
        VALUES ('delete', old.id, {_sqlite_values("old")});
        INSERT INTO catalog_record_fts (rowid, {COLUMNS})
        VALUES (new.id, {_sqlite_values("new")});
    END""",
]
SQLITE_TRIGGER_NAMES = index.SQLITE_TRIGGER_NAMES

SQLITE_FTS_TABLE = f"""CREATE VIRTUAL TABLE catalog_record_fts USING fts5(
    {COLUMNS},
    content='', columnsize=0, tokenize='trigram case_sensitive 0'
)"""


def install_sqlite_triggers(schema_editor) -> None:
    """(Re)create the triggers, e.g. after a migration that remade catalog_record."""
    for name in SQLITE_TRIGGER_NAMES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
    for statement in SQLITE_TRIGGERS:
        schema_editor.execute(statement, params=None)


def _sqlite_forwards(schema_editor) -> None:
    run = schema_editor.execute
    for name in SQLITE_TRIGGER_NAMES:
        run(f"DROP TRIGGER IF EXISTS {name}", params=None)
    run("DROP TABLE IF EXISTS catalog_search_fold", params=None)
    run(
        "CREATE TABLE catalog_search_fold (c TEXT PRIMARY KEY, s TEXT NOT NULL) WITHOUT ROWID",
        params=None,
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO catalog_search_fold (c, s) VALUES (%s, %s)",
            list(zip(*pairs(), strict=True)),
        )
    run("DROP TABLE IF EXISTS catalog_record_fts", params=None)
    run(SQLITE_FTS_TABLE, params=None)
    run(
        f"INSERT INTO catalog_record_fts (rowid, {COLUMNS})"
        f" SELECT r.id, {_sqlite_values('r')} FROM catalog_record AS r",
        params=None,
    )
    run("INSERT INTO catalog_record_fts (catalog_record_fts) VALUES ('optimize')", params=None)
    install_sqlite_triggers(schema_editor)


def _sqlite_backwards(schema_editor) -> None:
    index._run(schema_editor, index.SQLITE_DROP)
    schema_editor.execute("DROP TABLE IF EXISTS catalog_search_fold", params=None)
    index._run(schema_editor, index.SQLITE_INSTALL)


_PG_FOLDED = "catalog_fold(title) || ' ' || catalog_fold(author_text) || ' ' || isbns || ' ' || catalog_fold(call_numbers)"  # noqa: E501


def _pg_install() -> list[str]:
    table = json.dumps(dict(zip(*pairs(), strict=True)), ensure_ascii=False)
    return [
        # A character's jsonb lookup is a binary search (translate() with the table's
        # 5,000 characters scans them for each one: 20 times slower). PL/pgSQL, as the
        # planner would parse an SQL function's body, 60 kB of JSON, for every query.
        f"""CREATE FUNCTION catalog_fold_chars(s text) RETURNS text
            LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
            BEGIN
              RETURN (
                SELECT string_agg(coalesce('{table.replace("'", "''")}'::jsonb ->> x.c, x.c),
                                  '' ORDER BY x.n)
                FROM regexp_split_to_table(s, '') WITH ORDINALITY AS x(c, n));
            END
            $$""",
        # Not STRICT, so that the planner inlines it: Latin text pays one regex match.
        f"""CREATE FUNCTION catalog_fold(s text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN s ~ '{_CLASS}' AND s ~ '{_pg_class()}'
                THEN catalog_fold_chars(s) ELSE s END
            $$""",
        "DROP INDEX IF EXISTS catalog_record_search_trgm",
        f"""CREATE INDEX catalog_record_search_trgm ON catalog_record USING gin (
            ({_PG_FOLDED}) gin_trgm_ops)""",
        "DROP INDEX IF EXISTS catalog_record_cjk_trgm",
        """CREATE INDEX catalog_record_cjk_trgm ON catalog_record USING gin (
            catalog_record_cjk_grams(catalog_fold(title), catalog_fold(author_text))
            gin_trgm_ops)""",
        # Statistics of the new index expressions, or the planner guesses one row a term.
        "ANALYZE catalog_record",
    ]


PG_DROP = [
    "DROP INDEX IF EXISTS catalog_record_search_trgm",
    "DROP INDEX IF EXISTS catalog_record_cjk_trgm",
    "DROP FUNCTION IF EXISTS catalog_fold(text)",
    "DROP FUNCTION IF EXISTS catalog_fold_chars(text)",
]


def forwards(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _sqlite_forwards(schema_editor)
    elif vendor == "postgresql":
        index._run(schema_editor, _pg_install())


def backwards(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _sqlite_backwards(schema_editor)
    elif vendor == "postgresql":
        index._run(schema_editor, PG_DROP)
        # 0002's two trigram indexes over the text as it is.
        index._run(schema_editor, [index.POSTGRES_INSTALL[1], index.POSTGRES_INSTALL[3]])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_barcodes_in_one_form")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
