"""`POST /iso18626`: messages from members that run their own system, each answered with
its confirmation.

A message is parsed against the schema (a fault gets the ERROR confirmation the standard
asks for, and changes nothing), recognised if it was received before (a retransmission
gets the first confirmation again and changes nothing twice), and translated into one
service call, made as the sending member (`policies.PeerAgency`): the same state machine
and the same rules as for members inside the platform. A member is its library code in
agencyIdValue, whatever the agencyIdType.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from libreach.consortium.models import Library
from libreach.core.errors import DomainError
from libreach.docdelivery import iso18626, outbox, services
from libreach.docdelivery.iso18626 import messages as vocab
from libreach.docdelivery.models import DocRequest, Iso18626Message, ReasonUnfilled, Status
from libreach.docdelivery.policies import PeerAgency

UNRECOGNISED_VALUE = "UnrecognisedDataValue"


class Refused(Exception):
    """The message is valid but cannot be applied: answered with an ERROR confirmation."""

    def __init__(self, value: str):
        super().__init__(value)
        self.error = iso18626.ErrorData(UNRECOGNISED_VALUE, value[:500])


# Our request's state as the ISO 18626 status a peer reads (StatusRequestResponse).
ISO_STATUS = {
    Status.NEW: "RequestReceived",
    Status.SENT: "RequestReceived",
    Status.WILL_SUPPLY: "WillSupply",
    Status.RETRY_POSSIBLE: "RetryPossible",
    Status.DELIVERED: "CopyCompleted",
    Status.SHIPPED: "Loaned",
    Status.RECEIVED: "Loaned",
    Status.RETURNED: "Loaned",
    Status.COMPLETED: "LoanCompleted",
    Status.UNFILLED: "Unfilled",
    Status.REJECTED: "Unfilled",
    Status.SATISFIED_LOCALLY: "Unfilled",
    Status.CANCELLED: "Cancelled",
}


def _library(agency: iso18626.AgencyId, field: str) -> Library:
    library = Library.objects.filter(code=agency.value).first()
    if library is None:
        raise Refused(f"{field}: {agency.value}")
    return library


def _ours(message, sender: Library, recipient: Library) -> DocRequest:
    """The request a supplyingAgencyMessage is about: made here, held by the sender."""
    code, _, number = message.header.requesting_agency_request_id.rpartition("-")
    request = None
    if code == recipient.code and number.isdigit():
        request = DocRequest.objects.filter(
            pk=int(number), library=recipient, external_id=""
        ).first()
    if request is None or request.lender_id != sender.pk:
        raise Refused(f"requestingAgencyRequestId: {message.header.requesting_agency_request_id}")
    return request


def _theirs(message, sender: Library, recipient: Library) -> DocRequest:
    """The request a requestingAgencyMessage is about: sent here by the sender."""
    request = DocRequest.objects.filter(
        library=sender, external_id=message.header.requesting_agency_request_id
    ).first()
    if request is None or request.lender_id != recipient.pk:
        raise Refused(f"requestingAgencyRequestId: {message.header.requesting_agency_request_id}")
    return request


def _citation(message: iso18626.Request) -> tuple[str, dict]:
    bib = message.bibliographic
    ids = {item.code.upper(): item.identifier for item in bib.item_ids}
    service = message.service.service_type if message.service else "Copy"
    if service == "Loan":
        type_ = "book"
    elif bib.title_of_component and (ids.get("ISBN") and not ids.get("ISSN")):
        type_ = "chapter"
    else:
        type_ = "article"
    return type_, {
        "title": bib.title or bib.title_of_component,
        "article_title": bib.title_of_component,
        "authors": bib.author_of_component or bib.author,
        "issn": ids.get("ISSN", ""),
        "isbn": ids.get("ISBN", ""),
        "doi": ids.get("DOI", ""),
        "year": message.publication_date,
        "volume": bib.volume,
        "issue": bib.issue,
        "pages": bib.pages_requested,
        "note": message.service.note if message.service else "",
    }


def _on_request(message: iso18626.Request, sender: Library, recipient: Library, at):
    type_, citation = _citation(message)
    if not citation["title"]:
        raise Refused("bibliographicInfo/title: empty")
    return services.receive_external_request(
        requester=sender,
        lender=recipient,
        type_=type_,
        citation=citation,
        external_id=message.header.requesting_agency_request_id,
        patron_ref=message.patron_id,
        at=at,
    )


def _on_supplying(message: iso18626.SupplyingAgencyMessage, sender, recipient, at):
    request = _ours(message, sender, recipient)
    by = PeerAgency(sender)
    status, pk = message.status, request.pk
    if status in ("ExpectToSupply", "WillSupply"):
        if request.status == Status.WILL_SUPPLY:
            services.record_notice(request_id=pk, by=by, event="lender_status", data={"status": status}, at=at)  # fmt: skip
        else:
            services.will_supply(request_id=pk, by=by, note=message.note, at=at)
    elif status == "Unfilled":
        reason = message.reason_unfilled
        if reason not in ReasonUnfilled.values or reason == ReasonUnfilled.NO_ANSWER:
            reason = ReasonUnfilled.OTHER
        services.unfilled(request_id=pk, by=by, reason=reason, note=message.note, at=at)
    elif status == "RetryPossible":
        cost = message.offered_costs.amount if message.offered_costs else None
        reason = message.reason_retry or "NotCurrentAvailableForILL"
        services.retry(request_id=pk, by=by, reason=reason, cost=cost, note=message.note, at=at)
    elif status == "Loaned":
        services.ship(request_id=pk, by=by, at=at)
    elif status == "CopyCompleted":
        services.supplied_elsewhere(request_id=pk, by=by, note=message.note, at=at)
    elif (
        status in ("LoanCompleted", "CompletedWithoutReturn") and request.status == Status.RETURNED
    ):
        services.complete(request_id=pk, by=by, at=at)
    else:  # RequestReceived, Overdue, Recalled, Cancelled (our cancel confirmed), ...
        services.record_notice(request_id=pk, by=by, event="lender_status",
                               data={"status": status, "note": message.note[:500]}, at=at)  # fmt: skip
    return request


def _on_action(message: iso18626.RequestingAgencyMessage, sender, recipient, at):
    request = _theirs(message, sender, recipient)
    by = PeerAgency(sender)
    pk, action = request.pk, message.action
    if action == "Received":
        services.receive(request_id=pk, by=by, at=at)
    elif action == "ShippedReturn":
        services.return_loan(request_id=pk, by=by, at=at)
    elif action == "Cancel":
        try:
            services.cancel(request_id=pk, by=by, at=at)
            answer = "Y"
        except DomainError:
            answer = "N"  # already supplied: the standard's answer is No, not an error
        request.refresh_from_db()
        outbox.queue_status(
            request, ISO_STATUS[request.status], at, reason="CancelResponse", answer_yes_no=answer
        )
    elif action == "StatusRequest":
        outbox.queue_status(request, ISO_STATUS[request.status], at, reason="StatusRequestResponse")
    else:  # Notification
        services.record_notice(request_id=pk, by=by, event="requester_note",
                               data={"note": message.note[:500]}, at=at)  # fmt: skip
    return request


def _log(kind: str, peer, request, key: str, at, body: bytes, answer: bytes, status: str):
    Iso18626Message.objects.create(
        direction=Iso18626Message.Direction.IN,
        kind=kind or "unknown",
        peer=peer,
        request=request,
        dedup_key=key,
        at=at,
        body=body.decode("utf-8", "replace")[:200000],
        confirmation=answer.decode(),
        status=status,
    )


def receive(body: bytes, *, at: dt.datetime | None = None) -> tuple[int, bytes]:
    """Apply one message; returns the HTTP status and the confirmation to answer with."""
    at = at or timezone.now()
    try:
        message = iso18626.parse(body)
    except iso18626.Iso18626Error as error:
        answer = iso18626.confirmation_for(error, now=at)
        _log(error.kind, None, None, "", at, body, answer, "ERROR")
        return error.http_status, answer
    key = iso18626.dedup_key(message)
    kind = iso18626.kind_of(message)
    seen = Iso18626Message.objects.filter(direction="in", dedup_key=key).first()
    if seen is not None:
        return 200, seen.confirmation.encode()
    sender = recipient = None
    try:
        with transaction.atomic():
            sender = _library(iso18626.sender_of(message), "sender agencyIdValue")
            recipient = _library(iso18626.recipient_of(message), "recipient agencyIdValue")
            handler = {
                vocab.REQUEST: _on_request,
                vocab.SUPPLYING_AGENCY_MESSAGE: _on_supplying,
                vocab.REQUESTING_AGENCY_MESSAGE: _on_action,
            }[kind]
            request = handler(message, sender, recipient, at)
            answer = iso18626.confirmation_for(message, now=at)
            _log(kind, sender, request, key, at, body, answer, "OK")
        return 200, answer
    except IntegrityError:
        # The same message at the same moment on another connection: answered once.
        seen = Iso18626Message.objects.filter(direction="in", dedup_key=key).first()
        if seen is None:
            raise
        return 200, seen.confirmation.encode()
    except (Refused, DomainError) as refused:
        error = (
            refused.error
            if isinstance(refused, Refused)
            else iso18626.ErrorData(UNRECOGNISED_VALUE, f"{refused.code}: {refused.detail}"[:500])
        )
        answer = iso18626.confirmation_for(message, error=error, now=at)
        _log(kind, sender, None, "", at, body, answer, "ERROR")
        return 200, answer
