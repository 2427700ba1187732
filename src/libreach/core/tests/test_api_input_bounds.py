"""Inputs the API fuzz (test_api_fuzz) answered with a 500 or a malformed body: each is
refused with a 400 or 422 in the contract's shape, and changes nothing."""

import datetime as dt
import re

import pytest
from django.test import Client

from libreach.catalog.services import ItemInput, create_record
from libreach.consortium.models import Building, Closure
from libreach.consortium.services import set_weekly_hours
from libreach.contactless import services
from libreach.contactless.models import SlotBooking
from libreach.testing.fixtures import ApiClient

SLOTS = "/api/v1/libraries/PKU/service-points/MAIN/slots"
# RFC 3339: the offset is hours and minutes, never seconds.
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")


@pytest.fixture
def open_all_day(consortium):
    set_weekly_hours(
        library=consortium.lib, hours={d: [(dt.time(8), dt.time(22))] for d in range(7)}
    )
    return consortium


def assert_refused(response, status: int) -> None:
    assert response.status_code == status, response.content
    assert set(response.json()) >= {"error", "detail"}


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1299-05-29", "1900-12-31"])
def test_slots_of_a_day_out_of_the_calendar_are_422(open_all_day, api_as, day):
    # 9999-12-31 overflowed into the next day (500); 1299 answered with times at
    # +08:05:43, Shanghai's local mean time, which is no RFC 3339 date-time.
    assert_refused(api_as("reader").get(SLOTS, {"date": day}), 422)


def test_slots_of_an_ordinary_day_are_rfc3339(open_all_day, api_as):
    response = api_as("reader").get(SLOTS, {"date": "2030-01-07"})
    assert response.status_code == 200
    assert response.json()
    for slot in response.json():
        assert RFC3339.match(slot["start"]) and RFC3339.match(slot["end"]), slot


@pytest.mark.parametrize("slot_start", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_booking_a_slot_out_of_the_calendar_is_422(open_all_day, api_as, slot_start):
    record = create_record(
        library=open_all_day.lib, title="呐喊", items=[ItemInput(barcode="FZ0001")]
    )
    request = services.submit_request(
        user=open_all_day.reader,
        library=open_all_day.lib,
        mode="pickup",
        lines=[services.LineSpec(record_id=record.id)],
        service_point_code="MAIN",
    )
    path = f"/api/v1/borrow-requests/{request.id}/slot"
    assert_refused(api_as("reader").post(path, {"slot_start": slot_start}), 422)
    assert not SlotBooking.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"), [("9999-12-31", "9999-12-31"), ("0001-01-01", "9999-12-31")]
)
def test_closure_to_the_end_of_the_calendar_is_422(consortium, api_as, start, end):
    response = api_as("staff").post(
        "/api/v1/libraries/PKU/closures", {"start_date": start, "end_date": end}
    )
    assert_refused(response, 422)
    assert not Closure.objects.exists()


def test_bulk_extension_to_the_end_of_the_calendar_is_422(consortium, api_as):
    response = api_as("staff").post(
        "/api/v1/libraries/PKU/loans/bulk-extension",
        {"due_from": "2020-01-01", "due_to": "9999-12-31", "new_due_date": "9999-12-31"},
    )
    assert_refused(response, 422)


@pytest.mark.parametrize(
    "query", [{"limit": "99999999999999999999"}, {"offset": "99999999999999999999"}]
)
def test_reader_list_beyond_a_database_integer_is_422(consortium, api_as, query):
    assert_refused(api_as("staff").get("/api/v1/libraries/PKU/readers", query), 422)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/libraries/%00", None),
        ("get", "/api/v1/catalog/search?library=%00", None),
        ("get", "/api/v1/libraries/PKU/readers?q=a%00b", None),
        ("post", "/api/v1/libraries/PKU/buildings", {"code": "B1", "name": "宿舍\x00楼"}),
        ("post", "/api/v1/borrow-requests", {"library": "\x00", "mode": "delivery", "lines": []}),
    ],
)
def test_nul_character_is_400(consortium, method, path, body):
    # PostgreSQL cannot hold U+0000: these reached it and came back as 500s.
    client = ApiClient(consortium.staff)
    response = client.get(path) if method == "get" else client.post(path, body)
    assert_refused(response, 400)
    assert not Building.objects.filter(code="B1").exists()


def test_nul_character_in_a_page_query_is_400(consortium, client):
    response = client.get("/desk/", {"q": "\x00"})
    assert response.status_code == 400


def test_every_operation_documents_400(consortium):
    # core.middleware answers 400 on any route, so the OpenAPI document says so.
    schema = Client().get("/api/v1/openapi.json").json()
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "400" not in operation["responses"]
    ]
    assert undocumented == []


def test_unparsable_body_on_the_token_route_is_json_400(consortium, settings):
    # The sign-in lockout reads the form body of a failed sign-in: multipart without a
    # boundary made Django answer its HTML 400 page to an API client.
    settings.LIBREACH_THROTTLE = False
    response = Client().post(
        "/api/v1/auth/token",
        data=b'{"username": "nobody", "password": "x"}',
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "bad_request"
