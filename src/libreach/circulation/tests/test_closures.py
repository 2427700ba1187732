"""Closures re-date loans, lifting restores them, bulk extensions: allowed and refused."""

import datetime as dt

import pytest
from django.core import mail

from libreach.accounts.models import User
from libreach.catalog.models import Item
from libreach.circulation import closures, services
from libreach.circulation.models import BulkExtension, ClosureRedate, Loan, LoanPolicy
from libreach.circulation.tests.conftest import MONDAY, at
from libreach.consortium.models import Closure
from libreach.core.errors import Conflict, PermissionDenied, RuleViolation

D = dt.timedelta
# PKU opens Monday to Saturday. A closure from Monday 10th to Saturday 22nd February
# moves loans due inside it to Monday 24th (Sunday 23rd is a closed weekday).
START, END, REOPEN = MONDAY + D(7), MONDAY + D(19), MONDAY + D(21)


def snapshot():
    return (
        list(Loan.objects.order_by("pk").values()),
        list(Closure.objects.order_by("pk").values()),
        list(ClosureRedate.objects.order_by("pk").values()),
        list(BulkExtension.objects.order_by("pk").values()),
    )


def refused(error, code, call, **kwargs):
    before = snapshot()
    with pytest.raises(error) as caught:
        call(**kwargs)
    assert caught.value.code == code
    assert snapshot() == before


def lend(circ, item, reader, due: dt.date) -> Loan:
    loan = services.checkout(item=item, reader=reader, at=at(MONDAY))
    Loan.objects.filter(pk=loan.pk).update(due_date=due)
    loan.refresh_from_db()
    return loan


@pytest.fixture
def loans(circ):
    """Four PKU loans: two of 张三 and one of 李四 due inside the closure, one after it."""
    LoanPolicy.objects.filter(pk=circ.policy.pk).update(max_open_loans=10)
    User.objects.filter(pk=circ.c.reader.pk).update(email="zhang@example.edu.cn")
    User.objects.filter(pk=circ.c.other_reader.pk).update(email="li@example.edu.cn", language="en")
    return {
        "first": lend(circ, circ.items[0], circ.reader, START),
        "last_day": lend(circ, circ.items[1], circ.reader, END),
        "other": lend(circ, circ.items[2], circ.other_reader, START + D(3)),
        "after": lend(circ, circ.items[3], circ.other_reader, REOPEN + D(1)),
    }


def declare(circ, **kwargs):
    return closures.declare_closure(
        library=circ.lib,
        start_date=kwargs.pop("start_date", START),
        end_date=kwargs.pop("end_date", END),
        reason=kwargs.pop("reason", "新冠肺炎疫情"),
        stops_counter_loans=True,
        by=kwargs.pop("by", circ.c.staff),
    )


def due(loan) -> dt.date:
    return Loan.objects.get(pk=loan.pk).due_date


# --- declaring --------------------------------------------------------------------


def test_declare_records_the_closure(circ):
    closure = declare(circ)
    assert (closure.library, closure.start_date, closure.end_date) == (circ.lib, START, END)
    assert closure.lifted_at is None and closure.stops_counter_loans


@pytest.mark.parametrize(
    ("actor", "error", "code"),
    [
        ("other_staff", PermissionDenied, "forbidden"),
        ("reader", PermissionDenied, "forbidden"),
        ("volunteer", PermissionDenied, "forbidden"),
    ],
)
def test_declare_refused_to_others(circ, actor, error, code):
    refused(
        error,
        code,
        closures.declare_closure,
        library=circ.lib,
        start_date=START,
        end_date=END,
        by=circ.c.actor(actor),
    )


def test_declare_refuses_an_end_before_the_start(circ):
    refused(
        RuleViolation,
        "closure_dates",
        closures.declare_closure,
        library=circ.lib,
        start_date=END,
        end_date=START,
        by=circ.c.staff,
    )


# --- applying ---------------------------------------------------------------------


def test_apply_moves_loans_due_inside_to_the_first_open_day_after(
    circ, loans, django_capture_on_commit_callbacks
):
    other_library_item = Item.objects.create(
        record=circ.item.record, library=circ.other_lib, barcode="B001"
    )
    elsewhere = lend(circ, other_library_item, circ.reader, START)
    returned = lend(circ, circ.items[4], circ.reader, START)
    services.checkin(item=circ.items[4], at_library=circ.lib, at=at(MONDAY + D(1)))
    closure = declare(circ)

    with django_capture_on_commit_callbacks(execute=True):
        assert closures.apply_closure(closure=closure, now=at(MONDAY + D(2))) == 3

    for name in ("first", "last_day", "other"):
        loan = Loan.objects.get(pk=loans[name].pk)
        assert (loan.due_date, loan.original_due_date) == (REOPEN, loans[name].due_date)
        redate = ClosureRedate.objects.get(closure=closure, loan=loan)
        assert (redate.original_due_date, redate.new_due_date) == (loans[name].due_date, REOPEN)
        assert redate.processed_at == at(MONDAY + D(2)) and redate.restored_at is None
    # Due after the closure, lent by another library, or already back: untouched.
    assert due(loans["after"]) == REOPEN + D(1)
    assert due(elsewhere) == START
    assert Loan.objects.get(pk=returned.pk).original_due_date is None

    # One notice per reader, listing their loans, in their language.
    assert sorted(m.to[0] for m in mail.outbox) == ["li@example.edu.cn", "zhang@example.edu.cn"]
    zhang = next(m for m in mail.outbox if m.to == ["zhang@example.edu.cn"])
    assert "闭馆" in zhang.subject
    assert (
        zhang.body.count(f"{REOPEN.year}年{REOPEN.month}月{REOPEN.day}日") == 2
        and "P001" in zhang.body
    )
    li = next(m for m in mail.outbox if m.to == ["li@example.edu.cn"])
    assert "closed" in li.subject and "now due 24 Feb 2020" in li.body


def test_apply_twice_changes_nothing(circ, loans):
    closure = declare(circ)
    closures.apply_closure(closure=closure)
    before = snapshot()
    assert closures.apply_closure(closure=closure) == 0
    assert snapshot() == before


def test_a_closure_that_moves_later_and_then_an_extension_of_it(circ, loans):
    # The closure is extended by a second, adjacent one: the loans move again, and
    # each loan keeps its first original due date.
    closures.apply_closure(closure=declare(circ))
    second = declare(circ, start_date=END + D(1), end_date=END + D(7))
    assert closures.apply_closure(closure=second) == 4
    loan = Loan.objects.get(pk=loans["first"].pk)
    assert (loan.due_date, loan.original_due_date) == (REOPEN + D(7), START)
    assert due(loans["after"]) == REOPEN + D(7)  # due on the 25th, inside the second


def test_apply_resumes_after_a_crash(circ, loans, monkeypatch, django_capture_on_commit_callbacks):
    closure = declare(circ)
    real_notify, calls = closures._notify, []

    def crash_on_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        real_notify(*args, **kwargs)

    monkeypatch.setattr(closures, "_notify", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        closures.apply_closure(closure=closure, batch_size=1)
    # The first batch (张三's two loans: a batch never splits a reader) committed.
    assert set(ClosureRedate.objects.values_list("loan_id", flat=True)) == {
        loans["first"].pk,
        loans["last_day"].pk,
    }
    assert due(loans["other"]) == START + D(3)

    monkeypatch.setattr(closures, "_notify", real_notify)
    with django_capture_on_commit_callbacks(execute=True):
        assert closures.apply_open_closures() == 1
    assert due(loans["other"]) == REOPEN
    assert [m.to for m in mail.outbox] == [["li@example.edu.cn"]]
    assert closures.apply_open_closures() == 0


def test_a_lifted_closure_is_not_applied(circ, loans):
    closure = declare(circ)
    closures.lift_closure(closure=closure, by=circ.c.staff)
    assert closures.apply_closure(closure=closure) == 0
    assert due(loans["first"]) == START


def test_loans_lent_during_the_closure_are_not_moved(circ, loans):
    closure = declare(circ)
    closures.apply_closure(closure=closure)
    # A contactless handover inside the closure gets a due date after it already.
    Item.objects.filter(pk=circ.items[4].pk).update(status="staged")
    loan = services.checkout(item=circ.items[4], reader=circ.other_reader, at=at(START))
    assert loan.due_date > END
    assert closures.apply_closure(closure=closure) == 0


# --- lifting ----------------------------------------------------------------------


def test_lift_restores_the_original_due_dates(circ, loans, django_capture_on_commit_callbacks):
    closure = declare(circ)
    closures.apply_closure(closure=closure)
    # 李四 renews during the closure: that date is theirs to keep.
    services.renew(loan=Loan.objects.get(pk=loans["other"].pk), at=at(START))
    renewed = due(loans["other"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        restored = closures.lift_closure(closure=closure, by=circ.c.staff, now=at(MONDAY + D(3)))

    assert restored == 2
    first = Loan.objects.get(pk=loans["first"].pk)
    assert (first.due_date, first.original_due_date) == (START, None)
    assert due(loans["last_day"]) == END
    assert due(loans["other"]) == renewed
    assert Closure.objects.get(pk=closure.pk).lifted_at == at(MONDAY + D(3))
    redate = ClosureRedate.objects.get(loan=loans["first"])
    assert (redate.restored_at, redate.restored_due_date) == (at(MONDAY + D(3)), START)
    assert not ClosureRedate.objects.get(loan=loans["other"]).restored_at
    assert [m.to for m in mail.outbox] == [["zhang@example.edu.cn"]]


def test_lift_never_makes_a_loan_overdue(circ, loans):
    closure = declare(circ)
    closures.apply_closure(closure=closure)
    # Lifted on Sunday 16th: the 10th has passed, so the first loan is due on the next
    # open day (Monday 17th); the last day's loan (the 22nd) goes back to its date.
    closures.lift_closure(closure=closure, by=circ.c.staff, now=at(START + D(6)))
    assert due(loans["first"]) == START + D(7)
    assert due(loans["last_day"]) == END
    assert due(loans["other"]) == START + D(7)
    # Lifted after the re-dated day itself: nothing moves later, or back.
    second = declare(circ, start_date=END + D(10), end_date=END + D(12))
    loan = lend(circ, circ.items[4], circ.reader, END + D(11))
    closures.apply_closure(closure=second)
    moved = due(loan)
    closures.lift_closure(closure=second, by=circ.c.staff, now=at(moved + D(5)))
    assert due(loan) == moved


def test_lift_skips_returned_loans(circ, loans):
    closure = declare(circ)
    closures.apply_closure(closure=closure)
    services.checkin(item=circ.items[0], at_library=circ.lib, at=at(START))
    assert closures.lift_closure(closure=closure, by=circ.c.staff, now=at(MONDAY)) == 2
    assert due(loans["first"]) == REOPEN


def test_lift_refused_twice_and_to_others(circ, loans):
    closure = declare(circ)
    closures.apply_closure(closure=closure)
    refused(
        PermissionDenied, "forbidden", closures.lift_closure, closure=closure, by=circ.c.other_staff
    )
    closures.lift_closure(closure=closure, by=circ.c.staff, now=at(MONDAY))
    refused(Conflict, "closure_lifted", closures.lift_closure, closure=closure, by=circ.c.staff)


# --- fines ------------------------------------------------------------------------


def test_returned_elsewhere_after_a_closure_pays_nothing_for_its_days(circ, loans):
    closures.apply_closure(closure=declare(circ))
    # Back at BLCU on the re-dated day: not overdue at all.
    back = services.checkin(item=circ.items[0], at_library=circ.other_lib, at=at(REOPEN))
    assert back.fine_fen == 0
    # A loan due before the closure, back after it: only PKU's open days before it count.
    lend(circ, circ.items[4], circ.reader, START - D(2))  # Saturday 8th
    back = services.checkin(item=circ.items[4], at_library=circ.other_lib, at=at(REOPEN))
    assert back.fine_fen == 1 * 10  # Monday 24th: Sundays and the closure are free


def test_a_closure_of_the_return_library_does_not_waive_fines(circ, loans):
    closures.declare_closure(
        library=circ.other_lib, start_date=START, end_date=END, by=circ.c.other_staff
    )
    lend(circ, circ.items[4], circ.reader, START - D(2))  # Saturday 8th
    back = services.checkin(item=circ.items[4], at_library=circ.other_lib, at=at(START + D(4)))
    assert back.fine_fen == 5 * 10  # PKU was open Monday 10th to Friday 14th


# --- bulk extension ---------------------------------------------------------------


def extension(circ, **kwargs):
    return {
        "library": circ.lib,
        "by": circ.c.staff,
        "due_from": START,
        "due_to": END,
        "now": at(MONDAY),
        **kwargs,
    }


def test_preview_and_apply_a_bulk_extension(circ, loans, django_capture_on_commit_callbacks):
    target = MONDAY + D(27)  # a Sunday: the loans are due on Monday 2nd March
    assert closures.preview_bulk_extension(**extension(circ)) == 3
    assert closures.preview_bulk_extension(**extension(circ, new_due_date=target)) == 3
    before = snapshot()
    closures.preview_bulk_extension(**extension(circ, new_due_date=target))
    assert snapshot() == before

    with django_capture_on_commit_callbacks(execute=True):
        assert closures.apply_bulk_extension(**extension(circ, new_due_date=target)) == 3
    for name in ("first", "last_day", "other"):
        loan = Loan.objects.get(pk=loans[name].pk)
        assert (loan.due_date, loan.original_due_date) == (target + D(1), loans[name].due_date)
    assert due(loans["after"]) == REOPEN + D(1)
    row = BulkExtension.objects.get()
    assert (row.by, row.count, row.new_due_date, row.reader_type) == (
        circ.c.staff,
        3,
        target + D(1),
        "",
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["li@example.edu.cn", "zhang@example.edu.cn"]
    # Again: every loan is already due then, so none moves.
    assert closures.apply_bulk_extension(**extension(circ, new_due_date=target)) == 0


def test_bulk_extension_by_reader_type_and_never_earlier(circ, loans):
    # 张三 is an undergraduate; 李四, a graduate, has one loan due on the 13th.
    target = START + D(2)  # Wednesday 12th: earlier than every loan but the first
    assert closures.preview_bulk_extension(**extension(circ, new_due_date=target)) == 1
    assert (
        closures.apply_bulk_extension(
            **extension(circ, new_due_date=target, reader_type="graduate", notify=False)
        )
        == 0
    )
    assert closures.apply_bulk_extension(**extension(circ, new_due_date=target)) == 1
    assert [due(loans[n]) for n in ("first", "last_day", "other")] == [target, END, START + D(3)]
    assert BulkExtension.objects.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"by": "other_staff"}, PermissionDenied, "forbidden"),
        ({"by": "reader"}, PermissionDenied, "forbidden"),
        ({"due_from": END, "due_to": START}, RuleViolation, "due_range"),
        ({"new_due_date": MONDAY - D(1)}, RuleViolation, "new_due_date_past"),
        ({"reader_type": "alumni"}, RuleViolation, "reader_type"),
    ],
)
def test_bulk_extension_refusals(circ, loans, kwargs, error, code):
    kwargs = dict(kwargs)
    if "by" in kwargs:
        kwargs["by"] = circ.c.actor(kwargs["by"])
    args = extension(circ, **{"new_due_date": MONDAY + D(30), **kwargs})
    refused(error, code, closures.apply_bulk_extension, **args)
    refused(error, code, closures.preview_bulk_extension, **args)
