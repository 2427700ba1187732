"""Consortium refusals speak the caller's language (Accept-Language), with their codes unchanged."""

import pytest

LANGUAGES = {"zh": {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}, "en": {"HTTP_ACCEPT_LANGUAGE": "en"}}


@pytest.mark.parametrize(
    ("actor", "method", "path", "body", "status", "code", "zh", "en"),
    [
        (
            "anonymous",
            "get",
            "/api/v1/libraries/NOPE",
            None,
            404,
            "library_not_found",
            "没有代码为 'NOPE' 的图书馆。",
            "No library with code 'NOPE'.",
        ),
        (
            "other_staff",
            "post",
            "/api/v1/libraries/PKU/buildings",
            {"code": "DORM9", "name": "9号楼"},
            403,
            "forbidden",
            "您不是 PKU 馆的馆员。",
            "You are not staff of library PKU.",
        ),
        (
            "staff",
            "post",
            "/api/v1/libraries",
            {"code": "THU", "name": "清华大学图书馆"},
            403,
            "forbidden",
            "只有联盟管理员可以进行此操作。",
            "Only a consortium administrator may do this.",
        ),
    ],
)
def test_refusals_in_both_languages(api_as, actor, method, path, body, status, code, zh, en):
    client = api_as(actor)
    for language, detail in (("zh", zh), ("en", en)):
        response = getattr(client, method)(path, body, **LANGUAGES[language])
        assert response.status_code == status, response.content
        assert response.json() == {"error": code, "detail": detail}


def test_model_validation_speaks_the_users_language(api_as, consortium):
    """A clash found by full_clean is put into words when the API answers, so it follows
    the user's language setting too (no Accept-Language sent), not the site's default."""
    consortium.consortium_admin.language = "en"
    consortium.consortium_admin.save(update_fields=["language"])
    response = api_as("consortium_admin").post(
        "/api/v1/libraries", {"code": "PKU", "name": "北京大学图书馆"}
    )
    assert response.status_code == 409, response.content
    assert response["Content-Language"] == "en"
    assert response.json()["error"] == "already_exists"
    assert "already exists" in response.json()["detail"]
