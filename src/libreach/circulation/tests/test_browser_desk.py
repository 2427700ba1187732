"""Staff declare a closure and extend loans at the desk, in a real browser."""

import datetime as dt

import pytest
from django.utils import timezone

from libreach.circulation import services
from libreach.circulation.models import BulkExtension, Loan
from libreach.consortium.models import Closure
from libreach.testing.browser import Page, check_layout, expect, sign_in

pytestmark = pytest.mark.browser
D = dt.timedelta
# The desk menu is the desk's; these pages answer for their own controls.
OUR_TARGETS = ".circ a, .circ button, .circ input, .circ select, .circ .check"


def sign_in_at_the_desk(page: Page, next_path: str) -> None:
    sign_in(page, "pku-circ", next_path=next_path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()


@pytest.mark.parametrize("device", ["phone_page", "desktop_page"])
def test_declare_a_closure_and_extend_loans(request, device, live_server, circ):
    # live_server named here, so the database is transactional before the page is chosen.
    page: Page = request.getfixturevalue(device)
    today = timezone.localdate()
    for item, days in ((circ.items[0], 3), (circ.items[1], 10)):
        loan = services.checkout(item=item, reader=circ.reader)
        Loan.objects.filter(pk=loan.pk).update(due_date=today + D(days))

    sign_in_at_the_desk(page, "/desk/PKU/closures/")
    expect(page.get_by_role("heading", level=1)).to_have_text("闭馆与延期")
    check_layout(page, "closures-empty", OUR_TARGETS)

    page.get_by_label("闭馆首日").fill(str(today + D(1)))
    page.get_by_label("闭馆末日").fill(str(today + D(5)))
    page.get_by_label("原因").fill("疫情防控")
    page.get_by_role("button", name="预览变化").click()
    expect(page.locator(".circ-preview-box")).to_contain_text("1 笔借阅将改为")
    assert not Closure.objects.exists()
    check_layout(page, "closure-preview", OUR_TARGETS)
    page.get_by_role("button", name="确认执行：登记闭馆").click()
    expect(page.get_by_role("status").first).to_contain_text("1 笔借阅已顺延")
    expect(page.locator(".circ-list")).to_contain_text("疫情防控")
    assert Closure.objects.get().reason == "疫情防控"

    page.get_by_label("应还日期起").fill(str(today))
    page.get_by_label("应还日期止").fill(str(today + D(60)))
    page.get_by_label("新应还日期").fill(str(today + D(40)))
    page.get_by_role("button", name="预览", exact=True).click()
    expect(page.locator(".circ-preview")).to_contain_text("将延期 2 笔借阅")
    assert not BulkExtension.objects.exists()
    check_layout(page, "extension-preview", OUR_TARGETS)

    page.get_by_role("button", name="执行延期").click()
    expect(page.get_by_role("status").first).to_contain_text("已延期 2 笔借阅")
    expect(page.locator(".circ-log")).to_contain_text("2 笔借阅")
    assert BulkExtension.objects.get().count == 2
    check_layout(page, "extension-applied", OUR_TARGETS)

    page.get_by_role("button", name="取消闭馆").click()
    expect(page.locator(".circ-list")).to_contain_text("已取消")


def test_quarantine_board_on_a_phone(phone_page, circ):
    circ.quarantine(circ.lib, 72)
    for item in circ.items[:2]:
        services.checkout(item=item, reader=circ.reader)
        services.checkin(item=item, at_library=circ.lib)
    page = phone_page
    sign_in_at_the_desk(page, "/desk/PKU/quarantine/")
    expect(page.locator(".circ")).to_contain_text("72 小时")
    expect(page.locator(".circ-table")).to_contain_text("鲁迅全集")
    check_layout(page, "quarantine", OUR_TARGETS)
    page.get_by_role("button", name="立即解除隔离").first.click()
    expect(page.get_by_role("status").first).to_contain_text("已归架")
    assert page.get_by_role("button", name="立即解除隔离").count() == 1
