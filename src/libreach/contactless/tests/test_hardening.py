"""Issue 6's contactless defects, each with the test that failed before its fix: the
pick slip the API prints (3), junk in every page's form and query parameters (5), and
copies of a cancelled staged or out-for-delivery request going back through the desk (6)."""

from __future__ import annotations

import pytest

from libreach.catalog.models import Item, ItemStatus
from libreach.circulation.models import CirculationSettings
from libreach.contactless import services
from libreach.contactless.models import PickSlip, RequestStatus

# --- 3: the pick-slip API returns exactly the lines the slip recorded ------------------------


def _submit(shelf, titles, *, user=None):
    return services.submit_request(
        user=user or shelf.reader,
        library=shelf.lib,
        mode="delivery",
        building_code="DORM1",
        lines=[services.LineSpec(record_id=shelf.record(t).pk) for t in titles],
    )


def test_pick_slip_api_returns_the_lines_the_slip_recorded(shelf, api_as, monkeypatch):
    _submit(shelf, ["红楼梦"])
    real = services.print_pick_slip

    def a_request_lands_first(**kwargs):
        # Another reader's request arrives between the route's start and the slip's
        # transaction: the slip takes its line, so the answer must carry it too.
        _submit(shelf, ["呐喊"], user=shelf.other_reader)
        return real(**kwargs)

    monkeypatch.setattr(services, "print_pick_slip", a_request_lands_first)
    response = api_as("staff").post("/api/v1/libraries/PKU/pick-slips", {})
    assert response.status_code == 201, response.content
    body = response.json()
    slip = PickSlip.objects.get(pk=body["id"])
    recorded = set(slip.lines.values_list("pk", flat=True))
    assert len(recorded) == 2
    assert {row["line"] for row in body["lines"]} == recorded
    assert [row["title"] for row in body["lines"]] == ["呐喊", "红楼梦"]  # shelving order


# --- 5: junk in any form or query parameter is a message or a 400, never a 500 --------------

JUNK = [
    "abc",
    "-1",
    "0",
    "99999999999999999999999",
    "1.5",
    "2020-02-30",
    "x" * 500,
    "１２",
    "\x00",
    "<script>",
    "PKU|2020-13-01T99:00",
]
# Every parameter any contactless page reads; each page gets them all.
FIELDS = [
    "page",
    "tab",
    "service_point",
    "request",
    "code",
    "start",
    "end",
    "assignee",
    "building",
    "barcode",
    "reason",
    "method",
    "minutes",
    "shelf_slot",
    "pickup_code",
    "proxy_id_number",
    "next",
    "record",
    "item",
    "line",
    "slot",
    "mode",
    "proxy_name",
]


def _pages(borrow, line, run, slip) -> list[tuple[str, str]]:
    from django.urls import reverse

    lib = "PKU"
    return [
        ("get", reverse("desk:picklist", args=[lib])),
        ("post", reverse("desk:print_pick_slip", args=[lib])),
        ("get", reverse("desk:pick_slip", args=[lib, slip.pk])),
        ("get", reverse("desk:requests", args=[lib])),
        ("get", reverse("desk:request", args=[lib, borrow.pk])),
        ("post", reverse("desk:line_found", args=[lib, borrow.pk, line.pk])),
        ("post", reverse("desk:line_not_found", args=[lib, borrow.pk, line.pk])),
        ("post", reverse("desk:disinfect", args=[lib, borrow.pk])),
        ("post", reverse("desk:stage", args=[lib, borrow.pk])),
        ("post", reverse("desk:dispatch", args=[lib, borrow.pk])),
        ("post", reverse("desk:cancel", args=[lib, borrow.pk])),
        ("get", reverse("desk:runs", args=[lib])),
        ("post", reverse("desk:run_create", args=[lib])),
        ("get", reverse("desk:run", args=[lib, run.pk])),
        ("post", reverse("desk:run_dispatch", args=[lib, run.pk])),
        ("get", reverse("desk:handover", args=[lib])),
        ("post", reverse("desk:handover", args=[lib])),
        ("get", reverse("desk:stats", args=[lib])),
        ("get", reverse("contactless:basket")),
        ("post", reverse("contactless:basket_add")),
        ("post", reverse("contactless:basket_remove")),
        ("get", reverse("contactless:request_form", args=[lib])),
        ("post", reverse("contactless:request_form", args=[lib])),
        ("get", reverse("contactless:requests")),
        ("get", reverse("contactless:request", args=[borrow.pk])),
        ("post", reverse("contactless:request_cancel", args=[borrow.pk])),
        ("post", reverse("contactless:request_slot", args=[borrow.pk])),
        ("get", reverse("contactless:request_ics", args=[borrow.pk])),
    ]


@pytest.fixture
def junk_world(shelf):
    """A request with a found line, a pick slip, a run: every page has something to show."""
    borrow = _submit(shelf, ["红楼梦", "呐喊"])
    slip = services.print_pick_slip(library=shelf.lib, by=shelf.staff)
    ready = _submit(shelf, ["数据结构"], user=shelf.other_reader)
    line = ready.lines.get()
    services.mark_found(request_id=ready.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=ready.pk, by=shelf.staff)
    run = services.create_run(library=shelf.lib, by=shelf.staff)
    return borrow, borrow.lines.first(), run, slip


@pytest.mark.parametrize("actor", ["staff", "reader"])
def test_junk_parameters_never_give_a_500(shelf, junk_world, actor):
    from django.test import Client

    from libreach.testing.fixtures import PASSWORD

    user = getattr(shelf, actor)
    client = Client(raise_request_exception=False)
    assert client.login(username=user.username, password=PASSWORD)
    failures = []
    for method, url in _pages(*junk_world):
        for value in JUNK:
            data = dict.fromkeys(FIELDS, value)
            response = getattr(client, method)(url, data)
            if response.status_code >= 500:
                failures.append((method, url, value, response.status_code))
    assert failures == [], "\n".join(map(repr, failures))


# --- 6: a cancelled staged or out-for-delivery request's copies come back through the desk --


def _staged(shelf, mode="delivery"):
    extra = {"building_code": "DORM1"} if mode == "delivery" else {"service_point_code": "MAIN"}
    borrow = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode=mode,
        lines=[services.LineSpec(record_id=shelf.record("呐喊").pk)],
        **extra,
    )
    line = borrow.lines.get()
    services.mark_found(request_id=borrow.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=borrow.pk, by=shelf.staff)
    return borrow, Item.objects.get(pk=line.item_id)


def _status(item) -> str:
    return Item.objects.values_list("status", flat=True).get(pk=item.pk)


@pytest.mark.parametrize(
    ("mode", "dispatched"), [("pickup", False), ("delivery", False), ("delivery", True)]
)
def test_cancelled_copies_wait_for_check_in_at_the_desk(shelf, mode, dispatched):
    borrow, item = _staged(shelf, mode)
    if dispatched:
        services.dispatch(request_id=borrow.pk, by=shelf.staff)
    services.cancel_request(request_id=borrow.pk, by=shelf.staff)
    # Not on the shelf: it sits on the hold shelf or with a volunteer until checked in.
    assert _status(item) == ItemStatus.IN_TRANSIT
    with pytest.raises(Exception) as refused:
        services.submit_request(
            user=shelf.other_reader,
            library=shelf.lib,
            mode="delivery",
            building_code="DORM1",
            lines=[services.LineSpec(barcode=item.barcode)],
        )
    assert refused.value.code == "item_unavailable"
    from libreach.contactless import desk_selectors

    assert list(desk_selectors.awaiting_return(shelf.lib)) == [item]
    services.check_in_returned(library=shelf.lib, barcode=item.barcode, by=shelf.staff)
    assert _status(item) == ItemStatus.AVAILABLE
    assert list(desk_selectors.awaiting_return(shelf.lib)) == []


def test_check_in_quarantines_where_the_library_says_so(shelf):
    CirculationSettings.objects.update_or_create(
        library=shelf.lib, defaults={"quarantine_hours": 72}
    )
    borrow, item = _staged(shelf, "pickup")
    services.cancel_request(request_id=borrow.pk, by=shelf.staff)
    item = services.check_in_returned(library=shelf.lib, barcode=item.barcode, by=shelf.staff)
    assert item.status == ItemStatus.QUARANTINED
    assert item.quarantine_until is not None


def test_expired_holds_also_come_back_through_the_desk(shelf):
    import datetime as dt

    borrow, item = _staged(shelf, "pickup")
    borrow.refresh_from_db()
    services.expire_holds(today=borrow.hold_until + dt.timedelta(days=1))
    borrow.refresh_from_db()
    assert borrow.status == RequestStatus.EXPIRED
    assert _status(item) == ItemStatus.IN_TRANSIT


def test_only_copies_given_back_are_checked_in(shelf):
    from libreach.core.errors import Conflict, PermissionDenied

    borrow, item = _staged(shelf, "delivery")
    services.dispatch(request_id=borrow.pk, by=shelf.staff)
    # Out with an open request: its handover, not the desk, ends that.
    with pytest.raises(Conflict):
        services.check_in_returned(library=shelf.lib, barcode=item.barcode, by=shelf.staff)
    on_shelf = shelf.copies("红楼梦")[0]
    with pytest.raises(Conflict):
        services.check_in_returned(library=shelf.lib, barcode=on_shelf.barcode, by=shelf.staff)
    with pytest.raises(PermissionDenied):
        services.check_in_returned(library=shelf.lib, barcode=item.barcode, by=shelf.reader)
    assert _status(item) == ItemStatus.IN_TRANSIT


def test_returns_page_checks_in_by_barcode(shelf):
    from django.test import Client
    from django.urls import reverse

    from libreach.testing.fixtures import PASSWORD

    borrow, item = _staged(shelf, "pickup")
    staff = Client()
    assert staff.login(username=shelf.staff.username, password=PASSWORD)
    response = staff.post(reverse("desk:cancel", args=["PKU", borrow.pk]), follow=True)
    assert _status(item) == ItemStatus.IN_TRANSIT
    page = staff.get(reverse("desk:returns", args=["PKU"]))
    assert item.barcode in page.content.decode()
    assert staff.post(reverse("desk:returns", args=["PKU"]), {"barcode": ""}).status_code == 400
    wrong = staff.post(reverse("desk:returns", args=["PKU"]), {"barcode": "NOPE"})
    assert wrong.status_code == 404
    response = staff.post(reverse("desk:returns", args=["PKU"]), {"barcode": item.barcode})
    assert response.status_code == 302
    assert _status(item) == ItemStatus.AVAILABLE
