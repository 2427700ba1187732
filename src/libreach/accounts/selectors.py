"""Reads about users, and the permission questions every other app asks."""

import hashlib

from django.db.models import Q, QuerySet
from django.utils import timezone

from libreach.accounts.models import ApiToken, ReaderProfile, StaffMembership, StaffRole, User
from libreach.consortium.models import Library
from libreach.core import normalise
from libreach.core.errors import NotAuthenticated, PermissionDenied

# Roles that count as library staff for staff-only routes. Volunteers are not staff:
# they only see the delivery runs given to them.
STAFF_ROLES = frozenset({StaffRole.CIRCULATION, StaffRole.REFERENCE, StaffRole.ADMIN})


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


def user_for_token(token: str) -> User | None:
    row = active_token(token)
    return row.user if row is not None else None


def roles_at(user, library: Library) -> set[str]:
    """The roles `user` holds at `library` (cached on the user for the request)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cache = user.__dict__.setdefault("_libreach_roles", None)
    if cache is None:
        cache = {}
        for lib_id, role in StaffMembership.objects.filter(user=user).values_list(
            "library_id", "role"
        ):
            cache.setdefault(lib_id, set()).add(role)
        user.__dict__["_libreach_roles"] = cache
    return cache.get(library.pk, set())


def is_consortium_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def is_staff_of(user, library: Library, roles: frozenset[str] | set[str] = STAFF_ROLES) -> bool:
    return is_consortium_admin(user) or bool(roles_at(user, library) & set(roles))


def require_authenticated(user) -> None:
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()


def require_consortium_admin(user) -> None:
    require_authenticated(user)
    if not is_consortium_admin(user):
        raise PermissionDenied("Only a consortium administrator may do this.")


def require_staff(user, library: Library, roles: frozenset[str] | set[str] = STAFF_ROLES) -> None:
    """Refuse unless `user` holds one of `roles` at `library` (or is a consortium admin)."""
    require_authenticated(user)
    if not is_staff_of(user, library, roles):
        raise PermissionDenied(
            f"You are not staff of library {library.code} in a role that may do this."
        )


def require_library_admin(user, library: Library) -> None:
    require_staff(user, library, roles={StaffRole.ADMIN})


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


def readers_of(library: Library, *, query: str = "") -> QuerySet[ReaderProfile]:
    readers = ReaderProfile.objects.filter(library=library).select_related(
        "user", "building", "library"
    )
    query = normalise.typed_text(query)
    if query:
        readers = readers.filter(Q(card_number__istartswith=query) | Q(user__name__contains=query))
    return readers.order_by("card_number")
