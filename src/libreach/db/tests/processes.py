"""The other processes of the write lock's tests, each on the test's SQLite file:

    python -m libreach.db.tests.processes holder DB [--sqlite]
        takes the writers' lock (and with --sqlite SQLite's write lock too, as a writer
        mid-transaction), prints "held", and keeps it until stdin closes;
    python -m libreach.db.tests.processes web DB TIMEOUT SECONDS
        a web process's writes for SECONDS: enqueues a task (an autocommit INSERT) and
        counts a visit in a transaction (select_for_update, then UPDATE);
    python -m libreach.db.tests.processes worker DB TIMEOUT SECONDS
        `libreach worker`'s loop: django-tasks-db claims each task (EXCLUSIVE), runs it
        (an autocommit UPDATE) and marks its result.

web and worker print "ready" once started, then one JSON line: each write with its
outcome ("done", or the error message), its start and its duration.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import sys
import time

import django
from django.conf import settings


def configure(path: str, timeout: float) -> None:
    settings.configure(
        INSTALLED_APPS=["django_tasks", "django_tasks_db"],
        DATABASES={
            "default": {
                "ENGINE": "libreach.db.sqlite",
                "NAME": path,
                "OPTIONS": options(timeout),
            }
        },
        TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
        USE_TZ=True,
    )
    django.setup()


def options(timeout: float) -> dict:
    # As settings.py has them, with the test's timeout.
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": timeout,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;"
            f"PRAGMA busy_timeout={int(timeout * 1000)};"
        ),
    }


def hold(path: str, with_sqlite: bool) -> None:
    fd = os.open(f"{path}-writers.lock", os.O_RDONLY | os.O_CREAT, 0o660)
    fcntl.flock(fd, fcntl.LOCK_EX)
    if with_sqlite:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE counter SET n = n + 1000 WHERE name = 'held'")
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin


def web(seconds: float) -> list[dict]:
    from django.db import connection, transaction

    from libreach.db.tests.tasks import count

    log = []

    def attempt(kind, fn):
        started = time.monotonic()
        try:
            fn()
            outcome = "done"
        except Exception as e:  # noqa: BLE001 - recorded for the test to judge
            outcome = f"{type(e).__module__}.{type(e).__name__}: {e}"
        log.append(
            {"kind": kind, "outcome": outcome, "at": started, "took": time.monotonic() - started}
        )

    def visit():
        with transaction.atomic(), connection.cursor() as cursor:
            # A read, then a write: the transaction takes its turn at the UPDATE.
            cursor.execute("SELECT n FROM counter WHERE name = 'visits'")
            cursor.fetchone()
            cursor.execute("UPDATE counter SET n = n + 1 WHERE name = 'visits'")

    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        attempt("enqueue", lambda: count.enqueue())
        attempt("visit", visit)
        time.sleep(0.005)
    return log


def worker(seconds: float) -> list[dict]:
    from django.db import close_old_connections
    from django_tasks_db.management.commands.db_worker import Worker

    log = []
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        worker = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        )
        try:
            worker.run()
            outcome = "done"
        except Exception as e:  # noqa: BLE001
            outcome = f"{type(e).__module__}.{type(e).__name__}: {e}"
            close_old_connections()
        log.append(
            {"kind": "round", "outcome": outcome, "at": started, "took": time.monotonic() - started}
        )
        time.sleep(0.005)
    return log


if __name__ == "__main__":
    role, path = sys.argv[1], sys.argv[2]
    if role == "holder":
        hold(path, with_sqlite="--sqlite" in sys.argv)
    else:
        configure(path, float(sys.argv[3]))
        print(json.dumps({"web": web, "worker": worker}[role](float(sys.argv[4]))), flush=True)
