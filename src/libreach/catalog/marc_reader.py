"""Reading a MARC file for the import (catalog.marc_import): each record parsed
(`catalog.marc`) and prepared for the writer, in this process or in a forked child.

A record is the same record when it has the same key in the same library: 001 with 003,
else the ISBN, else (no key at all) title, authors, year and publisher. A record without
holdings gets one item whose barcode is derived from its key, so a re-import finds it
again. Files of 4 MiB or more are parsed in a forked child process (pymarc is most of
the work) while the parent writes; prepared records cross to it by pickle.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
import re
import signal
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import NamedTuple

from libreach.catalog.callnumbers import shelving_key
from libreach.catalog.marc import MarcData, ParsedRecord, read_marc
from libreach.catalog.models import Item, Record
from libreach.catalog.services import search_columns
from libreach.core import normalise

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


class PreparedItem(NamedTuple):
    barcode: str
    location: str
    call_number: str
    volume: str
    shelving_key: str


class Prepared(NamedTuple):
    """A record ready to write: its key, column values (VALUE_FIELDS) and items.

    Tuples, because they cross from the reader process (see `batches`) by pickle.
    """

    number: int
    offset: int
    key: Key
    values: list
    authors: list[str]
    call_numbers: list[str]  # the record's and its items', for the search column
    items: list[PreparedItem]


# Record columns, in the order of Prepared.values; the writer adds the library, the
# authors (as the database's JSON) and the timestamps.
VALUE_FIELDS = (
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
CALL_NUMBERS = VALUE_FIELDS.index("call_numbers")


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
        return normalise.barcode(readable)
    digest = hashlib.sha1("\x1f".join(key).encode()).hexdigest()[:20]
    return normalise.barcode(f"{library_code}-H{digest}")


class _Refused(Exception):
    pass


def _prepare(parsed: ParsedRecord, library_code: str) -> Prepared:
    data = parsed.data
    assert data is not None and parsed.raw is not None
    if len(data.control_number) > _RECORD_MAX["control_number"]:
        raise _Refused(f"control number (001) longer than {_RECORD_MAX['control_number']}")
    key = record_key(data)
    base = generated_barcode(library_code, key)
    record_call_number = data.call_number[: _RECORD_MAX["call_number"]]
    items: list[PreparedItem] = []
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
            PreparedItem(
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
    return Prepared(parsed.number, parsed.offset, key, values, data.authors, call_numbers, items)


# --- reading, in this process or in a child ---------------------------------------------

_Event = Prepared | ImportProblem
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


def batches(
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


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()
