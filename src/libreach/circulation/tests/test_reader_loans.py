"""The reader's loans page: due dates marked, renewal and why not, renew all, history,
the due-soon banner and e-mail notice. The clock is set for every test (time-machine)."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.formats import date_format

from libreach.catalog import services as catalog_services
from libreach.circulation import selectors, services
from libreach.circulation.models import Loan
from libreach.circulation.tests.conftest import MONDAY, at
from libreach.core import periodic
from libreach.testing.permissions import changed_tables, db_fingerprint

D = dt.timedelta
# Saturday 2020-02-15: a loan made on MONDAY for 14 days is due Monday the 17th.
SATURDAY = MONDAY + D(12)
DUE = MONDAY + D(14)


def travel(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def clock():
    with travel(at(SATURDAY)) as traveller:
        yield traveller


def lend(circ, item, reader=None, **changes) -> Loan:
    loan = services.checkout(item=item, reader=reader or circ.reader, at=at(MONDAY))
    if changes:
        Loan.objects.filter(pk=loan.pk).update(**changes)
        loan.refresh_from_db()
    return loan


def day(date: dt.date, language: str = "en") -> str:
    """A date as the pages and notices write it in that language."""
    with translation.override(language):
        return date_format(date, "DATE_FORMAT")


def client_for(user, language: str = "en") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    if user is not None:
        client.force_login(user)
    return client


def text(response) -> str:
    """The page's words, tags out and spaces collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(body.split())


def messages_of(response) -> list[str]:
    """The messages' words (a title in them is marked with its language)."""
    return [re.sub(r"<[^>]+>", "", str(m)) for m in response.context["messages"]]


@pytest.fixture
def shelf(circ):
    """Loans of the reader on SATURDAY: one due soon and renewable, one overdue, one
    renewed to its limit, one due in a fortnight; and one of another reader."""
    return {
        "soon": lend(circ, circ.items[0]),
        "overdue": lend(circ, circ.items[1], due_date=SATURDAY - D(1)),
        "limit": lend(circ, circ.items[2], renewals=1, due_date=SATURDAY + D(20)),
        "other": lend(circ, circ.items[3], reader=circ.other_reader),
    }


def test_the_page_lists_only_the_readers_own_loans(circ, shelf, clock):
    page = text(client_for(circ.c.reader).get("/loans/"))
    for barcode in ("P001", "P002", "P003"):
        assert barcode in page
    assert "P004" not in page

    page = text(client_for(circ.c.other_reader).get("/loans/"))
    assert "P004" in page and "P001" not in page

    response = client_for(circ.c.staff).get("/loans/")
    assert response.status_code == 200
    assert "No library card" in text(response) and "P001" not in text(response)


def test_due_dates_are_marked_in_words_and_each_refusal_says_why(circ, shelf, clock):
    page = text(client_for(circ.c.reader).get("/loans/"))
    assert f"Due {day(DUE)} ◷ Due in 2 days" in page
    assert f"Due {day(SATURDAY - D(1))} ⚠ Overdue by 1 day" in page
    assert "⊘ Cannot be renewed: An overdue loan cannot be renewed." in page
    assert "Cannot be renewed: This loan has been renewed 1 times, the most allowed." in page
    assert "Renew the 1 loan that can be renewed" in page
    assert "1 of your loans is overdue" in page and "1 loan is due within 3 days" in page

    page = text(client_for(circ.c.reader, "zh-hans").get("/loans/"))
    assert f"应还 {day(DUE, 'zh-hans')} ◷ 还有 2 天到期" in page
    assert f"应还 {day(SATURDAY - D(1), 'zh-hans')} ⚠ 已逾期 1 天" in page
    assert "⊘ 不能续借： 已逾期的借阅不能续借。" in page


def test_a_renewal_moves_the_due_date_and_says_so(circ, shelf, clock):
    response = client_for(circ.c.reader).post(f"/loans/{shelf['soon'].pk}/renew/", follow=True)
    loan = Loan.objects.get(pk=shelf["soon"].pk)
    assert (loan.due_date, loan.renewals) == (DUE + D(14), 1)
    assert messages_of(response) == [f"“鲁迅全集” renewed: now due {day(DUE + D(14))}."]

    response = client_for(circ.c.reader, "zh-hans").post(
        f"/loans/{shelf['soon'].pk}/renew/", follow=True
    )
    assert messages_of(response) == ["《鲁迅全集》未能续借：这笔借阅已续借 1 次，已达上限。"]


@pytest.mark.parametrize(
    ("which", "reason"),
    [
        ("overdue", "An overdue loan cannot be renewed."),
        ("limit", "This loan has been renewed 1 times, the most allowed."),
        ("returned", "This loan has ended."),
    ],
)
def test_a_refused_renewal_says_why_and_changes_nothing(circ, shelf, clock, which, reason):
    if which == "returned":
        services.checkin(item=circ.items[0], at_library=circ.lib, at=at(SATURDAY))
        loan = shelf["soon"]
    else:
        loan = shelf[which]
    client = client_for(circ.c.reader)
    client.get("/loans/")  # the session exists before the fingerprint
    before = db_fingerprint()

    response = client.post(f"/loans/{loan.pk}/renew/", follow=True)

    assert messages_of(response) == [f"“鲁迅全集” was not renewed: {reason}"]
    assert changed_tables(before, db_fingerprint()) == []


def test_another_readers_loan_cannot_be_renewed_here(circ, shelf, clock):
    for user in (circ.c.other_reader, circ.c.staff):
        response = client_for(user).post(f"/loans/{shelf['soon'].pk}/renew/")
        assert response.status_code == 404
    assert Loan.objects.get(pk=shelf["soon"].pk).renewals == 0


def test_renew_all_renews_those_the_rule_allows(circ, shelf, clock):
    circ.policy.max_open_loans = 10
    circ.policy.save()
    also = lend(circ, circ.items[4], due_date=SATURDAY + D(5))
    response = client_for(circ.c.reader).post("/loans/renew-all/", follow=True)
    assert messages_of(response) == ["2 loans renewed."]
    due = dict(Loan.objects.values_list("pk", "due_date"))
    assert due[shelf["soon"].pk] == DUE + D(14)
    assert due[also.pk] == next_monday_to_saturday(SATURDAY + D(5) + D(14))
    assert due[shelf["overdue"].pk] == SATURDAY - D(1)
    assert due[shelf["limit"].pk] == SATURDAY + D(20)
    assert due[shelf["other"].pk] == DUE

    # Nothing left to renew: said so, nothing changed.
    before = db_fingerprint()
    response = client_for(circ.c.reader).post("/loans/renew-all/", follow=True)
    assert messages_of(response) == ["No loan can be renewed now; each loan says why."]
    assert changed_tables(before, db_fingerprint()) == []


def next_monday_to_saturday(day: dt.date) -> dt.date:
    return day + D(1) if day.weekday() == 6 else day


def test_history_lists_returned_loans_newest_first_twenty_a_page(circ, clock):
    record = catalog_services.create_record(
        library=circ.lib,
        title="呐喊",
        items=[catalog_services.ItemInput(barcode=f"H{n:03}") for n in range(25)],
    )
    items = list(record.items.order_by("barcode"))
    for n, item in enumerate(items):
        services.checkout(item=item, reader=circ.reader, at=at(MONDAY - D(60) + D(n)))
        services.checkin(item=item, at_library=circ.lib, at=at(MONDAY - D(59) + D(n)))
    services.checkout(item=circ.items[0], reader=circ.other_reader, at=at(MONDAY - D(3)))
    services.checkin(item=circ.items[0], at_library=circ.lib, at=at(MONDAY - D(2)))
    lend(circ, circ.items[1])  # still out: not history

    client = client_for(circ.c.reader)
    first = client.get("/loans/history/")
    shown = [loan.item.barcode for loan in first.context["page"].object_list]
    assert shown == [f"H{n:03}" for n in range(24, 4, -1)]
    assert "Page 1 of 2" in text(first)
    second = client.get("/loans/history/?page=2")
    assert [loan.item.barcode for loan in second.context["page"].object_list] == [
        f"H{n:03}" for n in range(4, -1, -1)
    ]
    page = text(client_for(circ.c.other_reader).get("/loans/history/"))
    assert "P001" in page and "H0" not in page


def test_the_pages_cost_the_same_queries_for_one_loan_or_many(
    circ, clock, django_assert_num_queries
):
    circ.policy.max_open_loans = 30
    circ.policy.save()
    record = catalog_services.create_record(
        library=circ.lib,
        title="彷徨",
        items=[catalog_services.ItemInput(barcode=f"Q{n:03}") for n in range(20)],
    )
    items = list(record.items.order_by("barcode"))
    other_library_item = catalog_services.create_record(
        library=circ.other_lib, title="朝花夕拾", items=[catalog_services.ItemInput(barcode="B1")]
    ).items.get()
    client = client_for(circ.c.reader)
    lend(circ, items[0])
    services.checkin(item=items[0], at_library=circ.lib, at=at(MONDAY + D(1)))
    lend(circ, items[1])
    client.get("/loans/")  # the session and the message storage settle
    counts = {}
    for path in ("/loans/", "/loans/history/"):
        with CaptureQueriesContext(connection) as one:
            assert client.get(path).status_code == 200
        counts[path] = len(one.captured_queries)
    lend(circ, other_library_item)  # first: BLCU's default policy allows ten loans
    for item in items[2:]:
        lend(circ, item)
    for item in items[1:12]:
        services.checkin(item=item, at_library=circ.lib, at=at(MONDAY + D(2)))
    for path, count in counts.items():
        with django_assert_num_queries(count):
            assert client.get(path).status_code == 200
    assert counts["/loans/"] <= 9, counts


def test_the_banner_shows_on_the_readers_pages_when_a_loan_is_due_soon(circ, clock):
    loan = lend(circ, circ.items[0], due_date=SATURDAY + D(5))
    client = client_for(circ.c.reader)
    assert "due within" not in text(client.get("/requests/"))

    Loan.objects.filter(pk=loan.pk).update(due_date=SATURDAY + D(3))
    page = text(client.get("/requests/"))
    assert "1 loan is due within 3 days. See my loans" in page
    assert "due within" not in text(client_for(circ.c.other_reader).get("/requests/"))


def test_the_due_soon_notice_goes_once_per_loan_and_due_date(
    circ, django_capture_on_commit_callbacks
):
    circ.c.reader.email = "zhang@example.edu.cn"
    circ.c.reader.save(update_fields=["email"])
    soon = lend(circ, circ.items[0])  # due Monday 17th
    lend(circ, circ.items[1], due_date=DUE + D(10))  # not yet
    returned = lend(circ, circ.items[2])
    services.checkin(item=circ.items[2], at_library=circ.lib, at=at(MONDAY + D(1)))
    assert returned.due_date == DUE

    assert periodic.job("due_soon_notices") is not None
    with travel(at(DUE - D(4))), django_capture_on_commit_callbacks(execute=True):
        assert periodic.run_job("due_soon_notices") == 0
    with travel(at(DUE - D(3))), django_capture_on_commit_callbacks(execute=True):
        assert periodic.run_job("due_soon_notices") == 1
        assert periodic.run_job("due_soon_notices") == 0
    with travel(at(DUE - D(1))), django_capture_on_commit_callbacks(execute=True):
        assert services.send_due_soon_notices() == 0

    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["zhang@example.edu.cn"]
    assert "到期" in notice.subject
    assert "鲁迅全集 (P001, 北京大学图书馆)" in notice.body and day(DUE, "zh-hans") in notice.body
    assert "P002" not in notice.body and "&" not in notice.body
    assert Loan.objects.get(pk=soon.pk).due_soon_notice_for == DUE

    # Renewed: the new due date is announced in its turn, once.
    with travel(at(DUE - D(1))):
        services.renew(loan=soon, by=circ.c.reader)
    with travel(at(soon.due_date - D(2))), django_capture_on_commit_callbacks(execute=True):
        assert services.send_due_soon_notices() == 1
        assert services.send_due_soon_notices() == 0
    assert len(mail.outbox) == 2 and "P001" in mail.outbox[1].body


def test_a_reader_in_english_gets_the_notice_in_english(circ, django_capture_on_commit_callbacks):
    circ.c.reader.email = "zhang@example.edu.cn"
    circ.c.reader.language = "en"
    circ.c.reader.save(update_fields=["email", "language"])
    lend(circ, circ.items[0])
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_due_soon_notices(today=DUE) == 1
    assert mail.outbox[0].subject == "A book you borrowed is due soon"
    assert f"鲁迅全集 (P001, Peking University Library): due {day(DUE)}" in mail.outbox[0].body


def test_the_renewal_rule_is_the_services(circ, shelf, clock):
    """The page's verdict and the service's refusal are one statement of the rule."""
    lines = {line.loan.pk: line for line in selectors.reader_loan_lines(circ.c.reader)}
    for name in ("overdue", "limit"):
        refusal = lines[shelf[name].pk].refusal
        with pytest.raises(type(refusal)) as raised:
            services.renew(loan=shelf[name], by=circ.c.reader)
        assert raised.value.code == refusal.code
    assert lines[shelf["soon"].pk].renewable


def test_the_demo_readers_loans_show_every_case(consortium):
    """site.demo's loans: two due soon, one overdue, one renewed to the limit, a history
    of returned loans with one fine; and made once."""
    from libreach.site.demo import _ensure_loans

    catalog_services.create_record(
        library=consortium.lib,
        title="子夜",
        items=[catalog_services.ItemInput(barcode=f"Z{n:03}") for n in range(30)],
    )
    with travel(at(SATURDAY)):
        _ensure_loans(consortium.lib)
        _ensure_loans(consortium.lib)
        lines = selectors.reader_loan_lines(consortium.reader)
        history = list(selectors.loan_history_of(consortium.reader))
        other = selectors.reader_loan_lines(consortium.other_reader)

    assert sorted(line.days_left for line in lines) == [-3, 1, 2, 85]
    assert sum(line.due_soon for line in lines) == 2
    assert sorted(line.refusal.code for line in lines if line.refusal) == [
        "loan_overdue",
        "too_many_renewals",
    ]
    assert len(history) == 25 and sum(loan.fine_fen > 0 for loan in history) == 1
    assert [line.due_soon for line in other] == [True]
