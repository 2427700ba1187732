"""A reader searches the catalogue in a real browser, on a phone and on a desktop."""

import re

import pytest

from libreach.catalog.models import Item, ItemStatus
from libreach.catalog.services import ItemInput, create_record
from libreach.catalog.tests.conftest import hongloumeng_at, research_on_loan_at
from libreach.testing.browser import (
    Page,
    assert_fits_the_screen,
    assert_tap_targets_are_big_enough,
    check_layout,
    expect,
    screenshot,
)
from libreach.testing.fixtures import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def hongloumeng(consortium):
    record = hongloumeng_at(consortium.lib)
    research_on_loan_at(
        consortium.other_lib, "红楼梦研究：一部关于曹雪芹生平、版本源流与脂砚斋评语的长篇考证"
    )
    return record


def search_for_hongloumeng(page: Page) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", name="检索馆藏")).to_be_visible()
    check_layout(page, "home")

    page.get_by_role("searchbox").fill("红楼")
    page.get_by_role("button", name="检索").click()
    expect(page).to_have_url(re.compile(r"/search/\?q=%E7%BA%A2%E6%A5%BC$"))
    results = page.locator(".result")
    expect(results).to_have_count(2)
    first = results.first
    expect(first.get_by_role("link", name="红楼梦", exact=True)).to_be_visible()
    expect(first).to_contain_text("曹雪芹; 高鹗")
    expect(first).to_contain_text("I242.4/1")
    expect(first).to_contain_text("北京大学图书馆")
    expect(first.locator(".availability")).to_have_text("共 3 册，2 册可借")
    check_layout(page, "results")

    first.get_by_role("link", name="红楼梦", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("红楼梦")
    items = page.locator("tr.item")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("PKU0001")
    expect(page.locator(".badge--available")).to_have_count(2)
    expect(page.locator(".badge--on_loan")).to_have_text("借出")
    expect(page.locator(".holdings .availability")).to_have_text("共 3 册，2 册可借")
    check_layout(page, "record")


def back_to_the_results(page: Page) -> None:
    page.get_by_role("link", name="返回检索结果").click()
    expect(page).to_have_url(re.compile(r"/search/\?q=%E7%BA%A2%E6%A5%BC$"))
    expect(page.locator(".result")).to_have_count(2)


def test_reader_on_a_phone_finds_a_book_and_its_copies(phone_page, hongloumeng):
    search_for_hongloumeng(phone_page)
    # On a phone each copy is a card, with the column labels beside the values.
    assert phone_page.locator(".items thead").bounding_box()["height"] <= 1
    label = phone_page.evaluate(
        "getComputedStyle(document.querySelector('tr.item td'), '::before').content"
    )
    assert "条码" in label
    back_to_the_results(phone_page)


def test_reader_on_a_desktop_finds_a_book_and_its_copies(desktop_page, hongloumeng):
    search_for_hongloumeng(desktop_page)
    expect(desktop_page.get_by_role("columnheader", name="条码")).to_be_visible()
    back_to_the_results(desktop_page)


def test_filters_narrow_the_results_on_a_phone(phone_page, hongloumeng):
    page = phone_page
    page.goto("/search/?q=红楼")
    page.get_by_label("图书馆").select_option("BLCU")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator(".result")).to_have_count(1)
    expect(page.locator(".result")).to_contain_text("北京语言大学图书馆")

    page.get_by_label("仅显示可借").check()
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("heading", name="没有找到结果")).to_be_visible()
    assert_fits_the_screen(page)
    screenshot(page, "no-results")
    page.get_by_role("link", name="检索所有图书馆").click()
    expect(page.locator(".result")).to_have_count(1)
    expect(page.locator(".result")).to_contain_text("北京大学图书馆")


def test_reader_switches_to_english(phone_page, hongloumeng):
    page = phone_page
    page.goto("/search/?q=红楼")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/search/\?q=%E7%BA%A2%E6%A5%BC$"))
    expect(page.get_by_text("2 records for “红楼”")).to_be_visible()
    first = page.locator(".result").first
    expect(first).to_contain_text("Call number")
    expect(first).to_contain_text("Peking University Library")
    expect(first.locator(".availability")).to_have_text("2 of 3 available")
    check_layout(page, "results-en")

    first.get_by_role("link", name="红楼梦", exact=True).click()
    expect(page.get_by_role("heading", name="Holdings")).to_be_visible()
    expect(page.locator(".badge--on_loan")).to_have_text("On loan")
    screenshot(page, "record-en")

    page.goto("/")
    expect(page.get_by_role("heading", name="Search the catalogue")).to_be_visible()
    screenshot(page, "home-en")
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", name="检索馆藏")).to_be_visible()


def test_reader_signs_in_with_the_card_number(phone_page, consortium):
    page = phone_page
    page.goto("/")
    page.get_by_role("link", name="登录").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    check_layout(page, "login")
    page.get_by_label("读者证号或用户名").fill("2020000001")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主导航")).to_contain_text("张三")
    screenshot(page, "signed-in")
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="登录")).to_be_visible()


def test_desktop_english_pages(desktop_page, hongloumeng):
    page = desktop_page
    page.goto("/")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Search the catalogue")).to_be_visible()
    screenshot(page, "home-en")
    page.get_by_role("searchbox").fill("红楼")
    page.keyboard.press("Enter")
    expect(page.locator(".result")).to_have_count(2)
    assert_fits_the_screen(page)
    screenshot(page, "results-en")
    page.get_by_role("link", name="红楼梦", exact=True).click()
    expect(page.get_by_role("columnheader", name="Barcode")).to_be_visible()
    screenshot(page, "record-en")


def test_pages_of_results_on_a_phone(phone_page, consortium):
    for n in range(25):
        create_record(
            library=consortium.lib,
            title=f"数据结构（C语言版）第{n + 1}版",
            authors=["严蔚敏", "吴伟民"],
            call_number=f"TP311.12/{n + 1}",
            items=[ItemInput(barcode=f"DS{n:03}")],
        )
    page = phone_page
    page.goto("/search/?q=数据结构")
    expect(page.locator(".result")).to_have_count(20)
    pages = page.get_by_role("navigation", name="结果分页")
    expect(pages).to_contain_text("第 1 页，共 2 页")
    assert_fits_the_screen(page)
    assert_tap_targets_are_big_enough(page)
    pages.get_by_role("link", name="下一页").click()
    expect(page.locator(".result")).to_have_count(5)
    expect(pages).to_contain_text("第 2 页，共 2 页")
    screenshot(page, "page-2")
    pages.get_by_role("link", name="上一页").click()
    expect(page.locator(".result")).to_have_count(20)


def test_unknown_record_shows_the_404_page(phone_page, browser_problems, db):
    page = phone_page
    response = page.goto("/records/999999/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    screenshot(page, "404")
    # Chromium logs the 404 of the document itself; that one is expected here.
    assert len(browser_problems) == 1 and "404" in browser_problems[0]
    browser_problems.clear()


def test_the_harness_catches_javascript_errors(phone_page, browser_problems, db):
    phone_page.goto("/")
    phone_page.evaluate("setTimeout(() => { throw new Error('boom') }, 0)")
    phone_page.evaluate("console.error('broken')")
    phone_page.wait_for_timeout(50)
    assert any("boom" in p for p in browser_problems)
    assert any("broken" in p for p in browser_problems)
    browser_problems.clear()


def test_long_titles_and_every_status_fit_a_phone(phone_page, desktop_page, consortium):
    record = create_record(
        library=consortium.other_lib,
        title=(
            "Proceedings of the International Conference on Supercalifragilisticexpialidocious"
            "InformationRetrievalAndDigitalLibrariesWithoutSpaces : selected papers / edited"
            " by the programme committee"
        ),
        authors=[f"Author{n}, Firstname Middlename" for n in range(6)],
        isbn="9787302423287",
        publisher="Tsinghua University Press 清华大学出版社",
        year="2016",
        call_number="TP391.3-532/Z123.4:2016(v.1-v.12)",
        items=[
            ItemInput(
                barcode=f"BLCU-LONG-BARCODE-{status.value}",
                location="Main Library, Level 3 Stacks, East Wing Compact Shelving",
                call_number="TP391.3-532/Z123.4:2016(v.1-v.12)",
                volume=f"v.{n + 1}, pt.2, suppl.",
            )
            for n, status in enumerate(ItemStatus)
        ],
    )
    for status in ItemStatus:
        # Barcodes are stored upper case (core.normalise), the status values are not.
        barcode = f"BLCU-LONG-BARCODE-{status.value}".upper()
        Item.objects.filter(barcode=barcode).update(status=status)
    for device, page in (("phone", phone_page), ("desktop", desktop_page)):
        page.goto("/search/?q=Supercalifragilistic")
        expect(page.locator(".result")).to_have_count(1)
        assert_fits_the_screen(page)
        screenshot(page, f"{device}-results")
        page.goto(f"/records/{record.id}/")
        expect(page.locator(".badge")).to_have_count(len(ItemStatus))
        assert_fits_the_screen(page)
        screenshot(page, f"{device}-record")
    expect(phone_page.locator(".badge--quarantined")).to_have_text("隔离中")
