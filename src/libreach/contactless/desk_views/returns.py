"""Returns to the desk: the copies a cancelled or expired request gave back from the hold
shelf or a delivery run, and checking them in by scan (released or quarantined).

The scan box answers in place (inplace.js sends each scan with HX-Request): the result,
the copy's row taken off the list and the running count; a plain post still redirects
with a message, so the page works without JavaScript."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from libreach.accounts.desk import desk_view
from libreach.catalog.models import Item, ItemStatus
from libreach.contactless import desk_selectors, services
from libreach.contactless.desk_views.common import refusal
from libreach.core import inplace, lengths
from libreach.core.errors import DomainError
from libreach.core.words import format_datetime


class CheckInForm(forms.Form):
    # `scan` is the scan box's name; `barcode` the form's before it, still taken (a page
    # left open in a browser over the upgrade posts it).
    scan = lengths.form_field(Item, "barcode", label=gettext_lazy("Barcode"), required=False)
    barcode = lengths.form_field(Item, "barcode", label=gettext_lazy("Barcode"), required=False)

    def clean(self):
        data = super().clean()
        code = (data.get("scan") or data.get("barcode") or "").strip()
        if not code and not self.errors:
            raise forms.ValidationError(_("Scan or type a barcode."), code="required")
        data["code"] = code
        return data


# The session's tally of check-ins, per library and day: the running count the desk sees.
TALLY_KEY = "returns_checked_in"


def _tally(request, library, *, add: int = 0) -> int:
    today = timezone.localdate().isoformat()
    tally = request.session.get(TALLY_KEY) or {}
    key = f"{library.code}:{today}"
    count = int(tally.get(key, 0)) + add
    if add:
        # Only today's entries are kept: the session does not grow day after day.
        request.session[TALLY_KEY] = {key: count}
    return count


def _count_text(done: int, waiting: int) -> str:
    return ngettext(
        "Checked in today: %(done)s · %(waiting)s book still waiting",
        "Checked in today: %(done)s · %(waiting)s books still waiting",
        waiting,
    ) % {"done": done, "waiting": waiting}


def _outcome(item: Item) -> str:
    if item.status == ItemStatus.QUARANTINED:
        return _("%(barcode)s checked in: quarantined until %(until)s.") % {
            "barcode": item.barcode,
            "until": format_datetime(item.quarantine_until),
        }
    return _("%(barcode)s checked in: back on the shelf.") % {"barcode": item.barcode}


@desk_view()
def returns(request, library):
    form = CheckInForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        item, text = None, ""
        if form.is_valid():
            try:
                item = services.check_in_returned(
                    library=library, barcode=form.cleaned_data["code"], by=request.user
                )
            except DomainError as error:
                text, status = refusal(error), error.status
            else:
                text = _outcome(item)
        else:
            text = " ".join(str(e) for errors in form.errors.values() for e in errors)
            status = 400
        done = _tally(request, library, add=1 if item else 0)
        if inplace.requested(request):
            # A scan never redirects: the answer, the copy's row off the list, the count.
            waiting = desk_selectors.awaiting_return_count(library)
            return inplace.fragment(
                request,
                "contactless/desk/_returns_scan.html",
                {
                    "ok": item is not None,
                    "text": text,
                    "item": item,
                    "waiting": waiting,
                    "count": _count_text(done, waiting),
                },
                status=status,
            )
        if item is not None:
            messages.success(request, text)
            return redirect("desk:returns", lib=library.code)
        if status != 400:
            messages.error(request, text)
    items = desk_selectors.awaiting_return(library)
    return render(
        request,
        "contactless/desk/returns.html",
        {
            "library": library,
            "form": form,
            "items": items,
            "count": _count_text(_tally(request, library), len(items)),
        },
        status=status,
    )
