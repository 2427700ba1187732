"""Volumes of one work in one request (一种两册): the duplicate rule compares copies for
item-level lines and records for record-level lines."""

import datetime as dt

import pytest
from django.utils import timezone

from libreach.catalog import services as catalog_services
from libreach.catalog.models import Item, ItemStatus
from libreach.contactless.models import BorrowRequest, RequestLine
from libreach.contactless.selectors import contactless_stats
from libreach.contactless.services import LineSpec, submit_request
from libreach.core.errors import RuleViolation

from .conftest import at

MONDAY = dt.date(2020, 2, 3)


@pytest.fixture
def volumes(shelf):
    """《资治通鉴》 in four volumes, one copy each."""
    record = catalog_services.create_record(
        library=shelf.lib,
        title="资治通鉴",
        call_number="K204.3/1",
        items=[
            catalog_services.ItemInput(
                barcode=f"ZZTJ{n}", location="中文书库", call_number="K204.3/1", volume=str(n)
            )
            for n in range(1, 5)
        ],
    )
    return record


def _submit(api_as, lines, mode="delivery"):
    return api_as("reader").post(
        "/api/v1/borrow-requests", {"library": "PKU", "mode": mode, "lines": lines}
    )


def _state():
    return (
        BorrowRequest.objects.count(),
        RequestLine.objects.count(),
        sorted(Item.objects.values_list("barcode", "status")),
    )


def test_two_volumes_of_one_record_in_one_request(shelf, volumes, api_as):
    response = _submit(api_as, [{"item": "ZZTJ1"}, {"item": "ZZTJ2"}])
    assert response.status_code == 201, response.content
    request = BorrowRequest.objects.get(pk=response.json()["id"])
    assert [(line.level, line.item.volume) for line in request.lines.order_by("position")] == [
        ("item", "1"),
        ("item", "2"),
    ]
    assert set(Item.objects.filter(record=volumes).values_list("barcode", "status")) == {
        ("ZZTJ1", ItemStatus.REQUESTED),
        ("ZZTJ2", ItemStatus.REQUESTED),
        ("ZZTJ3", ItemStatus.AVAILABLE),
        ("ZZTJ4", ItemStatus.AVAILABLE),
    }
    day = timezone.localdate(request.submitted_at)
    figures = contactless_stats(shelf.lib, day, day)
    # One title (种), two volumes (册).
    assert (figures["titles_requested"], figures["volumes_requested"]) == (1, 2)


@pytest.mark.parametrize(
    "twice",
    [
        lambda record: [{"item": "ZZTJ1"}, {"item": "ZZTJ1"}],  # the same copy
        lambda record: [{"record": record.pk}, {"record": record.pk}],  # any copy, twice
    ],
    ids=["same copy", "same record"],
)
def test_the_same_copy_or_record_twice_is_refused_and_changes_nothing(
    shelf, volumes, api_as, twice
):
    lines = twice(volumes)
    before = _state()
    response = _submit(api_as, lines)
    assert response.status_code == 422
    assert response.json()["error"] == "duplicate_line"
    assert _state() == before


def test_a_record_level_line_takes_a_copy_the_item_lines_do_not_name(shelf, volumes):
    request = submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        lines=[LineSpec(record_id=volumes.pk), LineSpec(barcode="ZZTJ1")],
        at=at(MONDAY, 9),
    )
    held = dict(request.lines.values_list("level", "item__barcode"))
    assert held == {"record": "ZZTJ2", "item": "ZZTJ1"}


def test_another_volume_later_yes_the_same_copy_or_record_again_no(shelf, volumes):
    first = submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        lines=[LineSpec(barcode="ZZTJ1"), LineSpec(record_id=volumes.pk)],
    )
    assert first.lines.count() == 2
    # Volume 3 in a second request: another copy, allowed.
    second = submit_request(
        user=shelf.reader, library=shelf.lib, mode="delivery", lines=[LineSpec(barcode="ZZTJ3")]
    )
    assert second.lines.get().item.barcode == "ZZTJ3"
    # A second record-level line for the record while the first is open: refused.
    before = _state()
    with pytest.raises(RuleViolation) as refused:
        submit_request(
            user=shelf.reader,
            library=shelf.lib,
            mode="delivery",
            lines=[LineSpec(record_id=volumes.pk)],
        )
    assert refused.value.code == "duplicate_line"
    assert _state() == before
