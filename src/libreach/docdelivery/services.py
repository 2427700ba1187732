"""Document delivery: every write, each one transaction.

The request moves through `transitions.REQUEST_TABLE` and each lender's turn through
`ENTRY_TABLE`; nothing here writes a state of its own. Members inside the platform use
these functions directly; members with their own system reach them through the ISO 18626
endpoint, which translates each message into one of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import ReaderProfile, User
from libreach.accounts.policies import SYSTEM, Actor, is_system, require_signed_in
from libreach.accounts.selectors import reader_profile
from libreach.consortium.models import Library
from libreach.consortium.selectors import add_working_days
from libreach.core.errors import (
    BadRequest,
    Conflict,
    Gone,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from libreach.core.lengths import require_fits
from libreach.core.notify import queue_notice
from libreach.docdelivery import citations, fees, lenders, outbox
from libreach.docdelivery.models import (
    OPEN_STATES,
    DocDeliverySettings,
    DocRequest,
    ReasonRetry,
    ReasonUnfilled,
    RequestEvent,
    RequestType,
    RotaEntry,
    RotaStatus,
    SuppliedFile,
)
from libreach.docdelivery.policies import PeerAgency, require, roles_for
from libreach.docdelivery.transitions import (
    LENDER,
    READER,
    STAFF,
    EntryTrigger,
    Trigger,
    entry_next,
    request_next,
)

CITATION_FIELDS = (
    "title", "article_title", "authors", "issn", "isbn", "year", "volume", "issue", "pages",
    "doi", "note",
)  # fmt: skip
# A supplied copy: a PDF of at most this many bytes (settings may lower or raise it).
MAX_FILE_BYTES = getattr(settings, "LIBREACH_DOCDELIVERY_MAX_FILE_BYTES", 50 * 1024 * 1024)
ACTIVE_ENTRY_STATES = (RotaStatus.SENT, RotaStatus.WILL_SUPPLY, RotaStatus.RETRY_POSSIBLE)


def terms_of(library: Library) -> DocDeliverySettings:
    """The member's terms as a lender; the defaults (CALIS: answer in 1 working day,
    deliver in 2) for a member that has not set its own."""
    found = DocDeliverySettings.objects.filter(library=library).first()
    return found or DocDeliverySettings(library=library)


def file_store() -> Path:
    return Path(settings.LIBREACH_HOME) / "files" / "docdelivery"


def _event(request: DocRequest, event: str, by: Actor, at, library=None, **data) -> None:
    RequestEvent.objects.create(
        request=request,
        at=at,
        event=event,
        status=request.status,
        actor=by if isinstance(by, User) else None,
        library=library,
        data=data,
    )


def _tell_reader(request: DocRequest, template: str, **context) -> None:
    """A notice to the reader who asked (none for a request from an outside system)."""
    if request.reader is None:
        return
    queue_notice(
        user=request.reader.user,
        template=f"docdelivery_{template}",
        context={
            "request_id": request.pk,
            "library": request.library.name,
            "title": request.article_title or request.title,
            **context,
        },
    )


def _lock(request_id: int) -> DocRequest:
    try:
        return (
            DocRequest.objects.select_for_update(of=("self",))
            # The lender's terms too (`_lender_terms`): its endpoint, without another query.
            .select_related(
                "library", "reader", "reader__user", "lender", "lender__docdelivery_settings"
            )
            .get(pk=request_id)
        )
    except DocRequest.DoesNotExist:
        raise NotFound(_("No such document delivery request."), code="request_not_found") from None


def _lender_terms(request: DocRequest) -> DocDeliverySettings | None:
    """The terms of the lender now holding a request `_lock` read (None: no lender)."""
    if request.lender is None:
        return None
    try:
        return request.lender.docdelivery_settings
    except DocDeliverySettings.DoesNotExist:
        return DocDeliverySettings(library=request.lender)


def _move(request: DocRequest, trigger: str, who: str, at) -> None:
    request.status = request_next(request.status, trigger, request.type, who)
    request.updated_at = at


def _current_entry(request: DocRequest) -> RotaEntry:
    entry = (
        RotaEntry.objects.select_for_update()
        .select_related("lender")
        .filter(request=request, status__in=ACTIVE_ENTRY_STATES)
        .order_by("position")
        .first()
    )
    if entry is None:
        raise Conflict(_("This request is not with a lender now."), code="invalid_transition")
    return entry


# --- the reader asks ---------------------------------------------------------------------


def submit(
    *,
    by: User,
    library: Library,
    type_: str,
    citation: dict,
    from_openurl: bool = False,
    at: dt.datetime | None = None,
) -> DocRequest:
    """A reader's request to their own library. The same citation as one of the reader's
    open requests is refused (409 duplicate)."""
    require_signed_in(by)
    at = at or timezone.now()
    reader = None if is_system(by) else reader_profile(by)
    if reader is None:
        raise PermissionDenied(_("Only readers ask for document delivery."), code="not_a_reader")
    if reader.library_id != library.pk:
        raise PermissionDenied(
            _("Ask your own library, %(library)s."), code="not_your_library",
            library=reader.library.code,
        )  # fmt: skip
    if type_ not in RequestType.values:
        raise RuleViolation(_("The type must be article, chapter or book."), code="invalid_type")
    fields = {name: (citation.get(name) or "").strip() for name in CITATION_FIELDS}
    normal = citations.normalise({"type": type_, **fields})
    # An ISBN or ISSN that does not check is said, not dropped: the reader may have
    # mistyped it, and lenders are found by it.
    for name, label in (("isbn", "ISBN"), ("issn", "ISSN")):
        if fields[name] and not normal[name]:
            raise RuleViolation(
                _("%(label)s %(value)s is not valid: check it, or leave it out."),
                code=f"invalid_{name}",
                label=label,
                value=fields[name][:40],
            )
    # Identifiers in one form (an ISBN's hyphens gone) before their length is checked.
    fields.update({k: normal[k] for k in ("issn", "isbn", "doi", "year")})
    for name, value in fields.items():
        require_fits(DocRequest, name, value)
    if not fields["title"]:
        raise RuleViolation(_("Give the title of the journal or the book."), code="title_required")
    key = citations.citation_key({"type": type_, **normal})
    with transaction.atomic():
        # One reader's submissions one at a time: two taps on "Send" make one request.
        ReaderProfile.objects.select_for_update().get(pk=reader.pk)
        duplicate = (
            DocRequest.objects.filter(reader=reader, citation_key=key, status__in=OPEN_STATES)
            .values_list("pk", flat=True)
            .first()
        )
        if duplicate is not None:
            raise Conflict(
                _("You already asked for this (request %(id)s), and it is still open."),
                code="duplicate",
                id=duplicate,
            )
        request = DocRequest.objects.create(
            library=library,
            reader=reader,
            type=type_,
            citation_key=key,
            from_openurl=from_openurl,
            created_at=at,
            updated_at=at,
            **fields,
        )
        _event(request, "submitted", by, at, library=library)
    return request


# --- the reader's library reviews ----------------------------------------------------------


def _members_by_code(codes: list[str], requester: Library) -> list[Library]:
    wanted = [code.strip().upper() for code in codes if code and code.strip()]
    if len(set(wanted)) != len(wanted):
        raise RuleViolation(_("A lender appears twice in the rota."), code="rota_duplicate")
    found = {lib.code: lib for lib in Library.objects.filter(code__in=wanted)}
    missing = [code for code in wanted if code not in found]
    if missing:
        raise RuleViolation(
            _("No such member: %(codes)s."), code="unknown_library", codes=", ".join(missing)
        )
    if requester.code in found:
        raise RuleViolation(
            _("A library does not lend to itself: take it off the rota."), code="rota_self"
        )
    return [found[code] for code in wanted]


def _send_to_next(request: DocRequest, trigger: str, who: str, by: Actor, at) -> None:
    """The request goes to the rota's next waiting lender, or ends unfilled with the
    reasons its lenders gave."""
    entry = (
        RotaEntry.objects.select_for_update()
        .select_related("lender")
        .filter(request=request, status=RotaStatus.WAITING)
        .order_by("position")
        .first()
    )
    if entry is None:
        _move(request, Trigger.END_OF_ROTA, "system", at)
        request.lender = None
        request.save()
        reasons = list(
            RotaEntry.objects.filter(request=request)
            .exclude(reason_unfilled="")
            .order_by("position")
            .values_list("lender__code", "reason_unfilled")
        )
        reasons += [
            (code, ReasonUnfilled.NO_ANSWER)
            for code in RotaEntry.objects.filter(
                request=request, status=RotaStatus.TIMED_OUT
            ).values_list("lender__code", flat=True)
        ]
        _event(request, "end_of_rota", by, at, reasons=[list(r) for r in reasons])
        _tell_reader(request, "closed", outcome="unfilled", note="")
        return
    entry.status = entry_next(entry.status, EntryTrigger.SEND, "system")
    entry.sent_at = at
    terms = terms_of(entry.lender)  # read once: its window here, its endpoint in the outbox
    entry.due_at = add_working_days(entry.lender, at, terms.response_days)
    entry.save(update_fields=["status", "sent_at", "due_at"])
    _move(request, trigger, who, at)
    request.lender = entry.lender
    request.save()
    _event(request, "sent", by, at, library=entry.lender, lender=entry.lender.code,
           due=entry.due_at.isoformat())  # fmt: skip
    outbox.queue_request(request, at, terms=terms)


def approve(
    *,
    request_id: int,
    by: Actor,
    rota: list[str] | None = None,
    at: dt.datetime | None = None,
) -> DocRequest:
    """Accepted by the reader's library: the rota is built (from the members' holdings, or
    the codes staff give) and the request goes to its first lender."""
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {STAFF}, "approve")
        request_next(request.status, Trigger.APPROVE, request.type, who)  # refuse early
        if rota is not None:
            chosen = [(lib, None) for lib in _members_by_code(rota, request.library)]
        else:
            candidates = lenders.rank_lenders(
                requester_id=request.library_id,
                type=request.type,
                isbn=request.isbn,
                issn=request.issn,
                title=request.title,
                year=request.year,
            )
            libraries = Library.objects.in_bulk([c.library_id for c in candidates])
            chosen = [(libraries[c.library_id], c) for c in candidates]
        RotaEntry.objects.bulk_create(
            RotaEntry(
                request=request,
                position=n,
                lender=library,
                holdings=candidate.holdings if candidate else 0,
                ratio=candidate.ratio if candidate else None,
                response_hours=candidate.response_hours if candidate else None,
            )
            for n, (library, candidate) in enumerate(chosen, start=1)
        )
        _event(request, "approved", by, at, library=request.library,
               rota=[library.code for library, _ in chosen])  # fmt: skip
        if chosen:
            _send_to_next(request, Trigger.APPROVE, who, by, at)
        else:
            _send_to_next(request, Trigger.END_OF_ROTA, "system", by, at)
    return request


def reject(*, request_id: int, by: Actor, reason: str, at: dt.datetime | None = None) -> DocRequest:
    at = at or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Say why the request is rejected."), code="reason_required")
    require_fits(DocRequest, "reject_reason", reason)
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {STAFF}, "reject")
        _move(request, Trigger.REJECT, who, at)
        request.reject_reason = reason
        request.save()
        _event(request, "rejected", by, at, library=request.library, reason=reason)
        _tell_reader(request, "closed", outcome="rejected", note=reason)
    return request


def satisfy_locally(
    *, request_id: int, by: Actor, note: str = "", at: dt.datetime | None = None
) -> DocRequest:
    """Held at home, in print or in the e-resources: the reader is told where."""
    at = at or timezone.now()
    note = (note or "").strip()
    require_fits(DocRequest, "reject_reason", note)
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {STAFF}, "satisfy locally")
        _move(request, Trigger.SATISFY_LOCALLY, who, at)
        request.reject_reason = note
        request.delivered_at = at
        request.save()
        _event(request, "satisfied_locally", by, at, library=request.library, note=note)
        _tell_reader(request, "closed", outcome="satisfied_locally", note=note)
    return request


def edit_rota(
    *, request_id: int, by: Actor, codes: list[str], at: dt.datetime | None = None
) -> DocRequest:
    """Staff of the reader's library set the lenders still to be asked, in order. Lenders
    already asked keep their place and cannot be asked again."""
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        require(roles_for(by, request), {STAFF}, "edit the rota of")
        if request.status not in OPEN_STATES:
            raise Conflict(_("This request is closed."), code="invalid_transition")
        libraries = _members_by_code(codes, request.library)
        asked = set(
            RotaEntry.objects.filter(request=request)
            .exclude(status=RotaStatus.WAITING)
            .values_list("lender_id", flat=True)
        )
        again = [lib.code for lib in libraries if lib.pk in asked]
        if again:
            raise RuleViolation(
                _("Already asked: %(codes)s."), code="rota_already_asked", codes=", ".join(again)
            )
        RotaEntry.objects.filter(request=request, status=RotaStatus.WAITING).delete()
        last = max(
            RotaEntry.objects.filter(request=request).values_list("position", flat=True),
            default=0,
        )
        RotaEntry.objects.bulk_create(
            RotaEntry(request=request, position=last + n, lender=library)
            for n, library in enumerate(libraries, start=1)
        )
        request.updated_at = at
        request.save(update_fields=["updated_at"])
        _event(request, "rota_edited", by, at, library=request.library,
               rota=[lib.code for lib in libraries])  # fmt: skip
    return request


# --- the lender answers ----------------------------------------------------------------------


def _answered(request: DocRequest, entry: RotaEntry, at) -> None:
    entry.answered_at = entry.answered_at or at
    if request.first_answer_at is None:
        request.first_answer_at = at


def will_supply(
    *, request_id: int, by: Actor, note: str = "", at: dt.datetime | None = None
) -> DocRequest:
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {LENDER}, "answer")
        entry = _current_entry(request)
        entry.status = entry_next(entry.status, EntryTrigger.WILL_SUPPLY, who)
        _move(request, Trigger.WILL_SUPPLY, who, at)
        _answered(request, entry, at)
        entry.note = (note or "")[:500]
        entry.save()
        request.save()
        _event(request, "will_supply", by, at, library=entry.lender)
        outbox.queue_status(request, "WillSupply", at, reason="RequestResponse", note=note)
    return request


def unfilled(
    *,
    request_id: int,
    by: Actor,
    reason: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> DocRequest:
    """The lender cannot supply (an ISO 18626 reasonUnfilled): on to the next lender, or
    unfilled at the end of the rota."""
    at = at or timezone.now()
    if reason not in ReasonUnfilled.values or reason == ReasonUnfilled.NO_ANSWER:
        raise RuleViolation(
            _("“%(reason)s” is not an ISO 18626 reasonUnfilled value."),
            code="invalid_reason",
            reason=reason,
        )
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {LENDER}, "answer")
        entry = _current_entry(request)
        entry.status = entry_next(entry.status, EntryTrigger.UNFILLED, who)
        entry.reason_unfilled = reason
        entry.note = (note or "")[:500]
        _answered(request, entry, at)
        entry.save()
        _event(request, "unfilled", by, at, library=entry.lender, reason=reason)
        # Told before the request moves on: the message comes from this lender.
        outbox.queue_status(request, "Unfilled", at, reason="RequestResponse",
                            reason_unfilled=reason, note=note)  # fmt: skip
        _send_to_next(request, Trigger.NEXT_LENDER, who, by, at)
    return request


def retry(
    *,
    request_id: int,
    by: Actor,
    reason: str,
    cost: Decimal | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> DocRequest:
    """The lender could supply on conditions (reasonRetry, perhaps a cost): the reader's
    library accepts them (`accept_retry`) or passes the request on (`decline_retry`)."""
    at = at or timezone.now()
    if reason not in ReasonRetry.values:
        raise RuleViolation(
            _("“%(reason)s” is not an ISO 18626 reasonRetry value."),
            code="invalid_reason",
            reason=reason,
        )
    if cost is not None and cost < 0:
        raise RuleViolation(_("A cost cannot be negative."), code="invalid_cost")
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {LENDER}, "answer")
        entry = _current_entry(request)
        entry.status = entry_next(entry.status, EntryTrigger.RETRY, who)
        entry.reason_retry = reason
        entry.retry_cost = cost
        entry.note = (note or "")[:500]
        _answered(request, entry, at)
        entry.save()
        _move(request, Trigger.RETRY, who, at)
        request.save()
        _event(request, "retry", by, at, library=entry.lender, reason=reason,
               cost=str(cost) if cost is not None else None)  # fmt: skip
        outbox.queue_status(request, "RetryPossible", at, reason="RequestResponse",
                            reason_retry=reason, cost=cost, note=note)  # fmt: skip
    return request


def accept_retry(*, request_id: int, by: Actor, at: dt.datetime | None = None) -> DocRequest:
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {STAFF}, "approve")
        entry = _current_entry(request)
        entry.status = entry_next(entry.status, EntryTrigger.RESEND, who)
        entry.sent_at = at
        terms = terms_of(entry.lender)
        entry.due_at = add_working_days(entry.lender, at, terms.response_days)
        entry.save()
        _move(request, Trigger.ACCEPT_RETRY, who, at)
        request.save()
        _event(request, "retry_accepted", by, at, library=request.library)
        outbox.queue_request(request, at, retry=True, terms=terms)
    return request


def decline_retry(*, request_id: int, by: Actor, at: dt.datetime | None = None) -> DocRequest:
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {STAFF}, "approve")
        entry = _current_entry(request)
        if entry.status != RotaStatus.RETRY_POSSIBLE:
            raise Conflict(_("The lender has not asked for a retry."), code="invalid_transition")
        entry.status = entry_next(entry.status, EntryTrigger.WITHDRAW, who)
        entry.save()
        _event(request, "retry_declined", by, at, library=request.library)
        _send_to_next(request, Trigger.NEXT_LENDER, who, by, at)
    return request


def _skip_waiting(request: DocRequest, who: str) -> None:
    for entry in RotaEntry.objects.select_for_update().filter(
        request=request, status=RotaStatus.WAITING
    ):
        entry.status = entry_next(entry.status, EntryTrigger.SKIP, who)
        entry.save(update_fields=["status"])


def check_size(size: int) -> None:
    """Refuse (422 file_too_large) a file bigger than a supplied copy may be."""
    if size > MAX_FILE_BYTES:
        raise RuleViolation(
            _("The file is too large: at most %(mb)d MB."),
            code="file_too_large",
            mb=MAX_FILE_BYTES // (1024 * 1024),
        )


def check_pdf(data: bytes) -> None:
    """Refuse what is too big (422 file_too_large) or not a PDF (400 not_a_pdf)."""
    check_size(len(data))
    # A PDF starts with its header within the first 1024 bytes and ends with %%EOF.
    if b"%PDF-" not in data[:1024] or b"%%EOF" not in data[-2048:]:
        raise BadRequest(_("The file is not a PDF."), code="not_a_pdf")


def supply(*, request_id: int, by: Actor, data: bytes, at: dt.datetime | None = None) -> DocRequest:
    """A copy supplied: the PDF is kept for the reader, who downloads it through a link of
    their own for the lender's number of days and downloads."""
    at = at or timezone.now()
    check_pdf(data)
    digest = hashlib.sha256(data).hexdigest()
    store = file_store()
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {LENDER}, "supply")
        entry = _current_entry(request)
        entry.status = entry_next(entry.status, EntryTrigger.SUPPLY, who)
        _answered(request, entry, at)
        entry.save()
        _move(request, Trigger.SUPPLY, who, at)
        request.delivered_at = at
        request.save()
        _skip_waiting(request, who)
        terms = terms_of(entry.lender)
        relative = f"{digest[:2]}/{digest}.pdf"
        path = store / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            partial = path.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(path)  # whole or absent, never half a file
        SuppliedFile.objects.create(
            request=request,
            lender=entry.lender,
            path=relative,
            size=len(data),
            sha256=digest,
            uploaded_by=by if isinstance(by, User) else None,
            uploaded_at=at,
            expires_at=at + dt.timedelta(days=terms.file_days),
            max_downloads=terms.file_downloads,
        )
        _event(request, "delivered", by, at, library=entry.lender, size=len(data))
        fees.record_charge(request, at)
        outbox.queue_status(request, "CopyCompleted", at)
        _tell_reader(
            request,
            "delivered",
            until=timezone.localtime(at + dt.timedelta(days=terms.file_days)).strftime(
                "%Y-%m-%d %H:%M"
            ),
            downloads=terms.file_downloads,
        )
    return request


def ship(*, request_id: int, by: Actor, at: dt.datetime | None = None) -> DocRequest:
    """A book lent: sent to the reader's library."""
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {LENDER}, "supply")
        entry = _current_entry(request)
        entry.status = entry_next(entry.status, EntryTrigger.SUPPLY, who)
        _answered(request, entry, at)
        entry.save()
        _move(request, Trigger.SHIP, who, at)
        request.save()
        _skip_waiting(request, who)
        _event(request, "shipped", by, at, library=entry.lender)
        fees.record_charge(request, at)
        outbox.queue_status(request, "Loaned", at)
    return request


def _home_step(request_id: int, by: Actor, trigger: str, event: str, at) -> DocRequest:
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {STAFF}, "receive")
        _move(request, trigger, who, at)
        if trigger == Trigger.RECEIVE:
            request.delivered_at = at
            _tell_reader(request, "received")
        request.save()
        _event(request, event, by, at, library=request.library)
        action = {Trigger.RECEIVE: "Received", Trigger.RETURN: "ShippedReturn"}[trigger]
        outbox.queue_action(request, action, at, terms=_lender_terms(request))
    return request


def receive(*, request_id: int, by: Actor, at: dt.datetime | None = None) -> DocRequest:
    return _home_step(request_id, by, Trigger.RECEIVE, "received", at or timezone.now())


def return_loan(*, request_id: int, by: Actor, at: dt.datetime | None = None) -> DocRequest:
    return _home_step(request_id, by, Trigger.RETURN, "returned", at or timezone.now())


def complete(*, request_id: int, by: Actor, at: dt.datetime | None = None) -> DocRequest:
    """The lender has its book back."""
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {LENDER}, "answer")
        _move(request, Trigger.COMPLETE, who, at)
        request.save()
        _event(request, "completed", by, at, library=request.lender)
        outbox.queue_status(request, "LoanCompleted", at)
    return request


def cancel(*, request_id: int, by: Actor, at: dt.datetime | None = None) -> DocRequest:
    """Withdrawn by the reader or their library, until something has been supplied."""
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {READER, STAFF}, "cancel")
        _move(request, Trigger.CANCEL, who, at)
        for entry in RotaEntry.objects.select_for_update().filter(
            request=request, status__in=ACTIVE_ENTRY_STATES
        ):
            entry.status = entry_next(entry.status, EntryTrigger.WITHDRAW, who)
            entry.save(update_fields=["status"])
        _skip_waiting(request, who)
        request.save()
        _event(request, "cancelled", by, at, library=request.library)
        if who != LENDER and request.lender_id is not None:
            outbox.queue_action(request, "Cancel", at, terms=_lender_terms(request))
    return request


# --- time passes ---------------------------------------------------------------------------


def pass_on_silent_lenders(*, at: dt.datetime | None = None) -> int:
    """Every lender whose response window has passed without an answer loses the request
    to the next lender (or the rota ends). Each request in its own transaction; safe to
    run again (a request already passed on is left alone). Returns how many moved."""
    at = at or timezone.now()
    due = list(
        RotaEntry.objects.filter(status=RotaStatus.SENT, due_at__lte=at)
        .order_by("due_at", "id")
        .values_list("pk", "request_id")
    )
    moved = 0
    for entry_id, request_id in due:
        with transaction.atomic():
            request = _lock(request_id)
            entry = (
                RotaEntry.objects.select_for_update()
                .select_related("lender")
                .filter(pk=entry_id, status=RotaStatus.SENT, due_at__lte=at)
                .first()
            )
            if entry is None or request.lender_id != entry.lender_id:
                continue
            entry.status = entry_next(entry.status, EntryTrigger.TIME_OUT, "system")
            entry.save(update_fields=["status"])
            _event(request, "timed_out", SYSTEM, at, library=entry.lender,
                   lender=entry.lender.code)  # fmt: skip
            _send_to_next(request, Trigger.NEXT_LENDER, "system", SYSTEM, at)
            moved += 1
    return moved


# --- the file ----------------------------------------------------------------------------------


def open_file(*, request_id: int, by: Actor, at: dt.datetime | None = None) -> tuple[Path, str]:
    """The supplied PDF's path and a file name, for its reader or their library's staff.
    The reader's downloads are counted against the limit; staff's are not."""
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        roles = roles_for(by, request)
        who = require(roles, {READER, STAFF}, "download")
        supplied = SuppliedFile.objects.select_for_update().filter(request=request).first()
        if supplied is None:
            raise NotFound(_("No file has been supplied for this request."), code="no_file")
        if at >= supplied.expires_at:
            raise Gone(_("This link has expired."), code="link_expired")
        if who == READER:
            counted = SuppliedFile.objects.filter(
                pk=supplied.pk, downloads__lt=F("max_downloads")
            ).update(downloads=F("downloads") + 1)
            if not counted:
                raise Gone(
                    _("This file has been downloaded %(n)d times, as many as allowed."),
                    code="downloads_used_up",
                    n=supplied.max_downloads,
                )
            _event(request, "downloaded", by, at)
    return file_store() / supplied.path, f"libreach-{request.pk}.pdf"


# --- members with their own system (ISO 18626; see exchange.py) ------------------------------


def receive_external_request(
    *,
    requester: Library,
    lender: Library,
    type_: str,
    citation: dict,
    external_id: str,
    patron_ref: str = "",
    at: dt.datetime | None = None,
) -> DocRequest:
    """A request another member's system sent a member here (the platform as supplying
    agency): it arrives reviewed by its library, with this lender as its one turn."""
    at = at or timezone.now()
    by = PeerAgency(requester)
    # Another system's citation is taken as it comes, in one form and each field cut to
    # fit (citations.normalise); the note, which normalise leaves alone, fitted the same way.
    normal = citations.normalise({"type": type_, **citation})
    fields = {name: normal[name] for name in citations.TEXT_FIELDS}
    note_length = DocRequest._meta.get_field("note").max_length
    fields["note"] = citations.fit(citations.clean(citation.get("note")), note_length)
    with transaction.atomic():
        if DocRequest.objects.filter(library=requester, external_id=external_id).exists():
            raise Conflict(
                _("Request %(id)s of %(library)s is already here."),
                code="duplicate_request_id",
                id=external_id,
                library=requester.code,
            )
        request = DocRequest.objects.create(
            library=requester,
            reader=None,
            external_id=external_id,
            patron_ref=patron_ref[:255],
            type=type_,
            citation_key=citations.citation_key({"type": type_, **normal}),
            created_at=at,
            updated_at=at,
            **fields,
        )
        _event(request, "submitted", by, at, library=requester, via="iso18626")
        RotaEntry.objects.create(request=request, position=1, lender=lender)
        _send_to_next(request, Trigger.APPROVE, STAFF, by, at)
    return request


def supplied_elsewhere(
    *, request_id: int, by: Actor, note: str = "", at: dt.datetime | None = None
) -> DocRequest:
    """An outside lender sent the copy to the reader itself (CopyCompleted): delivered,
    with no file kept here."""
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        who = require(roles_for(by, request), {LENDER}, "supply")
        entry = _current_entry(request)
        entry.status = entry_next(entry.status, EntryTrigger.SUPPLY, who)
        _answered(request, entry, at)
        entry.note = (note or "")[:500]
        entry.save()
        _move(request, Trigger.SUPPLY, who, at)
        request.delivered_at = at
        request.save()
        _skip_waiting(request, who)
        _event(request, "delivered", by, at, library=entry.lender, direct=True, note=note[:500])
        fees.record_charge(request, at)
    return request


def record_notice(
    *, request_id: int, by: Actor, event: str, data: dict, at: dt.datetime | None = None
) -> DocRequest:
    """A message that changes no state (RequestReceived, Overdue, Recalled, a Notification)
    kept on the request's timeline."""
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        roles_for(by, request)  # only a party to the request is heard
        _event(request, event, by, at, **data)
    return request
