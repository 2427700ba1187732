"""The API's conventions (docs/architecture.md, "Errors"): token auth, error bodies, OpenAPI."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from libreach.accounts.models import ApiToken
from libreach.testing.fixtures import PASSWORD, ApiClient

CONTRACT_ROUTES = [
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/libraries"),
    ("post", "/api/v1/libraries/{lib}/buildings"),
    ("post", "/api/v1/libraries/{lib}/service-points"),
    ("post", "/api/v1/libraries/{lib}/staff"),
    ("post", "/api/v1/libraries/{lib}/readers"),
    ("post", "/api/v1/libraries/{lib}/records"),
    ("get", "/api/v1/catalog/search"),
]


def test_token_for_good_credentials(consortium):
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "2020000001", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body["token"]) >= 32
    assert dt.datetime.fromisoformat(body["expires_at"]) > timezone.now()
    # Only the hash is kept.
    assert not ApiToken.objects.filter(key_hash=body["token"]).exists()


@pytest.mark.parametrize(("username", "password"), [("2020000001", "wrong"), ("nobody", PASSWORD)])
def test_token_refused_for_bad_credentials(consortium, username, password):
    response = Client().post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["error"] == "bad_credentials"
    assert ApiToken.objects.count() == 0


def test_token_refused_for_inactive_user(consortium):
    consortium.reader.is_active = False
    consortium.reader.save()
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "2020000001", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 401


def test_bearer_token_authenticates(consortium):
    client = ApiClient(consortium.reader)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["reader"]["card_number"] == "2020000001"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Token abc", "Basic eDp5"])
def test_bad_bearer_is_401(consortium, header):
    response = Client().get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert set(response.json()) >= {"error", "detail"}


def test_expired_token_is_401(consortium):
    client = ApiClient(consortium.reader)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/me").status_code == 401


def test_token_of_deactivated_user_is_401(consortium):
    client = ApiClient(consortium.reader)
    consortium.reader.is_active = False
    consortium.reader.save()
    assert client.get("/api/v1/me").status_code == 401


def test_session_auth_needs_csrf(consortium):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(consortium.consortium_admin)
    assert browser.get("/api/v1/me").status_code == 200
    response = browser.post(
        "/api/v1/libraries", {"code": "THU", "name": "清华"}, content_type="application/json"
    )
    assert response.status_code in {401, 403}
    assert "error" in response.json()


def test_malformed_json_is_400(consortium):
    client = ApiClient(consortium.consortium_admin)
    response = client.client.post(
        "/api/v1/libraries",
        "{not json",
        content_type="application/json",
        headers=client.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_schema_violation_is_422_with_fields(consortium):
    client = ApiClient(consortium.consortium_admin)
    response = client.post("/api/v1/libraries", {"name": "无代码"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    assert "code" in body["detail"]
    assert body["fields"][0]["loc"][-1] == "code"


def test_openapi_document_lists_the_contract(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for method, path in CONTRACT_ROUTES:
        assert method in paths.get(path, {}), (method, path)
    assert "bearer" in str(response.json()["components"]["securitySchemes"]).lower()


# --- errors in the caller's language -----------------------------------------------------


def _token_refusal(**headers):
    return Client().post(
        "/api/v1/auth/token",
        {"username": "2020000001", "password": "wrong"},
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "用户名或密码错误。"),
        ({"Accept-Language": "zh-CN,zh;q=0.9"}, "用户名或密码错误。"),
        ({"Accept-Language": "en-US,en;q=0.8"}, "Wrong user name or password."),
    ],
)
def test_domain_error_detail_follows_accept_language(consortium, headers, detail):
    response = _token_refusal(**headers)
    assert response.status_code == 401
    assert response.json() == {"error": "bad_credentials", "detail": detail}


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("zh-hans", "缺少身份凭证或凭证有误。"),
        ("en", "Authentication credentials were missing or wrong."),
    ],
)
def test_401_from_the_handler_in_both_languages(db, language, detail):
    response = Client().get(
        "/api/v1/me", headers={"Authorization": "Bearer wrong", "Accept-Language": language}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == detail
    assert response["Content-Language"] == language


@pytest.mark.parametrize(
    ("language", "message"), [("zh-hans", "此字段为必填项。"), ("en", "This field is required.")]
)
def test_422_in_both_languages(consortium, language, message):
    client = ApiClient(consortium.consortium_admin)
    response = client.post("/api/v1/libraries", {"name": "无代码"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == f"code: {message}"
    assert body["fields"] == [{"loc": ["body", "payload", "code"], "msg": message}]


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "最多输入 32 个字符。"), ("en", "Enter at most 32 characters.")],
)
def test_422_messages_carry_their_limits(consortium, language, message):
    client = ApiClient(consortium.consortium_admin)
    response = client.post(
        "/api/v1/libraries", {"code": "X" * 33, "name": "长代码"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 422, response.content
    assert response.json()["fields"][0]["msg"] == message


def test_without_accept_language_the_users_setting_decides(consortium):
    consortium.consortium_admin.language = "en"
    consortium.consortium_admin.save()
    client = ApiClient(consortium.consortium_admin)
    response = client.post("/api/v1/libraries", {"name": "无代码"})
    assert response.json()["detail"] == "code: This field is required."
    # Accept-Language, when sent, wins over the setting.
    response = client.post("/api/v1/libraries", {"name": "无代码"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json()["detail"] == "code: 此字段为必填项。"


@pytest.mark.parametrize(
    ("language", "detail"),
    [("zh-hans", "请求正文不是有效的 JSON。"), ("en", "The request body is not valid JSON.")],
)
def test_400_in_both_languages(consortium, language, detail):
    client = ApiClient(consortium.consortium_admin)
    response = client.client.post(
        "/api/v1/libraries",
        "{not json",
        content_type="application/json",
        headers={**client.headers, "Accept-Language": language},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "bad_request", "detail": detail}


@pytest.mark.parametrize(
    ("language", "fragment"), [("zh-hans", "分钟后再试"), ("en", "Try again in 15 minutes")]
)
def test_429_lockout_in_both_languages(consortium, language, fragment):
    for _ in range(10):
        response = _token_refusal(**{"Accept-Language": language})
    assert response.status_code == 429
    assert fragment in response.json()["detail"]


def test_a_domain_error_is_put_into_words_when_answered_not_when_raised():
    from django.utils import translation
    from django.utils.translation import gettext_lazy

    from libreach.core.errors import Conflict, TooManyRequests

    with translation.override("en"):
        error = Conflict(gettext_lazy("Not found."), code="x")
        waiting = TooManyRequests(retry_after=61)
    with translation.override("zh-hans"):
        assert error.detail == "未找到。"
    with translation.override("en"):
        assert str(error) == "Not found."
    assert waiting.retry_after == 61 and waiting.params["minutes"] == 2


@pytest.mark.parametrize(("language", "detail"), [("zh-hans", "未找到。"), ("en", "Not found.")])
def test_404_from_the_handler_in_both_languages(db, language, detail):
    from django.http import Http404
    from django.test import RequestFactory

    from libreach.api import api

    request = RequestFactory().get("/api/v1/anything", headers={"Accept-Language": language})
    response = api.on_exception(request, Http404("No such thing"))
    assert response.status_code == 404
    assert json.loads(response.content) == {"error": "not_found", "detail": detail}
