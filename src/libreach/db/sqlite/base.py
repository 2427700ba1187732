"""Django's SQLite backend, with every writer taking its turn on a lock that wakes it.

SQLite has one write lock per database. A writer that finds it taken is put to sleep by
SQLite's busy handler for 1, 2, 5 … up to 100 ms between tries, so under load the lock
often sits free while the waiters sleep, and a writer that has waited long sleeps longest
and keeps losing to new arrivals: twenty web threads saw p95 latencies of seconds
(BENCHMARKS.md, contactless). Here every write first takes an exclusive flock(2) on a
file beside the database (`<database>-writers.lock`, see writer_lock), in whatever
process or thread it runs; the kernel wakes a waiter the moment the holder lets go, so
the write lock is never idle while writers wait. SQLite's own locking still guards the
data (a write that reached it some other way meets SQLite's busy handler, as before);
this orders the writers of libreach's processes (web, workers, commands) before they
reach it.

Which writes take a turn:

- A write statement in autocommit (`save()` outside atomic(), `update_last_login`,
  `QuerySet.update()`, the task queue marking a result): the turn is held for that
  statement. A statement that returns rows (INSERT … RETURNING) has them read at once,
  since SQLite commits it only when its last row has been read.
- A transaction: it begins DEFERRED and takes its turn before its first write statement
  or its first `select_for_update()` query, and holds it until COMMIT or ROLLBACK. A
  transaction that only reads never takes a turn, so it does not queue behind writers.
  This is how `transaction_mode` "IMMEDIATE" (settings) is honoured: its purpose, that
  writers queue instead of failing with "database is locked" when they upgrade, holds,
  without BEGIN IMMEDIATE making every reader queue too. "EXCLUSIVE" (the task queue's
  claim sets it) takes the turn at BEGIN.
- A statement is a write unless it begins with SELECT, VALUES, EXPLAIN or PRAGMA (or is
  transaction control): anything unrecognised takes a turn, which costs waiting, never
  safety. (A PRAGMA that writes, which neither Django nor libreach sends, would meet
  SQLite's busy handler.)

Upgrading a reader. A transaction that has already read holds a snapshot; if another
writer committed since, SQLite refuses it the write lock for good (SQLITE_BUSY_SNAPSHOT,
no busy handler, no retry can help) because what it read is out of date. So on taking
its turn such a transaction ends its snapshot (COMMIT: it has written nothing), begins
again IMMEDIATE, which cannot be refused now that no other writer can commit, and
re-creates its open savepoints (empty ones: nothing was written before). From then on it
reads the latest data and nobody can change it before it commits. The reads before the
turn may have seen an older snapshot: PostgreSQL's READ COMMITTED, which libreach runs
in production and is written for, gives no more, and `select_for_update()` takes the
turn before it reads, so the rows a service locks are current on SQLite as they are on
PostgreSQL. (The one case left: a query of the transaction still being read, an
unfinished `.iterator()`, pins the old snapshot; if it is stale the write is refused
with an OperationalError saying so.)

Waiting has a deadline, the database timeout (OPTIONS["timeout"], Python's sqlite3
default of 5 s otherwise): a writer that gets no turn in time gets an OperationalError
"database is locked: waited … for the writers' lock …" rather than hanging (the task
queue's worker retries on that phrase as on SQLite's own). A contended wait is a blocking
flock in a helper thread, given up at the deadline (writer_lock says how): with 20 threads
taking 3 ms turns it kept pace with a plain blocking flock (about 300 turns/s, p95 wait
about 120 ms for both), where polling every millisecond left one waiter out for 2.5 s. An
uncontended turn is two flock calls, about 20 µs on an autocommit write.

A forked child (gunicorn --preload, multiprocessing) does not keep its parent's lock
(writer_lock), and a connection it inherited mid-write refuses to write or commit: the
transaction is the parent's. Closing that connection would roll the parent's transaction
back in the shared WAL index, so it is set aside unclosed.

Everything else is Django's backend: ENGINE "libreach.db.sqlite".
"""

from __future__ import annotations

import collections
import re
import sqlite3

from django.db import OperationalError
from django.db.backends.sqlite3 import base
from django.db.backends.sqlite3.operations import DatabaseOperations as SQLiteOperations

from libreach.db.sqlite.writer_lock import WriterLock

_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*([A-Za-z]*)", re.DOTALL)
_READS = frozenset({"SELECT", "VALUES", "EXPLAIN", "PRAGMA"})
_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})
# SQLite refuses a stale reader the write lock with this extended code.
SQLITE_BUSY_SNAPSHOT = 517
# Connections inherited mid-write from a parent process, kept open for good (see above).
_INHERITED: list[sqlite3.Connection] = []


def is_write(sql: str) -> bool:
    word = _FIRST_WORD.match(sql).group(1).upper()
    return word not in _READS and word not in _CONTROL


class DatabaseOperations(SQLiteOperations):
    # Our SQLCompiler sees select_for_update(), which Django's drops on SQLite.
    compiler_module = "libreach.db.sqlite.compiler"


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    _writer_lock: WriterLock | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._open_savepoints: list[str] = []

    def _takes_turns(self) -> bool:
        return not self.is_in_memory_db()

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=TurnTakingCursor)
        cursor.wrapper = self
        return cursor

    # The lock.

    @property
    def holds_write_turn(self) -> bool:
        return self._writer_lock is not None and self._writer_lock.held

    def _take_turn(self) -> None:
        if self._writer_lock is None:
            name = str(self.settings_dict["NAME"])
            self._writer_lock = WriterLock(f"{name}-writers.lock", name)
        self._writer_lock.take(float(self.settings_dict["OPTIONS"].get("timeout", 5.0)))

    def _release_turn(self) -> None:
        if self._writer_lock is not None:
            self._writer_lock.release()

    def _release_turn_if_done(self) -> None:
        if self.connection is None or not self.connection.in_transaction:
            self._release_turn()

    def _refuse_inherited_write(self) -> None:
        if self._writer_lock is not None and self._writer_lock.lost_at_fork:
            raise OperationalError(
                "this process was forked while its connection was writing: the parent's "
                "transaction cannot be continued or committed here; close the connection"
            )

    def take_write_turn(self) -> None:
        """Before the first write of a transaction (or autocommit statement batch)."""
        if self.holds_write_turn or not self._takes_turns():
            return
        if not self.connection.in_transaction:
            self._take_turn()
            return
        self._refuse_inherited_write()
        self._take_turn()
        try:
            self._renew_transaction()
        except BaseException:
            self._release_turn()
            raise

    def _renew_transaction(self) -> None:
        # Nothing is written yet: end the snapshot, begin again as a writer, savepoints too.
        conn = self.connection
        conn.execute("COMMIT")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            conn.execute("BEGIN")
            self._recreate_savepoints()
            if e.sqlite_errorcode == SQLITE_BUSY_SNAPSHOT:
                raise OperationalError(
                    "database is locked: this transaction is still reading a query "
                    "(an unfinished iterator) whose snapshot another writer has since "
                    "changed, so it cannot write; read the query to the end first"
                ) from e
            raise OperationalError(str(e)) from e
        self._recreate_savepoints()

    def _recreate_savepoints(self) -> None:
        for sid in self._open_savepoints:
            self.connection.execute(self.ops.savepoint_create_sql(sid))

    # Django's transaction hooks.

    def _start_transaction_under_autocommit(self):
        self._open_savepoints = []
        if not self._takes_turns():
            return super()._start_transaction_under_autocommit()
        if self.transaction_mode != "EXCLUSIVE":
            with self.wrap_database_errors:
                self.connection.execute("BEGIN DEFERRED")  # a turn before the first write
            return
        self._take_turn()
        try:
            with self.wrap_database_errors:
                self.connection.execute("BEGIN EXCLUSIVE")
        except BaseException:
            self._release_turn()
            raise

    def _savepoint(self, sid):
        super()._savepoint(sid)
        self._open_savepoints.append(sid)

    def _savepoint_rollback(self, sid):
        super()._savepoint_rollback(sid)
        if sid in self._open_savepoints:  # ROLLBACK TO keeps the savepoint itself
            del self._open_savepoints[self._open_savepoints.index(sid) + 1 :]

    def _savepoint_commit(self, sid):
        super()._savepoint_commit(sid)
        if sid in self._open_savepoints:
            del self._open_savepoints[self._open_savepoints.index(sid) :]

    def _commit(self):
        self._refuse_inherited_write()
        try:
            return super()._commit()
        finally:
            self._open_savepoints = []
            self._release_turn_if_done()

    def _rollback(self):
        if self._writer_lock is not None and self._writer_lock.lost_at_fork:
            return self._abandon_inherited_connection()
        try:
            return super()._rollback()
        finally:
            self._open_savepoints = []
            self._release_turn()

    def _close(self):
        if self._writer_lock is not None and self._writer_lock.lost_at_fork:
            return self._abandon_inherited_connection()
        try:
            return super()._close()
        finally:
            self._open_savepoints = []
            if self._writer_lock is not None:
                self._writer_lock.close()
                self._writer_lock = None

    def _abandon_inherited_connection(self) -> None:
        _INHERITED.append(self.connection)
        self.connection = None
        self._open_savepoints = []
        self._writer_lock.close()
        self._writer_lock = None


class TurnTakingCursor(base.SQLiteCursorWrapper):
    """Takes the connection's write turn before a write statement (see the module)."""

    wrapper: DatabaseWrapper
    _rows: collections.deque | None = None

    def execute(self, query, params=None):
        return self._run(super().execute, query, params)

    def executemany(self, query, param_list):
        return self._run(super().executemany, query, param_list)

    def _run(self, method, query, params):
        self._rows = None
        db = self.wrapper
        if db.holds_write_turn or not is_write(query) or not db._takes_turns():
            return method(query, params)
        in_transaction = self.connection.in_transaction
        db.take_write_turn()
        if in_transaction:
            return method(query, params)  # the turn lasts until COMMIT or ROLLBACK
        try:
            method(query, params)
            if self.description is not None:
                # RETURNING: SQLite commits the statement once its rows are read.
                self._rows = collections.deque(super().fetchall())
        finally:
            # Python's legacy implicit BEGIN (autocommit off) keeps the turn until COMMIT.
            db._release_turn_if_done()
        return self

    def fetchone(self):
        if self._rows is None:
            return super().fetchone()
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size=None):
        if self._rows is None:
            return super().fetchmany(self.arraysize if size is None else size)
        count = min(self.arraysize if size is None else size, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    def fetchall(self):
        if self._rows is None:
            return super().fetchall()
        rows, self._rows = list(self._rows), collections.deque()
        return rows

    def __iter__(self):
        return self

    def __next__(self):
        if self._rows is None:
            return super().__next__()
        if self._rows:
            return self._rows.popleft()
        raise StopIteration
