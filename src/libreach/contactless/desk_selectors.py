"""Reads only the staff desk pages need, beside `selectors.py`: which pick-list lines a
printed slip already carried, a slip's lines, how many requests wait in each state, the
buildings a delivery run can serve, and who can take a run."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import StaffMembership, StaffRole, User
from libreach.accounts.selectors import STAFF_ROLES
from libreach.catalog.models import Item, ItemStatus
from libreach.consortium.models import Library
from libreach.contactless.models import (
    CLOSED_REQUEST_STATES,
    HOLDING_LINE_STATES,
    BorrowRequest,
    Mode,
    PickSlip,
    RequestStatus,
)
from libreach.core.errors import NotFound


def printed_lines(line_ids: list[int]) -> dict[int, PickSlip]:
    """For each of `line_ids` already on a printed slip: the last slip that carried it."""
    if not line_ids:
        return {}
    through = PickSlip.lines.through
    rows = (
        through.objects.filter(requestline_id__in=line_ids)
        .select_related("pickslip")
        .order_by("pickslip__printed_at", "pickslip_id")
    )
    return {row.requestline_id: row.pickslip for row in rows}


def recent_pick_slips(library: Library, *, limit: int = 5) -> list[PickSlip]:
    return list(
        PickSlip.objects.filter(library=library)
        .select_related("service_point", "printed_by")
        .annotate(line_count=Count("lines"))
        .order_by("-printed_at", "-id")[:limit]
    )


def pick_slip(library: Library, slip_id: int) -> PickSlip:
    slip = (
        PickSlip.objects.select_related("library", "service_point", "printed_by")
        .filter(library=library, pk=slip_id)
        .first()
    )
    if slip is None:
        raise NotFound(_("No such pick slip."), code="pick_slip_not_found")
    return slip


def status_counts(library: Library) -> dict[str, int]:
    """Requests of the library per status, in one query."""
    rows = (
        BorrowRequest.objects.filter(library=library)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return dict(rows)


def closed_requests(requests: QuerySet[BorrowRequest]) -> QuerySet[BorrowRequest]:
    return requests.filter(status__in=CLOSED_REQUEST_STATES).order_by("-closed_at", "-id")


def ready_delivery_buildings(library: Library) -> list[dict]:
    """Buildings with ready delivery requests no run has taken yet, with their counts."""
    rows = (
        BorrowRequest.objects.filter(
            library=library, mode=Mode.DELIVERY, status=RequestStatus.READY, run=None
        )
        .values("building__code", "building__name")
        .annotate(n=Count("id"))
        .order_by("building__name")
    )
    return [
        {"code": row["building__code"], "name": row["building__name"], "requests": row["n"]}
        for row in rows
    ]


def run_assignees(library: Library) -> QuerySet[User]:
    """Staff and volunteers of the library: who can take a delivery run."""
    ids = StaffMembership.objects.filter(
        library=library, role__in=[*STAFF_ROLES, StaffRole.VOLUNTEER]
    ).values("user_id")
    return User.objects.filter(Q(pk__in=ids), is_active=True).order_by("name", "username")


def awaiting_return(library: Library) -> QuerySet[Item]:
    """Copies a closed request gave back from the hold shelf or a run: in transit, held by
    no open request line, waiting to be checked in at the desk."""
    return (
        Item.objects.filter(library=library, status=ItemStatus.IN_TRANSIT)
        .exclude(request_lines__status__in=HOLDING_LINE_STATES)
        .select_related("record")
        .order_by("updated_at", "barcode")
    )
