"""Importing a MARC file into one library's catalogue (`libreach import-marc`).

The file is read as a stream (`catalog.marc`) and written in batches, one transaction
each. A record is imported with all its items or not at all: when a batch fails in the
database, it is rolled back and written again one record per transaction, so one bad
record costs only itself.

Re-importing updates: a record is the same record when it has the same key in the same
library: 001 with 003, else the ISBN, else (no key at all) title, authors, year and
publisher. Items are matched by barcode; an item's status is never changed by an
import. A record without holdings gets one item whose barcode is derived from its key,
so a re-import finds it again.

Rows are written in SQL rather than with bulk_create / bulk_update: the ORM's per-field
preparation cost three times the database's own work per record (measured on the LoC
file), and the import has to keep up with the parser (bench/import_marc.py). SQLite
gets multi-row INSERT ... RETURNING and executemany UPDATE; PostgreSQL one array per
column through UNNEST, as Django's own bulk_create does there. Files of 4 MiB or more
are parsed in a forked child process while this one writes.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import re
import signal
import sqlite3
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from queue import Empty
from typing import NamedTuple

from django.db import (
    DEFAULT_DB_ALIAS,
    DataError,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.utils import timezone

from libreach.catalog.callnumbers import shelving_key
from libreach.catalog.marc import FORMATS, MarcData, ParsedRecord, read_marc
from libreach.catalog.models import Item, ItemStatus, Record
from libreach.catalog.search import optimize_index
from libreach.catalog.services import search_columns
from libreach.consortium.models import Library
from libreach.core.errors import BadRequest

DEFAULT_BATCH = 1000
MAX_KEPT_PROBLEMS = 1000
# After writing this many records the search index is compacted (see optimize_index).
OPTIMIZE_AFTER = 5000
# Keeps IN lists within every SQLite build's variable limit.
_MAX_PARAMS = 999

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """A record that was not imported (`skipped`), or imported with a warning."""

    record: int  # 1-based position in the file
    offset: int  # byte offset of the record in the file
    reason: str
    skipped: bool = True

    def __str__(self) -> str:
        what = "skipped" if self.skipped else "warning"
        return f"record {self.record} (byte {self.offset}): {what}: {self.reason}"


@dataclass
class ImportResult:
    read: int = 0
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    items_created: int = 0
    items_updated: int = 0
    warnings: int = 0
    # The first MAX_KEPT_PROBLEMS; every problem goes to `on_problem` as it happens.
    problems: list[ImportProblem] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"read {self.read}, imported {self.imported}, updated {self.updated}, "
            f"skipped {self.skipped}; items created {self.items_created}, "
            f"updated {self.items_updated}"
        )
        return text + (f"; {self.warnings} warnings" if self.warnings else "")


class _Item(NamedTuple):
    barcode: str
    location: str
    call_number: str
    volume: str
    shelving_key: str


class _Prepared(NamedTuple):
    """A record ready to write: its key, column values (_VALUE_FIELDS) and items.

    Tuples, because they cross from the reader process (see `_records`) by pickle.
    """

    number: int
    offset: int
    key: Key
    values: list
    authors: list[str]
    call_numbers: list[str]  # the record's and its items', for the search column
    items: list[_Item]


# Record columns, in the order of _Prepared.values; the writer adds the library, the
# authors (as the database's JSON) and the timestamps.
_VALUE_FIELDS = (
    "control_number",
    "control_source",
    "isbn",
    "title",
    "publisher",
    "year",
    "edition",
    "language",
    "call_number",
    "classification",
    "marc_format",
    "marc",
    "author_text",
    "isbns",
    "call_numbers",
)
_CALL_NUMBERS = _VALUE_FIELDS.index("call_numbers")


# --- preparing one record (no database) --------------------------------------------------


def _max_lengths(model) -> dict[str, int]:
    return {f.name: f.max_length for f in model._meta.concrete_fields if f.max_length}


_RECORD_MAX = _max_lengths(Record)
_ITEM_MAX = _max_lengths(Item)
_PLAIN = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")


def record_key(data: MarcData) -> Key:
    """What makes a record the same record within a library, on re-import."""
    if data.control_number:
        return ("cn", data.control_source[: _RECORD_MAX["control_source"]], data.control_number)
    if data.isbn:
        return ("isbn", data.isbn)
    return (
        "desc",
        data.title,
        "; ".join(data.authors),
        data.year[: _RECORD_MAX["year"]],
        data.publisher[: _RECORD_MAX["publisher"]],
    )


def generated_barcode(library_code: str, key: Key) -> str:
    """A barcode for a record without holdings, the same on every import of the record.

    Readable when the key is (`PKU-DLC-00000002`, `PKU-9787801100580`), else a digest.
    """
    readable = ""
    if key[0] == "cn":
        readable = "-".join(p for p in (library_code, key[1], key[2]) if p)
    elif key[0] == "isbn":
        readable = f"{library_code}-{key[1]}"
    if readable and len(readable) <= _ITEM_MAX["barcode"] and _PLAIN.fullmatch(readable):
        return readable
    digest = hashlib.sha1("\x1f".join(key).encode()).hexdigest()[:20]
    return f"{library_code}-H{digest}"


class _Refused(Exception):
    pass


def _prepare(parsed: ParsedRecord, library_code: str) -> _Prepared:
    data = parsed.data
    assert data is not None and parsed.raw is not None
    if len(data.control_number) > _RECORD_MAX["control_number"]:
        raise _Refused(f"control number (001) longer than {_RECORD_MAX['control_number']}")
    key = record_key(data)
    base = generated_barcode(library_code, key)
    record_call_number = data.call_number[: _RECORD_MAX["call_number"]]
    items: list[_Item] = []
    seen: set[str] = set()
    generated = 0
    for holding in data.holdings or [None]:
        if holding is not None and holding.barcode:
            barcode = holding.barcode
            if len(barcode) > _ITEM_MAX["barcode"]:
                raise _Refused(f"barcode {barcode!r} longer than {_ITEM_MAX['barcode']}")
        else:
            generated += 1
            barcode = base if generated == 1 else f"{base}-{generated}"
        if barcode in seen:
            raise _Refused(f"barcode {barcode} appears twice in the record")
        seen.add(barcode)
        call_number = holding.call_number[: _ITEM_MAX["call_number"]] if holding else ""
        items.append(
            _Item(
                barcode,
                holding.location[: _ITEM_MAX["location"]] if holding else "",
                call_number,
                holding.volume[: _ITEM_MAX["volume"]] if holding else "",
                shelving_key(call_number or record_call_number),
            )
        )
    call_numbers = [record_call_number, *(i.call_number for i in items)]
    columns = search_columns(
        authors=[*data.authors, *data.search_extra], isbns=data.isbns, call_numbers=call_numbers
    )
    values = [
        data.control_number,
        data.control_source[: _RECORD_MAX["control_source"]],
        data.isbn,
        data.title,
        data.publisher[: _RECORD_MAX["publisher"]],
        data.year[: _RECORD_MAX["year"]],
        data.edition[: _RECORD_MAX["edition"]],
        data.language[: _RECORD_MAX["language"]],
        record_call_number,
        data.classification[: _RECORD_MAX["classification"]],
        data.marc_format,
        parsed.raw,
        columns["author_text"],
        columns["isbns"],
        columns["call_numbers"],
    ]
    return _Prepared(parsed.number, parsed.offset, key, values, data.authors, call_numbers, items)


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


_RECORD_INSERT = ("library", *_VALUE_FIELDS, "authors", "updated_at", "created_at")
_RECORD_UPDATE = _RECORD_INSERT[1:-1]  # neither the library nor created_at
_ITEM_INSERT = (
    "record",
    "library",
    *_Item._fields,
    "status",
    "loanable",
    "updated_at",
    "created_at",
)
_ITEM_UPDATE = (*_Item._fields[1:], "updated_at")  # not the barcode


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

    def existing_records(self, batch: Sequence[_Prepared]) -> dict[Key, int]:
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

    def record_row(self, p: _Prepared) -> list:
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
class _BatchOutcome:
    imported: int = 0
    updated: int = 0
    items_created: int = 0
    items_updated: int = 0
    refused: list[tuple[_Prepared, str]] = field(default_factory=list)


def _write_batch(library: Library, batch: Sequence[_Prepared]) -> _BatchOutcome:
    """Write a batch in the caller's transaction. Keys are distinct within a batch."""
    out = _BatchOutcome()
    writer = _Writer(library)
    existing = writer.existing_records(batch)
    owners = writer.item_owners([i.barcode for p in batch for i in p.items])

    new: list[_Prepared] = []
    old: list[tuple[_Prepared, int]] = []
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
                row[1 + _CALL_NUMBERS] = columns["call_numbers"]
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


# --- reading, in this process or in a child ---------------------------------------------

_Event = _Prepared | ImportProblem
# A reader batch: prepared records and problems in file order, and the bytes read.
_Batch = tuple[list[_Event], int]
# Files at least this large are read in a child process.
BACKGROUND_MIN_BYTES = 4 << 20


def _produce(path: Path, fmt: str, library_code: str, batch_size: int) -> Iterator[_Batch]:
    with path.open("rb") as stream:
        events: list[_Event] = []
        done = 0
        for parsed in read_marc(stream, format=fmt, name=path.name):
            done = parsed.end
            for warning in parsed.warnings:
                events.append(ImportProblem(parsed.number, parsed.offset, warning, skipped=False))
            if parsed.error is not None:
                events.append(ImportProblem(parsed.number, parsed.offset, parsed.error))
            else:
                try:
                    events.append(_prepare(parsed, library_code))
                except _Refused as exc:
                    events.append(ImportProblem(parsed.number, parsed.offset, str(exc)))
            if len(events) >= batch_size:
                yield events, done
                events = []
        yield events, done


def _child(queue, path: Path, fmt: str, library_code: str, batch_size: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        for batch in _produce(path, fmt, library_code, batch_size):
            queue.put(("batch", batch))
        queue.put(("done", None))
    except BaseException as exc:  # every failure must reach the parent
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(traceback.format_exc())
        queue.put(("error", exc))
    queue.close()
    queue.join_thread()


def _batches(
    path: Path, fmt: str, library_code: str, batch_size: int, background: bool
) -> Iterator[_Batch]:
    """The reader's batches. In the background, a forked child parses (pymarc is most of
    the work) while this process writes: the two overlap on a multi-core machine."""
    if not background:
        yield from _produce(path, fmt, library_code, batch_size)
        return
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=4)  # bounds the memory held by parsed batches
    child = context.Process(
        target=_child,
        args=(queue, path, fmt, library_code, batch_size),
        name="libreach-marc-reader",
        daemon=True,
    )
    child.start()
    try:
        while True:
            try:
                kind, payload = queue.get(timeout=0.5)
            except Empty:
                if child.is_alive():
                    continue
                try:  # it may have finished between the timeout and the check
                    kind, payload = queue.get(timeout=1)
                except Empty:
                    raise RuntimeError(
                        f"The MARC reader process stopped (exit code {child.exitcode})."
                    ) from None
            if kind == "error":
                raise payload
            if kind == "done":
                return
            yield payload
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        queue.close()


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


# SQLite settings of this connection while it imports: a 64 MiB page cache, as the
# indexes of a large catalogue outgrow the default 2 MiB and every insert would read
# pages back from disk; and a checkpoint every 16,384 WAL pages (64 MiB) instead of
# every 1,000, so the index pages every batch rewrites are copied back less often.
_BULK_PRAGMAS = {"cache_size": -65536, "wal_autocheckpoint": 16384}


@contextmanager
def _bulk_pragmas() -> Iterator[None]:
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


# --- the import --------------------------------------------------------------------------


def import_marc(
    *,
    library: Library,
    path: str | os.PathLike,
    format: str = "auto",
    batch_size: int = DEFAULT_BATCH,
    background: bool | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_problem: Callable[[ImportProblem], None] | None = None,
) -> ImportResult:
    """Import every record of an ISO 2709 or MARCXML file into `library`'s catalogue.

    `format` is "auto" (detected per record), "marc21" or "unimarc". `background`
    reads the file in a child process (default: for files of 4 MiB or more, where
    fork exists). `on_progress` gets (bytes read, file size) after each batch;
    `on_problem` each problem as it is found. Raises BadRequest for a bad format or
    batch size, OSError if the file cannot be read.
    """
    if format not in FORMATS:
        raise BadRequest(
            f"Unknown MARC format {format!r}: use one of {', '.join(FORMATS)}.",
            code="bad_format",
        )
    if batch_size < 1:
        raise BadRequest("The batch size must be at least 1.", code="bad_batch_size")
    path = Path(path)
    with path.open("rb") as stream:  # fail here, not in the reader, if it cannot be read
        size = os.fstat(stream.fileno()).st_size
    if background is None:
        background = size >= BACKGROUND_MIN_BYTES and _can_fork()
    result = ImportResult()

    def report(problem: ImportProblem) -> None:
        if problem.skipped:
            result.skipped += 1
        else:
            result.warnings += 1
        if len(result.problems) < MAX_KEPT_PROBLEMS:
            result.problems.append(problem)
        if on_problem is not None:
            on_problem(problem)

    batch: list[_Prepared] = []
    keys: set[Key] = set()

    def flush() -> None:
        if batch:
            _write(library, batch, result, report)
            batch.clear()
            keys.clear()

    with _bulk_pragmas():
        for events, done in _batches(path, format, library.code, batch_size, background):
            for event in events:
                if isinstance(event, ImportProblem):
                    result.read += event.skipped
                    report(event)
                    continue
                result.read += 1
                if event.key in keys:  # the file repeats a record: the later one wins
                    flush()
                batch.append(event)
                keys.add(event.key)
                if len(batch) >= batch_size:
                    flush()
            if on_progress is not None:
                on_progress(done, size)
        flush()
    if result.imported + result.updated >= OPTIMIZE_AFTER:
        # A bulk import leaves one index segment per batch; searches read them all.
        optimize_index()
    if on_progress is not None:
        on_progress(size, size)
    return result


def _write(
    library: Library,
    batch: list[_Prepared],
    result: ImportResult,
    report: Callable[[ImportProblem], None],
) -> None:
    try:
        with transaction.atomic():
            outcomes = [_write_batch(library, batch)]
    except (IntegrityError, DataError):
        # Something in the batch broke a constraint (e.g. a parallel import took a
        # key): write it again one record per transaction, so only that record is lost.
        outcomes = []
        for prepared in batch:
            try:
                with transaction.atomic():
                    outcomes.append(_write_batch(library, [prepared]))
            except (IntegrityError, DataError) as exc:
                reason = f"the database refused it: {str(exc).strip().splitlines()[0]}"
                report(ImportProblem(prepared.number, prepared.offset, reason))
    for out in outcomes:
        result.imported += out.imported
        result.updated += out.updated
        result.items_created += out.items_created
        result.items_updated += out.items_updated
        for prepared, reason in out.refused:
            report(ImportProblem(prepared.number, prepared.offset, reason))
