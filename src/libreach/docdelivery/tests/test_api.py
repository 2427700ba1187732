"""The routes of API.md's Document delivery section, as written there."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from libreach.docdelivery.models import DocRequest
from libreach.docdelivery.tests.conftest import ARTICLE, PDF, TUESDAY_10
from libreach.testing.fixtures import ApiClient
from libreach.testing.permissions import db_fingerprint

pytestmark = pytest.mark.django_db
URL = "/api/v1/docdelivery/requests"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(TUESDAY_10, tick=False):
        yield


def _create(api_as, **changes):
    response = api_as("reader").post(
        URL, {"library": "PKU", "type": "article", **ARTICLE, **changes}
    )
    assert response.status_code == 201, response.content
    return response.json()


def _lender(members, n=0) -> ApiClient:
    return ApiClient(members.lender_staff[n])


def _approved(api_as, members):
    created = _create(api_as)
    response = api_as("staff").post(f"{URL}/{created['id']}/approve", {"rota": members.codes})
    assert response.status_code == 200, response.content
    return created["id"]


def _error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == code and body["detail"], body


def test_a_reader_creates_and_a_duplicate_is_409(api_as, members):
    created = _create(api_as)
    assert created["status"] == "new"
    before = db_fingerprint()
    _error(
        api_as("reader").post(URL, {"library": "PKU", "type": "article", **ARTICLE}),
        409,
        "duplicate",
    )
    assert db_fingerprint() == before


def test_malformed_and_invalid_bodies(api_as, members):
    reader = api_as("reader")
    assert reader.post(URL, {"library": "PKU", "type": "map", "title": "x"}).status_code == 422
    assert reader.post(URL, {"library": "PKU", "type": "article"}).status_code == 422
    _error(
        reader.post(URL, {"library": "THU", "type": "article", **ARTICLE}), 403, "not_your_library"
    )
    _error(
        ApiClient().post(URL, {"library": "PKU", "type": "article", **ARTICLE}),
        401,
        "not_authenticated",
    )


@pytest.mark.parametrize(
    "who, status",
    [("reader", 200), ("staff", 200), ("consortium_admin", 200), ("other_reader", 404),
     ("other_staff", 404), ("volunteer", 404), ("anonymous", 401)],
)  # fmt: skip
def test_who_sees_a_request(api_as, members, who, status):
    request_id = _approved(api_as, members)
    client = ApiClient(members.c.actor(who)) if who != "anonymous" else ApiClient()
    response = client.get(f"{URL}/{request_id}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["lender"] == "THU" and body["rota"] == ["THU", "RUC", "BNU"]
        assert [e["event"] for e in body["history"]] == ["submitted", "approved", "sent"]


def test_the_lender_holding_it_sees_it_and_the_next_does_not_yet(api_as, members):
    request_id = _approved(api_as, members)
    assert _lender(members, 0).get(f"{URL}/{request_id}").status_code == 200
    assert _lender(members, 1).get(f"{URL}/{request_id}").status_code == 404


def test_unfilled_passes_it_on_and_the_last_ends_it(api_as, members):
    request_id = _approved(api_as, members)
    for n, reason in enumerate(("NotHeld", "NotOnShelf", "Lacking")):
        response = _lender(members, n).post(f"{URL}/{request_id}/unfilled", {"reason": reason})
        assert response.status_code == 200, response.content
    assert response.json() == {"id": request_id, "status": "unfilled"}
    body = api_as("reader").get(f"{URL}/{request_id}").json()
    assert body["status"] == "unfilled" and body["lender"] is None


def test_unfilled_refusals(api_as, members):
    request_id = _approved(api_as, members)
    before = db_fingerprint()
    _error(
        _lender(members).post(f"{URL}/{request_id}/unfilled", {"reason": "Sleeping"}),
        422,
        "invalid_reason",
    )
    _error(
        api_as("staff").post(f"{URL}/{request_id}/unfilled", {"reason": "NotHeld"}),
        403,
        "forbidden",
    )
    _error(
        _lender(members, 1).post(f"{URL}/{request_id}/unfilled", {"reason": "NotHeld"}),
        404,
        "request_not_found",
    )
    assert db_fingerprint() == before


def test_supply_a_pdf_and_the_reader_downloads_it(api_as, members, file_store):
    request_id = _approved(api_as, members)
    lender = _lender(members)
    response = lender.client.post(
        f"{URL}/{request_id}/supply",
        {"file": SimpleUploadedFile("copy.pdf", PDF, content_type="application/pdf")},
        headers=lender.headers,
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"id": request_id, "status": "delivered"}
    assert api_as("reader").get(f"{URL}/{request_id}").json()["file"] is True
    download = api_as("reader").get(f"{URL}/{request_id}/file")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF
    assert api_as("staff").get(f"{URL}/{request_id}/file").status_code == 200
    _error(lender.get(f"{URL}/{request_id}/file"), 403, "forbidden")
    _error(api_as("other_reader").get(f"{URL}/{request_id}/file"), 404, "request_not_found")
    with time_machine.travel(TUESDAY_10 + dt.timedelta(days=30), tick=False):
        reader = ApiClient(members.c.reader)  # a token of that day
        _error(reader.get(f"{URL}/{request_id}/file"), 410, "link_expired")


def test_not_a_pdf_is_400_and_changes_nothing(api_as, members, file_store):
    request_id = _approved(api_as, members)
    lender = _lender(members)
    before = db_fingerprint()
    response = lender.client.post(
        f"{URL}/{request_id}/supply",
        {
            "file": SimpleUploadedFile(
                "copy.pdf", b"<html>not a pdf</html>", content_type="application/pdf"
            )
        },
        headers=lender.headers,
    )
    _error(response, 400, "not_a_pdf")
    assert db_fingerprint() == before
    assert DocRequest.objects.get(pk=request_id).status == "sent"


def test_reject_and_satisfy_locally(api_as, members):
    first = _create(api_as)["id"]
    _error(api_as("staff").post(f"{URL}/{first}/reject", {"reason": ""}), 422, "invalid")
    response = api_as("staff").post(f"{URL}/{first}/reject", {"reason": "本馆不提供此类文献"})
    assert response.json()["status"] == "rejected"
    second = _create(api_as)["id"]
    _error(api_as("reader").post(f"{URL}/{second}/satisfy-locally", {}), 403, "forbidden")
    response = api_as("staff").post(
        f"{URL}/{second}/satisfy-locally", {"note": "本馆订有 Nature 电子版"}
    )
    assert response.json()["status"] == "satisfied_locally"


def test_a_request_that_does_not_exist_is_404(api_as, members):
    _error(api_as("staff").get(f"{URL}/999999"), 404, "request_not_found")


def test_the_statistics_route(api_as, members, file_store):
    request_id = _approved(api_as, members)
    _lender(members).post(f"{URL}/{request_id}/unfilled", {"reason": "NotHeld"})
    _create(api_as, doi="", article_title="Other", pages="1-2")
    stats_url = "/api/v1/libraries/PKU/stats/docdelivery"
    body = api_as("staff").get(stats_url, {"from": "2026-03-01", "to": "2026-03-31"}).json()
    assert body["received"] == 2 and body["satisfied"] == 0
    assert {"fill_rate", "unfilled_by_reason", "median_hours_to_delivery", "as_lender"} <= set(body)
    thu = _lender(members).get(
        "/api/v1/libraries/THU/stats/docdelivery", {"from": "2026-03-01", "to": "2026-03-31"}
    )
    assert thu.json()["as_lender"]["unfilled_by_reason"] == {"NotHeld": 1}
    _error(
        api_as("reader").get(stats_url, {"from": "2026-03-01", "to": "2026-03-31"}),
        403,
        "forbidden",
    )
    _error(
        api_as("other_staff").get(stats_url, {"from": "2026-03-01", "to": "2026-03-31"}),
        403,
        "forbidden",
    )
    _error(
        api_as("staff").get(stats_url, {"from": "2026-03-31", "to": "2026-03-01"}),
        422,
        "invalid_range",
    )
    everyone = api_as("consortium_admin").get(
        "/api/v1/stats/docdelivery", {"from": "2026-03-01", "to": "2026-03-31"}
    )
    assert everyone.status_code == 200
    _error(
        api_as("staff").get(
            "/api/v1/stats/docdelivery", {"from": "2026-03-01", "to": "2026-03-31"}
        ),
        403,
        "forbidden",
    )


def test_fees_and_subsidy_per_member(api_as, members, file_store):
    from decimal import Decimal

    from libreach.docdelivery.models import FeeBasis, FeePolicy, ServiceType

    FeePolicy.objects.create(
        service_type=ServiceType.COPY, basis=FeeBasis.PER_REQUEST, price=Decimal("10.00"),
        valid_from=dt.date(2026, 1, 1),
    )  # fmt: skip
    request_id = _approved(api_as, members)
    lender = _lender(members)
    lender.client.post(
        f"{URL}/{request_id}/supply",
        {"file": SimpleUploadedFile("copy.pdf", PDF, content_type="application/pdf")},
        headers=lender.headers,
    )
    url = "/api/v1/stats/docdelivery/fees"
    period = {"from": "2026-03-01", "to": "2026-03-31"}
    body = api_as("consortium_admin").get(url, period).json()
    assert body["PKU"]["fees"] == "10.00" and body["PKU"]["paid_by_readers"] == "10.00"
    assert body["THU"]["supplied"] == 1
    _error(api_as("staff").get(url, period), 403, "forbidden")
