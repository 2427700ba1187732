"""Renew on "My loans" answering in place (issue 8): sent by htmx, the loan's card comes
back with its new due date or the refusal, the summary, the due-soon banner and the
message out of band; the card's control keeps its id, so the focus stays on it. A plain
form post still redirects; a refusal keeps its status and changes nothing."""

import re

import pytest
from django.utils import timezone

from libreach.circulation import services
from libreach.circulation.models import Loan
from libreach.circulation.tests.test_reader_loans import (
    DUE,
    SATURDAY,
    D,
    client_for,
    day,
    lend,
    travel,
)
from libreach.circulation.tests.test_reader_loans import at as at_ten
from libreach.testing.browser import Page, check_layout, expect
from libreach.testing.fixtures import PASSWORD
from libreach.testing.permissions import changed_tables, db_fingerprint

HX = {"HX-Request": "true"}


@pytest.fixture
def clock():
    with travel(at_ten(SATURDAY)) as traveller:
        yield traveller


@pytest.fixture
def loans(circ):
    """On SATURDAY: one due soon and renewable once, one overdue, and one renewable twice
    (its policy allows one renewal: set to none yet)."""
    return {
        "soon": lend(circ, circ.items[0]),
        "overdue": lend(circ, circ.items[1], due_date=SATURDAY - D(1)),
        "other": lend(circ, circ.items[3], reader=circ.other_reader),
    }


def renew(client, loan, *, hx=True):
    return client.post(f"/loans/{loan.pk}/renew/", headers=HX if hx else {})


@pytest.mark.django_db
def test_the_loans_page_sends_renew_by_htmx_into_the_card(circ, loans, clock):
    page = client_for(circ.c.reader).get("/loans/").content.decode()
    loan = loans["soon"]
    assert f'<li id="loan-{loan.pk}"' in page
    assert f'hx-post="/loans/{loan.pk}/renew/" hx-target="#loan-{loan.pk}"' in page
    assert f'action="/loans/{loan.pk}/renew/"' in page  # and still posts without JavaScript
    assert f'id="loan-action-{loan.pk}"' in page
    assert 'id="loans-summary"' in page and 'id="due-banner"' in page


@pytest.mark.django_db
def test_a_renewal_in_place_answers_the_card_the_summary_the_banner_and_the_message(
    circ, loans, clock
):
    loan = loans["soon"]
    response = renew(client_for(circ.c.reader), loan)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert len(response.content) < 4 * 1024
    assert "HX-Request" in response["Vary"]
    renewed = Loan.objects.get(pk=loan.pk)
    assert (renewed.due_date, renewed.renewals) == (DUE + D(14), 1)
    # The card, with its new date; renewed to the policy's limit, its title takes the
    # button's id, so htmx puts the focus there instead of the top of the page.
    card = re.search(rf'<li id="loan-{loan.pk}".*?</li>', body, re.S).group(0)
    assert f'<time datetime="{(DUE + D(14)).isoformat()}">{day(DUE + D(14))}</time>' in card
    assert re.search(rf'<a href="/records/\d+/" id="loan-action-{loan.pk}">', card)
    assert "Cannot be renewed" in card
    # Out of band: nothing left to renew, the banner without the due-soon loan.
    assert '<div class="loans__summary card" id="loans-summary" hx-swap-oob="true">' in body
    assert "No loan can be renewed now" in body
    banner = re.search(r'<div id="due-banner" hx-swap-oob="true">(.*?)</div>', body, re.S)
    assert banner and "1 of your loans is overdue" in banner.group(1)
    assert "due within" not in banner.group(1) and "See my loans" not in banner.group(1)
    # The message, the Chinese title in it marked as such.
    assert f'“<span lang="zh">鲁迅全集</span>” renewed: now due {day(DUE + D(14))}.' in body


@pytest.mark.django_db
def test_a_refused_renewal_in_place_keeps_its_status_and_changes_nothing(circ, loans, clock):
    before = db_fingerprint()
    response = renew(client_for(circ.c.reader, "zh-hans"), loans["overdue"])
    body = response.content.decode()
    assert response.status_code in (403, 409, 422), response.status_code
    assert "<html" not in body and f'<li id="loan-{loans["overdue"].pk}"' in body
    assert "已逾期的借阅不能续借" in body
    assert re.search(r'<div id="messages" hx-swap-oob="innerHTML">.*未能续借', body, re.S)
    assert not changed_tables(before, db_fingerprint())


@pytest.mark.django_db
def test_without_javascript_a_renewal_still_redirects(circ, loans, clock):
    response = renew(client_for(circ.c.reader), loans["soon"], hx=False)
    assert response.status_code == 302 and response.url == "/loans/"


@pytest.mark.django_db
def test_other_readers_and_anonymous_renew_nothing_in_place(circ, loans, clock):
    before = db_fingerprint()
    assert renew(client_for(circ.c.other_reader), loans["soon"]).status_code == 404
    assert renew(client_for(circ.c.staff), loans["soon"]).status_code == 404
    response = renew(client_for(None), loans["soon"], hx=False)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    # Signed out meanwhile, in place: htmx loads the sign-in page whole, back to My loans
    # (not the sign-in page swapped into the card).
    response = client_for(None).post(
        f"/loans/{loans['soon'].pk}/renew/",
        headers={**HX, "HX-Current-URL": "http://testserver/loans/"},
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/accounts/login/?next=/loans/"
    assert not changed_tables(before, db_fingerprint())


@pytest.mark.django_db
def test_a_title_in_the_other_language_is_marked(circ, loans, clock):
    record = circ.items[0].record
    record.title = "The Analects"
    record.save()
    page = client_for(circ.c.reader, "zh-hans").get("/loans/").content.decode()
    assert '<span lang="en">The Analects</span>' in page


@pytest.mark.browser
def test_renew_with_the_keyboard_keeps_the_focus_on_the_card(desktop_page, live_server, circ):
    """Chromium, keyboard only, in English: Renew answers in place, the focus stays on the
    card's control (its title once renewed for the last time), the page is not reloaded."""
    page: Page = desktop_page
    now, today = timezone.now(), timezone.localdate()
    soon = services.checkout(item=circ.items[0], reader=circ.reader, at=now - D(12))
    later = services.checkout(item=circ.items[1], reader=circ.reader, at=now - D(3))
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto("/accounts/login/?next=/loans/")
    page.locator("#id_username").press_sequentially("2020000001")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator(".due-banner")).to_contain_text("1 loan is due within 3 days")
    page.evaluate("window.__notReloaded = true")

    control = f"loan-action-{soon.pk}"
    for _press in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == control:
            break
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Enter")
    due = soon.due_date + D(14)
    expect(page.locator(f"#loan-{soon.pk} time")).to_have_attribute("datetime", due.isoformat())
    expect(page.locator("#messages")).to_contain_text("renewed: now due")
    page.wait_for_function(
        "(id) => document.activeElement && document.activeElement.id === id", arg=control
    )
    # Renewed as often as allowed: the title holds the focus where the button was.
    assert page.evaluate("document.activeElement.tagName") == "A"
    expect(page.locator(f"#loan-{soon.pk}")).to_contain_text("Cannot be renewed")
    # The banner and the summary, out of band: nothing due soon, one loan left to renew.
    expect(page.locator("#due-banner")).to_be_empty()
    expect(page.locator("#loans-summary")).to_contain_text("Renew the 1 loan")
    assert page.evaluate("window.__notReloaded === true"), "the page was loaded again"
    # Tab goes on to the next card: its title, then its Renew.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('li').id") == f"loan-{later.pk}"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"loan-action-{later.pk}"
    assert today  # the browser tests' clock: Tuesday 2026-03-03
    check_layout(page, "renewed")
