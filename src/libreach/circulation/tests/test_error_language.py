"""Circulation refusals speak the caller's language (Accept-Language), codes unchanged."""

import pytest

LANGUAGES = {"zh": {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}, "en": {"HTTP_ACCEPT_LANGUAGE": "en"}}


def both(call, status, code, zh, en):
    for language, detail in (("zh", zh), ("en", en)):
        response = call(**LANGUAGES[language])
        assert response.status_code == status, response.content
        assert response.json() == {"error": code, "detail": detail}


@pytest.mark.parametrize(
    ("actor", "method", "path", "body", "status", "code", "zh", "en"),
    [
        (
            "reader",
            "get",
            "/api/v1/loans",
            {"mine": "false"},
            422,
            "mine_only",
            "这里只列出您本人的借阅（mine=true）；馆员请在服务台查看借阅。",
            "Only your own loans are listed here (mine=true); staff see loans at the desk.",
        ),
        (
            "reader",
            "post",
            "/api/v1/loans/999999/renew",
            {},
            404,
            "loan_not_found",
            "没有借阅 999999。",
            "No loan 999999.",
        ),
        (
            "staff",
            "post",
            "/api/v1/libraries/PKU/closures",
            {"start_date": "2020-02-10", "end_date": "2020-02-01"},
            422,
            "closure_dates",
            "闭馆的最后一天不能早于第一天。",
            "The last closed day cannot come before the first.",
        ),
        (
            "staff",
            "post",
            "/api/v1/libraries/PKU/closures/999999/lift",
            {},
            404,
            "closure_not_found",
            "PKU 馆没有闭馆记录 999999。",
            "Library PKU has no closure 999999.",
        ),
    ],
)
def test_refusals_in_both_languages(api_as, actor, method, path, body, status, code, zh, en):
    client = api_as(actor)
    both(lambda **environ: getattr(client, method)(path, body, **environ), status, code, zh, en)


def test_lifting_twice_in_both_languages(api_as):
    staff = api_as("staff")
    body = {"start_date": "2020-02-01", "end_date": "2020-02-10"}
    closure = staff.post("/api/v1/libraries/PKU/closures", body).json()["id"]
    lift = f"/api/v1/libraries/PKU/closures/{closure}/lift"
    assert staff.post(lift).status_code == 200
    both(
        lambda **environ: staff.post(lift, **environ),
        409,
        "closure_lifted",
        "此次闭馆已经解除。",
        "This closure has already been lifted.",
    )


def test_item_state_in_the_callers_language():
    from django.utils import translation

    from libreach.circulation.transitions import next_state
    from libreach.core.errors import Conflict

    with pytest.raises(Conflict) as refused:
        next_state("on_loan", "release")
    with translation.override("zh-hans"):
        assert refused.value.detail == "状态为“借出”的图书不能执行“release”。"
    with translation.override("en"):
        assert refused.value.detail == "An item that is On loan cannot take release."
    assert refused.value.code == "invalid_transition"
