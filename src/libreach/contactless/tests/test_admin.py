"""The admin shows requests with their lines, events and disinfections, read-only."""

import pytest
from django.test import Client

from libreach.contactless import services


@pytest.fixture
def admin(shelf):
    client = Client()
    client.force_login(shelf.c.consortium_admin)
    return client


def test_every_contactless_page_opens(shelf, admin):
    request = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        lines=[services.LineSpec(record_id=shelf.record("红楼梦").id)],
    )
    line = request.lines.get()
    services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
    services.disinfect(request_id=request.pk, by=shelf.staff, method="uv", minutes=30)
    services.stage(request_id=request.pk, by=shelf.staff)
    services.create_run(library=shelf.lib, by=shelf.staff)
    for model in ("borrowrequest", "deliveryrun", "pickslip", "slotbooking"):
        assert admin.get(f"/admin/contactless/{model}/").status_code == 200
        assert admin.get(f"/admin/contactless/{model}/add/").status_code == 403
    page = admin.get(f"/admin/contactless/borrowrequest/{request.pk}/change/")
    assert page.status_code == 200
    assert "红楼梦" in page.content.decode()
    assert request.pickup_code not in page.content.decode()  # the reader's, not the admin's
    listing = admin.get("/admin/contactless/borrowrequest/", {"q": "2020000001"})
    assert listing.context["cl"].result_count == 1
