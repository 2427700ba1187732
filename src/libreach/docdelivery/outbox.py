"""ISO 18626 messages to members that run their own system, sent after the change they tell.

A service that moves a request toward such a member calls one of the `queue_*` functions
inside its transaction: the message is built (schema-valid, or it raises), kept as an
`Iso18626Message` row, and sent once the transaction commits — by the worker where tasks
wait in the database (the row and its task commit with the change, or neither does), at
commit otherwise. Sending never changes a request: a member that cannot be reached has its
turn's window closed now, and the silent-lender sweep (`services.pass_on_silent_lenders`)
passes the request on, as for any lender that does not answer.
"""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request

from django.db import transaction
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
from django_tasks_db.backend import DatabaseBackend

from libreach.consortium.models import Library
from libreach.docdelivery import iso18626
from libreach.docdelivery.iso18626 import messages as vocab
from libreach.docdelivery.models import (
    DocDeliverySettings,
    DocRequest,
    Iso18626Message,
    RequestType,
    RotaEntry,
    RotaStatus,
)

AGENCY_ID_TYPE = "ISIL"  # what we write; a peer is known by agencyIdValue, whatever the type
TIMEOUT_SECONDS = 15


def peer_url(library: Library | None) -> str:
    """The member's ISO 18626 endpoint, or "" for a member inside the platform."""
    if library is None:
        return ""
    return (
        DocDeliverySettings.objects.filter(library=library)
        .values_list("iso18626_url", flat=True)
        .first()
        or ""
    )


def _endpoint(library: Library | None, terms: DocDeliverySettings | None) -> str:
    """`peer_url`, from the member's terms when the caller has read them already."""
    if terms is not None and library is not None and terms.library_id == library.pk:
        return terms.iso18626_url
    return peer_url(library)


def our_request_id(request: DocRequest) -> str:
    """How peers know a request made here: requestingAgencyRequestId."""
    return request.external_id or f"{request.library.code}-{request.pk}"


def _agency(library: Library) -> iso18626.AgencyId:
    return iso18626.AgencyId(AGENCY_ID_TYPE, library.code)


def _header(request: DocRequest, at: dt.datetime) -> iso18626.Header:
    return iso18626.Header(
        supplying_agency=_agency(request.lender),
        requesting_agency=_agency(request.library),
        timestamp=at,
        requesting_agency_request_id=our_request_id(request),
        supplying_agency_request_id=str(request.pk) if request.external_id else "",
    )


def _keep(request: DocRequest, peer: Library, message) -> Iso18626Message:
    body = iso18626.build(message)
    row = Iso18626Message.objects.create(
        direction=Iso18626Message.Direction.OUT,
        kind=iso18626.kind_of(message),
        peer=peer,
        request=request,
        dedup_key=iso18626.dedup_key(message),
        at=message.header.timestamp,
        body=body.decode(),
    )
    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        deliver_task.enqueue(row.pk)
    else:
        transaction.on_commit(lambda: deliver(row.pk))
    return row


def queue_request(
    request: DocRequest,
    at: dt.datetime,
    *,
    retry: bool = False,
    terms: DocDeliverySettings | None = None,
) -> Iso18626Message | None:
    """The request goes to an outside lender (the platform as requesting agency); `retry`:
    again, on the conditions that lender set (requestType Retry). `terms`: the lender's,
    if the caller has them (else read here)."""
    if not _endpoint(request.lender, terms):
        return None
    ids = []
    if request.issn:
        ids.append(iso18626.ItemId("ISSN", request.issn))
    if request.isbn:
        ids.append(iso18626.ItemId("ISBN", request.isbn))
    if request.doi:
        ids.append(iso18626.ItemId("DOI", request.doi))
    loan = request.type == RequestType.BOOK
    message = iso18626.Request(
        header=_header(request, at),
        bibliographic=iso18626.BibliographicInfo(
            title=request.title,
            author=request.authors if loan else "",
            title_of_component="" if loan else request.article_title,
            author_of_component="" if loan else request.authors,
            volume=request.volume,
            issue=request.issue,
            pages_requested=request.pages,
            item_ids=tuple(ids),
        ),
        service=iso18626.ServiceInfo(
            service_type="Loan" if loan else "Copy",
            request_type="Retry" if retry else "New",
            note=request.note,
        ),
        publication_date=request.year,
        requesting_agency_name=request.library.name,
        # An opaque reference: a reader's name never leaves the platform.
        patron_id=f"{request.library.code}-R{request.reader_id}" if request.reader_id else "",
    )
    return _keep(request, request.lender, message)


def queue_status(
    request: DocRequest,
    status: str,
    at: dt.datetime,
    *,
    reason: str = "StatusChange",
    reason_unfilled: str = "",
    reason_retry: str = "",
    cost=None,
    note: str = "",
    answer_yes_no: str = "",
) -> Iso18626Message | None:
    """A lender here tells an outside requester what became of its request (the platform
    as supplying agency)."""
    if request.reader_id is not None or not peer_url(request.library):
        return None
    message = iso18626.SupplyingAgencyMessage(
        header=_header(request, at),
        reason_for_message=reason,
        status=status,
        last_change=at,
        answer_yes_no=answer_yes_no,
        note=note,
        reason_unfilled=reason_unfilled,
        reason_retry=reason_retry,
        offered_costs=iso18626.Costs("CNY", cost) if cost is not None else None,
        delivery=iso18626.DeliveryInfo(date_sent=at, sent_via="URL", delivered_format="PDF")
        if status == "CopyCompleted"
        else iso18626.DeliveryInfo(date_sent=at, sent_via="Mail")
        if status == "Loaned"
        else None,
    )
    return _keep(request, request.library, message)


def queue_action(
    request: DocRequest,
    action: str,
    at: dt.datetime,
    note: str = "",
    *,
    terms: DocDeliverySettings | None = None,
) -> Iso18626Message | None:
    """The requester here tells an outside lender what it did (Received, ShippedReturn) or
    wants (Cancel). `terms`: the lender's, if the caller has them (else read here)."""
    if not _endpoint(request.lender, terms):
        return None
    message = iso18626.RequestingAgencyMessage(
        header=_header(request, at), action=action, note=note
    )
    return _keep(request, request.lender, message)


def deliver(message_id: int) -> bool:
    """Post the message and keep the peer's confirmation. A `request` the peer did not
    take (no answer, HTTP error, ERROR confirmation) closes that lender's window now."""
    row = Iso18626Message.objects.select_related("peer", "request").get(pk=message_id)
    if row.status:
        return row.status == "OK"  # sent before (a worker run again)
    url = peer_url(row.peer)
    status, answer = "FAILED", ""
    try:
        http = urllib.request.Request(
            url, data=row.body.encode(), headers={"Content-Type": "application/xml"}
        )
        with urllib.request.urlopen(http, timeout=TIMEOUT_SECONDS) as response:
            answer = response.read().decode("utf-8", "replace")
        confirmed = iso18626.parse_confirmation(answer.encode(), row.kind)
        status = confirmed.message_status
    except (OSError, ValueError, iso18626.Iso18626Error) as exc:
        answer = answer or f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        Iso18626Message.objects.filter(pk=row.pk).update(confirmation=answer[:20000], status=status)
        if status != "OK" and row.kind == vocab.REQUEST and row.request_id:
            RotaEntry.objects.filter(
                request_id=row.request_id, lender=row.peer, status=RotaStatus.SENT
            ).update(due_at=timezone.now(), note="unreachable")
    return status == "OK"


@task()
def deliver_task(message_id: int) -> bool:
    return deliver(message_id)
