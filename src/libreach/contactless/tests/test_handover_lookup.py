"""The handover page finds a reader's ready requests by card number, pickup code, name
or request number (issue 7, item 12): only this library's, only those ready to hand over,
only what the caller may see; finding is not handing over (the code is still checked)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from libreach.accounts import services as account_services
from libreach.catalog.services import ItemInput, create_record
from libreach.contactless import desk_selectors, services
from libreach.contactless.desk_selectors import MatchedBy
from libreach.contactless.models import BorrowRequest, RequestStatus
from libreach.contactless.tests.test_desk_pages import (
    client_as,
    lines_of,
    messages_of,
    ready_delivery,
    submit,
)
from libreach.testing.fixtures import PASSWORD


def ready_pickup(shelf, titles, *, user=None, mode="pickup", **extra) -> BorrowRequest:
    request = submit(shelf, titles, user=user, mode=mode, service_point_code="MAIN", **extra)
    for line in lines_of(request):
        services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=request.pk, by=shelf.staff)
    return BorrowRequest.objects.get(pk=request.pk)


def out_for_delivery(shelf, titles, **extra) -> BorrowRequest:
    request = ready_delivery(shelf, titles, **extra)
    services.dispatch(request_id=request.pk, by=shelf.staff)
    return BorrowRequest.objects.get(pk=request.pk)


@pytest.fixture
def desk(shelf):
    """张三 (2020000001) has two requests ready (a pickup, a delivery out), one still being
    picked and one collected; 李四 one ready for a proxy; a reader of BLCU also named 张三
    has one ready at BLCU."""
    zhang_pickup = ready_pickup(shelf, ("红楼梦",))
    zhang_out = out_for_delivery(shelf, ("呐喊",))
    zhang_picking = submit(shelf, ("数据结构",))
    done = ready_pickup(shelf, ("论语译注",))
    services.handover(request_id=done.pk, by=shelf.staff, pickup_code=done.pickup_code)
    li_proxy = ready_pickup(
        shelf,
        ("时间简史",),
        user=shelf.other_reader,
        mode="proxy",
        proxy=services.Proxy("王五", "110101199001011234"),
    )
    other_lib = shelf.c.other_lib
    record = create_record(
        library=other_lib,
        title="骆驼祥子",
        authors=["老舍"],
        call_number="I246.5/1",
        items=[ItemInput(barcode="BLCU0001", location="书库")],
    )
    blcu_reader = account_services.create_reader(
        library=other_lib,
        card_number="B2020000009",
        name="张三丰",
        reader_type="undergraduate",
        password=PASSWORD,
        building="DORM1",
    ).user
    blcu = services.submit_request(
        user=blcu_reader,
        library=other_lib,
        mode="pickup",
        lines=[services.LineSpec(record_id=record.pk)],
        service_point_code="MAIN",
    )
    (line,) = lines_of(blcu)
    services.mark_found(request_id=blcu.pk, line_id=line.pk, by=shelf.c.other_staff)
    services.stage(request_id=blcu.pk, by=shelf.c.other_staff)
    return {
        "zhang_pickup": zhang_pickup,
        "zhang_out": zhang_out,
        "zhang_picking": zhang_picking,
        "done": done,
        "li_proxy": li_proxy,
        "blcu": BorrowRequest.objects.get(pk=blcu.pk),
    }


def found(shelf, text: str, user=None) -> list[int]:
    lookup = desk_selectors.handover_lookup(user or shelf.staff, shelf.lib, text)
    return sorted(match.request.pk for match in lookup.matches)


def test_each_way_of_finding(shelf, desk):
    zhang = sorted([desk["zhang_pickup"].pk, desk["zhang_out"].pk])
    li = desk["li_proxy"]
    # The card number, as typed with a Chinese input method or read out with spaces.
    assert found(shelf, "2020000001") == zhang
    assert found(shelf, "２０２０ ０００ ００１") == zhang
    # The name, whole or in part; Chinese or Latin, any case.
    assert found(shelf, "张三") == zhang
    assert found(shelf, " 张 ") == zhang  # 张三丰 is BLCU's
    assert found(shelf, "李") == [li.pk]
    # The proxy's name finds the request they collect.
    assert found(shelf, "王五") == [li.pk]
    # The six-digit pickup code, full width too.
    code = li.pickup_code
    assert li.pk in found(shelf, code)
    assert li.pk in found(
        shelf, code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    )
    # The request number, as typed.
    assert found(shelf, f"#{li.pk}") == [li.pk]
    # Nothing typed, or nothing like it.
    assert found(shelf, "") == [] and found(shelf, "   ") == []
    assert found(shelf, "Nobody") == []


def test_matches_say_what_they_were_found_by(shelf, desk):
    shelf.reader.name = "Zhang San"
    shelf.reader.save()
    lookup = desk_selectors.handover_lookup(shelf.staff, shelf.lib, "zhang")
    assert {m.matched_by for m in lookup.matches} == {(MatchedBy.NAME,)}
    li = desk["li_proxy"]
    (match,) = desk_selectors.handover_lookup(shelf.staff, shelf.lib, li.pickup_code).matches
    assert MatchedBy.PICKUP_CODE in match.matched_by
    if match.matched_by == (MatchedBy.PICKUP_CODE,):
        assert match.by_code_only


def test_not_ready_and_done_requests_are_not_listed(shelf, desk):
    listed = set(found(shelf, "2020000001"))
    assert desk["zhang_picking"].pk not in listed
    assert desk["done"].pk not in listed
    assert found(shelf, desk["zhang_picking"].pickup_code) == []


def test_other_librarys_requests_are_never_found(shelf, desk):
    blcu = desk["blcu"]
    for text in ("张三丰", "B2020000009", blcu.pickup_code, str(blcu.pk)):
        assert blcu.pk not in found(shelf, text), text
    # Not by a consortium admin at PKU's desk either: the lookup is of one library.
    assert blcu.pk not in found(shelf, "张三丰", user=shelf.c.consortium_admin)


def test_volunteer_finds_only_requests_on_their_runs(shelf, desk):
    mine = ready_delivery(shelf, ("数据结构",), user=shelf.other_reader)
    run = services.create_run(library=shelf.lib, by=shelf.staff, assignee=shelf.c.volunteer)
    services.dispatch_run(run_id=run.pk, by=shelf.c.volunteer)
    volunteer = shelf.c.volunteer
    assert found(shelf, "李四", user=volunteer) == [mine.pk]
    assert found(shelf, "2020000001", user=volunteer) == []
    assert found(shelf, desk["li_proxy"].pickup_code, user=volunteer) == []
    # Readers and other libraries' staff find nothing, whatever they type.
    for user in (shelf.reader, shelf.c.other_staff):
        assert found(shelf, "李四", user=user) == []


def test_queries_do_not_grow_with_matches(shelf, desk, django_assert_num_queries):
    staff = shelf.staff
    staff.roles_at(shelf.lib)  # the desk's door already read the roles
    with django_assert_num_queries(2):
        one = desk_selectors.handover_lookup(staff, shelf.lib, "李四")
    assert len(one.matches) == 1
    for n, title in enumerate(("红楼梦", "数据结构"), start=3):
        reader = account_services.create_reader(
            library=shelf.lib,
            card_number=f"202000000{n}",
            name=f"张三{n}",
            reader_type="undergraduate",
            password=None,
        ).user
        ready_pickup(shelf, (title,), user=reader)
    with django_assert_num_queries(2):
        many = desk_selectors.handover_lookup(staff, shelf.lib, "张三")
    assert len(many.matches) == 4
    for match in many.matches:  # read from what was fetched, no query more
        assert match.request.reader.user.name and match.request.staged_lines


def test_the_list_is_limited(shelf, desk):
    lookup = desk_selectors.handover_lookup(shelf.staff, shelf.lib, "张三", limit=1)
    assert len(lookup.matches) == 1 and lookup.more


# --- the page ------------------------------------------------------------------------------


def test_page_by_card_lists_the_readers_ready_requests_then_hands_over_with_the_code(shelf, desk):
    staff = client_as(shelf.staff)
    url = reverse("desk:handover", args=["PKU"])
    page = staff.get(url, {"q": "2020000001"})
    assert page.status_code == 200
    html = page.content.decode()
    rows = page.context["rows"]
    assert sorted(row["request"].pk for row in rows) == sorted(
        [desk["zhang_pickup"].pk, desk["zhang_out"].pk]
    )
    assert "张三" in html and "红楼梦" in html and "呐喊" in html and "总馆东门" in html
    assert "数据结构" not in html  # still being picked
    # Found by the card: no code is filled in, and none is shown.
    for request in (desk["zhang_pickup"], desk["zhang_out"]):
        assert request.pickup_code not in html
    assert page.context["borrow"] is None

    chosen = desk["zhang_pickup"]
    page = staff.get(url, {"q": "2020000001", "request": chosen.pk})
    assert page.context["borrow"].pk == chosen.pk and page.context["code"] == ""
    assert page.context["can_hand_over"]
    # Finding is not handing over: a wrong code lends nothing.
    wrong = "000000" if chosen.pickup_code != "000000" else "111111"
    response = staff.post(url, {"request": chosen.pk, "pickup_code": wrong})
    assert response.status_code == 403
    chosen.refresh_from_db()
    assert chosen.status == RequestStatus.AWAITING_PICKUP
    staff.post(url, {"request": chosen.pk, "pickup_code": chosen.pickup_code})
    chosen.refresh_from_db()
    assert chosen.status == RequestStatus.COLLECTED
    # Handed over: no longer in the list; the one left opens at once.
    page = staff.get(url, {"q": "2020000001"})
    assert page.context["rows"] == [] and page.context["borrow"].pk == desk["zhang_out"].pk


def test_page_by_name_and_by_code(shelf, desk):
    staff = client_as(shelf.staff)
    url = reverse("desk:handover", args=["PKU"])
    li = desk["li_proxy"]
    # One match opens its handover step, the proxy's ID still asked for.
    page = staff.get(url, {"q": "李"})
    assert page.context["borrow"].pk == li.pk
    html = page.content.decode()
    assert 'name="proxy_id_number"' in html and "110101199001011234" not in html
    assert li.pickup_code not in html
    # By the code the reader gave: it is filled in, and the desk is told to check the card.
    page = staff.get(url, {"q": li.pickup_code})
    if len(page.context["lookup"].matches) == 1:
        assert page.context["borrow"].pk == li.pk and page.context["code"] == li.pickup_code
        if page.context["lookup"].matches[0].by_code_only:
            assert page.context["check_card"]
    # Nothing ready matches: said so, nothing shown.
    page = staff.get(url, {"q": "张三丰"})
    assert page.context["borrow"] is None and page.context["rows"] == []
    assert messages_of(page)[-1][0] == "info"


def test_page_by_request_number_still_shows_a_request_in_any_state(shelf, desk):
    staff = client_as(shelf.staff)
    url = reverse("desk:handover", args=["PKU"])
    done = desk["done"]
    page = staff.get(url, {"q": str(done.pk)})
    assert page.context["borrow"].pk == done.pk
    assert len(page.context["handed_over"]) == 1
    # A scanned QR code, typed into the same box, carries its code.
    zhang = desk["zhang_pickup"]
    page = staff.get(url, {"q": f"libreach:request:{zhang.pk}:{zhang.pickup_code}"})
    assert page.context["borrow"].pk == zhang.pk and page.context["code"] == zhang.pickup_code
    # Another library's request number is not there.
    page = staff.get(url, {"q": str(desk["blcu"].pk)})
    assert page.context["borrow"] is None


@pytest.mark.parametrize("who", ["anonymous", "reader", "other_staff"])
def test_page_lookup_refused(shelf, desk, who):
    client = client_as(shelf.c.actor(who))
    response = client.get(reverse("desk:handover", args=["PKU"]), {"q": "张三"})
    assert response.status_code in (302, 403)
    if who == "anonymous":
        assert "/accounts/login/" in response.url
    else:
        assert response.status_code == 403
