"""Staff walk a delivery request through the desk in a real browser (desktop), and the
handover page at phone width."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from libreach.contactless import services
from libreach.contactless.models import BorrowRequest, PickSlip, RequestStatus
from libreach.core.words import format_date
from libreach.testing.browser import (
    Page,
    assert_fits_the_screen,
    check_layout,
    expect,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser
# The desk menu and the site header answer for themselves; these are the pages' controls.
OUR_TARGETS = ".desk-main a, .desk-main button, .desk-main input, .desk-main select"


def sign_in_at_the_desk(page: Page, next_path: str, username: str = "pku-circ") -> None:
    sign_in(page, username, next_path=next_path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def message(page: Page):
    # An answer given in place is in the scan box's status (pick list) or in #messages.
    return page.locator("#scan-result .alert, .messages .alert").last


def figure(page: Page, label: str):
    term = page.locator("dt", has_text=re.compile(f"^{re.escape(label)}$"))
    return page.locator(".figures div").filter(has=term).locator("dd")


def test_staff_pick_disinfect_stage_run_dispatch_hand_over_then_stats(
    desktop_page, live_server, shelf, browser_problems
):
    page: Page = desktop_page
    request = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        lines=[
            services.LineSpec(record_id=shelf.record("红楼梦").pk),
            services.LineSpec(record_id=shelf.record("呐喊").pk),
        ],
    )
    first, second = request.lines.order_by("position")

    sign_in_at_the_desk(page, "/desk/PKU/pick-list/")
    expect(page.get_by_role("heading", level=1)).to_have_text("找书单")
    rows = page.locator("table.picklist tbody tr")
    expect(rows).to_have_count(2)
    # Shelving order: I210 (呐喊) before I242 (红楼梦) in 中文书库.
    expect(rows.nth(0)).to_contain_text("呐喊")
    expect(rows.nth(1)).to_contain_text("红楼梦")
    expect(rows.nth(1)).to_contain_text("任一复本")
    assert_fits_the_screen(page)
    screenshot(page, "pick-list")

    page.get_by_role("button", name="打印找书单").click()
    page.wait_for_url(re.compile(r"/desk/PKU/pick-slips/\d+/$"))
    expect(page.locator("tbody tr")).to_have_count(2)
    slip = PickSlip.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"找书单 {slip.pk}")
    expect(page.get_by_role("link", name="PDF")).to_be_visible()
    screenshot(page, "pick-slip")
    page.get_by_role("link", name="‹ 找书单").click()
    expect(rows.nth(0)).to_contain_text(f"找书单 {slip.pk}")

    found_row = page.locator(f"#line-{first.pk}")
    found_row.get_by_role("button", name="找到", exact=True).click()
    # Answered in place: the row leaves the list, the outcome is in the scan box's status.
    expect(message(page)).to_contain_text("已找到 《红楼梦》")
    expect(found_row).to_have_count(0)
    missing_row = page.locator(f"#line-{second.pk}")
    missing_row.get_by_label("未找到原因").select_option("not_on_shelf")
    missing_row.get_by_role("button", name="未找到").click()
    expect(message(page)).to_contain_text("未找到 《呐喊》")
    page.reload()
    expect(page.get_by_text("没有待找的书。")).to_be_visible()

    page.goto(f"/desk/PKU/requests/{request.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"申请 {request.pk}")
    page.get_by_label("方式", exact=True).select_option("uv")
    page.get_by_label("分钟").fill("20")
    page.get_by_role("button", name="登记消毒").click()
    expect(message(page)).to_contain_text("已登记消毒")
    expect(page.get_by_role("region", name="消毒")).to_contain_text("20 分钟")
    expect(page.get_by_label("架位")).to_have_value(str(request.queue_number))
    page.get_by_role("button", name="上架").click()
    expect(message(page)).to_contain_text("已上架")
    screenshot(page, "request-ready")

    page.goto("/desk/PKU/runs/")
    expect(page.get_by_label(re.compile("学生宿舍1号楼"))).to_be_checked()
    page.get_by_label("送书人").select_option(label="志愿者 (pku-vol)")
    page.get_by_role("button", name="建立批次").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("配送路单")
    sheet = page.locator(f"#request-{request.pk}")
    expect(sheet).to_contain_text("张三")
    expect(sheet).to_contain_text("2020000001")
    expect(sheet).to_contain_text("红楼梦")
    expect(sheet).not_to_contain_text("呐喊")
    screenshot(page, "route-sheet")
    page.get_by_role("button", name="整批出发").click()
    expect(message(page)).to_contain_text("已出发送书")

    page.goto("/desk/PKU/handover/")
    # Found by the reader's card number (a reader whose phone is dead still has the card).
    page.get_by_label("扫描条码").fill("２０２０００００01")
    page.get_by_label("扫描条码").press("Enter")
    wrong = "000000" if request.pickup_code != "000000" else "111111"
    page.get_by_label("取书码").fill(wrong)
    page.get_by_role("button", name="交付并借出").click()
    expect(page.locator("#scan-result")).to_contain_text("取书码不符")
    assert BorrowRequest.objects.get(pk=request.pk).status == RequestStatus.OUT_FOR_DELIVERY
    # The refused handover answers 403 (as the API does); Chromium logs that status.
    refused = [p for p in browser_problems if "403" in p and "/desk/PKU/handover/" in p]
    assert len(refused) == 1
    browser_problems.remove(refused[0])
    screenshot(page, "handover-refused")
    page.get_by_label("取书码").fill(request.pickup_code)
    page.get_by_role("button", name="交付并借出").click()
    expect(page.locator("#scan-result")).to_contain_text("已交付")
    loans = page.locator("table.loans tbody tr")
    expect(loans).to_have_count(1)
    due = request.lines.get(pk=first.pk).loan.due_date
    with translation.override("zh-hans"):
        expect(loans.first.locator(".due")).to_have_text(format_date(due))
    screenshot(page, "handover-done")

    page.get_by_role("navigation", name="工作台").get_by_role("link", name="统计").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("无接触借阅统计")
    expect(figure(page, "申请册数")).to_have_text("2")
    expect(figure(page, "完成册数")).to_have_text("1")
    expect(figure(page, "读者数")).to_have_text("1")
    expect(figure(page, "未找到率")).to_have_text("50.0%")
    expect(page.locator("#by-mode tbody tr").first).to_contain_text("2")
    expect(page.locator(".chart svg")).to_be_visible()
    assert_fits_the_screen(page)
    screenshot(page, "stats")


def test_pick_list_and_handover_on_a_phone(phone_page, live_server, shelf):
    page: Page = phone_page
    request = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="proxy",
        service_point_code="MAIN",
        proxy=services.Proxy("王五", "110101199001011234"),
        lines=[services.LineSpec(record_id=shelf.record("数据结构").pk)],
    )
    (line,) = request.lines.all()
    services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=request.pk, by=shelf.staff)

    services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        lines=[services.LineSpec(record_id=shelf.record("红楼梦").pk)],
    )

    # The pick list works at phone width too: each line a card with its buttons.
    sign_in_at_the_desk(page, "/desk/PKU/pick-list/")
    expect(page.locator("table.picklist tbody tr")).to_have_count(1)
    check_layout(page, "pick-list", OUR_TARGETS)

    page.goto("/desk/PKU/handover/")
    page.get_by_label("扫描条码").fill(f"libreach:request:{request.pk}:{request.pickup_code}")
    page.get_by_label("扫描条码").press("Enter")
    expect(page.get_by_label("取书码")).to_have_value(request.pickup_code)
    expect(page.get_by_text("末四位 1234")).to_be_visible()
    check_layout(page, "handover-proxy", OUR_TARGETS)
    page.get_by_label("王五 的证件号").fill("110101199001011234")
    page.get_by_role("button", name="交付并借出").click()
    expect(page.locator("table.loans tbody tr")).to_have_count(1)
    assert_fits_the_screen(page)
    screenshot(page, "handover-proxy-done")
    assert BorrowRequest.objects.get(pk=request.pk).status == RequestStatus.COLLECTED
