from libreach.catalog.services import ItemInput, create_record
from libreach.testing.permissions import PUBLIC, STAFF_WRITE, STAFF_WRITE_EXTRA, RouteCase


def with_record(consortium) -> dict:
    record = create_record(
        library=consortium.lib,
        title="红楼梦",
        authors=["曹雪芹"],
        call_number="I242.4/12",
        items=[ItemInput(barcode="P0001")],
    )
    return {"lib": consortium.lib.code, "record_id": record.id}


CASES = [
    RouteCase(
        "POST",
        "/api/v1/libraries/{lib}/records",
        body={"title": "呐喊", "authors": ["鲁迅"], "items": [{"barcode": "P0100"}]},
        expect=STAFF_WRITE,
        extra=STAFF_WRITE_EXTRA,
    ),
    RouteCase(
        "GET", "/api/v1/catalog/search", query={"q": "红楼"}, expect=PUBLIC, setup=with_record
    ),
    RouteCase("GET", "/api/v1/catalog/records/{record_id}", expect=PUBLIC, setup=with_record),
]
