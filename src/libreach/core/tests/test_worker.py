"""The worker: periodic jobs enqueued once per interval, tasks run from the database, and
notices sent through the task queue (the outbox)."""

import datetime as dt
import subprocess
import threading

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from libreach.catalog import services as catalog_services
from libreach.catalog.models import Item, ItemStatus
from libreach.core import periodic, worker
from libreach.core.models import PeriodicJob
from libreach.core.notify import queue_notice

DATABASE_TASKS = override_settings(
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
)
# The worker opens and checks connections as in production: no test-wide transaction.
pytestmark = [pytest.mark.django_db(transaction=True)]


def periodic_tasks():
    return DBTaskResult.objects.filter(task_path="libreach.core.periodic.run_periodic_job")


def worker_once() -> str:
    from io import StringIO

    out = StringIO()
    call_command("worker", "--once", stdout=out)
    return out.getvalue()


@pytest.fixture
def reader(consortium):
    """The consortium's reader, with an address to send notices to."""
    reader = consortium.reader
    reader.email = "zhang@example.edu.cn"
    reader.save()
    return reader


def queue_a_notice(reader, count: int = 1) -> None:
    with transaction.atomic():
        for _ in range(count):
            queue_notice(
                user=reader, template="loans_extended", context={"library": "X", "loans": []}
            )


def dead_worker_id() -> str:
    """The id of a worker whose process is gone (named before it is reaped)."""
    dead = subprocess.Popen(["true"])
    claimed_by = worker.new_worker_id(dead.pid)
    dead.wait()
    return claimed_by


@DATABASE_TASKS
def test_running_twice_enqueues_each_job_once_per_interval():
    names = [job.name for job in periodic.jobs()]
    assert {"release_quarantined", "apply_closures"} <= set(names)

    out = worker_once()
    assert f"Enqueued {len(names)} periodic job(s)" in out
    assert periodic_tasks().count() == len(names)
    assert set(periodic_tasks().values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert "Enqueued 0 periodic job(s); ran 0 task(s)." in worker_once()
    assert periodic_tasks().count() == len(names)

    # Once its interval has passed a job is due again: the 5-minute one, not the 10.
    later = timezone.now() + dt.timedelta(minutes=6)
    due = periodic.enqueue_due(now=later)
    assert "release_quarantined" in due and "apply_closures" not in due
    assert periodic.enqueue_due(now=later) == []
    assert PeriodicJob.objects.get(name="release_quarantined").last_enqueued_at == later


@DATABASE_TASKS
def test_quarantine_is_released_by_the_worker(consortium):
    record = catalog_services.create_record(
        library=consortium.lib,
        title="呐喊",
        items=[catalog_services.ItemInput(barcode=b) for b in ("Q1", "Q2")],
    )
    now = timezone.now()
    Item.objects.filter(record=record, barcode="Q1").update(
        status=ItemStatus.QUARANTINED, quarantine_until=now - dt.timedelta(minutes=1)
    )
    Item.objects.filter(record=record, barcode="Q2").update(
        status=ItemStatus.QUARANTINED, quarantine_until=now + dt.timedelta(hours=1)
    )
    worker_once()
    statuses = dict(Item.objects.filter(record=record).values_list("barcode", "status"))
    assert statuses == {"Q1": "available", "Q2": "quarantined"}


@DATABASE_TASKS
def test_a_notice_waits_in_the_outbox_until_the_worker_sends_it(reader):
    context = {"library": "北京大学图书馆", "loans": []}
    with transaction.atomic():
        queue_notice(user=reader, template="loans_extended", context=context)
        assert DBTaskResult.objects.filter(task_path__endswith="send_notice_task").count() == 1
    # A rolled-back change leaves no notice behind.
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_notice(user=reader, template="loans_extended", context=context)
        raise RuntimeError("refused")
    assert DBTaskResult.objects.filter(task_path__endswith="send_notice_task").count() == 1
    assert mail.outbox == []

    worker_once()
    assert [m.to for m in mail.outbox] == [["zhang@example.edu.cn"]]
    assert "北京大学图书馆" in mail.outbox[0].subject
    worker_once()
    assert len(mail.outbox) == 1


def test_immediate_backend_sends_on_commit(reader):
    with transaction.atomic():
        queue_notice(user=reader, template="loans_extended", context={"library": "X", "loans": []})
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    assert not DBTaskResult.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_a_job_claimed_by_another_worker_is_skipped():
    periodic.enqueue_due()  # creates the rows and stamps them
    PeriodicJob.objects.update(last_enqueued_at=None)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            PeriodicJob.objects.select_for_update().get(name="apply_closures")
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        enqueued = periodic.enqueue_due()
    finally:
        release.set()
        thread.join()
    assert "apply_closures" not in enqueued and "release_quarantined" in enqueued


def test_register_refuses_a_non_positive_interval():
    with pytest.raises(ValueError):
        periodic.register("never", every=dt.timedelta(0), func_path="builtins.print")
    assert periodic.job("never") is None


def notices():
    return DBTaskResult.objects.filter(task_path__endswith="send_notice_task")


def _claim_as(task: DBTaskResult, claimed_by: str, started_at=None) -> None:
    task.claim(claimed_by)  # what django-tasks-db does before running a task
    if started_at is not None:
        DBTaskResult.objects.filter(pk=task.pk).update(started_at=started_at)


@DATABASE_TASKS
def test_a_notice_whose_worker_was_killed_is_sent_by_the_next(reader):
    queue_a_notice(reader)
    # A worker claimed it and was killed before sending it: its process is gone.
    claimed_by = dead_worker_id()
    notice = notices().get()
    _claim_as(notice, claimed_by)

    worker_once()
    assert [m.to for m in mail.outbox] == [["zhang@example.edu.cn"]]
    assert notices().get().status == "SUCCESSFUL"
    worker_once()
    assert len(mail.outbox) == 1


@DATABASE_TASKS
def test_a_task_is_left_to_a_live_worker_and_to_another_machine_until_it_is_overdue(reader):
    queue_a_notice(reader, 2)
    alive, elsewhere = notices().order_by("enqueued_at", "id")
    _claim_as(alive, worker.new_worker_id())  # this very process: alive
    now = timezone.now()
    _claim_as(elsewhere, "another-host:4242:1234:abcdefgh", started_at=now)

    assert worker.requeue_orphans(now=now + worker.ORPHAN_AFTER - dt.timedelta(seconds=1)) == 0
    worker_once()
    assert mail.outbox == []
    assert worker.requeue_orphans(now=now + worker.ORPHAN_AFTER + dt.timedelta(seconds=1)) == 1
    assert DBTaskResult.objects.get(pk=elsewhere.pk).status == "READY"
    assert DBTaskResult.objects.get(pk=alive.pk).status == "RUNNING"


class Killed(BaseException):
    """SIGKILL, as far as the code after it can tell: nothing more runs."""


def _die(*args, **kwargs):
    raise Killed


@DATABASE_TASKS
def test_a_notice_sent_is_recorded_with_the_sending_not_after_it(reader, monkeypatch):
    """The worker used to record a task done in a transaction of its own after the task
    returned, waiting for the write lock in between: killed there, the notice had gone
    out and its task stayed RUNNING, to be sent again once requeued (bench/crash.py saw
    a task stranded so)."""
    queue_a_notice(reader)
    claimed_by = dead_worker_id()  # the worker below, as it will be: gone
    # The worker dies as the task returns, before it records anything.
    monkeypatch.setattr(DBTaskResult, "set_successful", _die)
    monkeypatch.setattr(DBTaskResult, "set_failed", _die)
    with pytest.raises(Killed):
        worker.run_once(worker_id=claimed_by)
    monkeypatch.undo()
    assert len(mail.outbox) == 1
    assert notices().get().status == "SUCCESSFUL"

    worker_once()  # the next worker finds nothing to send again
    assert len(mail.outbox) == 1


@DATABASE_TASKS
def test_a_notice_sent_again_after_a_kill_is_the_same_message(reader, monkeypatch):
    """Killed after handing the message over and before the commit, the worker leaves the
    task to be sent again: the copy carries the same Message-ID, so mail systems drop it."""
    queue_a_notice(reader)
    claimed_by = dead_worker_id()
    send = EmailMessage.send

    def send_and_die(message, *args, **kwargs):
        send(message, *args, **kwargs)
        raise Killed

    monkeypatch.setattr(EmailMessage, "send", send_and_die)
    monkeypatch.setattr(DBTaskResult, "set_failed", _die)
    with pytest.raises(Killed):
        worker.run_once(worker_id=claimed_by)
    monkeypatch.undo()
    assert notices().get().status == "RUNNING"

    worker_once()
    first, again = mail.outbox
    assert first.message()["Message-ID"] == again.message()["Message-ID"]
    assert first.message()["Message-ID"].startswith(f"<notice.{notices().get().pk}@")
    assert notices().get().status == "SUCCESSFUL"
