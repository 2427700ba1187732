"""Who may open a staff desk page (`/desk/<library code>/…`): the decorator every app's
desk views use.

It lives in accounts, which knows libraries and staff roles, so the apps above
(circulation, contactless) can use it; the desk's home page, which knows every app,
is libreach.site.desk.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from libreach.accounts.policies import (  # noqa: F401  DESK_ROLES: the desk views' import
    DESK_ROLES,
    STAFF_ROLES,
    can_open_desk_page,
    is_staff_of,
)
from libreach.consortium.models import Library


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
            if not can_open_desk_page(request.user, library, roles):
                raise DjangoPermissionDenied
            request.library = library
            request.is_volunteer_only = not is_staff_of(request.user, library)
            return view(request, library, *args, **kwargs)

        return wrapper

    return decorate
