"""A reader borrows without contact in a real browser: on a phone from search to pickup
code, a pickup in a booked slot with its .ics, a cancellation; and once on a desktop.

The browser tests' clock is set (testing/browser.py): the walk runs on a Tuesday morning,
and the choice of tomorrow's slot also at 21:45 (today's slots are over), a minute before
midnight and on a day the library is closed.
"""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone

from libreach.consortium import services as consortium_services
from libreach.contactless.models import BorrowRequest, RequestStatus
from libreach.contactless.tests.conftest import DAY, TZ
from libreach.testing.browser import Page, check_layout, expect, sign_in

pytestmark = pytest.mark.browser


def sign_in_as_the_reader(page: Page) -> None:
    sign_in(page, "2020000001", next_path="/")
    expect(page.get_by_role("link", name="借书篮 (0)")).to_be_visible()


def search(page: Page, words: str) -> None:
    page.get_by_role("link", name="馆藏检索").click()
    page.get_by_role("searchbox").fill(words)
    page.get_by_role("button", name="检索", exact=True).click()
    expect(page.locator(".result").first).to_be_visible()


def request_page_number(page: Page) -> int:
    match = re.search(r"/requests/(\d+)/$", page.url)
    assert match, page.url
    return int(match.group(1))


def choose_tomorrow_at_ten(page: Page, *, today_has_slots: bool) -> None:
    """Tick tomorrow's 10:00 slot on the request form. The first day with slots left
    starts unfolded: today, or tomorrow once today's last slot has begun or today is
    closed (a tap on tomorrow's heading would then fold it away)."""
    tomorrow = page.locator(".slot-day").filter(has_text="明天")
    if today_has_slots:
        expect(page.locator(".slot-day").filter(has_text="今天")).to_have_attribute("open", "")
        expect(tomorrow).not_to_have_attribute("open", "")
        tomorrow.locator("summary").click()
    expect(tomorrow).to_have_attribute("open", "")
    tomorrow.locator("label.slot").filter(has_text="10:00").click()


def test_a_reader_borrows_on_a_phone(phone_page, live_server, shelf):
    page = phone_page
    sign_in_as_the_reader(page)

    # Search and put 红楼梦 (any copy) in the basket.
    search(page, "红楼")
    result = page.locator(".result").filter(has_text="红楼梦")
    result.get_by_role("button", name="加入借书篮").click()
    expect(page.get_by_role("status").first).to_have_text("《红楼梦》已放入借书篮。")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    expect(page.get_by_role("link", name="借书篮 (1)")).to_be_visible()
    expect(result.get_by_role("link", name="已在借书篮")).to_be_visible()
    check_layout(page, "results-added")

    page.get_by_role("link", name="借书篮 (1)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("借书篮")
    expect(page.locator(".basket-line")).to_have_count(1)
    expect(page.locator(".basket-line")).to_contain_text("任一可借册")
    check_layout(page, "basket")

    # Deliver to my building: the form starts on delivery to the building on my card.
    page.get_by_role("link", name="申请借阅这 1 本书").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提交申请")
    expect(page.get_by_role("radio", name=re.compile("送书到楼"))).to_be_checked()
    expect(page.get_by_label("送到", exact=True)).to_have_value("DORM1")
    expect(page.locator(".slots")).to_be_hidden()
    check_layout(page, "form-delivery")
    page.get_by_role("button", name="提交申请").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"借书申请 #\d+"))
    borrow = BorrowRequest.objects.get(pk=request_page_number(page))
    assert borrow.mode == "delivery" and borrow.building.code == "DORM1"
    expect(page.locator(".status").first).to_have_text("已提交")
    expect(page.locator(".pickup-code")).to_have_text(
        f"{borrow.pickup_code[:3]} {borrow.pickup_code[3:]}"
    )
    expect(page.locator("svg.qr")).to_be_visible()
    box = page.locator("svg.qr").bounding_box()
    assert box["width"] >= 150, box  # big enough to scan off a phone
    expect(page.locator(".timeline__item")).to_have_count(1)
    expect(page.locator(".timeline")).to_contain_text("提交申请")
    expect(page.get_by_role("link", name="借书篮 (0)")).to_be_visible()
    check_layout(page, "delivery-request")

    # A pickup of one copy of 时间简史 in a booked slot tomorrow at 10:00.
    search(page, "时间简史")
    page.locator(".result").first.get_by_role("link", name="时间简史").click()
    page.get_by_role("button", name="借这一册：PKU041").click()
    expect(page.get_by_role("status").first).to_contain_text("已放入借书篮")
    check_layout(page, "record-added")
    page.get_by_role("link", name="借书篮 (1)").click()
    page.get_by_role("link", name="申请借阅这 1 本书").click()
    page.get_by_role("radio", name=re.compile("到服务点取书")).check()
    expect(page.locator(".slots")).to_be_visible()
    expect(page.get_by_label("送到", exact=True)).to_be_hidden()
    # Sending without a slot is refused, and the choice of mode is kept.
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".field-error")).to_have_text("请选择取书时段。")
    expect(page.get_by_role("radio", name=re.compile("到服务点取书"))).to_be_checked()
    check_layout(page, "form-pickup-error")
    choose_tomorrow_at_ten(page, today_has_slots=True)
    check_layout(page, "form-pickup-slot")
    page.get_by_role("button", name="提交申请").click()

    pickup = BorrowRequest.objects.get(pk=request_page_number(page))
    start = timezone.localtime(pickup.slot_booking.slot_start)
    assert start.date() == timezone.localdate() + dt.timedelta(days=1) and start.hour == 10
    expect(page.locator(".slot-booked")).to_have_text(
        f"{start.year}年{start.month}月{start.day}日 10:00–10:30"
    )
    ics = page.get_by_role("link", name="加入我的日历（.ics）")
    expect(ics).to_have_attribute("href", f"/requests/{pickup.pk}/slot.ics")
    calendar = page.request.get(f"/requests/{pickup.pk}/slot.ics")
    assert calendar.ok and calendar.headers["content-type"].startswith("text/calendar")
    assert pickup.pickup_code in calendar.text()
    check_layout(page, "pickup-request")

    # Cancel it: a second tap confirms.
    page.locator(".cancel-card summary").click()
    check_layout(page, "cancel-confirm")
    page.get_by_role("button", name="确定取消").click()
    expect(page.get_by_role("status").first).to_have_text("申请已取消，图书将归架。")
    expect(page.locator(".status").first).to_have_text("已取消")
    expect(page.locator(".timeline")).to_contain_text("申请已取消")
    assert BorrowRequest.objects.get(pk=pickup.pk).status == RequestStatus.CANCELLED
    check_layout(page, "cancelled")

    page.get_by_role("link", name="我的申请").first.click()
    expect(page.locator(".request-card")).to_have_count(2)
    expect(page.locator(".request-card").first).to_contain_text("已取消")
    expect(page.locator(".request-card").nth(1)).to_contain_text("已提交")
    check_layout(page, "my-requests")

    # The same pages in English.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My requests")
    expect(page.locator(".request-card").first).to_contain_text("Cancelled")
    page.locator(".request-card__link").nth(1).click()
    expect(page.locator(".status-words")).to_have_text(
        "Submitted. The library will look for your books on the shelves soon."
    )
    expect(page.get_by_role("heading", name="Pickup code")).to_be_visible()
    expect(page.get_by_role("link", name="Basket (0)")).to_be_visible()
    check_layout(page, "request-en")


def test_a_reader_requests_a_proxy_pickup_on_a_desktop(desktop_page, live_server, shelf):
    page = desktop_page
    sign_in_as_the_reader(page)
    search(page, "红楼")
    page.locator(".result").first.get_by_role("link", name="红楼梦").click()
    page.get_by_role("button", name="加入借书篮：《红楼梦》").click()
    expect(page.get_by_role("status").first).to_contain_text("已放入借书篮")
    page.get_by_role("button", name="借这一册：PKU013").click()
    expect(page.locator(".basket-button--in")).to_have_count(2)
    check_layout(page, "record-in-basket")

    page.get_by_role("link", name="借书篮 (2)").click()
    check_layout(page, "basket")
    page.get_by_role("link", name="申请借阅这 2 本书").click()
    page.get_by_role("radio", name=re.compile("委托他人代取")).check()
    page.get_by_label("代取人姓名").fill("王五")
    page.get_by_label("代取人证件号").fill("11010119900307123X")
    check_layout(page, "form-proxy")
    page.get_by_role("button", name="提交申请").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"借书申请 #\d+"))
    expect(page.locator("main")).to_contain_text("王五")
    expect(page.locator("main")).to_contain_text("证件号末四位 123X")
    expect(page.locator(".request-line")).to_have_count(2)
    expect(page.get_by_text("预约取书时段", exact=True)).to_be_visible()
    check_layout(page, "proxy-request")


# (the moment the reader starts, whether the library opens that day)
TUESDAY = dt.date(2026, 3, 3)
SUNDAY = dt.date(2026, 3, 8)
LATE = {
    "after-the-last-slot": (dt.datetime.combine(TUESDAY, dt.time(21, 45), tzinfo=TZ), True),
    "before-midnight": (dt.datetime.combine(TUESDAY, dt.time(23, 59), tzinfo=TZ), True),
    "closed-day": (dt.datetime.combine(SUNDAY, dt.time(10, 0), tzinfo=TZ), False),
}


@pytest.mark.parametrize(
    ("browser_clock", "open_today"),
    list(LATE.values()),
    ids=list(LATE),
    indirect=["browser_clock"],
)
def test_a_reader_books_tomorrow_when_today_has_no_slot_left(
    phone_page, live_server, shelf, browser_clock, open_today
):
    assert settings.TIME_ZONE == "Asia/Shanghai"  # the moments above are Beijing time
    if not open_today:  # closed on Sundays
        consortium_services.set_weekly_hours(library=shelf.lib, hours={d: DAY for d in range(6)})
    page = phone_page
    sign_in_as_the_reader(page)
    page.goto(f"/records/{shelf.record('时间简史').pk}/")
    page.get_by_role("button", name="借这一册：PKU041").click()
    expect(page.get_by_role("link", name="借书篮 (1)")).to_be_visible()
    page.get_by_role("link", name="借书篮 (1)").click()
    today = timezone.localdate()
    page.get_by_role("link", name="申请借阅这 1 本书").click()
    page.get_by_role("radio", name=re.compile("到服务点取书")).check()
    choose_tomorrow_at_ten(page, today_has_slots=False)
    page.get_by_role("button", name="提交申请").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"借书申请 #\d+"))
    pickup = BorrowRequest.objects.get(pk=request_page_number(page))
    start = timezone.localtime(pickup.slot_booking.slot_start)
    assert (start.date(), start.hour) == (today + dt.timedelta(days=1), 10)
    expect(page.locator(".slot-booked")).to_have_text(
        f"{start.year}年{start.month}月{start.day}日 10:00–10:30"
    )
