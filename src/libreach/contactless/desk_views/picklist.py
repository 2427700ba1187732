"""The pick list, its printed slips (page and PDF), and marking a line found or not found."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from libreach.accounts.desk import desk_view
from libreach.contactless import desk_selectors, pdf, selectors, services
from libreach.contactless.desk_views.common import (
    _do,
    _library_request,
    _safe_next,
    _service_point,
    refusal,
)
from libreach.contactless.models import Mode, NotFoundReason
from libreach.core.errors import DomainError, NotFound


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
