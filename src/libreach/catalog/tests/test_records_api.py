"""POST /libraries/{lib}/records and GET /catalog/records/{id}."""

import pytest

from libreach.catalog.models import Item, Record


def test_staff_catalogues_a_record_with_items(api_as):
    response = api_as("staff").post(
        "/api/v1/libraries/PKU/records",
        {
            "title": "红楼梦",
            "authors": ["曹雪芹", "高鹗"],
            "isbn": "978-7-02-000220-7",
            "publisher": "人民文学出版社",
            "year": 1982,
            "language": "chi",
            "call_number": "I242.4/12",
            "items": [
                {"barcode": "P0001", "location": "文学阅览室", "volume": "上"},
                {"barcode": "P0002", "location": "文学阅览室", "volume": "下"},
            ],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["items"] == [
        {"barcode": "P0001", "status": "available"},
        {"barcode": "P0002", "status": "available"},
    ]
    record = Record.objects.get(id=body["id"])
    assert record.isbn == "9787020002207"
    assert record.year == "1982"
    assert "702000220X" in record.isbns.split()
    assert record.author_text == "曹雪芹; 高鹗"

    detail = api_as("anonymous").get(f"/api/v1/catalog/records/{record.id}").json()
    assert detail["library"] == "PKU"
    assert [i["volume"] for i in detail["items"]] == ["上", "下"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"title": "x", "isbn": "978-7-02-000220-8"}, 422, "invalid_isbn"),
        ({"title": "   "}, 422, "title_required"),
        ({"title": "x", "items": [{"barcode": "A"}, {"barcode": "A"}]}, 422, "duplicate_barcode"),
        ({"title": "x", "items": [{"barcode": "EXIST"}]}, 409, "barcode_taken"),
        ({"authors": ["x"]}, 422, "invalid"),
    ],
)
def test_bad_record_refused_and_nothing_written(api_as, consortium, body, status, code):
    from libreach.catalog.services import ItemInput, create_record

    create_record(library=consortium.lib, title="已有", items=[ItemInput(barcode="EXIST")])
    response = api_as("staff").post("/api/v1/libraries/PKU/records", body)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert Record.objects.count() == 1
    assert Item.objects.count() == 1


def test_same_barcode_in_another_library_is_fine(api_as, consortium):
    from libreach.catalog.services import ItemInput, create_record

    create_record(library=consortium.other_lib, title="他馆", items=[ItemInput(barcode="B1")])
    response = api_as("staff").post(
        "/api/v1/libraries/PKU/records", {"title": "本馆", "items": [{"barcode": "B1"}]}
    )
    assert response.status_code == 201


def test_unknown_record_is_404(api_as):
    response = api_as("anonymous").get("/api/v1/catalog/records/999999")
    assert response.status_code == 404
    assert response.json()["error"] == "record_not_found"
