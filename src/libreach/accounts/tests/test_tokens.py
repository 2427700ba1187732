"""Bearer tokens: which credentials count (defect 4), revocation, expiry, last use, purge."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from libreach.accounts import services
from libreach.accounts.models import ApiToken
from libreach.accounts.selectors import hash_token
from libreach.api import api
from libreach.core import periodic
from libreach.testing.fixtures import PASSWORD, ApiClient


def _secured_operations() -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI document that needs credentials."""
    schema = api.get_openapi_schema()
    return sorted(
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    )


def _call(client: Client, method: str, path: str, **headers):
    return client.generic(method, path, "{}", content_type="application/json", headers=headers)


SECURED = _secured_operations()


@pytest.mark.parametrize(("method", "path"), SECURED, ids=[f"{m} {p}" for m, p in SECURED])
def test_a_wrong_bearer_token_is_401_on_every_route(db, method, path):
    # Before: a POST with a wrong bearer fell back to the session and got 403 "CSRF check
    # Failed". The contract says 401 for missing or wrong credentials, whatever the method.
    response = _call(Client(enforce_csrf_checks=True), method, path, Authorization="Bearer wrong")
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("header", ["Bearer ", "Token abc", "Basic eDp5", ""])
def test_other_authorization_headers_are_401(db, method, header):
    path = {"GET": "/api/v1/me", "POST": "/api/v1/libraries", "DELETE": "/api/v1/auth/token"}
    response = _call(Client(enforce_csrf_checks=True), method, path[method], Authorization=header)
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path"), SECURED, ids=[f"{m} {p}" for m, p in SECURED])
def test_no_credentials_are_401_on_every_route(db, method, path):
    response = _call(Client(enforce_csrf_checks=True), method, path)
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_session_is_not_used_when_an_authorization_header_is_sent(consortium, method):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(consortium.consortium_admin)
    path = {"GET": "/api/v1/me", "POST": "/api/v1/libraries", "DELETE": "/api/v1/auth/token"}
    response = _call(browser, method, path[method], Authorization="Bearer wrong-token")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_the_token_decides_who_calls_even_with_a_session(consortium):
    token = ApiClient(consortium.reader).headers["Authorization"]
    browser = Client()
    browser.force_login(consortium.consortium_admin)
    response = browser.get("/api/v1/me", headers={"Authorization": token})
    assert response.json()["username"] == consortium.reader.username


def test_a_session_post_without_csrf_is_403_in_the_contract_shape(consortium):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(consortium.consortium_admin)
    response = browser.post(
        "/api/v1/libraries", {"code": "THU", "name": "清华"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_a_session_post_with_csrf_works(consortium):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(consortium.consortium_admin)
    browser.get("/accounts/login/")  # sets the CSRF cookie
    response = browser.post(
        "/api/v1/libraries",
        {"code": "THU", "name": "清华"},
        content_type="application/json",
        headers={"X-CSRFToken": browser.cookies["csrftoken"].value},
    )
    assert response.status_code == 201, response.content


def test_token_is_stored_hashed(consortium):
    token = ApiClient(consortium.reader).headers["Authorization"].removeprefix("Bearer ")
    row = ApiToken.objects.get()
    assert row.key_hash == hash_token(token) != token
    assert token not in {row.key_hash, str(row)}


def test_delete_revokes_the_token_it_is_called_with(consortium):
    first = ApiClient(consortium.reader)
    second = ApiClient(consortium.reader)
    response = first.request("DELETE", "/api/v1/auth/token")
    assert response.status_code == 204
    assert response.content == b""
    assert first.get("/api/v1/me").status_code == 401
    assert first.request("DELETE", "/api/v1/auth/token").status_code == 401
    # The reader's other token (another phone) still works.
    assert second.get("/api/v1/me").status_code == 200
    assert ApiToken.objects.count() == 1


def test_delete_without_a_token_is_401_even_with_a_session(consortium):
    assert Client().delete("/api/v1/auth/token").status_code == 401
    browser = Client()
    browser.force_login(consortium.reader)
    response = browser.delete("/api/v1/auth/token")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_token_expires_after_the_configured_hours(consortium, settings):
    settings.LIBREACH_TOKEN_HOURS = 2
    before = timezone.now()
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "2020000001", "password": PASSWORD},
        content_type="application/json",
    )
    expires_at = dt.datetime.fromisoformat(response.json()["expires_at"])
    assert before + dt.timedelta(hours=2) <= expires_at <= timezone.now() + dt.timedelta(hours=2)


def test_last_use_is_stamped_at_most_once_a_minute(consortium, django_assert_num_queries):
    client = ApiClient(consortium.reader)
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    client.get("/api/v1/me")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    # Within the minute: no write at all.
    ApiToken.objects.update(last_used_at=timezone.now() - dt.timedelta(seconds=50))
    stamped = ApiToken.objects.get().last_used_at
    client.get("/api/v1/me")
    assert ApiToken.objects.get().last_used_at == stamped

    # A minute later: stamped again.
    ApiToken.objects.update(last_used_at=timezone.now() - dt.timedelta(seconds=61))
    client.get("/api/v1/me")
    assert ApiToken.objects.get().last_used_at > stamped


def test_note_token_use_writes_nothing_within_the_minute(consortium, django_assert_num_queries):
    ApiClient(consortium.reader)
    token = ApiToken.objects.get()
    now = timezone.now()
    with django_assert_num_queries(1):
        services.note_token_use(token, now=now)
    with django_assert_num_queries(0):
        services.note_token_use(token, now=now + dt.timedelta(seconds=59))
    with django_assert_num_queries(1):
        services.note_token_use(token, now=now + dt.timedelta(seconds=60))


def test_purge_deletes_expired_tokens_only(consortium):
    live = ApiClient(consortium.reader)
    ApiClient(consortium.staff)
    ApiToken.objects.filter(user=consortium.staff).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert services.purge_expired_tokens() == 1
    assert list(ApiToken.objects.values_list("user", flat=True)) == [consortium.reader.pk]
    assert live.get("/api/v1/me").status_code == 200


def test_purge_is_a_registered_periodic_job(consortium):
    job = periodic.job("purge_api_tokens")
    assert job is not None and job.every <= dt.timedelta(hours=1)
    ApiClient(consortium.reader)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    periodic.run_job("purge_api_tokens")
    assert not ApiToken.objects.exists()
