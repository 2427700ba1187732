"""Periodic jobs: a registry, and the claim that enqueues each one once per interval.

An app registers its jobs when Django starts (in its AppConfig.ready):

    from libreach.core import periodic
    periodic.register("expire_holds", every=timedelta(minutes=15),
                      func_path="libreach.contactless.services.expire_holds")

`func_path` names a module-level function called with no arguments. `libreach worker`
calls `enqueue_due()` every round: a job whose interval has passed since it was last
enqueued is put on the task queue (run_periodic_job below) and its row stamped, in
one transaction holding that row's lock. On PostgreSQL a second worker skips the locked
row (skip_locked) and sees the new stamp next round; on SQLite the writers' lock, taken
at that select_for_update (libreach.db.sqlite), serialises the two workers. Either way
a job is enqueued once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from libreach.core.models import PeriodicJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    func_path: str


_REGISTRY: dict[str, Job] = {}


def register(name: str, every: dt.timedelta, func_path: str) -> Job:
    """Add (or replace, when an app is reloaded) the job `name`."""
    if every <= dt.timedelta(0):
        raise ValueError(f"Periodic job {name!r} needs a positive interval.")
    job = Job(name=name, every=every, func_path=func_path)
    _REGISTRY[name] = job
    return job


def jobs() -> list[Job]:
    return sorted(_REGISTRY.values(), key=lambda job: job.name)


def job(name: str) -> Job | None:
    return _REGISTRY.get(name)


def run_job(name: str):
    """Run a registered job now, in this process (the task body calls this)."""
    found = _REGISTRY.get(name)
    if found is None:
        # Enqueued by a newer (or older) release than this worker's: nothing to run.
        log.warning("periodic job %r is not registered here", name)
        return None
    return import_string(found.func_path)()


@task()
def run_periodic_job(name: str):
    result = run_job(name)
    # A task's return value is stored as JSON; keep counts, drop anything else.
    return result if isinstance(result, int | str | None) else None


def enqueue_due(*, now: dt.datetime | None = None) -> list[str]:
    """Enqueue every job whose interval has passed; return the names enqueued."""
    now = now or timezone.now()
    registered = jobs()
    # Rows appear once; an existing row is left as it is.
    PeriodicJob.objects.bulk_create(
        [PeriodicJob(name=j.name) for j in registered], ignore_conflicts=True
    )
    enqueued = []
    for j in registered:
        with transaction.atomic():
            row = (
                PeriodicJob.objects.select_for_update(skip_locked=True).filter(name=j.name).first()
            )
            if row is None:  # another worker holds it right now
                continue
            if row.last_enqueued_at is not None and now - row.last_enqueued_at < j.every:
                continue
            row.last_enqueued_at = now
            row.save(update_fields=["last_enqueued_at"])
            # On the database backend this inserts the task row in this same
            # transaction: stamped and enqueued together, or neither.
            run_periodic_job.enqueue(j.name)
        enqueued.append(j.name)
    return enqueued
