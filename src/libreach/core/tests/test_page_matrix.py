"""Runs every app's page cases (see libreach.testing.pages): every reader and desk page,
GET and its POST actions, as each of the eight kinds of caller."""

import pytest

from libreach.testing.pages import ACTORS, LOGIN, PageCase, all_cases, page_routes, run_page_case

CASES = all_cases()
PARAMS = [
    pytest.param(case, actor, expected, id=f"{case.label} as {actor}")
    for case in CASES
    for actor, expected in case.expect.items()
]


@pytest.mark.parametrize(("case", "actor", "expected"), PARAMS)
def test_page_permissions(consortium, case, actor, expected):
    run_page_case(consortium, case, actor, expected)


def test_every_page_is_in_the_matrix():
    routes = page_routes()
    covered = {case.route for case in CASES}
    assert routes - covered == set(), "pages with no cases in any app's tests/pages.py"
    assert covered - routes == set(), "page cases for URL patterns that do not exist"


def test_the_page_matrix_catches_a_refusal_that_changes_a_row(consortium, monkeypatch):
    """A basket that renames the library while refusing the book: the page answers as
    expected (a redirect with a message), but the contents changed, so the case fails."""
    from libreach.consortium.models import Library
    from libreach.contactless import views
    from libreach.contactless.tests.pages import _books
    from libreach.core.errors import RuleViolation

    def leaky_add(session, **kwargs):
        Library.objects.filter(pk=consortium.lib.pk).update(name="改过的名字")
        raise RuleViolation("No.")

    monkeypatch.setattr(views.basket, "add", leaky_add)
    case = PageCase(
        "POST",
        "basket/add/",
        setup=_books,
        data=lambda v: {"record": v["record_id"]},
        expect={**dict.fromkeys(ACTORS, 302), "anonymous": LOGIN},
        refused=frozenset({"reader"}),
    )
    with pytest.raises(AssertionError, match=r"changed the database: \['consortium.Library'\]"):
        run_page_case(consortium, case, "reader", 302)
