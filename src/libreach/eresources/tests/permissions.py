"""Permission cases of the e-resources routes: the reader guide is public (libraries publish
it for anyone off campus); adding databases, the link status and the figures are the
library's staff's (not volunteers'); the consortium's figures its admins'."""

import datetime as dt

from libreach.eresources import services
from libreach.eresources.models import AccessRoute, LinkCheck
from libreach.testing.permissions import PUBLIC, STAFF_READ, STAFF_WRITE, RouteCase

CNKI = {
    "name": "中国知网",
    "name_en": "CNKI",
    "routes": [
        {"kind": "campus_ip", "url": "https://www.cnki.net/"},
        {"kind": "webvpn", "url": "https://www.cnki.net/", "instructions": "先登录 WebVPN"},
    ],
}
STAFF_ONLY_EXTRA = {"library_admin": 200, "volunteer": 403}
CONSORTIUM_ONLY = {
    "anonymous": 401,
    "reader": 403,
    "other_reader": 403,
    "staff": 403,
    "other_staff": 403,
    "consortium_admin": 200,
}


def _listed(consortium) -> dict:
    database = services.create_database(
        by=consortium.staff,
        library=consortium.lib,
        name="Web of Science",
        routes=[{"kind": "carsi", "url": "https://www.webofscience.com/"}],
    )
    route = AccessRoute.objects.get(database=database)
    LinkCheck.objects.create(
        route=route,
        url=route.url,
        status="ok",
        http_status=200,
        checked_at=dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC),
    )
    return {"lib": consortium.lib.code}


CASES = [
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/databases",
        body=CNKI,
        expect=STAFF_WRITE,
        extra={"library_admin": 201, "volunteer": 403},
    ),
    RouteCase(
        "GET",
        "/api/v1/libraries/{lib}/databases",
        setup=_listed,
        query={"works_from_home": "true"},
        expect=PUBLIC,
        extra={"library_admin": 200, "volunteer": 200},
    ),
    RouteCase(
        "GET",
        "/api/v1/libraries/{lib}/link-status",
        setup=_listed,
        expect=STAFF_READ,
        extra=STAFF_ONLY_EXTRA,
    ),
    RouteCase(
        "GET",
        "/api/v1/libraries/{lib}/stats/eresources",
        setup=_listed,
        expect=STAFF_READ,
        extra=STAFF_ONLY_EXTRA,
    ),
    RouteCase("GET", "/api/v1/stats/eresources", setup=_listed, expect=CONSORTIUM_ONLY),
]
