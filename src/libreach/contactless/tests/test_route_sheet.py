"""A delivery run's printed route sheet (issue 7, item 16): the library, the run, who
delivers it, then the stops in building order, each reader with their books (title and
barcode) and an empty box to sign; a stop is never split across pages; a page and a PDF."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse

from libreach.accounts import services as account_services
from libreach.catalog.services import ItemInput, create_record
from libreach.consortium import services as consortium_services
from libreach.contactless import selectors, services
from libreach.contactless.tests.test_desk_pages import client_as, lines_of
from libreach.core.words import format_date

# Building codes in the order a courier walks them (digits as numbers): not the order of
# their names (学生宿舍10号楼 sorts before 学生宿舍2号楼) nor of their codes as text.
BUILDINGS = [
    ("DORM1", "学生宿舍1号楼"),
    ("DORM2", "学生宿舍2号楼"),
    ("DORM10", "学生宿舍10号楼"),
    ("LAB", "实验楼"),
]


def _deliver(shelf, reader, records, building: str):
    request = services.submit_request(
        user=reader,
        library=shelf.lib,
        mode="delivery",
        lines=[services.LineSpec(record_id=record.pk) for record in records],
        building_code=building,
    )
    for line in lines_of(request):
        services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=request.pk, by=shelf.staff)
    return request


def make_run(shelf, per_stop: int = 1):
    """A run of `per_stop` readers for each building, each asking for two books; the
    buildings' requests submitted in reverse building order."""
    for code, name in BUILDINGS[1:]:
        consortium_services.create_building(library=shelf.lib, code=code, name=name)
    count = per_stop * len(BUILDINGS)
    records = [
        create_record(
            library=shelf.lib,
            title=title,
            authors=["作者"],
            call_number=f"I24{n}/1",
            items=[ItemInput(barcode=f"RS{n}{i:03}", location="书库") for i in range(count)],
        )
        for n, title in enumerate(("骆驼祥子", "围城"), start=1)
    ]
    readers = {}
    for b, (code, _name) in enumerate(reversed(BUILDINGS)):
        for k in range(per_stop):
            reader = account_services.create_reader(
                library=shelf.lib,
                card_number=f"2021{b}{k:03}",
                name=f"读者{code}-{k}",
                reader_type="undergraduate",
                password=None,
                phone=f"1390000{b}{k:03}" if k % 2 == 0 else "",
            ).user
            readers.setdefault(code, []).append(reader)
            _deliver(shelf, reader, records, code)
    run = services.create_run(library=shelf.lib, by=shelf.staff, assignee=shelf.c.volunteer)
    return run, readers


def test_stops_in_building_order(shelf):
    run, _readers = make_run(shelf)
    stops = selectors.route_sheet(run)
    assert [stop["building"].code for stop in stops] == [code for code, _ in BUILDINGS]


def test_sheet_lists_stops_in_building_order_with_every_book_and_a_signature_column(shelf):
    run, readers = make_run(shelf)
    staff = client_as(shelf.staff)
    page = staff.get(reverse("desk:run_sheet", args=["PKU", run.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    # The library, the run, who delivers it.
    assert "北京大学图书馆" in html and "志愿者" in html
    assert format_date(run.run_date) in html and f"#{run.number}" in html
    # Stops in building order, each with its readers.
    positions = [html.index(name) for _code, name in BUILDINGS]
    assert positions == sorted(positions)
    for code, _name in BUILDINGS:
        for reader in readers[code]:
            assert reader.name in html and reader.reader.card_number in html
    # Every book of the run, by title and barcode.
    barcodes = [
        line.item.barcode
        for request in run.requests.all()
        for line in request.lines.select_related("item")
    ]
    assert len(barcodes) == 2 * len(BUILDINGS)
    for barcode in barcodes:
        assert barcode in html
    assert html.count("《骆驼祥子》") == len(BUILDINGS)
    # The phone where the reader gave one.
    assert "13900000000" in html
    # A signature column: its heading and an empty cell on every row.
    assert "签收" in html
    assert html.count("<td></td>") == len(BUILDINGS)
    # A stop is kept on one page.
    assert re.search(r"\.stop \{[^}]*break-inside: avoid", html)
    # The run page leads to it.
    run_page = staff.get(reverse("desk:run", args=["PKU", run.pk])).content.decode()
    assert reverse("desk:run_sheet", args=["PKU", run.pk]) in run_page
    assert "打印路单" in run_page and "data-print" not in run_page


def test_sheet_in_english(shelf):
    run, _readers = make_run(shelf)
    staff = client_as(shelf.staff)
    staff.cookies["django_language"] = "en"
    html = staff.get(reverse("desk:run_sheet", args=["PKU", run.pk])).content.decode()
    assert "Route sheet" in html and "Signature" in html and "Peking University Library" in html


def test_volunteer_prints_their_run_only(shelf):
    run, _readers = make_run(shelf)
    volunteer = client_as(shelf.c.volunteer)
    assert volunteer.get(reverse("desk:run_sheet", args=["PKU", run.pk])).status_code == 200
    run.assignee = shelf.staff
    run.save()
    assert volunteer.get(reverse("desk:run_sheet", args=["PKU", run.pk])).status_code == 404
    # Another library's URL for the run: not theirs.
    staff = client_as(shelf.staff)
    assert staff.get(reverse("desk:run_sheet", args=["BLCU", run.pk])).status_code == 403


def test_pdf_has_the_text_and_never_splits_a_stop(shelf):
    pypdf = pytest.importorskip("pypdf")
    run, readers = make_run(shelf, per_stop=6)
    staff = client_as(shelf.staff)
    response = staff.get(reverse("desk:run_sheet_pdf", args=["PKU", run.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages]
    text = "".join(pages)
    for expected in ("配送路单", "签收", "骆驼祥子", "RS1000", "学生宿舍10号楼"):
        assert expected in text
    # Long enough to need pages; every stop's readers on the page of its heading.
    assert len(pages) > 1
    for code, name in BUILDINGS:
        (page,) = [p for p in pages if name in p]
        for reader in readers[code]:
            assert reader.reader.card_number in page, (code, reader.reader.card_number)
