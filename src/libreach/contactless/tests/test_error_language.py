"""Contactless refusals speak the caller's language (Accept-Language), codes unchanged."""

import pytest

LANGUAGES = {"zh": {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}, "en": {"HTTP_ACCEPT_LANGUAGE": "en"}}


def both(call, status, code, zh, en):
    for language, detail in (("zh", zh), ("en", en)):
        response = call(**LANGUAGES[language])
        assert response.status_code == status, response.content
        assert response.json() == {"error": code, "detail": detail}


def delivery(*lines):
    return {"library": "PKU", "mode": "delivery", "building": "DORM1", "lines": list(lines)}


def test_submission_refusals_in_both_languages(api_as, shelf):
    reader = api_as("reader")
    record = shelf.record("红楼梦").pk
    both(
        lambda **environ: reader.post(
            "/api/v1/borrow-requests", delivery({"item": "NOPE"}), **environ
        ),
        404,
        "item_not_found",
        "PKU 馆没有条码为 'NOPE' 的图书。",
        "Library PKU has no item 'NOPE'.",
    )
    both(
        lambda **environ: reader.post(
            "/api/v1/borrow-requests", delivery({"record": record}, {"record": record}), **environ
        ),
        422,
        "duplicate_line",
        "《红楼梦》在这个申请中重复出现。",
        "“红楼梦” is asked for twice in this request.",
    )


def test_reading_refusals_in_both_languages(api_as, shelf):
    reader = api_as("reader")
    both(
        lambda **environ: reader.get("/api/v1/borrow-requests/999999", **environ),
        404,
        "request_not_found",
        "没有这个借书申请。",
        "No such borrow request.",
    )
    both(
        lambda **environ: reader.get("/api/v1/borrow-requests", {"mine": "false"}, **environ),
        422,
        "library_required",
        "mine=false 时须同时给出 library=。",
        "Give library= with mine=false.",
    )


def test_a_transition_refused_in_both_languages(api_as, shelf):
    reader = api_as("reader")
    submitted = reader.post(
        "/api/v1/borrow-requests", delivery({"record": shelf.record("呐喊").pk})
    )
    assert submitted.status_code == 201, submitted.content
    cancel = f"/api/v1/borrow-requests/{submitted.json()['id']}/cancel"
    assert reader.post(cancel).status_code == 200
    both(
        lambda **environ: reader.post(cancel, **environ),
        409,
        "invalid_transition",
        "状态为“已取消”（送书到楼）的申请不能执行“cancel”。",
        "A request that is “Cancelled” (Delivery to my building) cannot take 'cancel'.",
    )


@pytest.mark.parametrize(
    ("language", "words"), [("zh-hans", "还有 1 册书未找"), ("en", "1 book of")]
)
def test_plural_refusal_in_both_languages(language, words):
    from django.utils import translation
    from django.utils.translation import ngettext_lazy

    from libreach.core.errors import Conflict

    # The sentence services.picking.stage raises, with one book still to pick.
    refused = Conflict(
        ngettext_lazy(
            "%(n)d book of this request is still to be picked.",
            "%(n)d books of this request are still to be picked.",
            "n",
        ),
        n=1,
    )
    with translation.override(language):
        assert words in refused.detail
