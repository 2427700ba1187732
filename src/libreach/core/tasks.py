"""Background tasks of the core: periodic jobs and e-mail notices.

Task arguments are JSON (the database backend stores them), so they carry ids and
names, never model instances.
"""

from django_tasks import task


@task()
def run_periodic_job(name: str):
    from libreach.core import periodic

    result = periodic.run_job(name)
    # A task's return value is stored as JSON; keep counts, drop anything else.
    return result if isinstance(result, int | str | None) else None


@task()
def send_notice_task(user_id: int, template: str, context: dict) -> bool:
    from libreach.core.notify import send_notice

    return send_notice(user_id=user_id, template=template, context=context)
