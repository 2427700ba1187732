"""The e-resources desk in a real browser: PKU's staff see the databases list with its
warnings, open a database and add a free offer (its dates typed in datetime-local
inputs), look at the link status, and order a topic collection's items in place. On a
phone (390 px) in Chinese and on a desktop (1280 px) in English, every page checked by
check_layout (fits, tap targets, axe-core, language of parts)."""

import re

import pytest

from libreach.eresources.models import AccessRoute, CollectionItem
from libreach.eresources.tests.desk_pages import a_database
from libreach.testing.browser import Page, check_layout, expect
from libreach.testing.fixtures import PASSWORD

pytestmark = pytest.mark.browser

WORDS = {
    "zh-hans": {
        "warning": "1 个免费资源将在 7 天内结束",
        "add_route": "添加访问途径",
        "kind": "方式",
        "added": "访问途径已添加",
        "broken": "失效链接",
        "move_down": "下移",
    },
    "en": {
        "warning": "1 free offer ends within 7 days",
        "add_route": "Add an access route",
        "kind": "Kind",
        "added": "Access route added",
        "broken": "Broken links",
        "move_down": "Move down",
    },
}


def signed_in(page: Page, live_server, language: str, path: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"/accounts/login/?next={path}")
    page.locator("#id_username").fill("pku-circ")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


@pytest.mark.parametrize("screen, language", [("phone", "zh-hans"), ("desktop", "en")])
def test_the_e_resources_desk(request, screen, language, live_server, consortium):
    page: Page = request.getfixturevalue(f"{screen}_page")
    if screen == "desktop":
        page.set_viewport_size({"width": 1280, "height": 900})
    w = WORDS[language]
    values = a_database(consortium)
    base = "/desk/PKU/e-resources/"

    signed_in(page, live_server, language, base)
    expect(page.locator(".eres-warning")).to_contain_text(w["warning"])
    check_layout(page, "databases")

    # A database: add a free offer, its window typed in local time.
    page.goto(f"{base}{values['database_id']}/")
    check_layout(page, "database")
    page.locator("summary").filter(has_text=w["add_route"]).click()
    page.locator("#id_new-kind").select_option("free_offer")
    page.locator("#id_new-url").fill("https://trial.example.org/")
    page.locator("#id_new-ends").fill("2026-04-01T18:30")
    page.locator("#id_new-scope").fill("全体师生")
    check_layout(page, "database-add-route")
    page.locator("form[action$='/routes/'] button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text(w["added"])
    route = AccessRoute.objects.get(url="https://trial.example.org/")
    assert route.ends.hour == 10 and route.ends.minute == 30  # 18:30 in Shanghai, in UTC

    # The link status, broken ones first, then only the broken.
    page.goto(f"{base}status/")
    check_layout(page, "status")
    page.locator("#status-filter").select_option("broken")
    page.locator("form.desk-toolbar button").click()
    expect(page).to_have_url(re.compile(r"status=broken"))

    # A topic collection: the first item moves down in place.
    page.goto(f"{base}topics/{values['collection_id']}/")
    check_layout(page, "topic")
    page.evaluate("window.stillHere = true")
    page.locator(f"#item-{values['item_id']}-down").click()
    expect(page.locator(f"#item-{values['item_id']}-up")).to_be_focused()
    assert page.evaluate("window.stillHere === true")
    first = CollectionItem.objects.filter(collection_id=values["collection_id"]).order_by(
        "position"
    )[0]
    assert first.pk != values["item_id"]
    check_layout(page, "topic-moved")
