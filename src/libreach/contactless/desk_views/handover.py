"""Handover by request number (typed or scanned) and pickup code."""

from __future__ import annotations

import re

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from libreach.accounts.desk import DESK_ROLES, desk_view
from libreach.contactless import selectors, services
from libreach.contactless.desk_views.common import (
    REFUSALS,
    _books,
    _library_request,
    _safe_next,
    offered_actions,
    refusal,
)
from libreach.contactless.models import LineStatus, Mode
from libreach.contactless.transitions import STAFF
from libreach.core import normalise
from libreach.core.errors import DomainError

# ASCII digits, at most nine: a longer number is no request and would overflow the id column.
QR_PREFIX = re.compile(r"^\s*libreach:request:(\d{1,9})(?::(\w+))?\s*$", re.ASCII)


def parse_request_ref(text: str) -> tuple[int | None, str]:
    """A request number as typed ("12", "#12", "１２") or scanned ("libreach:request:12:123456")."""
    text = normalise.typed_text(text)
    match = QR_PREFIX.match(text)
    if match:
        return int(match.group(1)), match.group(2) or ""
    digits = text.lstrip("#").strip()
    # isascii: str.isdigit also takes digits int() refuses (superscripts, other scripts).
    if digits.isascii() and digits.isdigit() and len(digits) < 10:
        return int(digits), ""
    return None, ""


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
        "can_hand_over": offered_actions(borrow, role)["can_hand_over"],
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
