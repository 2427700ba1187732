"""Handover: the pickup code (and a proxy's ID number) checked, every staged book lent."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import User
from libreach.circulation import services as circulation
from libreach.circulation.models import Loan
from libreach.contactless.models import OPEN_REQUEST_STATES, LineStatus, Mode
from libreach.contactless.policies import require, role_for
from libreach.contactless.services.common import _event, _lock_request, _move, id_number_matches
from libreach.contactless.transitions import (
    STAFF,
    VOLUNTEER,
    LineTrigger,
    RunTrigger,
    Trigger,
    line_next,
    request_next,
    run_next,
)
from libreach.core import normalise
from libreach.core.errors import PermissionDenied


@transaction.atomic
def handover(
    *,
    request_id: int,
    by: User,
    pickup_code: str,
    proxy_id_number: str | None = None,
    at: dt.datetime | None = None,
) -> list[Loan]:
    """Check the code (and a proxy's ID number), then lend every staged book at once."""
    at = at or timezone.now()
    request = _lock_request(request_id)
    role = role_for(by, request)
    require(role, {STAFF, VOLUNTEER}, "hand over")
    request_next(request.status, Trigger.HANDOVER, request.mode, role)
    # Typed with a Chinese input method (０１２３), read out with spaces, or not a code at all:
    # compared in one form, refused and never a crash.
    if not normalise.codes_equal(normalise.digits_code(pickup_code), request.pickup_code):
        raise PermissionDenied(_("The pickup code does not match."), code="wrong_pickup_code")
    if request.mode == Mode.PROXY and not id_number_matches(
        proxy_id_number or "", request.proxy_id_hash
    ):
        raise PermissionDenied(_("The proxy's ID number does not match."), code="wrong_proxy_id")
    lines = list(
        request.lines.select_for_update(of=("self",))
        .filter(status=LineStatus.STAGED)
        .select_related("item")
        .order_by("position")
    )
    loans = []
    for line in lines:
        loan = circulation.checkout(item=line.item, reader=request.reader, at=at)
        line.status = line_next(line.status, LineTrigger.HAND_OVER, role)
        line.loan = loan
        line.save(update_fields=["status", "loan"])
        loans.append(loan)
    _move(request, Trigger.HANDOVER, role, at)
    request.save(update_fields=["status", "closed_at"])
    _event(request, request.status, by, at)
    run = request.run
    if run is not None and not run.requests.filter(status__in=OPEN_REQUEST_STATES).exists():
        run.status = run_next(run.status, RunTrigger.COMPLETE, role)
        run.save(update_fields=["status"])
    return loans
