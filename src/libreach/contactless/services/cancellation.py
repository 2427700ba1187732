"""Cancelling a request, by its reader or by staff."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from libreach.accounts.models import User
from libreach.contactless.models import BorrowRequest
from libreach.contactless.policies import require, role_for
from libreach.contactless.services.common import _close_lines, _event, _lock_request, _move
from libreach.contactless.transitions import READER, STAFF, Trigger


@transaction.atomic
def cancel_request(*, request_id: int, by: User, at: dt.datetime | None = None) -> BorrowRequest:
    """Readers cancel until their books are ready; staff until they are handed over."""
    at = at or timezone.now()
    request = _lock_request(request_id)
    role = role_for(by, request)
    require(role, {READER, STAFF}, "cancel")
    _move(request, Trigger.CANCEL, role, at)
    _close_lines(request, at, role)
    request.save(update_fields=["status", "closed_at"])
    _event(request, "cancelled", by, at)
    return request
