"""Reader pages of contactless borrowing through Django's test client: the basket, the
request form, my requests, one request (code, QR, timeline, slot, .ics, cancel)."""

import datetime as dt
import re
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from libreach.catalog.models import Item, ItemStatus
from libreach.catalog.services import ItemInput, create_record
from libreach.consortium.services import allow_reciprocal_borrowing
from libreach.contactless import services, slots
from libreach.contactless.models import BasketLine, BorrowRequest, RequestStatus, SlotBooking
from libreach.contactless.views import slot_value
from libreach.core.words import format_date
from libreach.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def signed_in(user, **headers) -> Client:
    client = Client(headers=headers)
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def reader(shelf) -> Client:
    return signed_in(shelf.reader)


def add(client, *, record=None, item=None, next="/search/?q=x"):
    data = {"next": next}
    if record is not None:
        data["record"] = record.pk
    if item is not None:
        data["item"] = item.pk
    return client.post("/basket/add/", data)


def basket_of(client) -> list[dict]:
    """The lines of the signed-in reader's basket, as stored with their card."""
    user_id = client.session.get("_auth_user_id")
    return [
        {
            "id": line.pk,
            "library": line.library.code,
            "record": line.record_id,
            "item": line.item_id,
        }
        for line in BasketLine.objects.filter(reader__user_id=user_id).select_related("library")
    ]


def line_id(client, *, record=None, item=None) -> int:
    return next(
        row["id"]
        for row in basket_of(client)
        if (item is not None and row["item"] == item.pk)
        or (record is not None and row["item"] is None and row["record"] == record.pk)
    )


def free_slot(shelf, *, days_ahead: int = 1, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    return next(s.start for s in slots.slots_on(shelf.point, day) if s.start.hour == hour)


def submit(client, lib="PKU", **data):
    return client.post(f"/basket/{lib}/request/", data)


# --- who may see what ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/basket/", "/requests/", "/basket/PKU/request/", "/requests/1/"])
def test_anonymous_readers_are_sent_to_sign_in(client, shelf, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


def test_anonymous_add_goes_to_sign_in_and_back_to_the_page_and_adds_nothing(client, shelf):
    response = add(client, record=shelf.record("红楼梦"), next="/search/?q=%E7%BA%A2")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/search/%3Fq%3D%25E7%25BA%25A2"
    assert BasketLine.objects.count() == 0


def test_the_header_shows_the_basket_and_my_requests_only_when_signed_in(client, reader, shelf):
    assert "借书篮" not in text(client.get("/"))
    page = text(reader.get("/"))
    assert "借书篮 (0)" in page and "我的申请" in page
    add(reader, record=shelf.record("红楼梦"))
    assert "借书篮 (1)" in text(reader.get("/"))


def test_a_request_is_seen_only_by_its_own_reader(shelf, reader):
    add(reader, record=shelf.record("呐喊"))
    submit(reader, mode="delivery", building="DORM1")
    borrow = BorrowRequest.objects.get()
    assert reader.get(f"/requests/{borrow.pk}/").status_code == 200
    for user in (shelf.other_reader, shelf.staff, shelf.c.consortium_admin):
        other = signed_in(user)
        assert other.get(f"/requests/{borrow.pk}/").status_code == 404
        assert other.post(f"/requests/{borrow.pk}/cancel/").status_code == 404
        slot = slot_value("MAIN", free_slot(shelf))
        assert other.post(f"/requests/{borrow.pk}/slot/", {"slot": slot}).status_code == 404
        assert other.get(f"/requests/{borrow.pk}/slot.ics").status_code == 404
        assert f"#{borrow.pk}" not in text(other.get("/requests/"))
    assert reader.get("/requests/999999/").status_code == 404
    borrow.refresh_from_db()
    assert borrow.status == RequestStatus.SUBMITTED


# --- the basket ---------------------------------------------------------------------------


def test_add_a_record_and_a_copy_then_see_and_remove_them(shelf, reader):
    response = add(reader, record=shelf.record("红楼梦"), next="/search/?q=%E7%BA%A2")
    assert response.status_code == 302 and response.url == "/search/?q=%E7%BA%A2"
    copy = shelf.copies("数据结构")[1]
    response = add(reader, item=copy, next="/records/1/")
    assert response.url == "/records/1/"
    page = reader.get("/basket/")
    body = text(page)
    assert "《红楼梦》 已放入借书篮" in body or "已放入借书篮" in body  # the message
    assert "2 本书在借书篮中" in body
    assert "红楼梦" in body and "任一可借册" in body
    assert "数据结构" in body and f"指定这一册： {copy.barcode}" in body
    assert 'href="/basket/PKU/request/"' in page.content.decode()

    response = reader.post(
        "/basket/remove/", {"line": line_id(reader, record=shelf.record("红楼梦"))}
    )
    assert response.status_code == 302 and response.url == "/basket/"
    body = text(reader.get("/basket/"))
    assert "已从借书篮移除" in body
    assert [row["record"] for row in basket_of(reader)] == [shelf.record("数据结构").pk]


def test_a_copy_that_is_not_available_is_refused_and_nothing_changes(shelf, reader):
    on_loan, other = shelf.copies("数据结构")
    Item.objects.filter(pk=on_loan.pk).update(status=ItemStatus.ON_LOAN)
    response = add(reader, item=on_loan, next="/records/3/")
    assert response.url == "/records/3/"
    body = text(reader.get("/records/3/"))
    assert f"{on_loan.barcode} 现在不可借（借出）" in body
    assert basket_of(reader) == []

    Item.objects.filter(pk=other.pk).update(loanable=False)
    add(reader, item=other)
    assert f"{other.barcode} 不外借" in text(reader.get("/basket/"))
    # No copy left on the shelf: the record cannot go in either.
    add(reader, record=shelf.record("数据结构"))
    assert "《数据结构》现在没有可借的册" in text(reader.get("/basket/"))
    assert basket_of(reader) == []


def test_the_same_copy_or_the_same_any_copy_twice_is_refused(shelf, reader):
    first, second, _third = shelf.copies("红楼梦")
    add(reader, record=shelf.record("红楼梦"))
    add(reader, record=shelf.record("红楼梦"))
    assert "《红楼梦》已在借书篮中" in text(reader.get("/basket/"))
    # Two volumes of one work are two lines (一种两册); the same copy twice is not.
    add(reader, item=first)
    add(reader, item=second)
    add(reader, item=first)
    assert f"{first.barcode} 已在借书篮中" in text(reader.get("/basket/"))
    assert [(row["record"], row["item"]) for row in basket_of(reader)] == [
        (first.record_id, None),
        (first.record_id, first.pk),
        (first.record_id, second.pk),
    ]
    reader.post("/basket/remove/", {"line": line_id(reader, item=first)})
    assert [row["item"] for row in basket_of(reader)] == [None, second.pk]


def test_an_unknown_or_malformed_add_changes_nothing(shelf, reader):
    reader.post("/basket/add/", {"record": "999999"})
    reader.post("/basket/add/", {"item": "abc"})
    assert basket_of(reader) == []
    assert reader.get("/basket/add/").status_code == 405


def test_staff_cannot_fill_a_basket(shelf):
    staff = signed_in(shelf.staff)
    add(staff, record=shelf.record("红楼梦"))
    assert basket_of(staff) == []


def test_the_add_button_appears_only_for_available_loanable_books(shelf, reader):
    Item.objects.filter(record=shelf.record("呐喊")).update(status=ItemStatus.ON_LOAN)
    results = reader.get("/search/", {"q": "呐喊"}).content.decode()
    assert "加入借书篮" not in results
    record = shelf.record("红楼梦")
    page = reader.get(f"/records/{record.pk}/").content.decode()
    assert page.count('name="item"') == 3 and page.count('name="record"') == 1
    add(reader, record=record)
    add(reader, item=shelf.copies("红楼梦")[0])
    page = reader.get(f"/records/{record.pk}/").content.decode()
    assert page.count("basket-button--in") == 2  # the record and that copy
    # Two copies still to add; the record and the copy in the basket offer Remove instead.
    assert page.count('action="/basket/add/"') == 2
    assert page.count('action="/basket/remove/"') == 2


def test_lines_of_two_libraries_are_grouped_and_sent_one_library_at_a_time(shelf, reader):
    # BLCU lends to PKU's readers (reciprocal borrowing); without it see test_lending_rule.
    allow_reciprocal_borrowing(lender=shelf.c.other_lib, borrower_library=shelf.lib)
    blcu = create_record(
        library=shelf.c.other_lib, title="汉语语法", items=[ItemInput(barcode="BLCU01")]
    )
    add(reader, record=shelf.record("红楼梦"))
    add(reader, record=blcu)
    body = text(reader.get("/basket/"))
    assert "北京大学图书馆" in body and "北京语言大学图书馆" in body
    assert "每个图书馆分别提交" in body
    response = submit(reader, mode="delivery", building="DORM1")
    assert response.status_code == 302
    assert [row["library"] for row in basket_of(reader)] == ["BLCU"]
    # BLCU hands its books to PKU's readers at its pickup points: no delivery to its
    # buildings, which are its own readers'.
    form = reader.get("/basket/BLCU/request/").content.decode()
    assert "汉语语法" in form and "学生宿舍1号楼" not in form
    assert re.search(r'name="mode" value="delivery" disabled', form)
    response = submit(
        reader,
        "BLCU",
        mode="proxy",
        service_point="MAIN",
        proxy_name="王五",
        proxy_id_number="110101199003071234",
    )
    assert response.status_code == 302
    assert BorrowRequest.objects.get(library=shelf.c.other_lib).reader == shelf.reader.reader
    assert basket_of(reader) == []


# --- the request form ------------------------------------------------------------------------


def test_the_form_defaults_to_delivery_to_the_readers_building_and_offers_slots(shelf, reader):
    add(reader, record=shelf.record("红楼梦"))
    page = reader.get("/basket/PKU/request/")
    body = page.content.decode()
    assert re.search(r'name="mode" value="delivery" checked', body)
    assert re.search(r'<option value="DORM1" selected>学生宿舍1号楼', body)
    assert "总馆东门" in body
    tomorrow = slot_value("MAIN", free_slot(shelf))
    assert f'value="{tomorrow}"' in body
    assert "明天" in text(page) and "剩 10 位" in text(page)


def test_a_full_slot_is_offered_disabled(shelf, reader):
    start = free_slot(shelf)
    for n in range(1, 11):
        SlotBooking.objects.create(
            service_point=shelf.point,
            slot_start=start,
            seat=n,
            request=_request_for_seat(shelf, n),
            booked_at=timezone.now(),
        )
    add(reader, record=shelf.record("红楼梦"))
    body = reader.get("/basket/PKU/request/").content.decode()
    assert re.search(rf'value="{re.escape(slot_value("MAIN", start))}" disabled', body)


def _request_for_seat(shelf, n):
    return BorrowRequest.objects.create(
        library=shelf.lib,
        reader=shelf.other_reader.reader,
        mode="pickup",
        service_point=shelf.point,
        pickup_code="000000",
        queue_number=1000 + n,
        submitted_at=timezone.now(),
    )


def test_delivery_request_empties_the_basket_and_shows_code_qr_and_timeline(shelf, reader):
    add(reader, record=shelf.record("红楼梦"))
    add(reader, item=shelf.copies("论语译注")[1])
    response = submit(reader, mode="delivery", building="DORM1")
    borrow = BorrowRequest.objects.get()
    assert response.status_code == 302 and response.url == f"/requests/{borrow.pk}/"
    assert borrow.mode == "delivery" and borrow.building.code == "DORM1"
    assert [line.item.barcode for line in borrow.lines.order_by("position")] == [
        "PKU011",
        shelf.copies("论语译注")[1].barcode,
    ]
    assert basket_of(reader) == []
    page = reader.get(response.url)
    body, html = text(page), page.content.decode()
    assert f"取书码为 {borrow.pickup_code}" in body  # the message
    assert f"{borrow.pickup_code[:3]} {borrow.pickup_code[3:]}" in body
    assert '<svg class="qr" role="img"' in html and "<path" in html
    assert "已提交，图书馆会尽快到书架上为你找书" in body
    assert "排队号" in body and "学生宿舍1号楼" in body
    assert "提交申请" in body  # the timeline's first event
    assert "取消申请" in body
    listing = text(reader.get("/requests/"))
    assert f"借书申请 #{borrow.pk}" in listing and "已提交" in listing and "《红楼梦》" in listing


def test_pickup_request_books_the_slot_and_offers_the_ics(shelf, reader):
    start = free_slot(shelf, days_ahead=2, hour=15)
    add(reader, record=shelf.record("时间简史"))
    response = submit(reader, mode="pickup", service_point="MAIN", slot=slot_value("MAIN", start))
    borrow = BorrowRequest.objects.get()
    assert response.url == f"/requests/{borrow.pk}/"
    assert borrow.slot_booking.slot_start == start
    page = reader.get(response.url)
    assert f'href="/requests/{borrow.pk}/slot.ics"' in page.content.decode()
    local = timezone.localtime(start)
    assert f"{format_date(local)} 15:00–15:30" in text(page)
    assert "更改取书时段" in text(page)
    ics = reader.get(f"/requests/{borrow.pk}/slot.ics")
    assert ics.status_code == 200
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.content and borrow.pickup_code.encode() in ics.content


def test_the_reader_changes_the_slot(shelf, reader):
    add(reader, record=shelf.record("时间简史"))
    submit(reader, mode="pickup", service_point="MAIN", slot=slot_value("MAIN", free_slot(shelf)))
    borrow = BorrowRequest.objects.get()
    later = free_slot(shelf, days_ahead=2, hour=9)
    response = reader.post(f"/requests/{borrow.pk}/slot/", {"slot": slot_value("MAIN", later)})
    assert response.url == f"/requests/{borrow.pk}/"
    assert SlotBooking.objects.get(request=borrow).slot_start == later
    body = text(reader.get(response.url))
    assert "已预约取书时段" in body
    # A made-up time is refused and the booking stays.
    odd = later + dt.timedelta(minutes=7)
    reader.post(f"/requests/{borrow.pk}/slot/", {"slot": slot_value("MAIN", odd)})
    assert "这个时间不是取书时段" in text(reader.get(response.url))
    assert SlotBooking.objects.get(request=borrow).slot_start == later


def test_proxy_request_keeps_only_the_last_digits_readable(shelf, reader):
    add(reader, record=shelf.record("呐喊"))
    submit(
        reader,
        mode="proxy",
        service_point="MAIN",
        proxy_name="王五",
        proxy_id_number="110101199003071234",
    )
    borrow = BorrowRequest.objects.get()
    assert borrow.proxy_name == "王五" and borrow.proxy_id_last4 == "1234"
    assert not hasattr(borrow, "slot_booking") or borrow.slot_booking is None
    body = text(reader.get(f"/requests/{borrow.pk}/"))
    assert "王五" in body and "证件号末四位 1234" in body
    assert "110101199003071234" not in body


def test_form_errors_keep_what_the_reader_typed(shelf, reader):
    add(reader, record=shelf.record("呐喊"))
    response = submit(
        reader, mode="proxy", service_point="MAIN", proxy_name="王五", proxy_id_number="12"
    )
    assert response.status_code == 200
    body, html = text(response), response.content.decode()
    assert "请填写代取人的证件号" in body
    assert 'value="王五"' in html and 'id="id_proxy_id_number"' in html and 'value="12"' in html
    assert re.search(r'name="mode" value="proxy" checked', html)
    response = submit(reader, mode="pickup", service_point="MAIN")
    assert "请选择取书时段" in text(response)
    assert BorrowRequest.objects.count() == 0
    assert len(basket_of(reader)) == 1


def test_a_refusal_by_the_service_is_shown_in_the_readers_language(shelf, reader):
    add(reader, record=shelf.record("呐喊"))
    # Someone else took the only copy after it went in the basket.
    Item.objects.filter(record=shelf.record("呐喊")).update(status=ItemStatus.ON_LOAN)
    response = submit(reader, mode="delivery", building="DORM1")
    assert response.status_code == 200
    body = text(response)
    assert "《呐喊》已不可借" in body
    assert '<strong class="basket-line__warning">已不可借</strong>' in response.content.decode()
    assert BorrowRequest.objects.count() == 0 and len(basket_of(reader)) == 1

    # The same reader on another device, in English: the same basket, the line marked.
    english = signed_in(shelf.reader, **{"accept-language": "en"})
    response = submit(english, mode="delivery", building="DORM1")
    assert "“呐喊” is no longer available" in text(response)
    english.post("/basket/remove/", {"line": line_id(english, record=shelf.record("呐喊"))})
    english.post("/basket/add/", {"record": shelf.record("红楼梦").pk})
    response = submit(english, mode="delivery", building="DORM1")
    assert response.status_code == 302
    borrow = BorrowRequest.objects.get()
    english.post("/basket/add/", {"record": shelf.record("红楼梦").pk})  # already requested
    body = text(english.get("/basket/"))
    assert f"“红楼梦” is already in your request #{borrow.pk}." in body
    assert basket_of(english) == []


# --- cancel ------------------------------------------------------------------------------------


def test_the_reader_cancels_while_the_books_are_being_picked(shelf, reader):
    add(reader, record=shelf.record("红楼梦"))
    add(reader, record=shelf.record("呐喊"))
    submit(reader, mode="delivery", building="DORM1")
    borrow = BorrowRequest.objects.get()
    first = borrow.lines.order_by("position").first()
    services.mark_found(request_id=borrow.pk, line_id=first.pk, by=shelf.staff)
    assert "取消申请" in text(reader.get(f"/requests/{borrow.pk}/"))
    response = reader.post(f"/requests/{borrow.pk}/cancel/")
    assert response.url == f"/requests/{borrow.pk}/"
    borrow.refresh_from_db()
    assert borrow.status == RequestStatus.CANCELLED
    body = text(reader.get(response.url))
    assert "申请已取消" in body and "取消申请" not in body.replace("申请已取消", "")
    assert Item.objects.filter(status=ItemStatus.AVAILABLE, record=shelf.record("呐喊")).exists()


def test_a_ready_request_can_no_longer_be_cancelled_by_the_reader(shelf, reader):
    add(reader, record=shelf.record("呐喊"))
    submit(reader, mode="pickup", service_point="MAIN", slot=slot_value("MAIN", free_slot(shelf)))
    borrow = BorrowRequest.objects.get()
    line = borrow.lines.get()
    services.mark_found(request_id=borrow.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=borrow.pk, by=shelf.staff, shelf_slot="A7")
    page = text(reader.get(f"/requests/{borrow.pk}/"))
    assert "取消申请" not in page
    assert "架位 A7" in page and "保留至" in page
    response = reader.post(f"/requests/{borrow.pk}/cancel/")
    assert response.status_code == 302
    assert "已不能取消" in text(reader.get(response.url))
    borrow.refresh_from_db()
    assert borrow.status == RequestStatus.AWAITING_PICKUP


# --- the timeline ------------------------------------------------------------------------------


def test_the_timeline_tells_found_not_found_and_the_due_date(shelf, reader):
    add(reader, record=shelf.record("红楼梦"))
    add(reader, record=shelf.record("呐喊"))
    submit(reader, mode="delivery", building="DORM1")
    borrow = BorrowRequest.objects.get()
    found, missing = borrow.lines.order_by("position")
    staff = shelf.staff
    services.mark_found(request_id=borrow.pk, line_id=found.pk, by=staff)
    services.mark_not_found(request_id=borrow.pk, line_id=missing.pk, by=staff, reason="damaged")
    services.disinfect(request_id=borrow.pk, by=staff, method="uv", minutes=30)
    services.stage(request_id=borrow.pk, by=staff)
    services.dispatch(request_id=borrow.pk, by=staff)
    loans = services.handover(request_id=borrow.pk, by=staff, pickup_code=borrow.pickup_code)
    page = reader.get(f"/requests/{borrow.pk}/")
    body = text(page)
    assert "已送达，书已借给你" in body
    for words in (
        "提交申请",
        "开始为你找书",
        "找到《红楼梦》",
        "没有找到《呐喊》（破损）",
        "图书已消毒（紫外线灯，30 分钟）",
        "配送中",
        "已送达并借给你",
    ):
        assert words in body, words
    assert f"应还日期 {format_date(loans[0].due_date)}" in body
    assert "pickup-card" not in page.content.decode()  # a closed request needs no code


def test_the_request_page_costs_the_same_queries_however_many_books(
    shelf, reader, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(titles) -> int:
        for title in titles:
            add(reader, record=shelf.record(title))
        submit(
            reader, mode="pickup", service_point="MAIN", slot=slot_value("MAIN", free_slot(shelf))
        )
        borrow = BorrowRequest.objects.order_by("-pk").first()
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(f"/requests/{borrow.pk}/").status_code == 200
        return len(queries)

    assert queries_for(["呐喊"]) == queries_for(["红楼梦", "数据结构", "时间简史", "论语译注"])
    borrow = BorrowRequest.objects.order_by("-pk").first()
    # Session, user, the request, its lines, history and disinfections, the staff check,
    # the header's desk link (staff?), basket count and due-soon banner; then the slot
    # chooser: three queries for all the coming days together.
    with django_assert_max_num_queries(10 + 3):
        reader.get(f"/requests/{borrow.pk}/")
    # A delivery request has no slots to offer.
    add(reader, item=shelf.copies("红楼梦")[2])
    assert submit(reader, mode="delivery", building="DORM1").status_code == 302
    borrow = BorrowRequest.objects.order_by("-pk").first()
    assert borrow.mode == "delivery"
    with django_assert_max_num_queries(10):
        reader.get(f"/requests/{borrow.pk}/")
    with django_assert_max_num_queries(11):
        reader.get("/requests/")


def test_the_pages_speak_english_too(shelf):
    english = signed_in(shelf.reader, **{"accept-language": "en"})
    english.post("/basket/add/", {"record": shelf.record("红楼梦").pk})
    assert "Basket (1)" in text(english.get("/"))
    body = text(english.get("/basket/"))
    assert "Any available copy" in body and "Request this book" in body
    response = submit(english, mode="delivery", building="DORM1")
    body = text(english.get(response.url))
    assert "Pickup code" in body and "Request submitted" in body and "Submitted" in body
