"""Handover by scan: the reader's QR code, card number or pickup code in the scan box finds
the request and swaps its step into the page, focused on what comes next; the hand-over
answers in place too (the focus back in the scan box for the next reader). Without
JavaScript both still work; refusals change nothing; queries stay bounded."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from libreach.contactless import services
from libreach.contactless.models import BorrowRequest, RequestStatus
from libreach.testing.permissions import changed_tables, db_fingerprint

HX = {"HTTP_HX_REQUEST": "true"}


def client_as(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def out_for_delivery(shelf, titles=("红楼梦", "呐喊"), *, user=None, run_to=None) -> BorrowRequest:
    borrow = services.submit_request(
        user=user or shelf.reader,
        library=shelf.lib,
        mode="delivery",
        building_code="DORM1",
        lines=[services.LineSpec(record_id=shelf.record(t).pk) for t in titles],
    )
    for line in borrow.lines.all():
        services.mark_found(request_id=borrow.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=borrow.pk, by=shelf.staff)
    if run_to is not None:
        services.create_run(library=shelf.lib, by=shelf.staff, assignee=run_to)
    services.dispatch(request_id=borrow.pk, by=shelf.staff)
    return BorrowRequest.objects.get(pk=borrow.pk)


def qr(borrow: BorrowRequest) -> str:
    return f"libreach:request:{borrow.pk}:{borrow.pickup_code}"


def scan_url() -> str:
    return reverse("desk:handover_scan", args=["PKU"])


def handover_url() -> str:
    return reverse("desk:handover", args=["PKU"])


def scan_result(html: str) -> str:
    return re.search(r'data-scan-result="(\w+)"', html).group(1)


def focused(html: str) -> str:
    """The id of the element marked to take the focus once swapped in."""
    tags = re.findall(r"<[^>]*\bautofocus\b[^>]*>", html)
    assert len(tags) == 1, tags
    assert "data-focus-after" in tags[0]
    return re.search(r'id="([^"]+)"', tags[0]).group(1)


def test_page_has_the_scan_box(shelf):
    html = client_as(shelf.staff).get(handover_url()).content.decode()
    assert f'action="{scan_url()}"' in html and 'name="scan"' in html
    assert 'id="handover-found"' in html


def test_scanned_qr_swaps_the_step_in_focused_on_the_button(shelf):
    borrow = out_for_delivery(shelf)
    response = client_as(shelf.staff).post(scan_url(), {"scan": qr(borrow)}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert scan_result(html) == "ok"
    assert f'Request {borrow.pk}: <span lang="zh">张三</span>.' in html
    assert '<div id="handover-found" class="handover-found" hx-swap-oob="true">' in html
    # The QR brought the pickup code: the next thing to do is the button.
    assert f'value="{borrow.pickup_code}"' in html
    assert focused(html) == "handover-submit"
    assert 'hx-target="#scan"' in html and 'hx-swap="none"' in html
    # Titles and names in Chinese on an English page say so.
    assert '<span lang="zh">张三</span>' in html
    assert '“<span lang="zh">红楼梦</span>”' in html


def test_card_number_focuses_the_pickup_code(shelf):
    out_for_delivery(shelf)
    html = client_as(shelf.staff).post(scan_url(), {"scan": "2020000001"}, **HX).content.decode()
    assert scan_result(html) == "ok"
    assert focused(html) == "id_pickup_code"
    assert 'value=""' in html


def test_pickup_code_alone_says_to_check_the_card(shelf):
    borrow = out_for_delivery(shelf)
    html = client_as(shelf.staff).post(scan_url(), {"scan": borrow.pickup_code}, **HX)
    html = html.content.decode()
    assert "check the reader&#x27;s card or ID" in html or "check the reader's card" in html
    assert focused(html) == "handover-submit"


def test_several_requests_focus_the_first_choice(shelf):
    first = out_for_delivery(shelf, ("红楼梦",))
    second = out_for_delivery(shelf, ("呐喊",))
    html = client_as(shelf.staff).post(scan_url(), {"scan": "2020000001"}, **HX).content.decode()
    assert scan_result(html) == "ok"
    assert "2 requests ready for handover" in html
    assert focused(html) in (f"choose-{first.pk}", f"choose-{second.pk}")
    # Choosing one in place: its step, focused on the code.
    choice = client_as(shelf.staff).get(
        handover_url(), {"q": "2020000001", "request": first.pk}, **HX
    )
    html = choice.content.decode()
    assert html.startswith('<div id="handover-found"')
    assert focused(html) == "id_pickup_code"


def test_plain_scan_redirects_to_the_search(shelf):
    borrow = out_for_delivery(shelf)
    staff = client_as(shelf.staff)
    response = staff.post(scan_url(), {"scan": qr(borrow)})
    assert response.status_code == 302
    assert response.url.startswith(handover_url() + "?q=libreach%3Arequest%3A")
    page = staff.get(response.url)
    assert page.context["borrow"].pk == borrow.pk
    assert page.context["code"] == borrow.pickup_code


@pytest.mark.parametrize(
    ("what", "status", "words"),
    [
        ("nothing_matches", 404, "No request ready for handover here matches “NOBODY”."),
        ("nobody_by_that_name", 404, 'matches “<span lang="zh">王小明</span>”.'),
        ("other_library_qr", 404, "No such request."),
        ("empty", 400, "Scan or type a barcode."),
    ],
)
def test_scans_that_find_nothing_say_so(shelf, what, status, words):
    out_for_delivery(shelf)
    code = {
        "nothing_matches": "NOBODY",
        "nobody_by_that_name": "王小明",
        "other_library_qr": "libreach:request:99999:123456",
    }
    staff = client_as(shelf.staff)
    before = db_fingerprint()
    response = staff.post(scan_url(), {"scan": code.get(what, " ")}, **HX)
    assert response.status_code == status
    html = response.content.decode()
    assert scan_result(html) == "error" and words in html
    assert "autofocus" not in html  # the focus stays in the scan box
    assert changed_tables(before, db_fingerprint()) == []


def test_a_request_not_ready_is_shown_but_not_offered(shelf):
    borrow = out_for_delivery(shelf)
    services.handover(request_id=borrow.pk, by=shelf.staff, pickup_code=borrow.pickup_code)
    html = client_as(shelf.staff).post(scan_url(), {"scan": qr(borrow)}, **HX).content.decode()
    assert scan_result(html) == "error"
    assert "Already handed over." in html
    assert "autofocus" not in html


def test_hand_over_in_place_lends_and_gives_the_scan_box_the_focus_back(shelf):
    borrow = out_for_delivery(shelf)
    staff = client_as(shelf.staff)
    response = staff.post(
        handover_url(), {"request": borrow.pk, "pickup_code": borrow.pickup_code}, **HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div id="scan-result" hx-swap-oob="innerHTML">' in html
    assert scan_result(html) == "ok"
    assert f"Request {borrow.pk} handed over: 2 loans." in html
    # Nothing left to do on the step: no control claims the focus, so the form's target,
    # the scan box, takes it (inplace.js).
    assert "autofocus" not in html and "data-focus-after" not in html
    assert html.count("<tr><td") == 2  # the loans
    borrow.refresh_from_db()
    assert borrow.status == RequestStatus.DELIVERED


@pytest.mark.parametrize("in_place", [True, False], ids=["htmx", "plain"])
def test_wrong_code_refused_in_place_focused_on_the_code_nothing_lent(shelf, in_place):
    borrow = out_for_delivery(shelf)
    wrong = "000000" if borrow.pickup_code != "000000" else "111111"
    staff = client_as(shelf.staff)
    before = db_fingerprint()
    response = staff.post(
        handover_url(),
        {"request": borrow.pk, "pickup_code": wrong},
        **(HX if in_place else {}),
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "The pickup code does not match. Nothing was lent." in html
    if in_place:
        assert scan_result(html) == "error"
        assert focused(html) == "id_pickup_code"
        assert 'aria-describedby="handover-refused"' in html
    assert changed_tables(before, db_fingerprint()) == []


def test_plain_hand_over_still_redirects(shelf):
    borrow = out_for_delivery(shelf)
    response = client_as(shelf.staff).post(
        handover_url(), {"request": borrow.pk, "pickup_code": borrow.pickup_code}
    )
    assert response.status_code == 302
    assert response.url == f"{handover_url()}?request={borrow.pk}"


def test_volunteer_finds_only_the_requests_of_their_runs(shelf):
    volunteer = shelf.c.volunteer
    theirs = out_for_delivery(shelf, ("红楼梦",), run_to=volunteer)
    not_theirs = out_for_delivery(shelf, ("呐喊",), user=shelf.other_reader)
    client = client_as(volunteer)
    html = client.post(scan_url(), {"scan": qr(theirs)}, **HX).content.decode()
    assert scan_result(html) == "ok" and focused(html) == "handover-submit"
    before = db_fingerprint()
    response = client.post(scan_url(), {"scan": qr(not_theirs)}, **HX)
    assert response.status_code == 404 and "No such request." in response.content.decode()
    response = client.post(
        handover_url(), {"request": not_theirs.pk, "pickup_code": not_theirs.pickup_code}, **HX
    )
    assert response.status_code == 404
    assert changed_tables(before, db_fingerprint()) == []
    response = client.post(
        handover_url(), {"request": theirs.pk, "pickup_code": theirs.pickup_code}, **HX
    )
    assert response.status_code == 200 and scan_result(response.content.decode()) == "ok"


@pytest.mark.parametrize(
    ("actor", "status"), [("other_staff", 403), ("reader", 403), ("anonymous", 302)]
)
def test_others_are_refused_and_nothing_changes(shelf, actor, status):
    borrow = out_for_delivery(shelf)
    client = client_as(shelf.c.actor(actor))
    before = db_fingerprint()
    for headers in (HX, {}):
        assert client.post(scan_url(), {"scan": qr(borrow)}, **headers).status_code == status
        response = client.post(
            handover_url(), {"request": borrow.pk, "pickup_code": borrow.pickup_code}, **headers
        )
        assert response.status_code == status
    assert changed_tables(before, db_fingerprint()) == []


def test_queries_per_scan_do_not_grow_with_the_books_or_requests(shelf):
    staff = client_as(shelf.staff)
    small = out_for_delivery(shelf, ("呐喊",))
    counts = []
    with CaptureQueriesContext(connection) as queries:
        staff.post(scan_url(), {"scan": qr(small)}, **HX)
    counts.append(len(queries))
    big = out_for_delivery(
        shelf, ("红楼梦", "数据结构", "时间简史", "论语译注"), user=shelf.other_reader
    )
    with CaptureQueriesContext(connection) as queries:
        staff.post(scan_url(), {"scan": qr(big)}, **HX)
    counts.append(len(queries))
    assert counts[0] == counts[1] <= 20, counts
