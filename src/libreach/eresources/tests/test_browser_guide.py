"""The reader guide in a real browser, signed out as a reader at home would be: the guide
(filtered in place as the reader types, the "works from home" toggle turned off), a
database's page, the free offers and a topic collection. On a phone (390 px) in Chinese
and on a desktop (1280 px) in English, each page checked by check_layout (fits, tap
targets, axe-core, language of parts), the guide and a database seen in the other
language too.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from libreach.eresources import services
from libreach.eresources.tests.reader_pages import guide_data
from libreach.testing.browser import Page, check_layout, expect, sign_in

pytestmark = pytest.mark.browser

WORDS = {
    "zh-hans": {
        "home": "现在在家能用",
        "one": "1个数据库",
        "open": "打开",
        "free": "限时免费（2）",
    },
    "en": {
        "home": "Works from home now",
        "one": "1 database",
        "open": "Open",
        "free": "Free offers now (2)",
    },
}


def more_databases(consortium) -> None:
    """A few more, as a guide has them: an English-named one through EZproxy, one with a
    second free offer ending sooner, one reached by WebVPN with a long name."""
    staff, lib = consortium.staff, consortium.lib
    services.create_database(
        by=staff,
        library=lib,
        name="Web of Science 核心合集",
        name_en="Web of Science Core Collection",
        vendor="Clarivate",
        kind="index",
        subjects="综合, 引文",
        platform_url="https://www.webofscience.com/",
        routes=[
            {"kind": "ezproxy", "instructions": "点击链接\n在 EZproxy 登录页用统一身份认证登录"},
            {
                "kind": "vpn",
                "instructions": "安装 VPN 客户端\n注册 Clarivate 个人账号并登录 Web of Science",
            },
        ],
    )
    services.create_database(
        by=staff,
        library=lib,
        name="爱思唯尔电子期刊全文数据库（回溯库与现刊，含开放获取期刊）",
        name_en="Elsevier ScienceDirect",
        vendor="Elsevier",
        kind="journals",
        subjects="理工, 医学, 生命科学",
        platform_url="https://www.sciencedirect.com/",
        routes=[
            {"kind": "webvpn"},
            {
                "kind": "free_offer",
                "url": "https://www.sciencedirect.com/",
                "ends": timezone.now() + dt.timedelta(days=3),
                "scope": "全体读者，无需登录",
            },
        ],
    )


def use_language(page: Page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )


@pytest.mark.parametrize(
    "screen, language, other",
    [("phone", "zh-hans", "en"), ("desktop", "en", "zh-hans")],
)
def test_the_guide_at_home(request, screen, language, other, consortium, live_server):
    page: Page = request.getfixturevalue(f"{screen}_page")
    if screen == "desktop":
        page.set_viewport_size({"width": 1280, "height": 900})
    values = guide_data(consortium)
    more_databases(consortium)
    w = WORDS[language]
    use_language(page, live_server, language)

    # The guide: works from home is on, the chips lead to free offers and the topic.
    page.goto("/e-resources/PKU/")
    expect(page.get_by_role("checkbox", name=w["home"])).to_be_checked()
    expect(page.locator(".guide-chip--free")).to_have_text(w["free"])
    expect(page.locator(".guide-card")).to_have_count(3)
    check_layout(page, f"guide-{language}")
    # A mixed name, its English run marked, stays one line (not a flex item per run).
    wos = page.locator(".guide-card__name a > span").filter(has_text="Web of Science 核心合集")
    assert wos.evaluate("e => e.getClientRects().length") == 1

    # Typing filters in place (no page load), and the address keeps the query.
    page.evaluate("window.stillHere = true")
    page.locator("#q").fill("知网")
    expect(page.locator("#guide-results-count")).to_contain_text(w["one"])
    expect(page.locator(".guide-card")).to_have_count(1)
    assert page.evaluate("window.stillHere === true")
    assert "q=" in page.url
    # Off: the campus-only database shows too.
    page.locator("#q").fill("")
    page.get_by_role("checkbox", name=w["home"]).uncheck()
    expect(page.locator(".guide-card")).to_have_count(4)
    assert page.evaluate("window.stillHere === true")
    check_layout(page, f"guide-all-{language}")

    # A database: every route with its steps, the best one first.
    page.locator(f"#db-{values['database_id']}-name a").click()
    expect(page.locator(".guide-route")).to_have_count(3)
    expect(page.locator(".guide-route--best .guide-go")).to_contain_text(w["open"])
    check_layout(page, f"database-{language}")

    page.goto("/e-resources/PKU/free/")
    expect(page.locator(".guide-offer")).to_have_count(2)
    check_layout(page, f"free-{language}")

    page.goto(f"/e-resources/PKU/topics/{values['slug']}/")
    expect(page.locator(".guide-topic__items > li")).to_have_count(2)
    check_layout(page, f"topic-{language}")

    # The other language.
    use_language(page, live_server, other)
    page.goto("/e-resources/PKU/")
    expect(page.locator(".guide-card")).to_have_count(3)
    check_layout(page, f"guide-{other}")
    page.goto(f"/e-resources/PKU/databases/{values['database_id']}/")
    check_layout(page, f"database-{other}")

    # A reader signed in goes to their own library's guide, the header's links and all.
    use_language(page, live_server, "zh-hans")
    sign_in(page, "2020000001", next_path="/e-resources/")
    expect(page).to_have_url(re.compile(r"/e-resources/PKU/$"))
    check_layout(page, "guide-reader")
