"""Barcodes and card numbers are stored in the form the desk compares them in
(core.normalise): what a scanner sends, whatever a person typed."""

from libreach.accounts import services as account_services
from libreach.accounts.models import ReaderProfile
from libreach.catalog.models import Item
from libreach.testing.fixtures import PASSWORD


def _record(api_as, *barcodes):
    return api_as("staff").post(
        "/api/v1/libraries/PKU/records",
        {"title": "呐喊", "items": [{"barcode": b} for b in barcodes]},
    )


def test_barcodes_typed_in_full_width_or_lower_case_are_stored_as_scanned(api_as):
    response = _record(api_as, "ｐ０００１ ", "p 0002")
    assert response.status_code == 201, response.json()
    assert [i["barcode"] for i in response.json()["items"]] == ["P0001", "P0002"]
    assert set(Item.objects.values_list("barcode", flat=True)) == {"P0001", "P0002"}


def test_the_same_barcode_in_two_widths_is_the_same_barcode(api_as):
    response = _record(api_as, "P0001", "ｐ０００１")
    assert response.status_code == 422
    assert response.json()["error"] == "duplicate_barcode"
    assert _record(api_as, "P0001").status_code == 201
    taken = _record(api_as, "p0001")
    assert taken.status_code == 409 and taken.json()["error"] == "barcode_taken"
    assert Item.objects.count() == 1


def test_card_numbers_typed_in_full_width_are_stored_as_digits(consortium):
    profile = account_services.create_reader(
        library=consortium.lib,
        card_number="２０２１ ０００ ００９",
        name="张三",
        reader_type="undergraduate",
        password=PASSWORD,
    )
    assert profile.card_number == "2021000009"
    assert profile.user.username == "2021000009"
    assert ReaderProfile.objects.filter(card_number="2021000009").count() == 1
