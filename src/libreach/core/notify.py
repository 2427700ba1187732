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

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
from django_tasks_db import DatabaseBackend

log = logging.getLogger(__name__)


# core imports no app: the user model comes from settings.AUTH_USER_MODEL, and its
# `language` (accounts.User) is read as an optional attribute.
def render_notice(*, user: AbstractBaseUser, template: str, context: dict) -> tuple[str, str]:
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        context = {"user": user, **context}
        subject = render_to_string(f"notices/{template}.subject.txt", context)
        body = render_to_string(f"notices/{template}.txt", context)
    return " ".join(subject.split()), body


def send_notice(*, user_id: int, template: str, context: dict) -> bool:
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return False
    subject, body = render_notice(user=user, template=template, context=context)
    send_mail(subject, body, None, [user.email])
    return True


# Task arguments are JSON (the database backend stores them): ids and names, never models.
@task()
def send_notice_task(user_id: int, template: str, context: dict) -> bool:
    return send_notice(user_id=user_id, template=template, context=context)


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
