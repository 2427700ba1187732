"""Delivery runs and dispatch."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import User
from libreach.catalog.models import Item
from libreach.circulation.transitions import Trigger as ItemTrigger
from libreach.circulation.transitions import apply as apply_to_item
from libreach.consortium.models import Library
from libreach.contactless import policies
from libreach.contactless.models import BorrowRequest, DeliveryRun, LineStatus, Mode, RequestStatus
from libreach.contactless.policies import require, role_for
from libreach.contactless.services.common import _event, _lock_request, _move, _notify
from libreach.contactless.transitions import (
    STAFF,
    VOLUNTEER,
    RunTrigger,
    Trigger,
    request_next,
    run_next,
)
from libreach.core.errors import Conflict, NotFound, PermissionDenied, RuleViolation


@transaction.atomic
def create_run(
    *,
    library: Library,
    by: User,
    run_date: dt.date | None = None,
    building_codes: list[str] | None = None,
    assignee: User | None = None,
    at=None,
) -> DeliveryRun:
    """Gather the ready delivery requests (of the given buildings) into one run."""
    at = at or timezone.now()
    policies.require_staff(by, library)
    if assignee is not None and not policies.may_deliver(assignee, library):
        raise RuleViolation(
            _("%(assignee)s is neither staff nor a volunteer of %(library)s."),
            code="invalid_assignee",
            assignee=str(assignee),
            library=library.code,
        )
    library = Library.objects.select_for_update().get(pk=library.pk)
    run_date = run_date or timezone.localdate(at)
    ready = BorrowRequest.objects.select_for_update().filter(
        library=library, mode=Mode.DELIVERY, status=RequestStatus.READY, run=None
    )
    if building_codes:
        ready = ready.filter(building__code__in=building_codes)
    ids = list(ready.values_list("pk", flat=True))
    if not ids:
        raise Conflict(_("No ready delivery request is waiting for a run."), code="nothing_to_run")
    last = DeliveryRun.objects.filter(library=library, run_date=run_date).aggregate(
        n=Max("number")
    )["n"]
    run = DeliveryRun.objects.create(
        library=library,
        run_date=run_date,
        number=(last or 0) + 1,
        assignee=assignee,
        created_by=by,
    )
    BorrowRequest.objects.filter(pk__in=ids).update(run=run)
    return run


def _run_for(request: BorrowRequest, run_id: int | None) -> DeliveryRun | None:
    if run_id is None:
        return request.run
    run = DeliveryRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.library_id != request.library_id:
        raise NotFound(_("No such delivery run."), code="run_not_found")
    if run.status == DeliveryRun.Status.COMPLETED:
        raise Conflict(_("That delivery run is completed."), code="run_completed")
    return run


@transaction.atomic
def dispatch(*, request_id: int, by: User, run_id: int | None = None, at=None) -> BorrowRequest:
    """A ready delivery request leaves with its run (staff, or the run's volunteer)."""
    at = at or timezone.now()
    request = _lock_request(request_id)
    role = role_for(by, request)
    require(role, {STAFF, VOLUNTEER}, "dispatch")
    if role == VOLUNTEER and run_id not in (None, request.run_id):
        raise PermissionDenied(_("Volunteers dispatch only with the run given to them."))
    request_next(request.status, Trigger.DISPATCH, request.mode, role)
    run = _run_for(request, run_id)
    for line in request.lines.select_for_update().filter(status=LineStatus.STAGED):
        apply_to_item(Item.objects.select_for_update().get(pk=line.item_id), ItemTrigger.DISPATCH)
    _move(request, Trigger.DISPATCH, role, at)
    request.run = run
    request.save(update_fields=["status", "run"])
    if run is not None and run.status == DeliveryRun.Status.PLANNED:
        run.status = run_next(run.status, RunTrigger.DISPATCH, role)
        run.dispatched_at = at
        run.save(update_fields=["status", "dispatched_at"])
    _event(request, "out_for_delivery", by, at, **({"run": run.pk} if run else {}))
    _notify(request, "out_for_delivery")
    return request


@transaction.atomic
def dispatch_run(*, run_id: int, by: User, at=None) -> int:
    """Dispatch every ready request of a run; returns how many left."""
    at = at or timezone.now()
    run = DeliveryRun.objects.select_related("library").filter(pk=run_id).first()
    if run is None or not policies.may_see_run(by, run):
        raise NotFound(_("No such delivery run."), code="run_not_found")
    ids = list(
        run.requests.filter(status=RequestStatus.READY).order_by("pk").values_list("pk", flat=True)
    )
    if not ids:
        raise Conflict(_("Nothing in this run is ready to leave."), code="nothing_to_dispatch")
    for request_id in ids:
        dispatch(request_id=request_id, by=by, run_id=run.pk, at=at)
    return len(ids)
