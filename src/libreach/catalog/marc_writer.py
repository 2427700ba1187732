"""The import's SQL writer: a batch of prepared records (catalog.marc_reader) written
in the caller's transaction.

Rows are written in SQL rather than with bulk_create / bulk_update: the ORM's per-field
preparation cost three times the database's own work per record (measured on the LoC
file), and the import has to keep up with the parser (bench/import_marc.py). SQLite
gets multi-row INSERT ... RETURNING and executemany UPDATE; PostgreSQL one array per
column through UNNEST, as Django's own bulk_create does there. Items are matched by
barcode; an item's status is never changed by an import.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import partial

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from libreach.catalog.marc_reader import CALL_NUMBERS, VALUE_FIELDS, Key, Prepared, PreparedItem
from libreach.catalog.models import Item, ItemStatus, Record
from libreach.catalog.services import search_columns
from libreach.consortium.models import Library

# Keeps IN lists within every SQLite build's variable limit.
_MAX_PARAMS = 999


# --- writing a batch ---------------------------------------------------------------------


def _params_limit() -> int:
    """Parameters one statement may carry: fewer, longer statements cost less."""
    if connection.vendor == "postgresql":
        return 65535
    if connection.vendor == "sqlite":
        try:
            return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except AttributeError:  # Python before 3.11
            pass
    return _MAX_PARAMS


def _chunks(values: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


_RECORD_INSERT = ("library", *VALUE_FIELDS, "authors", "updated_at", "created_at")
_RECORD_UPDATE = _RECORD_INSERT[1:-1]  # neither the library nor created_at
_ITEM_INSERT = (
    "record",
    "library",
    *PreparedItem._fields,
    "status",
    "loanable",
    "updated_at",
    "created_at",
)
_ITEM_UPDATE = (*PreparedItem._fields[1:], "updated_at")  # not the barcode


class _Writer:
    """A batch's reads and writes, in SQL, in the caller's transaction."""

    def __init__(self, library: Library):
        self.library_id = library.pk
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())
        authors, db = Record._meta.get_field("authors"), connections[DEFAULT_DB_ALIAS]
        self.json = partial(authors.get_db_prep_save, connection=db)
        self.postgres = connection.vendor == "postgresql"
        self.q = q = connection.ops.quote_name
        self.record_table = q(Record._meta.db_table)
        self.item_table = q(Item._meta.db_table)

    def _select(self, sql: str, values: Sequence, fixed: Sequence = ()) -> list[tuple]:
        """Rows of `sql`, whose `IN ({})` gets as many placeholders as `values` hold."""
        rows: list[tuple] = []
        with connection.cursor() as cursor:
            for part in _chunks(sorted(set(values)), _MAX_PARAMS - len(fixed)):
                cursor.execute(sql.format(", ".join(["%s"] * len(part))), [*fixed, *part])
                rows.extend(cursor.fetchall())
        return rows

    # reads

    def existing_records(self, batch: Sequence[Prepared]) -> dict[Key, int]:
        q, lib, found = self.q, self.library_id, {}
        t, cn, src, isbn, title = (
            self.record_table,
            q("control_number"),
            q("control_source"),
            q("isbn"),
            q("title"),
        )
        # By source, so that the lookup runs on the unique index (library, 003, 001);
        # the index is partial, and its condition must be spelled out to be used.
        sql = (
            f"SELECT {cn}, id FROM {t} WHERE library_id = %s AND {src} = %s "
            f"AND NOT ({cn} = '') AND {cn} IN ({{}})"
        )
        by_source: dict[str, list[str]] = {}
        for p in batch:
            if p.key[0] == "cn":
                by_source.setdefault(p.key[1], []).append(p.key[2])
        for source, numbers in by_source.items():
            for number, pk in self._select(sql, numbers, [lib, source]):
                found[("cn", source, number)] = pk
        # Several hand-entered records may share an ISBN: the oldest one is matched.
        isbns = [p.key[1] for p in batch if p.key[0] == "isbn"]
        sql = (
            f"SELECT {isbn}, id FROM {t} WHERE library_id = %s AND {cn} = '' "
            f"AND {isbn} IN ({{}}) ORDER BY id DESC"
        )
        for number, pk in self._select(sql, isbns, [lib]):
            found[("isbn", number)] = pk
        # Records with neither 001 nor ISBN are rare; with no index on the title, this
        # reads the library's records without an ISBN (library_id, isbn index).
        titles = [p.key[1] for p in batch if p.key[0] == "desc"]
        sql = (
            f"SELECT {title}, {q('authors')}, {q('year')}, {q('publisher')}, id FROM {t} "
            f"WHERE library_id = %s AND {cn} = '' AND {isbn} = '' AND {title} IN ({{}}) "
            "ORDER BY id DESC"
        )
        authors = Record._meta.get_field("authors")
        for title_, names, year, publisher, pk in self._select(sql, titles, [lib]):
            names = (
                authors.from_db_value(names, None, connection) if isinstance(names, str) else names
            )
            found[("desc", title_, "; ".join(names or []), year, publisher)] = pk
        return found

    def item_owners(self, barcodes: Sequence[str]) -> dict[str, tuple[int, int]]:
        sql = (
            f"SELECT {self.q('barcode')}, id, record_id FROM {self.item_table} "
            f"WHERE library_id = %s AND {self.q('barcode')} IN ({{}})"
        )
        return {b: (pk, r) for b, pk, r in self._select(sql, barcodes, [self.library_id])}

    def other_call_numbers(self, record_ids: Sequence[int], barcodes: set[str]) -> dict:
        """Call numbers of items the file does not list, for updated records' search text."""
        sql = (
            f"SELECT record_id, {self.q('barcode')}, {self.q('call_number')} "
            f"FROM {self.item_table} WHERE record_id IN ({{}}) AND {self.q('call_number')} <> ''"
        )
        numbers: dict[int, list[str]] = {}
        for record_id, barcode, number in self._select(sql, record_ids):
            if barcode not in barcodes:
                numbers.setdefault(record_id, []).append(number)
        return numbers

    # writes

    def record_row(self, p: Prepared) -> list:
        return [self.library_id, *p.values, self.json(p.authors), self.now, self.now]

    def _unnest(self, model, names: Sequence[str]) -> str:
        """PostgreSQL: one array parameter per column, as Django's bulk_create does."""
        types = [model._meta.get_field(n).db_type(connection).split("(")[0] for n in names]
        return ", ".join(f"(%s)::{t}[]" for t in types)

    def _insert(self, model, names: Sequence[str], rows: list[list], returning: bool):
        """Many rows per statement. With RETURNING, the ids come back in the order of
        the rows (as Django's bulk_create relies on, on SQLite and PostgreSQL)."""
        table = self.q(model._meta.db_table)
        columns = ", ".join(self.q(model._meta.get_field(n).column) for n in names)
        head = f"INSERT INTO {table} ({columns}) "
        tail = " RETURNING id" if returning else ""
        ids: list[int] = []
        with connection.cursor() as cursor:
            if self.postgres:
                sql = f"{head}SELECT * FROM UNNEST({self._unnest(model, names)}){tail}"
                cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
                return [row[0] for row in cursor.fetchall()] if returning else []
            one = "(" + ", ".join(["%s"] * len(names)) + ")"
            if returning and not connection.features.can_return_rows_from_bulk_insert:
                for row in rows:  # SQLite before 3.35
                    cursor.execute(f"{head}VALUES {one}", row)
                    ids.append(cursor.lastrowid)
                return ids
            for part in _chunks(rows, _params_limit() // len(names)):
                cursor.execute(
                    f"{head}VALUES {', '.join([one] * len(part))}{tail}",
                    [value for row in part for value in row],
                )
                if returning:
                    ids.extend(row[0] for row in cursor.fetchall())
        return ids

    def _update(self, model, names: Sequence[str], rows: list[list]) -> None:
        """Rows of the named columns' values followed by the row's id."""
        table = self.q(model._meta.db_table)
        columns = [self.q(model._meta.get_field(n).column) for n in names]
        with connection.cursor() as cursor:
            if self.postgres:
                sets = ", ".join(f"{c} = v.c{i}" for i, c in enumerate(columns))
                aliases = ", ".join(f"c{i}" for i in range(len(columns)))
                sql = (
                    f"UPDATE {table} SET {sets} FROM UNNEST({self._unnest(model, names)}, "
                    f"(%s)::bigint[]) AS v({aliases}, id) WHERE {table}.id = v.id"
                )
                cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
            else:
                sets = ", ".join(f"{c} = %s" for c in columns)
                cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)

    def insert_records(self, rows: list[list]) -> list[int]:
        return self._insert(Record, _RECORD_INSERT, rows, returning=True) if rows else []

    def update_records(self, rows: list[list], ids: list[int]) -> None:
        if rows:
            rows = [[*row[1:-1], pk] for row, pk in zip(rows, ids, strict=True)]
            self._update(Record, _RECORD_UPDATE, rows)

    def insert_items(self, rows: list[list]) -> None:
        if rows:
            self._insert(Item, _ITEM_INSERT, rows, returning=False)

    def update_items(self, rows: list[list]) -> None:
        if rows:
            self._update(Item, _ITEM_UPDATE, rows)


@dataclass
class Written:
    """What a write made: records new and updated, items new and updated."""

    imported: int = 0
    updated: int = 0
    items_created: int = 0
    items_updated: int = 0

    def add(self, other: Written) -> None:
        for counter in fields(Written):
            name = counter.name
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class BatchOutcome(Written):
    refused: list[tuple[Prepared, str]] = field(default_factory=list)


def write_batch(library: Library, batch: Sequence[Prepared]) -> BatchOutcome:
    """Write a batch in the caller's transaction. Keys are distinct within a batch."""
    out = BatchOutcome()
    writer = _Writer(library)
    existing = writer.existing_records(batch)
    owners = writer.item_owners([i.barcode for p in batch for i in p.items])

    new: list[Prepared] = []
    old: list[tuple[Prepared, int]] = []
    claimed: set[str] = set()
    for p in batch:
        record_id = existing.get(p.key)
        clash = next(
            (
                i.barcode
                for i in p.items
                if i.barcode in claimed
                or (i.barcode in owners and owners[i.barcode][1] != record_id)
            ),
            None,
        )
        if clash:
            out.refused.append((p, f"barcode {clash} belongs to another record"))
            continue
        claimed.update(i.barcode for i in p.items)
        if record_id is None:
            new.append(p)
        else:
            old.append((p, record_id))

    new_ids = writer.insert_records([writer.record_row(p) for p in new])
    if old:
        other = writer.other_call_numbers([r for _, r in old], claimed)
        rows = []
        for p, record_id in old:
            row = writer.record_row(p)
            if record_id in other:
                # Items the file does not list keep their call numbers searchable.
                numbers = [*p.call_numbers, *other[record_id]]
                columns = search_columns(authors=(), isbns=(), call_numbers=numbers)
                row[1 + CALL_NUMBERS] = columns["call_numbers"]
            rows.append(row)
        writer.update_records(rows, [r for _, r in old])

    item_rows: list[list] = []
    item_updates: list[list] = []
    status = ItemStatus.AVAILABLE.value
    for p, record_id in [*zip(new, new_ids, strict=True), *old]:
        for i in p.items:
            owner = owners.get(i.barcode)
            if owner is None:
                item_rows.append(
                    [record_id, writer.library_id, *i, status, True, writer.now, writer.now]
                )
            else:
                item_updates.append([*i[1:], writer.now, owner[0]])
    writer.insert_items(item_rows)
    writer.update_items(item_updates)
    out.imported, out.updated = len(new), len(old)
    out.items_created, out.items_updated = len(item_rows), len(item_updates)
    return out


# SQLite settings of this connection while it imports: a 64 MiB page cache, as the
# indexes of a large catalogue outgrow the default 2 MiB and every insert would read
# pages back from disk; and a checkpoint every 16,384 WAL pages (64 MiB) instead of
# every 1,000, so the index pages every batch rewrites are copied back less often.
_BULK_PRAGMAS = {"cache_size": -65536, "wal_autocheckpoint": 16384}


@contextmanager
def bulk_pragmas() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    previous = {}
    with connection.cursor() as cursor:
        for name, value in _BULK_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}")
            previous[name] = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in previous.items():
                cursor.execute(f"PRAGMA {name} = {value}")
