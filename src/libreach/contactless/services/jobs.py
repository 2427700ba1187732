"""Scheduled jobs: hold expiry and the last-day notice."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from libreach.contactless.models import PICKUP_MODES, BorrowRequest, RequestStatus
from libreach.contactless.services.common import _close_lines, _event, _lock_request, _move, _notify
from libreach.contactless.transitions import SYSTEM, Trigger


def expire_holds(*, today: dt.date | None = None) -> int:
    """Requests not collected by their hold date expire; their copies go back."""
    today = today or timezone.localdate()
    ids = list(
        BorrowRequest.objects.filter(
            mode__in=PICKUP_MODES,
            status__in=[RequestStatus.READY, RequestStatus.AWAITING_PICKUP],
            hold_until__lt=today,
        ).values_list("pk", flat=True)
    )
    expired = 0
    for request_id in ids:
        with transaction.atomic():
            request = _lock_request(request_id)
            if request.status not in (RequestStatus.READY, RequestStatus.AWAITING_PICKUP):
                continue  # collected meanwhile
            at = timezone.now()
            _move(request, Trigger.EXPIRE, SYSTEM, at)
            _close_lines(request, at, SYSTEM)
            request.save(update_fields=["status", "closed_at"])
            _event(request, "expired", None, at)
            _notify(request, "expired")
            expired += 1
    return expired


def send_expiry_notices(*, today: dt.date | None = None) -> int:
    """Tell readers whose books wait their last day (hold date is today)."""
    today = today or timezone.localdate()
    sent = 0
    ids = list(
        BorrowRequest.objects.filter(
            status=RequestStatus.AWAITING_PICKUP,
            hold_until=today,
            expiry_notice_sent_at=None,
        ).values_list("pk", flat=True)
    )
    for request_id in ids:
        with transaction.atomic():
            request = _lock_request(request_id)
            if request.expiry_notice_sent_at is not None:
                continue
            request.expiry_notice_sent_at = timezone.now()
            request.save(update_fields=["expiry_notice_sent_at"])
            _notify(request, "about_to_expire")
            sent += 1
    return sent
