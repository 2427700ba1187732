"""Account refusals speak the caller's language (Accept-Language), with their codes unchanged."""

import pytest

LANGUAGES = {"zh": {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}, "en": {"HTTP_ACCEPT_LANGUAGE": "en"}}
READER = {
    "card_number": "2020000009",
    "name": "王五",
    "reader_type": "graduate",
    "password": "Wang-wu-2020!",
}


@pytest.mark.parametrize(
    ("actor", "path", "body", "status", "code", "zh", "en"),
    [
        (
            "library_admin",
            "/api/v1/libraries/PKU/readers",
            {**READER, "card_number": "2020000001"},
            409,
            "already_exists",
            "读者证号 '2020000001' 已发放。",
            "Card number '2020000001' is already issued.",
        ),
        (
            "library_admin",
            "/api/v1/libraries/PKU/readers",
            {**READER, "building": "NOPE"},
            422,
            "unknown_building",
            "PKU 馆没有楼宇 'NOPE'。",
            "Library PKU has no building 'NOPE'.",
        ),
        (
            "staff",
            "/api/v1/libraries/PKU/staff",
            {"username": "new-circ", "name": "新馆员", "role": "circulation", "password": "x"},
            403,
            "forbidden",
            "您不是 PKU 馆有权进行此操作的馆员。",
            "You are not staff of library PKU in a role that may do this.",
        ),
    ],
)
def test_refusals_in_both_languages(api_as, actor, path, body, status, code, zh, en):
    client = api_as(actor)
    for language, detail in (("zh", zh), ("en", en)):
        response = client.post(path, body, **LANGUAGES[language])
        assert response.status_code == status, response.content
        assert response.json() == {"error": code, "detail": detail}
