"""Delivery runs: the list, a new run, the run's page, its printed route sheet (page and
PDF), dispatching a run."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from libreach.accounts.desk import DESK_ROLES, desk_view
from libreach.accounts.selectors import is_staff_of
from libreach.consortium.selectors import buildings_of
from libreach.contactless import desk_selectors, pdf, selectors, services, transitions
from libreach.contactless.desk_views.common import REFUSALS, _books, _safe_next, refusal
from libreach.contactless.models import DeliveryRun, RequestStatus
from libreach.contactless.transitions import STAFF, VOLUNTEER, Trigger
from libreach.core import inplace
from libreach.core.errors import DomainError
from libreach.core.words import format_date


def _can_dispatch(run: DeliveryRun) -> bool:
    """A planned run with a ready request (its requests prefetched): the list offers to
    dispatch it."""
    return run.status == DeliveryRun.Status.PLANNED and any(
        r.status == RequestStatus.READY for r in run.requests.all()
    )


@require_GET
@desk_view(DESK_ROLES)
def run_list(request, library):
    runs = list(selectors.runs_visible_to(request.user, library).prefetch_related("requests")[:100])
    for run in runs:
        run.can_dispatch = _can_dispatch(run)
    context = {"library": library, "runs": runs}
    if not request.is_volunteer_only:
        context |= {
            "buildings": desk_selectors.ready_delivery_buildings(library),
            "assignees": desk_selectors.run_assignees(library),
            "today": timezone.localdate(),
        }
    return render(request, "contactless/desk/runs.html", context)


class RunForm(forms.Form):
    """A new run: the buildings to serve (none: all) and who delivers it (optional)."""

    building = forms.MultipleChoiceField(required=False)
    assignee = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, library, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = [(b.code, b.name) for b in buildings_of(library)]
        self.fields["assignee"].queryset = desk_selectors.run_assignees(library)


@require_POST
@desk_view()
def run_create(request, library):
    form = RunForm(request.POST, library=library)
    if not form.is_valid():
        if "assignee" in form.errors:
            messages.error(request, str(REFUSALS["invalid_assignee"]))
        else:
            messages.error(request, _("Choose the buildings from the list."))
        return redirect("desk:runs", lib=library.code)
    codes, assignee = form.cleaned_data["building"], form.cleaned_data["assignee"]
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
        % {"number": run.number, "date": format_date(run.run_date)},
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


def _run_context(request, library, run: DeliveryRun) -> dict:
    stops = selectors.route_sheet(run)
    role = STAFF if is_staff_of(request.user, library) else VOLUNTEER
    for stop in stops:
        for borrow in stop["requests"]:
            borrow.books = _books(borrow)
            acts = transitions.actions(borrow.status, borrow.mode, role)
            borrow.can_dispatch = Trigger.DISPATCH in acts
            borrow.can_hand_over = Trigger.HANDOVER in acts
    return {
        "library": library,
        "run": run,
        "stops": stops,
        "can_dispatch": any(b.can_dispatch for stop in stops for b in stop["requests"]),
    }


@require_GET
@desk_view(DESK_ROLES)
def run_detail(request, library, run_id: int):
    run = _library_run(request, library, run_id)
    return render(request, "contactless/desk/run.html", _run_context(request, library, run))


def _sheet_context(request, library, run_id: int) -> dict:
    """The printed route sheet: the stops in building order, each request's books (title
    and barcode) and an empty box for the reader's signature."""
    run = _library_run(request, library, run_id)
    stops = selectors.route_sheet(run)
    for stop in stops:
        for borrow in stop["requests"]:
            borrow.books = _books(borrow)
        stop["books"] = sum(len(borrow.books) for borrow in stop["requests"])
    return {
        "library": library,
        "run": run,
        "stops": stops,
        "requests": sum(len(stop["requests"]) for stop in stops),
        "books": sum(stop["books"] for stop in stops),
        "courier": (run.assignee.name or run.assignee.username) if run.assignee else "—",
        "printed_at": timezone.now(),
    }


@require_GET
@desk_view(DESK_ROLES)
def run_sheet(request, library, run_id: int):
    return render(
        request, "contactless/desk/route_sheet.html", _sheet_context(request, library, run_id)
    )


@require_GET
@desk_view(DESK_ROLES)
def run_sheet_pdf(request, library, run_id: int):
    context = {**_sheet_context(request, library, run_id), "for_pdf": True}
    html = render_to_string("contactless/desk/route_sheet.html", context, request=request)
    response = HttpResponse(pdf.html_to_pdf(html), content_type="application/pdf")
    name = f"route-sheet-{library.code}-{context['run'].run_date:%Y%m%d}-{context['run'].number}"
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@require_POST
@desk_view(DESK_ROLES)
def run_dispatch(request, library, run_id: int):
    """Dispatch every ready request of the run. In place, from the run's page: its body
    again (statuses, the handover forms now offered), the focus on its heading; from the
    list: the run's row. Without JavaScript: back to the run (or the list it came from)."""
    run = _library_run(request, library, run_id)
    status = 200
    try:
        count = services.dispatch_run(run_id=run.pk, by=request.user)
    except DomainError as error:
        messages.error(request, refusal(error))
        status = error.status
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s request is out for delivery.",
                "%(count)s requests are out for delivery.",
                count,
            )
            % {"count": count},
        )
    if inplace.requested(request):
        run = _library_run(request, library, run_id)
        if request.headers.get("HX-Target") == f"run-{run.pk}":
            run = selectors.runs_visible_to(request.user, library).prefetch_related("requests")
            run = run.get(pk=run_id)
            run.can_dispatch = _can_dispatch(run)
            context = {"library": library, "run": run, "oob": True}
            return inplace.fragment(
                request, "contactless/desk/_run_dispatched.html", context, status=status
            )
        context = _run_context(request, library, run) | {"oob": True, "focus": True}
        return inplace.fragment(request, "contactless/desk/_run_body.html", context, status=status)
    return redirect(_safe_next(request, reverse("desk:run", args=[library.code, run.pk])))
