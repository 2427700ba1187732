"""The staff desk's home pages (`/desk/`, `/desk/<library code>/`).

Each app adds its own desk pages (desk_urls); who may open them is
libreach.accounts.desk.desk_view.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from libreach.accounts.desk import DESK_ROLES, desk_view
from libreach.accounts.models import StaffMembership
from libreach.accounts.selectors import is_consortium_admin
from libreach.consortium.models import Library


def desk_libraries(user) -> list[Library]:
    if is_consortium_admin(user):
        return list(Library.objects.order_by("code"))
    ids = StaffMembership.objects.filter(user=user).values_list("library_id", flat=True)
    return list(Library.objects.filter(pk__in=ids).order_by("code"))


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
