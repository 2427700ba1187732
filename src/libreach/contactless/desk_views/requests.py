"""The requests list by state, one request's page, and what staff do with it:
disinfect, stage, cancel, dispatch."""

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
    _do,
    _library_request,
    _safe_next,
    offered_actions,
)
from libreach.contactless.models import (
    CLOSED_REQUEST_STATES,
    PICKUP_MODES,
    DisinfectionMethod,
    NotFoundReason,
    RequestStatus,
    event_label,
)

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


@require_GET
@desk_view()
def request_detail(request, library, request_id: int):
    borrow, role = _library_request(request.user, library, request_id)
    lines = list(borrow.lines.all())
    history = list(borrow.history.all())
    for event in history:
        event.label = event_label(event.event)
        event.note_label = events.desk_detail(event)
    return render(
        request,
        "contactless/desk/request.html",
        {
            "library": library,
            "borrow": borrow,
            "lines": lines,
            "history": history,
            "disinfections": list(borrow.disinfections.all()),
            "reasons": NotFoundReason.choices,
            "methods": DisinfectionMethod.choices,
            **offered_actions(borrow, role, lines),
            "is_pickup": borrow.mode in PICKUP_MODES,
        },
    )


@require_POST
@desk_view()
def disinfect(request, library, request_id: int):
    _library_request(request.user, library, request_id)
    form = DisinfectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a method and give the minutes (1 to 20160)."))
    else:
        method, minutes = form.cleaned_data["method"], form.cleaned_data["minutes"]
        _do(
            request,
            lambda: services.disinfect(
                request_id=request_id, by=request.user, method=method, minutes=minutes
            ),
            _("Disinfection recorded: %(method)s, %(minutes)s min.")
            % {"method": DisinfectionMethod(method).label, "minutes": minutes},
        )
    return _back_to_request(library, request_id)


@require_POST
@desk_view()
def stage(request, library, request_id: int):
    _library_request(request.user, library, request_id)
    # Too long is the service's refusal (a message), never cut to fit.
    shelf_slot = request.POST.get("shelf_slot", "").strip() or None
    _do(
        request,
        lambda: services.stage(request_id=request_id, by=request.user, shelf_slot=shelf_slot),
        _("Request %(id)s is staged and ready.") % {"id": request_id},
    )
    return _back_to_request(library, request_id)


@require_POST
@desk_view()
def cancel(request, library, request_id: int):
    _library_request(request.user, library, request_id)
    _do(
        request,
        lambda: services.cancel_request(request_id=request_id, by=request.user),
        _(
            "Request %(id)s is cancelled. Books that were staged or out for delivery come "
            "back through Returns to the desk."
        )
        % {"id": request_id},
    )
    return _back_to_request(library, request_id)


@require_POST
@desk_view(DESK_ROLES)
def dispatch(request, library, request_id: int):
    _library_request(request.user, library, request_id)
    _do(
        request,
        lambda: services.dispatch(request_id=request_id, by=request.user),
        _("Request %(id)s is out for delivery.") % {"id": request_id},
    )
    default = (
        reverse("desk:runs", args=[library.code])
        if request.is_volunteer_only
        else reverse("desk:request", args=[library.code, request_id])
    )
    return redirect(_safe_next(request, default))
