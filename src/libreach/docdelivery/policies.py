"""Who may do what in document delivery: the one place that answers it, called by services
and selectors so pages, API and the ISO 18626 endpoint agree. What a role may do to a
request in a given state is the transition table's; this module says which roles the
caller holds toward a request.

A request is seen by its reader, the staff of the reader's library (the requesting
agency) and the staff of the member now holding it (the supplying agency). Anyone else
is told it does not exist (404), as the API asks.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from libreach.accounts.policies import Actor, is_signed_in, is_staff_of, is_system
from libreach.consortium.models import Library
from libreach.core.errors import NotAuthenticated, NotFound, PermissionDenied
from libreach.docdelivery.models import DocRequest
from libreach.docdelivery.transitions import LENDER, READER, STAFF, SYSTEM


class PeerAgency:
    """A member's own system speaking ISO 18626: the lender of the requests it holds, and
    the requesting library (its staff's part) of the requests it sent."""

    is_authenticated = False

    def __init__(self, library: Library):
        self.library = library

    def __repr__(self) -> str:
        return f"PeerAgency({self.library.code})"


def roles_for(user: Actor, request: DocRequest) -> frozenset[str]:
    """Every role `user` holds toward `request`; NotFound when none (or not signed in:
    NotAuthenticated)."""
    if is_system(user):
        return frozenset({SYSTEM})
    if isinstance(user, PeerAgency):
        peer_roles = set()
        if request.lender_id == user.library.pk:
            peer_roles.add(LENDER)
        if request.library_id == user.library.pk and request.reader_id is None:
            peer_roles.add(STAFF)
        if not peer_roles:
            raise NotFound(_("No such document delivery request."), code="request_not_found")
        return frozenset(peer_roles)
    if not is_signed_in(user):
        raise NotAuthenticated()
    roles = set()
    if request.reader is not None and request.reader.user_id == user.pk:
        roles.add(READER)
    if is_staff_of(user, request.library):
        roles.add(STAFF)
    if request.lender_id is not None and is_staff_of(user, request.lender):
        roles.add(LENDER)
    if not roles:
        raise NotFound(_("No such document delivery request."), code="request_not_found")
    return frozenset(roles)


_MAY_NOT = {
    "approve": _("Only staff of the reader's library may review this request."),
    "reject": _("Only staff of the reader's library may review this request."),
    "satisfy locally": _("Only staff of the reader's library may review this request."),
    "answer": _("Only staff of the library now holding this request may answer it."),
    "supply": _("Only staff of the library now holding this request may supply it."),
    "receive": _("Only staff of the reader's library may do this."),
    "cancel": _("You may not cancel this request."),
    "download": _(
        "Only the reader who asked for it and their library's staff may download this file."
    ),
    "edit the rota of": _("Only staff of the reader's library may edit the rota."),
}


def require(roles: frozenset[str], allowed: set[str], action: str) -> str:
    """The role the caller acts in (the first of `allowed` they hold), or PermissionDenied."""
    for role in (SYSTEM, LENDER, STAFF, READER):
        if role in allowed and role in roles:
            return role
    raise PermissionDenied(_MAY_NOT.get(action) or _("You may not do this."))
