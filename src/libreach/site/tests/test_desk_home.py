"""The desk home: today's work as counts, each one right on a small fixture, zero when
nothing waits, another library's work left out, a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from libreach.accounts import services as account_services
from libreach.catalog import services as catalog_services
from libreach.catalog.models import Item, ItemStatus
from libreach.circulation.models import CirculationSettings
from libreach.contactless import services
from libreach.contactless.tests.conftest import TZ, Shelf
from libreach.site.selectors import desk_work
from libreach.testing.fixtures import PASSWORD

# A Tuesday morning in Beijing; the counts' "today" is 2026-03-03.
NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=TZ)
ZEROS = {
    "to_pick": 0,
    "to_disinfect": None,
    "to_stage": 0,
    "ready_for_run": 0,
    "runs_out": 0,
    "pickups_today": 0,
    "holds_last_day": 0,
    "holds_overdue": 0,
    "quarantine_due": 0,
    "to_check_in": 0,
    "dd_to_review": 0,
    "dd_to_lend": 0,
    "eres_offers_ending": 0,
    "eres_links_broken": 0,
}


@pytest.fixture
def shelf(consortium):
    with time_machine.travel(NOW, tick=False):
        yield Shelf(consortium)


def lines(title):
    return [services.LineSpec(record_id=title.pk)]


def submit(shelf, title, *, mode="delivery", user=None, at=NOW, **extra):
    return services.submit_request(
        user=user or shelf.reader,
        library=shelf.lib,
        mode=mode,
        lines=lines(shelf.record(title)),
        service_point_code=None if mode == "delivery" else "MAIN",
        at=at,
        **extra,
    )


def pick_and_stage(shelf, request, at=NOW):
    for line in request.lines.all():
        services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff, at=at)
    return services.stage(request_id=request.pk, by=shelf.staff, at=at)


def other_library_work(consortium):
    """BLCU has a request to pick and a copy in quarantine: none of PKU's work."""
    record = catalog_services.create_record(
        library=consortium.other_lib,
        title="围城",
        authors=["钱锺书"],
        call_number="I246.5/1",
        items=[catalog_services.ItemInput(barcode="BLCU001", location="中文书库")],
    )
    reader = account_services.create_reader(
        library=consortium.other_lib,
        card_number="2021000001",
        name="王五",
        reader_type="undergraduate",
        password=PASSWORD,
        building="DORM1",
    ).user
    services.submit_request(
        user=reader,
        library=consortium.other_lib,
        mode="delivery",
        lines=[services.LineSpec(record_id=record.pk)],
        at=NOW,
    )
    catalog_services.create_record(
        library=consortium.other_lib,
        title="边城",
        authors=["沈从文"],
        items=[catalog_services.ItemInput(barcode="BLCU002", location="中文书库")],
    )
    Item.objects.filter(barcode="BLCU002").update(
        status=ItemStatus.QUARANTINED, quarantine_until=NOW + dt.timedelta(hours=2)
    )


@pytest.fixture
def busy_morning(shelf, consortium):
    """One of each kind of work at PKU, and work at BLCU that PKU must not count."""
    with time_machine.travel(NOW, tick=False):
        # Two books to pick (a request of two lines).
        services.submit_request(
            user=shelf.reader,
            library=shelf.lib,
            mode="delivery",
            lines=lines(shelf.record("红楼梦")) + lines(shelf.record("呐喊")),
            at=NOW,
        )
        # Found, nothing left to pick: to stage; its pickup slot is this afternoon.
        booked = submit(
            shelf,
            "数据结构",
            mode="pickup",
            user=shelf.other_reader,
            slot_start=NOW.replace(hour=14),
        )
        for line in booked.lines.all():
            services.mark_found(request_id=booked.pk, line_id=line.pk, by=shelf.staff)
        # Staged for delivery and sent out on a run.
        pick_and_stage(
            shelf, submit(shelf, "红楼梦", user=shelf.other_reader, building_code="DORM1")
        )
        run = services.create_run(library=shelf.lib, by=shelf.staff)
        services.dispatch_run(run_id=run.pk, by=shelf.staff)
        # Staged for delivery, no run yet.
        pick_and_stage(shelf, submit(shelf, "时间简史"))
        # Staged a week ago (hold of 7 days): today is its last day on the hold shelf.
        week_ago = NOW - dt.timedelta(days=7)
        pick_and_stage(shelf, submit(shelf, "论语译注", mode="pickup", at=week_ago), week_ago)
        # Staged eight days ago: past its hold date, the expiry job not run yet.
        eight_days = NOW - dt.timedelta(days=8)
        late = submit(shelf, "论语译注", mode="pickup", user=shelf.other_reader, at=eight_days)
        pick_and_stage(shelf, late, eight_days)
        # Quarantine ending this evening (counted) and tomorrow (not); a copy given back
        # in transit (to check in) and one still held by a line (not yet given back).
        quarantined = Item.objects.filter(pk=shelf.copies("红楼梦")[2].pk)
        quarantined.update(status=ItemStatus.QUARANTINED, quarantine_until=NOW.replace(hour=21))
        Item.objects.filter(pk=shelf.copies("呐喊")[0].pk).update(
            status=ItemStatus.QUARANTINED, quarantine_until=NOW + dt.timedelta(days=1)
        )
        free, held = shelf.copies("数据结构")[1], shelf.copies("数据结构")[0]
        Item.objects.filter(pk__in=[free.pk, held.pk]).update(status=ItemStatus.IN_TRANSIT)
        other_library_work(consortium)
    return shelf


def counts_of(shelf, library=None, now=NOW):
    library = library or shelf.lib
    return desk_work([library], by=shelf.staff, now=now)[library.pk]


def test_nothing_due_is_all_zeros(shelf):
    assert counts_of(shelf) == ZEROS


def test_each_count_of_a_busy_morning(busy_morning, django_assert_num_queries):
    shelf = busy_morning
    assert counts_of(shelf) == {
        **ZEROS,
        "to_pick": 2,
        "to_stage": 1,
        "ready_for_run": 1,
        "runs_out": 1,
        "pickups_today": 1,
        "holds_last_day": 1,
        "holds_overdue": 1,
        "quarantine_due": 1,
        "to_check_in": 1,
    }


def test_another_librarys_work_is_its_own(busy_morning, consortium):
    both = desk_work(
        [consortium.lib, consortium.other_lib], by=consortium.consortium_admin, now=NOW
    )
    assert both[consortium.lib.pk] == counts_of(busy_morning)
    assert both[consortium.other_lib.pk] == {**ZEROS, "to_pick": 1, "quarantine_due": 1}


def test_today_is_the_local_date(busy_morning):
    # 23:30 UTC on the 2nd is 07:30 on the 3rd in Beijing: the same local day as NOW.
    utc_evening = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
    assert counts_of(busy_morning, now=utc_evening) == counts_of(busy_morning)
    # The next day the afternoon slot is past (not today) and the last-day hold is late.
    tomorrow = counts_of(busy_morning, now=NOW + dt.timedelta(days=1))
    assert tomorrow["pickups_today"] == 0
    assert (tomorrow["holds_last_day"], tomorrow["holds_overdue"]) == (0, 2)
    assert tomorrow["quarantine_due"] == 2


def test_disinfection_required_counts_requests_to_disinfect_before_staging(shelf):
    CirculationSettings.objects.create(library=shelf.lib, requires_disinfection=True)
    with time_machine.travel(NOW, tick=False):
        request = submit(shelf, "时间简史")
        line = request.lines.get()
        services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
        found = counts_of(shelf)
        services.disinfect(request_id=request.pk, by=shelf.staff, method="uv", minutes=20)
        disinfected = counts_of(shelf)
    assert (found["to_disinfect"], found["to_stage"]) == (1, 0)
    assert (disinfected["to_disinfect"], disinfected["to_stage"]) == (0, 1)


def test_the_counts_take_a_fixed_number_of_queries(
    busy_morning, consortium, django_assert_num_queries
):
    # The user's roles (one query, then cached), six contactless counts, one quarantine,
    # two of document delivery, two of e-resources.
    from libreach.accounts.models import User

    staff = User.objects.get(pk=consortium.staff.pk)
    with django_assert_num_queries(12):
        desk_work([consortium.lib], by=staff, now=NOW)
    admin = User.objects.get(pk=consortium.consortium_admin.pk)
    with django_assert_num_queries(11):  # a consortium admin has no roles to read
        desk_work([consortium.lib, consortium.other_lib], by=admin, now=NOW)


def test_only_staff_of_each_library_get_its_counts(busy_morning, consortium):
    from libreach.core.errors import PermissionDenied

    for outsider in (consortium.volunteer, consortium.reader, consortium.other_staff):
        with pytest.raises(PermissionDenied):
            desk_work([consortium.lib], by=outsider, now=NOW)


# --- the pages ------------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_desk_home_links_each_count_to_where_the_work_is_done(busy_morning, consortium):
    with time_machine.travel(NOW, tick=False):
        response = signed_in(consortium.staff).get(reverse("desk:library", args=["PKU"]))
    assert response.status_code == 200
    work = {w.key: w for w in response.context["work"]}
    assert "to_disinfect" not in work  # PKU does not require disinfection
    assert (work["to_pick"].count, work["to_pick"].url) == (2, "/desk/PKU/pick-list/")
    assert work["to_stage"].url == "/desk/PKU/requests/?tab=picking"
    assert work["runs_out"].url == "/desk/PKU/runs/"
    assert work["pickups_today"].url == "/desk/PKU/handover/"
    assert work["holds_overdue"].url == "/desk/PKU/requests/?tab=awaiting"
    assert work["quarantine_due"].url == "/desk/PKU/quarantine/"
    assert work["to_check_in"].url == "/desk/PKU/returns/"
    page = response.content.decode()
    assert 'href="/desk/PKU/pick-list/"><span class="desk-work__count">2</span>' in page
    # Every link opens for the staff member.
    client = signed_in(consortium.staff)
    for w in work.values():
        assert client.get(w.url).status_code == 200, w.url


def test_a_volunteer_desk_home_has_no_counts(busy_morning, consortium):
    response = signed_in(consortium.volunteer).get(reverse("desk:library", args=["PKU"]))
    assert response.status_code == 200
    assert response.context["work"] is None


def test_the_choice_of_libraries_shows_what_waits_at_each(busy_morning, consortium):
    with time_machine.travel(NOW, tick=False):
        response = signed_in(consortium.consortium_admin).get(reverse("desk:home"))
    assert response.status_code == 200
    rows = {row["library"].code: row["work"] for row in response.context["rows"]}
    assert {w.key: w.count for w in rows["BLCU"]} == {"to_pick": 1, "quarantine_due": 1}
    assert {w.key: w.count for w in rows["PKU"]}["to_pick"] == 2


def test_document_delivery_counts_review_and_lending(consortium):
    from libreach.docdelivery import services as dd

    request = dd.submit(
        by=consortium.reader,
        library=consortium.lib,
        type_="article",
        citation={"title": "Nature", "article_title": "A paper", "year": "2020"},
    )
    dd.submit(
        by=consortium.other_reader,
        library=consortium.lib,
        type_="article",
        citation={"title": "Cell", "article_title": "Another", "year": "2020"},
    )
    dd.approve(request_id=request.pk, by=consortium.staff, rota=["BLCU"])
    both = desk_work(
        [consortium.lib, consortium.other_lib], by=consortium.consortium_admin, now=NOW
    )
    assert (both[consortium.lib.pk]["dd_to_review"], both[consortium.lib.pk]["dd_to_lend"]) == (
        1,
        0,
    )
    assert both[consortium.other_lib.pk]["dd_to_lend"] == 1
