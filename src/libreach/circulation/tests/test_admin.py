"""The admin lists loans and policies, filters them and finds loans by barcode or card."""

import pytest
from django.test import Client

from libreach.circulation import services
from libreach.circulation.tests.conftest import MONDAY, at


@pytest.fixture
def admin_client_(circ):
    client = Client()
    client.force_login(circ.c.consortium_admin)
    return client


def test_loan_changelist_search_and_filters(circ, admin_client_):
    services.checkout(item=circ.items[0], reader=circ.reader, at=at(MONDAY))
    services.checkout(item=circ.items[1], reader=circ.other_reader, at=at(MONDAY))
    page = admin_client_.get("/admin/circulation/loan/", {"q": "P001"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    page = admin_client_.get("/admin/circulation/loan/", {"q": circ.other_reader.card_number})
    assert [loan.item.barcode for loan in page.context["cl"].result_list] == ["P002"]
    page = admin_client_.get("/admin/circulation/loan/", {"open": "no"})
    assert page.context["cl"].result_count == 0
    assert admin_client_.get("/admin/circulation/loan/add/").status_code == 403


def test_policy_changelist(circ, admin_client_):
    page = admin_client_.get("/admin/circulation/loanpolicy/", {"library__id__exact": circ.lib.pk})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    assert admin_client_.get("/admin/circulation/circulationsettings/").status_code == 200
