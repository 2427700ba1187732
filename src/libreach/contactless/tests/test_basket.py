"""The basket kept with the reader's card (issue 7, items 13-15): it follows the reader from
device to device and is theirs alone; a book the reader already has is marked on the
record page and in the basket, refused when added, and removable where a request refuses
it; another library's books come through document delivery unless that library lends to
the reader's under a reciprocal-borrowing rule, and then only for collection."""

import datetime as dt
import re
import threading
from html import unescape

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from libreach.catalog.services import ItemInput, create_record
from libreach.circulation import services as circulation_services
from libreach.consortium.models import ReciprocalBorrowing
from libreach.consortium.services import allow_reciprocal_borrowing
from libreach.contactless import basket, services
from libreach.contactless.models import BasketLine, BorrowRequest, Mode
from libreach.core.errors import Conflict, PermissionDenied, RuleViolation
from libreach.testing.fixtures import PASSWORD, ApiClient
from libreach.testing.permissions import changed_tables, db_fingerprint

pytestmark = pytest.mark.django_db


def text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def signed_in(user, language="zh-hans") -> Client:
    client = Client(headers={"accept-language": language})
    assert client.login(username=user.username, password=PASSWORD)
    return client


def add(client, *, record=None, item=None):
    data = {"next": "/basket/"}
    if record is not None:
        data["record"] = record.pk
    if item is not None:
        data["item"] = item.pk
    return client.post("/basket/add/", data)


def lines_of(user) -> list[tuple[int, int | None]]:
    return list(BasketLine.objects.filter(reader__user=user).values_list("record_id", "item_id"))


def submit_form(client, lib="PKU", **data):
    return client.post(f"/basket/{lib}/request/", {"mode": "delivery", "building": "DORM1", **data})


# --- item 14: the basket follows the reader ---------------------------------------------------


def test_a_book_added_on_the_phone_is_in_the_basket_on_the_desktop(shelf):
    phone, desktop = signed_in(shelf.reader), signed_in(shelf.reader)
    add(phone, record=shelf.record("红楼梦"))
    add(phone, item=shelf.copies("数据结构")[1])
    assert "借书篮 (2)" in text(desktop.get("/"))
    body = text(desktop.get("/basket/"))
    assert "红楼梦" in body and shelf.copies("数据结构")[1].barcode in body
    # Sent from the desktop: the phone's basket is empty too.
    assert submit_form(desktop).status_code == 302
    assert BorrowRequest.objects.get().lines.count() == 2
    assert "借书篮 (0)" in text(phone.get("/")) and lines_of(shelf.reader) == []


def test_other_readers_never_see_or_remove_a_readers_lines(shelf):
    mine = signed_in(shelf.reader)
    add(mine, record=shelf.record("红楼梦"))
    line = BasketLine.objects.get()
    other = signed_in(shelf.other_reader)
    assert "借书篮 (0)" in text(other.get("/"))
    assert "红楼梦" not in text(other.get("/basket/"))
    other.post("/basket/remove/", {"line": line.pk})
    staff = signed_in(shelf.staff)
    staff.post("/basket/remove/", {"line": line.pk})
    assert BasketLine.objects.filter(pk=line.pk).exists()
    # Nor can they send it: their own basket has nothing from PKU.
    assert other.get("/basket/PKU/request/").status_code == 302
    assert mine.post("/basket/remove/", {"line": line.pk}).status_code == 302
    assert not BasketLine.objects.exists()


def test_the_header_count_is_one_query(shelf):
    client = signed_in(shelf.reader)
    for title in ("红楼梦", "呐喊", "时间简史"):
        add(client, record=shelf.record(title))
    with CaptureQueriesContext(connection) as queries:
        assert basket.count(shelf.reader) == 3
    assert len(queries) == 1


def test_the_lines_per_library_limit_holds_in_the_new_storage(shelf, monkeypatch):
    monkeypatch.setattr(basket, "MAX_LINES", 2)
    client = signed_in(shelf.reader)
    add(client, record=shelf.record("红楼梦"))
    add(client, record=shelf.record("呐喊"))
    before = db_fingerprint()
    add(client, record=shelf.record("时间简史"))
    assert changed_tables(before, db_fingerprint()) == []
    assert "每次申请最多 2 本书" in text(client.get("/basket/"))
    assert len(lines_of(shelf.reader)) == 2


def test_the_database_refuses_a_second_line_for_the_same_book(shelf):
    reader = shelf.reader.reader
    record, copy = shelf.record("红楼梦"), shelf.copies("红楼梦")[0]
    now = timezone.now()
    BasketLine.objects.create(reader=reader, library=shelf.lib, record=record, added_at=now)
    BasketLine.objects.create(
        reader=reader, library=shelf.lib, record=record, item=copy, added_at=now
    )
    for item in (None, copy):
        with pytest.raises(IntegrityError), transaction.atomic():
            BasketLine.objects.create(
                reader=reader, library=shelf.lib, record=record, item=item, added_at=now
            )


@pytest.mark.django_db(transaction=True)
def test_parallel_adds_of_the_same_book_make_one_line(shelf):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs a file database: threads cannot wait for in-memory locks")
    reader, record = shelf.reader.reader, shelf.record("红楼梦")
    barrier = threading.Barrier(8)
    results: list[object] = [None] * 8

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[n] = basket.add(reader, record_id=record.pk)
        except Exception as exc:  # counted below
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(isinstance(r, basket.Line) for r in results) == 1
    refused = [r for r in results if not isinstance(r, basket.Line)]
    assert all(isinstance(r, RuleViolation) and r.code == "duplicate_line" for r in refused)
    assert BasketLine.objects.filter(reader=reader).count() == 1


# --- item 13: books the reader already has ---------------------------------------------------


def _on_loan(shelf, title="红楼梦"):
    return circulation_services.checkout(item=shelf.copies(title)[0], reader=shelf.reader.reader)


def test_a_book_on_loan_is_said_on_the_record_page_and_refused_by_the_basket(shelf):
    loan = _on_loan(shelf)
    client = signed_in(shelf.reader)
    record = shelf.record("红楼梦")
    page = client.get(f"/records/{record.pk}/")
    due = f"{loan.due_date.year}年{loan.due_date.month}月{loan.due_date.day}日"
    assert f"这本书你已借阅，应还日期 {due}。" in text(page)
    assert 'name="record"' not in page.content.decode()  # no "Add to basket" for any copy
    before = db_fingerprint()
    add(client, record=record)
    assert changed_tables(before, db_fingerprint()) == []
    assert f"《红楼梦》你已借阅，应还日期 {due}。" in text(client.get("/basket/"))
    english = signed_in(shelf.reader, "en")
    assert "You have this book on loan until" in text(english.get(f"/records/{record.pk}/"))
    # A named copy of the work (another volume) may still be asked for; another book too.
    add(client, item=shelf.copies("红楼梦")[1])
    add(client, record=shelf.record("呐喊"))
    assert lines_of(shelf.reader) == [
        (record.pk, shelf.copies("红楼梦")[1].pk),
        (shelf.record("呐喊").pk, None),
    ]


def test_a_book_in_an_open_request_is_said_with_the_request_number(shelf):
    client = signed_in(shelf.reader)
    add(client, record=shelf.record("呐喊"))
    submit_form(client)
    borrow = BorrowRequest.objects.get()
    page = client.get(f"/records/{shelf.record('呐喊').pk}/")
    assert f"已在 申请 #{borrow.pk} 中。" in text(page)
    assert f'href="/requests/{borrow.pk}/"' in page.content.decode()
    before = db_fingerprint()
    add(client, record=shelf.record("呐喊"))
    assert changed_tables(before, db_fingerprint()) == []
    assert f"《呐喊》已在你的申请 #{borrow.pk} 中。" in text(client.get("/basket/"))
    # Cancelled, the request holds nothing: the book may be asked for again.
    services.cancel_request(request_id=borrow.pk, by=shelf.reader)
    add(client, record=shelf.record("呐喊"))
    assert lines_of(shelf.reader) == [(shelf.record("呐喊").pk, None)]


def test_a_line_the_reader_got_meanwhile_is_marked_and_removed_where_it_is_refused(shelf):
    client = signed_in(shelf.reader)
    add(client, record=shelf.record("红楼梦"))
    add(client, record=shelf.record("呐喊"))
    loan = _on_loan(shelf)  # at the counter, after it went in the basket
    basket_page = client.get("/basket/")
    assert "你已借阅，应还日期" in text(basket_page) and "请在提交前移除" in text(basket_page)
    assert "basket-line--gone" in basket_page.content.decode()

    before = db_fingerprint()
    response = submit_form(client)
    assert response.status_code == 200
    assert changed_tables(before, db_fingerprint()) == []
    html = response.content.decode()
    # The refused line, marked, with its own remove button that comes back to the form.
    refused = re.search(
        r'<li class="request-books__line request-books__line--refused">.*?</li>', html, re.S
    )
    assert refused and "红楼梦" in refused.group(0)
    line = BasketLine.objects.get(record=shelf.record("红楼梦"))
    assert f'name="line" value="{line.pk}"' in refused.group(0)
    assert 'name="next" value="/basket/PKU/request/"' in refused.group(0)
    assert html.count("request-books__remove") == 1

    response = client.post("/basket/remove/", {"line": line.pk, "next": "/basket/PKU/request/"})
    assert response.url == "/basket/PKU/request/"
    assert submit_form(client).status_code == 302
    borrow = BorrowRequest.objects.get()
    assert [ln.record.title for ln in borrow.lines.all()] == ["呐喊"]
    assert loan.item.record.title == "红楼梦"


def test_search_results_say_a_book_is_the_readers_already(shelf):
    _on_loan(shelf)
    client = signed_in(shelf.reader)
    html = client.get("/search/", {"q": "红楼梦"}).content.decode()
    assert "已借阅或已申请" in html and 'name="record"' not in html
    html = client.get("/search/", {"q": "呐喊"}).content.decode()
    assert "已借阅或已申请" not in html and 'name="record"' in html


def test_submission_refuses_a_book_on_loan_and_changes_nothing(shelf):
    _on_loan(shelf)
    before = db_fingerprint()
    with pytest.raises(RuleViolation) as refused:
        services.submit_request(
            user=shelf.reader,
            library=shelf.lib,
            mode=Mode.DELIVERY,
            lines=[services.LineSpec(record_id=shelf.record("红楼梦").pk)],
        )
    assert refused.value.code == "duplicate_line"
    assert changed_tables(before, db_fingerprint()) == []


# --- item 15: another library's books ----------------------------------------------------------


@pytest.fixture
def blcu_book(shelf):
    return create_record(
        library=shelf.c.other_lib,
        title="汉语语法",
        authors=["赵元任"],
        items=[ItemInput(barcode="BLCU01"), ItemInput(barcode="BLCU02")],
    )


def _api_body(record, mode="pickup"):
    body = {"library": "BLCU", "mode": mode, "lines": [{"record": record.pk}]}
    if mode == "pickup":
        body["service_point"] = "MAIN"
        start = timezone.localtime() + dt.timedelta(days=1)
        body["slot_start"] = start.replace(hour=10, minute=0, second=0, microsecond=0).isoformat()
    else:
        body["building"] = "DORM1"
    return body


def test_without_a_rule_another_librarys_book_comes_through_document_delivery(shelf, blcu_book):
    client = signed_in(shelf.reader)
    page = client.get(f"/records/{blcu_book.pk}/")
    assert "这本书属于北京语言大学图书馆。北京大学图书馆的读者可以通过文献传递申请。" in text(page)
    assert "basket-form" not in page.content.decode()  # neither any copy nor a named one
    english = signed_in(shelf.reader, "en")
    assert (
        "This book belongs to BLCU Library. Readers of Peking University Library can ask for "
        "it through document delivery." in text(english.get(f"/records/{blcu_book.pk}/"))
    )

    api = ApiClient(shelf.reader)
    before = db_fingerprint()
    add(client, record=blcu_book)
    add(client, item=blcu_book.items.first())
    assert "通过文献传递" in text(client.get("/basket/"))
    for mode in ("pickup", "delivery"):
        response = api.post(
            "/api/v1/borrow-requests", _api_body(blcu_book, mode), HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 403
        assert response.json()["error"] == "document_delivery_only"
        assert "through document delivery" in response.json()["detail"]
    assert changed_tables(before, db_fingerprint()) == []
    with pytest.raises(PermissionDenied):
        services.submit_request(
            user=shelf.reader,
            library=shelf.c.other_lib,
            mode=Mode.PICKUP,
            service_point_code="MAIN",
            lines=[services.LineSpec(record_id=blcu_book.pk)],
        )


def test_with_a_rule_the_book_is_lent_for_collection_at_the_lenders_pickup_points(shelf, blcu_book):
    allow_reciprocal_borrowing(lender=shelf.c.other_lib, borrower_library=shelf.lib)
    client = signed_in(shelf.reader)
    page = text(client.get(f"/records/{blcu_book.pk}/"))
    assert "北京语言大学图书馆向北京大学图书馆的读者出借" in page
    add(client, record=blcu_book)
    assert lines_of(shelf.reader) == [(blcu_book.pk, None)]
    assert "请到北京语言大学图书馆的取书点取书" in text(client.get("/basket/"))

    # Delivery to BLCU's buildings is refused: page and API, nothing changed.
    api = ApiClient(shelf.reader)
    before = db_fingerprint()
    response = submit_form(client, "BLCU")
    assert response.status_code == 200
    assert "北京大学图书馆的读者请到北京语言大学图书馆的取书点取书" in text(response)
    response = api.post("/api/v1/borrow-requests", _api_body(blcu_book, "delivery"))
    assert response.status_code == 422
    assert response.json()["error"] == "delivery_not_allowed"
    assert response.json()["detail"]
    assert changed_tables(before, db_fingerprint()) == []

    response = api.post("/api/v1/borrow-requests", _api_body(blcu_book, "pickup"))
    assert response.status_code == 201, response.content
    borrow = BorrowRequest.objects.get()
    assert borrow.library == shelf.c.other_lib and borrow.service_point.library == shelf.c.other_lib
    # The rule runs one way: BLCU's readers still ask PKU through document delivery.
    assert not ReciprocalBorrowing.objects.filter(lender=shelf.lib).exists()


def test_search_results_offer_another_librarys_book_only_under_a_rule(shelf, blcu_book):
    client = signed_in(shelf.reader)
    create_record(library=shelf.lib, title="汉语语法讲义", items=[ItemInput(barcode="PKU99")])

    def buttons() -> dict[str, str]:
        html = client.get("/search/", {"q": "汉语语法"}).content.decode()
        results = re.findall(
            r'<li class="result">.*?</li>\s*(?=<li class="result">|</ol>)', html, re.S
        )
        return {
            "BLCU" if "赵元任" in r else "PKU": "add" if 'name="record"' in r else text_of(r)
            for r in results
        }

    found = buttons()
    assert found["PKU"] == "add" and "仅限文献传递" in found["BLCU"]
    allow_reciprocal_borrowing(lender=shelf.c.other_lib, borrower_library=shelf.lib)
    assert buttons() == {"PKU": "add", "BLCU": "add"}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_lines_kept_after_the_rule_ends_are_marked_and_not_sent(shelf, blcu_book):
    rule = allow_reciprocal_borrowing(lender=shelf.c.other_lib, borrower_library=shelf.lib)
    client = signed_in(shelf.reader)
    add(client, record=blcu_book)
    rule.delete()  # the agreement ended while the book sat in the basket
    page = client.get("/basket/")
    assert "不能在这里申请：请移除" in text(page)
    assert 'href="/basket/BLCU/request/"' not in page.content.decode()
    response = client.get("/basket/BLCU/request/")
    assert response.status_code == 302 and response.url == "/basket/"
    assert "通过文献传递" in text(client.get("/basket/"))
    before = db_fingerprint()
    assert submit_form(client, "BLCU", mode="pickup", service_point="MAIN").status_code == 302
    assert changed_tables(before, db_fingerprint()) == []


def test_only_the_lenders_managers_allow_reciprocal_borrowing(shelf):
    with pytest.raises(PermissionDenied):
        allow_reciprocal_borrowing(
            lender=shelf.c.other_lib, borrower_library=shelf.lib, by=shelf.staff
        )
    with pytest.raises(Conflict):
        allow_reciprocal_borrowing(lender=shelf.lib, borrower_library=shelf.lib)
    rule = allow_reciprocal_borrowing(
        lender=shelf.c.other_lib, borrower_library=shelf.lib, by=shelf.c.other_staff
    )
    again = allow_reciprocal_borrowing(lender=shelf.c.other_lib, borrower_library=shelf.lib)
    assert rule == again and ReciprocalBorrowing.objects.count() == 1
