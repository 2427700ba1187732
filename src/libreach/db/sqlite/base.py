"""Django's SQLite backend, with writers taking turns on a lock that wakes them.

SQLite has one write lock per database. A writer that finds it taken is put to sleep by
SQLite's busy handler for 1, 2, 5 … up to 100 ms between tries, so under load the lock
often sits free while the waiters sleep, and a writer that has waited long sleeps longest
and keeps losing to new arrivals: twenty web threads saw p95 latencies of seconds
(BENCHMARKS.md, contactless). Here every write transaction first takes an exclusive
flock(2) on a file beside the database, in whatever process or thread it runs; the
kernel wakes a waiter the moment the holder lets go, so the write lock is never idle
while writers wait. SQLite's own locking still guards the data; this only orders the
writers of libreach's processes (web, workers, commands) before they reach it.

Everything else is Django's backend: ENGINE "libreach.db.sqlite".
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_lock_fd: int | None = None

    def _takes_turns(self) -> bool:
        return self.transaction_mode == "IMMEDIATE" and not self.is_in_memory_db()

    def _start_transaction_under_autocommit(self):
        if not self._takes_turns():
            return super()._start_transaction_under_autocommit()
        # One open file per connection: flock locks belong to the open file, so the
        # threads of one process exclude each other as other processes do.
        fd = os.open(f"{self.settings_dict['NAME']}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without holding the GIL
        except BaseException:
            os.close(fd)
            raise
        self._writer_lock_fd = fd
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _release_writer_lock(self) -> None:
        fd, self._writer_lock_fd = self._writer_lock_fd, None
        if fd is not None:
            os.close(fd)  # closing the file releases its lock

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer_lock()
