"""Catalogue refusals speak the caller's language (Accept-Language), with their codes unchanged."""

import pytest

from libreach.catalog.services import ItemInput, create_record

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.mark.parametrize(
    ("body", "code", "zh", "en"),
    [
        (
            {"title": "x", "isbn": "978-7-02-000220-8"},
            "invalid_isbn",
            "'978-7-02-000220-8' 不是有效的 ISBN。",
            "'978-7-02-000220-8' is not a valid ISBN.",
        ),
        ({"title": "   "}, "title_required", "书目必须有题名。", "A record needs a title."),
        (
            {"title": "x", "items": [{"barcode": "EXIST"}]},
            "barcode_taken",
            "PKU 已在使用这些条码：EXIST。",
            "Barcode already in use at PKU: EXIST.",
        ),
    ],
)
def test_record_refusals_in_both_languages(api_as, consortium, body, code, zh, en):
    create_record(library=consortium.lib, title="已有", items=[ItemInput(barcode="EXIST")])
    staff = api_as("staff")
    for environ, detail in ((ZH, zh), (EN, en)):
        response = staff.post("/api/v1/libraries/PKU/records", body, **environ)
        assert response.json() == {"error": code, "detail": detail}


def test_unknown_record_in_both_languages(api_as):
    anonymous = api_as("anonymous")
    for environ, detail in ((ZH, "没有这条书目。"), (EN, "No such record.")):
        response = anonymous.get("/api/v1/catalog/records/999999", **environ)
        assert response.status_code == 404
        assert response.json() == {"error": "record_not_found", "detail": detail}
