"""A proxy's ID number: kept as a keyed slow hash and its last four characters only, checked
at the door however it is typed, across a rotation of the key and for requests hashed the
old way."""

import hmac
import io

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from libreach.contactless import services
from libreach.contactless.models import BorrowRequest, Mode, RequestStatus
from libreach.core.errors import PermissionDenied

ID_NUMBER = "11010119900307123X"
KEY_A, KEY_B = "proxy-id-key-a-" + "a" * 40, "proxy-id-key-b-" + "b" * 40


def submit_proxy(shelf, id_number: str = ID_NUMBER) -> BorrowRequest:
    request = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode=Mode.PROXY,
        service_point_code="MAIN",
        proxy=services.Proxy("王五", id_number),
        lines=[services.LineSpec(record_id=shelf.record("红楼梦").pk)],
    )
    for line in request.lines.all():
        services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=request.pk, by=shelf.staff)
    return request


def hand_over(shelf, request: BorrowRequest, id_number: str) -> bool:
    try:
        services.handover(
            request_id=request.pk,
            by=shelf.staff,
            pickup_code=request.pickup_code,
            proxy_id_number=id_number,
        )
    except PermissionDenied:
        return False
    request.refresh_from_db()
    return request.status == RequestStatus.COLLECTED


def test_no_more_of_the_number_is_stored_than_the_desk_shows(shelf):
    request = submit_proxy(shelf, "１１０１０１１９９００３０７１２３ｘ")  # typed full-width
    assert request.proxy_id_last4 == "123X"  # what the desk shows, in ASCII
    assert request.proxy_id_hash.startswith("scrypt$")
    everything = io.StringIO()
    call_command("dumpdata", stdout=everything)
    for fragment in (ID_NUMBER[:6], ID_NUMBER[6:14], ID_NUMBER[:-4]):
        assert fragment not in everything.getvalue()


def test_the_door_accepts_the_number_however_typed_and_nothing_else(shelf):
    request = submit_proxy(shelf)
    assert not hand_over(shelf, request, "110101199003071234")
    assert not hand_over(shelf, request, "一一〇一〇一")
    assert hand_over(shelf, request, "１１０１０１ １９９００３０７ １２３ｘ")


def test_a_request_hashed_before_a_key_rotation_is_still_handed_over(shelf):
    with override_settings(LIBREACH_ID_HASH_KEY=KEY_A, LIBREACH_ID_HASH_KEY_FALLBACKS=[]):
        request = submit_proxy(shelf)
    with override_settings(LIBREACH_ID_HASH_KEY=KEY_B, LIBREACH_ID_HASH_KEY_FALLBACKS=[KEY_A]):
        assert not hand_over(shelf, request, "110101199003071230")
        assert hand_over(shelf, request, ID_NUMBER)


def test_a_request_hashed_the_old_way_is_still_handed_over(shelf):
    # Requests submitted before core.hashing hold `salt$HMAC-SHA256(SECRET_KEY, "salt:ID")`.
    request = submit_proxy(shelf)
    digest = hmac.new(settings.SECRET_KEY.encode(), f"cafe0123:{ID_NUMBER}".encode(), "sha256")
    BorrowRequest.objects.filter(pk=request.pk).update(
        proxy_id_hash=f"cafe0123${digest.hexdigest()}"
    )
    request.refresh_from_db()
    assert not hand_over(shelf, request, "110101199003071239")
    assert hand_over(shelf, request, "11010119900307123x")
