"""Reading document delivery requests: always through the policies, so a request is
seen by its reader, its library's staff and the lender now holding it, and by no one
else."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

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


# What a lender's queue holds: requests waiting for its answer, its copy, or (returned
# books) its check-in.
LENDER_QUEUE = (Status.SENT, Status.WILL_SUPPLY, Status.RETRY_POSSIBLE, Status.RETURNED)


def lender_queue(library: Library, *, by: Actor) -> QuerySet[DocRequest]:
    """Requests other members have sent this library, waiting for its answer or its copy
    (oldest first)."""
    require_staff(by, library)
    return _with_details(
        DocRequest.objects.filter(lender=library, status__in=LENDER_QUEUE)
    ).order_by("updated_at", "id")


def desk_work_counts(libraries: list[Library], *, by: Actor) -> dict[int, dict[str, int]]:
    """Per library (by id): its readers' requests waiting for review (`dd_to_review`, the
    review queue's rows) and other members' requests in its lending queue (`dd_to_lend`).
    Two queries, whatever the number of libraries."""
    for library in libraries:
        require_staff(by, library)

    def per(field: str, **filters) -> dict[int, int]:
        rows = (
            DocRequest.objects.filter(**{f"{field}__in": libraries}, **filters)
            .order_by()
            .values(field)
            .annotate(n=Count("id"))
            .values_list(field, "n")
        )
        return dict(rows)

    review = per("library", status=Status.NEW)
    lend = per("lender", status__in=LENDER_QUEUE)
    return {
        lib.pk: {"dd_to_review": review.get(lib.pk, 0), "dd_to_lend": lend.get(lib.pk, 0)}
        for lib in libraries
    }


def library_requests(
    library: Library, *, by: Actor, states: tuple[str, ...]
) -> QuerySet[DocRequest]:
    """Requests from the library's readers in `states`, most recently changed first (the
    desk's list of requests under way)."""
    require_staff(by, library)
    return _with_details(DocRequest.objects.filter(library=library, status__in=states)).order_by(
        "-updated_at", "-id"
    )
