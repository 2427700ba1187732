"""A closure's state by the library's date, and the preview shown before one is declared
(issue 7, item 18: a closure starting next week showed as 生效中, and declaring one
re-dated loans with no preview)."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from libreach.accounts.models import User
from libreach.circulation import closures, services
from libreach.circulation.closures import ClosureState
from libreach.circulation.models import ClosureRedate, Loan, LoanPolicy
from libreach.circulation.tests.conftest import MONDAY, TZ, at
from libreach.consortium.models import Closure
from libreach.core.errors import PermissionDenied, RuleViolation
from libreach.testing.fixtures import PASSWORD, ApiClient

D = dt.timedelta
# PKU opens Monday to Saturday: a closure from Monday 10th to Saturday 22nd February 2020
# moves the loans due inside it to Monday 24th.
START, END, REOPEN = MONDAY + D(7), MONDAY + D(19), MONDAY + D(21)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def snapshot():
    return (
        list(Loan.objects.order_by("pk").values()),
        list(Closure.objects.order_by("pk").values()),
        list(ClosureRedate.objects.order_by("pk").values()),
        len(mail.outbox),
    )


def lend(circ, item, reader, due: dt.date) -> Loan:
    loan = services.checkout(item=item, reader=reader, at=at(MONDAY))
    Loan.objects.filter(pk=loan.pk).update(due_date=due)
    return Loan.objects.get(pk=loan.pk)


@pytest.fixture
def loans(circ):
    """Two loans of 张三 and one of 李四 due inside the closure, one after it."""
    LoanPolicy.objects.filter(pk=circ.policy.pk).update(max_open_loans=10)
    User.objects.filter(pk=circ.c.reader.pk).update(email="zhang@example.edu.cn")
    return {
        "first": lend(circ, circ.items[0], circ.reader, START),
        "last_day": lend(circ, circ.items[1], circ.reader, END),
        "other": lend(circ, circ.items[2], circ.other_reader, START + D(3)),
        "after": lend(circ, circ.items[3], circ.other_reader, REOPEN + D(1)),
    }


def preview(circ, **kwargs):
    return closures.preview_closure(
        library=circ.lib,
        start_date=kwargs.pop("start_date", START),
        end_date=kwargs.pop("end_date", END),
        by=kwargs.pop("by", circ.c.staff),
        **kwargs,
    )


def desk(circ, language="en") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    assert client.login(username=circ.c.staff.username, password=PASSWORD)
    return client


FORM = {
    "start_date": str(START),
    "end_date": str(END),
    "reason": "疫情",
    "stops_counter_loans": "on",
}


# --- the state by date -------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "state"),
    [
        (local(START - D(7), 10), ClosureState.SCHEDULED),  # the defect: a week ahead
        (local(START - D(1), 23, 59), ClosureState.SCHEDULED),
        (local(START, 0, 0), ClosureState.IN_FORCE),
        # 16:30 UTC on the 9th is 00:30 on the 10th in Beijing: the library's date counts.
        (dt.datetime.combine(START - D(1), dt.time(16, 30), tzinfo=dt.UTC), ClosureState.IN_FORCE),
        (local(END, 23, 59), ClosureState.IN_FORCE),
        (local(END + D(1), 0, 0), ClosureState.ENDED),
    ],
)
def test_the_state_follows_the_librarys_date_at_each_boundary(circ, moment, state):
    closure = closures.declare_closure(
        library=circ.lib, start_date=START, end_date=END, by=circ.c.staff
    )
    with time_machine.travel(moment, tick=False):
        page = desk(circ).get(reverse("desk:closures", args=["PKU"]))
        listed = ApiClient(circ.c.staff).get("/api/v1/libraries/PKU/closures").json()
    with translation.override("en"):
        badge = f'badge--closure-{state.value}">{state.label}<'
    assert badge in page.content.decode()
    assert [c["state"] for c in listed] == [state.value]
    assert closures.closure_state(closure, moment.astimezone(TZ).date()) == state


def test_a_lifted_closure_is_lifted_whatever_the_date(circ):
    closure = closures.declare_closure(
        library=circ.lib, start_date=START, end_date=END, by=circ.c.staff
    )
    closures.lift_closure(closure=closure, by=circ.c.staff, now=at(MONDAY))
    closure.refresh_from_db()
    for day in (START - D(1), START, END + D(1)):
        assert closures.closure_state(closure, day) == ClosureState.LIFTED


def test_a_scheduled_closure_says_so_in_chinese_not_in_force(circ):
    closures.declare_closure(library=circ.lib, start_date=START, end_date=END, by=circ.c.staff)
    with time_machine.travel(local(START - D(7), 10), tick=False):
        text = desk(circ, "zh-hans").get(reverse("desk:closures", args=["PKU"])).content.decode()
    assert "未开始" in text and "7 天后开始" in text
    assert "生效中" not in text


# --- the preview ---------------------------------------------------------------------


def test_the_preview_lists_the_moves_and_changes_nothing(circ, loans):
    before = snapshot()
    shown = preview(circ)
    assert snapshot() == before
    assert shown.new_due_date == REOPEN
    assert (shown.loans, shown.readers) == (3, 2)
    assert [(m.old_due_date, m.new_due_date, m.loans) for m in shown.moves] == [
        (START, REOPEN, 1),
        (START + D(3), REOPEN, 1),
        (END, REOPEN, 1),
    ]
    assert [loan.pk for loan in shown.sample] == [
        loans["first"].pk,
        loans["other"].pk,
        loans["last_day"].pk,
    ]


def test_applying_does_exactly_what_the_preview_said(circ, loans):
    shown = preview(circ)
    closure = closures.declare_closure(
        library=circ.lib, start_date=START, end_date=END, by=circ.c.staff
    )
    moved = closures.apply_closure(closure=closure, now=at(MONDAY + D(1)))
    applied = set(
        ClosureRedate.objects.filter(closure=closure).values_list(
            "loan_id", "original_due_date", "new_due_date"
        )
    )
    assert moved == shown.loans and applied == shown.changes
    assert Loan.objects.get(pk=loans["after"].pk).due_date == REOPEN + D(1)


def test_the_preview_refuses_what_declaring_refuses(circ, loans):
    before = snapshot()
    with pytest.raises(RuleViolation) as caught:
        preview(circ, start_date=END, end_date=START)
    assert caught.value.code == "closure_dates"
    with pytest.raises(RuleViolation) as caught:
        preview(circ, reason="因" * 201)
    assert caught.value.code == "too_long"
    for actor in ("reader", "volunteer", "other_staff"):
        with pytest.raises(PermissionDenied):
            preview(circ, by=circ.c.actor(actor))
    assert snapshot() == before


# --- the desk page: preview, then apply -------------------------------------------------


def test_the_declare_form_previews_first_and_changes_nothing(circ, loans):
    before = snapshot()
    with time_machine.travel(local(MONDAY, 10), tick=False):
        response = desk(circ, "zh-hans").post(reverse("desk:closure_declare", args=["PKU"]), FORM)
    assert response.status_code == 200
    text = response.content.decode()
    assert "登记此次闭馆将带来的变化" in text
    assert "这些日期内到期的 3 笔借阅将改为 2020年2月24日 到期" in text
    assert "将通过电子邮件通知 2 位读者" in text
    assert "2020年2月13日" in text and "P003" in text  # a due date that moves; a loan
    assert 'name="previewed"' in text and 'value="apply"' in text
    assert "未开始" in text
    assert snapshot() == before


def test_apply_with_the_previewed_digest_declares_what_was_shown(circ, loans):
    shown = preview(circ)
    client = desk(circ)
    response = client.post(
        reverse("desk:closure_declare", args=["PKU"]),
        {**FORM, "action": "apply", "previewed": shown.digest},
    )
    assert response.status_code == 302
    closure = Closure.objects.get()
    applied = set(
        ClosureRedate.objects.filter(closure=closure).values_list(
            "loan_id", "original_due_date", "new_due_date"
        )
    )
    assert applied == shown.changes


@pytest.mark.parametrize("previewed", [None, "0000000000000000"])
def test_apply_without_the_current_preview_shows_it_again_and_declares_nothing(
    circ, loans, previewed
):
    data = {**FORM, "action": "apply"}
    if previewed:
        data["previewed"] = previewed
    before = snapshot()
    response = desk(circ).post(reverse("desk:closure_declare", args=["PKU"]), data)
    assert response.status_code == 409
    text = response.content.decode()
    assert "changed since the preview" in text
    assert "3 open loans due in these days will be due on 24 Feb 2020" in text
    assert snapshot() == before


def test_a_loan_lent_after_the_preview_stops_the_apply(circ, loans):
    shown = preview(circ)
    lend(circ, circ.items[4], circ.reader, END - D(1))
    response = desk(circ).post(
        reverse("desk:closure_declare", args=["PKU"]),
        {**FORM, "action": "apply", "previewed": shown.digest},
    )
    assert response.status_code == 409
    assert not Closure.objects.exists()


# --- the API's preview -------------------------------------------------------------------


def test_the_api_previews_without_changing_anything(circ, loans):
    before = snapshot()
    with time_machine.travel(local(MONDAY, 10), tick=False):
        response = ApiClient(circ.c.staff).post(
            "/api/v1/libraries/PKU/closures/preview",
            {"start_date": str(START), "end_date": str(END)},
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert snapshot() == before
    assert (body["loans"], body["readers"], body["new_due_date"]) == (3, 2, "2020-02-24")
    assert body["state"] == "scheduled"
    assert body["moves"][0] == {
        "old_due_date": "2020-02-10",
        "new_due_date": "2020-02-24",
        "loans": 1,
    }
    assert [s["barcode"] for s in body["sample"]] == ["P001", "P003", "P002"]
    assert body["digest"] == preview(circ).digest


def test_the_api_preview_refuses_an_end_before_the_start(circ):
    response = ApiClient(circ.c.staff).post(
        "/api/v1/libraries/PKU/closures/preview",
        {"start_date": str(END), "end_date": str(START)},
    )
    assert response.status_code == 422
    assert response.json()["error"] == "closure_dates"
