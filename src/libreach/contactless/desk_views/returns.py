"""Returns to the desk: the copies a cancelled or expired request gave back from the hold
shelf or a delivery run, and checking them in by barcode (released or quarantined)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from libreach.accounts.desk import desk_view
from libreach.catalog.models import Item, ItemStatus
from libreach.contactless import desk_selectors, services
from libreach.contactless.desk_views.common import refusal
from libreach.core import lengths
from libreach.core.errors import DomainError
from libreach.core.words import format_datetime


class CheckInForm(forms.Form):
    barcode = lengths.form_field(Item, "barcode", label=gettext_lazy("Barcode"))


@desk_view()
def returns(request, library):
    form = CheckInForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                item = services.check_in_returned(
                    library=library, barcode=form.cleaned_data["barcode"], by=request.user
                )
            except DomainError as error:
                messages.error(request, refusal(error))
                status = error.status
            else:
                if item.status == ItemStatus.QUARANTINED:
                    text = _("%(barcode)s checked in: quarantined until %(until)s.") % {
                        "barcode": item.barcode,
                        "until": format_datetime(item.quarantine_until),
                    }
                else:
                    text = _("%(barcode)s checked in: back on the shelf.") % {
                        "barcode": item.barcode
                    }
                messages.success(request, text)
                return redirect("desk:returns", lib=library.code)
        else:
            status = 400
    return render(
        request,
        "contactless/desk/returns.html",
        {"library": library, "form": form, "items": desk_selectors.awaiting_return(library)},
        status=status,
    )
