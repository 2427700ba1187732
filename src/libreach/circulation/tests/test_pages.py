"""The desk pages of circulation, through Django's test client."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from libreach.catalog.models import Item, ItemStatus
from libreach.circulation import services
from libreach.circulation.models import BulkExtension, Loan
from libreach.circulation.tests.conftest import at
from libreach.consortium.models import Closure
from libreach.testing.fixtures import PASSWORD
from libreach.testing.permissions import db_fingerprint

D = dt.timedelta


@pytest.fixture
def client_as(consortium):
    def make(actor):
        client = Client()
        if actor != "anonymous":
            assert client.login(username=consortium.actor(actor).username, password=PASSWORD)
        return client

    return make


@pytest.mark.parametrize("path", ["/desk/PKU/quarantine/", "/desk/PKU/closures/"])
@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 302),
        ("reader", 403),
        ("volunteer", 403),
        ("other_staff", 403),
        ("staff", 200),
        ("consortium_admin", 200),
    ],
)
def test_who_may_open_the_pages(client_as, path, actor, status):
    assert client_as(actor).get(path).status_code == status


def test_quarantine_board_and_early_release(circ, client_as):
    circ.quarantine(circ.lib, 72)
    loan_item = circ.items[0]
    services.checkout(item=loan_item, reader=circ.reader, at=at(timezone.localdate() - D(1)))
    services.checkin(item=loan_item, at_library=circ.lib)
    page = client_as("staff").get("/desk/PKU/quarantine/")
    assert "P001" in page.text and "鲁迅全集" in page.text and "72" in page.text

    before = db_fingerprint()
    assert client_as("other_staff").post("/desk/PKU/quarantine/P001/release/").status_code == 403
    refused = client_as("staff").post("/desk/PKU/quarantine/P002/release/", follow=True)
    assert "P002" in refused.text and Item.objects.get(barcode="P002").status == "available"
    assert db_fingerprint() == before

    done = client_as("staff").post("/desk/PKU/quarantine/P001/release/", follow=True)
    assert done.redirect_chain[-1][0] == "/desk/PKU/quarantine/"
    assert Item.objects.get(barcode="P001").status == ItemStatus.AVAILABLE
    assert "没有" in done.text or "No book" in done.text


def test_declare_and_lift_a_closure(circ, client_as):
    today = timezone.localdate()
    loan = services.checkout(item=circ.item, reader=circ.reader)
    Loan.objects.filter(pk=loan.pk).update(due_date=today + D(3))
    staff = client_as("staff")

    bad = {"start_date": str(today + D(5)), "end_date": str(today + D(1))}
    before = db_fingerprint()
    response = staff.post("/desk/PKU/closures/declare/", bad)
    assert response.status_code == 422 and Closure.objects.count() == 0
    assert db_fingerprint() == before

    good = {"start_date": str(today + D(1)), "end_date": str(today + D(6)), "reason": "疫情"}
    preview = staff.post("/desk/PKU/closures/declare/", good)  # the preview first
    assert preview.status_code == 200 and not Closure.objects.exists()
    assert db_fingerprint() == before
    digest = re.search(r'name="previewed" value="([0-9a-f]+)"', preview.text).group(1)
    response = staff.post(
        "/desk/PKU/closures/declare/",
        {**good, "action": "apply", "previewed": digest},
        follow=True,
    )
    closure = Closure.objects.get()
    assert (closure.reason, closure.stops_counter_loans) == ("疫情", False)  # box unticked
    assert Loan.objects.get(pk=loan.pk).due_date > today + D(6)
    assert "疫情" in response.text

    staff.post(f"/desk/PKU/closures/{closure.pk}/lift/")
    assert Closure.objects.get().lifted_at is not None
    assert Loan.objects.get(pk=loan.pk).due_date == today + D(3)
    again = staff.post(f"/desk/PKU/closures/{closure.pk}/lift/", follow=True)
    assert again.status_code == 200
    assert (
        client_as("other_staff").post(f"/desk/PKU/closures/{closure.pk}/lift/").status_code == 403
    )


def test_preview_then_apply_an_extension(circ, client_as):
    today = timezone.localdate()
    loan = services.checkout(item=circ.item, reader=circ.reader)
    staff = client_as("staff")
    form = {
        "reader_type": "",
        "due_from": str(today),
        "due_to": str(today + D(60)),
        "new_due_date": str(today + D(70)),
    }
    before = db_fingerprint()
    preview = staff.post("/desk/PKU/loans/extend/", {**form, "action": "preview"})
    assert preview.status_code == 200 and "circ-preview" in preview.text
    assert db_fingerprint() == before

    past = staff.post(
        "/desk/PKU/loans/extend/", {**form, "new_due_date": "2000-01-01", "action": "apply"}
    )
    assert past.status_code == 422 and db_fingerprint() == before

    staff.post("/desk/PKU/loans/extend/", {**form, "action": "apply"})
    assert Loan.objects.get(pk=loan.pk).due_date >= today + D(70)
    assert BulkExtension.objects.get().count == 1
