from libreach.testing.fixtures import PASSWORD
from libreach.testing.permissions import RouteCase

CASES = [
    RouteCase(
        "POST",
        "/api/v1/auth/token",
        body={"username": "2020000001", "password": PASSWORD},
        expect=dict.fromkeys(
            ["anonymous", "reader", "other_reader", "staff", "other_staff", "consortium_admin"], 200
        ),
    ),
    RouteCase(
        "GET",
        "/api/v1/me",
        expect={
            "anonymous": 401,
            "reader": 200,
            "other_reader": 200,
            "staff": 200,
            "other_staff": 200,
            "consortium_admin": 200,
        },
    ),
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/staff",
        body={"username": "new-ref", "password": PASSWORD, "name": "参考馆员", "role": "reference"},
        expect={
            "anonymous": 401,
            "reader": 403,
            "other_reader": 403,
            "staff": 403,
            "other_staff": 403,
            "consortium_admin": 201,
        },
        extra={"library_admin": 201, "volunteer": 403},
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
        expect={
            "anonymous": 401,
            "reader": 403,
            "other_reader": 403,
            "staff": 201,
            "other_staff": 403,
            "consortium_admin": 201,
        },
        extra={"library_admin": 201, "volunteer": 403},
    ),
    RouteCase(
        "GET",
        "/api/v1/libraries/{lib}/readers",
        expect={
            "anonymous": 401,
            "reader": 403,
            "other_reader": 403,
            "staff": 200,
            "other_staff": 403,
            "consortium_admin": 200,
        },
        extra={"volunteer": 403},
    ),
]
