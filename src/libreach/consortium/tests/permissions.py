from libreach.testing.permissions import (
    PUBLIC,
    STAFF_WRITE,
    STAFF_WRITE_EXTRA,
    RouteCase,
)

CASES = [
    RouteCase(
        "POST",
        "/api/v1/libraries",
        body={"code": "THU", "name": "清华大学图书馆"},
        expect={**STAFF_WRITE, "staff": 403},
        extra={"library_admin": 403},
    ),
    RouteCase("GET", "/api/v1/libraries", expect=PUBLIC),
    RouteCase("GET", "/api/v1/libraries/{lib}", expect=PUBLIC),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/buildings",
        body={"code": "LAB3", "name": "化学楼"},
        expect=STAFF_WRITE,
        extra=STAFF_WRITE_EXTRA,
    ),
    RouteCase("GET", "/api/v1/libraries/{lib}/buildings", expect=PUBLIC),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/service-points",
        body={"code": "WEST", "name": "西门取书点", "is_pickup": True, "slot_capacity": 5},
        expect=STAFF_WRITE,
        extra=STAFF_WRITE_EXTRA,
    ),
    RouteCase("GET", "/api/v1/libraries/{lib}/service-points", expect=PUBLIC),
]
