"""The pick list's order: shelf by shelf in call-number order, and copies with no shelf
location last (they are looked for after the walk along the shelves), on both databases
(SQLite sorts NULL first, PostgreSQL last; an empty location sorts first on both)."""

from libreach.catalog import services as catalog_services
from libreach.contactless import selectors, services


def unshelved(shelf, title: str, barcode: str, location: str = ""):
    return catalog_services.create_record(
        library=shelf.lib,
        title=title,
        authors=["作者"],
        call_number="A1/1",
        items=[catalog_services.ItemInput(barcode=barcode, location=location, call_number="A1/1")],
    )


def test_lines_without_a_shelf_location_come_last(shelf):
    nowhere = unshelved(shelf, "无架位的书", "PKU901")
    services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="delivery",
        lines=[
            services.LineSpec(record_id=nowhere.pk),
            services.LineSpec(record_id=shelf.record("数据结构").pk),
            services.LineSpec(record_id=shelf.record("红楼梦").pk),
        ],
        building_code="DORM1",
    )
    rows = selectors.pick_list_lines(shelf.lib)
    assert [row["title"] for row in rows] == ["红楼梦", "数据结构", "无架位的书"]
    assert rows[-1]["location"] == ""
    # A printed slip lists them in the same order.
    slip = services.print_pick_slip(library=shelf.lib, by=shelf.staff)
    assert [row["title"] for row in selectors.pick_slip_rows(slip)] == [
        "红楼梦",
        "数据结构",
        "无架位的书",
    ]
