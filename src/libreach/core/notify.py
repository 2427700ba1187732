"""Email notices to readers, in the reader's language (User.language).

A notice is a pair of templates, `notices/<name>.subject.txt` and `notices/<name>.txt`,
rendered with a JSON-like context under the reader's language. `queue_notice` is
called inside the service's transaction. With the database task backend it enqueues a
task there (an outbox: the notice row commits or rolls back with the change, and a
worker sends it even if this process dies); with any other backend it sends once the
transaction commits. Either way a refused or rolled-back change never emails anyone.
"""

from __future__ import annotations

import logging
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskContext, task, task_backends
from django_tasks_db import DatabaseBackend

log = logging.getLogger(__name__)


# core imports no app: the user model comes from settings.AUTH_USER_MODEL, and its
# `language` (accounts.User) is read as an optional attribute.
def _render_text(name: str, context: dict) -> str:
    """A plain-text template, unescaped: a title is "Shakespeare's", not
    "Shakespeare&#x27;s" (autoescaping is for HTML)."""
    return get_template(name).template.render(Context(context, autoescape=False))


def render_notice(*, user: AbstractBaseUser, template: str, context: dict) -> tuple[str, str]:
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"user": user, **context}
        # The library by the name the reader reads: its English name in English notices.
        if language.startswith("en") and context.get("library_en"):
            context["library"] = context["library_en"]
        subject = _render_text(f"notices/{template}.subject.txt", context)
        body = _render_text(f"notices/{template}.txt", context)
    return " ".join(subject.split()), body


def _compose(*, user_id: int, template: str, context: dict) -> EmailMessage | None:
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return None
    subject, body = render_notice(user=user, template=template, context=context)
    return EmailMessage(subject, body, None, [user.email])


def send_notice(*, user_id: int, template: str, context: dict) -> bool:
    message = _compose(user_id=user_id, template=template, context=context)
    if message is None:
        return False
    message.send()
    return True


# Task arguments are JSON (the database backend stores them): ids and names, never models.
@task(takes_context=True)
def send_notice_task(context: TaskContext, user_id: int, template: str, notice: dict) -> bool:
    """Send, and record the task done in the same transaction as the sending.

    The worker records a task done only after it returns, in a transaction of its own
    that may wait for the write lock: killed meanwhile, the notice has gone out and its
    task is still RUNNING, so the next worker sends it again (core.worker). Here the
    task's row is locked first (on SQLite the write lock, so the message is composed
    before), the message handed to the mail server, and the row marked done before the
    commit: only a death between the hand-over and the commit sends a notice twice, and
    then as the same message: its Message-ID is the task's, by which a mail system can
    tell the copy from a new notice.
    """
    message = _compose(user_id=user_id, template=template, context=notice)
    if message is not None:
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "libreach"
        message.extra_headers["Message-ID"] = f"<notice.{context.task_result.id}@{domain}>"
    if not _outbox():
        if message is not None:
            message.send()
        return message is not None
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(pk=context.task_result.id)
    with transaction.atomic():
        list(rows.select_for_update().values_list("pk"))
        if message is not None:
            message.send()
        rows.update(
            status="SUCCESSFUL", finished_at=timezone.now(), return_value=message is not None
        )
    return message is not None


def _outbox() -> bool:
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def queue_notice(*, user: AbstractBaseUser, template: str, context: dict) -> None:
    """Queue the notice with the current transaction (see the module's docstring).

    `context` must be JSON-serialisable: it may wait in the database for a worker.
    """
    if not user.email:
        return
    user_id = user.pk
    if _outbox():
        send_notice_task.enqueue(user_id, template, context)
        return
    transaction.on_commit(lambda: send_notice(user_id=user_id, template=template, context=context))
