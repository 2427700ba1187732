"""The staff desk (`/desk/`): who may open it, and its home page.

Desk pages live under `/desk/<library code>/…`; `desk_view` resolves the library and
refuses anyone without a role there. Volunteers get in too, but each page decides what
they may see (only their delivery runs).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from libreach.accounts.models import StaffMembership, StaffRole
from libreach.accounts.selectors import STAFF_ROLES, is_consortium_admin, is_staff_of
from libreach.consortium.models import Library

DESK_ROLES = STAFF_ROLES | {StaffRole.VOLUNTEER}


def desk_libraries(user) -> list[Library]:
    if is_consortium_admin(user):
        return list(Library.objects.order_by("code"))
    ids = StaffMembership.objects.filter(user=user).values_list("library_id", flat=True)
    return list(Library.objects.filter(pk__in=ids).order_by("code"))


def desk_view(roles: frozenset[str] | set[str] = STAFF_ROLES) -> Callable:
    """Decorate a desk view taking (request, lib, ...): sets request.library.

    Unknown library: 404. Signed in without one of `roles` there: 403 page.
    """

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, lib: str, *args, **kwargs) -> HttpResponse:
            library = Library.objects.filter(code=lib).first()
            if library is None:
                raise Http404("No such library.")
            if not is_staff_of(request.user, library, roles):
                raise DjangoPermissionDenied
            request.library = library
            request.is_volunteer_only = not is_staff_of(request.user, library)
            return view(request, library, *args, **kwargs)

        return wrapper

    return decorate


@login_required
def desk_home(request: HttpRequest) -> HttpResponse:
    libraries = desk_libraries(request.user)
    if not libraries:
        raise DjangoPermissionDenied
    if len(libraries) == 1:
        return redirect("desk:library", lib=libraries[0].code)
    return render(request, "desk/home.html", {"libraries": libraries})


@desk_view(DESK_ROLES)
def library_home(request: HttpRequest, library: Library) -> HttpResponse:
    return render(request, "desk/library.html", {"library": library})
