"""The pick list, its printed slips (page and PDF), and marking a line found or not found:
by its row's buttons or by scanning the copy's barcode into the list's scan box.

A scan, or a row's button sent by htmx, is answered in place with a fragment of a few
hundred bytes: the outcome (naming the title, call number and request), the running count
and the row taken off the list, out of band. Without JavaScript the same forms post and
come back to the list with the outcome as a message."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from libreach.accounts.desk import desk_view
from libreach.contactless import desk_selectors, pdf, selectors, services
from libreach.contactless.desk_views.common import (
    _library_request,
    _safe_next,
    _service_point,
    refusal,
)
from libreach.contactless.desk_views.requests import SCAN_REFUSALS, found_text, request_work
from libreach.contactless.models import Mode, NotFoundReason
from libreach.core import inplace
from libreach.core.errors import DomainError, NotFound, RuleViolation


def _count_text(count: desk_selectors.PickCount) -> str:
    return _("found %(found)s of %(of)s") % {"found": count.found, "of": count.of}


def _picklist_url(library, point) -> str:
    url = reverse("desk:picklist", args=[library.code])
    return f"{url}?service_point={point.code}" if point else url


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
            "count": _count_text(desk_selectors.pick_count(library, point)),
            "scan_extra": format_html(
                '<input type="hidden" name="service_point" value="{}">', point.code
            )
            if point
            else "",
        },
    )


@require_POST
@desk_view()
def picklist_scan(request, library):
    """A barcode scanned into the pick list's scan box: its line is found."""
    points, point = _service_point(library, request.POST.get("service_point"))
    try:
        line = services.scan_found(
            library=library,
            barcode=request.POST.get("scan", ""),
            by=request.user,
            service_point=point,
        )
    except DomainError as error:
        text = error.detail if error.code in SCAN_REFUSALS else refusal(error)
        if inplace.requested(request):
            return _answer(request, library, point, None, text, status=error.status)
        messages.error(request, text)
    else:
        if inplace.requested(request):
            return _answer(request, library, point, line)
        messages.success(request, found_text(line))
    return redirect(_picklist_url(library, point))


def _answer(
    request,
    library,
    point,
    line,
    error: str = "",
    *,
    status: int = 200,
    missed: str = "",
):
    """The pick list's in-place answer: the outcome, the count, the row taken off."""
    count = desk_selectors.pick_count(library, point)
    return inplace.fragment(
        request,
        "contactless/desk/_picklist_answer.html",
        {
            "line": line,
            "call_number": line and (line.item.call_number or line.record.call_number),
            "error": error,
            "count": _count_text(count),
            "summary": count,
            "missed": missed,
        },
        status=status,
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
    rows = selectors.pick_slip_rows(slip, status="status")
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


def _line_answered(request, library, request_id: int, line=None, *, error=None, text="", missed=""):
    """After a row's Found / Not found: in place, the request page's work section
    (HX-Target request-work) or the pick list's answer; else a message and back."""
    if inplace.requested(request):
        if request.headers.get("HX-Target") == "request-work":
            if error is not None:
                messages.error(request, refusal(error))
            else:
                messages.success(request, text)
            return request_work(
                request, library, request_id, status=error.status if error is not None else 200
            )
        _points, point = _service_point(library, request.POST.get("service_point"))
        if error is not None:
            return _answer(request, library, point, None, refusal(error), status=error.status)
        return _answer(request, library, point, line, missed=missed)
    if error is not None:
        messages.error(request, refusal(error))
    else:
        messages.success(request, text)
    return redirect(_safe_next(request, reverse("desk:request", args=[library.code, request_id])))


@require_POST
@desk_view()
def line_found(request, library, request_id: int, line_id: int):
    _library_request(request.user, library, request_id)
    barcode = request.POST.get("barcode", "").strip() or None
    try:
        line = services.mark_found(
            request_id=request_id, line_id=line_id, by=request.user, barcode=barcode
        )
    except DomainError as error:
        return _line_answered(request, library, request_id, error=error)
    return _line_answered(
        request,
        library,
        request_id,
        line,
        text=_("Request %(id)s: marked found.") % {"id": request_id},
    )


@require_POST
@desk_view()
def line_not_found(request, library, request_id: int, line_id: int):
    _library_request(request.user, library, request_id)
    reason = request.POST.get("reason", "")
    if reason not in NotFoundReason.values:
        error = RuleViolation(_("Choose why the book was not found."), code="invalid_reason")
        return _line_answered(request, library, request_id, error=error)
    try:
        line = services.mark_not_found(
            request_id=request_id, line_id=line_id, by=request.user, reason=reason
        )
    except DomainError as error:
        return _line_answered(request, library, request_id, error=error)
    label = NotFoundReason(reason).label
    return _line_answered(
        request,
        library,
        request_id,
        line,
        missed=label,
        text=_("Request %(id)s: marked not found (%(reason)s).")
        % {"id": request_id, "reason": label},
    )
