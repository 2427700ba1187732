from libreach.testing.permissions import RouteCase

ALL_OK = dict.fromkeys(
    ["anonymous", "reader", "other_reader", "staff", "other_staff", "consortium_admin"], 200
)
STAFF_WRITE = {
    "anonymous": 401,
    "reader": 403,
    "other_reader": 403,
    "staff": 201,
    "other_staff": 403,
    "consortium_admin": 201,
}

CASES = [
    RouteCase(
        "POST",
        "/api/v1/libraries",
        body={"code": "THU", "name": "清华大学图书馆"},
        expect={**dict.fromkeys(STAFF_WRITE, 403), "anonymous": 401, "consortium_admin": 201},
        extra={"library_admin": 403},
    ),
    RouteCase("GET", "/api/v1/libraries", expect=ALL_OK),
    RouteCase("GET", "/api/v1/libraries/{lib}", expect=ALL_OK),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/buildings",
        body={"code": "LAB3", "name": "化学楼"},
        expect=STAFF_WRITE,
        extra={"library_admin": 201, "volunteer": 403},
    ),
    RouteCase("GET", "/api/v1/libraries/{lib}/buildings", expect=ALL_OK),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/service-points",
        body={"code": "WEST", "name": "西门取书点", "is_pickup": True, "slot_capacity": 5},
        expect=STAFF_WRITE,
        extra={"library_admin": 201, "volunteer": 403},
    ),
    RouteCase("GET", "/api/v1/libraries/{lib}/service-points", expect=ALL_OK),
]
