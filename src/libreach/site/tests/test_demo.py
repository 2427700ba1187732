"""The demo consortium: complete, searchable, and safe to load twice."""

import pytest
from django.test import Client
from django.utils import timezone

from libreach.accounts.models import ReaderProfile, StaffMembership
from libreach.catalog.models import Item, Record
from libreach.catalog.selectors import search_records
from libreach.consortium.models import Building, Library, ServicePoint
from libreach.contactless.models import BorrowRequest, DeliveryRun
from libreach.docdelivery.models import DocRequest, FeeCharge, SuppliedFile
from libreach.eresources.models import AccessRoute, LinkCheck
from libreach.site.demo import PASSWORD, load_demo


def counts():
    return [
        m.objects.count()
        for m in (
            Library,
            Building,
            ServicePoint,
            ReaderProfile,
            StaffMembership,
            Record,
            Item,
            BorrowRequest,
            DocRequest,
            FeeCharge,
            AccessRoute,
            LinkCheck,
        )
    ]


# One test, as loading the demo imports 3,000 records: it checks the whole of it.
@pytest.mark.slow
def test_demo_consortium(db, settings, tmp_path):
    settings.LIBREACH_HOME = tmp_path  # the supplied PDF's store
    logins = load_demo()

    assert Library.objects.count() == 3
    for library in Library.objects.all():
        types = set(
            ReaderProfile.objects.filter(library=library).values_list("reader_type", flat=True)
        )
        assert types == {"undergraduate", "graduate", "faculty", "staff"}
        roles = set(StaffMembership.objects.filter(library=library).values_list("role", flat=True))
        assert roles == {"circulation", "reference", "admin", "volunteer"}
        assert ServicePoint.objects.filter(library=library, is_pickup=True).exists()
        assert Record.objects.filter(library=library, classification="clc").exists()
    assert Record.objects.count() > 3000
    # Chinese records carry 中图法 call numbers on their items.
    item = Item.objects.filter(record__title="红楼梦", library__code="JHU").first()
    assert item.call_number == "I242.4/12"

    # The printed logins work.
    assert {login.password for login in logins} == {PASSWORD}
    for login in logins:
        assert Client().login(username=login.username, password=login.password), login

    # The catalogue is searchable.
    assert "红楼梦" in [r.title for r in search_records(query="红楼").results]
    assert search_records(query="I247.5").count > 0

    # A morning at JHU's desk: requests in every state of the flow, one run out.
    statuses = set(BorrowRequest.objects.values_list("status", flat=True))
    assert statuses == {
        "delivered",
        "out_for_delivery",
        "awaiting_pickup",
        "submitted",
        "cancelled",
    }
    assert DeliveryRun.objects.get().assignee.username == "jhu-vol"
    # The cancelled request's copy waits on the desk's returns page.
    assert Item.objects.filter(status="in_transit", library__code="JHU").count() == 2

    # Document delivery: JHU's readers' requests in every state, made through the
    # services; one from YSNU waits in JHU's queue as a lender.
    statuses = set(DocRequest.objects.filter(library__code="JHU").values_list("status", flat=True))
    assert statuses == {
        "new", "sent", "will_supply", "retry_possible", "delivered", "shipped", "completed",
        "unfilled", "rejected", "cancelled", "satisfied_locally",
    }  # fmt: skip
    unfilled = DocRequest.objects.get(status="unfilled")
    assert unfilled.history.get(event="end_of_rota").data["reasons"] == [
        [unfilled.rota.get(position=1).lender.code, "InUseOnLoan"],
        [unfilled.rota.get(position=2).lender.code, "NoAnswer"],
    ]
    supplied = SuppliedFile.objects.get()
    pdf = (tmp_path / "files" / "docdelivery" / supplied.path).read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) == supplied.size
    assert DocRequest.objects.get(status="sent", library__code="YSNU").lender.code == "JHU"
    assert FeeCharge.objects.count() == 3  # the copy and the two books lent
    for request in DocRequest.objects.all():  # each at a moment in the past, in order
        moments = list(request.history.order_by("id").values_list("at", flat=True))
        assert moments == sorted(moments) and moments[-1] < timezone.now()

    # E-resources (checked in full by test_demo_eresources): JHU's routes and link history.
    assert AccessRoute.objects.filter(database__library__code="JHU", kind="carsi").count() >= 15
    assert LinkCheck.objects.filter(status="login_required").exists()

    # Loading again changes nothing.
    before = counts()
    assert load_demo() == logins
    assert counts() == before
