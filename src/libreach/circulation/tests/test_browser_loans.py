"""A reader opens My loans and renews one, in a real browser, on a phone and a desktop.

The clock is the browser tests' (testing/browser.py): Tuesday 2026-03-03, 09:00 in
Beijing; PKU (circulation's fixture) lends for 14 days and allows one renewal.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from libreach.circulation import services
from libreach.circulation.models import Loan
from libreach.testing.browser import Page, check_layout, expect, sign_in

pytestmark = pytest.mark.browser
D = dt.timedelta


@pytest.mark.parametrize("device", ["phone_page", "desktop_page"])
def test_a_reader_opens_my_loans_and_renews_one(request, device, live_server, circ):
    # live_server named here, so the database is transactional before the page is chosen.
    page: Page = request.getfixturevalue(device)
    now = timezone.now()
    today = timezone.localdate()
    soon = services.checkout(item=circ.items[0], reader=circ.reader, at=now - D(12))
    assert soon.due_date == today + D(2)
    overdue = services.checkout(item=circ.items[1], reader=circ.reader, at=now - D(20))
    Loan.objects.filter(pk=overdue.pk).update(due_date=today - D(1))

    sign_in(page, "2020000001", next_path="/")
    expect(page.locator(".due-banner")).to_contain_text("1 笔借阅已逾期")
    page.get_by_role("link", name="我的借阅").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的借阅")
    expect(page.get_by_role("link", name="我的借阅").first).to_have_attribute(
        "aria-current", "page"
    )
    soon_card = page.locator(".loan-card").filter(has_text="P001")
    overdue_card = page.locator(".loan-card").filter(has_text="P002")
    expect(soon_card).to_contain_text("还有 2 天到期")
    expect(overdue_card).to_contain_text("已逾期 1 天")
    expect(overdue_card).to_contain_text("不能续借： 已逾期的借阅不能续借。")
    expect(overdue_card.get_by_role("button")).to_have_count(0)
    check_layout(page, "loans")

    soon_card.get_by_role("button", name=re.compile("^续借")).click()
    expect(page.get_by_role("status").first).to_contain_text("《鲁迅全集》已续借")
    loan = Loan.objects.get(pk=soon.pk)
    assert (loan.renewals, loan.due_date) == (1, soon.due_date + D(14))
    # Renewed once, the most this policy allows: the card now says why not.
    expect(soon_card).to_contain_text("已续借 1 次，已达上限")
    expect(page.get_by_role("button", name=re.compile("续借"))).to_have_count(0)
    check_layout(page, "renewed")

    page.get_by_role("link", name="借阅历史").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("借阅历史")
    expect(page.locator(".empty")).to_contain_text("还没有已归还的借阅")
