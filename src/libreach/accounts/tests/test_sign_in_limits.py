"""Sign-in lockout (django-axes) on the page and the token route; per-address API limits.

Time never comes from the wall clock here: a lock is made to lapse by moving the
recorded failures back by the cool-off time.
"""

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt
from django.test import Client

from libreach.accounts.models import ApiToken
from libreach.testing.fixtures import PASSWORD, ApiClient

CARD = "2020000001"
LIMIT = 10


def token_request(username: str, password: str, address: str = "10.1.1.1", **headers):
    return Client(REMOTE_ADDR=address).post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        headers=headers,
    )


def page_sign_in(username: str, password: str, address: str = "10.1.1.1", **headers):
    client = Client(REMOTE_ADDR=address)
    return client, client.post(
        "/accounts/login/", {"username": username, "password": password}, headers=headers
    )


def let_the_wait_pass(settings) -> None:
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )


def test_limits_are_the_contracts(settings):
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME


def test_token_route_locks_an_account_after_ten_failures(consortium, settings, caplog):
    for _ in range(LIMIT - 1):
        assert token_request(CARD, "wrong").status_code == 401
    with caplog.at_level(logging.WARNING, logger="libreach.accounts.lockout"):
        locked = token_request(CARD, "wrong")
    assert locked.status_code == 429
    assert locked.json()["error"] == "too_many_requests"
    assert 14 * 60 < int(locked["Retry-After"]) <= 15 * 60
    assert "locked out" in caplog.text and CARD in caplog.text

    # The right password, from the same or another address: refused until the wait is over.
    for address in ("10.1.1.1", "10.9.9.9"):
        refused = token_request(CARD, PASSWORD, address=address)
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 0
    assert not ApiToken.objects.exists()
    # Other accounts from another address are not locked.
    assert token_request("2020000002", PASSWORD, address="10.9.9.9").status_code == 200

    let_the_wait_pass(settings)
    assert token_request(CARD, PASSWORD).status_code == 200


def test_attempts_during_the_lock_do_not_extend_it(consortium, settings):
    for _ in range(LIMIT):
        token_request(CARD, "wrong")
    last = AccessAttempt.objects.get()
    for _ in range(3):
        assert token_request(CARD, PASSWORD).status_code == 429
    last.refresh_from_db()
    assert AccessAttempt.objects.get().failures_since_start == LIMIT


def test_one_address_is_locked_after_ten_failures_on_any_accounts(consortium):
    for n in range(LIMIT):
        assert token_request(f"nobody-{n}", "wrong", address="10.2.2.2").status_code in {401, 429}
    # The right password of a real account, from that address: refused.
    assert token_request(CARD, PASSWORD, address="10.2.2.2").status_code == 429
    # The same account from elsewhere: fine.
    assert token_request(CARD, PASSWORD, address="10.3.3.3").status_code == 200


def test_a_card_number_typed_another_way_is_the_same_account(consortium):
    for n in range(LIMIT):
        full_width = CARD.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
        typed = full_width if n % 2 else f" {CARD} "
        token_request(typed, "wrong", address=f"10.4.4.{n}")
    assert token_request(CARD, PASSWORD, address="10.5.5.5").status_code == 429


def test_sign_in_page_locks_out_with_a_page_in_the_readers_language(consortium, settings):
    for _ in range(LIMIT - 1):
        _client, response = page_sign_in(CARD, "wrong")
        assert response.status_code == 200  # the form again, with its error
    _client, locked = page_sign_in(CARD, "wrong")
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    assert "尝试次数过多" in locked.content.decode()

    client, refused = page_sign_in(CARD, PASSWORD, **{"Accept-Language": "en"})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    let_the_wait_pass(settings)
    client, signed_in = page_sign_in(CARD, PASSWORD)
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(consortium.reader.pk)


def test_page_and_token_route_count_together(consortium):
    for _ in range(LIMIT // 2):
        page_sign_in(CARD, "wrong")
        token_request(CARD, "wrong")
    assert token_request(CARD, PASSWORD).status_code == 429
    assert page_sign_in(CARD, PASSWORD)[1].status_code == 429


def test_test_client_login_is_not_counted(consortium):
    # A sign-in without a request (the test client, a management command) has no address.
    assert Client().login(username=CARD, password=PASSWORD)
    assert not Client().login(username=CARD, password="wrong")
    assert not AccessAttempt.objects.exists()


# --- per-address limits on anonymous API routes (Ninja's throttling) -------------------


@pytest.fixture
def tight_limits(settings):
    settings.LIBREACH_THROTTLE_RATES = {"anonymous": "3/min", "sign_in": "2/min"}


def test_anonymous_routes_are_limited_per_address(db, tight_limits):
    search = Client(REMOTE_ADDR="10.6.6.6")
    for _ in range(3):
        assert search.get("/api/v1/catalog/search", {"q": "红楼"}).status_code == 200
    refused = search.get("/api/v1/catalog/search", {"q": "红楼"})
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_requests"
    assert refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 60
    # Another address is counted on its own, on any anonymous route.
    other = Client(REMOTE_ADDR="10.7.7.7")
    assert other.get("/api/v1/libraries").status_code == 200


def test_a_forged_forwarded_for_does_not_get_a_new_address(db, tight_limits):
    for n in range(4):
        response = Client(REMOTE_ADDR="10.6.6.6").get(
            "/api/v1/libraries", headers={"X-Forwarded-For": f"192.0.2.{n}"}
        )
    assert response.status_code == 429


def test_signed_in_routes_are_not_counted(consortium, tight_limits):
    client = ApiClient(consortium.reader)
    for _ in range(6):
        assert client.get("/api/v1/me").status_code == 200


def test_token_route_has_its_own_lower_limit(consortium, tight_limits):
    assert token_request(CARD, PASSWORD, address="10.8.8.8").status_code == 200
    assert token_request(CARD, PASSWORD, address="10.8.8.8").status_code == 200
    refused = token_request(CARD, PASSWORD, address="10.8.8.8")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


def test_limits_can_be_switched_off(db, tight_limits, settings):
    settings.LIBREACH_THROTTLE = False
    client = Client(REMOTE_ADDR="10.6.6.6")
    for _ in range(5):
        assert client.get("/api/v1/libraries").status_code == 200


def test_openapi_documents_429_on_anonymous_routes(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert "429" in paths["/api/v1/catalog/search"]["get"]["responses"]
    assert "429" in paths["/api/v1/auth/token"]["post"]["responses"]
    assert "429" not in paths["/api/v1/me"]["get"]["responses"]
    assert "204" in paths["/api/v1/auth/token"]["delete"]["responses"]
