"""Who may do what in contactless borrowing: the one place that answers it, called by
services and selectors so pages, API and commands agree. What a role may do to a
request in a given state is the transition table's (`transitions.actions`); this module
says which role the caller has."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from libreach.accounts import policies as accounts_policies
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
        is_volunteer(user, request.library)
        and request.run_id is not None
        and request.run.assignee_id == user.pk
    ):
        return VOLUNTEER
    raise NotFound(_("No such borrow request."), code="request_not_found")


# The refusal for each action services name, whole sentences so they translate well.
_MAY_NOT = {
    "pick": _("You may not pick this request."),
    "disinfect": _("You may not disinfect this request."),
    "stage": _("You may not stage this request."),
    "dispatch": _("You may not dispatch this request."),
    "hand over": _("You may not hand over this request."),
    "cancel": _("You may not cancel this request."),
    "book a slot for": _("You may not book a slot for this request."),
}


def require(role: str, allowed: set[str], action: str) -> None:
    if role not in allowed:
        if action in _MAY_NOT:
            raise PermissionDenied(_MAY_NOT[action])
        raise PermissionDenied(_("You may not %(action)s this request."), action=action)


def require_staff(user, library) -> None:
    """Staff of `library` (the desk's work: picking, runs, slips, check-in); else 401/403."""
    accounts_policies.require_staff(user, library)


def is_volunteer(user, library) -> bool:
    return StaffRole.VOLUNTEER in roles_at(user, library)


def may_see_runs(user, library) -> bool:
    """Staff see every run of the library; a volunteer the runs given to them."""
    return is_staff_of(user, library) or is_volunteer(user, library)


def may_see_run(user, run) -> bool:
    return is_staff_of(user, run.library) or (
        run.assignee_id == user.pk and is_volunteer(user, run.library)
    )


def may_deliver(user, library) -> bool:
    """Who may be given a delivery run: the library's staff and volunteers."""
    return may_see_runs(user, library)


def slot_invitation_roles() -> frozenset[str]:
    # The reader and staff get the pickup slot's invitation; a volunteer has no use for it.
    return frozenset({READER, STAFF})
