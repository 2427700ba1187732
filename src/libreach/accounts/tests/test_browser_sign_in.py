"""A reader who mistypes the password too often, on a phone, in a real browser."""

import pytest

from libreach.testing.browser import Page, check_layout, expect, sign_in
from libreach.testing.fixtures import PASSWORD

pytestmark = pytest.mark.browser


def try_to_sign_in(page: Page, password: str) -> None:
    sign_in(page, "2020000001", password)


def test_locked_out_reader_is_told_to_wait_in_chinese(
    consortium, phone_page: Page, browser_problems
):
    for _ in range(9):
        try_to_sign_in(phone_page, "wrong-password")
        expect(phone_page.get_by_role("alert")).to_contain_text("不正确")
    try_to_sign_in(phone_page, "wrong-password")
    expect(phone_page.get_by_role("heading", name="尝试次数过多")).to_be_visible()
    expect(phone_page.get_by_role("alert")).to_contain_text("请等待 15 分钟后再试")
    check_layout(phone_page, "locked-out")

    # The right password changes nothing until the wait is over.
    try_to_sign_in(phone_page, PASSWORD)
    expect(phone_page.get_by_role("heading", name="尝试次数过多")).to_be_visible()
    phone_page.get_by_role("link", name="返回登录").click()
    expect(phone_page.locator("#id_username")).to_be_visible()
    # The browser reports each 429 answer; those two were the point.
    expected = [p for p in browser_problems if "status of 429" in p]
    assert len(expected) == 2, browser_problems
    for problem in expected:
        browser_problems.remove(problem)
