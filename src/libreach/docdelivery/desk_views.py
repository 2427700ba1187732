"""Staff desk pages of document delivery (`/desk/<lib>/docdelivery/…`).

The reader's library (ISO 18626's requesting agency) reviews its readers' new requests:
approve (the rota built from the members' holdings, or typed as codes), reject with a
reason, or satisfy locally; on a request's page it edits the rota, accepts or declines a
lender's conditions, receives and returns a loan, or cancels. The lender (supplying
agency) answers its incoming queue: will supply, unfilled, retry possible, supply a copy
(a PDF), ship a book, complete a returned one.

Sent by htmx, an action from a queue answers with that request's card as it now is and
the outcome out of band; from the request's page, with the page's work section. Without
JavaScript it posts and redirects back, the outcome a message. A refused upload is said
beside its field either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from libreach.accounts.desk import desk_view
from libreach.core import inplace
from libreach.core.errors import DomainError, RuleViolation
from libreach.docdelivery import selectors, services
from libreach.docdelivery.models import (
    OPEN_STATES,
    ReasonRetry,
    ReasonUnfilled,
    RequestType,
    Status,
)
from libreach.docdelivery.transitions import LENDER, STAFF, Trigger, actions

# The events of the timeline as the desk reads them.
EVENT_LABELS = {
    "submitted": gettext_lazy("Submitted by the reader"),
    "approved": gettext_lazy("Approved"),
    "sent": gettext_lazy("Sent to a lender"),
    "will_supply": gettext_lazy("Lender will supply"),
    "unfilled": gettext_lazy("Lender: unfilled"),
    "timed_out": gettext_lazy("Lender did not answer in time"),
    "retry": gettext_lazy("Lender: retry possible"),
    "retry_accepted": gettext_lazy("Conditions accepted"),
    "retry_declined": gettext_lazy("Conditions declined"),
    "rota_edited": gettext_lazy("Rota edited"),
    "end_of_rota": gettext_lazy("End of the rota: unfilled"),
    "delivered": gettext_lazy("Copy supplied"),
    "shipped": gettext_lazy("Book shipped"),
    "received": gettext_lazy("Book received"),
    "returned": gettext_lazy("Book returned to the lender"),
    "completed": gettext_lazy("Completed: the lender has it back"),
    "rejected": gettext_lazy("Rejected"),
    "satisfied_locally": gettext_lazy("Satisfied locally"),
    "cancelled": gettext_lazy("Cancelled"),
    "downloaded": gettext_lazy("Downloaded by the reader"),
}

# Service refusals the desk meets, in the desk's language; others show the service's own.
REFUSALS = {
    "invalid_transition": gettext_lazy("The request is no longer in a state that allows this."),
    "reason_required": gettext_lazy("Say why the request is rejected."),
    "not_a_pdf": gettext_lazy("The file is not a PDF."),
    "file_required": gettext_lazy("Choose the PDF to upload."),
    "invalid_cost": gettext_lazy("A cost is a number of yuan, 0 or more."),
    "invalid_reason": gettext_lazy("Choose a reason from the list."),
}


def refusal(error: DomainError) -> str:
    return str(REFUSALS.get(error.code, error.detail))


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target.startswith("/desk/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _desk_request(request, library, request_id: int, side: str | None = None):
    """The request as this library's desk sees it: of one of its readers (`STAFF` side)
    or sent to it (`LENDER` side); else 404."""
    try:
        doc, roles = selectors.request_for(request.user, request_id)
    except DomainError:
        raise Http404("No such document delivery request.") from None
    home = doc.library_id == library.pk and STAFF in roles
    lending = doc.lender_id == library.pk and LENDER in roles
    if (side == STAFF and not home) or (side == LENDER and not lending) or not (home or lending):
        raise Http404("No such document delivery request.")
    return doc, home, lending


def _offered(doc, home: bool, lending: bool) -> dict[str, bool]:
    acts = set()
    if home:
        acts |= actions(doc.status, doc.type, STAFF)
    lender_acts = actions(doc.status, doc.type, LENDER) if lending else frozenset()
    return {
        "can_review": Trigger.APPROVE in acts,
        "can_edit_rota": home and doc.status in OPEN_STATES,
        "can_accept_retry": Trigger.ACCEPT_RETRY in acts,
        "can_receive": Trigger.RECEIVE in acts,
        "can_return": Trigger.RETURN in acts,
        "can_cancel": Trigger.CANCEL in acts,
        "can_will_supply": Trigger.WILL_SUPPLY in lender_acts,
        "can_unfilled": Trigger.NEXT_LENDER in lender_acts,
        "can_retry": Trigger.RETRY in lender_acts,
        "can_supply": Trigger.SUPPLY in lender_acts,
        "can_ship": Trigger.SHIP in lender_acts,
        "can_complete": Trigger.COMPLETE in lender_acts,
    }


def _card_context(library, doc, home: bool, lending: bool, **extra) -> dict:
    rota = list(doc.rota.all())
    current = next((e for e in rota if e.lender_id == doc.lender_id and e.sent_at), None)
    return {
        "library": library,
        "doc": doc,
        "rota": rota,
        "current": current,
        "waiting_codes": " ".join(e.lender.code for e in rota if e.status == "waiting"),
        "is_home": home,
        "is_lending": lending,
        "reasons_unfilled": [c for c in ReasonUnfilled.choices if c[0] != ReasonUnfilled.NO_ANSWER],
        "reasons_retry": ReasonRetry.choices,
        "copies": doc.type in (RequestType.ARTICLE, RequestType.CHAPTER),
        **_offered(doc, home, lending),
        **extra,
    }


# --- the pages -------------------------------------------------------------------------------


@require_GET
@desk_view()
def review(request, library):
    """New requests of the library's readers to review, and those under way."""
    queue = selectors.review_queue(library, by=request.user)
    under_way = selectors.library_requests(
        library, by=request.user, states=tuple(s for s in OPEN_STATES if s != Status.NEW)
    )[:100]
    cards = [_card_context(library, doc, True, doc.lender_id == library.pk) for doc in queue]
    return render(
        request,
        "docdelivery/desk/review.html",
        {"library": library, "cards": cards, "under_way": list(under_way)},
    )


@require_GET
@desk_view()
def lending(request, library):
    """Requests other members sent this library, waiting for its answer or its copy."""
    queue = selectors.lender_queue(library, by=request.user)
    cards = [_card_context(library, doc, doc.library_id == library.pk, True) for doc in queue]
    return render(request, "docdelivery/desk/lending.html", {"library": library, "cards": cards})


def _page_context(request, library, request_id: int, **extra) -> dict:
    doc, home, lending = _desk_request(request, library, request_id)
    history = list(doc.history.all())
    for event in history:
        event.label = EVENT_LABELS.get(event.event, event.event)
        # A lender sees who acted in its own library, not the other library's readers.
        shown = home or event.library_id == library.pk
        event.who = (event.actor.name or event.actor.username) if event.actor and shown else ""
        reason = (event.data or {}).get("reason")
        if event.event == "unfilled" and reason:
            event.note = ReasonUnfilled(reason).label if reason in ReasonUnfilled.values else reason
        elif event.event == "retry" and reason:
            event.note = ReasonRetry(reason).label if reason in ReasonRetry.values else reason
        elif event.event in ("rejected", "satisfied_locally"):
            event.note = (event.data or {}).get("reason") or (event.data or {}).get("note") or ""
        elif event.event == "end_of_rota":
            event.note = ", ".join(
                f"{code}: {ReasonUnfilled(r).label if r in ReasonUnfilled.values else r}"
                for code, r in (event.data or {}).get("reasons", [])
            )
        elif event.event in ("sent", "timed_out") and (event.data or {}).get("lender"):
            event.note = event.data["lender"]
        else:
            event.note = ""
    file = getattr(doc, "file", None)
    return {
        **_card_context(library, doc, home, lending, **extra),
        "history": history,
        "file": file,
        "view": "page",
    }


@require_GET
@desk_view()
def request_page(request, library, request_id: int):
    return render(
        request, "docdelivery/desk/request.html", _page_context(request, library, request_id)
    )


# --- the actions -----------------------------------------------------------------------------


def _answer(request, library, request_id: int, status: int, **extra):
    """The answer to an action: in place, the card (queues) or the work section (the
    request's page); without JavaScript, back where the form was."""
    try:
        _desk_request(request, library, request_id)
    except Http404:
        # Answered unfilled (or passed on): the request has left this library's desk.
        queue = reverse("desk:docdelivery_lending", args=[library.code])
        if not inplace.requested(request):
            return redirect(queue)
        if request.POST.get("view") == "card":
            return inplace.fragment(
                request,
                "docdelivery/desk/_card_answer.html",
                {"library": library, "gone_id": request_id},
                status=status,
            )
        # The whole queue page, which says the outcome (still in `messages`).
        response = HttpResponse(status=status)
        response["HX-Redirect"] = queue
        return response
    if inplace.requested(request):
        context = _page_context(request, library, request_id, **extra)
        if request.POST.get("view") == "card":
            context["view"] = "card"
            context["queue"] = "lending" if request.POST.get("queue") == "lending" else "review"
            return inplace.fragment(
                request, "docdelivery/desk/_card_answer.html", context, status=status
            )
        return inplace.fragment(
            request, "docdelivery/desk/_request_answer.html", context, status=status
        )
    if extra.get("supply_error") and request.POST.get("view") != "card":
        # Without JavaScript the refused upload is said beside its field, on the page.
        context = _page_context(request, library, request_id, **extra)
        return render(request, "docdelivery/desk/request.html", context, status=status)
    default = reverse("desk:docdelivery_request", args=[library.code, request_id])
    return redirect(_safe_next(request, default))


def _run(request, action, success) -> int:
    try:
        action()
    except DomainError as error:
        messages.error(request, refusal(error))
        return error.status
    messages.success(request, success)
    return 200


def _codes(text: str) -> list[str]:
    return [code for code in text.replace(",", " ").replace("，", " ").split() if code]


def _action(side: str):
    """A desk action on one request, seen from `side` (STAFF: the reader's library;
    LENDER: the library now holding it)."""

    def decorate(handler):
        @require_POST
        @desk_view()
        def view(request, library, request_id: int):
            _desk_request(request, library, request_id, side)
            result = handler(request, library, request_id)
            if isinstance(result, dict):
                return _answer(request, library, request_id, **result)
            return _answer(request, library, request_id, result)

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        return view

    return decorate


def _rota(request) -> dict:
    rota = request.POST.get("rota", "").strip()
    return {"rota": _codes(rota) if rota else None}  # none typed: built from the holdings


def _cost(request) -> Decimal | None:
    raw = request.POST.get("cost", "").strip().replace(",", ".")
    try:
        return Decimal(raw) if raw else None
    except InvalidOperation:
        raise RuleViolation(code="invalid_cost") from None


def _fields(*names: str):
    """The form's fields `names`, as the service's keywords of the same name."""
    return lambda request: {name: request.POST.get(name, "") for name in names}


@dataclass(frozen=True)
class Action:
    """A desk action that only calls its service: who may post it, the service, what the
    service is given from the form besides the request and the user, and what is said."""

    side: str
    service: Callable[..., object]
    success: Promise  # with %(id)s, the request's number, where it names it
    form: Callable[[HttpRequest], dict] = lambda request: {}


ACTIONS = {
    # The reader's library.
    "approve": Action(
        STAFF,
        services.approve,
        gettext_lazy("Request %(id)s approved and sent along its rota."),
        _rota,
    ),
    "reject": Action(
        STAFF,
        services.reject,
        gettext_lazy("Request %(id)s rejected; the reader is told why."),
        _fields("reason"),
    ),
    "satisfy": Action(
        STAFF,
        services.satisfy_locally,
        gettext_lazy("Request %(id)s satisfied locally; the reader is told where."),
        _fields("note"),
    ),
    "edit_rota": Action(
        STAFF,
        services.edit_rota,
        gettext_lazy("Rota of request %(id)s saved."),
        lambda request: {"codes": _codes(request.POST.get("rota", ""))},
    ),
    "accept_retry": Action(
        STAFF,
        services.accept_retry,
        gettext_lazy("Conditions accepted: the request is back with that lender."),
    ),
    "decline_retry": Action(
        STAFF,
        services.decline_retry,
        gettext_lazy("Conditions declined: the request goes on to the next lender."),
    ),
    "receive": Action(
        STAFF, services.receive, gettext_lazy("Request %(id)s: the book is received.")
    ),
    "return_loan": Action(
        STAFF,
        services.return_loan,
        gettext_lazy("Request %(id)s: the book is on its way back to the lender."),
    ),
    "cancel": Action(STAFF, services.cancel, gettext_lazy("Request %(id)s is cancelled.")),
    # The lender (supplying a copy, an upload, has a view of its own below).
    "will_supply": Action(
        LENDER,
        services.will_supply,
        gettext_lazy("Request %(id)s: the requesting library is told you will supply it."),
    ),
    "unfilled": Action(
        LENDER,
        services.unfilled,
        gettext_lazy("Request %(id)s answered unfilled: it goes on to the next lender."),
        _fields("reason", "note"),
    ),
    "retry": Action(
        LENDER,
        services.retry,
        gettext_lazy("Request %(id)s: your conditions are sent to the requesting library."),
        lambda request: {"reason": request.POST.get("reason", ""), "cost": _cost(request)},
    ),
    "ship": Action(LENDER, services.ship, gettext_lazy("Request %(id)s: the book is shipped.")),
    "complete": Action(
        LENDER,
        services.complete,
        gettext_lazy("Request %(id)s is completed: the book is back."),
    ),
}


def _view(name: str):
    """The view of `ACTIONS[name]`: the service called with what the form gives (a form
    that cannot be read is refused as the service would be), the outcome said."""
    action = ACTIONS[name]

    def handler(request, library, request_id: int) -> int:
        return _run(
            request,
            lambda: action.service(request_id=request_id, by=request.user, **action.form(request)),
            action.success % {"id": request_id},
        )

    handler.__name__ = name
    return _action(action.side)(handler)


approve = _view("approve")
reject = _view("reject")
satisfy = _view("satisfy")
edit_rota = _view("edit_rota")
accept_retry = _view("accept_retry")
decline_retry = _view("decline_retry")
receive = _view("receive")
return_loan = _view("return_loan")
cancel = _view("cancel")
will_supply = _view("will_supply")
unfilled = _view("unfilled")
retry = _view("retry")
ship = _view("ship")
complete = _view("complete")


@_action(LENDER)
def supply(request, library, request_id: int):
    upload = request.FILES.get("file")
    if upload is None:
        error = str(REFUSALS["file_required"])
        messages.error(request, error)
        return {"status": 400, "supply_error": error}
    try:
        services.check_size(upload.size)
        services.supply(request_id=request_id, by=request.user, data=upload.read())
    except DomainError as error:
        text = refusal(error)
        messages.error(request, text)
        return {"status": error.status, "supply_error": text}
    messages.success(
        request, _("Request %(id)s: the copy is delivered to the reader.") % {"id": request_id}
    )
    return 200
