"""The background worker's loop: enqueue the periodic jobs that are due, then run every
pending task, then wait. `libreach worker` runs it in the foreground; `libreach demo`
in a thread beside the web server.

Any number of workers may run against one database: django-tasks-db claims each task
row under a lock, and core.periodic claims each periodic job's row the same way.

A worker killed while running a task (SIGKILL, out of memory, power cut) leaves the
task RUNNING for ever: django-tasks-db never looks at it again (its issue #46), so a
notice claimed that way was never sent (bench/crash.py found them). A worker's id names
its machine and process, and each round puts back in the queue the tasks whose worker is
gone: at once when it ran on this machine, after ORPHAN_AFTER when it ran on another
(whose processes we cannot see). A task may so run twice when its worker died after the
work and before recording it: tasks must bear that (a notice is then sent again).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from libreach.core import periodic

log = logging.getLogger(__name__)

# A task claimed on another machine is taken to be lost after this long (our longest
# task, the link patrol, takes minutes).
ORPHAN_AFTER = dt.timedelta(hours=1)


def uses_database_backend() -> bool:
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def _started(pid: int) -> str | None:
    """When the process started (clock ticks since boot), or None where /proc cannot
    tell: with its pid it names one process, even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def new_worker_id(pid: int | None = None) -> str:
    """`host:pid:start:random`, at most 64 characters as django-tasks-db requires."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()[:24]}:{pid}:{_started(pid) or ''}:{get_random_string(8)}"


def _is_gone(claimed_by: str) -> bool | None:
    """Whether the worker that claimed a task has died; None when it ran elsewhere (or
    before ids named processes)."""
    host, _, rest = claimed_by.partition(":")
    pid, _, rest = rest.partition(":")
    started = rest.partition(":")[0]
    if host != socket.gethostname()[:24] or not pid.isdigit() or not started:
        return None
    return _started(int(pid)) != started


def requeue_orphans(*, now: dt.datetime | None = None) -> int:
    """Put back in the queue the running tasks whose worker died; returns how many."""
    now = now or timezone.now()
    requeued = 0
    for task in DBTaskResult.objects.filter(status="RUNNING").only(
        "id", "started_at", "worker_ids"
    ):
        gone = _is_gone(task.worker_ids[-1]) if task.worker_ids else None
        if gone is False or (gone is None and task.started_at > now - ORPHAN_AFTER):
            continue
        with transaction.atomic():
            # Only if no other worker requeued and claimed it meanwhile.
            done = DBTaskResult.objects.filter(
                pk=task.pk, status="RUNNING", started_at=task.started_at
            ).update(status="READY")
        if done:
            requeued += 1
            log.warning("task %s requeued: its worker %s died", task.pk, task.worker_ids[-1:])
    return requeued


def run_once(*, worker_id: str | None = None) -> tuple[list[str], int]:
    """One round: enqueue due periodic jobs, run every ready task. Returns the jobs
    enqueued and the number of tasks run (with the immediate backend the jobs ran as
    they were enqueued, and no task waits)."""
    close_old_connections()
    enqueued = periodic.enqueue_due()
    ran = 0
    if uses_database_backend():
        requeue_orphans()
        worker = Worker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=0,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id or new_worker_id(),
            excluded_queue_names=[],
        )
        worker.run()
        ran = worker._run_tasks
    return enqueued, ran


def run_forever(stop: threading.Event, *, interval: float = 5.0) -> None:
    """Rounds until `stop` is set. A failing round is logged and the next one tried:
    the worker must outlive a database restart."""
    worker_id = new_worker_id()
    try:
        while not stop.is_set():
            try:
                run_once(worker_id=worker_id)
            except Exception:
                log.exception("worker round failed; trying again in %s s", interval)
            stop.wait(interval)
    finally:
        connection.close()


def start_thread(*, interval: float = 5.0) -> tuple[threading.Thread, threading.Event]:
    """A daemon thread running the worker (the demo's): it dies with the process."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(stop,), kwargs={"interval": interval}, name="libreach-worker"
    )
    thread.daemon = True
    thread.start()
    return thread, stop
