"""Runs every app's permission cases (see libreach.testing.permissions)."""

import pytest

from libreach.api import api
from libreach.testing.permissions import all_cases, db_fingerprint, default_setup

CASES = all_cases()
PARAMS = [
    pytest.param(case, actor, status, id=f"{case.label} as {actor}")
    for case in CASES
    for actor, status in case.expectations().items()
]


@pytest.mark.parametrize(("case", "actor", "status"), PARAMS)
def test_route_permissions(consortium, api_as, case, actor, status):
    client = api_as(actor)
    values = (case.setup or default_setup)(consortium)
    path = case.path.format(**values)
    body = case.body(values) if callable(case.body) else case.body
    before = db_fingerprint()

    if case.method.upper() == "GET":
        response = client.get(path, case.query)
    else:
        response = client.request(case.method, path, body if body is not None else {})

    assert response.status_code == status, (actor, path, response.content[:500])
    if status >= 400:
        payload = response.json()
        assert set(payload) >= {"error", "detail"}, payload
        assert payload["error"] and payload["detail"]
        assert db_fingerprint() == before, "a refused request changed the database"


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
