"""Staff desk pages of contactless borrowing: who may open them, what they show, and that
each form calls its service (a refusal becomes a message and changes nothing)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse

from libreach.catalog.models import Item, ItemStatus
from libreach.contactless import services
from libreach.contactless.desk_views import parse_request_ref
from libreach.contactless.models import (
    BorrowRequest,
    DeliveryRun,
    Disinfection,
    LineStatus,
    PickSlip,
    RequestStatus,
)
from libreach.core.words import format_date
from libreach.testing.fixtures import PASSWORD


def client_as(user) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


def submit(shelf, titles=("红楼梦", "呐喊"), *, user=None, mode="delivery", **extra):
    if mode == "delivery":
        extra.setdefault("building_code", "DORM1")
    return services.submit_request(
        user=user or shelf.reader,
        library=shelf.lib,
        mode=mode,
        lines=[services.LineSpec(record_id=shelf.record(t).pk) for t in titles],
        **extra,
    )


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def lines_of(request: BorrowRequest):
    return list(request.lines.order_by("position"))


def ready_delivery(shelf, titles=("红楼梦",), **extra) -> BorrowRequest:
    request = submit(shelf, titles, **extra)
    for line in lines_of(request):
        services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=request.pk, by=shelf.staff)
    return BorrowRequest.objects.get(pk=request.pk)


@pytest.fixture
def staff(shelf):
    return client_as(shelf.staff)


# --- who may open what ------------------------------------------------------------------------


def _pages(shelf):
    """Every GET page with the objects it needs; `volunteer` = what a volunteer gets."""
    request = submit(shelf)
    slip = services.print_pick_slip(library=shelf.lib, by=shelf.staff)
    ready = ready_delivery(shelf, ("数据结构",), user=shelf.c.reader, building_code="DORM1")
    run = services.create_run(library=shelf.lib, by=shelf.staff, assignee=shelf.c.volunteer)
    assert ready.pk in set(run.requests.values_list("pk", flat=True))
    lib = shelf.lib.code
    return [
        (reverse("desk:picklist", args=[lib]), 403),
        (reverse("desk:pick_slip", args=[lib, slip.pk]), 403),
        (reverse("desk:pick_slip_pdf", args=[lib, slip.pk]), 403),
        (reverse("desk:requests", args=[lib]), 403),
        (reverse("desk:requests", args=[lib]) + "?tab=closed", 403),
        (reverse("desk:request", args=[lib, request.pk]), 403),
        (reverse("desk:runs", args=[lib]), 200),
        (reverse("desk:run", args=[lib, run.pk]), 200),
        (reverse("desk:handover", args=[lib]), 200),
        (reverse("desk:returns", args=[lib]), 403),
        (reverse("desk:stats", args=[lib]), 403),
    ]


def test_staff_open_every_page_others_are_refused(shelf):
    pages = _pages(shelf)
    callers = {
        "staff": client_as(shelf.staff),
        "library_admin": client_as(shelf.c.lib_admin),
        "consortium_admin": client_as(shelf.c.consortium_admin),
        "other_staff": client_as(shelf.c.other_staff),
        "reader": client_as(shelf.reader),
        "volunteer": client_as(shelf.c.volunteer),
        "anonymous": Client(),
    }
    for url, volunteer_status in pages:
        for name, client in callers.items():
            response = client.get(url)
            expected = {
                "staff": 200,
                "library_admin": 200,
                "consortium_admin": 200,
                "other_staff": 403,
                "reader": 403,
                "volunteer": volunteer_status,
                "anonymous": 302,
            }[name]
            assert response.status_code == expected, (name, url, response.status_code)
            if name == "anonymous":
                assert response.url.startswith("/accounts/login/?next=")


def test_unknown_library_is_404_and_another_librarys_objects_are_404(shelf, staff):
    request = submit(shelf)
    assert staff.get("/desk/NOPE/pick-list/").status_code == 404
    other = client_as(shelf.c.other_staff)
    # BLCU staff on their own desk cannot reach PKU's request through BLCU's URL.
    assert other.get(reverse("desk:request", args=["BLCU", request.pk])).status_code == 404


def test_volunteer_sees_only_their_runs_and_cannot_pick_or_plan(shelf):
    mine = ready_delivery(shelf, ("红楼梦",))
    run_mine = services.create_run(library=shelf.lib, by=shelf.staff, assignee=shelf.c.volunteer)
    other = ready_delivery(shelf, ("呐喊",), user=shelf.other_reader, building_code="DORM1")
    run_other = services.create_run(library=shelf.lib, by=shelf.staff, assignee=shelf.staff)
    volunteer = client_as(shelf.c.volunteer)
    lib = shelf.lib.code

    page = volunteer.get(reverse("desk:runs", args=[lib])).content.decode()
    assert reverse("desk:run", args=[lib, run_mine.pk]) in page
    assert reverse("desk:run", args=[lib, run_other.pk]) not in page
    assert "run_create" not in page and reverse("desk:run_create", args=[lib]) not in page
    assert volunteer.get(reverse("desk:run", args=[lib, run_other.pk])).status_code == 404
    # The desk menu offers a volunteer only runs and handover.
    assert reverse("desk:picklist", args=[lib]) not in page
    assert reverse("desk:handover", args=[lib]) in page

    line = lines_of(submit(shelf, ("时间简史",), user=shelf.other_reader, building_code="DORM1"))[0]
    refused = [
        (reverse("desk:line_found", args=[lib, line.request_id, line.pk]), {}),
        (
            reverse("desk:line_not_found", args=[lib, line.request_id, line.pk]),
            {"reason": "damaged"},
        ),
        (reverse("desk:print_pick_slip", args=[lib]), {}),
        (reverse("desk:run_create", args=[lib]), {}),
        (reverse("desk:stage", args=[lib, line.request_id]), {}),
        (reverse("desk:cancel", args=[lib, mine.pk]), {}),
        (reverse("desk:returns", args=[lib]), {"barcode": "PKU011"}),
    ]
    for url, data in refused:
        assert volunteer.post(url, data).status_code == 403, url
    line.refresh_from_db()
    assert line.status == LineStatus.REQUESTED
    assert not PickSlip.objects.exists()
    assert DeliveryRun.objects.count() == 2

    # Their own run: dispatch it and hand over with the reader's code.
    response = volunteer.post(reverse("desk:run_dispatch", args=[lib, run_mine.pk]), follow=True)
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.status == RequestStatus.OUT_FOR_DELIVERY
    # The other run is not theirs: not found, nothing leaves.
    assert volunteer.post(reverse("desk:run_dispatch", args=[lib, run_other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.status == RequestStatus.READY
    response = volunteer.post(
        reverse("desk:handover", args=[lib]),
        {"request": mine.pk, "pickup_code": mine.pickup_code},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == RequestStatus.DELIVERED
    # A request outside their runs cannot be looked up at the handover page.
    response = volunteer.get(reverse("desk:handover", args=[lib]), {"request": other.pk})
    assert response.context["borrow"] is None
    assert messages_of(response)[-1][0] == "error"


# --- pick list and pick slips ----------------------------------------------------------------


def test_pick_list_in_shelving_order_with_any_copy_and_print_state(shelf, staff):
    request = submit(shelf, ("数据结构", "红楼梦", "论语译注"))
    response = staff.get(reverse("desk:picklist", args=["PKU"]))
    assert response.status_code == 200
    rows = response.context["rows"]
    # 中文书库 before 自然科学书库; B222 before I242 on the same shelf.
    assert [r["title"] for r in rows] == ["论语译注", "红楼梦", "数据结构"]
    page = response.content.decode()
    assert "PKU011" in page and f"#{request.pk}" in page
    assert all(r["printed"] is None for r in rows)
    assert response.context["unprinted"] == 3


def test_pick_list_queries_do_not_grow_with_lines(shelf, staff, django_assert_max_num_queries):
    for title in ("红楼梦", "呐喊", "数据结构", "时间简史", "论语译注"):
        submit(shelf, (title,), user=shelf.other_reader if title == "呐喊" else shelf.reader)
    services.print_pick_slip(library=shelf.lib, by=shelf.staff)
    submit(shelf, ("红楼梦",), user=shelf.other_reader)
    with django_assert_max_num_queries(10):
        response = staff.get(reverse("desk:picklist", args=["PKU"]), {"service_point": "MAIN"})
    assert len(response.context["rows"]) == 6


def test_found_takes_another_copy_and_not_found_needs_a_reason(shelf, staff):
    request = submit(shelf, ("红楼梦", "呐喊"))
    first, second = lines_of(request)
    url = reverse("desk:picklist", args=["PKU"])
    response = staff.post(
        reverse("desk:line_found", args=["PKU", request.pk, first.pk]),
        {"barcode": "PKU013", "next": url + "?service_point=MAIN"},
    )
    assert response.status_code == 302 and response.url == url + "?service_point=MAIN"
    first.refresh_from_db()
    assert (first.status, first.item.barcode) == (LineStatus.FOUND, "PKU013")

    bad = staff.post(
        reverse("desk:line_not_found", args=["PKU", request.pk, second.pk]),
        {"reason": "eaten"},
        follow=True,
    )
    assert messages_of(bad)[-1][0] == "error"
    second.refresh_from_db()
    assert second.status == LineStatus.REQUESTED

    staff.post(
        reverse("desk:line_not_found", args=["PKU", request.pk, second.pk]), {"reason": "damaged"}
    )
    second.refresh_from_db()
    assert (second.status, second.not_found_reason) == (LineStatus.NOT_FOUND, "damaged")
    assert second.item.status == ItemStatus.MISSING

    # Twice is a refused transition: a message, nothing changed.
    again = staff.post(
        reverse("desk:line_found", args=["PKU", request.pk, second.pk]), {}, follow=True
    )
    assert messages_of(again)[-1][0] == "error"
    second.refresh_from_db()
    assert second.status == LineStatus.NOT_FOUND


def test_wrong_copy_is_refused_and_changes_nothing(shelf, staff):
    request = submit(shelf, ("红楼梦",))
    (line,) = lines_of(request)
    response = staff.post(
        reverse("desk:line_found", args=["PKU", request.pk, line.pk]),
        {"barcode": "PKU021"},  # a copy of 呐喊
        follow=True,
    )
    assert messages_of(response)[-1][0] == "error"
    line.refresh_from_db()
    assert (line.status, line.item.barcode) == (LineStatus.REQUESTED, "PKU011")
    assert Item.objects.get(barcode="PKU021").status == ItemStatus.AVAILABLE


def test_printing_remembers_lines_so_the_next_print_leaves_them_out(shelf, staff):
    first = submit(shelf, ("红楼梦", "呐喊"))
    response = staff.post(reverse("desk:print_pick_slip", args=["PKU"]), {})
    slip1 = PickSlip.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("desk:pick_slip", args=["PKU", slip1.pk])
    assert set(slip1.lines.values_list("request_id", flat=True)) == {first.pk}

    second = submit(shelf, ("数据结构",), user=shelf.other_reader)
    staff.post(reverse("desk:print_pick_slip", args=["PKU"]), {"service_point": "MAIN"})
    slip2 = PickSlip.objects.exclude(pk=slip1.pk).get()
    assert list(slip2.lines.values_list("request_id", flat=True)) == [second.pk]

    # Nothing left to print: a message, no empty slip.
    response = staff.post(reverse("desk:print_pick_slip", args=["PKU"]), {}, follow=True)
    assert messages_of(response)[-1][0] == "error"
    assert PickSlip.objects.count() == 2

    page = staff.get(reverse("desk:picklist", args=["PKU"]))
    printed = {row["title"]: row["printed"].pk for row in page.context["rows"]}
    assert printed == {"红楼梦": slip1.pk, "呐喊": slip1.pk, "数据结构": slip2.pk}
    assert page.context["unprinted"] == 0
    assert len(page.context["slips"]) == 2

    view = staff.get(reverse("desk:pick_slip", args=["PKU", slip1.pk]))
    html = view.content.decode()
    assert "红楼梦" in html and "呐喊" in html and "数据结构" not in html
    assert html.count('class="box"') == 4  # found / not found squares per line
    assert reverse("desk:pick_slip_pdf", args=["PKU", slip1.pk]) in html


def test_pick_slip_pdf_is_a_pdf_with_the_titles(shelf, staff):
    pypdf = pytest.importorskip("pypdf")
    submit(shelf, ("红楼梦", "数据结构"))
    slip = services.print_pick_slip(library=shelf.lib, by=shelf.staff)
    response = staff.get(reverse("desk:pick_slip_pdf", args=["PKU", slip.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in ("红楼梦", "数据结构", "PKU011", "I242.4/1"):
        assert expected in text
    # Another library's slip is not there for PKU's URL.
    assert staff.get(reverse("desk:pick_slip_pdf", args=["BLCU", slip.pk])).status_code == 403


# --- requests ------------------------------------------------------------------------------


def test_request_list_by_status_with_bounded_queries(shelf, staff, django_assert_max_num_queries):
    waiting = [submit(shelf, (t,)) for t in ("红楼梦", "呐喊", "数据结构")]
    cancelled = submit(shelf, ("时间简史",), user=shelf.other_reader)
    services.cancel_request(request_id=cancelled.pk, by=shelf.staff)
    with django_assert_max_num_queries(12):
        response = staff.get(reverse("desk:requests", args=["PKU"]))
    assert [r.pk for r in response.context["page"].object_list] == [r.pk for r in waiting]
    counts = {t["key"]: t["count"] for t in response.context["tabs"]}
    assert counts == {"to_pick": 3, "picking": 0, "ready": 0, "out": 0, "awaiting": 0, "closed": 1}
    closed = staff.get(reverse("desk:requests", args=["PKU"]), {"tab": "closed"})
    assert [r.pk for r in closed.context["page"].object_list] == [cancelled.pk]


def test_request_page_queries_do_not_grow_with_its_history(shelf, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(request) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff.get(reverse("desk:request", args=["PKU", request.pk])).status_code == 200
        return len(queries)

    fresh = submit(shelf, ("红楼梦",))
    worked = submit(shelf, ("呐喊", "数据结构"), user=shelf.other_reader, building_code="DORM1")
    for line in lines_of(worked):
        services.mark_found(request_id=worked.pk, line_id=line.pk, by=shelf.staff)
    services.disinfect(request_id=worked.pk, by=shelf.staff, method="uv", minutes=10)
    # Four events and a disinfection, each naming a person, cost no more than none.
    assert queries_for(fresh) == queries_for(worked)


def test_request_page_disinfect_stage_dispatch(shelf, staff):
    request = submit(shelf, ("红楼梦", "呐喊"))
    first, second = lines_of(request)
    url = reverse("desk:request", args=["PKU", request.pk])
    page = staff.get(url)
    assert page.context["can_pick"] and not page.context["can_disinfect"]

    # Staging with a book still to pick is refused: message, nothing changes.
    staff.post(reverse("desk:line_found", args=["PKU", request.pk, first.pk]), {})
    response = staff.post(reverse("desk:stage", args=["PKU", request.pk]), {}, follow=True)
    assert messages_of(response)[-1][0] == "error"
    request.refresh_from_db()
    assert request.status == RequestStatus.PICKING

    staff.post(
        reverse("desk:line_not_found", args=["PKU", request.pk, second.pk]), {"reason": "missing"}
    )
    bad = staff.post(
        reverse("desk:disinfect", args=["PKU", request.pk]), {"method": "uv", "minutes": "0"}
    )
    assert bad.status_code == 302 and not Disinfection.objects.exists()
    staff.post(
        reverse("desk:disinfect", args=["PKU", request.pk]), {"method": "uv", "minutes": "30"}
    )
    record = Disinfection.objects.get()
    assert (record.method, record.minutes, record.by) == ("uv", 30, shelf.staff)

    page = staff.get(url).content.decode()
    assert f'name="shelf_slot" id="id_shelf_slot" value="{request.queue_number}"' in page
    response = staff.post(reverse("desk:stage", args=["PKU", request.pk]), {"shelf_slot": "A-7"})
    assert response.status_code == 302 and response.url == url
    request.refresh_from_db()
    assert (request.status, request.shelf_slot) == (RequestStatus.READY, "A-7")

    staff.post(reverse("desk:dispatch", args=["PKU", request.pk]))
    request.refresh_from_db()
    assert request.status == RequestStatus.OUT_FOR_DELIVERY
    page = staff.get(url)
    html = page.content.decode()
    assert "A-7" in html and "紫外" in html or "UV" in html
    assert page.context["can_hand_over"]


def test_staff_cancel_sends_staged_books_back_through_the_desk(shelf, staff):
    request = ready_delivery(shelf, ("呐喊",))
    staff.post(reverse("desk:cancel", args=["PKU", request.pk]))
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    # Staged: it waits on the hold shelf to be checked in at the desk's returns page.
    assert Item.objects.get(barcode="PKU021").status == ItemStatus.IN_TRANSIT
    staff.post(reverse("desk:returns", args=["PKU"]), {"barcode": "PKU021"})
    assert Item.objects.get(barcode="PKU021").status == ItemStatus.AVAILABLE
    # Cancelling again is refused with a message.
    response = staff.post(reverse("desk:cancel", args=["PKU", request.pk]), follow=True)
    assert messages_of(response)[-1][0] == "error"


# --- runs ----------------------------------------------------------------------------------


def test_create_run_route_sheet_and_dispatch(shelf, staff):
    shelf.reader.reader.phone = "13800000001"
    shelf.reader.reader.save()
    first = ready_delivery(shelf, ("红楼梦", "呐喊"))
    page = staff.get(reverse("desk:runs", args=["PKU"]))
    assert page.context["buildings"] == [{"code": "DORM1", "name": "学生宿舍1号楼", "requests": 1}]
    assert shelf.c.volunteer in list(page.context["assignees"])
    assert shelf.reader not in list(page.context["assignees"])

    response = staff.post(
        reverse("desk:run_create", args=["PKU"]),
        {"building": ["DORM1"], "assignee": shelf.c.volunteer.pk},
    )
    run = DeliveryRun.objects.get()
    assert response.url == reverse("desk:run", args=["PKU", run.pk])
    assert run.assignee == shelf.c.volunteer
    sheet = staff.get(response.url)
    html = sheet.content.decode()
    for expected in ("学生宿舍1号楼", "张三", "2020000001", "13800000001", "红楼梦", "呐喊"):
        assert expected in html
    assert sheet.context["stops"][0]["requests"][0].books.__len__() == 2

    # Nothing more is ready: creating another run is refused.
    response = staff.post(reverse("desk:run_create", args=["PKU"]), {}, follow=True)
    assert messages_of(response)[-1][0] == "error"
    assert DeliveryRun.objects.count() == 1
    # An assignee who is not staff here is refused.
    ready_delivery(shelf, ("数据结构",), user=shelf.other_reader, building_code="DORM1")
    response = staff.post(
        reverse("desk:run_create", args=["PKU"]), {"assignee": shelf.c.other_staff.pk}, follow=True
    )
    assert messages_of(response)[-1][0] == "error"
    assert DeliveryRun.objects.count() == 1

    staff.post(reverse("desk:run_dispatch", args=["PKU", run.pk]))
    first.refresh_from_db()
    run.refresh_from_db()
    assert first.status == RequestStatus.OUT_FOR_DELIVERY
    assert run.status == DeliveryRun.Status.DISPATCHED


# --- handover ------------------------------------------------------------------------------


def test_parse_request_ref():
    assert parse_request_ref("libreach:request:12:123456") == (12, "123456")
    assert parse_request_ref(" #12 ") == (12, "")
    assert parse_request_ref("12") == (12, "")
    assert parse_request_ref("abc") == (None, "")
    assert parse_request_ref("") == (None, "")


def test_handover_wrong_code_refused_right_code_lends(shelf, staff):
    request = ready_delivery(shelf, ("红楼梦", "呐喊"))
    services.dispatch(request_id=request.pk, by=shelf.staff)
    url = reverse("desk:handover", args=["PKU"])
    wrong = "000000" if request.pickup_code != "000000" else "111111"

    found = staff.get(url, {"request": f"libreach:request:{request.pk}:{request.pickup_code}"})
    assert found.context["borrow"].pk == request.pk
    assert found.context["code"] == request.pickup_code

    response = staff.post(url, {"request": request.pk, "pickup_code": wrong})
    assert response.status_code == 403
    assert messages_of(response)[-1][0] == "error"
    request.refresh_from_db()
    assert request.status == RequestStatus.OUT_FOR_DELIVERY
    assert not request.lines.filter(loan__isnull=False).exists()

    response = staff.post(url, {"request": request.pk, "pickup_code": request.pickup_code})
    assert response.status_code == 302 and response.url == f"{url}?request={request.pk}"
    done = staff.get(response.url)
    request.refresh_from_db()
    assert request.status == RequestStatus.DELIVERED
    assert len(done.context["handed_over"]) == 2
    html = done.content.decode()
    due = request.lines.first().loan.due_date
    assert format_date(due) in html  # in the page's language: 2027年1月1日


def test_proxy_handover_shows_proxy_and_checks_the_id_number(shelf, staff):
    request = submit(
        shelf,
        ("时间简史",),
        mode="proxy",
        service_point_code="MAIN",
        proxy=services.Proxy("王五", "110101199001011234"),
    )
    (line,) = lines_of(request)
    services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=request.pk, by=shelf.staff)
    url = reverse("desk:handover", args=["PKU"])
    page = staff.get(url, {"request": str(request.pk)})
    html = page.content.decode()
    assert "王五" in html and "1234" in html and "110101199001011234" not in html
    assert 'name="proxy_id_number"' in html

    response = staff.post(
        url,
        {"request": request.pk, "pickup_code": request.pickup_code, "proxy_id_number": "1101"},
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_PICKUP

    staff.post(
        url,
        {
            "request": request.pk,
            "pickup_code": request.pickup_code,
            "proxy_id_number": "110101 199001011234",
        },
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.COLLECTED


# --- statistics ----------------------------------------------------------------------------


def test_stats_page_figures_table_and_chart(shelf, staff):
    request = ready_delivery(shelf, ("红楼梦",))
    services.dispatch(request_id=request.pk, by=shelf.staff)
    services.handover(request_id=request.pk, by=shelf.staff, pickup_code=request.pickup_code)
    unfilled = submit(shelf, ("呐喊",), user=shelf.other_reader, building_code="DORM1")
    (line,) = lines_of(unfilled)
    services.mark_not_found(
        request_id=unfilled.pk, line_id=line.pk, by=shelf.staff, reason="not_on_shelf"
    )

    response = staff.get(reverse("desk:stats", args=["PKU"]))  # default: this month
    assert response.status_code == 200
    figures = response.context["figures"]
    overall = dict((str(k), v) for k, v in figures["overall"])
    assert figures["requests"] == 2 and figures["readers"] == 2
    assert figures["volumes_requested"] == 2 and figures["volumes_fulfilled"] == 1
    assert len(overall) == 8
    assert figures["not_found_percent"] == 50.0
    assert figures["unfilled_requests"] == 1
    html = response.content.decode()
    assert "<svg" in html and 'id="by-mode"' in html and 'id="by-building"' in html
    assert "学生宿舍1号楼" in html

    # A range with nothing in it, and a reversed range.
    empty = staff.get(
        reverse("desk:stats", args=["PKU"]), {"start": "2020-02-01", "end": "2020-02-29"}
    )
    assert empty.context["figures"]["requests"] == 0
    bad = staff.get(
        reverse("desk:stats", args=["PKU"]), {"start": "2020-02-29", "end": "2020-02-01"}
    )
    assert bad.status_code == 200 and bad.context["figures"] is None
    assert bad.context["form"].errors
