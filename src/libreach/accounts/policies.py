"""Who may do what with people: staff roles, readers, and the role questions other apps ask.

Services and selectors call these, so the API, the desk pages and the commands agree.
`can_*` answer; `require_*` raise NotAuthenticated (401), PermissionDenied (403) or
NotFound (404). The ground floor (signed in, consortium admin, SYSTEM) is
consortium.policies; it is re-exported here for the apps above accounts.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import STAFF_ROLES, StaffRole
from libreach.consortium.models import Library
from libreach.consortium.policies import (
    SYSTEM,
    Actor,
    is_consortium_admin,
    is_signed_in,
    is_system,
    require_consortium_admin,
    require_signed_in,
)
from libreach.core.errors import PermissionDenied

__all__ = [
    "DESK_ROLES",
    "STAFF_ROLES",
    "SYSTEM",
    "Actor",
    "can_add_staff",
    "can_open_desk_page",
    "can_manage_readers",
    "is_consortium_admin",
    "is_signed_in",
    "is_staff_of",
    "is_system",
    "is_volunteer_at",
    "require_can_add_staff",
    "require_can_manage_readers",
    "require_consortium_admin",
    "require_library_admin",
    "require_signed_in",
    "require_staff",
    "roles_at",
]


def roles_at(user: Actor, library: Library) -> frozenset[str]:
    """The roles `user` holds at `library` (none for anonymous callers and SYSTEM)."""
    if is_system(user) or not is_signed_in(user):
        return frozenset()
    return user.roles_at(library)


def is_staff_of(
    user: Actor, library: Library, roles: frozenset[str] | set[str] = STAFF_ROLES
) -> bool:
    """Holds one of `roles` at `library` (by default a staff role), or is a consortium admin."""
    return is_consortium_admin(user) or bool(roles_at(user, library) & set(roles))


# Who gets through the desk's door: the staff roles and volunteers; each page then
# decides what a volunteer sees (only the delivery runs given to them).
DESK_ROLES = STAFF_ROLES | {StaffRole.VOLUNTEER}


def can_open_desk_page(
    user: Actor, library: Library, roles: frozenset[str] | set[str] = STAFF_ROLES
) -> bool:
    """A desk page of `library` open to `roles` (by default the staff roles)."""
    return is_signed_in(user) and is_staff_of(user, library, roles)


def is_volunteer_at(user: Actor, library: Library) -> bool:
    return StaffRole.VOLUNTEER in roles_at(user, library)


def require_staff(
    user: Actor, library: Library, roles: frozenset[str] | set[str] = STAFF_ROLES
) -> None:
    """Refuse unless `user` holds one of `roles` at `library` (or is a consortium admin)."""
    require_signed_in(user)
    if not is_staff_of(user, library, roles):
        raise PermissionDenied(
            _("You are not staff of library %(library)s in a role that may do this."),
            library=library.code,
        )


def require_library_admin(user: Actor, library: Library) -> None:
    require_staff(user, library, roles={StaffRole.ADMIN})


# --- the accounts app's own rules ----------------------------------------------------


def can_add_staff(user: Actor, library: Library) -> bool:
    """Only the library's administrators (and consortium admins) add staff or grant roles."""
    return is_staff_of(user, library, roles={StaffRole.ADMIN})


def require_can_add_staff(user: Actor, library: Library) -> None:
    require_library_admin(user, library)


def can_manage_readers(user: Actor, library: Library) -> bool:
    """The library's staff add, import and list its readers; volunteers do not."""
    return is_staff_of(user, library)


def require_can_manage_readers(user: Actor, library: Library) -> None:
    require_staff(user, library)
