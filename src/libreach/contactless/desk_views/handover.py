"""Handover: find the request (scanned QR, request number, the reader's card number,
pickup code or name), then check the pickup code (and a proxy's ID number) and lend."""

from __future__ import annotations

import re

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from libreach.accounts.desk import DESK_ROLES, desk_view
from libreach.contactless import desk_selectors, selectors, services
from libreach.contactless.desk_selectors import MatchedBy
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
from libreach.core import inplace, normalise
from libreach.core.errors import DomainError

# ASCII digits, at most nine: a longer number is no request and would overflow the id column.
QR_PREFIX = re.compile(r"^\s*libreach:request:(\d{1,9})(?::(\w+))?\s*$", re.ASCII)
# What the scan box takes (its maxlength): a QR's text, a card number, part of a name.
SCAN_MAX = 64


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


def _handover_context(library, user, ref: str, code: str = "", *, quiet: bool = False) -> dict:
    """The handover step of the request `ref` names. `error`: what to say when there is
    no such request (`quiet`: nothing, the lookup says it)."""
    context = {"library": library, "ref": ref, "code": code, "borrow": None, "error": ""}
    request_id, scanned = parse_request_ref(ref)
    if ref and request_id is None:
        context["error"] = _("Enter a request number, or scan the request's QR code.")
        return context
    if request_id is None:
        return context
    try:
        borrow, role = selectors.request_for(user, request_id)
    except DomainError:
        borrow = None
    if borrow is None or borrow.library_id != library.pk or role not in (STAFF, "volunteer"):
        if not quiet:
            context["error"] = str(REFUSALS["request_not_found"])
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


# What a lookup's row says it was found by.
MATCHED_BY = {
    MatchedBy.REQUEST: gettext_lazy("request number"),
    MatchedBy.PICKUP_CODE: gettext_lazy("pickup code"),
    MatchedBy.CARD: gettext_lazy("card number"),
    MatchedBy.NAME: gettext_lazy("reader's name"),
    MatchedBy.PROXY: gettext_lazy("proxy's name"),
}


def _match_rows(lookup: desk_selectors.HandoverLookup | None, borrow) -> list[dict]:
    return [
        {
            "match": match,
            "request": match.request,
            "found_by": [str(MATCHED_BY[key]) for key in match.matched_by],
            "current": borrow is not None and match.request.pk == borrow.pk,
            # Found by the code the reader gave: the handover step has it filled in.
            "code": match.request.pickup_code if MatchedBy.PICKUP_CODE in match.matched_by else "",
        }
        for match in (lookup.matches if lookup else [])
    ]


def _found(request, library, query: str, ref: str = "", code: str = "") -> dict:
    """What the desk finds for `query` (a scanned QR, a card number, a pickup code, a
    name, a request number) or the request `ref` names: the requests ready for handover
    it matches and, when one stands out, its handover step. `error` and `info` say what
    was not found."""
    lookup, quiet = None, False
    if query and QR_PREFIX.match(normalise.typed_text(query)):
        ref = ref or query  # a scanned QR names its request (and carries the code)
    elif query:
        lookup = desk_selectors.handover_lookup(request.user, library, query)
        if not ref and len(lookup.matches) == 1 and not lookup.more:
            # One request ready: straight to its handover step.
            (match,) = lookup.matches
            ref = str(match.request.pk)
            if MatchedBy.PICKUP_CODE in match.matched_by:
                code = code or match.request.pickup_code
        elif not ref and not lookup.matches:
            # Nothing ready: a request number still shows that request, whatever its state.
            request_id, _scanned = parse_request_ref(query)
            ref = "" if request_id is None else str(request_id)
            quiet = True
    context = _handover_context(library, request.user, ref, code, quiet=quiet)
    context["info"] = ""
    if lookup is not None and not lookup.matches and context["borrow"] is None:
        context["info"] = _("No request ready for handover here matches “%(query)s”.") % {
            "query": query
        }
    borrow = context["borrow"]
    rows = _match_rows(lookup, borrow)
    context |= {
        "query": query,
        "lookup": lookup,
        # One request found is opened at once; a list when there is a choice.
        "rows": rows if lookup and (len(rows) > 1 or lookup.more) else [],
        # Only a six-digit code ties the request to the person at the desk: say to check
        # their card (a code guessed at the door must not be enough).
        "check_card": any(row["current"] and row["match"].by_code_only for row in rows),
    }
    return context


def _focus(context: dict) -> str:
    """The first control the desk acts on next, given the focus when the step is swapped
    in: the pickup code (unless the QR brought it), a proxy's ID number, the button; with
    several requests and none chosen, the first one's choice; nothing to do, none."""
    if context.get("borrow") is None:
        return "row" if context.get("rows") else ""
    if not context.get("can_hand_over") or context.get("handed_over"):
        return ""
    if not context.get("code"):
        return "code"
    return "proxy_id" if context.get("is_proxy") else "submit"


@require_POST
@desk_view(DESK_ROLES)
def handover_scan(request, library):
    """The handover page's scan box: the reader's QR code, card number or pickup code (or
    a name, a request number) finds the request. In place, the step is swapped into the
    page with the focus on what comes next; without JavaScript, the page of that search."""
    query = normalise.typed_text(request.POST.get("scan", "")).strip()[:SCAN_MAX]
    if not inplace.requested(request):
        url = reverse("desk:handover", args=[library.code])
        return redirect(f"{url}?{urlencode({'q': query})}" if query else url)
    context = _found(request, library, query)
    borrow, rows = context["borrow"], context["rows"]
    status = 200
    if rows:
        ok = True
        text = ngettext(
            "%(count)s request ready for handover: choose one.",
            "%(count)s requests ready for handover: choose one.",
            len(rows),
        ) % {"count": len(rows)}
    elif borrow is not None:
        # Said by the template: the reader's name is marked with its language.
        text, ok = "", bool(context["can_hand_over"])
        if context["handed_over"]:
            context["note"] = _("Already handed over.")
        elif not ok:
            context["note"] = _("This request cannot be handed over now.")
    elif context["info"]:
        text, ok, status = "", False, 404
        context["not_found"] = query
    else:
        text = context["error"] or _("Scan or type a barcode.")
        ok, status = False, 404 if query else 400
    context |= {"ok": ok, "text": text, "focus": _focus(context)}
    return inplace.fragment(request, "contactless/desk/_handover_scan.html", context, status=status)


@desk_view(DESK_ROLES)
def handover(request, library):
    if request.method == "POST":
        return _hand_over(request, library)
    context = _found(
        request,
        library,
        request.GET.get("q", "").strip(),
        request.GET.get("request", "").strip(),
        request.GET.get("code", "").strip(),
    )
    if context["error"]:
        messages.error(request, context["error"])
    if context["info"]:
        messages.info(request, context["info"])
    if inplace.requested(request):
        # A row of the list chosen in place: its step, focused.
        context["focus"] = _focus(context)
        return inplace.fragment(request, "contactless/desk/_handover_found.html", context)
    return render(request, "contactless/desk/handover.html", context)


def _hand_over(request, library):
    """The pickup code (and a proxy's ID number) checked, every staged book lent. In
    place: the step swapped for its loans, and the focus back in the scan box for the
    next reader; a refusal shows the step again, focused on the code."""
    ref = request.POST.get("request", "")
    code = request.POST.get("pickup_code", "").strip()
    request_id, _scanned = parse_request_ref(ref)
    in_place = inplace.requested(request)
    if request_id is None:
        text = _("Enter a request number, or scan the request's QR code.")
        if in_place:
            context = {"ok": False, "text": text, "library": library, "borrow": None}
            return inplace.fragment(
                request, "contactless/desk/_handover_done.html", context, status=400
            )
        messages.error(request, text)
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
        context = _handover_context(library, request.user, str(request_id))
        if in_place:
            context |= {"ok": False, "text": refusal(error), "refused": refusal(error)}
            context["focus"] = "code"
            return inplace.fragment(
                request, "contactless/desk/_handover_done.html", context, status=error.status
            )
        messages.error(request, refusal(error))
        return render(request, "contactless/desk/handover.html", context, status=error.status)
    text = ngettext(
        "Request %(id)s handed over: %(count)s loan.",
        "Request %(id)s handed over: %(count)s loans.",
        len(loans),
    ) % {"id": request_id, "count": len(loans)}
    if in_place:
        context = _handover_context(library, request.user, str(request_id))
        context |= {"ok": True, "text": text}
        return inplace.fragment(request, "contactless/desk/_handover_done.html", context)
    messages.success(request, text)
    back = _safe_next(request, "")
    if back:
        return redirect(back)
    url = reverse("desk:handover", args=[library.code])
    return redirect(f"{url}?request={request_id}")
