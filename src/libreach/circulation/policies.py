"""Who may do what in circulation: the one place that answers it.

Services and selectors call these, so the API, the desk pages and the commands agree.
A loan is seen by its reader and by the staff of the library that lent it; to anyone
else it does not exist (NotFound: the API's 404 for objects the caller may not see).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from libreach.accounts.policies import (
    SYSTEM,
    Actor,
    is_signed_in,
    is_staff_of,
    is_system,
    require_signed_in,
    require_staff,
)
from libreach.circulation.models import Loan
from libreach.consortium.models import Library
from libreach.core.errors import NotFound

__all__ = [
    "SYSTEM",
    "Actor",
    "can_manage_circulation",
    "can_see_loan",
    "require_can_lend",
    "require_can_list_own_loans",
    "require_can_manage_circulation",
    "require_can_renew",
    "require_can_see_loan",
]


def can_manage_circulation(user: Actor, library: Library) -> bool:
    """Closures, bulk extensions, the quarantine board, counter loans: the library's staff
    (not volunteers)."""
    return is_staff_of(user, library)


def require_can_manage_circulation(user: Actor, library: Library) -> None:
    require_staff(user, library)


def require_can_lend(user: Actor, library: Library) -> None:
    """Lending over the counter is a desk job of the lending library's staff."""
    require_can_manage_circulation(user, library)


def can_see_loan(user: Actor, loan: Loan) -> bool:
    if is_system(user):
        return True
    if not is_signed_in(user):
        return False
    return loan.reader.user_id == user.pk or is_staff_of(user, loan.library)


def require_can_see_loan(user: Actor, loan: Loan) -> None:
    require_signed_in(user)
    if not can_see_loan(user, loan):
        raise NotFound(_("No loan %(id)s."), code="loan_not_found", id=loan.pk)


def require_can_renew(user: Actor, loan: Loan) -> None:
    """Its reader, or the lending library's staff; anyone else cannot see the loan."""
    require_can_see_loan(user, loan)


def require_can_list_own_loans(user: Actor) -> None:
    require_signed_in(user)
