"""The reader's pages answering in place (issue 8): "Add to basket" and "Remove" on the
results, the record page and the basket, and a pickup slot booked on a request. Sent by
htmx (HX-Request) they answer the fragment that is swapped (the control with its stable
id, the header's count and the message out of band), small; sent as a plain form they
redirect as before. A refusal keeps its status and changes nothing."""

import datetime as dt
import re
from html import unescape
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from libreach.catalog.models import Item, ItemStatus
from libreach.catalog.services import ItemInput, create_record
from libreach.contactless import services, slots
from libreach.contactless.models import BasketLine, BorrowRequest, SlotBooking
from libreach.contactless.views import slot_value
from libreach.testing.fixtures import PASSWORD
from libreach.testing.permissions import changed_tables, db_fingerprint

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
# A fragment is a button's worth of HTML, not a page (the results page is 20+ KiB).
FRAGMENT_MAX = 3 * 1024


def signed_in(user, language="zh-hans") -> Client:
    client = Client(headers={"accept-language": language})
    assert client.login(username=user.username, password=PASSWORD)
    return client


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def post(client, path, data, *, hx=False, target=None):
    headers = dict(HX) if hx else {}
    if target:
        headers["HX-Target"] = target
    return client.post(path, data, headers=headers)


def lines_of(user) -> list[tuple[int, int | None]]:
    return sorted(
        BasketLine.objects.filter(reader__user=user).values_list("record_id", "item_id"),
        key=lambda pair: (pair[0], pair[1] or 0),
    )


def assert_fragment(response, *, control_id: str, count: int, message: str, status=200):
    body = response.content.decode()
    assert response.status_code == status, body[:300]
    assert "<html" not in body and "<head" not in body, "a fragment, not a page"
    assert len(response.content) < FRAGMENT_MAX, len(response.content)
    assert "HX-Request" in response.get("Vary", "")
    assert f'id="{control_id}"' in body  # the focused control keeps its id
    # The header's count, out of band into the link (its href and aria-current stay).
    assert re.search(
        rf'<span id="basket-link" hx-swap-oob="innerHTML">\s*借书篮 \({count}\)\s*</span>', body
    ), body
    oob = re.search(r'<div id="messages" hx-swap-oob="innerHTML">(.*?)</div>', body, re.S)
    assert oob and message in words(oob.group(1)), body


# --- "Add to basket" and "Remove" on the results ------------------------------------------


def test_add_on_the_results_answers_the_control_the_count_and_the_message(shelf):
    reader = signed_in(shelf.reader)
    record = shelf.record("红楼梦")
    results = reader.get("/search/", {"q": "红楼梦"}).content.decode()
    # The form keeps its action for no-JS and is sent by htmx into its control.
    assert f'id="basket-record-{record.pk}"' in results
    assert f'hx-post="/basket/add/" hx-target="#basket-record-{record.pk}"' in results
    assert f'id="basket-button-record-{record.pk}"' in results
    assert 'id="basket-link"' in results

    response = post(
        reader, "/basket/add/", {"record": record.pk, "next": "/search/?q=红楼梦"}, hx=True
    )
    assert_fragment(
        response,
        control_id=f"basket-button-record-{record.pk}",
        count=1,
        message="《红楼梦》已放入借书篮。",
    )
    body = response.content.decode()
    # It became "In your basket — Remove", the Remove in the Add button's place (same id).
    assert "已在借书篮" in words(body) and 'action="/basket/remove/"' in body
    assert 'name="next" value="/search/?q=红楼梦"' in body  # back to the results, not /basket/add/
    assert lines_of(shelf.reader) == [(record.pk, None)]

    response = post(
        reader, "/basket/remove/", {"record": record.pk, "next": "/search/?q=红楼梦"}, hx=True
    )
    assert_fragment(
        response,
        control_id=f"basket-button-record-{record.pk}",
        count=0,
        message="《红楼梦》已从借书篮移除。",
    )
    assert 'action="/basket/add/"' in response.content.decode()
    assert lines_of(shelf.reader) == []


def test_without_javascript_add_and_remove_still_post_and_redirect(shelf):
    reader = signed_in(shelf.reader)
    record = shelf.record("红楼梦")
    response = post(reader, "/basket/add/", {"record": record.pk, "next": "/search/?q=红"})
    assert response.status_code == 302 and unquote(response.url) == "/search/?q=红"
    page = reader.get(response.url)
    assert "《红楼梦》已放入借书篮。" in words(page.content.decode())
    assert "借书篮 (1)" in words(page.content.decode())
    response = post(reader, "/basket/remove/", {"record": record.pk, "next": "/search/?q=红"})
    assert response.status_code == 302 and unquote(response.url) == "/search/?q=红"
    assert "已从借书篮移除" in words(reader.get(response.url).content.decode())
    assert lines_of(shelf.reader) == []


def test_a_copy_on_the_record_page_is_added_and_removed_in_place(shelf):
    reader = signed_in(shelf.reader, "en")
    copy = shelf.copies("红楼梦")[1]
    page = reader.get(f"/records/{copy.record_id}/").content.decode()
    assert f'hx-target="#basket-item-{copy.pk}"' in page

    response = post(reader, "/basket/add/", {"item": copy.pk, "next": "/records/"}, hx=True)
    body = response.content.decode()
    assert response.status_code == 200 and f'id="basket-button-item-{copy.pk}"' in body
    assert f"Remove this copy: {copy.barcode}" in body
    assert "Basket (1)" in words(body)
    # The Chinese title in the English sentence is read in Chinese (WCAG 3.1.2).
    assert f'Copy {copy.barcode} of “<span lang="zh">红楼梦</span>” is in your basket.' in body

    response = post(reader, "/basket/remove/", {"item": copy.pk}, hx=True)
    body = response.content.decode()
    assert response.status_code == 200 and f"Add this copy: {copy.barcode}" in body
    assert '“<span lang="zh">红楼梦</span>” removed from your basket.' in body
    assert lines_of(shelf.reader) == []


# --- refusals: their status, the control as it is, nothing changed ---------------------------


def test_a_refused_add_keeps_its_status_and_changes_nothing(shelf):
    reader = signed_in(shelf.reader)
    record = shelf.record("红楼梦")
    post(reader, "/basket/add/", {"record": record.pk}, hx=True)
    before = db_fingerprint()
    # Already in the basket: 422 (RuleViolation), the control says so as it is.
    response = post(reader, "/basket/add/", {"record": record.pk}, hx=True)
    assert_fragment(
        response,
        control_id=f"basket-button-record-{record.pk}",
        count=1,
        message="《红楼梦》已在借书篮中。",
        status=422,
    )
    # None available any more: 409, and the control no longer offers it.
    gone = shelf.record("呐喊")
    Item.objects.filter(record=gone).update(status=ItemStatus.ON_LOAN)
    before = db_fingerprint()
    response = post(reader, "/basket/add/", {"record": gone.pk}, hx=True)
    assert response.status_code == 409
    body = response.content.decode()
    assert f'id="basket-button-record-{gone.pk}"' not in body  # nothing left to press
    assert "借书篮 (1)" in words(body)
    assert not changed_tables(before, db_fingerprint())


def test_a_book_the_reader_has_is_refused_in_place(shelf):
    reader = signed_in(shelf.reader)
    record = shelf.record("呐喊")
    services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        lines=[services.LineSpec(record_id=shelf.record("红楼梦").pk)],
        building_code="DORM1",
    )
    held = shelf.record("红楼梦")
    before = db_fingerprint()
    response = post(reader, "/basket/add/", {"record": held.pk}, hx=True)
    assert response.status_code >= 400
    body = response.content.decode()
    assert "已借阅或已申请" in words(body)  # the control says why instead of a button
    assert not changed_tables(before, db_fingerprint())
    assert record.pk  # the rest of the shelf still adds
    assert post(reader, "/basket/add/", {"record": record.pk}, hx=True).status_code == 200


def test_another_libraries_book_is_refused_in_place(shelf):
    reader = signed_in(shelf.reader)
    blcu = create_record(
        library=shelf.c.other_lib, title="汉语语法", items=[ItemInput(barcode="BLCU01")]
    )
    before = db_fingerprint()
    response = post(reader, "/basket/add/", {"record": blcu.pk}, hx=True)
    assert response.status_code == 403
    assert "通过文献传递" in words(response.content.decode())
    assert not changed_tables(before, db_fingerprint())


def test_removing_what_is_not_there_says_nothing_and_changes_nothing(shelf):
    mine, other = signed_in(shelf.reader), signed_in(shelf.other_reader)
    record = shelf.record("红楼梦")
    post(mine, "/basket/add/", {"record": record.pk}, hx=True)
    line = BasketLine.objects.get()
    before = db_fingerprint()
    # Another reader removes neither by book nor by line, in place or not.
    assert post(other, "/basket/remove/", {"record": record.pk}, hx=True).status_code == 404
    response = post(other, "/basket/remove/", {"line": line.pk}, hx=True, target="basket-body")
    assert response.status_code == 200 and "移除" not in words(
        re.search(r'id="messages".*?</div>', response.content.decode(), re.S).group(0)
    )
    assert post(other, "/basket/remove/", {"line": line.pk}).status_code == 302
    assert not changed_tables(before, db_fingerprint())
    assert lines_of(shelf.reader) == [(record.pk, None)]


def test_anonymous_and_staff_in_place(shelf):
    record = shelf.record("红楼梦")
    anonymous = Client()
    before = db_fingerprint()
    # htmx loads the sign-in page whole instead of swapping it into the button's place.
    response = post(anonymous, "/basket/add/", {"record": record.pk, "next": "/search/"}, hx=True)
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith("/accounts/login/")
    assert "next=/search/" in response["HX-Redirect"]
    response = post(anonymous, "/basket/remove/", {"record": record.pk}, hx=True)
    assert response.status_code == 401 and "HX-Redirect" in response
    # Plain posts: to the sign-in page, as before.
    assert post(anonymous, "/basket/add/", {"record": record.pk}).status_code == 302
    staff = signed_in(shelf.staff)
    response = post(staff, "/basket/add/", {"record": record.pk}, hx=True)
    assert response.status_code == 403
    assert "只有持读者证的读者才能借书" in words(response.content.decode())
    assert not changed_tables(before, db_fingerprint())


# --- "Remove" on the basket page ---------------------------------------------------------


def test_remove_on_the_basket_page_swaps_the_basket_and_moves_focus_to_the_next_line(shelf):
    reader = signed_in(shelf.reader)
    first, second, third = (shelf.record(t) for t in ("红楼梦", "呐喊", "数据结构"))
    for record in (first, second, third):
        post(reader, "/basket/add/", {"record": record.pk})
    ids = list(BasketLine.objects.order_by("pk").values_list("pk", flat=True))
    page = reader.get("/basket/").content.decode()
    assert 'id="basket-body"' in page and 'hx-target="#basket-body"' in page
    assert f'id="remove-line-{ids[1]}"' in page and "data-focus-after" not in page

    response = post(reader, "/basket/remove/", {"line": ids[1]}, hx=True, target="basket-body")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "2 本书在借书篮中" in words(body) and "申请借阅这 2 本书" in words(body)
    assert "《呐喊》已从借书篮移除。" in words(body)
    assert re.search(r"借书篮 \(2\)\s*</span>", body)
    # The focus goes to the Remove that took the removed one's place.
    focused = re.findall(r'id="remove-line-(\d+)"[^>]*data-focus-after', body)
    assert focused == [str(ids[2])]

    post(reader, "/basket/remove/", {"line": ids[2]}, hx=True, target="basket-body")
    body = post(
        reader, "/basket/remove/", {"line": ids[0]}, hx=True, target="basket-body"
    ).content.decode()
    # Empty now: the focus goes to "Search the catalogue".
    assert "借书篮是空的" in words(body)
    assert re.search(r'href="/search/"\s+data-focus-after', body)
    assert lines_of(shelf.reader) == []


# --- a pickup slot booked on the request page -------------------------------------------------


def free_slot(shelf, *, days_ahead: int, hour: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    return next(s.start for s in slots.slots_on(shelf.point, day) if s.start.hour == hour)


# A Tuesday morning: the slots of tomorrow and the day after do not depend on the day CI runs.
@time_machine.travel(dt.datetime(2026, 3, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True)
def test_a_slot_is_booked_in_place_and_the_choice_stays_open(shelf):
    reader = signed_in(shelf.reader)
    post(reader, "/basket/add/", {"record": shelf.record("时间简史").pk})
    first = free_slot(shelf, days_ahead=1, hour=10)
    reader.post(
        "/basket/PKU/request/",
        {"mode": "pickup", "service_point": "MAIN", "slot": slot_value("MAIN", first)},
    )
    borrow = BorrowRequest.objects.get()
    page = reader.get(f"/requests/{borrow.pk}/").content.decode()
    assert '<dd id="slot-booked">' in page and 'hx-target="#slot-booked"' in page
    later = free_slot(shelf, days_ahead=2, hour=9)
    response = post(
        reader, f"/requests/{borrow.pk}/slot/", {"slot": slot_value("MAIN", later)}, hx=True
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert len(response.content) < FRAGMENT_MAX  # the time booked, not the slot list
    # The list and its button are not swapped: the focus stays on the button.
    assert 'id="book-slot"' not in body and "slot-grid" not in body
    assert '<div id="slot-ics" hx-swap-oob="true">' in body and "slot.ics" in body
    assert re.search(r'<span id="slot-change-label" hx-swap-oob="innerHTML">更改取书时段', body)
    assert "已预约取书时段" in words(body) and "09:00–09:30" in words(body)
    assert SlotBooking.objects.get(request=borrow).slot_start == later

    # A made-up slot: refused with 400, the booking as it was.
    before = db_fingerprint()
    response = post(reader, f"/requests/{borrow.pk}/slot/", {"slot": "MAIN|nonsense"}, hx=True)
    assert response.status_code == 400
    assert "请从列表中选择取书时段" in words(response.content.decode())
    assert not changed_tables(before, db_fingerprint())
    # Without JavaScript: the redirect, as before.
    response = post(reader, f"/requests/{borrow.pk}/slot/", {"slot": slot_value("MAIN", first)})
    assert response.status_code == 302 and response.url == f"/requests/{borrow.pk}/"
    # Signed out meanwhile: htmx loads the sign-in page whole, back to the request.
    response = Client().post(
        f"/requests/{borrow.pk}/slot/",
        {"slot": slot_value("MAIN", first)},
        headers={**HX, "HX-Current-URL": f"http://testserver/requests/{borrow.pk}/"},
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"/accounts/login/?next=/requests/{borrow.pk}/"
    # Another reader's request is not there, in place or not.
    other = signed_in(shelf.other_reader)
    assert post(other, f"/requests/{borrow.pk}/slot/", {"slot": "x"}, hx=True).status_code == 404


# --- language of parts ------------------------------------------------------------------------


def test_an_english_title_on_a_chinese_page_is_marked_in_every_reader_page(shelf):
    record = create_record(
        library=shelf.lib,
        title="Structure and Interpretation of Computer Programs",
        authors=["Abelson, Harold"],
        language="eng",
        items=[ItemInput(barcode="PKU9901")],
    )
    reader = signed_in(shelf.reader)
    marked = '<span lang="en">Structure and Interpretation of Computer Programs</span>'
    assert marked in reader.get("/search/", {"q": "Structure"}).content.decode()
    assert (
        '<span lang="en">Abelson, Harold</span>'
        in reader.get("/search/", {"q": "Structure"}).content.decode()
    )
    assert marked in reader.get(f"/records/{record.pk}/").content.decode()
    post(reader, "/basket/add/", {"record": record.pk})
    assert marked in reader.get("/basket/").content.decode()
    assert f"《{marked}》" in reader.get("/basket/PKU/request/").content.decode()
    # A Chinese title on an English page, the other way round.
    english = signed_in(shelf.reader, "en")
    page = english.get("/basket/").content.decode()
    assert '<span lang="zh">' not in page or "Structure" in page
    assert marked.replace('<span lang="en">', "").replace("</span>", "") in page
    post(english, "/basket/add/", {"record": shelf.record("红楼梦").pk})
    assert '<span lang="zh">红楼梦</span>' in english.get("/basket/").content.decode()


def test_a_title_in_the_requests_timeline_is_marked_with_its_language(shelf):
    record = create_record(
        library=shelf.lib,
        title="A Brief History of Time",
        language="eng",
        items=[ItemInput(barcode="PKU9902")],
    )
    borrow = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        lines=[services.LineSpec(record_id=record.pk)],
        building_code="DORM1",
    )
    line = borrow.lines.get()
    services.mark_found(request_id=borrow.pk, line_id=line.pk, by=shelf.staff)
    page = signed_in(shelf.reader).get(f"/requests/{borrow.pk}/").content.decode()
    timeline = re.search(r'<ol class="timeline">.*?</ol>', page, re.S).group(0)
    assert '找到《<span lang="en">A Brief History of Time</span>》' in timeline
    assert "\x00" not in page
    # In English, no mark; a title with markup in it stays text.
    record.title = "<b>Time</b>"
    record.save()
    page = signed_in(shelf.reader, "en").get(f"/requests/{borrow.pk}/").content.decode()
    assert "Found “&lt;b&gt;Time&lt;/b&gt;”" in page
