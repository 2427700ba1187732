"""The pick list's and the request page's scan boxes and in-place answers: a scan sent by
htmx (HX-Request) gets a fragment of a few hundred bytes (the outcome, the count, the row
taken off); a plain post gets a message and the page back; a refusal keeps its status."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from libreach.contactless import desk_selectors, services
from libreach.contactless.models import LineStatus, RequestLine, RequestStatus
from libreach.contactless.tests.conftest import at
from libreach.contactless.tests.test_desk_pages import client_as, messages_of

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def submit(shelf, *barcodes, reader=None, records=(), **extra):
    return services.submit_request(
        user=reader or shelf.reader,
        library=shelf.lib,
        mode="delivery",
        building_code="DORM1",
        lines=[services.LineSpec(barcode=b) for b in barcodes]
        + [services.LineSpec(record_id=shelf.record(t).pk) for t in records],
        **extra,
    )


@pytest.fixture
def staff(shelf):
    client = client_as(shelf.staff)
    client.cookies["django_language"] = "en"
    return client


def scan_url(shelf):
    return reverse("desk:picklist_scan", args=[shelf.lib.code])


def test_the_pick_list_has_one_scan_box_and_the_count(shelf, staff):
    submit(shelf, "PKU012", "PKU021")
    page = staff.get(reverse("desk:picklist", args=[shelf.lib.code])).content.decode()
    assert page.count('name="scan"') == 1
    assert f'action="{scan_url(shelf)}"' in page
    assert 'id="scan-count">found 0 of 2<' in page


def test_a_scan_sent_in_place_answers_with_a_small_fragment(shelf, staff):
    request = submit(shelf, "PKU012", "PKU021")
    line = request.lines.get(item__barcode="PKU012")
    response = staff.post(scan_url(shelf), {"scan": "PKU012"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert 'data-scan-result="ok"' in html
    assert 'Found “<span lang="zh">红楼梦</span>”' in html  # the title's language marked
    assert "I242.4/1" in html and f"request {request.pk}, No. {request.queue_number}" in html
    assert 'id="scan-count" hx-swap-oob="true">found 1 of 2<' in html
    assert f'<tr id="line-{line.pk}" hx-swap-oob="delete">' in html
    assert 'id="picklist-summary" hx-swap-oob="true">1 book to pick · 1 not yet' in html
    assert "autofocus" not in html  # the focus stays in the scan box
    assert len(response.content) < 1024, len(response.content)
    assert RequestLine.objects.get(pk=line.pk).status == LineStatus.FOUND


def test_a_refused_scan_keeps_its_status_and_says_which_barcode(shelf, staff):
    submit(shelf, "PKU012")
    for barcode, status, code in (
        ("PKU011", 422, "PKU011"),
        ("NOSUCH", 404, "NOSUCH"),
    ):
        response = staff.post(scan_url(shelf), {"scan": barcode}, **HX)
        html = response.content.decode()
        assert response.status_code == status
        assert 'data-scan-result="error"' in html and code in html
        assert 'id="scan-count" hx-swap-oob="true">found 0 of 1<' in html
    staff.post(scan_url(shelf), {"scan": "PKU012"}, **HX)
    again = staff.post(scan_url(shelf), {"scan": "PKU012"}, **HX)
    assert again.status_code == 409 and "already found" in again.content.decode()


def test_without_javascript_a_scan_posts_and_comes_back_to_the_list(shelf, staff):
    request = submit(shelf, "PKU012")
    response = staff.post(scan_url(shelf), {"scan": "PKU012", "service_point": "MAIN"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("/pick-list/?service_point=MAIN")
    (message,) = messages_of(response)
    assert message[0] == "success" and f"request {request.pk}" in message[1]
    refused = staff.post(scan_url(shelf), {"scan": "PKU012"}, follow=True)
    assert messages_of(refused)[0][0] == "error"


def test_the_count_is_todays_picking_in_the_local_day(shelf):
    day = dt.date(2030, 1, 7)
    first = submit(shelf, "PKU012", "PKU021", "PKU031")
    lines = {line.item.barcode: line for line in first.lines.all()}
    services.mark_found(
        request_id=first.pk, line_id=lines["PKU012"].pk, by=shelf.staff, at=at(day, 23, 50)
    )
    services.mark_not_found(
        request_id=first.pk,
        line_id=lines["PKU021"].pk,
        by=shelf.staff,
        reason="not_on_shelf",
        at=at(day + dt.timedelta(days=1), 0, 10),
    )
    # Found just before midnight: yesterday's. Not found after: today's, still in the "of".
    assert desk_selectors.pick_count(shelf.lib, at=at(day + dt.timedelta(days=1), 9)) == (
        0,
        2,
        1,
        1,
    )
    assert desk_selectors.pick_count(shelf.lib, at=at(day, 23, 59)) == (1, 2, 1, 1)
    services.print_pick_slip(library=shelf.lib, by=shelf.staff)
    # Printed: still one line to pick, none unprinted.
    assert desk_selectors.pick_count(shelf.lib, at=at(day, 23, 59)) == (1, 2, 1, 0)


def test_a_scan_takes_a_bounded_number_of_queries_whatever_the_list(shelf, staff):
    def queries(barcode):
        with CaptureQueriesContext(connection) as captured:
            response = staff.post(scan_url(shelf), {"scan": barcode}, **HX)
        assert response.status_code == 200, response.content
        return len(captured)

    submit(shelf, "PKU012")
    few = queries("PKU012")
    submit(shelf, "PKU013", "PKU021", "PKU031", "PKU032", "PKU041", "PKU051", "PKU052")
    many = queries("PKU013")
    assert many == few, (few, many)
    assert many <= 25, many


def test_the_rows_buttons_answer_in_place(shelf, staff):
    request = submit(shelf, "PKU012", "PKU021")
    one, two = request.lines.order_by("position")
    url = reverse("desk:line_found", args=[shelf.lib.code, request.pk, one.pk])
    response = staff.post(url, HTTP_HX_TARGET="scan-result", **HX)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-scan-result="ok"' in html
    assert f'<tr id="line-{one.pk}" hx-swap-oob="delete">' in html
    url = reverse("desk:line_not_found", args=[shelf.lib.code, request.pk, two.pk])
    response = staff.post(url, {"reason": "missing"}, HTTP_HX_TARGET="scan-result", **HX)
    html = response.content.decode()
    assert f'<tr id="line-{two.pk}" hx-swap-oob="delete">' in html
    assert "Not found" in html
    refused = staff.post(url, {"reason": "missing"}, HTTP_HX_TARGET="scan-result", **HX)
    assert refused.status_code == 409 and 'data-scan-result="error"' in refused.content.decode()


def test_the_request_page_scans_its_own_books_and_answers_in_place(shelf, staff):
    request = submit(shelf, "PKU012", records=("数据结构",))
    other = submit(shelf, "PKU021", reader=shelf.other_reader)
    page = staff.get(reverse("desk:request", args=[shelf.lib.code, request.pk]))
    assert 'name="scan"' in page.content.decode()
    url = reverse("desk:request_scan", args=[shelf.lib.code, request.pk])
    refused = staff.post(url, {"scan": "PKU021"}, **HX)
    assert refused.status_code == 422
    assert other.lines.get().status == LineStatus.REQUESTED
    held = request.lines.get(level="record").item.barcode
    spare = next(c.barcode for c in shelf.copies("数据结构") if c.barcode != held)
    response = staff.post(url, {"scan": spare}, **HX)
    html = response.content.decode()
    assert 'data-scan-result="ok"' in html
    assert '<div id="request-work" hx-swap-oob="innerHTML">' in html
    assert request.lines.get(level="record").item.barcode == spare
    # Without JavaScript: the message and the page.
    done = staff.post(url, {"scan": "PKU012"}, follow=True)
    assert done.redirect_chain[-1][0].endswith(f"/requests/{request.pk}/")
    assert messages_of(done)[0][0] == "success"


def test_the_request_pages_actions_answer_in_place(shelf, staff):
    request = submit(shelf, "PKU012")
    line = request.lines.get()
    target = {"HTTP_HX_TARGET": "request-work", **HX}
    found = staff.post(
        reverse("desk:line_found", args=[shelf.lib.code, request.pk, line.pk]), **target
    )
    html = found.content.decode()
    # The section's content, swapped into #request-work (which stays).
    assert 'id="lines-heading"' in html and 'id="request-work"' not in html
    assert 'id="request-status" hx-swap-oob="true"' in html
    assert 'id="messages"' in html and "marked found" in html
    # The button pressed is gone: the next step takes the focus.
    assert html.count("data-focus-after") == 1
    assert (
        'id="stage-button" data-focus-after' in html
        or 'id="disinfect-button" data-focus-after' in html
    )
    staged = staff.post(reverse("desk:stage", args=[shelf.lib.code, request.pk]), **target)
    assert staged.status_code == 200 and "staged and ready" in staged.content.decode()
    again = staff.post(reverse("desk:stage", args=[shelf.lib.code, request.pk]), **target)
    assert again.status_code == 409 and "alert--error" in again.content.decode()
    assert type(request).objects.get(pk=request.pk).status in (
        RequestStatus.READY,
        RequestStatus.AWAITING_PICKUP,
    )


def test_titles_and_names_in_the_other_language_carry_lang(shelf, staff):
    request = submit(shelf, "PKU012")
    pages = [
        reverse("desk:requests", args=[shelf.lib.code]),
        reverse("desk:request", args=[shelf.lib.code, request.pk]),
        reverse("desk:picklist", args=[shelf.lib.code]),
    ]
    for url in pages:
        html = staff.get(url).content.decode()
        # On an English page: the Chinese title and the reader's name.
        assert '<span lang="zh">红楼梦</span>' in html or 'lang="zh">红楼梦<' in html, url
        if "pick-list" not in url:
            assert '<span lang="zh">张三</span>' in html, url
