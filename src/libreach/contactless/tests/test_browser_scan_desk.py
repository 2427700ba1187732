"""The scanner desk in Chromium, by keyboard alone as a wedge scanner types (the code,
then Enter): at the handover, the reader's QR code finds the request and the focus goes
to the button, Enter lends and the focus is back in the scan box; at the returns desk,
three copies scanned one after the other are each checked in, the count follows and the
focus never leaves the box; no page is loaded again. At phone width in Chinese and at
desktop width in English, each page photographed and checked (layout, axe-core)."""

from __future__ import annotations

import pytest

from libreach.catalog.models import Item, ItemStatus
from libreach.circulation.models import CirculationSettings
from libreach.contactless import services
from libreach.contactless.models import BorrowRequest, RequestStatus
from libreach.testing.browser import Page, check_layout, expect, sign_in

pytestmark = pytest.mark.browser

OUR_TARGETS = ".desk-main a, .desk-main button, .desk-main input, .desk-main select"
WORDS = {
    "zh-hans": {
        "found": "申请 {id}：张三。",
        "lent": "已交付：借出 2 册",
        "count": "今日已归还 3 册 · 仍有 0 册待归还",
        "quarantined": "已归还：隔离至",
    },
    "en": {
        "found": "Request {id}: 张三.",  # 张三 marked lang="zh"
        "lent": "handed over: 2 loans",
        "count": "Checked in today: 3 · 0 books still waiting",
        "quarantined": "checked in: quarantined until",
    },
}


def in_language(page: Page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )


def staged(shelf, titles, *, mode="delivery") -> BorrowRequest:
    extra = {"building_code": "DORM1"} if mode == "delivery" else {"service_point_code": "MAIN"}
    borrow = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode=mode,
        lines=[services.LineSpec(record_id=shelf.record(t).pk) for t in titles],
        **extra,
    )
    for line in borrow.lines.all():
        services.mark_found(request_id=borrow.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=borrow.pk, by=shelf.staff)
    return BorrowRequest.objects.get(pk=borrow.pk)


@pytest.fixture
def desk(shelf):
    """A delivery at the dormitory door, and three copies of a cancelled request waiting
    at the desk; the library quarantines returns for 72 hours."""
    CirculationSettings.objects.update_or_create(
        library=shelf.lib, defaults={"quarantine_hours": 72}
    )
    out = staged(shelf, ("红楼梦", "呐喊"))
    services.dispatch(request_id=out.pk, by=shelf.staff)
    back = staged(shelf, ("数据结构", "时间简史", "论语译注"), mode="pickup")
    services.cancel_request(request_id=back.pk, by=shelf.staff)
    copies = list(Item.objects.filter(request_lines__request=back).order_by("barcode"))
    return {"out": BorrowRequest.objects.get(pk=out.pk), "copies": copies}


def scan(page: Page, code: str) -> None:
    """As a keyboard-wedge scanner does: the characters, then Enter, into what has focus."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def loaded_once(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def still_the_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was loaded again"


@pytest.mark.parametrize(
    ("fixture", "language", "width"),
    [("phone_page", "zh-hans", 390), ("desktop_page", "en", 1366)],
)
def test_handover_qr_and_three_returns_by_keyboard(
    request, fixture, language, width, live_server, desk, browser_problems
):
    page: Page = request.getfixturevalue(fixture)
    words = WORDS[language]
    out = desk["out"]
    sign_in(page, "pku-circ")
    page.wait_for_url("**/desk/PKU/")
    in_language(page, live_server, language)

    # --- the handover: the reader's QR code, then Enter on the button the focus went to
    page.goto("/desk/PKU/handover/")
    box = page.locator("#scan")
    expect(box).to_be_focused()
    loaded_once(page)
    scan(page, f"libreach:request:{out.pk}:{out.pickup_code}")
    expect(page.locator("#scan-result")).to_contain_text(words["found"].format(id=out.pk))
    expect(page.locator("#id_pickup_code")).to_have_value(out.pickup_code)
    expect(page.locator("#handover-submit")).to_be_focused()
    check_layout(page, f"handover-found-{language}-{width}", OUR_TARGETS)
    page.keyboard.press("Enter")
    expect(page.locator("#scan-result")).to_contain_text(words["lent"])
    expect(page.locator("table.loans tbody tr")).to_have_count(2)
    expect(box).to_be_focused()  # ready for the next reader
    # The address now names the request: reloaded, the page shows its loans.
    assert page.url.endswith(f"/desk/PKU/handover/?request={out.pk}")
    still_the_same_document(page)
    check_layout(page, f"handover-done-{language}-{width}", OUR_TARGETS)
    assert BorrowRequest.objects.get(pk=out.pk).status == RequestStatus.DELIVERED

    # --- returns: three copies scanned one after another, none waited for
    page.goto("/desk/PKU/returns/")
    expect(box).to_be_focused()
    for copy in desk["copies"]:
        expect(page.locator(f"#return-{copy.pk}")).to_have_count(1)
    loaded_once(page)
    for copy in desk["copies"]:
        scan(page, copy.barcode)
    expect(page.locator("#scan-count")).to_have_text(words["count"])
    expect(page.locator("#scan-result")).to_contain_text(desk["copies"][-1].barcode)
    expect(page.locator("#scan-result")).to_contain_text(words["quarantined"])
    for copy in desk["copies"]:
        expect(page.locator(f"#return-{copy.pk}")).to_have_count(0)
    expect(page.locator("#awaiting-list .empty")).to_be_visible()
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    still_the_same_document(page)
    check_layout(page, f"returns-{language}-{width}", OUR_TARGETS)
    assert {i.status for i in Item.objects.filter(pk__in=[c.pk for c in desk["copies"]])} == {
        ItemStatus.QUARANTINED
    }

    # --- the quarantine board: a copy still in quarantine is refused, nothing changes
    page.goto("/desk/PKU/quarantine/")
    expect(box).to_be_focused()
    loaded_once(page)
    scan(page, desk["copies"][0].barcode)
    expect(page.locator("#scan-result [data-scan-result=error]")).to_be_visible()
    expect(box).to_be_focused()
    still_the_same_document(page)
    # The refusal answers 409 (nothing changed); Chromium logs that status.
    refused = [p for p in browser_problems if "409" in p and "/quarantine/scan/" in p]
    assert len(refused) == 1
    browser_problems.remove(refused[0])
    check_layout(page, f"quarantine-refused-{language}-{width}", OUR_TARGETS)
    assert Item.objects.get(pk=desk["copies"][0].pk).status == ItemStatus.QUARANTINED
