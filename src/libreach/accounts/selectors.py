"""Reads about users. The permission questions live in accounts.policies."""

import hashlib

from django.db.models import Q, QuerySet
from django.utils import timezone

from libreach.accounts.models import ApiToken, ReaderProfile, StaffMembership
from libreach.accounts.policies import (  # noqa: F401  re-exported for older importers
    STAFF_ROLES,
    SYSTEM,
    Actor,
    is_consortium_admin,
    is_staff_of,
    require_can_manage_readers,
    require_consortium_admin,
    require_library_admin,
    require_staff,
    roles_at,
)
from libreach.accounts.policies import require_signed_in as require_authenticated  # noqa: F401
from libreach.consortium.models import Library
from libreach.core import normalise


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_token(token: str) -> ApiToken | None:
    """The unexpired token of an active user that `token` is, with its user; else None."""
    if not token:
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(token), expires_at__gt=timezone.now())
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    return row


def reader_profile(user) -> ReaderProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.reader
    except ReaderProfile.DoesNotExist:
        return None


def roles_of(user) -> list[dict[str, str]]:
    return [
        {"library": code, "role": role}
        for code, role in StaffMembership.objects.filter(user=user)
        .order_by("library__code", "role")
        .values_list("library__code", "role")
    ]


def readers_of(library: Library, *, by: Actor, query: str = "") -> QuerySet[ReaderProfile]:
    """A library's readers, for its staff."""
    require_can_manage_readers(by, library)
    readers = ReaderProfile.objects.filter(library=library).select_related(
        "user", "building", "library"
    )
    query = normalise.typed_text(query)
    if query:
        readers = readers.filter(Q(card_number__istartswith=query) | Q(user__name__contains=query))
    return readers.order_by("card_number")
