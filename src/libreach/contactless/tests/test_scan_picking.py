"""Scanning a copy found (services.scan_found): the open pick-list line holding it is
found; a copy of the same record is taken for a record-level line; anything else is
refused with its own code and changes nothing."""

from __future__ import annotations

import pytest

from libreach.catalog.models import Item, ItemStatus
from libreach.contactless import services
from libreach.contactless.models import LineStatus, RequestEvent, RequestLine, RequestStatus
from libreach.core.errors import Conflict, NotFound, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db


def submit(shelf, *specs, reader=None, mode="delivery", **extra):
    if mode == "delivery":
        extra.setdefault("building_code", "DORM1")
    return services.submit_request(
        user=reader or shelf.reader, library=shelf.lib, mode=mode, lines=list(specs), **extra
    )


def record(shelf, title):
    return services.LineSpec(record_id=shelf.record(title).pk)


def copy(barcode):
    return services.LineSpec(barcode=barcode)


def state(request):
    """Everything a refused scan must leave as it was."""
    return (
        list(RequestLine.objects.filter(request=request).values_list("status", "item_id")),
        list(Item.objects.order_by("pk").values_list("status", flat=True)),
        RequestEvent.objects.count(),
        type(request).objects.get(pk=request.pk).status,
    )


def test_a_scanned_copy_finds_the_item_level_line_holding_it(shelf):
    request = submit(shelf, copy("PKU012"), record(shelf, "呐喊"))
    line = services.scan_found(library=shelf.lib, barcode="PKU012", by=shelf.staff)
    assert (line.request_id, line.item.barcode, line.status) == (
        request.pk,
        "PKU012",
        LineStatus.FOUND,
    )
    assert line.request.status == RequestStatus.PICKING
    assert Item.objects.get(barcode="PKU012").status == ItemStatus.IN_PROCESS
    # Typed in another width and case, it is the same barcode.
    line = services.scan_found(library=shelf.lib, barcode=" ｐｋｕ０２１ ", by=shelf.staff)
    assert line.item.barcode == "PKU021"


def test_a_record_level_line_takes_another_copy_of_its_record(shelf):
    request = submit(shelf, record(shelf, "红楼梦"))
    held = request.lines.get().item.barcode
    other = next(c.barcode for c in shelf.copies("红楼梦") if c.barcode != held)
    line = services.scan_found(library=shelf.lib, barcode=other, by=shelf.staff)
    assert (line.item.barcode, line.status) == (other, LineStatus.FOUND)
    assert Item.objects.get(barcode=held).status == ItemStatus.AVAILABLE
    assert Item.objects.get(barcode=other).status == ItemStatus.IN_PROCESS


def test_the_oldest_request_of_the_record_takes_the_copy(shelf):
    first = submit(shelf, record(shelf, "红楼梦"))
    second = submit(shelf, record(shelf, "红楼梦"), reader=shelf.other_reader)
    held = {r.lines.get().item.barcode for r in (first, second)}
    spare = next(c.barcode for c in shelf.copies("红楼梦") if c.barcode not in held)
    line = services.scan_found(library=shelf.lib, barcode=spare, by=shelf.staff)
    assert line.request_id == first.pk


def test_a_copy_on_no_line_is_refused_and_nothing_changes(shelf):
    request = submit(shelf, copy("PKU012"))
    before = state(request)
    # Another copy of the title, but the line asks for that copy only.
    with pytest.raises(RuleViolation) as refused:
        services.scan_found(library=shelf.lib, barcode="PKU011", by=shelf.staff)
    assert refused.value.code == "not_on_pick_list"
    assert "PKU011" in refused.value.detail
    with pytest.raises(NotFound) as unknown:
        services.scan_found(library=shelf.lib, barcode="NOSUCH9", by=shelf.staff)
    assert unknown.value.code == "item_not_found"
    with pytest.raises(RuleViolation) as blank:
        services.scan_found(library=shelf.lib, barcode="\u200b ", by=shelf.staff)
    assert blank.value.code == "invalid_barcode"
    assert state(request) == before


def test_a_copy_scanned_twice_is_already_found(shelf):
    request = submit(shelf, record(shelf, "红楼梦"))
    submit(shelf, record(shelf, "红楼梦"), reader=shelf.other_reader)
    barcode = request.lines.get().item.barcode
    services.scan_found(library=shelf.lib, barcode=barcode, by=shelf.staff)
    before = state(request)
    # Not taken again for the other request's record-level line of the same title.
    with pytest.raises(Conflict) as twice:
        services.scan_found(library=shelf.lib, barcode=barcode, by=shelf.staff)
    assert twice.value.code == "already_found"
    assert state(request) == before


def test_a_copy_held_by_an_open_line_is_that_lines_not_the_oldest_requests(shelf):
    mine = submit(shelf, record(shelf, "数据结构"))
    theirs = submit(shelf, record(shelf, "数据结构"), reader=shelf.other_reader)
    held = theirs.lines.get().item.barcode
    line = services.scan_found(library=shelf.lib, barcode=held, by=shelf.staff)
    assert line.request_id == theirs.pk
    assert mine.lines.get().status == LineStatus.REQUESTED


def test_scans_stay_within_the_service_point_or_request_given(shelf):
    request = submit(shelf, copy("PKU012"))
    other = submit(shelf, copy("PKU021"), reader=shelf.other_reader)
    with pytest.raises(RuleViolation) as refused:
        services.scan_found(
            library=shelf.lib, barcode="PKU021", by=shelf.staff, request_id=request.pk
        )
    assert refused.value.code == "not_on_pick_list"
    line = services.scan_found(
        library=shelf.lib, barcode="PKU021", by=shelf.staff, request_id=other.pk
    )
    assert line.request_id == other.pk


def test_only_staff_of_the_library_scan(shelf):
    request = submit(shelf, copy("PKU012"))
    before = state(request)
    for user in (shelf.reader, shelf.c.volunteer, shelf.c.other_staff):
        with pytest.raises((PermissionDenied, NotFound)):
            services.scan_found(library=shelf.lib, barcode="PKU012", by=user)
    assert state(request) == before


def test_a_copy_of_another_library_is_not_found_here(shelf):
    submit(shelf, copy("PKU012"))
    with pytest.raises(NotFound):
        services.scan_found(library=shelf.c.other_lib, barcode="PKU012", by=shelf.c.other_staff)
