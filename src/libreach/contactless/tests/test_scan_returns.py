"""Returns to the desk by scan: each copy checked in answers in place (the outcome, its
row off the list, the running count) or, without JavaScript, redirects with a message;
the old `barcode` field still works; refusals change nothing; queries stay bounded."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from libreach.catalog.models import Item, ItemStatus
from libreach.catalog.services import ItemInput, create_record
from libreach.circulation.models import CirculationSettings
from libreach.contactless import services
from libreach.testing.permissions import changed_tables, db_fingerprint

HX = {"HTTP_HX_REQUEST": "true"}


def given_back(shelf, titles=("红楼梦", "呐喊", "数据结构")) -> list[Item]:
    """A staged request cancelled by staff: its copies wait at the desk, in transit."""
    borrow = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="pickup",
        service_point_code="MAIN",
        lines=[services.LineSpec(record_id=shelf.record(t).pk) for t in titles],
    )
    for line in borrow.lines.all():
        services.mark_found(request_id=borrow.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=borrow.pk, by=shelf.staff)
    services.cancel_request(request_id=borrow.pk, by=shelf.staff)
    items = list(Item.objects.filter(request_lines__request=borrow).order_by("barcode"))
    assert {item.status for item in items} == {ItemStatus.IN_TRANSIT}
    return items


def client_as(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def url() -> str:
    return reverse("desk:returns", args=["PKU"])


def status_of(item: Item) -> str:
    return Item.objects.values_list("status", flat=True).get(pk=item.pk)


def scan_result(html: str) -> str:
    return re.search(r'data-scan-result="(\w+)"', html).group(1)


@pytest.mark.parametrize("field", ["scan", "barcode"])
def test_scan_checks_in_in_place_with_the_row_off_the_list_and_the_count(shelf, field):
    first, second, _third = given_back(shelf)
    staff = client_as(shelf.staff)
    page = staff.get(url())
    html = page.content.decode()
    assert 'name="scan"' in html and 'id="scan-count"' in html
    assert f'id="return-{first.pk}"' in html
    assert "3 books still waiting" in html or "3" in page.context["count"]

    response = staff.post(url(), {field: first.barcode}, **HX)
    assert response.status_code == 200
    assert response["Vary"] and "HX-Request" in response["Vary"]
    html = response.content.decode()
    assert scan_result(html) == "ok"
    assert f"{first.barcode} checked in: back on the shelf." in html
    assert f'<tr id="return-{first.pk}" hx-swap-oob="delete">' in html
    assert 'id="scan-count" hx-swap-oob="true">Checked in today: 1 · 2 books still waiting' in html
    assert status_of(first) == ItemStatus.AVAILABLE

    html = staff.post(url(), {field: second.barcode}, **HX).content.decode()
    assert "Checked in today: 2 · 1 book still waiting" in html
    # The page, opened again, keeps the tally of the day.
    assert "Checked in today: 2" in staff.get(url()).content.decode()


def test_check_in_quarantines_where_the_library_says_so(shelf):
    CirculationSettings.objects.update_or_create(
        library=shelf.lib, defaults={"quarantine_hours": 72}
    )
    (item,) = given_back(shelf, ("呐喊",))
    response = client_as(shelf.staff).post(url(), {"scan": item.barcode}, **HX)
    html = response.content.decode()
    assert scan_result(html) == "ok"
    assert f"{item.barcode} checked in: quarantined until" in html
    # The last one: the list says it is empty instead of losing its last row.
    assert '<div id="awaiting-list" hx-swap-oob="true"><p class="empty">No book is waiting' in html
    item.refresh_from_db()
    assert item.status == ItemStatus.QUARANTINED and item.quarantine_until is not None


@pytest.mark.parametrize("field", ["scan", "barcode"])
def test_plain_post_redirects_with_the_message(shelf, field):
    (item,) = given_back(shelf, ("呐喊",))
    staff = client_as(shelf.staff)
    response = staff.post(url(), {field: f" {item.barcode} "})
    assert response.status_code == 302 and response.url == url()
    page = staff.get(url())
    assert [str(m) for m in page.context["messages"]] == [
        f"{item.barcode} checked in: back on the shelf."
    ]
    assert status_of(item) == ItemStatus.AVAILABLE


def _other_librarys_copy(shelf) -> Item:
    record = create_record(library=shelf.c.other_lib, title="边城", items=[ItemInput("BLCU0001")])
    item = record.items.get()
    Item.objects.filter(pk=item.pk).update(status=ItemStatus.IN_TRANSIT)
    return item


REFUSED = [
    # what is scanned, the status, the words
    ("unknown", 404, "This library has no copy with that barcode."),
    ("other_library", 404, "This library has no copy with that barcode."),
    ("on_shelf", 409, "That copy is not waiting to be checked in here."),
    ("empty", 400, "Scan or type a barcode."),
]


@pytest.mark.parametrize("in_place", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("what", "status", "words"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refusals_say_why_and_change_nothing(shelf, what, status, words, in_place):
    given_back(shelf, ("呐喊",))
    code = {
        "unknown": "NOPE-1",
        "other_library": _other_librarys_copy(shelf).barcode,
        "on_shelf": shelf.copies("红楼梦")[0].barcode,
        "empty": "  ",
    }[what]
    staff = client_as(shelf.staff)
    before = db_fingerprint()
    response = staff.post(url(), {"scan": code}, **(HX if in_place else {}))
    assert response.status_code == status
    html = response.content.decode()
    assert words in html
    if in_place:
        assert scan_result(html) == "error"
        assert "Checked in today: 0 · 1 book still waiting" in html
        assert 'hx-swap-oob="delete"' not in html
    assert changed_tables(before, db_fingerprint()) == []


@pytest.mark.parametrize(
    ("actor", "status"),
    [("other_staff", 403), ("volunteer", 403), ("reader", 403), ("anonymous", 302)],
)
def test_callers_other_than_the_librarys_staff_are_refused(shelf, actor, status):
    (item,) = given_back(shelf, ("呐喊",))
    client = client_as(shelf.c.actor(actor))
    before = db_fingerprint()
    for headers in (HX, {}):
        response = client.post(url(), {"scan": item.barcode}, **headers)
        assert response.status_code == status
    assert changed_tables(before, db_fingerprint()) == []
    assert status_of(item) == ItemStatus.IN_TRANSIT


def test_queries_per_scan_do_not_grow_with_the_list(shelf):
    staff = client_as(shelf.staff)
    staff.get(url())  # the session exists before counting
    few = given_back(shelf, ("呐喊",))
    counts = []
    for item in few + given_back(shelf, ("红楼梦", "数据结构", "时间简史", "论语译注"))[:1]:
        with CaptureQueriesContext(connection) as queries:
            assert staff.post(url(), {"scan": item.barcode}, **HX).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 14, [q["sql"] for q in queries.captured_queries]
