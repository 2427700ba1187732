"""Two scans at the same moment, each thread on its own connection: the same copy scanned
twice finds its line once (the other scan: already found); two copies of one title for
one record-level line, one of them is taken (the other: on no line)."""

from __future__ import annotations

from collections import Counter

import pytest

from libreach.catalog.models import Item, ItemStatus
from libreach.contactless import services
from libreach.contactless.models import LineStatus, RequestEvent
from libreach.core.errors import DomainError

from .test_concurrency import _at_once, _needs_a_shared_database  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def _codes(results) -> Counter:
    codes = Counter()
    for result in results:
        if isinstance(result, DomainError):
            codes[result.code] += 1
        else:
            assert not isinstance(result, Exception), repr(result)
            codes["found"] += 1
    return codes


def test_the_last_line_scanned_twice_at_once_is_found_once(shelf):
    request = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        building_code="DORM1",
        lines=[services.LineSpec(barcode="PKU021")],
    )
    scan = lambda: services.scan_found(library=shelf.lib, barcode="PKU021", by=shelf.staff)  # noqa: E731
    assert _codes(_at_once([scan, scan])) == {"found": 1, "already_found": 1}
    assert request.lines.get().status == LineStatus.FOUND
    assert RequestEvent.objects.filter(request=request, event="line_found").count() == 1


def test_two_copies_for_one_record_level_line_at_once_one_is_taken(shelf):
    request = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        building_code="DORM1",
        lines=[services.LineSpec(record_id=shelf.record("红楼梦").pk)],
    )
    held = request.lines.get().item.barcode
    spares = [c.barcode for c in shelf.copies("红楼梦") if c.barcode != held]
    scans = [
        lambda barcode=barcode: services.scan_found(
            library=shelf.lib, barcode=barcode, by=shelf.staff
        )
        for barcode in spares
    ]
    assert _codes(_at_once(scans)) == {"found": 1, "not_on_pick_list": 1}
    line = request.lines.select_related("item").get()
    assert line.status == LineStatus.FOUND and line.item.barcode in spares
    statuses = Counter(
        Item.objects.filter(record=shelf.record("红楼梦")).values_list("status", flat=True)
    )
    assert statuses == {ItemStatus.IN_PROCESS: 1, ItemStatus.AVAILABLE: 2}
