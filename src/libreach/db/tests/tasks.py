"""The task the write lock's tests enqueue (a module of its own, importable by the worker)."""

from django.db import connection
from django_tasks import task


@task()
def count() -> None:
    # An autocommit write, as a task's own work usually is.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE counter SET n = n + 1 WHERE name = 'tasks'")
