"""The worker expires uncollected holds and warns on the last day, as periodic jobs."""

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from libreach.catalog.models import Item, ItemStatus
from libreach.contactless import services
from libreach.contactless.models import BorrowRequest, RequestStatus
from libreach.core import periodic

pytestmark = [pytest.mark.django_db(transaction=True)]


def _awaiting(shelf, title: str, user) -> BorrowRequest:
    request = services.submit_request(
        user=user,
        library=shelf.lib,
        mode="pickup",
        service_point_code="MAIN",
        lines=[services.LineSpec(record_id=shelf.record(title).id)],
    )
    line = request.lines.get()
    services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=request.pk, by=shelf.staff)
    return BorrowRequest.objects.get(pk=request.pk)


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_worker_expires_holds_and_sends_last_day_notices(shelf):
    assert {"expire_holds", "hold_expiry_notices"} <= {job.name for job in periodic.jobs()}
    shelf.reader.email = "zhangsan@example.edu.cn"
    shelf.reader.save()
    shelf.other_reader.email = "lisi@example.edu.cn"
    shelf.other_reader.save()
    overdue = _awaiting(shelf, "红楼梦", shelf.reader)
    last_day = _awaiting(shelf, "呐喊", shelf.other_reader)
    today = timezone.localdate()
    BorrowRequest.objects.filter(pk=overdue.pk).update(hold_until=today - dt.timedelta(days=1))
    BorrowRequest.objects.filter(pk=last_day.pk).update(hold_until=today)
    mail.outbox.clear()

    call_command("worker", "--once", stdout=StringIO())

    overdue.refresh_from_db()
    last_day.refresh_from_db()
    assert overdue.status == RequestStatus.EXPIRED
    # Off the hold shelf, to be checked in at the desk (not straight to the shelf).
    assert Item.objects.get(barcode="PKU011").status == ItemStatus.IN_TRANSIT
    assert last_day.status == RequestStatus.AWAITING_PICKUP
    assert last_day.expiry_notice_sent_at is not None
    # The two "ready" notices waited in the outbox for this worker too.
    assert sorted(m.subject for m in mail.outbox) == sorted(
        ["您在北京大学图书馆申请的图书已备好"] * 2 + ["今天是取书的最后一天", "您的借书申请已过期"]
    )
