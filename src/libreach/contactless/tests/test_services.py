"""The rules of contactless borrowing, each with what it allows and what it refuses."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from libreach.catalog.models import Item, ItemStatus
from libreach.circulation.models import CirculationSettings, Loan, LoanPolicy
from libreach.consortium.services import allow_reciprocal_borrowing
from libreach.contactless import services, slots
from libreach.contactless.models import (
    BorrowRequest,
    DeliveryRun,
    LineStatus,
    Mode,
    RequestLine,
    RequestStatus,
    SlotBooking,
)
from libreach.contactless.tests.conftest import at
from libreach.core.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from libreach.testing.permissions import db_fingerprint

ID_NUMBER = "110101199001011234"


def submit(shelf, *titles, user=None, mode=Mode.DELIVERY, barcodes=(), **extra):
    lines = [services.LineSpec(record_id=shelf.record(t).id) for t in titles]
    lines += [services.LineSpec(barcode=b) for b in barcodes]
    if mode != Mode.DELIVERY:
        extra.setdefault("service_point_code", "MAIN")
    if mode == Mode.PROXY:
        extra.setdefault("proxy", services.Proxy("王五", ID_NUMBER))
    return services.submit_request(
        user=user or shelf.reader, library=shelf.lib, mode=mode, lines=lines, **extra
    )


def refused(exc_type, code, call):
    before = db_fingerprint()
    with pytest.raises(exc_type) as caught:
        call()
    assert caught.value.code == code, caught.value.detail
    assert db_fingerprint() == before
    return caught.value


def allow_open_loans(shelf, most: int) -> None:
    LoanPolicy.objects.create(
        library=shelf.lib,
        reader_type="",
        loan_days=30,
        max_renewals=1,
        renewal_days=30,
        max_open_loans=most,
        fine_per_day_fen=10,
        hold_days=3,
    )


def status_of(barcode: str) -> str:
    return Item.objects.get(barcode=barcode).status


def found_all(shelf, request):
    for line in request.lines.order_by("position"):
        services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)


# --- submission ------------------------------------------------------------------------


def test_a_record_line_holds_the_first_available_copy(shelf):
    request = submit(shelf, "红楼梦")
    line = request.lines.get()
    assert (line.level, line.item.barcode, line.status) == ("record", "PKU011", "requested")
    assert status_of("PKU011") == ItemStatus.REQUESTED
    assert request.status == RequestStatus.SUBMITTED
    assert request.building.code == "DORM1"  # the reader's own building
    assert len(request.pickup_code) == 6 and request.pickup_code.isdigit()
    assert list(request.history.values_list("event", flat=True)) == ["submitted"]


def test_queue_numbers_follow_submission_order(shelf):
    first = submit(shelf, "红楼梦")
    second = submit(shelf, "呐喊", user=shelf.other_reader, building_code="DORM1")
    assert (first.queue_number, second.queue_number) == (1, 2)


def test_an_item_line_holds_that_copy(shelf):
    request = submit(shelf, barcodes=["PKU012"])
    assert request.lines.get().item.barcode == "PKU012"
    assert status_of("PKU011") == ItemStatus.AVAILABLE


def test_only_available_copies_can_be_requested(shelf):
    Item.objects.filter(barcode="PKU021").update(status=ItemStatus.QUARANTINED)
    refused(Conflict, "item_unavailable", lambda: submit(shelf, barcodes=["PKU021"]))
    refused(Conflict, "item_unavailable", lambda: submit(shelf, "呐喊"))


def test_a_copy_not_for_loan_cannot_be_requested(shelf):
    Item.objects.filter(barcode="PKU041").update(loanable=False)
    refused(RuleViolation, "item_not_loanable", lambda: submit(shelf, barcodes=["PKU041"]))
    refused(Conflict, "item_unavailable", lambda: submit(shelf, "时间简史"))


def test_the_last_copy_goes_to_the_first_reader(shelf):
    submit(shelf, "呐喊")
    refused(
        Conflict,
        "item_unavailable",
        lambda: submit(shelf, "呐喊", user=shelf.other_reader, building_code="DORM1"),
    )


def test_no_duplicate_lines(shelf):
    refused(RuleViolation, "duplicate_line", lambda: submit(shelf, "红楼梦", "红楼梦"))
    submit(shelf, "红楼梦")
    refused(RuleViolation, "duplicate_line", lambda: submit(shelf, "红楼梦"))


def test_open_requests_and_loans_stay_within_the_policy(shelf):
    allow_open_loans(shelf, 3)
    submit(shelf, "红楼梦", "呐喊")
    refused(RuleViolation, "too_many_loans", lambda: submit(shelf, "数据结构", "时间简史"))
    submit(shelf, "数据结构")  # 3 exactly


def test_other_librarys_books_and_unknown_barcodes_are_not_found(shelf):
    refused(NotFound, "item_not_found", lambda: submit(shelf, barcodes=["NOPE"]))
    # BLCU lends to PKU's readers (else the consortium rule refuses first: test_basket).
    allow_reciprocal_borrowing(lender=shelf.c.other_lib, borrower_library=shelf.lib)
    refused(
        NotFound,
        "record_not_found",
        lambda: services.submit_request(
            user=shelf.reader,
            library=shelf.c.other_lib,
            mode=Mode.PICKUP,
            service_point_code="MAIN",
            lines=[services.LineSpec(record_id=shelf.record("红楼梦").id)],
        ),
    )


def test_mode_rules(shelf):
    refused(
        RuleViolation,
        "building_required",
        lambda: submit(shelf, "红楼梦", user=shelf.other_reader),  # no building on the card
    )
    refused(NotFound, "building_not_found", lambda: submit(shelf, "红楼梦", building_code="NOPE"))
    refused(
        RuleViolation,
        "service_point_required",
        lambda: submit(shelf, "红楼梦", mode=Mode.PICKUP, service_point_code=None),
    )
    shelf.point.is_pickup = False
    shelf.point.save()
    refused(RuleViolation, "not_a_pickup_point", lambda: submit(shelf, "红楼梦", mode=Mode.PICKUP))
    shelf.point.is_pickup = True
    shelf.point.save()
    refused(
        RuleViolation,
        "proxy_required",
        lambda: submit(shelf, "红楼梦", mode=Mode.PROXY, proxy=services.Proxy("", "")),
    )
    refused(
        RuleViolation,
        "proxy_not_allowed",
        lambda: submit(shelf, "红楼梦", mode=Mode.PICKUP, proxy=services.Proxy("王五", ID_NUMBER)),
    )


def test_only_readers_request(shelf):
    refused(PermissionDenied, "forbidden", lambda: submit(shelf, "红楼梦", user=shelf.staff))


def test_requests_go_on_during_a_closure_that_stops_counter_loans(shelf):
    from libreach.consortium.models import Closure

    today = timezone.localdate()
    Closure.objects.create(
        library=shelf.lib, start_date=today, end_date=today, stops_counter_loans=True
    )
    request = submit(shelf, "红楼梦")
    found_all(shelf, request)
    services.stage(request_id=request.pk, by=shelf.staff)
    services.dispatch(request_id=request.pk, by=shelf.staff)
    loans = services.handover(
        request_id=request.pk, by=shelf.staff, pickup_code=request.pickup_code
    )
    assert len(loans) == 1


# --- picking ----------------------------------------------------------------------------


def test_staff_may_take_another_copy_for_a_record_line(shelf):
    request = submit(shelf, "红楼梦")
    line = request.lines.get()
    services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff, barcode="PKU013")
    line.refresh_from_db()
    assert (line.item.barcode, line.status) == ("PKU013", LineStatus.FOUND)
    assert status_of("PKU011") == ItemStatus.AVAILABLE
    assert status_of("PKU013") == ItemStatus.IN_PROCESS
    request.refresh_from_db()
    assert request.status == RequestStatus.PICKING


def test_wrong_copies_are_refused(shelf):
    request = submit(shelf, "红楼梦", barcodes=["PKU021"])
    record_line, item_line = request.lines.order_by("position")
    refused(
        RuleViolation,
        "wrong_copy",
        lambda: services.mark_found(
            request_id=request.pk, line_id=record_line.pk, by=shelf.staff, barcode="PKU031"
        ),
    )
    refused(
        RuleViolation,
        "wrong_copy",
        lambda: services.mark_found(
            request_id=request.pk, line_id=item_line.pk, by=shelf.staff, barcode="PKU011"
        ),
    )
    Item.objects.filter(barcode="PKU013").update(status=ItemStatus.ON_LOAN)
    refused(
        Conflict,
        "item_unavailable",
        lambda: services.mark_found(
            request_id=request.pk, line_id=record_line.pk, by=shelf.staff, barcode="PKU013"
        ),
    )


def test_a_line_is_found_once(shelf):
    request = submit(shelf, "红楼梦")
    found_all(shelf, request)
    line = request.lines.get()
    refused(
        Conflict,
        "invalid_transition",
        lambda: services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff),
    )


def test_not_found_marks_the_copy_missing_and_unfills_an_empty_request(shelf):
    request = submit(shelf, "红楼梦", "呐喊")
    first, second = request.lines.order_by("position")
    services.mark_not_found(
        request_id=request.pk, line_id=first.pk, by=shelf.staff, reason="not_on_shelf"
    )
    assert status_of("PKU011") == ItemStatus.MISSING
    request.refresh_from_db()
    assert request.status == RequestStatus.PICKING
    services.mark_not_found(
        request_id=request.pk, line_id=second.pk, by=shelf.staff, reason="other"
    )
    assert status_of("PKU021") == ItemStatus.AVAILABLE  # "other": back on the shelf
    request.refresh_from_db()
    assert request.status == RequestStatus.UNFILLED
    assert request.closed_at is not None
    refused(
        RuleViolation,
        "invalid_reason",
        lambda: services.mark_not_found(
            request_id=request.pk, line_id=first.pk, by=shelf.staff, reason="eaten"
        ),
    )


def test_partial_fulfilment_lends_what_was_found(shelf):
    request = submit(shelf, "红楼梦", "呐喊", "数据结构")
    first, second, third = request.lines.order_by("position")
    services.mark_found(request_id=request.pk, line_id=first.pk, by=shelf.staff)
    services.mark_not_found(
        request_id=request.pk, line_id=second.pk, by=shelf.staff, reason="damaged"
    )
    refused(
        Conflict, "lines_unresolved", lambda: services.stage(request_id=request.pk, by=shelf.staff)
    )
    services.mark_found(request_id=request.pk, line_id=third.pk, by=shelf.staff)
    services.stage(request_id=request.pk, by=shelf.staff)
    services.dispatch(request_id=request.pk, by=shelf.staff)
    loans = services.handover(
        request_id=request.pk, by=shelf.staff, pickup_code=request.pickup_code
    )
    assert sorted(loan.item.barcode for loan in loans) == ["PKU011", "PKU031"]
    request.refresh_from_db()
    assert request.status == RequestStatus.DELIVERED
    assert {line.status for line in request.lines.all()} == {
        LineStatus.HANDED_OVER,
        LineStatus.NOT_FOUND,
    }


# --- disinfection and staging -------------------------------------------------------------


def test_a_library_can_require_disinfection_before_staging(shelf):
    CirculationSettings.objects.create(library=shelf.lib, requires_disinfection=True)
    request = submit(shelf, "红楼梦")
    found_all(shelf, request)
    refused(
        RuleViolation,
        "disinfection_required",
        lambda: services.stage(request_id=request.pk, by=shelf.staff),
    )
    record = services.disinfect(request_id=request.pk, by=shelf.staff, method="uv", minutes=30)
    assert (record.method, record.minutes, record.by) == ("uv", 30, shelf.staff)
    assert request.lines.get().status == LineStatus.DISINFECTED
    services.stage(request_id=request.pk, by=shelf.staff)
    assert status_of("PKU011") == ItemStatus.STAGED


def test_disinfection_refusals(shelf):
    request = submit(shelf, "红楼梦")
    refused(
        Conflict,
        "invalid_transition",
        lambda: services.disinfect(request_id=request.pk, by=shelf.staff, method="uv", minutes=5),
    )
    found_all(shelf, request)
    refused(
        RuleViolation,
        "invalid_method",
        lambda: services.disinfect(request_id=request.pk, by=shelf.staff, method="fire", minutes=5),
    )
    refused(
        RuleViolation,
        "invalid_minutes",
        lambda: services.disinfect(request_id=request.pk, by=shelf.staff, method="uv", minutes=0),
    )
    services.disinfect(request_id=request.pk, by=shelf.staff, method="wipe", minutes=5)
    refused(
        Conflict,
        "nothing_to_disinfect",
        lambda: services.disinfect(request_id=request.pk, by=shelf.staff, method="uv", minutes=5),
    )


def test_pickup_is_staged_on_its_number_and_the_reader_told(
    shelf, django_capture_on_commit_callbacks
):
    shelf.reader.email = "zhangsan@example.edu.cn"
    shelf.reader.save()
    request = submit(shelf, "红楼梦", mode=Mode.PICKUP)
    found_all(shelf, request)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.stage(request_id=request.pk, by=shelf.staff)
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_PICKUP
    assert request.shelf_slot == str(request.queue_number)
    assert request.hold_until == timezone.localdate() + dt.timedelta(days=7)
    assert [e.event for e in request.history.all()][-2:] == ["ready", "reader_notified"]
    assert len(mail.outbox) == 1


# --- dispatch, runs, volunteers -----------------------------------------------------------


def _ready(shelf, *titles, user=None, building="DORM1"):
    request = submit(shelf, *titles, user=user, building_code=building)
    found_all(shelf, request)
    services.stage(request_id=request.pk, by=shelf.staff)
    return request


def test_runs_gather_ready_deliveries_and_volunteers_see_only_theirs(shelf):
    first = _ready(shelf, "红楼梦")
    second = _ready(shelf, "呐喊", user=shelf.other_reader)
    volunteer = shelf.c.volunteer
    run = services.create_run(library=shelf.lib, by=shelf.staff, assignee=volunteer)
    assert set(run.requests.values_list("pk", flat=True)) == {first.pk, second.pk}
    refused(
        Conflict,
        "nothing_to_run",
        lambda: services.create_run(library=shelf.lib, by=shelf.staff),
    )
    refused(
        PermissionDenied,
        "forbidden",
        lambda: services.create_run(library=shelf.lib, by=volunteer),
    )
    assert services.dispatch_run(run_id=run.pk, by=volunteer) == 2
    run.refresh_from_db()
    assert run.status == DeliveryRun.Status.DISPATCHED
    assert status_of("PKU011") == ItemStatus.IN_TRANSIT
    for request in (first, second):
        request.refresh_from_db()
        services.handover(request_id=request.pk, by=volunteer, pickup_code=request.pickup_code)
    run.refresh_from_db()
    assert run.status == DeliveryRun.Status.COMPLETED


def test_a_volunteer_who_left_cannot_dispatch_their_old_run(shelf):
    from libreach.accounts.models import StaffMembership

    _ready(shelf, "红楼梦")
    run = services.create_run(library=shelf.lib, by=shelf.staff, assignee=shelf.c.volunteer)
    StaffMembership.objects.filter(user=shelf.c.volunteer).delete()
    volunteer = type(shelf.c.volunteer).objects.get(pk=shelf.c.volunteer.pk)  # no role cache
    refused(NotFound, "run_not_found", lambda: services.dispatch_run(run_id=run.pk, by=volunteer))


def test_a_volunteer_cannot_touch_requests_outside_their_runs(shelf):
    request = _ready(shelf, "红楼梦")
    refused(
        NotFound,
        "request_not_found",
        lambda: services.dispatch(request_id=request.pk, by=shelf.c.volunteer),
    )
    run = services.create_run(library=shelf.lib, by=shelf.staff)  # nobody assigned
    refused(
        NotFound,
        "run_not_found",
        lambda: services.dispatch_run(run_id=run.pk, by=shelf.c.volunteer),
    )


# --- handover ----------------------------------------------------------------------------


def test_wrong_pickup_code_is_refused_and_changes_nothing(shelf):
    request = _ready(shelf, "红楼梦")
    services.dispatch(request_id=request.pk, by=shelf.staff)
    wrong = "000000" if request.pickup_code != "000000" else "111111"
    refused(
        PermissionDenied,
        "wrong_pickup_code",
        lambda: services.handover(request_id=request.pk, by=shelf.staff, pickup_code=wrong),
    )
    assert not Loan.objects.exists()


def test_proxy_handover_checks_the_id_number(shelf):
    request = submit(shelf, "红楼梦", "呐喊", mode=Mode.PROXY)
    assert request.proxy_id_last4 == "1234" and ID_NUMBER not in request.proxy_id_hash
    found_all(shelf, request)
    services.stage(request_id=request.pk, by=shelf.staff)
    for number in (None, "110101199001019999"):
        refused(
            PermissionDenied,
            "wrong_proxy_id",
            lambda number=number: services.handover(
                request_id=request.pk,
                by=shelf.staff,
                pickup_code=request.pickup_code,
                proxy_id_number=number,
            ),
        )
    loans = services.handover(
        request_id=request.pk,
        by=shelf.staff,
        pickup_code=request.pickup_code,
        proxy_id_number="110101 19900101 1234",  # spaces as people type them
    )
    assert len(loans) == 2
    assert {loan.reader for loan in loans} == {shelf.reader.reader}
    request.refresh_from_db()
    assert request.status == RequestStatus.COLLECTED
    assert status_of("PKU011") == ItemStatus.ON_LOAN


def test_handover_is_all_or_nothing(shelf):
    """If one loan cannot be made (the reader hit the limit meanwhile), none is."""
    request = _ready(shelf, "红楼梦", "呐喊")
    services.dispatch(request_id=request.pk, by=shelf.staff)
    allow_open_loans(shelf, 1)
    refused(
        RuleViolation,
        "too_many_loans",
        lambda: services.handover(
            request_id=request.pk, by=shelf.staff, pickup_code=request.pickup_code
        ),
    )
    assert status_of("PKU011") == ItemStatus.IN_TRANSIT


# --- cancel and expiry ------------------------------------------------------------------


def test_cancel_frees_the_copies_and_the_slot(shelf):
    request = submit(shelf, "红楼梦", mode=Mode.PICKUP)
    start = at(timezone.localdate() + dt.timedelta(days=1), 10)
    services.book_slot(request_id=request.pk, by=shelf.reader, slot_start=start)
    services.cancel_request(request_id=request.pk, by=shelf.reader)
    assert status_of("PKU011") == ItemStatus.AVAILABLE
    assert not SlotBooking.objects.exists()
    assert request.lines.get().status == LineStatus.CANCELLED
    refused(
        NotFound,
        "request_not_found",
        lambda: services.cancel_request(request_id=request.pk, by=shelf.other_reader),
    )


def test_uncollected_requests_expire_and_free_their_copies(
    shelf, django_capture_on_commit_callbacks
):
    shelf.reader.email = "zhangsan@example.edu.cn"
    shelf.reader.language = "en"
    shelf.reader.save()
    request = submit(shelf, "红楼梦", mode=Mode.PICKUP)
    found_all(shelf, request)
    services.stage(request_id=request.pk, by=shelf.staff)
    request.refresh_from_db()
    hold = request.hold_until
    assert services.send_expiry_notices(today=hold - dt.timedelta(days=1)) == 0
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_expiry_notices(today=hold) == 1
        assert services.send_expiry_notices(today=hold) == 0  # once
    assert mail.outbox[0].subject == "Last day to collect your books"
    assert services.expire_holds(today=hold) == 0  # the last day still counts
    assert services.expire_holds(today=hold + dt.timedelta(days=1)) == 1
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    # Off the hold shelf and back through the desk's check-in before anyone can have it.
    assert status_of("PKU011") == ItemStatus.IN_TRANSIT
    services.check_in_returned(library=shelf.lib, barcode="PKU011", by=shelf.staff)
    assert status_of("PKU011") == ItemStatus.AVAILABLE
    assert services.expire_holds(today=hold + dt.timedelta(days=2)) == 0


def test_notices_speak_the_readers_language(shelf, django_capture_on_commit_callbacks):
    shelf.reader.email = "zhangsan@example.edu.cn"
    shelf.reader.save()  # language zh-hans by default
    request = submit(shelf, "红楼梦", mode=Mode.PICKUP)
    found_all(shelf, request)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.stage(request_id=request.pk, by=shelf.staff)
    (notice,) = mail.outbox
    assert "红楼梦" in notice.body and request.pickup_code in notice.body
    assert "取书码" in notice.body or "取书" in notice.subject


# --- slots --------------------------------------------------------------------------------


def test_slot_capacity_is_never_exceeded(shelf):
    shelf.point.slot_capacity = 2
    shelf.point.save()
    start = at(timezone.localdate() + dt.timedelta(days=1), 9, 30)
    requests = [submit(shelf, title, mode=Mode.PICKUP) for title in ("红楼梦", "呐喊", "数据结构")]
    for request in requests[:2]:
        services.book_slot(request_id=request.pk, by=shelf.reader, slot_start=start)
    refused(
        Conflict,
        "slot_full",
        lambda: services.book_slot(request_id=requests[2].pk, by=shelf.reader, slot_start=start),
    )
    assert sorted(SlotBooking.objects.values_list("seat", flat=True)) == [1, 2]
    (slot,) = [s for s in slots.slots_on(shelf.point, start.date()) if s.start == start]
    assert (slot.booked, slot.free) == (2, 0)
    # Moving a booking frees its seat.
    later = start + dt.timedelta(minutes=30)
    services.book_slot(request_id=requests[0].pk, by=shelf.reader, slot_start=later)
    services.book_slot(request_id=requests[2].pk, by=shelf.reader, slot_start=start)


def test_slot_start_must_be_a_future_slot_in_opening_hours(shelf):
    request = submit(shelf, "红楼梦", mode=Mode.PICKUP)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    for start, code in [
        (at(tomorrow, 10, 15), "invalid_slot"),  # not on a slot boundary
        (at(tomorrow, 7, 30), "invalid_slot"),  # before opening
        (at(tomorrow, 22), "invalid_slot"),  # closing time
        (timezone.now() - dt.timedelta(hours=1), "slot_in_past"),
        (at(tomorrow + dt.timedelta(days=30), 10), "slot_too_far"),
    ]:
        refused(
            RuleViolation,
            code,
            lambda start=start: services.book_slot(
                request_id=request.pk, by=shelf.reader, slot_start=start
            ),
        )
    delivery = submit(shelf, "呐喊")
    refused(
        RuleViolation,
        "slot_not_allowed",
        lambda: services.book_slot(
            request_id=delivery.pk, by=shelf.reader, slot_start=at(tomorrow, 10)
        ),
    )


def test_ics_invitation(shelf):
    request = submit(shelf, "红楼梦", mode=Mode.PICKUP)
    start = at(timezone.localdate() + dt.timedelta(days=1), 10)
    services.book_slot(request_id=request.pk, by=shelf.reader, slot_start=start)
    request = BorrowRequest.objects.get(pk=request.pk)
    from icalendar import Calendar

    (event,) = Calendar.from_ical(slots.ics_for(request)).walk("VEVENT")
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == start + dt.timedelta(minutes=30)
    assert request.pickup_code in str(event["description"])


# --- pick slips ----------------------------------------------------------------------------


def test_a_printed_line_is_not_printed_again(shelf):
    from libreach.contactless.selectors import pick_list_lines

    submit(shelf, "红楼梦", "呐喊")
    slip = services.print_pick_slip(library=shelf.lib, by=shelf.staff)
    assert slip.lines.count() == 2
    refused(
        Conflict,
        "nothing_to_print",
        lambda: services.print_pick_slip(library=shelf.lib, by=shelf.staff),
    )
    submit(shelf, "数据结构", user=shelf.other_reader, building_code="DORM1")
    second = services.print_pick_slip(library=shelf.lib, by=shelf.staff)
    assert [line.record.title for line in second.lines.all()] == ["数据结构"]
    assert len(pick_list_lines(shelf.lib)) == 3  # the pick list itself still shows all


def test_pick_list_is_in_shelving_order(shelf, django_assert_max_num_queries):
    from libreach.contactless.selectors import pick_list_lines

    submit(shelf, "时间简史", "红楼梦", "论语译注", "数据结构", "呐喊")
    with django_assert_max_num_queries(1):
        rows = pick_list_lines(shelf.lib)
    # 中文书库 (B222.2 < I210.4 < I242.4) before 自然科学书库 (P159 < TP311.12)
    assert [r["call_number"] for r in rows] == [
        "B222.2/3",
        "I210.4/2",
        "I242.4/1",
        "P159/5",
        "TP311.12/7",
    ]
    assert RequestLine.objects.count() == 5
