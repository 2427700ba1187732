"""Reader pages of the catalogue, through Django's test client."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from libreach.catalog.services import ItemInput, create_record
from libreach.catalog.tests.conftest import hongloumeng_at, research_on_loan_at
from libreach.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(consortium):
    """红楼梦 at PKU (2 of 3 copies on the shelf), one at BLCU (none), one without copies."""
    hongloumeng = hongloumeng_at(consortium.lib)
    research = research_on_loan_at(consortium.other_lib)
    no_copies = create_record(library=consortium.other_lib, title="红楼梦人物论")
    return {"hongloumeng": hongloumeng, "research": research, "no_copies": no_copies}


def text(response) -> str:
    """The visible text of a page, tags dropped and whitespace collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def result_titles(response) -> list[str]:
    titles = re.findall(r'class="result__title"><a [^>]*>(.*?)</a>', response.content.decode())
    return [unescape(title) for title in titles]


def test_home_has_a_big_search_box_in_chinese(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert 'action="/search/"' in body and 'method="get"' in body
    assert 'name="q"' in body
    assert "检索馆藏" in text(response)


def test_results_show_title_authors_isbn_call_number_library_and_availability(client, books):
    response = client.get("/search/", {"q": "红楼"})
    assert response.status_code == 200
    page = text(response)
    assert set(result_titles(response)) == {"红楼梦", "红楼梦研究", "红楼梦人物论"}
    assert "曹雪芹; 高鹗" in page
    assert "9787020002207" in page
    assert "I242.4/1" in page
    assert "北京大学图书馆" in page and "北京语言大学图书馆" in page
    assert "共 3 册，2 册可借" in page
    assert "共 1 册，0 册可借" in page
    assert "无馆藏" in page
    assert f'href="/records/{books["hongloumeng"].id}/?q=' in response.content.decode()


def test_library_filter_lists_the_consortium_and_narrows_results(client, books):
    everything = client.get("/search/", {"q": "红楼"}).content.decode()
    assert '<option value="PKU">北京大学图书馆</option>' in everything
    assert '<option value="BLCU">北京语言大学图书馆</option>' in everything

    response = client.get("/search/", {"q": "红楼", "library": "BLCU"})
    assert set(result_titles(response)) == {"红楼梦研究", "红楼梦人物论"}
    assert '<option value="BLCU" selected>' in response.content.decode()


def test_available_only_leaves_out_titles_with_no_copy_on_the_shelf(client, books):
    response = client.get("/search/", {"q": "红楼", "available": "1"})
    assert result_titles(response) == ["红楼梦"]
    assert 'name="available" value="1" checked' in response.content.decode()


def test_unknown_library_code_searches_everywhere_and_says_so(client, books):
    response = client.get("/search/", {"q": "红楼", "library": "NOPE"})
    assert response.status_code == 200
    assert len(result_titles(response)) == 3
    assert "没有代码为“NOPE”的图书馆" in text(response)


def test_no_results_says_so_and_offers_to_widen_the_search(client, books):
    response = client.get("/search/", {"q": "三国演义", "library": "PKU", "available": "1"})
    page = text(response)
    assert result_titles(response) == []
    assert "没有找到结果" in page
    assert "馆藏目录中没有与“三国演义”匹配的记录" in page
    widen = 'href="?q=%E4%B8%89%E5%9B%BD%E6%BC%94%E4%B9%89&amp;available=1">检索所有图书馆</a>'
    assert widen in response.content.decode()


def test_empty_query_shows_the_form_and_a_hint(client, books):
    response = client.get("/search/")
    assert response.status_code == 200
    assert result_titles(response) == []
    assert "输入题名、著者、ISBN 或索书号" in text(response)


def test_pagination_twenty_per_page_links_keep_the_filters(client, consortium):
    for n in range(25):
        create_record(
            library=consortium.lib,
            title=f"数据结构 第{n + 1}版",
            items=[ItemInput(barcode=f"DS{n:03}")],
        )
    first = client.get("/search/", {"q": "数据结构", "library": "PKU"})
    assert len(result_titles(first)) == 20
    assert "第 1 页，共 2 页" in text(first)
    next_link = (
        'rel="next" href="?q=%E6%95%B0%E6%8D%AE%E7%BB%93%E6%9E%84&amp;library=PKU&amp;page=2"'
    )
    assert next_link in first.content.decode()

    second = client.get("/search/", {"q": "数据结构", "library": "PKU", "page": "2"})
    assert len(result_titles(second)) == 5
    assert "第 2 页，共 2 页" in text(second)
    assert '<ol class="results" start="21">' in second.content.decode()
    assert set(result_titles(first)).isdisjoint(result_titles(second))

    # A stale link past the end shows the last page; nonsense shows the first.
    assert result_titles(client.get("/search/", {"q": "数据结构", "page": "9"})) == result_titles(
        second
    )
    assert result_titles(client.get("/search/", {"q": "数据结构", "page": "x"})) == result_titles(
        first
    )


def test_titles_from_marc_files_are_escaped(client, consortium):
    record = create_record(
        library=consortium.lib,
        title='<script>alert("红楼")</script>',
        authors=["<b>曹雪芹</b>"],
        items=[ItemInput(barcode="X<1>", location="<i>书库</i>")],
    )
    escaped_title = "&lt;script&gt;alert(&quot;红楼&quot;)&lt;/script&gt;"
    for response in (
        client.get("/search/", {"q": "红楼"}),
        client.get(f"/records/{record.id}/"),
    ):
        body = response.content.decode()
        assert escaped_title in body and "&lt;b&gt;曹雪芹&lt;/b&gt;" in body
        assert "<script>alert" not in body and "<b>曹" not in body
    record_page = client.get(f"/records/{record.id}/").content.decode()
    assert "X&lt;1&gt;" in record_page and "&lt;i&gt;书库&lt;/i&gt;" in record_page
    echoed = client.get("/search/", {"q": "<script>红楼"}).content.decode()
    assert 'value="&lt;script&gt;红楼"' in echoed and "<script>红楼" not in echoed


def test_record_page_lists_items_with_translated_status(client, books):
    record = books["hongloumeng"]
    response = client.get(f"/records/{record.id}/")
    assert response.status_code == 200
    page = text(response)
    for expected in ("红楼梦", "曹雪芹; 高鹗", "人民文学出版社", "1996", "北京大学图书馆"):
        assert expected in page
    for barcode in ("PKU0001", "PKU0002", "PKU0003"):
        assert barcode in page
    assert "总馆三层文学书库" in page and "密集书库" in page
    assert "I242.4/1:2" in page  # the item's own call number wins over the record's
    body = response.content.decode()
    assert body.count('class="badge badge--available">可借</span>') == 2
    assert body.count('class="badge badge--on_loan">借出</span>') == 1
    assert "共 3 册，2 册可借" in page


def test_record_page_keeps_the_way_back_to_the_results(client, books):
    record = books["hongloumeng"]
    response = client.get(f"/records/{record.id}/", {"q": "红楼", "page": "1", "junk": "x"})
    assert 'href="/search/?q=%E7%BA%A2%E6%A5%BC&amp;page=1"' in response.content.decode()


def test_record_without_copies_says_so(client, books):
    response = client.get(f"/records/{books['no_copies'].id}/")
    assert "本馆没有该书的馆藏" in text(response)


def test_unknown_record_is_a_404_page(client, books):
    response = client.get("/records/999999/")
    assert response.status_code == 404
    assert "页面不存在" in text(response)
    assert client.get("/records/abc/").status_code == 404
    assert client.get("/records/99999999999999999999999/").status_code == 404  # > bigint


def test_language_switch_posts_to_set_language_and_comes_back(client, books):
    page = client.get("/search/", {"q": "红楼"}).content.decode()
    assert 'action="/i18n/setlang/" method="post"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<input type="hidden" name="next" value="/search/?q=%E7%BA%A2%E6%A5%BC">' in page

    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/search/?q=%E7%BA%A2%E6%A5%BC"}
    )
    assert response.status_code == 302
    assert response.url == "/search/?q=%E7%BA%A2%E6%A5%BC"

    english = client.get(response.url)
    page = text(english)
    assert '<html lang="en">' in english.content.decode()
    assert "Call number" in page and "2 of 3 available" in page
    assert "Peking University Library" in page  # the library's English name
    # The Chinese words searched for are marked as Chinese on the English page.
    assert '3 records for “<span lang="zh">红楼</span>”' in english.content.decode()


def test_browser_language_is_honoured(client, books):
    response = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert "Search the catalogue" in text(response)


def test_results_page_query_count_does_not_grow_with_the_results(
    client, consortium, django_assert_max_num_queries
):
    def queries_for_a_page_of(n: int) -> int:
        for i in range(n):
            create_record(
                library=consortium.lib if i % 2 else consortium.other_lib,
                title=f"计量测试 {n}-{i}",
                items=[ItemInput(barcode=f"Q{n}-{i}-{k}") for k in range(3)],
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/search/", {"q": f"计量测试 {n}-"})
        assert len(result_titles(response)) == n
        return len(queries)

    assert queries_for_a_page_of(2) == queries_for_a_page_of(20)
    # Libraries for the filter, the count, the page with its libraries, the items.
    with django_assert_max_num_queries(4):
        client.get("/search/", {"q": "计量测试"})


def test_login_page_with_card_number_and_sign_out(client, consortium):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "读者证号或用户名" in text(page)

    failed = client.post("/accounts/login/", {"username": "2020000001", "password": "wrong"})
    assert "读者证号/用户名或密码不正确" in text(failed)

    response = client.post(
        "/accounts/login/", {"username": "2020000001", "password": PASSWORD, "next": "/search/"}
    )
    assert response.status_code == 302 and response.url == "/search/"
    home = client.get("/")
    assert "张三" in text(home) and "退出" in text(home)

    assert client.post("/accounts/logout/").status_code == 302
    assert "登录" in text(client.get("/"))
