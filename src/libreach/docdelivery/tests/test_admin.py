"""The admin shows document delivery requests with their rota and timeline, files, charges
and ISO 18626 messages, read-only; it edits only configuration (terms, fees)."""

import pytest
from django.test import Client

from libreach.docdelivery import fees, services
from libreach.docdelivery.models import DocDeliverySettings, Iso18626Message
from libreach.docdelivery.tests.conftest import ARTICLE, PDF, TUESDAY_10

READ_ONLY = ("docrequest", "rotaentry", "suppliedfile", "iso18626message", "feecharge")
CONFIGURATION = ("docdeliverysettings", "feepolicy", "freeperiod")


@pytest.fixture
def admin(members):
    client = Client()
    client.force_login(members.c.consortium_admin)
    return client


def test_every_document_delivery_page_opens(members, admin, file_store):
    request = services.submit(
        by=members.c.reader, library=members.home, type_="article", citation=ARTICLE,
        at=TUESDAY_10,
    )  # fmt: skip
    services.approve(request_id=request.pk, by=members.c.staff, rota=members.codes, at=TUESDAY_10)
    services.unfilled(
        request_id=request.pk, by=members.lender_staff[0], reason="NotOnShelf", at=TUESDAY_10
    )
    services.supply(request_id=request.pk, by=members.lender_staff[1], data=PDF, at=TUESDAY_10)
    request.refresh_from_db()
    charge = fees.record_charge(request, TUESDAY_10)
    DocDeliverySettings.objects.create(library=members.lenders[0], response_days=2)
    message = Iso18626Message.objects.create(
        direction="in", kind="request", peer=members.lenders[0], request=request,
        at=TUESDAY_10, body="<ISO18626Message/>", status="OK",
    )  # fmt: skip

    for model in READ_ONLY + CONFIGURATION:
        assert admin.get(f"/admin/docdelivery/{model}/").status_code == 200, model
    for model in READ_ONLY:
        assert admin.get(f"/admin/docdelivery/{model}/add/").status_code == 403, model
    for model in CONFIGURATION:
        assert admin.get(f"/admin/docdelivery/{model}/add/").status_code == 200, model

    page = admin.get(f"/admin/docdelivery/docrequest/{request.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert ARTICLE["article_title"] in html
    # The rota and the timeline inline, with nothing to submit.
    assert "NotOnShelf" in html and "submitted" in html
    assert 'name="_save"' not in html
    for model, pk in (
        ("rotaentry", request.rota.first().pk),
        ("suppliedfile", request.file.pk),
        ("feecharge", charge.pk),
        ("iso18626message", message.pk),
    ):
        view = admin.get(f"/admin/docdelivery/{model}/{pk}/change/")
        assert view.status_code == 200, model
        assert 'name="_save"' not in view.content.decode(), model
    # Nothing is deleted from here.
    deleting = admin.post(f"/admin/docdelivery/docrequest/{request.pk}/delete/", {"post": "yes"})
    assert deleting.status_code == 403
    request.refresh_from_db()  # still there

    listing = admin.get("/admin/docdelivery/docrequest/", {"q": "0028-0836"})
    assert listing.context["cl"].result_count == 1
