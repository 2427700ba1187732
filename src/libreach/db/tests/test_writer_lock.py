"""The SQLite backend's writers' lock, driven directly on a temporary SQLite file (not the
test database): every write takes a turn, with the database timeout, readers never queue,
a stale reader upgrades safely, forks and file modes (see libreach.db.sqlite)."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import update_last_login
from django.db import OperationalError, connections, transaction
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction

from libreach.accounts.models import User
from libreach.core.models import PeriodicJob
from libreach.db.sqlite.base import is_write
from libreach.db.tests import processes

A = "writer_lock_test"
BASE = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@dataclass
class Db:
    path: Path

    @property
    def lock_path(self) -> str:
        return f"{self.path}-writers.lock"

    def raw(self, sql: str, params=()):
        with connections[A].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    def counter(self, name: str) -> int:
        return self.raw("SELECT n FROM counter WHERE name = %s", [name])[0][0]


@pytest.fixture
def make_db(tmp_path, django_db_blocker):
    """A SQLite file with the tables the tests write, as database alias A."""

    def make(
        *, timeout: float = 5.0, busy_timeout: float | None = None, directory: Path = tmp_path
    ) -> Db:
        path = directory / "lock.sqlite3"
        options = processes.options(timeout)
        if busy_timeout is not None:
            options["init_command"] += f"PRAGMA busy_timeout={int(busy_timeout * 1000)};"
        configured = connections.configure_settings(
            {
                "default": {"ENGINE": "django.db.backends.dummy"},
                A: {"ENGINE": "libreach.db.sqlite", "NAME": str(path), "OPTIONS": options},
            }
        )
        connections.settings[A] = configured[A]
        with connections[A].schema_editor() as editor:
            for model in (PeriodicJob, User, DBTaskResult):
                editor.create_model(model)
            editor.execute("CREATE TABLE counter (name TEXT PRIMARY KEY, n INTEGER NOT NULL)")
            editor.execute(
                "INSERT INTO counter VALUES ('raw', 0), ('visits', 0), ('tasks', 0), ('held', 0)"
            )
        PeriodicJob.objects.using(A).create(name="shared", last_enqueued_at=BASE)
        return Db(path)

    with django_db_blocker.unblock():
        yield make
        connections[A].close()
    del connections[A]
    connections.settings.pop(A, None)


def in_thread(fn, *args):
    """Run fn in a thread with its own connections; returns (thread, outcome dict)."""
    outcome = {}

    def run():
        started = time.monotonic()
        try:
            outcome["value"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 - the test judges it
            outcome["error"] = e
        finally:
            outcome["took"] = time.monotonic() - started
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def finish(thread, outcome, *, within: float) -> dict:
    thread.join(within)
    assert not thread.is_alive(), f"still waiting after {within} s"
    return outcome


def lock_is_free(path: str) -> bool:
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o660)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # releases it if taken


@pytest.fixture
def holder():
    """Another process that holds the writers' lock until the test lets go."""
    started = []

    def start(db: Db, *, with_sqlite: bool = False) -> subprocess.Popen:
        args = [sys.executable, "-m", "libreach.db.tests.processes", "holder", str(db.path)]
        process = subprocess.Popen(
            [*args, "--sqlite"] if with_sqlite else args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout.readline().strip() == "held"
        return process

    yield start
    for process in started:
        process.stdin.close()
        process.wait(10)


def let_go(process: subprocess.Popen) -> None:
    process.stdin.close()
    process.wait(10)


# Every kind of write, each from a fresh thread and connection.


def save():
    PeriodicJob.objects.using(A).create(name="saved")


def login():
    update_last_login(None, User.objects.using(A).get(username="reader"))


def queryset_update():
    PeriodicJob.objects.using(A).filter(name="shared").update(last_enqueued_at=BASE)


def queryset_delete():
    PeriodicJob.objects.using(A).filter(name="shared").delete()


def raw_update():
    with connections[A].cursor() as cursor:
        cursor.execute("UPDATE counter SET n = n + 1 WHERE name = 'raw'")


def read_then_lock_then_write():
    with transaction.atomic(using=A):
        list(PeriodicJob.objects.using(A).all())
        job = PeriodicJob.objects.using(A).select_for_update().get(name="shared")
        job.save()


def task_claim():
    # As django-tasks-db's worker claims a task (BEGIN EXCLUSIVE, then select_for_update).
    with exclusive_transaction(A):
        task = DBTaskResult.objects.using(A).ready().get_locked()
        task.claim("test-worker")


def task_result():
    DBTaskResult.objects.using(A).get().set_successful(1)


WRITES = [
    save,
    login,
    queryset_update,
    queryset_delete,
    raw_update,
    read_then_lock_then_write,
    task_claim,
]


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ('SELECT "id" FROM "t"', False),
        ("  select 1", False),
        ("/* a note */ -- and another\nSELECT 1", False),
        ("EXPLAIN QUERY PLAN SELECT 1", False),
        ("PRAGMA foreign_key_check", False),
        ('SAVEPOINT "s1"', False),
        ('INSERT INTO "t" VALUES (1) RETURNING "id"', True),
        ("update t set n = 1", True),
        ("WITH x AS (SELECT 1) DELETE FROM t", True),
        ("CREATE TABLE t (id int)", True),
        ("(SELECT 1)", True),  # not recognised: a turn costs waiting, never safety
    ],
)
def test_what_counts_as_a_write(sql, writes):
    assert is_write(sql) is writes


def test_many_threads_write_at_once_and_all_writes_are_done(make_db):
    # SQLite's busy handler is off: a write that met another one inside SQLite rather
    # than in the lock's queue would fail at once with "database is locked".
    db = make_db(timeout=20, busy_timeout=0)
    threads, rounds = 12, 8

    def writer(number: int):
        for round_ in range(rounds):
            name = f"job-{number}-{round_}"
            PeriodicJob.objects.using(A).create(name=name)  # INSERT … RETURNING, autocommit
            PeriodicJob.objects.using(A).filter(name=name).update(last_enqueued_at=BASE)
            raw_update()
            with transaction.atomic(using=A):  # read, then lock, then write what was read
                job = PeriodicJob.objects.using(A).select_for_update().get(name="shared")
                job.last_enqueued_at += dt.timedelta(microseconds=1)
                job.save(update_fields=["last_enqueued_at"])
            if round_ % 2:
                PeriodicJob.objects.using(A).filter(name=name).delete()

    running = [in_thread(writer, n) for n in range(threads)]
    for thread, outcome in running:
        assert "error" not in finish(thread, outcome, within=60), outcome.get("error")

    assert db.counter("raw") == threads * rounds
    shared = PeriodicJob.objects.using(A).get(name="shared")
    assert shared.last_enqueued_at == BASE + dt.timedelta(microseconds=threads * rounds)
    assert PeriodicJob.objects.using(A).count() == 1 + threads * rounds // 2
    assert lock_is_free(db.lock_path)


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_a_write_is_refused_clearly_within_the_timeout_while_another_process_holds_the_lock(
    make_db, holder, write
):
    db = make_db(timeout=0.5)
    User.objects.using(A).create(username="reader")
    DBTaskResult.objects.using(A).create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="libreach.db.tests.tasks.count",
        backend_name="default",
        run_after=get_date_max(),
    )
    holder(db)

    outcome = finish(*in_thread(write), within=3)

    error = outcome.get("error")
    assert isinstance(error, OperationalError), f"{write.__name__} was not refused: {outcome}"
    assert "database is locked" in str(error)
    assert "writers' lock" in str(error) and db.lock_path in str(error)
    assert "waited 0.5" in str(error)
    assert 0.45 <= outcome["took"] < 1.5


def test_marking_a_task_result_is_refused_clearly_after_its_retries(make_db, holder):
    db = make_db(timeout=0.3)
    DBTaskResult.objects.using(A).create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="x.y",
        backend_name="default",
        run_after=BASE,
    )
    holder(db)
    outcome = finish(*in_thread(task_result), within=5)
    assert "writers' lock" in str(outcome.get("error"))
    assert 0.9 <= outcome["took"] < 2.5  # django-tasks-db tries three times


def test_the_turn_is_taken_again_once_the_holder_lets_go(make_db, holder):
    db = make_db(timeout=0.3)
    process = holder(db)
    for _ in range(3):
        with pytest.raises(OperationalError, match="writers' lock"):
            raw_update()
    # The waits that gave up left one queued flock for the connection, not three.
    assert sum(t.name.endswith(db.lock_path) for t in threading.enumerate()) <= 1

    let_go(process)
    deadline = time.monotonic() + 1
    while not lock_is_free(db.lock_path):  # a late grant nobody wants is passed on at once
        assert time.monotonic() < deadline
        time.sleep(0.01)
    raw_update()
    assert db.counter("raw") == 1


def test_read_only_transactions_proceed_while_a_writer_holds_the_lock(make_db, holder):
    db = make_db(timeout=5)
    holder(db, with_sqlite=True)  # mid-transaction: the flock and SQLite's write lock

    def read():
        with transaction.atomic(using=A):
            jobs = list(PeriodicJob.objects.using(A).values_list("name", flat=True))
            with transaction.atomic(using=A):  # a savepoint writes nothing either
                held = Db(db.path).counter("held")
        return jobs, held, Db(db.path).counter("raw")  # and autocommit reads

    outcome = finish(*in_thread(read), within=2)

    assert outcome.get("value") == (["shared"], 0, 0), outcome
    assert outcome["took"] < 1


def test_a_transaction_that_read_before_another_writer_committed_still_writes(make_db):
    # Its snapshot is stale when it takes its turn: SQLite would refuse it the write lock
    # (SQLITE_BUSY_SNAPSHOT). It begins again at the turn, savepoints and all.
    db = make_db(timeout=5)
    read, committed = threading.Event(), threading.Event()

    def stale_writer():
        with transaction.atomic(using=A):
            before = db.counter("raw")
            read.set()
            assert committed.wait(2), "the other writer could not commit"
            with transaction.atomic(using=A):  # a savepoint before the first write
                raw_update()
                try:
                    with transaction.atomic(using=A):
                        db.raw("UPDATE counter SET n = n + 100 WHERE name = 'raw'")
                        raise RuntimeError("undo the +100")
                except RuntimeError:
                    pass
            job = PeriodicJob.objects.using(A).select_for_update().get(name="shared")
            return before, db.counter("raw"), job.last_enqueued_at

    thread, outcome = in_thread(stale_writer)
    assert read.wait(2)
    raw_update()  # commits after the other transaction's first read
    PeriodicJob.objects.using(A).filter(name="shared").update(
        last_enqueued_at=BASE + dt.timedelta(days=1)
    )
    committed.set()
    finish(thread, outcome, within=5)

    assert outcome.get("value") == (0, 2, BASE + dt.timedelta(days=1)), outcome
    assert db.counter("raw") == 2


def test_an_unfinished_read_pinning_a_stale_snapshot_is_refused_clearly(make_db):
    db = make_db(timeout=5)
    PeriodicJob.objects.using(A).bulk_create(PeriodicJob(name=f"j{i}") for i in range(50))
    read, committed = threading.Event(), threading.Event()

    def write_while_reading():
        with transaction.atomic(using=A), connections[A].cursor() as cursor:
            cursor.execute("SELECT name FROM core_periodicjob")
            cursor.fetchone()  # the rest not read yet
            read.set()
            committed.wait(2)
            raw_update()

    thread, outcome = in_thread(write_while_reading)
    assert read.wait(2)
    raw_update()
    committed.set()
    finish(thread, outcome, within=5)

    assert "unfinished iterator" in str(outcome.get("error")), outcome
    assert db.counter("raw") == 1  # its own write was not made; the transaction rolled back
    assert lock_is_free(db.lock_path)


def test_an_autocommit_insert_returning_rows_ends_before_its_turn_passes_on(make_db):
    db = make_db(timeout=5)
    import sqlite3

    with connections[A].cursor() as cursor:
        cursor.execute("INSERT INTO counter VALUES ('new', 7) RETURNING n")
        # The rows are not read yet, but the statement has committed: SQLite's write
        # lock is free along with the turn.
        assert lock_is_free(db.lock_path)
        other = sqlite3.connect(db.path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()
        assert cursor.fetchone() == (7,)
        assert cursor.fetchone() is None


class Lateness:
    """How late this machine wakes a sleeper, at worst, while it runs: on a loaded machine
    (two test runs on two shared cores) a process can wait its turn on a core for longer
    than any fixed slack, which says nothing about the lock."""

    def __init__(self, tick: float = 0.01):
        self.tick, self.worst = tick, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            before = time.monotonic()
            time.sleep(self.tick)
            self.worst = max(self.worst, time.monotonic() - before - self.tick)

    def __enter__(self) -> Lateness:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def test_two_processes_writing_at_once_each_write_done_or_refused_within_the_timeout(make_db):
    # A web process and a worker, while this process holds the lock for longer than the
    # timeout in the middle of their run.
    db = make_db(timeout=0.4)
    timeout, seconds = 0.4, 2.2
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    web, worker = (
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "libreach.db.tests.processes",
                role,
                str(db.path),
                str(timeout),
                str(span),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for role, span in (("web", seconds), ("worker", seconds + 1.0))
    )
    with Lateness() as late:
        assert web.stdout.readline().strip() == "ready"
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        fd = os.open(db.lock_path, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        time.sleep(1.0)
        os.close(fd)
        web_log, worker_log = (json.loads(p.communicate(timeout=30)[0]) for p in (web, worker))

    # A write's own time, plus how late the machine was seen to wake a process meanwhile
    # (0 when idle): no write may wait beyond the timeout for its turn, however loaded.
    slack = 0.35 + late.worst
    for entry in web_log + worker_log:
        assert entry["outcome"] == "done" or "writers' lock" in entry["outcome"], entry
    done = [e for e in web_log if e["outcome"] == "done"]
    refused = [e for e in web_log if e["outcome"] != "done"]
    assert done and refused  # the web process wrote, and was refused while we held the lock
    assert all(e["took"] < timeout + slack for e in done), (late.worst, done)
    assert all(timeout * 0.9 <= e["took"] < timeout + slack for e in refused), (late.worst, refused)

    # Nothing half-done: what the web process was told was done, is.
    assert DBTaskResult.objects.using(A).count() == sum(e["kind"] == "enqueue" for e in done)
    assert db.counter("visits") == sum(e["kind"] == "visit" for e in done)
    # The worker ran the queue dry. A task whose own write was refused failed, saying so;
    # one it was refused marking (at most one per refused round) is left running.
    for failed in DBTaskResult.objects.using(A).filter(status="FAILED"):
        assert "writers' lock" in failed.traceback
    unfinished = DBTaskResult.objects.using(A).exclude(status__in=["SUCCESSFUL", "FAILED"]).count()
    assert unfinished <= sum(e["outcome"] != "done" for e in worker_log)
    assert DBTaskResult.objects.using(A).filter(status="SUCCESSFUL").count() <= db.counter("tasks")


def test_a_forked_child_does_not_keep_the_parents_lock(make_db):
    db = make_db(timeout=5)
    child_may_exit = os.pipe()
    report = os.pipe()
    with transaction.atomic(using=A):
        raw_update()  # the parent holds its turn
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                os.close(child_may_exit[1])
                held_by_parent = not lock_is_free(db.lock_path)
                try:  # the inherited connection's transaction is the parent's
                    raw_update()
                    refused = False
                except OperationalError as e:
                    refused = "forked" in str(e)
                os.write(report[1], json.dumps([held_by_parent, refused]).encode())
                os.read(child_may_exit[0], 1)  # stay alive until the parent has looked
                code = 0
            finally:
                os._exit(code)
        os.close(child_may_exit[0])
        child_saw = json.loads(os.read(report[0], 100))
    try:
        # The parent committed and let go; the child, still running, holds nothing.
        free_while_child_lives = lock_is_free(db.lock_path)
    finally:
        os.write(child_may_exit[1], b"x")
        _, status = os.waitpid(pid, 0)
    assert free_while_child_lives
    assert child_saw == [True, True]  # the lock was the parent's; its transaction too
    assert os.waitstatus_to_exitcode(status) == 0
    assert db.counter("raw") == 1


def test_the_lock_file_has_the_databases_permissions_so_its_group_can_take_it(make_db):
    directory = Path(tempfile.mkdtemp(prefix="libreach-lock-"))
    directory.chmod(0o755)
    old_umask = os.umask(0o022)
    try:
        # A database shared by the group that runs the worker.
        path = directory / "lock.sqlite3"
        path.touch()
        path.chmod(0o660)
        gid = 4242
        if os.geteuid() == 0:
            os.chown(path, 0, gid)
        db = make_db(directory=directory)
        raw_update()
        mode = os.stat(db.lock_path).st_mode & 0o777
        assert mode == 0o660, oct(mode)
        if os.geteuid() != 0:
            return
        assert os.stat(db.lock_path).st_gid == gid
        pid = os.fork()
        if pid == 0:  # a worker run as another user of the group
            code = 1
            try:
                os.setgroups([gid])
                os.setgid(gid)
                os.setuid(65534)
                fd = os.open(db.lock_path, os.O_RDONLY)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        os.umask(old_umask)
        connections[A].close()
        for child in directory.iterdir():
            child.unlink()
        directory.rmdir()
