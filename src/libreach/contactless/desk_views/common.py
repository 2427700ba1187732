"""What the desk pages share: refusals in the desk's language, the safe `next`
redirect, running a service call as a message, the request or service point a URL names."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy

from libreach.consortium.selectors import service_points_of
from libreach.contactless import selectors, transitions
from libreach.contactless.models import LineStatus, RequestLine
from libreach.contactless.transitions import LineTrigger, Trigger
from libreach.core.errors import DomainError

# Service refusals the desk meets every day, in the desk's language. Others show the
# service's own sentence.
REFUSALS = {
    "wrong_pickup_code": gettext_lazy("The pickup code does not match. Nothing was lent."),
    "wrong_proxy_id": gettext_lazy(
        "The proxy's ID number does not match the one on record. Nothing was lent."
    ),
    "nothing_to_print": gettext_lazy("Every line to pick is already on a printed slip."),
    "nothing_to_run": gettext_lazy("No ready delivery request is waiting for a run."),
    "nothing_to_dispatch": gettext_lazy("Nothing in this run is ready to leave."),
    "nothing_to_disinfect": gettext_lazy("No found book is waiting to be disinfected."),
    "disinfection_required": gettext_lazy(
        "This library disinfects every book before staging: record the disinfection first."
    ),
    "lines_unresolved": gettext_lazy("Some books of this request are still to be picked."),
    "invalid_transition": gettext_lazy("The request is no longer in a state that allows this."),
    "wrong_copy": gettext_lazy("That barcode is not a copy of this title here."),
    "item_unavailable": gettext_lazy("That copy is not available."),
    "request_not_found": gettext_lazy("No such request."),
    "run_not_found": gettext_lazy("No such delivery run."),
    "invalid_assignee": gettext_lazy("That person is neither staff nor a volunteer here."),
    "invalid_minutes": gettext_lazy("Minutes must be between 1 and 20160."),
    "not_awaiting_return": gettext_lazy("That copy is not waiting to be checked in here."),
    "item_not_found": gettext_lazy("This library has no copy with that barcode."),
}


def refusal(error: DomainError) -> str:
    return str(REFUSALS.get(error.code, error.detail))


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/desk/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _do(request, action, success: str) -> bool:
    """Run a service call; its outcome becomes a message. True when it succeeded."""
    try:
        action()
    except DomainError as error:
        messages.error(request, refusal(error))
        return False
    messages.success(request, success)
    return True


def _library_request(user, library, request_id: int):
    """The request as the desk sees it, if it belongs to this library; else 404."""
    try:
        borrow, role = selectors.request_for(user, request_id)
    except DomainError as error:
        raise Http404(error.detail) from None
    if borrow.library_id != library.pk:
        raise Http404("No such borrow request.")
    return borrow, role


def _service_point(library, code: str | None):
    points = list(service_points_of(library))
    chosen = next((p for p in points if p.code == code), None) if code else None
    return points, chosen


def _back_to_request(library, request_id: int):
    return redirect("desk:request", lib=library.code, request_id=request_id)


def _books(borrow) -> list[RequestLine]:
    """The books that travel with a request: those found and not given back."""
    return [
        line
        for line in borrow.lines.all()
        if line.status
        in (LineStatus.FOUND, LineStatus.DISINFECTED, LineStatus.STAGED, LineStatus.HANDED_OVER)
    ]


def offered_actions(borrow, role: str, lines=None) -> dict[str, bool]:
    """The buttons a desk page offers for `borrow`: what the transition table lets `role`
    fire from its state (and, for picking and disinfecting, from its lines' states).
    Marks each line `can_pick`."""
    acts = transitions.actions(borrow.status, borrow.mode, role)
    lines = list(borrow.lines.all()) if lines is None else lines
    for line in lines:
        line.can_pick = Trigger.PICK in acts and LineTrigger.FOUND in transitions.line_actions(
            line.status, role
        )
    return {
        "can_pick": Trigger.PICK in acts,
        "can_disinfect": Trigger.DISINFECT in acts
        and any(LineTrigger.DISINFECT in transitions.line_actions(li.status, role) for li in lines),
        "can_stage": Trigger.STAGE in acts,
        "can_cancel": Trigger.CANCEL in acts,
        "can_dispatch": Trigger.DISPATCH in acts,
        "can_hand_over": Trigger.HANDOVER in acts,
    }
