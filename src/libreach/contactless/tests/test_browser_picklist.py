"""Staff sign in and arrive at the desk home, follow its count to the pick list, where
the "not found" reason shows its whole text at phone and desktop width in both
languages; the requests page's tab strip scrolls within itself on a phone."""

from __future__ import annotations

import pytest

from libreach.contactless import services
from libreach.testing.browser import Page, assert_fits_the_screen, expect, screenshot, sign_in

pytestmark = pytest.mark.browser

# The select is at least as wide as its longest option's text, its padding and its arrow.
CUT_OPTIONS = """(select) => {
    const style = getComputedStyle(select);
    const probe = document.createElement('span');
    probe.style.font = style.font;
    probe.style.whiteSpace = 'nowrap';
    probe.style.position = 'absolute';
    document.body.append(probe);
    const cut = [];
    for (const option of select.options) {
        probe.textContent = option.text;
        const needs = probe.getBoundingClientRect().width
            + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 16;
        if (select.getBoundingClientRect().width < needs) cut.push(option.text);
    }
    probe.remove();
    return cut;
}"""


def in_language(page: Page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )


@pytest.fixture
def two_to_pick(shelf):
    services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        lines=[
            services.LineSpec(record_id=shelf.record("红楼梦").pk),
            services.LineSpec(record_id=shelf.record("数据结构").pk),
        ],
    )
    return shelf


@pytest.mark.parametrize(
    ("fixture", "width"),
    # A desktop, and the narrowest screen with the table layout (56em), where the
    # reasons' column is tightest.
    [("phone_page", 390), ("desktop_page", 1280), ("desktop_page", 900)],
)
def test_staff_land_on_the_desk_home_and_pick_with_every_reason_readable(
    request, fixture, width, live_server, two_to_pick
):
    page: Page = request.getfixturevalue(fixture)
    if fixture == "desktop_page":
        page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "pku-circ")
    page.wait_for_url("**/desk/PKU/")
    work = page.locator("#work-to_pick")
    expect(work).to_contain_text("2")
    expect(work).to_contain_text("待找的书")
    assert_fits_the_screen(page)
    screenshot(page, f"desk-home-zh-{width}")
    work.get_by_role("link").click()
    page.wait_for_url("**/desk/PKU/pick-list/")
    for language, reason in (("zh-hans", "架上无书"), ("en", "Not on the shelf")):
        in_language(page, live_server, language)
        page.reload()
        reasons = page.locator("table.picklist select[name=reason]")
        expect(reasons).to_have_count(2)
        expect(reasons.first.locator("option").first).to_have_text(reason)
        for n in range(2):
            assert reasons.nth(n).evaluate(CUT_OPTIONS) == [], language
        assert_fits_the_screen(page)
        screenshot(page, f"pick-list-{language}-{width}")


def test_the_requests_tabs_scroll_within_their_strip_on_a_phone(
    phone_page, live_server, two_to_pick
):
    page: Page = phone_page
    sign_in(page, "pku-circ", next_path="/desk/PKU/requests/")
    # sign_in returns with the form sent; reload only once its page is there.
    page.wait_for_url("**/desk/PKU/requests/")
    in_language(page, live_server, "en")
    page.reload()
    strip = page.locator(".desk-tabs ul")
    expect(strip.get_by_role("link", name="Closed")).to_be_attached()
    # The page itself does not scroll sideways; the strip does, and shows it can.
    assert_fits_the_screen(page)
    overflow = strip.evaluate("(ul) => ul.scrollWidth - ul.clientWidth")
    assert overflow > 0
    assert "radial-gradient" in strip.evaluate("(ul) => getComputedStyle(ul).backgroundImage")
    strip.get_by_role("link", name="Closed").scroll_into_view_if_needed()
    expect(strip.get_by_role("link", name="Closed")).to_be_in_viewport()
    screenshot(page, "requests-tabs-en")
