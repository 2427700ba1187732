"""Staff desk pages of circulation: the quarantine board, and closures with bulk extension.

Views only translate: a form parses, a service decides, a DomainError becomes a message.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from libreach.accounts.desk import desk_view
from libreach.accounts.models import ReaderType
from libreach.catalog.models import Item
from libreach.circulation import closures, selectors, services
from libreach.consortium.models import Closure, Library
from libreach.core import inplace, lengths
from libreach.core.errors import BadRequest, DomainError, NotFound

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ClosureForm(forms.Form):
    start_date = forms.DateField(label=gettext_lazy("First closed day"), widget=DATE)
    end_date = forms.DateField(label=gettext_lazy("Last closed day"), widget=DATE)
    reason = lengths.form_field(Closure, "reason", label=gettext_lazy("Reason"), required=False)
    stops_counter_loans = forms.BooleanField(
        label=gettext_lazy("Stop over-the-counter loans"), required=False, initial=True
    )


class ExtensionForm(forms.Form):
    reader_type = forms.ChoiceField(
        label=gettext_lazy("Reader type"),
        choices=[("", gettext_lazy("All reader types")), *ReaderType.choices],
        required=False,
    )
    due_from = forms.DateField(label=gettext_lazy("Due from"), widget=DATE)
    due_to = forms.DateField(label=gettext_lazy("Due to"), widget=DATE)
    new_due_date = forms.DateField(label=gettext_lazy("New due date"), widget=DATE)


# --- quarantine -------------------------------------------------------------------


def _quarantine_count(request: HttpRequest, library: Library) -> dict:
    """The board's count, as a number (`left`) and as words (`count`)."""
    count = selectors.quarantined_items(library, by=request.user).order_by().count()
    return {"left": count, "count": _count_words(count)}


def _count_words(count: int) -> str:
    return ngettext("%(count)s book in quarantine", "%(count)s books in quarantine", count) % {
        "count": count
    }


def _quarantine_page(request: HttpRequest, library: Library, *, status: int = 200):
    items = selectors.quarantined_items(library, by=request.user)
    return render(
        request,
        "circulation/quarantine.html",
        {
            "library": library,
            "items": items,
            "hours": selectors.quarantine_hours(library),
            "count": _count_words(len(items)),
        },
        status=status,
    )


@desk_view()
def quarantine(request: HttpRequest, library: Library) -> HttpResponse:
    return _quarantine_page(request, library)


@require_POST
@desk_view()
def release(request: HttpRequest, library: Library, barcode: str) -> HttpResponse:
    """The board's button: back on the shelf now, even before the quarantine ends."""
    item = Item.objects.filter(library=library, barcode=barcode).select_related("record").first()
    if item is None:
        if inplace.requested(request):
            messages.error(request, _("This library has no copy with that barcode."))
            return inplace.fragment(request, "includes/messages_oob.html", status=404)
        raise Http404("No such item.")
    status = 200
    try:
        services.release_item(item=item, by=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
        status = error.status
    else:
        messages.success(request, _("%(barcode)s is back on the shelf.") % {"barcode": barcode})
    if inplace.requested(request):
        # The row stays, saying what became of the copy; the focus stays on it (all out
        # of band: the button posts with hx-swap="none").
        return inplace.fragment(
            request,
            "circulation/_quarantine_release.html",
            {
                "item": item,
                "library": library,
                "oob": True,
            }
            | _quarantine_count(request, library),
            status=status,
        )
    return redirect("desk:quarantine", lib=library.code)


@require_POST
@desk_view()
def quarantine_scan(request: HttpRequest, library: Library) -> HttpResponse:
    """The quarantine desk's scan box: a scanned copy whose quarantine is over goes back
    on the shelf; one still in quarantine, or not in quarantine here, is refused."""
    code = request.POST.get("scan", "").strip()[: lengths.max_length(Item, "barcode")]
    item, status = None, 200
    try:
        if not code:
            raise BadRequest(_("Scan or type a barcode."), code="no_barcode")
        item = services.release_scanned(library=library, barcode=code, by=request.user)
    except DomainError as error:
        text, status = _scan_refusal(error), error.status
    else:
        text = _("%(barcode)s is back on the shelf.") % {"barcode": item.barcode}
    if inplace.requested(request):
        return inplace.fragment(
            request,
            "circulation/_quarantine_scan.html",
            {
                "ok": item is not None,
                "text": text,
                "item": item,
            }
            | _quarantine_count(request, library),
            status=status,
        )
    if item is None:
        messages.error(request, text)
        return _quarantine_page(request, library, status=status)
    messages.success(request, text)
    return redirect("desk:quarantine", lib=library.code)


def _scan_refusal(error: DomainError) -> str:
    if error.code == "item_not_found":
        return _("This library has no copy with that barcode.")
    return error.detail


# --- closures and bulk extension ---------------------------------------------------


def _closures_page(
    request,
    library,
    *,
    closure_form=None,
    extension_form=None,
    preview=None,
    closure_preview=None,
    status=None,
):
    today = timezone.localdate()  # the library's date: its time zone is the site's
    listed = list(selectors.closures_of(library, by=request.user))
    for closure in listed:
        closure.state = closures.closure_state(closure, today)
        closure.starts_in = (closure.start_date - today).days
    if status is None:
        shown = preview is not None or closure_preview is not None
        status = 422 if (closure_form or extension_form) and not shown else 200
    return render(
        request,
        "circulation/closures.html",
        {
            "library": library,
            "closures": listed,
            "extensions": selectors.bulk_extensions_of(library, by=request.user)[:10],
            "closure_form": closure_form or ClosureForm(),
            "extension_form": extension_form or ExtensionForm(),
            "preview": preview,
            "closure_preview": closure_preview,
            "closure_preview_state": closure_preview
            and closures.closure_state(Closure(**_dates(closure_preview)), today),
        },
        status=status,
    )


def _dates(preview: closures.ClosurePreview) -> dict:
    return {"start_date": preview.start_date, "end_date": preview.end_date}


@desk_view()
def closures_page(request: HttpRequest, library: Library) -> HttpResponse:
    return _closures_page(request, library)


@require_POST
@desk_view()
def declare_closure(request: HttpRequest, library: Library) -> HttpResponse:
    """Preview first (any POST without action=apply): what would move, and where to.
    Apply carries the preview's digest and declares only if the loans it would move are
    still exactly those; else the new preview is shown instead (409)."""
    form = ClosureForm(request.POST)
    if not form.is_valid():
        return _closures_page(request, library, closure_form=form)
    args = {"library": library, "by": request.user, **form.cleaned_data}
    try:
        preview = closures.preview_closure(**args)
        if request.POST.get("action") != "apply":
            return _closures_page(request, library, closure_form=form, closure_preview=preview)
        if request.POST.get("previewed") != preview.digest:
            messages.warning(
                request,
                _(
                    "The loans due in these days have changed since the preview. "
                    "Check what will change now, then apply."
                ),
            )
            return _closures_page(
                request, library, closure_form=form, closure_preview=preview, status=409
            )
        closure = closures.declare_closure(**args)
    except DomainError as error:
        form.add_error(None, error.detail)
        return _closures_page(request, library, closure_form=form)
    # Synchronous, as in the API; the worker finishes a run a crash cuts short.
    moved = closures.apply_closure(closure=closure)
    messages.success(
        request,
        ngettext(
            "Closure declared; %(count)d loan re-dated.",
            "Closure declared; %(count)d loans re-dated.",
            moved,
        )
        % {"count": moved},
    )
    return redirect("desk:closures", lib=library.code)


@require_POST
@desk_view()
def lift_closure(request: HttpRequest, library: Library, closure_id: int) -> HttpResponse:
    try:
        closure = selectors.closure_of(library, closure_id, by=request.user)
    except NotFound:
        raise Http404("No such closure.") from None
    try:
        restored = closures.lift_closure(closure=closure, by=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(
            request,
            ngettext(
                "Closure lifted; %(count)d loan is due on its original date again.",
                "Closure lifted; %(count)d loans are due on their original dates again.",
                restored,
            )
            % {"count": restored},
        )
    return redirect("desk:closures", lib=library.code)


@require_POST
@desk_view()
def bulk_extension(request: HttpRequest, library: Library) -> HttpResponse:
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        return _closures_page(request, library, extension_form=form)
    args = {"library": library, "by": request.user, **form.cleaned_data}
    args["reader_type"] = args["reader_type"] or None
    try:
        if request.POST.get("action") != "apply":
            count = closures.preview_bulk_extension(**args)
            return _closures_page(request, library, extension_form=form, preview=count)
        count = closures.apply_bulk_extension(**args)
    except DomainError as error:
        form.add_error(None, error.detail)
        return _closures_page(request, library, extension_form=form)
    messages.success(
        request,
        ngettext(
            "%(count)d loan extended; its reader has been told.",
            "%(count)d loans extended; their readers have been told.",
            count,
        )
        % {"count": count},
    )
    return redirect("desk:closures", lib=library.code)
