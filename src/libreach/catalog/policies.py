"""Who may do what with the catalogue: the one place that answers it.

The consortium's catalogue is shared by design: anyone, signed in or not, searches it and
reads its records and their availability. Writing it is for the owning library's staff.
"""

from __future__ import annotations

from libreach.accounts.policies import SYSTEM, Actor, is_staff_of, require_staff
from libreach.consortium.models import Library

__all__ = ["SYSTEM", "Actor", "can_catalogue", "require_can_catalogue"]


def can_catalogue(user: Actor, library: Library) -> bool:
    """Add or change records and items of `library`: its staff (not volunteers)."""
    return is_staff_of(user, library)


def require_can_catalogue(user: Actor, library: Library) -> None:
    require_staff(user, library)
