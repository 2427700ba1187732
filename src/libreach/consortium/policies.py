"""Who may do what to the consortium's structure: the one place that answers it.

Services and selectors call these, so the API, the desk pages and the commands agree.
`can_*` answer a question; `require_*` raise NotAuthenticated (401, nobody signed in),
PermissionDenied (403) or NotFound (404, where the caller may not even see the object).

This is also the ground floor of every app's policies: who is signed in, who is a
consortium admin, and SYSTEM, the caller that is the platform itself. consortium sits
below accounts, so it asks the user object (accounts.User.is_library_staff) rather
than importing accounts.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from libreach.consortium.models import Library
from libreach.core.errors import NotAuthenticated, PermissionDenied


class SystemActor:
    """The platform itself: a management command, the demo, a scheduled job, a fixture.

    Services take `by=SYSTEM` by default, so commands run by whoever runs the server are
    not refused; every route and page passes the signed-in user instead (the permission
    matrix tries each of them as every kind of caller).
    """

    is_authenticated = True
    pk = None

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()

# Any caller: a User, Django's AnonymousUser, None (an API route without auth), or SYSTEM.
Actor = Any


def is_system(user: Actor) -> bool:
    return user is SYSTEM


def is_signed_in(user: Actor) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        is_system(user) or bool(user.is_active)
    )


def is_consortium_admin(user: Actor) -> bool:
    """A Django superuser is a consortium admin; SYSTEM may do what they may."""
    return is_system(user) or (is_signed_in(user) and bool(user.is_superuser))


def is_library_staff(user: Actor, library: Library) -> bool:
    """Staff of `library` in a staff role (volunteers are not), or a consortium admin."""
    return is_consortium_admin(user) or (is_signed_in(user) and user.is_library_staff(library))


def require_signed_in(user: Actor) -> None:
    if not is_signed_in(user):
        raise NotAuthenticated()


def require_consortium_admin(user: Actor) -> None:
    require_signed_in(user)
    if not is_consortium_admin(user):
        raise PermissionDenied(_("Only a consortium administrator may do this."))


# --- the consortium's own rules ------------------------------------------------------


def can_add_library(user: Actor) -> bool:
    return is_consortium_admin(user)


def require_can_add_library(user: Actor) -> None:
    require_consortium_admin(user)


def can_manage_library(user: Actor, library: Library) -> bool:
    """Buildings, service points, opening hours and exceptions: the library's staff."""
    return is_library_staff(user, library)


def require_can_manage_library(user: Actor, library: Library) -> None:
    require_signed_in(user)
    if not can_manage_library(user, library):
        raise PermissionDenied(_("You are not staff of library %(library)s."), library=library.code)
