"""The writers' lock: an exclusive flock(2) on a file beside the database, taken with a
deadline, woken the moment the holder lets go, never inherited by a forked child.

One `WriterLock` per database connection, with its own open file: flock locks belong to
the open file, so the threads of one process exclude each other as processes do.

Waiting. An uncontended take is one non-blocking flock. A contended one hands a blocking
flock on a dup of the file to a helper thread and waits for it with the deadline: the
kernel grants the lock to the helper the instant the holder releases it (no polling, no
signals), and the grant counts for the connection, since a dup shares the open file. A
waiter that gives up leaves the helper queued; the connection's next take adopts that
wait instead of queueing twice, and a grant nobody wants any more is released at once.
So a connection has at most one helper thread, and none while uncontended.

Forking. A child shares its parent's open files, and with them the lock: a copy left open
in a child would keep the parent's lock held after the parent released it, and a take in
the child on its copy would "succeed" while the parent holds it. After a fork the child
closes its copies (never unlocking them, which would release the parent's lock) and opens
a file of its own when it next writes; a lock that was held at the fork is marked lost.
"""

from __future__ import annotations

import fcntl
import os
import stat
import threading
import time
import weakref

from django.db import OperationalError


class WriterLockTimeout(OperationalError):
    """No turn within the database timeout. "database is locked" as SQLite says it, so
    callers that retry on SQLite's own error (the task queue's worker) retry on this."""

    def __init__(self, path: str, waited: float):
        super().__init__(
            f"database is locked: waited {waited:.2f} s (the database timeout) for the "
            f"writers' lock {path}, which another writer held all that time"
        )
        self.path = path
        self.waited = waited


def open_lock_file(path: str, database: str) -> int:
    """Open the lock file, creating it with the database file's permissions and owner, as
    SQLite creates the -wal and -shm files: whoever may write the database (a worker run
    as another user of its group) may take its lock. Opened read-only, which is all
    flock needs, so the group needs no more than read access."""
    flags = os.O_RDONLY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o660)
    except FileExistsError:
        return os.open(path, flags)
    try:
        st = os.stat(database)
    except OSError:
        return fd  # no database file yet: 0o660 less the umask
    os.fchmod(fd, stat.S_IMODE(st.st_mode) & 0o666)
    if os.geteuid() == 0:
        os.fchown(fd, st.st_uid, st.st_gid)
    return fd


class _Wait:
    """A blocking flock in a helper thread, on its own dup of the connection's file."""

    __slots__ = ("fd", "done", "wanted", "granted", "error")

    def __init__(self, fd: int):
        self.fd: int | None = fd  # None once closed
        self.done = threading.Event()
        self.wanted = True
        self.granted = False
        self.error: OSError | None = None


class WriterLock:
    def __init__(self, path: str, database: str):
        self.path = path
        self.database = database
        self.held = False
        self.lost_at_fork = False  # held when this process forked from its parent
        self._fd: int | None = None
        self._wait: _Wait | None = None
        self._mutex = threading.Lock()
        with _registry_lock:
            _registry.add(self)

    def take(self, timeout: float) -> None:
        """Hold the lock, or raise WriterLockTimeout after `timeout` seconds."""
        started = time.monotonic()
        helper = None
        with self._mutex:
            if self.held:
                return
            if self._fd is None:
                self._fd = open_lock_file(self.path, self.database)
            wait = self._wait
            if wait is None:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    wait = self._wait = _Wait(os.dup(self._fd))
                    helper = threading.Thread(
                        target=self._wait_in_kernel,
                        args=(wait,),
                        name=f"libreach-writer-lock {self.path}",
                        daemon=True,
                    )
                else:
                    self.held = True
                    return
            wait.wanted = True
        if helper is not None:
            try:
                helper.start()
            except BaseException:
                with self._mutex:
                    self._wait = None
                    os.close(wait.fd)
                    wait.fd = None
                raise
        wait.done.wait(max(0.0, timeout - (time.monotonic() - started)))
        with self._mutex:
            if wait.granted:  # perhaps just after the deadline: it is ours all the same
                self._wait = None
                self.held = True
                return
            wait.wanted = False
            error = wait.error
        if error is not None:
            raise OperationalError(f"cannot lock the writers' lock {self.path}: {error}") from error
        raise WriterLockTimeout(self.path, time.monotonic() - started)

    def _wait_in_kernel(self, wait: _Wait) -> None:
        error = None
        try:
            fcntl.flock(wait.fd, fcntl.LOCK_EX)  # without the GIL; woken on release
        except OSError as e:
            error = e
        with self._mutex:
            if error is None and wait.wanted:
                wait.granted = True
            else:
                if error is None:  # its waiter gave up: pass the turn on at once
                    fcntl.flock(wait.fd, fcntl.LOCK_UN)
                wait.error = error
                if self._wait is wait:
                    self._wait = None
            os.close(wait.fd)  # the connection's own file keeps a granted lock
            wait.fd = None
            wait.done.set()

    def release(self) -> None:
        with self._mutex:
            if self.held:
                self.held = False
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._mutex:
            if self._wait is not None:
                self._wait.wanted = False  # its helper releases a late grant and closes its dup
            self.held = False
            self.lost_at_fork = False
            if self._fd is not None:
                os.close(self._fd)  # releases the lock if held
                self._fd = None

    def _forget_after_fork(self) -> None:
        # In the child: its copies of the parent's files go, unlocked by nobody (an unlock
        # here would release the parent's lock); the helper thread did not come along.
        self._mutex = threading.Lock()
        self.lost_at_fork = self.held
        self.held = False
        for fd in (self._fd, self._wait.fd if self._wait is not None else None):
            if fd is not None:
                os.close(fd)
        self._fd = None
        self._wait = None


_registry: weakref.WeakSet[WriterLock] = weakref.WeakSet()
_registry_lock = threading.Lock()


_forking: list[WriterLock] = []


def _before_fork() -> None:
    # Every lock's state is consistent at the fork: no helper is half-way through closing.
    _registry_lock.acquire()
    _forking[:] = list(_registry)
    for lock in _forking:
        lock._mutex.acquire()


def _after_fork_in_parent() -> None:
    for lock in _forking:
        lock._mutex.release()
    _forking.clear()
    _registry_lock.release()


def _after_fork_in_child() -> None:
    global _registry_lock
    for lock in _forking:
        lock._forget_after_fork()
    _forking.clear()
    _registry_lock = threading.Lock()


os.register_at_fork(
    before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child
)
