"""Runs every app's permission cases (see libreach.testing.permissions)."""

import pytest

from libreach.api import api
from libreach.consortium import services as consortium_services
from libreach.consortium.models import Library
from libreach.core.errors import PermissionDenied
from libreach.testing.permissions import (
    STAFF_WRITE,
    RouteCase,
    all_cases,
    db_fingerprint,
    row_counts,
    run_case,
)

CASES = all_cases()
PARAMS = [
    pytest.param(case, actor, status, id=f"{case.label} as {actor}")
    for case in CASES
    for actor, status in case.expectations().items()
]


@pytest.mark.parametrize(("case", "actor", "status"), PARAMS)
def test_route_permissions(consortium, api_as, case, actor, status):
    run_case(consortium, api_as, case, actor, status)


def test_every_route_is_in_the_matrix():
    schema = api.get_openapi_schema()
    routes = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }
    covered = {case.key for case in CASES}
    assert routes - covered == set(), "routes with no permission cases"
    assert covered - routes == set(), "permission cases for routes that do not exist"


def test_the_matrix_catches_a_refused_call_that_updates_a_row(consortium, api_as, monkeypatch):
    """A service that renames the library and then refuses, outside any transaction:
    the row count stays, so the old check passed it; the contents differ, so the matrix
    fails it."""
    counts = {}

    def leaky_create_building(*, library, by, **fields):
        counts["before"] = row_counts()
        Library.objects.filter(pk=library.pk).update(name="改过的名字")
        counts["after"] = row_counts()
        raise PermissionDenied()

    monkeypatch.setattr(consortium_services, "create_building", leaky_create_building)
    case = RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/buildings",
        body={"code": "LAB3", "name": "化学楼"},
        expect=STAFF_WRITE,
    )
    with pytest.raises(AssertionError, match=r"changed the database: \['consortium.Library'\]"):
        run_case(consortium, api_as, case, "other_staff", 403)
    assert counts["before"] == counts["after"], "the count check would have passed it"


def test_the_fingerprint_sees_every_column_and_ignores_what_a_read_may_touch(consortium):
    before = db_fingerprint()
    assert "consortium.Library" in before and "accounts.User" in before
    assert "sessions.Session" not in before
    # A column that is not the name, on a table with other rows.
    Library.objects.filter(pk=consortium.other_lib.pk).update(name_en="Another name")
    assert db_fingerprint()["consortium.Library"] != before["consortium.Library"]
    # A NULL becoming a value.
    point = consortium_services.create_building(library=consortium.lib, code="X", name="X")
    middle = db_fingerprint()
    point.delete()
    assert db_fingerprint()["consortium.Building"] == before["consortium.Building"]
    assert middle["consortium.Building"] != before["consortium.Building"]
