"""Reading document delivery requests: always through the policies, so a request is
seen by its reader, its library's staff and the lender now holding it, and by no one
else."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from libreach.accounts.policies import Actor, require_staff
from libreach.consortium.models import Library
from libreach.core.errors import NotFound
from libreach.docdelivery.models import DocRequest, RequestEvent, RotaEntry, Status
from libreach.docdelivery.policies import roles_for


def _with_details(queryset: QuerySet[DocRequest]) -> QuerySet[DocRequest]:
    return queryset.select_related("library", "lender", "reader", "reader__user").prefetch_related(
        Prefetch("rota", RotaEntry.objects.select_related("lender").order_by("position")),
        Prefetch("history", RequestEvent.objects.select_related("library").order_by("at", "id")),
    )


def request_for(user: Actor, request_id: int) -> tuple[DocRequest, frozenset[str]]:
    """The request and the caller's roles toward it; NotFound for anyone who may not see it."""
    request = _with_details(DocRequest.objects.filter(pk=request_id)).first()
    if request is None:
        raise NotFound(code="request_not_found")
    return request, roles_for(user, request)


def readers_requests(user: Actor) -> QuerySet[DocRequest]:
    """A reader's own requests, newest first."""
    return _with_details(DocRequest.objects.filter(reader__user_id=user.pk)).order_by(
        "-created_at", "-id"
    )


def review_queue(library: Library, *, by: Actor) -> QuerySet[DocRequest]:
    """Requests from the library's readers, waiting for review (oldest first)."""
    require_staff(by, library)
    return _with_details(DocRequest.objects.filter(library=library, status=Status.NEW)).order_by(
        "created_at", "id"
    )


def lender_queue(library: Library, *, by: Actor) -> QuerySet[DocRequest]:
    """Requests other members have sent this library, waiting for its answer or its copy
    (oldest first)."""
    require_staff(by, library)
    return _with_details(
        DocRequest.objects.filter(
            lender=library,
            status__in=(Status.SENT, Status.WILL_SUPPLY, Status.RETRY_POSSIBLE, Status.RETURNED),
        )
    ).order_by("updated_at", "id")


def library_requests(
    library: Library, *, by: Actor, states: tuple[str, ...]
) -> QuerySet[DocRequest]:
    """Requests from the library's readers in `states`, most recently changed first (the
    desk's list of requests under way)."""
    require_staff(by, library)
    return _with_details(DocRequest.objects.filter(library=library, status__in=states)).order_by(
        "-updated_at", "-id"
    )
