"""Who may do what with a borrow request: the one place that answers it, called by
services and selectors so pages, API and commands agree."""

from __future__ import annotations

from libreach.accounts.models import StaffRole
from libreach.accounts.selectors import is_staff_of, roles_at
from libreach.contactless.models import BorrowRequest
from libreach.contactless.transitions import READER, STAFF, VOLUNTEER
from libreach.core.errors import NotAuthenticated, NotFound, PermissionDenied


def role_for(user, request: BorrowRequest) -> str:
    """What `user` is to `request`: READER (its own), STAFF, VOLUNTEER (on its run).

    Anyone else may not see the request: NotFound, as for a request that does not exist.
    """
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if is_staff_of(user, request.library):
        return STAFF
    if request.reader.user_id == user.pk:
        return READER
    if (
        StaffRole.VOLUNTEER in roles_at(user, request.library)
        and request.run_id is not None
        and request.run.assignee_id == user.pk
    ):
        return VOLUNTEER
    raise NotFound("No such borrow request.", code="request_not_found")


def require(role: str, allowed: set[str], action: str) -> None:
    if role not in allowed:
        raise PermissionDenied(f"You may not {action} this request.")


def require_staff(user, library) -> None:
    """Staff of `library` (the desk's work: picking, runs, slips, check-in); else 403."""
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if not is_staff_of(user, library):
        raise PermissionDenied(f"You are not staff of library {library.code}.")
