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
