"""The circulation routes: what they answer, and that a refusal changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from libreach.catalog import services as catalog_services
from libreach.circulation import services
from libreach.circulation.models import BulkExtension, Loan
from libreach.consortium import services as consortium_services
from libreach.consortium.models import Closure
from libreach.testing.permissions import db_fingerprint

D = dt.timedelta


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def loans(consortium, today):
    """PKU, open every day, has lent 张三 two books due in ten and forty days."""
    consortium_services.set_weekly_hours(
        library=consortium.lib, hours={d: [(dt.time(8), dt.time(22))] for d in range(7)}
    )
    record = catalog_services.create_record(
        library=consortium.lib,
        title="呐喊",
        items=[catalog_services.ItemInput(barcode=f"P{n}") for n in range(2)],
    )
    made = []
    for item, days in zip(record.items.order_by("barcode"), (10, 40), strict=True):
        loan = services.checkout(item=item, reader=consortium.reader.reader)
        Loan.objects.filter(pk=loan.pk).update(due_date=today + D(days))
        made.append(loan)
    return made


def refused(client, path, body, status, code):
    before = db_fingerprint()
    response = client.post(path, body)
    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    assert db_fingerprint() == before
    return response


def test_declare_a_closure_re_dates_loans(api_as, loans, today):
    body = {"start_date": str(today + D(5)), "end_date": str(today + D(20)), "reason": "疫情"}
    response = api_as("staff").post("/api/v1/libraries/PKU/closures", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["library"] == "PKU" and data["lifted_at"] is None
    assert (data["loans_redated"], data["loans_restored"]) == (1, 0)
    assert Loan.objects.get(pk=loans[0].pk).due_date == today + D(21)

    listed = api_as("staff").get("/api/v1/libraries/PKU/closures").json()
    assert [c["id"] for c in listed] == [data["id"]]

    lifted = api_as("staff").post(f"/api/v1/libraries/PKU/closures/{data['id']}/lift")
    assert lifted.status_code == 200, lifted.content
    assert lifted.json()["lifted_at"] and lifted.json()["loans_restored"] == 1
    assert Loan.objects.get(pk=loans[0].pk).due_date == today + D(10)
    refused(
        api_as("staff"),
        f"/api/v1/libraries/PKU/closures/{data['id']}/lift",
        {},
        409,
        "closure_lifted",
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"start_date": "2020-02-10", "end_date": "2020-02-01"}, "closure_dates"),
        ({"start_date": "2020-02-10"}, "invalid"),
        ({"start_date": "2020-02-30", "end_date": "2020-03-01"}, "invalid"),
        ({"start_date": "2020-02-10", "end_date": "2020-02-11", "reason": "长" * 201}, "invalid"),
    ],
)
def test_declare_refuses_bad_input(api_as, loans, body, code):
    refused(api_as("staff"), "/api/v1/libraries/PKU/closures", body, 422, code)


def test_closure_routes_answer_404(api_as, consortium, today):
    body = {"start_date": str(today), "end_date": str(today)}
    refused(api_as("staff"), "/api/v1/libraries/NOPE/closures", body, 404, "library_not_found")
    closure = Closure.objects.create(library=consortium.other_lib, start_date=today, end_date=today)
    # Another library's closure does not exist under PKU.
    path = f"/api/v1/libraries/PKU/closures/{closure.pk}/lift"
    refused(api_as("staff"), path, {}, 404, "closure_not_found")
    refused(
        api_as("staff"), "/api/v1/libraries/PKU/closures/999999/lift", {}, 404, "closure_not_found"
    )


def test_bulk_extension_preview_then_apply(api_as, loans, today):
    path = "/api/v1/libraries/PKU/loans/bulk-extension"
    body = {
        "due_from": str(today),
        "due_to": str(today + D(60)),
        "new_due_date": str(today + D(30)),
        "preview": True,
    }
    before = db_fingerprint()
    assert api_as("staff").post(path, body).json() == {"count": 1, "applied": False}
    assert db_fingerprint() == before
    answer = api_as("staff").post(path, {**body, "preview": False, "reader_type": "undergraduate"})
    assert answer.json() == {"count": 1, "applied": True}
    assert Loan.objects.get(pk=loans[0].pk).due_date == today + D(30)
    assert Loan.objects.get(pk=loans[1].pk).due_date == today + D(40)
    assert BulkExtension.objects.get().count == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"due_to": "2000-01-01"}, "due_range"),
        ({"new_due_date": "2000-01-01"}, "new_due_date_past"),
        ({"reader_type": "alumni"}, "invalid"),
        ({"due_from": None}, "invalid"),
    ],
)
def test_bulk_extension_refusals(api_as, loans, today, change, code):
    body = {
        "due_from": str(today),
        "due_to": str(today + D(60)),
        "new_due_date": str(today + D(90)),
    }
    refused(
        api_as("staff"), "/api/v1/libraries/PKU/loans/bulk-extension", {**body, **change}, 422, code
    )
    assert not BulkExtension.objects.exists()


def test_my_loans_and_renewal(api_as, loans, today):
    mine = api_as("reader").get("/api/v1/loans", {"mine": "true"}).json()
    assert [(loan["barcode"], loan["title"], loan["due_date"]) for loan in mine] == [
        ("P0", "呐喊", str(today + D(10))),
        ("P1", "呐喊", str(today + D(40))),
    ]
    assert api_as("other_reader").get("/api/v1/loans").json() == []
    assert api_as("staff").get("/api/v1/loans").json() == []
    response = api_as("reader").get("/api/v1/loans", {"mine": "false"})
    assert (response.status_code, response.json()["error"]) == (422, "mine_only")

    renewed = api_as("reader").post(f"/api/v1/loans/{loans[0].pk}/renew")
    assert renewed.status_code == 200, renewed.content
    assert renewed.json()["renewals"] == 1
    assert renewed.json()["due_date"] == str(today + D(40))


def test_renewal_refusals(api_as, loans, consortium):
    path = f"/api/v1/loans/{loans[0].pk}/renew"
    refused(api_as("other_reader"), path, {}, 404, "loan_not_found")
    refused(api_as("reader"), "/api/v1/loans/999999/renew", {}, 404, "loan_not_found")
    api_as("staff").post(path)
    api_as("staff").post(path)  # the policy's two renewals
    refused(api_as("reader"), path, {}, 422, "too_many_renewals")
    services.checkin(item=loans[0].item, at_library=consortium.lib)
    refused(api_as("reader"), path, {}, 409, "loan_closed")
