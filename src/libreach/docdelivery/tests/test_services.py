"""Document delivery services: what each rule allows and what it refuses (refusals change
nothing), the rota end to end, the response window, the file."""

import datetime as dt

import pytest

from libreach.accounts.policies import SYSTEM
from libreach.core.errors import (
    BadRequest,
    Conflict,
    Gone,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from libreach.docdelivery import services
from libreach.docdelivery.models import RequestEvent, RotaStatus, Status
from libreach.docdelivery.tests.conftest import ARTICLE, PDF, TUESDAY_10
from libreach.testing.permissions import db_fingerprint

pytestmark = pytest.mark.django_db


READER = object()


def _submit(members, *, by=READER, type_="article", at=TUESDAY_10, **changes):
    return services.submit(
        by=members.c.reader if by is READER else by,
        library=members.home,
        type_=type_,
        citation={**ARTICLE, **changes},
        at=at,
    )


def _sent(members, rota=None, at=TUESDAY_10):
    request = _submit(members, at=at)
    services.approve(request_id=request.pk, by=members.c.staff, rota=rota or members.codes, at=at)
    request.refresh_from_db()
    return request


def _refused(error, call):
    before = db_fingerprint()
    with pytest.raises(error) as raised:
        call()
    assert db_fingerprint() == before, "a refused call changed the database"
    return raised.value


# --- asking ----------------------------------------------------------------------------------


def test_a_reader_asks_their_own_library(members):
    request = _submit(members)
    assert request.status == Status.NEW
    assert request.library == members.home
    assert request.issn == "0028-0836" and request.doi == "10.1038/s41586-020-2012-7"
    assert list(request.history.values_list("event", flat=True)) == ["submitted"]


def test_the_same_citation_twice_is_a_duplicate_while_open(members):
    first = _submit(members)
    error = _refused(
        Conflict, lambda: _submit(members, doi="https://doi.org/10.1038/S41586-020-2012-7")
    )
    assert error.code == "duplicate" and str(first.pk) in error.detail
    # Another reader may ask for it; so may the same reader once the first is closed.
    _submit(members, by=members.c.other_reader)
    services.cancel(request_id=first.pk, by=members.c.reader, at=TUESDAY_10)
    assert _submit(members).pk != first.pk


def test_a_different_article_in_the_same_issue_is_not_a_duplicate(members):
    _submit(members)
    other = {**ARTICLE, "doi": "", "pages": "274-278", "article_title": "Another paper"}
    assert _submit(members, **other).status == Status.NEW


@pytest.mark.parametrize(
    "who, error",
    [
        ("staff", PermissionDenied),
        ("other_staff", PermissionDenied),
        ("anonymous", NotAuthenticated),
    ],
)
def test_only_readers_ask(members, who, error):
    _refused(error, lambda: _submit(members, by=members.c.actor(who)))


def test_a_reader_asks_their_own_library_only(members):
    error = _refused(
        PermissionDenied,
        lambda: services.submit(
            by=members.c.reader, library=members.lenders[0], type_="article", citation=ARTICLE
        ),
    )
    assert error.code == "not_your_library"


@pytest.mark.parametrize(
    "changes, code",
    [({"title": "  "}, "title_required"), ({"pages": "1" * 65}, "too_long")],
)
def test_a_request_must_be_complete(members, changes, code):
    assert _refused(RuleViolation, lambda: _submit(members, **changes)).code == code


def test_an_unknown_type_is_refused(members):
    assert _refused(RuleViolation, lambda: _submit(members, type_="map")).code == "invalid_type"


# --- review ------------------------------------------------------------------------------------


def test_approval_sends_the_request_to_the_first_lender_with_its_window(members):
    request = _sent(members)
    assert request.status == Status.SENT and request.lender == members.lenders[0]
    rota = list(request.rota.order_by("position"))
    assert [e.lender.code for e in rota] == members.codes
    assert [e.status for e in rota] == [RotaStatus.SENT, RotaStatus.WAITING, RotaStatus.WAITING]
    # One working day: Tuesday 10:00 → Wednesday 10:00.
    assert rota[0].due_at == TUESDAY_10 + dt.timedelta(days=1)


def test_a_friday_request_is_due_on_monday(members):
    friday = TUESDAY_10 + dt.timedelta(days=3)
    request = _sent(members, at=friday)
    assert request.rota.get(position=1).due_at == friday + dt.timedelta(days=3)


@pytest.mark.parametrize(
    "who, error",
    [("reader", PermissionDenied), ("other_staff", NotFound), ("other_reader", NotFound)],
)
def test_only_the_readers_library_reviews(members, who, error):
    request = _submit(members)
    for call in (
        lambda: services.approve(
            request_id=request.pk, by=members.c.actor(who), rota=members.codes
        ),
        lambda: services.reject(request_id=request.pk, by=members.c.actor(who), reason="x"),
        lambda: services.satisfy_locally(request_id=request.pk, by=members.c.actor(who)),
    ):
        _refused(error, call)


def test_approving_twice_is_refused(members):
    request = _sent(members)
    error = _refused(
        Conflict, lambda: services.approve(request_id=request.pk, by=members.c.staff, rota=["BLCU"])
    )
    assert error.code == "invalid_transition"


def test_a_rota_names_members_once_and_never_the_readers_library(members):
    request = _submit(members)
    for rota, code in ((["THU", "THU"], "rota_duplicate"), (["XYZ"], "unknown_library"),
                       (["PKU", "THU"], "rota_self")):  # fmt: skip
        error = _refused(
            RuleViolation,
            lambda rota=rota: services.approve(
                request_id=request.pk, by=members.c.staff, rota=rota
            ),
        )
        assert error.code == code


def test_reject_needs_a_reason_and_closes(members):
    request = _submit(members)
    _refused(
        RuleViolation,
        lambda: services.reject(request_id=request.pk, by=members.c.staff, reason=" "),
    )
    services.reject(request_id=request.pk, by=members.c.staff, reason="超出服务范围")
    request.refresh_from_db()
    assert request.status == Status.REJECTED and request.reject_reason == "超出服务范围"


def test_satisfied_locally(members):
    request = _submit(members)
    services.satisfy_locally(request_id=request.pk, by=members.c.staff, note="本馆电子资源: Nature")
    request.refresh_from_db()
    assert request.status == Status.SATISFIED_LOCALLY and request.delivered_at is not None


def test_no_lender_at_all_is_unfilled_at_once(members):
    request = _submit(members)
    services.approve(request_id=request.pk, by=members.c.staff, rota=[], at=TUESDAY_10)
    request.refresh_from_db()
    assert request.status == Status.UNFILLED


# --- the rota, end to end ----------------------------------------------------------------------


def test_two_lenders_unfilled_then_the_third_supplies_and_the_reader_downloads(members, file_store):
    request = _sent(members)
    thu, ruc, bnu = members.lender_staff
    services.unfilled(request_id=request.pk, by=thu, reason="NotHeld", at=TUESDAY_10)
    services.unfilled(request_id=request.pk, by=ruc, reason="NotOnShelf", at=TUESDAY_10)
    request.refresh_from_db()
    assert request.status == Status.SENT and request.lender.code == "BNU"
    services.will_supply(request_id=request.pk, by=bnu, at=TUESDAY_10)
    services.supply(request_id=request.pk, by=bnu, data=PDF, at=TUESDAY_10 + dt.timedelta(hours=3))
    request.refresh_from_db()
    assert request.status == Status.DELIVERED
    assert request.delivered_at == TUESDAY_10 + dt.timedelta(hours=3)
    statuses = dict(request.rota.values_list("lender__code", "status"))
    assert statuses == {"THU": "unfilled", "RUC": "unfilled", "BNU": "supplied"}
    path, name = services.open_file(request_id=request.pk, by=members.c.reader, at=TUESDAY_10)
    assert path.read_bytes() == PDF and name.endswith(".pdf")
    assert request.file.downloads == 1


def test_a_lender_that_does_not_answer_in_its_window_loses_the_request(members):
    request = _sent(members)
    due = request.rota.get(position=1).due_at
    assert services.pass_on_silent_lenders(at=due - dt.timedelta(minutes=1)) == 0
    assert services.pass_on_silent_lenders(at=due) == 1
    assert services.pass_on_silent_lenders(at=due) == 0  # run again: nothing more
    request.refresh_from_db()
    assert request.lender.code == "RUC"
    assert request.rota.get(position=1).status == RotaStatus.TIMED_OUT
    # The silent lender can no longer answer.
    _refused(
        NotFound, lambda: services.will_supply(request_id=request.pk, by=members.lender_staff[0])
    )


def test_the_end_of_the_rota_is_unfilled_with_every_reason(members):
    request = _sent(members)
    thu, ruc, bnu = members.lender_staff
    services.unfilled(request_id=request.pk, by=thu, reason="NotHeld", at=TUESDAY_10)
    services.pass_on_silent_lenders(at=TUESDAY_10 + dt.timedelta(days=2))  # RUC silent
    services.unfilled(request_id=request.pk, by=bnu, reason="InUseOnLoan", at=TUESDAY_10)
    request.refresh_from_db()
    assert request.status == Status.UNFILLED and request.lender is None
    end = RequestEvent.objects.get(request=request, event="end_of_rota")
    assert sorted(map(tuple, end.data["reasons"])) == [
        ("BNU", "InUseOnLoan"),
        ("RUC", "NoAnswer"),
        ("THU", "NotHeld"),
    ]


def test_only_the_lender_now_holding_answers(members):
    request = _sent(members)
    ruc = members.lender_staff[1]
    # RUC is on the rota but not yet asked: to them the request is not there.
    _refused(NotFound, lambda: services.unfilled(request_id=request.pk, by=ruc, reason="NotHeld"))
    _refused(
        PermissionDenied,
        lambda: services.unfilled(request_id=request.pk, by=members.c.staff, reason="NotHeld"),
    )
    _refused(
        PermissionDenied,
        lambda: services.supply(request_id=request.pk, by=members.c.reader, data=PDF),
    )


def test_an_unknown_reason_is_refused(members):
    request = _sent(members)
    thu = members.lender_staff[0]
    for reason in ("Sleeping", "NoAnswer", ""):
        error = _refused(
            RuleViolation,
            lambda reason=reason: services.unfilled(request_id=request.pk, by=thu, reason=reason),
        )
        assert error.code == "invalid_reason"


def test_a_retry_accepted_goes_back_to_that_lender_declined_to_the_next(members):
    request = _sent(members)
    thu = members.lender_staff[0]
    services.retry(
        request_id=request.pk, by=thu, reason="CostExceedsMaxCost", cost=30, at=TUESDAY_10
    )
    request.refresh_from_db()
    assert request.status == Status.RETRY_POSSIBLE
    services.accept_retry(request_id=request.pk, by=members.c.staff, at=TUESDAY_10)
    request.refresh_from_db()
    assert request.status == Status.SENT and request.lender.code == "THU"
    services.retry(request_id=request.pk, by=thu, reason="OnLoan", at=TUESDAY_10)
    services.decline_retry(request_id=request.pk, by=members.c.staff, at=TUESDAY_10)
    request.refresh_from_db()
    assert request.status == Status.SENT and request.lender.code == "RUC"


# --- files -------------------------------------------------------------------------------------


def _delivered(members, file_store):
    request = _sent(members)
    services.supply(request_id=request.pk, by=members.lender_staff[0], data=PDF, at=TUESDAY_10)
    return request


def test_not_a_pdf_or_too_large_is_refused(members, file_store, settings, monkeypatch):
    request = _sent(members)
    thu = members.lender_staff[0]
    error = _refused(
        BadRequest, lambda: services.supply(request_id=request.pk, by=thu, data=b"GIF89a...")
    )
    assert error.code == "not_a_pdf"
    monkeypatch.setattr(services, "MAX_FILE_BYTES", len(PDF) - 1)
    error = _refused(
        RuleViolation, lambda: services.supply(request_id=request.pk, by=thu, data=PDF)
    )
    assert error.code == "file_too_large"


def test_only_the_reader_and_their_librarys_staff_download(members, file_store):
    request = _delivered(members, file_store)
    services.open_file(request_id=request.pk, by=members.c.staff, at=TUESDAY_10)
    request.file.refresh_from_db()
    assert request.file.downloads == 0  # staff's downloads are not the reader's
    _refused(
        PermissionDenied,
        lambda: services.open_file(request_id=request.pk, by=members.lender_staff[0]),
    )
    for who in ("other_reader", "other_staff"):
        _refused(
            NotFound,
            lambda who=who: services.open_file(request_id=request.pk, by=members.c.actor(who)),
        )


def test_the_link_expires_and_downloads_run_out(members, file_store):
    request = _delivered(members, file_store)
    limit = request.file.max_downloads
    for _ in range(limit):
        services.open_file(request_id=request.pk, by=members.c.reader, at=TUESDAY_10)
    error = _refused(
        Gone, lambda: services.open_file(request_id=request.pk, by=members.c.reader, at=TUESDAY_10)
    )
    assert error.code == "downloads_used_up"
    expired = request.file.expires_at
    error = _refused(
        Gone, lambda: services.open_file(request_id=request.pk, by=members.c.staff, at=expired)
    )
    assert error.code == "link_expired"


# --- loans and cancelling ------------------------------------------------------------------------


def test_a_book_is_shipped_received_returned_and_completed(members):
    request = _submit(members, type_="book", title="数据结构", isbn="9787302147510", doi="")
    services.approve(request_id=request.pk, by=members.c.staff, rota=["THU"], at=TUESDAY_10)
    thu = members.lender_staff[0]
    _refused(Conflict, lambda: services.supply(request_id=request.pk, by=thu, data=PDF))
    services.ship(request_id=request.pk, by=thu)
    _refused(PermissionDenied, lambda: services.receive(request_id=request.pk, by=thu))
    services.receive(request_id=request.pk, by=members.c.staff)
    services.return_loan(request_id=request.pk, by=members.c.staff)
    services.complete(request_id=request.pk, by=thu)
    request.refresh_from_db()
    assert request.status == Status.COMPLETED


def test_the_reader_cancels_until_something_is_supplied(members, file_store):
    request = _sent(members)
    services.cancel(request_id=request.pk, by=members.c.reader)
    request.refresh_from_db()
    assert request.status == Status.CANCELLED
    assert set(request.rota.values_list("status", flat=True)) == {"cancelled", "skipped"}
    delivered = _delivered(members, file_store)
    assert (
        _refused(
            Conflict, lambda: services.cancel(request_id=delivered.pk, by=members.c.reader)
        ).code
        == "invalid_transition"
    )
    _refused(NotFound, lambda: services.cancel(request_id=delivered.pk, by=members.c.other_reader))


def test_staff_edit_the_lenders_still_to_ask(members):
    request = _sent(members)
    services.edit_rota(request_id=request.pk, by=members.c.staff, codes=["BLCU", "BNU"])
    assert list(request.rota.order_by("position").values_list("lender__code", flat=True)) == [
        "THU",
        "BLCU",
        "BNU",
    ]
    error = _refused(
        RuleViolation,
        lambda: services.edit_rota(request_id=request.pk, by=members.c.staff, codes=["THU"]),
    )
    assert error.code == "rota_already_asked"
    _refused(
        PermissionDenied,
        lambda: services.edit_rota(
            request_id=request.pk, by=members.lender_staff[0], codes=["BNU"]
        ),
    )


def test_the_system_is_not_a_reader(members):
    _refused(
        PermissionDenied,
        lambda: services.submit(by=SYSTEM, library=members.home, type_="article", citation=ARTICLE),
    )


# --- the reader is told ------------------------------------------------------------------------


def test_the_reader_is_told_when_the_copy_arrives_and_when_nothing_came(
    members, file_store, mailoutbox, django_capture_on_commit_callbacks
):
    reader = members.c.reader
    reader.email = "zhangsan@example.edu.cn"
    reader.save()
    with django_capture_on_commit_callbacks(execute=True):
        request = _sent(members)
        services.supply(request_id=request.pk, by=members.lender_staff[0], data=PDF, at=TUESDAY_10)
    assert [m.to for m in mailoutbox] == [["zhangsan@example.edu.cn"]]
    assert f"#{request.pk}" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        other = _submit(members, doi="", pages="1-9", article_title="Another")
        services.approve(request_id=other.pk, by=members.c.staff, rota=[], at=TUESDAY_10)
    assert len(mailoutbox) == 2
    # A request from an outside system has no reader here to tell: nothing is sent.


def test_a_supplied_copy_is_charged_once_and_a_free_period_puts_it_on_the_subsidy(
    members, file_store
):
    from decimal import Decimal

    from libreach.docdelivery.models import FeeBasis, FeeCharge, FeePolicy, FreePeriod, ServiceType

    FeePolicy.objects.create(
        service_type=ServiceType.COPY, basis=FeeBasis.PER_PAGE, price=Decimal("0.30"),
        minimum=Decimal("2.00"), valid_from=dt.date(2026, 1, 1),
    )  # fmt: skip
    FreePeriod.objects.create(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), note="免费")
    request = _delivered(members, file_store)
    charge = FeeCharge.objects.get(request=request)
    assert charge.pages == 4 and charge.amount == Decimal("2.00")  # 4 pages, the minimum
    assert charge.paid_by == FeeCharge.PaidBy.CONSORTIUM and charge.lender.code == "THU"
    unfilled = _submit(members, doi="", pages="1-30", article_title="Other")
    services.approve(request_id=unfilled.pk, by=members.c.staff, rota=[], at=TUESDAY_10)
    assert not FeeCharge.objects.filter(request=unfilled).exists()


def test_identifiers_are_kept_in_one_form_and_a_wrong_one_is_said(members):
    book = _submit(
        members, type_="book", title="数据结构", isbn="978-7-302-14751-0", doi="", issn=""
    )
    assert book.isbn == "9787302147510"
    error = _refused(RuleViolation, lambda: _submit(members, issn="0028-0837", doi=""))
    assert error.code == "invalid_issn"
    error = _refused(
        RuleViolation,
        lambda: _submit(members, type_="book", isbn="978-7-302-14751-1", doi="", issn=""),
    )
    assert error.code == "invalid_isbn"


def test_another_systems_citation_is_put_in_one_form_and_cut_to_fit(members):
    # Fitted by citations.normalise alone: on PostgreSQL a field too long would not save.
    long_words = "Proceedings of the  Symposium\ton Very Long Titles " * 20
    request = services.receive_external_request(
        requester=members.lenders[1],
        lender=members.lenders[0],
        type_="article",
        citation={
            **ARTICLE,
            "title": long_words,
            "authors": "Zhou P " * 100,
            "volume": "Supplement " * 10,
            "issn": "0028 0836",
            "doi": "https://doi.org/10.1038/S41586-020-2012-7",
            "note": "Please send it soon. " * 40,
        },
        external_id="RUC-1",
        at=TUESDAY_10,
    )
    request.refresh_from_db()
    assert request.title.startswith("Proceedings of the Symposium on Very Long Titles")
    assert len(request.title) <= 500 and request.title.endswith("…")
    assert len(request.authors) <= 500 and request.authors.endswith("…")
    assert len(request.volume) <= 32 and request.volume.endswith("…")
    assert len(request.note) <= 500 and request.note.endswith("…")
    assert (request.issn, request.doi) == ("0028-0836", "10.1038/s41586-020-2012-7")
    assert request.status == Status.SENT and request.lender == members.lenders[0]


def _settings_reads(captured) -> int:
    """Queries that read a member's DocDeliverySettings on their own (not joined)."""
    return sum('FROM "docdelivery_docdeliverysettings"' in q["sql"] for q in captured)


def test_a_lenders_terms_are_read_once_per_step(members):
    # Sending reads the lender's terms for its window and its endpoint in one query; a
    # receive, a return or a cancel has them with the request it locks.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    thu = members.lender_staff[0]
    book = _submit(members, type_="book", title="数据结构", isbn="9787302147510", doi="")
    steps = {
        "approve": lambda: services.approve(
            request_id=book.pk, by=members.c.staff, rota=["THU"], at=TUESDAY_10
        ),
        "ship": lambda: services.ship(request_id=book.pk, by=thu),
        "receive": lambda: services.receive(request_id=book.pk, by=members.c.staff),
        "return": lambda: services.return_loan(request_id=book.pk, by=members.c.staff),
    }
    reads = {}
    for name, step in steps.items():
        with CaptureQueriesContext(connection) as captured:
            step()
        reads[name] = _settings_reads(captured)
    article = _sent(members)
    with CaptureQueriesContext(connection) as captured:
        services.cancel(request_id=article.pk, by=members.c.reader)
    reads["cancel"] = _settings_reads(captured)
    assert reads == {"approve": 1, "ship": 0, "receive": 0, "return": 0, "cancel": 0}


def test_a_readers_submissions_wait_for_each_other_on_the_reader_profile(members):
    # Two taps on "Send" make one request: submit locks the reader's ReaderProfile row
    # first, so the second waits and then finds the first as a duplicate.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _submit(members)
    locks = [
        q["sql"]
        for q in captured
        if 'FROM "accounts_readerprofile"' in q["sql"]
        and (" FOR UPDATE" in q["sql"] or not connection.features.has_select_for_update)
    ]
    assert locks, "submit did not lock the reader's profile"
