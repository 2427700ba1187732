"""The page matrix: every reader and desk page, every kind of caller, what each gets.

Each app lists its pages in `libreach/<app>/tests/pages.py` as `CASES`, a list of
`PageCase`: a Django URL pattern (as `route_of` spells it, e.g.
`desk/<str:lib>/pick-list/`), GET or one of its POST actions, and the answer of each of
the eight callers. `core/tests/test_page_matrix.py` runs them all on a fresh consortium,
checks that a refusal changed none of the database's contents, and fails if a URL
pattern outside the admin, the API and static files has no case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from libreach.testing.permissions import (
    ALL_ACTORS,
    app_cases,
    changed_tables,
    db_fingerprint,
    default_setup,
)

ACTORS = ALL_ACTORS
# Not a status: a redirect to the sign-in page, what every page behind it gives anonymous.
LOGIN = "login"
# Answers that refuse: the database's contents must be as they were.
REFUSALS = {LOGIN, 403, 404, 405}
# Trees the page matrix leaves to others: Django's admin, the API (the API's permission
# matrix covers it) and static files.
SKIPPED_PREFIXES = ("admin/", "api/v1/", "static/")

Expect = dict[str, int | str]

# Expectations most pages share.
PUBLIC: Expect = dict.fromkeys(ACTORS, 200)
SIGNED_IN: Expect = {**PUBLIC, "anonymous": LOGIN}
# A desk page of the library: its staff (not volunteers) and consortium admins.
DESK: Expect = {
    "anonymous": LOGIN,
    "reader": 403,
    "other_reader": 403,
    "staff": 200,
    "other_staff": 403,
    "volunteer": 403,
    "library_admin": 200,
    "consortium_admin": 200,
}
# A desk action that redirects back to its page when done.
DESK_POST: Expect = {**DESK, **dict.fromkeys(("staff", "library_admin", "consortium_admin"), 302)}


@dataclass
class PageCase:
    """One page (or one POST action of it) and what each caller gets.

    `setup(consortium)` returns the values that fill the route's parameters (and may
    create objects); `data` is the query (GET) or form (POST), or a callable of the setup
    values that returns it. A case must say what every caller gets.
    """

    method: str
    route: str
    expect: Expect
    setup: Callable[[Any], dict[str, Any]] | None = None
    data: dict | Callable[[dict], dict] | None = None
    name: str = ""
    # Callers refused with a message and a redirect (a 302) rather than an error page:
    # their call, too, must leave the database as it was.
    refused: frozenset[str] = frozenset()

    def __post_init__(self):
        missing = set(ACTORS) - set(self.expect)
        if missing:
            raise ValueError(f"{self.method} {self.route}: no expectation for {sorted(missing)}")
        if self.method.upper() not in {"GET", "POST"}:
            raise ValueError(f"{self.route}: pages are read with GET and acted on with POST")

    @property
    def label(self) -> str:
        return self.name or f"{self.method.upper()} /{self.route}"


def all_cases() -> list[PageCase]:
    return app_cases("pages")


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def page_routes() -> set[str]:
    """Every URL pattern of the site outside the admin, the API and static files."""
    return {
        route
        for route in _walk(get_resolver().url_patterns)
        if not route.startswith(SKIPPED_PREFIXES)
    }


def fill(route: str, values: dict[str, Any]) -> str:
    """`desk/<str:lib>/runs/<int:run_id>/` with {"lib": "PKU", "run_id": 3} -> a path."""
    path = route
    for name, value in values.items():
        for converter in ("str", "int", "slug", "path", ""):
            token = f"<{converter}:{name}>" if converter else f"<{name}>"
            path = path.replace(token, str(value))
    assert "<" not in path, f"{route}: no value for a parameter in {path}"
    return "/" + path


def client_as(consortium, actor: str) -> Client:
    client = Client()
    user = consortium.actor(actor)
    if user is not None:
        client.force_login(user)
    return client


def run_page_case(consortium, case: PageCase, actor: str, expected: int | str) -> None:
    """Open the page (or post its form) as `actor`; assert the answer, and that a
    refusal changed none of the database's contents."""
    values = (case.setup or default_setup)(consortium)
    client = client_as(consortium, actor)
    path = fill(case.route, values)
    data = case.data(values) if callable(case.data) else case.data
    before = db_fingerprint()

    response = getattr(client, case.method.lower())(path, data or {})

    status = response.status_code
    where = response.headers.get("Location", "")
    if expected == LOGIN:
        login = resolve_url(settings.LOGIN_URL)
        assert status == 302 and where.startswith(login), (actor, path, status, where)
    else:
        assert status == expected, (actor, path, status, where, response.content[:300])
    if expected in REFUSALS or actor in case.refused:
        changed = changed_tables(before, db_fingerprint())
        assert not changed, f"a refused {case.method} {path} changed the database: {changed}"
