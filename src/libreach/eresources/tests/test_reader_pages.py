"""The reader guide's pages: the best route first as one tap, filters with and without
htmx, a database's routes and steps, free offers that leave at their end time by the
clock alone, topic collections (unpublished ones for staff only), and the title finder.
Who may open each page is the page matrix's (tests/reader_pages.py)."""

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.test import Client

from libreach.consortium import services as consortium_services
from libreach.eresources import selectors, services
from libreach.eresources.models import KbartTitle
from libreach.eresources.tests.reader_pages import guide_data

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=TZ)
OFFER_ENDS = dt.datetime(2026, 3, 10, 18, 0, tzinfo=TZ)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def guide(consortium, clock):
    return guide_data(consortium)


def client_of(user=None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def offer_db(consortium, name: str, ends: dt.datetime, starts: dt.datetime | None = None):
    return services.create_database(
        by=consortium.staff,
        library=consortium.lib,
        name=name,
        routes=[
            {
                "kind": "free_offer",
                "url": f"https://free.example.com/{name}",
                "starts": starts or NOW - dt.timedelta(days=30),
                "ends": ends,
                "scope": "全体读者",
            }
        ],
    )


# --- the guide ---------------------------------------------------------------------------


def test_the_guide_puts_the_best_route_first_as_one_tap(consortium, guide):
    html = page(client_of(language="zh-hans").get("/e-resources/PKU/"))
    # The free offer (rank 10) beats CARSI (20); its link is the one big button.
    card = html[html.index(f'id="db-{guide["database_id"]}-name"') :]
    button = re.search(r'<a class="button button--primary guide-go" href="([^"]+)"', card)
    assert button and button.group(1) == "https://free.cnki.net/"
    assert "限时免费 · 打开" in card
    assert "限时免费至2026年3月23日" in card
    assert '<span lang="en">CNKI</span>' in card
    # The chips: free offers open now, the published topic, the title finder.
    assert "限时免费（1）" in html and "/e-resources/PKU/topics/covid-19/" in html


def test_works_from_home_is_on_first_and_says_what_it_hides(consortium, guide):
    reader = client_of(language="en")
    html = page(reader.get("/e-resources/PKU/"))
    assert "国研网" not in html
    assert "1 more works only on the campus network." in html
    assert "home=0" in html
    # The form sends home=0 then, when ticked, home=1: unticked shows the campus-only one.
    html = page(reader.get("/e-resources/PKU/", {"home": "0"}))
    assert "国研网" in html and "Only on the campus network." in html
    html = page(reader.get("/e-resources/PKU/", {"home": ["0", "1"]}))
    assert "国研网" not in html


def test_search_and_filters_narrow_the_guide(consortium, guide):
    reader = client_of(language="en")
    html = page(reader.get("/e-resources/PKU/", {"q": "知网", "home": "0"}))
    assert "中国知网" in html and "国研网" not in html
    html = page(reader.get("/e-resources/PKU/", {"type": "data", "home": "0"}))
    assert "国研网" in html and "中国知网" not in html
    html = page(reader.get("/e-resources/PKU/", {"subject": "医学"}))
    assert "中国知网" in html
    html = page(reader.get("/e-resources/PKU/", {"q": "nothing-like-this", "type": "nonsense"}))
    assert "No databases found" in html
    assert "Check the spelling" in html and "/e-resources/PKU/titles/?q=nothing-like-this" in html


def test_htmx_filtering_answers_with_the_results_alone(consortium, guide):
    response = client_of(language="en").get("/e-resources/PKU/", {"q": "知网"}, **HX)
    html = page(response)
    assert html.lstrip().startswith('<section id="guide-results"')
    assert "<html" not in html and "中国知网" in html
    # The count goes into the live region that stays on the page, so it is announced.
    assert '<p id="guide-results-count" hx-swap-oob="innerHTML">1 database' in html
    assert "HX-Request" in response["Vary"]


def test_a_library_without_databases_says_so(consortium, clock):
    html = page(client_of(language="en").get("/e-resources/BLCU/"))
    assert "The library has not listed any databases yet." in html


def test_unknown_library_is_404_on_every_page(consortium, guide):
    client = client_of(language="en")
    for path in (
        "/e-resources/NOPE/",
        f"/e-resources/NOPE/databases/{guide['database_id']}/",
        "/e-resources/NOPE/free/",
        "/e-resources/NOPE/topics/",
        "/e-resources/NOPE/topics/covid-19/",
        "/e-resources/NOPE/titles/",
    ):
        assert client.get(path).status_code == 404, path


def test_the_guide_costs_the_same_queries_for_3_or_30_databases(
    consortium, clock, django_assert_num_queries
):
    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            services.create_database(
                by=consortium.staff,
                library=consortium.lib,
                name=f"数据库{i:02d}",
                subjects="医学",
                routes=[
                    {"kind": "carsi", "url": "https://sp.example.com/?entityID=https://{IDP地址}/"},
                    {"kind": "free_offer", "url": "https://f.example.com/", "ends": OFFER_ENDS},
                    {"kind": "campus_ip"},
                ],
            )

    client = client_of(language="en")
    add(3, 0)
    client.get("/e-resources/PKU/")  # sessions, translations and templates warmed up
    with django_assert_num_queries(8) as three:
        assert client.get("/e-resources/PKU/").content.count(b"guide-go") == 3
    add(27, 3)
    with django_assert_num_queries(len(three.captured_queries)):
        assert client.get("/e-resources/PKU/").content.count(b"guide-go") == 30


# --- the index ---------------------------------------------------------------------------


def test_a_reader_goes_to_their_library_and_others_choose(consortium):
    response = client_of(consortium.reader).get("/e-resources/")
    assert response.status_code == 302 and response["Location"] == "/e-resources/PKU/"
    html = page(client_of(language="en").get("/e-resources/"))
    assert "/e-resources/PKU/" in html and "/e-resources/BLCU/" in html
    assert "Peking University Library" in html


def test_the_only_library_is_gone_to_at_once(db):
    consortium_services.create_library(code="THU", name="清华大学图书馆")
    response = Client().get("/e-resources/")
    assert response.status_code == 302 and response["Location"] == "/e-resources/THU/"


# --- a database ----------------------------------------------------------------------------


def test_a_database_page_lists_routes_in_rank_order_with_steps(consortium, guide):
    html = page(
        client_of(language="zh-hans").get(f"/e-resources/PKU/databases/{guide['database_id']}/")
    )
    kinds = re.findall(
        r'<h3 class="guide-route__kind" id="route-\d+">(.*?)(?: <span class="guide-badge|</h3>)',
        html,
    )
    assert [re.sub("<[^>]+>", "", k) for k in kinds] == [
        "限时免费",
        "CARSI（用学校账号登录）",
        "校园网",
    ]
    # The WAYFless link with the school's IdP host in place of {IDP地址}.
    assert "entityID=https://idp.pku.edu.cn/idp/shibboleth&amp;target=" in html
    assert re.search(r'<ol class="guide-steps"[^>]*><li>点击链接</li><li>选择北京大学</li>', html)
    assert "校外首选" in html and "适用范围：" in html and "全体师生" in html
    assert "中文期刊、学位论文、会议论文全文。" in html


def test_steps_numbered_by_their_writer_are_not_numbered_twice(consortium, clock):
    db = services.create_database(
        by=consortium.staff,
        library=consortium.lib,
        name="ScienceDirect",
        name_en="ScienceDirect",
        routes=[
            {
                "kind": "personal_account",
                "url": "https://www.sciencedirect.com/",
                "instructions": "1. 注册个人账号\n\n2、登录\n(3) 激活\n④ 校外访问\n10: 完成\n2020年起可用",
            }
        ],
    )
    html = page(client_of(language="zh-hans").get(f"/e-resources/PKU/databases/{db.pk}/"))
    steps = re.search(r'<ol class="guide-steps"[^>]*>(.*?)</ol>', html).group(1)
    assert re.findall(r"<li>(.*?)</li>", steps) == [
        "注册个人账号",
        "登录",
        "激活",
        "校外访问",
        "完成",
        "2020年起可用",
    ]
    # Its English name is its name: said once.
    assert html.count("ScienceDirect</") == 1


def test_a_route_without_its_settings_says_to_ask_the_library(consortium, clock):
    db = services.create_database(
        by=consortium.other_staff,
        library=consortium.other_lib,
        name="知网",
        routes=[{"kind": "carsi", "url": "https://fsso.cnki.net/?entityID=https://{IDP地址}/"}],
    )
    html = page(client_of(language="en").get(f"/e-resources/BLCU/databases/{db.pk}/"))
    assert "CARSI settings, which are not ready yet: ask the library." in html
    assert "guide-go" not in html


def test_a_database_of_another_library_is_404(consortium, guide):
    client = client_of(language="en")
    assert client.get(f"/e-resources/BLCU/databases/{guide['database_id']}/").status_code == 404
    assert client.get("/e-resources/PKU/databases/999999/").status_code == 404


# --- free offers ---------------------------------------------------------------------------


def test_free_offers_soonest_to_end_first_with_days_left(consortium, clock):
    offer_db(consortium, "晚截止", NOW + dt.timedelta(days=20, hours=1))
    offer_db(consortium, "早截止", NOW + dt.timedelta(days=2, hours=1))
    offer_db(consortium, "今天截止", NOW + dt.timedelta(hours=3))
    offer_db(consortium, "未开始", NOW + dt.timedelta(days=40), starts=NOW + dt.timedelta(days=1))
    html = page(client_of(language="en").get("/e-resources/PKU/free/"))
    assert html.index("今天截止") < html.index("早截止") < html.index("晚截止")
    assert "未开始" not in html
    assert "ends within a day" in html and "2 days left" in html and "20 days left" in html


def test_an_offer_leaves_at_its_end_time_with_no_one_acting(consortium, clock):
    offer_db(consortium, "限免库", OFFER_ENDS)
    client = client_of(language="en")
    clock.move_to(OFFER_ENDS - dt.timedelta(seconds=1))
    assert "限免库" in page(client.get("/e-resources/PKU/free/"))
    assert "Free until" in page(client.get("/e-resources/PKU/", {"home": "0"}))
    clock.move_to(OFFER_ENDS)
    assert "限免库" not in page(client.get("/e-resources/PKU/free/"))
    html = page(client.get("/e-resources/PKU/", {"home": "0"}))
    assert "Free until" not in html and "限免库" in html  # the database stays, without a way in
    assert "No way in is listed yet" in html
    assert "No free offers right now" in page(client.get("/e-resources/PKU/free/"))


# --- topic collections --------------------------------------------------------------------


def test_a_topic_shows_its_items_in_order_with_notes(consortium, guide):
    services.add_collection_item(
        by=consortium.staff,
        collection_id=selectors.collections(by=consortium.staff, library=consortium.lib)[0].pk,
        link_title="新冠肺炎诊疗方案",
        link_url="https://www.nhc.gov.cn/",
        note="卫健委发布",
    )
    html = page(client_of(language="zh-hans").get("/e-resources/PKU/topics/covid-19/"))
    assert html.index("医学全文") < html.index("打开免费资源") < html.index("新冠肺炎诊疗方案")
    assert "卫健委发布" in html and "https://www.nhc.gov.cn/" in html


def test_an_ended_offer_leaves_the_topic_for_readers_but_staff_see_it_marked(
    consortium, guide, clock
):
    clock.move_to(NOW + dt.timedelta(days=21))  # guide_data's offer ended a day ago
    reader_html = page(client_of(consortium.reader, "en").get("/e-resources/PKU/topics/covid-19/"))
    assert "Open the free offer" not in reader_html and "not open now" not in reader_html
    staff_html = page(client_of(consortium.staff, "en").get("/e-resources/PKU/topics/covid-19/"))
    assert "This offer is not open now: readers do not see it here." in staff_html


def test_an_unpublished_topic_is_for_staff_only(consortium, guide):
    services.create_collection(
        by=consortium.staff, library=consortium.lib, title="草稿专题", slug="draft"
    )
    for user in (None, consortium.reader, consortium.other_staff):
        assert client_of(user).get("/e-resources/PKU/topics/draft/").status_code == 404
        assert "草稿专题" not in page(client_of(user).get("/e-resources/PKU/topics/"))
        assert "草稿专题" not in page(client_of(user).get("/e-resources/PKU/"))
    staff = client_of(consortium.staff, "en")
    html = page(staff.get("/e-resources/PKU/topics/draft/"))
    assert "not published" in html and "Readers do not see this topic" in html
    assert "草稿专题" in page(staff.get("/e-resources/PKU/topics/"))


def test_unknown_topic_is_404(consortium, guide):
    assert client_of().get("/e-resources/PKU/topics/nope/").status_code == 404


# --- titles ------------------------------------------------------------------------------


def test_title_words_find_the_database_without_an_error(consortium, guide):
    """Title words are not an ISSN: the ISSN normaliser raised on them (a 500)."""
    found = selectors.find_titles(library=consortium.lib, q="医学杂志")
    assert [t.publication_title for t in found] == ["中华医学杂志"]


def test_the_title_finder_by_issn_or_words(consortium, guide):
    client = client_of(language="en")
    for q in ("0376-2491", "03762491", "中华医学"):
        html = page(client.get("/e-resources/PKU/titles/", {"q": q}))
        assert "中华医学杂志" in html and "中国知网" in html, q
        assert "2000 to now" in html and "https://www.cnki.net/journal/ZHYX" in html
    html = page(client.get("/e-resources/PKU/titles/", {"q": "Nature"}))
    assert "Not found in the library's databases" in html
    html = page(client.get("/e-resources/PKU/titles/"))
    assert "to see which of the library" in html


def test_an_isbn_finds_an_e_book(consortium, guide):
    KbartTitle.objects.create(
        database_id=guide["database_id"],
        publication_title="深入理解计算机系统",
        title_folded="深入理解计算机系统",
        publication_type="monograph",
        online_identifier="978-7-111-54493-7",
        first_year=2016,
        last_year=2016,
    )
    html = page(client_of(language="en").get("/e-resources/PKU/titles/", {"q": "9787111544937"}))
    assert "深入理解计算机系统" in html and "Online ISBN" in html and "2016–2016" in html


# --- mixed names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "zh-hans",
            "Web of Science 核心合集",
            '<span lang="en">Web of Science</span> 核心合集',
        ),
        (
            "zh-hans",
            "注册 Elsevier 个人账号并登录 ScienceDirect",
            '注册 <span lang="en">Elsevier</span> 个人账号并登录 <span lang="en">ScienceDirect</span>',
        ),
        ("zh-hans", "中国知网", "中国知网"),
        ("zh-hans", "Clarivate", '<span lang="en">Clarivate</span>'),
        ("zh-hans", "R&D <数据>", '<span lang="en">R&amp;D</span> &lt;数据&gt;'),
        ("en", "Web of Science 核心合集", '<span lang="zh">Web of Science 核心合集</span>'),
        ("en", "Clarivate", "Clarivate"),
    ],
)
def test_mixed_names_mark_each_latin_run_on_chinese_pages(language, text, expected):
    from django.template import Context, Template
    from django.utils import translation

    with translation.override(language):
        html = Template("{% load guide_words %}{{ text|parts }}").render(Context({"text": text}))
    assert html == expected
