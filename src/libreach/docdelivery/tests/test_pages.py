"""Document delivery pages without JavaScript (plain posts and redirects) and in place
(htmx): a reader asks, typed in or from an OpenURL link; their library reviews; lenders
answer from their queue; the reader downloads the copy until the link expires. Who may
open each page is the page matrix's (tests/pages.py)."""

import datetime as dt
from urllib.parse import quote, unquote, urlencode

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from libreach.docdelivery import services
from libreach.docdelivery.models import DocRequest, RotaStatus, Status
from libreach.docdelivery.tests.conftest import ARTICLE, PDF, TUESDAY_10

HX = {"HTTP_HX_REQUEST": "true"}
OPENURL = {
    "url_ver": "Z39.88-2004",
    "rft_val_fmt": "info:ofi/fmt:kev:mtx:journal",
    "rft.genre": "article",
    "rft.atitle": ARTICLE["article_title"],
    "rft.jtitle": "Nature",
    "rft.issn": "0028-0836",
    "rft.date": "2020",
    "rft.volume": "579",
    "rft.spage": "270",
    "rft_id": "info:doi/10.1038/s41586-020-2012-7",
}


@pytest.fixture
def clock():
    with time_machine.travel(TUESDAY_10, tick=False) as traveller:
        yield traveller


def client_of(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_the_form_says_what_is_missing_beside_each_field(members):
    reader = client_of(members.c.reader)
    response = reader.post("/docdelivery/new/", {"type": "article", "title": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="title-error"' in html and 'id="article_title-error"' in html
    assert 'aria-invalid="true"' in html
    assert not DocRequest.objects.exists()


def test_a_reader_asks_and_a_second_time_is_sent_to_the_open_request(members, clock):
    reader = client_of(members.c.reader, "zh-hans")
    response = reader.post("/docdelivery/new/", {"type": "article", **ARTICLE})
    doc = DocRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/docdelivery/{doc.pk}/"
    page = reader.get(response["Location"]).content.decode()
    assert "已提交给您的图书馆" in page and "待审核" in page

    again = reader.post("/docdelivery/new/", {"type": "article", **ARTICLE})
    assert again.status_code == 409
    assert f'href="/docdelivery/{doc.pk}/"' in again.content.decode()
    assert DocRequest.objects.count() == 1


def test_an_openurl_link_signed_out_comes_back_to_the_form_filled_in(members):
    query = urlencode(OPENURL, quote_via=quote)
    anonymous = Client()
    response = anonymous.get(f"/docdelivery/openurl?{query}")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    back = response["Location"].split("next=", 1)[1]

    reader = client_of(members.c.reader)
    page = reader.get(unquote(back)).content.decode()
    assert 'value="Nature"' in page
    assert 'value="10.1038/s41586-020-2012-7"' in page
    assert 'name="from_openurl" value="True"' in page
    # Sent from there, the request remembers where it came from.
    reader.post(
        "/docdelivery/new/",
        {"type": "article", **ARTICLE, "from_openurl": "True"},
    )
    assert DocRequest.objects.get().from_openurl


def test_an_isbn_as_printed_is_taken(members):
    reader = client_of(members.c.reader)
    response = reader.post(
        "/docdelivery/new/",
        {"type": "book", "title": "计算机程序设计艺术", "isbn": "978-7-111-20571-5"},
    )
    assert response.status_code == 302
    assert DocRequest.objects.get().isbn == "9787111205715"


def test_the_reader_reads_why_no_library_could_supply_it(members, clock):
    doc = _ask(members)
    services.approve(request_id=doc.pk, by=members.c.staff, rota=["THU"])
    services.unfilled(request_id=doc.pk, by=members.lender_staff[0], reason="NotHeld")
    page = client_of(members.c.reader, "zh-hans").get(f"/docdelivery/{doc.pk}/").content.decode()
    assert "抱歉：没有成员馆能够提供。" in page and "未收藏" in page
    assert "清华" not in page  # the lender that could not is not named


def _ask(members) -> DocRequest:
    return services.submit(
        by=members.c.reader, library=members.home, type_="article", citation=ARTICLE
    )


def test_without_javascript_review_lenders_and_download(members, file_store, clock):
    doc = _ask(members)
    staff = client_of(members.c.staff)
    thu, ruc = (client_of(user) for user in members.lender_staff[:2])
    desk = f"/desk/PKU/docdelivery/{doc.pk}/"

    response = staff.post(desk + "approve/", {"rota": "THU, RUC", "next": "/desk/PKU/docdelivery/"})
    assert response.status_code == 302 and response["Location"] == "/desk/PKU/docdelivery/"
    doc.refresh_from_db()
    assert doc.status == Status.SENT and doc.lender.code == "THU"

    # THU cannot: back to its queue, where the request is no longer.
    response = thu.post(f"/desk/THU/docdelivery/{doc.pk}/unfilled/", {"reason": "NotOnShelf"})
    assert response["Location"] == "/desk/THU/docdelivery/lending/"
    assert f"/desk/THU/docdelivery/{doc.pk}/" not in thu.get(response["Location"]).content.decode()
    doc.refresh_from_db()
    assert doc.lender.code == "RUC"

    # The reader does not learn which library is asking.
    reader = client_of(members.c.reader)
    assert "中国人民大学" not in reader.get(f"/docdelivery/{doc.pk}/").content.decode()

    # A file that is not a PDF is refused beside the field, on the page.
    response = ruc.post(
        f"/desk/RUC/docdelivery/{doc.pk}/supply/",
        {"file": SimpleUploadedFile("copy.pdf", b"not a pdf", "application/pdf")},
    )
    assert response.status_code == 400
    assert f'id="file-error-{doc.pk}"' in response.content.decode()
    response = ruc.post(
        f"/desk/RUC/docdelivery/{doc.pk}/supply/",
        {"file": SimpleUploadedFile("copy.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == Status.DELIVERED

    page = reader.get(f"/docdelivery/{doc.pk}/").content.decode()
    assert "RUC" in page  # named once it delivered
    assert f'href="/docdelivery/{doc.pk}/file/"' in page
    download = reader.get(f"/docdelivery/{doc.pk}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert (
        "还可下载" in client_of(members.c.reader, "zh-hans").get("/docdelivery/").content.decode()
    )

    clock.shift(dt.timedelta(days=15))
    gone = client_of(members.c.reader).get(f"/docdelivery/{doc.pk}/file/")  # a new session
    assert gone.status_code == 410
    assert "expired" in gone.content.decode()


def test_in_place_review_and_lender_answers(members, clock):
    first, second = _ask(members), services.submit(
        by=members.c.reader, library=members.home, type_="book",
        citation={"title": "计算机程序设计艺术", "isbn": "9787111205715"},
    )  # fmt: skip
    staff = client_of(members.c.staff)
    response = staff.post(
        f"/desk/PKU/docdelivery/{first.pk}/approve/",
        {"rota": "THU BNU", "view": "card", "queue": "review"},
        **HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li class="card dd-card" id="dd-card-{first.pk}">')
    assert 'id="messages" hx-swap-oob="innerHTML"' in html and "approved" in html
    assert f'id="approve-{first.pk}"' not in html  # reviewed: no more review buttons

    # A refusal keeps its status and says why, in place.
    response = staff.post(
        f"/desk/PKU/docdelivery/{second.pk}/approve/",
        {"rota": "XYZ", "view": "card", "queue": "review"},
        **HX,
    )
    assert response.status_code == 422
    assert "XYZ" in response.content.decode()

    thu = client_of(members.lender_staff[0])
    response = thu.post(
        f"/desk/THU/docdelivery/{first.pk}/will-supply/",
        {"view": "card", "queue": "lending"},
        **HX,
    )
    assert response.status_code == 200
    assert f'id="supply-{first.pk}"' in response.content.decode()  # next: the copy
    # The lender's page names no reader of the other library, nor the other lenders.
    page = thu.get(f"/desk/THU/docdelivery/{first.pk}/").content.decode()
    assert members.c.reader.name not in page and "BNU" not in page
    response = thu.post(
        f"/desk/THU/docdelivery/{first.pk}/retry/",
        {"view": "card", "queue": "lending", "reason": "CostExceedsMaxCost", "cost": "abc"},
        **HX,
    )
    assert response.status_code == 422
    response = thu.post(
        f"/desk/THU/docdelivery/{first.pk}/unfilled/",
        {"view": "card", "queue": "lending", "reason": "NotHeld"},
        **HX,
    )
    assert response.status_code == 200
    assert "has left this library's desk" in response.content.decode()
    first.refresh_from_db()
    assert first.lender.code == "BNU"
    assert first.rota.get(lender__code="THU").status == RotaStatus.UNFILLED

    # On the request's own page, the reader cancels in place.
    reader = client_of(members.c.reader)
    response = reader.post(f"/docdelivery/{first.pk}/cancel/", **HX)
    assert response.status_code == 200
    assert "Cancelled" in response.content.decode()
    first.refresh_from_db()
    assert first.status == Status.CANCELLED


def test_a_loan_and_a_retry_on_the_request_pages_in_place(members, clock):
    book = services.submit(
        by=members.c.reader, library=members.home, type_="book",
        citation={"title": "计算机程序设计艺术", "isbn": "9787111205715"},
    )  # fmt: skip
    staff, thu, ruc = client_of(members.c.staff), *(client_of(u) for u in members.lender_staff[:2])
    home, lent = f"/desk/PKU/docdelivery/{book.pk}/", f"/desk/THU/docdelivery/{book.pk}/"
    assert staff.post(home + "approve/", {"rota": "THU RUC"}, **HX).status_code == 200

    # THU asks for a retry; PKU declines it, and RUC has it.
    answer = thu.post(lent + "retry/", {"reason": "LoanCondition", "cost": "12.5"}, **HX)
    assert answer.status_code == 200
    page = staff.get(home).content.decode()
    assert "Loan condition" in page and "12.50 yuan" in page
    answer = staff.post(home + "decline-retry/", **HX)
    assert answer.status_code == 200 and 'id="request-heading"' in answer.content.decode()
    book.refresh_from_db()
    assert book.lender.code == "RUC"

    # RUC ships it; PKU receives it and sends it back; RUC completes it.
    lent = f"/desk/RUC/docdelivery/{book.pk}/"
    assert 'id="ship-' in ruc.get(lent).content.decode()
    assert ruc.post(lent + "ship/", **HX).status_code == 200
    assert 'id="receive-button"' in staff.get(home).content.decode()
    assert staff.post(home + "receive/", **HX).status_code == 200
    answer = staff.post(home + "return/", **HX)
    assert answer.status_code == 200 and 'id="return-button"' not in answer.content.decode()
    answer = ruc.post(lent + "complete/", **HX)
    assert answer.status_code == 200 and "Completed" in answer.content.decode()
    book.refresh_from_db()
    assert book.status == Status.COMPLETED
    # A step out of turn is refused with its status, in place.
    assert ruc.post(lent + "ship/", **HX).status_code == 409


def test_each_desk_action_says_its_outcome_in_the_same_words(members, clock):
    # The actions are one view driven by desk_views.ACTIONS: each sentence is the msgid it
    # was, translated; a cost that is not a number is refused as before, beside nothing.
    from django.utils import translation

    from libreach.docdelivery.desk_views import ACTIONS

    english = {
        "approve": "Request 7 approved and sent along its rota.",
        "reject": "Request 7 rejected; the reader is told why.",
        "satisfy": "Request 7 satisfied locally; the reader is told where.",
        "edit_rota": "Rota of request 7 saved.",
        "accept_retry": "Conditions accepted: the request is back with that lender.",
        "decline_retry": "Conditions declined: the request goes on to the next lender.",
        "receive": "Request 7: the book is received.",
        "return_loan": "Request 7: the book is on its way back to the lender.",
        "cancel": "Request 7 is cancelled.",
        "will_supply": "Request 7: the requesting library is told you will supply it.",
        "unfilled": "Request 7 answered unfilled: it goes on to the next lender.",
        "retry": "Request 7: your conditions are sent to the requesting library.",
        "ship": "Request 7: the book is shipped.",
        "complete": "Request 7 is completed: the book is back.",
    }
    with translation.override("en"):
        assert {name: a.success % {"id": 7} for name, a in ACTIONS.items()} == english
    with translation.override("zh-hans"):
        for name, action in ACTIONS.items():
            assert action.success % {"id": 7} != english[name], f"{name} is not translated"

    request = _ask(members)
    services.approve(request_id=request.pk, by=members.c.staff, rota=["THU"])
    thu = client_of(members.lender_staff[0])
    response = thu.post(
        f"/desk/THU/docdelivery/{request.pk}/retry/", {"reason": "CostExceedsMaxCost", "cost": "x"}
    )
    assert response.status_code == 302
    said = [str(m) for m in response.wsgi_request._messages]
    assert said == ["A cost is a number of yuan, 0 or more."]
