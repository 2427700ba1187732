"""The background worker's loop: enqueue the periodic jobs that are due, then run every
pending task, then wait. `libreach worker` runs it in the foreground; `libreach demo`
in a thread beside the web server.

Any number of workers may run against one database: django-tasks-db claims each task
row under a lock, and core.periodic claims each periodic job's row the same way.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from libreach.core import periodic

log = logging.getLogger(__name__)


def uses_database_backend() -> bool:
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def run_once(*, worker_id: str | None = None) -> tuple[list[str], int]:
    """One round: enqueue due periodic jobs, run every ready task. Returns the jobs
    enqueued and the number of tasks run (with the immediate backend the jobs ran as
    they were enqueued, and no task waits)."""
    close_old_connections()
    enqueued = periodic.enqueue_due()
    ran = 0
    if uses_database_backend():
        worker = Worker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=0,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=[],
        )
        worker.run()
        ran = worker._run_tasks
    return enqueued, ran


def run_forever(stop: threading.Event, *, interval: float = 5.0) -> None:
    """Rounds until `stop` is set. A failing round is logged and the next one tried:
    the worker must outlive a database restart."""
    worker_id = get_random_string(32)
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
