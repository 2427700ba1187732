"""The requests list by state, one request's page, and what staff do with it:
disinfect, stage, cancel, dispatch, and scan its books found. Sent by htmx, each action
is answered in place with the page's work section (books, disinfection, next step) and
its outcome announced; without JavaScript it posts and redirects back to the page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from libreach.accounts.desk import DESK_ROLES, desk_view
from libreach.contactless import desk_selectors, events, selectors, services
from libreach.contactless.desk_views.common import (
    _back_to_request,
    _library_request,
    _safe_next,
    offered_actions,
    refusal,
)
from libreach.contactless.models import (
    CLOSED_REQUEST_STATES,
    PICKUP_MODES,
    DisinfectionMethod,
    NotFoundReason,
    RequestStatus,
    event_label,
)
from libreach.core import inplace, words
from libreach.core.errors import DomainError

TABS = (
    ("to_pick", gettext_lazy("To pick"), (RequestStatus.SUBMITTED,)),
    ("picking", gettext_lazy("Picking"), (RequestStatus.PICKING,)),
    ("ready", RequestStatus.READY.label, (RequestStatus.READY,)),
    ("out", RequestStatus.OUT_FOR_DELIVERY.label, (RequestStatus.OUT_FOR_DELIVERY,)),
    ("awaiting", RequestStatus.AWAITING_PICKUP.label, (RequestStatus.AWAITING_PICKUP,)),
    ("closed", pgettext_lazy("requests that need nothing more", "Closed"), CLOSED_REQUEST_STATES),
)


PAGE_SIZE = 50


@require_GET
@desk_view()
def request_list(request, library):
    tab = next((t for t in TABS if t[0] == request.GET.get("tab")), TABS[0])
    counts = desk_selectors.status_counts(library)
    requests = selectors.requests_of_library(library)
    if tab[0] == "closed":
        requests = desk_selectors.closed_requests(requests)
    else:
        requests = requests.filter(status__in=tab[2])
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "contactless/desk/requests.html",
        {
            "library": library,
            "tabs": [
                {"key": key, "label": label, "count": sum(counts.get(s, 0) for s in states)}
                for key, label, states in TABS
            ],
            "tab": tab[0],
            "page": page,
        },
    )


class DisinfectForm(forms.Form):
    method = forms.ChoiceField(choices=DisinfectionMethod.choices)
    minutes = forms.IntegerField(min_value=1, max_value=24 * 60 * 14)


def _detail_context(request, library, request_id: int) -> dict:
    borrow, role = _library_request(request.user, library, request_id)
    lines = list(borrow.lines.all())
    actions = offered_actions(borrow, role, lines)
    return {
        "library": library,
        "borrow": borrow,
        "lines": lines,
        "disinfections": list(borrow.disinfections.all()),
        "reasons": NotFoundReason.choices,
        "methods": DisinfectionMethod.choices,
        **actions,
        "focus_after": _next_focus(lines, actions),
        "is_pickup": borrow.mode in PICKUP_MODES,
    }


def _next_focus(lines, actions: dict[str, bool]) -> str:
    """What a keyboard user most likely wants after an action answered in place took away
    the button they pressed: the next line to pick (marked `focus_after`), else the next
    step."""
    line = next((line for line in lines if line.can_pick), None)
    if line is not None:
        line.focus_after = True
        return "line"
    return next(
        (action for action in ("disinfect", "stage", "dispatch") if actions[f"can_{action}"]),
        "heading",
    )


@require_GET
@desk_view()
def request_detail(request, library, request_id: int):
    context = _detail_context(request, library, request_id)
    history = list(context["borrow"].history.all())
    for event in history:
        event.label = event_label(event.event)
        event.note_label = events.desk_detail(event)
    return render(request, "contactless/desk/request.html", {**context, "history": history})


def request_work(request, library, request_id: int, *, status: int = 200):
    """The request page's work section (books, disinfection, next step) and its status,
    for an action answered in place; the action's outcome is in `messages`."""
    return inplace.fragment(
        request,
        "contactless/desk/_request_answer.html",
        _detail_context(request, library, request_id),
        status=status,
    )


def _run(request, action, success: str) -> int:
    """Run a service call; its outcome becomes a message. The answer's status: 200, or
    the refusal's."""
    try:
        action()
    except DomainError as error:
        messages.error(request, refusal(error))
        return error.status
    messages.success(request, success)
    return 200


def _answered(request, library, request_id: int, status: int):
    if inplace.requested(request):
        return request_work(request, library, request_id, status=status)
    return _back_to_request(library, request_id)


# Refusals of a scan that name the barcode scanned: the desk sees which scan it was.
SCAN_REFUSALS = {"item_not_found", "not_on_pick_list", "already_found", "invalid_barcode"}


def found_text(line) -> str:
    """A scanned line found, as a message: title, call number, request and queue number."""
    return _("Found %(title)s · %(call_number)s · request %(id)s, No. %(n)s") % {
        "title": words.quoted_title(line.record.title),
        "call_number": line.item.call_number or line.record.call_number or "—",
        "id": line.request_id,
        "n": line.request.queue_number,
    }


@require_POST
@desk_view()
def request_scan(request, library, request_id: int):
    """A barcode scanned on a request's page: the line of this request holding that copy
    is found (or, for a record-level line, the copy is taken for it)."""
    borrow, _role = _library_request(request.user, library, request_id)
    try:
        line = services.scan_found(
            library=library,
            barcode=request.POST.get("scan", ""),
            by=request.user,
            request_id=borrow.pk,
        )
    except DomainError as error:
        text = error.detail if error.code in SCAN_REFUSALS else refusal(error)
        if inplace.requested(request):
            return inplace.fragment(
                request,
                "contactless/desk/_request_scan.html",
                {"error": text},
                status=error.status,
            )
        messages.error(request, text)
        return _back_to_request(library, request_id)
    if inplace.requested(request):
        context = _detail_context(request, library, request_id)
        return inplace.fragment(
            request,
            "contactless/desk/_request_scan.html",
            {
                **context,
                "line": line,
                "call_number": line.item.call_number or line.record.call_number,
            },
        )
    messages.success(request, found_text(line))
    return _back_to_request(library, request_id)


@require_POST
@desk_view()
def disinfect(request, library, request_id: int):
    _library_request(request.user, library, request_id)
    form = DisinfectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a method and give the minutes (1 to 20160)."))
        return _answered(request, library, request_id, 422)
    method, minutes = form.cleaned_data["method"], form.cleaned_data["minutes"]
    status = _run(
        request,
        lambda: services.disinfect(
            request_id=request_id, by=request.user, method=method, minutes=minutes
        ),
        _("Disinfection recorded: %(method)s, %(minutes)s min.")
        % {"method": DisinfectionMethod(method).label, "minutes": minutes},
    )
    return _answered(request, library, request_id, status)


@require_POST
@desk_view()
def stage(request, library, request_id: int):
    _library_request(request.user, library, request_id)
    # Too long is the service's refusal (a message), never cut to fit.
    shelf_slot = request.POST.get("shelf_slot", "").strip() or None
    status = _run(
        request,
        lambda: services.stage(request_id=request_id, by=request.user, shelf_slot=shelf_slot),
        _("Request %(id)s is staged and ready.") % {"id": request_id},
    )
    return _answered(request, library, request_id, status)


@require_POST
@desk_view()
def cancel(request, library, request_id: int):
    _library_request(request.user, library, request_id)
    status = _run(
        request,
        lambda: services.cancel_request(request_id=request_id, by=request.user),
        _(
            "Request %(id)s is cancelled. Books that were staged or out for delivery come "
            "back through Returns to the desk."
        )
        % {"id": request_id},
    )
    return _answered(request, library, request_id, status)


@require_POST
@desk_view(DESK_ROLES)
def dispatch(request, library, request_id: int):
    _library_request(request.user, library, request_id)
    status = _run(
        request,
        lambda: services.dispatch(request_id=request_id, by=request.user),
        _("Request %(id)s is out for delivery.") % {"id": request_id},
    )
    # In place only for the request's own page; a run's page gets its redirect.
    if inplace.requested(request) and request.headers.get("HX-Target") == "request-work":
        return request_work(request, library, request_id, status=status)
    default = (
        reverse("desk:runs", args=[library.code])
        if request.is_volunteer_only
        else reverse("desk:request", args=[library.code, request_id])
    )
    return redirect(_safe_next(request, default))
