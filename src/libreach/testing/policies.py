"""Helpers for the unit tests of each app's policies: every kind of caller, and a check
that a policy allows exactly the callers it should and refuses the rest with the right
error."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from django.contrib.auth.models import AnonymousUser

from libreach.consortium.policies import SYSTEM
from libreach.core.errors import DomainError, NotAuthenticated, PermissionDenied
from libreach.testing.permissions import ALL_ACTORS

# Every kind of caller; "anonymous" is tried as None (an API route) and as Django's
# AnonymousUser (a page), which must get the same answers.
ACTORS = ALL_ACTORS
STAFF = {"staff", "library_admin", "consortium_admin"}


def callers(consortium, name: str) -> list:
    if name == "anonymous":
        return [None, AnonymousUser()]
    return [consortium.actor(name)]


def check_policy(
    consortium,
    *,
    can: Callable[[object], bool] | None,
    require: Callable[[object], None],
    allowed: Iterable[str],
    refusal: type[DomainError],
) -> None:
    """`can(user)` is True and `require(user)` passes for `allowed` callers and SYSTEM;
    for the rest `can` is False and `require` raises `refusal` (NotAuthenticated for
    anonymous callers)."""
    allowed = set(allowed)
    assert allowed <= set(ACTORS), allowed - set(ACTORS)
    for name in ACTORS:
        for user in callers(consortium, name):
            if can is not None:
                assert can(user) is (name in allowed), (name, "can")
            if name in allowed:
                require(user)
            else:
                expected = NotAuthenticated if name == "anonymous" else refusal
                with pytest.raises(expected):
                    require(user)
    if can is not None:
        assert can(SYSTEM) is True
    require(SYSTEM)


def check_library_policy(
    consortium,
    can: Callable[[object, object], bool],
    require: Callable[[object, object], None],
    allowed: Iterable[str],
    refusal: type[DomainError] = PermissionDenied,
) -> None:
    """check_policy for a rule about the consortium's library: `can(user, library)`."""
    library = consortium.lib
    check_policy(
        consortium,
        can=lambda user: can(user, library),
        require=lambda user: require(user, library),
        allowed=allowed,
        refusal=refusal,
    )
