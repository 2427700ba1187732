"""Document delivery in a real browser: a reader follows a database's OpenURL link (signed
out, so through the sign-in page and back to the form filled in) and sends it; PKU's staff
approve it with THU as the rota, in place; THU uploads the PDF from its lending queue, in
place; the reader downloads it. On a phone (390 px) in Chinese and on a desktop (1280 px)
in English, every page checked by check_layout (fits, tap targets, axe-core, language of
parts), and the main pages seen once more in the other language.
"""

import re
from urllib.parse import quote, urlencode

import pytest

from libreach.docdelivery.models import DocRequest, Status
from libreach.docdelivery.tests.conftest import ARTICLE, PDF
from libreach.testing.browser import Page, check_layout, expect
from libreach.testing.fixtures import PASSWORD

pytestmark = pytest.mark.browser

OPENURL = urlencode(
    {
        "url_ver": "Z39.88-2004",
        "rft_val_fmt": "info:ofi/fmt:kev:mtx:journal",
        "rft.genre": "article",
        "rft.atitle": ARTICLE["article_title"],
        "rft.jtitle": "Nature",
        "rft.au": "Zhou, Peng",
        "rft.issn": "0028-0836",
        "rft.date": "2020",
        "rft.volume": "579",
        "rft.issue": "7798",
        "rft.spage": "270",
        "rft.epage": "273",
        "rft_id": "info:doi/10.1038/s41586-020-2012-7",
    },
    quote_via=quote,
)

WORDS = {
    "zh-hans": {
        "send": "提交给我的图书馆",
        "filled": "已填入数据库传来的引文信息",
        "awaiting": "待审核",
        "approve_rota": "指定借出馆并批准",
        "approve_this": "按此顺序批准",
        "approved": "已批准，按借出馆顺序发出",
        "upload": "上传并送达",
        "delivered": "复印件已送达读者",
        "download": "下载 PDF",
        "left": "还可下载 5 次",
    },
    "en": {
        "send": "Send to my library",
        "filled": "The citation from your database is filled in",
        "awaiting": "Awaiting review",
        "approve_rota": "Approve with a rota",
        "approve_this": "Approve with this rota",
        "approved": "approved and sent along its rota",
        "upload": "Upload and deliver",
        "delivered": "the copy is delivered to the reader",
        "download": "Download the PDF",
        "left": "5 downloads left",
    },
}


def use_language(page: Page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )


def sign_in_here(page: Page, username: str) -> None:
    """The sign-in form the page is on (any language), sent with Enter."""
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")


def as_user(page: Page, live_server, language: str, username: str, path: str) -> None:
    page.context.clear_cookies()
    use_language(page, live_server, language)
    page.goto(f"/accounts/login/?next={quote(path)}")
    sign_in_here(page, username)
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


@pytest.mark.parametrize(
    "screen, language, other",
    [("phone", "zh-hans", "en"), ("desktop", "en", "zh-hans")],
)
def test_openurl_to_download(
    request, screen, language, other, members, file_store, live_server, settings
):
    page: Page = request.getfixturevalue(f"{screen}_page")
    if screen == "desktop":
        page.set_viewport_size({"width": 1280, "height": 900})
    w = WORDS[language]
    use_language(page, live_server, language)

    # A database's link, signed out: sign in, and back to the form filled in.
    page.goto(f"/docdelivery/openurl?{OPENURL}")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    sign_in_here(page, "2020000001")
    expect(page.get_by_role("status").filter(has_text=w["filled"])).to_be_visible()
    expect(page.locator("#id_title")).to_have_value("Nature")
    expect(page.locator("#id_doi")).to_have_value("10.1038/s41586-020-2012-7")
    check_layout(page, "openurl-form")
    page.get_by_role("button", name=w["send"]).click()
    expect(page.locator("#request-status")).to_have_text(w["awaiting"])
    doc = DocRequest.objects.get()
    assert doc.from_openurl
    check_layout(page, "request-new")

    # PKU approves it with THU as its rota, in place.
    as_user(page, live_server, language, "pku-circ", "/desk/PKU/docdelivery/")
    check_layout(page, "review")
    card = page.locator(f"#dd-card-{doc.pk}")
    card.locator("summary").filter(has_text=w["approve_rota"]).click()
    card.locator(f"#rota-{doc.pk}").fill("THU")
    page.evaluate("window.stillHere = true")  # gone if the page were loaded again
    card.get_by_role("button", name=w["approve_this"]).click()
    expect(page.locator("#messages")).to_contain_text(w["approved"])
    expect(page.locator(f"#approve-{doc.pk}")).to_have_count(0)
    assert page.evaluate("window.stillHere === true")
    check_layout(page, "review-approved")
    page.goto(f"/desk/PKU/docdelivery/{doc.pk}/")
    check_layout(page, "desk-request")

    # THU uploads the copy from its lending queue, in place.
    as_user(page, live_server, language, "thu-ill", "/desk/THU/docdelivery/lending/")
    check_layout(page, "lending")
    page.locator(f"#file-{doc.pk}").set_input_files(
        {"name": "copy.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.evaluate("window.stillHere = true")
    page.get_by_role("button", name=w["upload"]).click()
    expect(page.locator("#messages")).to_contain_text(w["delivered"])
    assert page.evaluate("window.stillHere === true")  # uploaded in place
    check_layout(page, "lending-supplied")
    doc.refresh_from_db()
    assert doc.status == Status.DELIVERED

    # The reader downloads it.
    as_user(page, live_server, language, "2020000001", "/docdelivery/")
    expect(page.get_by_text(w["left"])).to_be_visible()
    check_layout(page, "my-requests")
    page.goto(f"/docdelivery/{doc.pk}/")
    check_layout(page, "request-delivered")
    with page.expect_download() as download:
        page.get_by_role("link", name=w["download"]).click()
    with open(download.value.path(), "rb") as f:
        assert f.read() == PDF

    # The reader's pages once more in the other language.
    use_language(page, live_server, other)
    page.goto("/docdelivery/new/")
    expect(page.locator("#id_issn")).to_be_visible()
    page.locator("input[name=type][value=book]").check()  # a whole book: no journal fields
    expect(page.locator("#id_issn")).to_be_hidden()
    expect(page.locator("#id_isbn")).to_be_visible()
    check_layout(page, f"form-{other}")
    page.goto(f"/docdelivery/{doc.pk}/")
    check_layout(page, f"request-delivered-{other}")
    page.goto("/docdelivery/")
    check_layout(page, f"my-requests-{other}")
    as_user(page, live_server, other, "thu-ill", f"/desk/THU/docdelivery/{doc.pk}/")
    check_layout(page, f"lender-request-{other}")
    page.goto("/desk/THU/docdelivery/lending/")
    check_layout(page, f"lending-{other}")
