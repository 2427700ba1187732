"""The staff desk's home pages (`/desk/`, `/desk/<library code>/`).

Each app adds its own desk pages (desk_urls); who may open them is
libreach.accounts.desk.desk_view. A library's desk home shows today's work as counts,
each a link to the page where that work is done.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from libreach.accounts.desk import DESK_ROLES, desk_view
from libreach.accounts.models import StaffMembership
from libreach.accounts.selectors import is_consortium_admin, is_staff_of
from libreach.consortium.models import Library
from libreach.site.selectors import desk_work

# Today's work, in the order of the morning: the count (site.selectors.desk_work), its
# label, and the desk page where it is done (with the requests tab that lists it).
WORK = (
    ("to_pick", _("Books to pick"), "desk:picklist", ""),
    ("to_disinfect", _("Requests to disinfect"), "desk:requests", "?tab=picking"),
    ("to_stage", _("Requests to stage"), "desk:requests", "?tab=picking"),
    ("ready_for_run", _("Waiting for a delivery run"), "desk:runs", ""),
    ("runs_out", _("Delivery runs out"), "desk:runs", ""),
    ("pickups_today", _("Pickups booked today"), "desk:handover", ""),
    ("holds_last_day", _("Holds on their last day"), "desk:requests", "?tab=awaiting"),
    ("holds_overdue", _("Holds past their date"), "desk:requests", "?tab=awaiting"),
    ("quarantine_due", _("Quarantine ending today"), "desk:quarantine", ""),
    ("to_check_in", _("Copies to check in"), "desk:returns", ""),
    ("dd_to_review", _("Document delivery requests to review"), "desk:docdelivery", ""),
    ("dd_to_lend", _("Requests from other members to answer"), "desk:docdelivery_lending", ""),
    ("eres_offers_ending", _("Free offers ending within 7 days"), "desk:eres", ""),
    ("eres_links_broken", _("E-resource links broken"), "desk:eres_status", "?status=broken"),
)


@dataclass(frozen=True)
class WorkCount:
    key: str
    label: str | Promise
    count: int
    url: str


def desk_libraries(user) -> list[Library]:
    if is_consortium_admin(user):
        return list(Library.objects.order_by("code"))
    ids = StaffMembership.objects.filter(user=user).values_list("library_id", flat=True)
    return list(Library.objects.filter(pk__in=ids).order_by("code"))


def _work_of(library: Library, counts: dict[str, int | None]) -> list[WorkCount]:
    """The counts a library's desk shows, in WORK's order; one it does not do (None:
    no disinfection required) is left out."""
    return [
        WorkCount(key, label, counts[key], reverse(url_name, args=[library.code]) + query)
        for key, label, url_name, query in WORK
        if counts.get(key) is not None
    ]


@login_required
def desk_home(request: HttpRequest) -> HttpResponse:
    libraries = desk_libraries(request.user)
    if not libraries:
        raise DjangoPermissionDenied
    if len(libraries) == 1:
        return redirect("desk:library", lib=libraries[0].code)
    # Beside each library the user is staff of (not only a volunteer): what waits today.
    staffed = [lib for lib in libraries if is_staff_of(request.user, lib)]
    counts = desk_work(staffed, by=request.user)
    rows = [
        {
            "library": lib,
            "work": [w for w in _work_of(lib, counts[lib.pk]) if w.count]
            if lib.pk in counts
            else None,
        }
        for lib in libraries
    ]
    return render(request, "desk/home.html", {"rows": rows})


@desk_view(DESK_ROLES)
def library_home(request: HttpRequest, library: Library) -> HttpResponse:
    work = None
    if not request.is_volunteer_only:
        work = _work_of(library, desk_work([library], by=request.user)[library.pk])
    return render(request, "desk/library.html", {"library": library, "work": work})
