from libreach.testing.fixtures import PASSWORD
from libreach.testing.permissions import (
    CORE_ACTORS,
    PUBLIC,
    SIGNED_IN,
    STAFF_READ,
    STAFF_WRITE,
    STAFF_WRITE_EXTRA,
    RouteCase,
)

CASES = [
    RouteCase(
        "POST",
        "/api/v1/auth/token",
        body={"username": "2020000001", "password": PASSWORD},
        expect=PUBLIC,
    ),
    # Revokes the caller's own token: anyone holding one may.
    RouteCase(
        "DELETE", "/api/v1/auth/token", expect={**SIGNED_IN, **dict.fromkeys(CORE_ACTORS[1:], 204)}
    ),
    RouteCase("GET", "/api/v1/me", expect=SIGNED_IN),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/staff",
        body={"username": "new-ref", "password": PASSWORD, "name": "参考馆员", "role": "reference"},
        # Only the library's administrators add staff.
        expect={**STAFF_WRITE, "staff": 403},
        extra=STAFF_WRITE_EXTRA,
    ),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/readers",
        body={
            "card_number": "2021000001",
            "name": "王五",
            "reader_type": "faculty",
            "building": "DORM1",
            "password": PASSWORD,
        },
        expect=STAFF_WRITE,
        extra=STAFF_WRITE_EXTRA,
    ),
    RouteCase(
        "GET", "/api/v1/libraries/{lib}/readers", expect=STAFF_READ, extra={"volunteer": 403}
    ),
]
