"""Staff desk pages of contactless borrowing (`/desk/<lib>/…`): the pick list and its
printed slips, requests and what staff do with them, delivery runs with their route
sheets, handover by pickup code, and the statistics.

Views only translate: they parse the form, call a service or a selector, and render or
redirect. A service's refusal (DomainError) becomes a message and changes nothing.
Volunteers open only the runs given to them and the handover page (`DESK_ROLES`);
every other page is for staff.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from libreach.accounts.desk import DESK_ROLES, desk_view
from libreach.consortium.selectors import buildings_of, service_points_of
from libreach.contactless import charts, desk_selectors, pdf, selectors, services
from libreach.contactless.models import (
    CLOSED_REQUEST_STATES,
    PICKUP_MODES,
    DeliveryRun,
    DisinfectionMethod,
    LineStatus,
    Mode,
    NotFoundReason,
    RequestLine,
    RequestStatus,
)
from libreach.contactless.transitions import STAFF
from libreach.core.errors import DomainError, NotFound

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
}

TABS = (
    ("to_pick", gettext_lazy("To pick"), (RequestStatus.SUBMITTED,)),
    ("picking", gettext_lazy("Picking"), (RequestStatus.PICKING,)),
    ("ready", gettext_lazy("Ready"), (RequestStatus.READY,)),
    ("out", gettext_lazy("Out for delivery"), (RequestStatus.OUT_FOR_DELIVERY,)),
    ("awaiting", gettext_lazy("Awaiting pickup"), (RequestStatus.AWAITING_PICKUP,)),
    ("closed", gettext_lazy("Closed"), CLOSED_REQUEST_STATES),
)
EVENTS = {
    "submitted": gettext_lazy("Submitted"),
    "slot_booked": gettext_lazy("Pickup slot booked"),
    "picking": gettext_lazy("Picking started"),
    "line_found": gettext_lazy("Book found"),
    "line_not_found": gettext_lazy("Book not found"),
    "disinfected": gettext_lazy("Disinfected"),
    "ready": gettext_lazy("Staged, ready"),
    "reader_notified": gettext_lazy("Reader notified"),
    "out_for_delivery": gettext_lazy("Out for delivery"),
    "delivered": gettext_lazy("Delivered"),
    "collected": gettext_lazy("Collected"),
    "cancelled": gettext_lazy("Cancelled"),
    "unfilled": gettext_lazy("Unfilled: no book found"),
    "expired": gettext_lazy("Expired: not collected in time"),
}
PAGE_SIZE = 50
QR_PREFIX = re.compile(r"^\s*libreach:request:(\d+)(?::(\w+))?\s*$")


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


# --- pick list and pick slips ---------------------------------------------------------------


@require_GET
@desk_view()
def pick_list(request, library):
    points, point = _service_point(library, request.GET.get("service_point"))
    rows = selectors.pick_list_lines(library, point)
    printed = desk_selectors.printed_lines([row["line"] for row in rows])
    for row in rows:
        row["printed"] = printed.get(row["line"])
        row["mode_label"] = Mode(row["mode"]).label
    return render(
        request,
        "contactless/desk/picklist.html",
        {
            "library": library,
            "points": points,
            "point": point,
            "rows": rows,
            "unprinted": sum(1 for row in rows if row["printed"] is None),
            "reasons": NotFoundReason.choices,
            "slips": desk_selectors.recent_pick_slips(library),
            "here": request.get_full_path(),
        },
    )


@require_POST
@desk_view()
def print_pick_slip(request, library):
    points, point = _service_point(library, request.POST.get("service_point"))
    try:
        slip = services.print_pick_slip(library=library, by=request.user, service_point=point)
    except DomainError as error:
        messages.error(request, refusal(error))
        url = reverse("desk:picklist", args=[library.code])
        return redirect(f"{url}?service_point={point.code}" if point else url)
    return redirect("desk:pick_slip", lib=library.code, slip_id=slip.pk)


def _slip_context(library, slip_id: int) -> dict:
    try:
        slip = desk_selectors.pick_slip(library, slip_id)
    except NotFound:
        raise Http404("No such pick slip.") from None
    rows = desk_selectors.pick_slip_lines(slip)
    for row in rows:
        row["mode_label"] = Mode(row["mode"]).label
    return {"library": library, "slip": slip, "rows": rows}


@require_GET
@desk_view()
def pick_slip(request, library, slip_id: int):
    return render(request, "contactless/desk/pick_slip.html", _slip_context(library, slip_id))


@require_GET
@desk_view()
def pick_slip_pdf(request, library, slip_id: int):
    context = {**_slip_context(library, slip_id), "for_pdf": True}
    html = render_to_string("contactless/desk/pick_slip.html", context, request=request)
    response = HttpResponse(pdf.html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pick-slip-{library.code}-{slip_id}.pdf"'
    return response


# --- picking a line --------------------------------------------------------------------------


@require_POST
@desk_view()
def line_found(request, library, request_id: int, line_id: int):
    _library_request(request.user, library, request_id)
    barcode = request.POST.get("barcode", "").strip() or None
    _do(
        request,
        lambda: services.mark_found(
            request_id=request_id, line_id=line_id, by=request.user, barcode=barcode
        ),
        _("Request %(id)s: marked found.") % {"id": request_id},
    )
    return redirect(_safe_next(request, reverse("desk:request", args=[library.code, request_id])))


@require_POST
@desk_view()
def line_not_found(request, library, request_id: int, line_id: int):
    _library_request(request.user, library, request_id)
    reason = request.POST.get("reason", "")
    if reason not in NotFoundReason.values:
        messages.error(request, _("Choose why the book was not found."))
    else:
        _do(
            request,
            lambda: services.mark_not_found(
                request_id=request_id, line_id=line_id, by=request.user, reason=reason
            ),
            _("Request %(id)s: marked not found (%(reason)s).")
            % {"id": request_id, "reason": NotFoundReason(reason).label},
        )
    return redirect(_safe_next(request, reverse("desk:request", args=[library.code, request_id])))


# --- requests ------------------------------------------------------------------------------


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
    borrow, _role = _library_request(request.user, library, request_id)
    lines = list(borrow.lines.all())
    history = list(borrow.history.all())
    for event in history:
        event.label = EVENTS.get(event.event, event.event)
        event.note_label = _event_note(event)
    return render(
        request,
        "contactless/desk/request.html",
        {
            "library": library,
            "borrow": borrow,
            "lines": lines,
            "history": history,
            "can_pick": borrow.status in (RequestStatus.SUBMITTED, RequestStatus.PICKING),
            "disinfections": list(borrow.disinfections.all()),
            "reasons": NotFoundReason.choices,
            "methods": DisinfectionMethod.choices,
            "can_disinfect": borrow.status == RequestStatus.PICKING
            and any(line.status == LineStatus.FOUND for line in lines),
            "can_stage": borrow.status == RequestStatus.PICKING,
            "can_cancel": borrow.status
            in (
                RequestStatus.SUBMITTED,
                RequestStatus.PICKING,
                RequestStatus.READY,
                RequestStatus.AWAITING_PICKUP,
                RequestStatus.OUT_FOR_DELIVERY,
            ),
            "can_dispatch": borrow.mode == Mode.DELIVERY and borrow.status == RequestStatus.READY,
            "can_hand_over": borrow.status
            in (
                RequestStatus.OUT_FOR_DELIVERY,
                RequestStatus.AWAITING_PICKUP,
                RequestStatus.READY,
            )
            and (borrow.mode in PICKUP_MODES or borrow.status == RequestStatus.OUT_FOR_DELIVERY),
            "is_pickup": borrow.mode in PICKUP_MODES,
        },
    )


def _event_note(event) -> str:
    """The event's note in words: a not-found reason, a disinfection, a run."""
    if event.event == "line_not_found" and event.note in NotFoundReason.values:
        return str(NotFoundReason(event.note).label)
    if event.event == "disinfected":
        method, _space, rest = event.note.partition(" ")
        if method in DisinfectionMethod.values:
            minutes = rest.removesuffix(" min")
            return _("%(method)s, %(minutes)s min") % {
                "method": DisinfectionMethod(method).label,
                "minutes": minutes,
            }
    if event.event == "out_for_delivery" and event.note.startswith("run "):
        return ""
    return event.note


def _back_to_request(library, request_id: int):
    return redirect("desk:request", lib=library.code, request_id=request_id)


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
    shelf_slot = request.POST.get("shelf_slot", "").strip()[:32] or None
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
        _("Request %(id)s is cancelled; its books are back on the shelf.") % {"id": request_id},
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


# --- delivery runs -------------------------------------------------------------------------


@require_GET
@desk_view(DESK_ROLES)
def run_list(request, library):
    runs = selectors.runs_visible_to(request.user, library).prefetch_related("requests")[:100]
    context = {"library": library, "runs": runs}
    if not request.is_volunteer_only:
        context |= {
            "buildings": desk_selectors.ready_delivery_buildings(library),
            "assignees": desk_selectors.run_assignees(library),
            "today": timezone.localdate(),
        }
    return render(request, "contactless/desk/runs.html", context)


@require_POST
@desk_view()
def run_create(request, library):
    known = {b.code for b in buildings_of(library)}
    codes = [code for code in request.POST.getlist("building") if code in known]
    assignee = None
    if request.POST.get("assignee"):
        assignee = desk_selectors.run_assignees(library).filter(pk=request.POST["assignee"]).first()
        if assignee is None:
            messages.error(request, str(REFUSALS["invalid_assignee"]))
            return redirect("desk:runs", lib=library.code)
    try:
        run = services.create_run(
            library=library, by=request.user, building_codes=codes or None, assignee=assignee
        )
    except DomainError as error:
        messages.error(request, refusal(error))
        return redirect("desk:runs", lib=library.code)
    messages.success(
        request,
        _("Run %(number)s of %(date)s created.")
        % {"number": run.number, "date": run.run_date.isoformat()},
    )
    return redirect("desk:run", lib=library.code, run_id=run.pk)


def _library_run(request, library, run_id: int) -> DeliveryRun:
    try:
        run = selectors.run_for(request.user, run_id)
    except DomainError:
        raise Http404("No such delivery run.") from None
    if run.library_id != library.pk:
        raise Http404("No such delivery run.")
    return run


def _books(borrow) -> list[RequestLine]:
    """The books that travel with a request: those found and not given back."""
    return [
        line
        for line in borrow.lines.all()
        if line.status
        in (LineStatus.FOUND, LineStatus.DISINFECTED, LineStatus.STAGED, LineStatus.HANDED_OVER)
    ]


@require_GET
@desk_view(DESK_ROLES)
def run_detail(request, library, run_id: int):
    run = _library_run(request, library, run_id)
    stops = selectors.route_sheet(run)
    for stop in stops:
        for borrow in stop["requests"]:
            borrow.books = _books(borrow)
    return render(
        request,
        "contactless/desk/run.html",
        {
            "library": library,
            "run": run,
            "stops": stops,
            "can_dispatch": any(
                b.status == RequestStatus.READY for stop in stops for b in stop["requests"]
            ),
        },
    )


@require_POST
@desk_view(DESK_ROLES)
def run_dispatch(request, library, run_id: int):
    run = _library_run(request, library, run_id)
    try:
        count = services.dispatch_run(run_id=run.pk, by=request.user)
    except DomainError as error:
        messages.error(request, refusal(error))
    else:
        messages.success(
            request, _("%(count)s request(s) are out for delivery.") % {"count": count}
        )
    return redirect("desk:run", lib=library.code, run_id=run.pk)


# --- handover ------------------------------------------------------------------------------


def parse_request_ref(text: str) -> tuple[int | None, str]:
    """A request number as typed ("12", "#12") or scanned ("libreach:request:12:123456")."""
    match = QR_PREFIX.match(text or "")
    if match:
        return int(match.group(1)), match.group(2) or ""
    digits = (text or "").strip().lstrip("#").strip()
    return (int(digits), "") if digits.isdigit() and len(digits) < 10 else (None, "")


def _handover_context(request, library, ref: str, code: str = "") -> dict:
    context = {"library": library, "ref": ref, "code": code, "borrow": None}
    request_id, scanned = parse_request_ref(ref)
    if ref and request_id is None:
        messages.error(request, _("Enter a request number, or scan the request's QR code."))
        return context
    if request_id is None:
        return context
    try:
        borrow, role = selectors.request_for(request.user, request_id)
    except DomainError:
        borrow = None
    if borrow is None or borrow.library_id != library.pk or role not in (STAFF, "volunteer"):
        messages.error(request, str(REFUSALS["request_not_found"]))
        return context
    context |= {
        "borrow": borrow,
        "code": code or scanned,
        "books": _books(borrow),
        "is_proxy": borrow.mode == Mode.PROXY,
        "can_hand_over": borrow.status
        in (RequestStatus.OUT_FOR_DELIVERY, RequestStatus.AWAITING_PICKUP, RequestStatus.READY)
        and (borrow.mode in PICKUP_MODES or borrow.status == RequestStatus.OUT_FOR_DELIVERY),
        "handed_over": [
            line for line in borrow.lines.all() if line.status == LineStatus.HANDED_OVER
        ],
    }
    return context


@desk_view(DESK_ROLES)
def handover(request, library):
    if request.method == "POST":
        ref = request.POST.get("request", "")
        code = request.POST.get("pickup_code", "").strip()
        request_id, _scanned = parse_request_ref(ref)
        if request_id is None:
            messages.error(request, _("Enter a request number, or scan the request's QR code."))
            return redirect("desk:handover", lib=library.code)
        _library_request(request.user, library, request_id)
        try:
            loans = services.handover(
                request_id=request_id,
                by=request.user,
                pickup_code=code,
                proxy_id_number=request.POST.get("proxy_id_number", "").strip() or None,
            )
        except DomainError as error:
            # Shown on the same form (the number stays filled in); nothing was lent.
            messages.error(request, refusal(error))
            context = _handover_context(request, library, str(request_id))
            return render(request, "contactless/desk/handover.html", context, status=error.status)
        messages.success(
            request,
            _("Request %(id)s handed over: %(count)s loan(s).")
            % {"id": request_id, "count": len(loans)},
        )
        back = _safe_next(request, "")
        if back:
            return redirect(back)
        url = reverse("desk:handover", args=[library.code])
        return redirect(f"{url}?request={request_id}")
    ref = request.GET.get("request", "").strip()
    context = _handover_context(request, library, ref, request.GET.get("code", "").strip())
    return render(request, "contactless/desk/handover.html", context)


# --- statistics ----------------------------------------------------------------------------


class StatsForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"))
    end = forms.DateField(label=gettext_lazy("To"))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(gettext_lazy("'To' is before 'From'."))
        return data


FIGURE_LABELS = (
    ("requests", gettext_lazy("Requests")),
    ("readers", gettext_lazy("Readers")),
    ("titles_requested", gettext_lazy("Titles requested")),
    ("volumes_requested", gettext_lazy("Volumes requested")),
    ("fulfilled_requests", gettext_lazy("Fulfilled requests")),
    ("readers_served", gettext_lazy("Readers served")),
    ("titles_fulfilled", gettext_lazy("Titles fulfilled")),
    ("volumes_fulfilled", gettext_lazy("Volumes fulfilled")),
)


def _this_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


@require_GET
@desk_view()
def stats(request, library):
    start, end = _this_month(timezone.localdate())
    form = StatsForm(request.GET or {"start": start, "end": end})
    figures = chart = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        figures = selectors.contactless_stats(library, start, end)
        modes = [(Mode(mode).label, values) for mode, values in figures["by_mode"].items()]
        chart = charts.requested_vs_fulfilled_svg(
            categories=[label for label, _values in modes],
            requested=[values["volumes_requested"] for _label, values in modes],
            fulfilled=[values["volumes_fulfilled"] for _label, values in modes],
            labels=(_("Volumes requested"), _("Volumes fulfilled")),
            title=_("Volumes by mode"),
        )
        figures["overall"] = [(label, figures[key]) for key, label in FIGURE_LABELS]
        figures["modes"] = [
            (label, [values[key] for key, _label in FIGURE_LABELS]) for label, values in modes
        ]
        figures["buildings"] = [
            (name, [values[key] for key, _label in FIGURE_LABELS])
            for name, values in figures["by_building"].items()
        ]
        figures["reasons"] = [
            (NotFoundReason(reason).label if reason in NotFoundReason.values else reason, count)
            for reason, count in figures["not_found_by_reason"].items()
        ]
        if figures["not_found_rate"] is not None:
            figures["not_found_percent"] = round(figures["not_found_rate"] * 100, 1)
    return render(
        request,
        "contactless/desk/stats.html",
        {
            "library": library,
            "form": form,
            "figures": figures,
            "chart": chart,
            "headings": [label for _key, label in FIGURE_LABELS],
        },
    )
