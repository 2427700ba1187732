from libreach.catalog.services import ItemInput, create_record
from libreach.testing.permissions import RouteCase

ALL_OK = dict.fromkeys(
    ["anonymous", "reader", "other_reader", "staff", "other_staff", "consortium_admin"], 200
)


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
        expect={
            "anonymous": 401,
            "reader": 403,
            "other_reader": 403,
            "staff": 201,
            "other_staff": 403,
            "consortium_admin": 201,
        },
        extra={"library_admin": 201, "volunteer": 403},
    ),
    RouteCase(
        "GET", "/api/v1/catalog/search", query={"q": "红楼"}, expect=ALL_OK, setup=with_record
    ),
    RouteCase("GET", "/api/v1/catalog/records/{record_id}", expect=ALL_OK, setup=with_record),
]
