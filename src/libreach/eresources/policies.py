"""Who may do what with e-resources: the one place that answers it, called by services and
selectors so pages, API and commands agree.

The reader guide (databases, routes, free offers, published topic collections) is public:
libraries publish it for anyone off campus. Editing it, link settings, the link patrol's
status and unpublished collections are for the library's staff (not volunteers). The
federation's IdP list is shared by the consortium, so its admins import it.
"""

from __future__ import annotations

from libreach.accounts.policies import (
    Actor,
    is_staff_of,
    is_system,
    require_consortium_admin,
    require_staff,
)
from libreach.consortium.models import Library


def can_manage(user: Actor, library: Library) -> bool:
    """Edits the library's databases, routes, links and collections; sees the link status."""
    return is_system(user) or is_staff_of(user, library)


def require_manage(user: Actor, library: Library) -> None:
    if not is_system(user):
        require_staff(user, library)


def can_see_unpublished(user: Actor, library: Library) -> bool:
    return can_manage(user, library)


def require_federation_admin(user: Actor) -> None:
    if not is_system(user):
        require_consortium_admin(user)
