"""A reader borrows with the keyboard alone (issue 8, acceptance): sign in, search, add two
books, take one out and put it back, add a third and take it out again on the basket
page, request the two for pickup in a slot, read the confirmation, and book a later slot.
Only page.keyboard (Tab, Shift+Tab, arrows, Space, Enter, typing): no clicks. After each
in-place action the focus is on the control just used (or the one that took its place),
never on the body or the top of the page, and the page was not loaded again. On a phone
in Chinese and a desktop in English.
"""

import datetime as dt
import re

import pytest

from libreach.contactless.models import BorrowRequest, SlotBooking
from libreach.testing.browser import Page, check_layout, expect
from libreach.testing.fixtures import PASSWORD

pytestmark = pytest.mark.browser

WORDS = {
    "zh-hans": {
        "basket": "借书篮 ({n})",
        "added": "《{title}》已放入借书篮。",
        "removed": "《{title}》已从借书篮移除。",
        "add": "加入借书篮",
        "remove": "移除",
        "code": "你的取书码为",
        "booked": "已预约取书时段",
    },
    "en": {
        "basket": "Basket ({n})",
        "added": "“{title}” is in your basket.",
        "removed": "“{title}” removed from your basket.",
        "add": "Add to basket",
        "remove": "Remove",
        "code": "Your pickup code is",
        "booked": "Pickup slot booked",
    },
}
# More presses than this to reach a control means the focus was lost on the way.
MOST_TABS = 60


def focused(page: Page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
            return {tag: e.tagName, id: e.id, text: (e.textContent || '').trim(),
                    name: e.getAttribute('name'), value: e.value}; }"""
    )


def tab_to(page: Page, selector: str, *, back: bool = False) -> int:
    """Press Tab (Shift+Tab when `back`) until the focused element matches `selector`;
    how many presses it took."""
    for presses in range(1, MOST_TABS + 1):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} not reached in {MOST_TABS} presses; on {focused(page)}")


def mark_the_page(page: Page) -> None:
    """A mark a full page load would wipe out."""
    page.evaluate("window.__notReloaded = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__notReloaded === true"), "the page was loaded again"


def press_in_place(page: Page, control_id: str, *, becomes: str, count: int, says: str, w):
    """Enter on the focused control, answered in place: the control (same id) now says
    `becomes`, the header's count and the live region are updated, the focus stayed."""
    assert focused(page)["id"] == control_id
    page.keyboard.press("Enter")
    control = page.locator(f"#{control_id}")
    expect(control).to_have_text(becomes)
    expect(page.locator("#basket-link")).to_have_text(w["basket"].format(n=count))
    expect(page.locator("#messages")).to_have_text(says)
    page.wait_for_function(
        "(id) => document.activeElement && document.activeElement.id === id", arg=control_id
    )
    assert focused(page)["tag"] == "BUTTON"
    assert_not_reloaded(page)


@pytest.mark.parametrize(
    ("device", "language"), [("phone_page", "zh-hans"), ("desktop_page", "en")]
)
def test_a_reader_borrows_with_the_keyboard_alone(request, device, language, live_server, shelf):
    page: Page = request.getfixturevalue(device)
    w = WORDS[language]
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    hongloumeng, shuju = shelf.record("红楼梦"), shelf.record("数据结构")
    shiguang = shelf.record("时间简史")

    # Sign in.
    page.goto("/accounts/login/?next=/")
    tab_to(page, "#id_username")
    page.keyboard.type("2020000001")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#basket-link")).to_have_text(w["basket"].format(n=0))

    # Search from the home page's box: a page of results (a navigation, not in place).
    tab_to(page, "#q")
    page.keyboard.type("作者")
    page.keyboard.press("Enter")
    expect(page.locator(".result")).to_have_count(5)
    mark_the_page(page)

    # Add 红楼梦: its button becomes Remove, with the focus on it.
    first = f"basket-button-record-{hongloumeng.pk}"
    tab_to(page, f"#{first}")
    press_in_place(
        page, first, becomes=w["remove"], count=1, says=w["added"].format(title="红楼梦"), w=w
    )
    check_layout(page, "added-one")

    # On to the next book with Tab, and add it too.
    second = f"basket-button-record-{shuju.pk}"
    presses = tab_to(page, f"#{second}")
    assert presses <= 8, f"{presses} Tab presses from one result's button to the next one's"
    press_in_place(
        page, second, becomes=w["remove"], count=2, says=w["added"].format(title="数据结构"), w=w
    )

    # Back with Shift+Tab: take 红楼梦 out, then put it back, never leaving the button.
    tab_to(page, f"#{first}", back=True)
    press_in_place(
        page, first, becomes=w["add"], count=1, says=w["removed"].format(title="红楼梦"), w=w
    )
    press_in_place(
        page, first, becomes=w["remove"], count=2, says=w["added"].format(title="红楼梦"), w=w
    )
    check_layout(page, "added-two")
    # A third, taken out again on the basket page.
    third = f"basket-button-record-{shiguang.pk}"
    tab_to(page, f"#{third}")
    press_in_place(
        page, third, becomes=w["remove"], count=3, says=w["added"].format(title="时间简史"), w=w
    )

    # To the basket by the header's link (a navigation).
    tab_to(page, "#basket-link", back=True)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/basket/$"))
    expect(page.locator(".basket-line")).to_have_count(3)
    mark_the_page(page)
    last = page.locator(".basket-line button").last.get_attribute("id")
    tab_to(page, f"#{last}")
    page.keyboard.press("Enter")
    expect(page.locator(".basket-line")).to_have_count(2)
    expect(page.locator("#basket-link")).to_have_text(w["basket"].format(n=2))
    expect(page.locator("#messages")).to_have_text(w["removed"].format(title="时间简史"))
    # The focus went to the Remove of the line before it, not to the top of the page.
    before = page.locator(".basket-line button").last.get_attribute("id")
    page.wait_for_function(
        "(id) => document.activeElement && document.activeElement.id === id", arg=before
    )
    assert_not_reloaded(page)
    check_layout(page, "basket")

    # The request: pickup, a slot chosen with the keyboard.
    tab_to(page, 'a[href="/basket/PKU/request/"]')
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/basket/PKU/request/$"))
    tab_to(page, 'input[name="mode"]')
    assert focused(page)["value"] == "delivery"  # the building on the card is preselected
    page.keyboard.press("ArrowDown")  # the next choice of the group: pickup
    expect(page.locator('input[name="mode"][value="pickup"]')).to_be_checked()
    expect(page.locator(".slots")).to_be_visible()
    tab_to(page, 'input[name="slot"]')
    slot = focused(page)["value"]
    page.keyboard.press("Space")
    expect(page.locator(f'input[name="slot"][value="{slot}"]')).to_be_checked()
    check_layout(page, "request-form")
    tab_to(page, '.request-form button[type="submit"]')
    page.keyboard.press("Enter")

    # The confirmation: the request's page with its pickup code.
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    borrow = BorrowRequest.objects.get()
    expect(page.locator("#messages")).to_contain_text(f"{w['code']} {borrow.pickup_code}")
    assert borrow.mode == "pickup" and borrow.lines.count() == 2
    assert borrow.slot_booking.slot_start == dt.datetime.fromisoformat(slot.split("|", 1)[1])
    expect(page.locator("#basket-link")).to_have_text(w["basket"].format(n=0))
    check_layout(page, "confirmation")

    # A later slot, booked in place: the time booked changes, the focus stays on the button.
    mark_the_page(page)
    tab_to(page, "details.slot-change > summary")
    page.keyboard.press("Enter")
    tab_to(page, 'input[name="slot"]')
    assert focused(page)["value"] == slot  # the booked one is the checked one
    page.keyboard.press("ArrowRight")
    later = focused(page)["value"]
    assert later != slot
    tab_to(page, "#book-slot")
    page.keyboard.press("Enter")
    start = dt.datetime.fromisoformat(later.split("|", 1)[1])
    expect(page.locator("#slot-booked")).to_contain_text(start.strftime("%H:%M"))
    expect(page.locator("#messages")).to_contain_text(w["booked"])
    assert focused(page)["id"] == "book-slot"
    assert_not_reloaded(page)
    assert SlotBooking.objects.get(request=borrow).slot_start == start
    check_layout(page, "slot-changed")
