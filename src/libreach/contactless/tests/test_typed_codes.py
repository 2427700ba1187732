"""Codes as people type them: full-width digits from a Chinese input method, spaces, lower
case, anything at all. The right code in any typed form works; anything else is refused
with the contract's error and changes nothing; nothing typed gives a 500."""

from __future__ import annotations

import string

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libreach.catalog.models import Item, ItemStatus
from libreach.contactless import services
from libreach.contactless.models import BorrowRequest, RequestLine, RequestStatus
from libreach.testing.fixtures import PASSWORD, ApiClient
from libreach.testing.permissions import db_fingerprint

WIDE = str.maketrans(
    string.digits + string.ascii_uppercase + string.ascii_lowercase,
    "".join(chr(0xFF10 + i) for i in range(10))
    + "".join(chr(0xFF21 + i) for i in range(26))
    + "".join(chr(0xFF41 + i) for i in range(26)),
)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def wide(text: str) -> str:
    """As a Chinese input method in full-width mode types it."""
    return text.translate(WIDE)


def _out_for_delivery(shelf, title="红楼梦") -> BorrowRequest:
    request = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        lines=[services.LineSpec(record_id=shelf.record(title).pk)],
    )
    for line in RequestLine.objects.filter(request=request):
        services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=request.pk, by=shelf.staff)
    services.dispatch(request_id=request.pk, by=shelf.staff)
    return BorrowRequest.objects.get(pk=request.pk)


def _handover_url(request: BorrowRequest) -> str:
    return f"/api/v1/borrow-requests/{request.pk}/handover"


def test_full_width_pickup_code_hands_over_through_the_api(shelf):
    request = _out_for_delivery(shelf)
    staff = ApiClient(shelf.staff)
    typed = "\u3000" + wide(request.pickup_code[:3]) + " " + wide(request.pickup_code[3:])
    response = staff.post(_handover_url(request), {"pickup_code": typed})
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert request.status == RequestStatus.DELIVERED


@FUZZ
@given(typed=st.text(max_size=40))
def test_any_typed_pickup_code_is_refused_cleanly_or_accepted(shelf, typed):
    request = _out_for_delivery(shelf) if not hasattr(shelf, "fuzz_request") else None
    if request is not None:
        shelf.fuzz_request = request
        shelf.fuzz_client = ApiClient(shelf.staff)
    request = shelf.fuzz_request
    right = services_code_matches(typed, request.pickup_code)
    if right:  # hypothesis may type the right code: that is not this test's point
        return
    before = db_fingerprint()
    response = shelf.fuzz_client.post(_handover_url(request), {"pickup_code": typed})
    assert response.status_code in (400, 403, 422), response.content
    assert set(response.json()) >= {"error", "detail"}
    assert db_fingerprint() == before


def services_code_matches(typed: str, code: str) -> bool:
    from libreach.core.normalise import digits_code

    return digits_code(typed) == code


def test_full_width_pickup_code_hands_over_at_the_desk(shelf):
    request = _out_for_delivery(shelf)
    client = Client()
    client.login(username=shelf.staff.username, password=PASSWORD)
    url = reverse("desk:handover", args=[shelf.lib.code])
    response = client.post(url, {"request": request.pk, "pickup_code": wide(request.pickup_code)})
    assert response.status_code == 302, response.content[:500]
    request.refresh_from_db()
    assert request.status == RequestStatus.DELIVERED


@FUZZ
@given(typed=st.text(max_size=40))
def test_any_typed_code_at_the_desk_handover_never_fails(shelf, typed):
    if not hasattr(shelf, "fuzz_request"):
        shelf.fuzz_request = _out_for_delivery(shelf)
        shelf.fuzz_client = Client()
        shelf.fuzz_client.login(username=shelf.staff.username, password=PASSWORD)
    request = shelf.fuzz_request
    if services_code_matches(typed, request.pickup_code):
        return
    url = reverse("desk:handover", args=[shelf.lib.code])
    before = db_fingerprint()
    looked_up = shelf.fuzz_client.get(url, {"request": typed})
    assert looked_up.status_code in (200, 404), looked_up.status_code
    response = shelf.fuzz_client.post(url, {"request": request.pk, "pickup_code": typed})
    assert response.status_code in (400, 403), response.status_code
    assert db_fingerprint() == before


def test_a_copy_taken_at_the_desk_may_be_typed_in_any_case_and_width(shelf):
    request = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        lines=[services.LineSpec(record_id=shelf.record("红楼梦").pk)],
    )
    line = RequestLine.objects.get(request=request)
    staff = ApiClient(shelf.staff)
    # The third copy, typed in full-width lower case with a stray space.
    response = staff.post(
        f"/api/v1/borrow-requests/{request.pk}/lines/{line.pk}/found",
        {"barcode": " " + wide("pku013")},
    )
    assert response.status_code == 200, response.content
    assert Item.objects.get(barcode="PKU013").status == ItemStatus.IN_PROCESS


@FUZZ
@given(typed=st.text(max_size=70))
def test_any_typed_barcode_for_a_found_copy_is_refused_cleanly(shelf, typed):
    if not hasattr(shelf, "fuzz_request"):
        shelf.fuzz_request = services.submit_request(
            user=shelf.reader,
            library=shelf.lib,
            mode="delivery",
            lines=[services.LineSpec(record_id=shelf.record("数据结构").pk)],
        )
        shelf.fuzz_client = ApiClient(shelf.staff)
    request = shelf.fuzz_request
    line = RequestLine.objects.get(request=request)
    from libreach.core.normalise import barcode

    if barcode(typed) in {"PKU031", "PKU032"}:
        return
    before = db_fingerprint()
    response = shelf.fuzz_client.post(
        f"/api/v1/borrow-requests/{request.pk}/lines/{line.pk}/found", {"barcode": typed}
    )
    assert response.status_code in (400, 404, 409, 422), response.content
    assert db_fingerprint() == before


def test_a_reader_may_ask_for_a_copy_typed_in_full_width(shelf):
    reader = ApiClient(shelf.reader)
    response = reader.post(
        "/api/v1/borrow-requests",
        {"library": "PKU", "mode": "delivery", "lines": [{"item": wide("pku021")}]},
    )
    assert response.status_code == 201, response.content
    assert Item.objects.get(barcode="PKU021").status == ItemStatus.REQUESTED


@pytest.mark.parametrize("typed", ["２０２００００００１", " 2020000001\u3000", "2020 0000 01"])
def test_a_card_number_typed_in_full_width_signs_in(consortium, typed):
    response = Client().post(
        "/api/v1/auth/token",
        {"username": typed, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "typed", ["\u200b\u200b\u200b\u200b\u200b", "１２\u200b３", "\u3000 \u3000 "]
)
def test_a_proxy_id_number_of_fewer_than_four_visible_characters_is_refused(shelf, typed):
    reader = ApiClient(shelf.reader)
    before = db_fingerprint()
    response = reader.post(
        "/api/v1/borrow-requests",
        {
            "library": "PKU",
            "mode": "proxy",
            "service_point": "MAIN",
            "proxy": {"name": "王五", "id_number": typed},
            "lines": [{"record": shelf.record("红楼梦").pk}],
        },
    )
    assert response.status_code == 422, response.content
    assert response.json()["error"] in ("proxy_required", "invalid")
    assert db_fingerprint() == before
