"""Importing a MARC file into one library's catalogue (`libreach import-marc`).

The file is read as a stream and written in batches, one transaction each. A record is
imported with all its items or not at all: when a batch fails in the database, it is
rolled back and written again one record per transaction, so one bad record costs only
itself. Re-importing updates: records are matched by their key, items by barcode.

catalog.marc_reader parses and prepares the records (in a forked child for large
files); catalog.marc_writer writes each batch in SQL.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from libreach.catalog.marc import FORMATS
from libreach.catalog.marc_reader import (
    BACKGROUND_MIN_BYTES,
    ImportProblem,
    Key,
    Prepared,
    batches,
    can_fork,
)
from libreach.catalog.marc_writer import Written, bulk_pragmas, write_batch
from libreach.catalog.search import optimize_index
from libreach.consortium.models import Library
from libreach.core.errors import BadRequest

DEFAULT_BATCH = 1000
MAX_KEPT_PROBLEMS = 1000
# After writing this many records the search index is compacted (see optimize_index).
OPTIMIZE_AFTER = 5000


@dataclass
class ImportResult(Written):
    read: int = 0
    skipped: int = 0
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
            _("Unknown MARC format %(format)s: use one of %(formats)s."),
            code="bad_format",
            format=repr(format),
            formats=", ".join(FORMATS),
        )
    if batch_size < 1:
        raise BadRequest(_("The batch size must be at least 1."), code="bad_batch_size")
    path = Path(path)
    with path.open("rb") as stream:  # fail here, not in the reader, if it cannot be read
        size = os.fstat(stream.fileno()).st_size
    if background is None:
        background = size >= BACKGROUND_MIN_BYTES and can_fork()
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

    batch: list[Prepared] = []
    keys: set[Key] = set()

    def flush() -> None:
        if batch:
            _write(library, batch, result, report)
            batch.clear()
            keys.clear()

    with bulk_pragmas():
        for events, done in batches(path, format, library.code, batch_size, background):
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
    batch: list[Prepared],
    result: ImportResult,
    report: Callable[[ImportProblem], None],
) -> None:
    try:
        with transaction.atomic():
            outcomes = [write_batch(library, batch)]
    except (IntegrityError, DataError):
        # Something in the batch broke a constraint (e.g. a parallel import took a
        # key): write it again one record per transaction, so only that record is lost.
        outcomes = []
        for prepared in batch:
            try:
                with transaction.atomic():
                    outcomes.append(write_batch(library, [prepared]))
            except (IntegrityError, DataError) as exc:
                reason = f"the database refused it: {str(exc).strip().splitlines()[0]}"
                report(ImportProblem(prepared.number, prepared.offset, reason))
    for out in outcomes:
        result.add(out)
        for prepared, reason in out.refused:
            report(ImportProblem(prepared.number, prepared.offset, reason))
