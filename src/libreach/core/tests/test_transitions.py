"""core.transitions: the lookup and the refusal that the apps' transition tables share.

The apps' tables moved onto it without a word changing: each refusal below is pinned in
English and in Chinese (the .po entries still match their msgids).
"""

from dataclasses import dataclass

import pytest
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from libreach.core import transitions
from libreach.core.errors import Conflict


class Light(models.TextChoices):
    RED = "red", "Red"
    GREEN = "green", "Green"


@dataclass(frozen=True)
class Row:
    state: str
    trigger: str
    next_state: str
    who: frozenset[str]
    kinds: frozenset[str] = frozenset({"car", "bike"})


TABLE = (
    Row("red", "go", "green", frozenset({"driver"}), frozenset({"car"})),
    Row("red", "go", "green", frozenset({"rider"}), frozenset({"bike"})),
    Row("green", "stop", "red", frozenset({"driver", "rider"})),
)
NO_ROW = _("A light that is “%(state)s” cannot take '%(trigger)s'.")
NOT_YOURS = _("A light that is “%(state)s” cannot be changed that way by the %(who)s.")


def test_find_takes_the_first_row_that_applies():
    assert transitions.find(TABLE, "red", "go") is TABLE[0]
    assert transitions.find(TABLE, "red", "go", lambda row: "bike" in row.kinds) is TABLE[1]
    assert transitions.find(TABLE, "red", "go", lambda row: "tram" in row.kinds) is None
    assert transitions.find(TABLE, "green", "go") is None


def test_label_is_the_choice_label_or_the_raw_value():
    assert transitions.label(Light, "red") == "Red"
    assert transitions.label(Light, "blue") == "blue"


def test_next_state_follows_the_row():
    assert (
        transitions.next_state(TABLE, "green", "stop", "rider", states=Light, refusal=NO_ROW)
        == "red"
    )
    assert (
        transitions.next_state(
            TABLE,
            "red",
            "go",
            "rider",
            states=Light,
            refusal=NO_ROW,
            applies=lambda r: "bike" in r.kinds,
        )
        == "green"
    )


def test_no_row_is_a_conflict_naming_state_and_trigger():
    with pytest.raises(Conflict) as refused:
        transitions.next_state(TABLE, "green", "go", "driver", states=Light, refusal=NO_ROW)
    assert refused.value.code == "invalid_transition"
    assert refused.value.status == 409
    assert refused.value.detail == "A light that is “Green” cannot take 'go'."


def test_without_a_refusal_by_who_the_wrong_actor_hears_the_same_refusal():
    with pytest.raises(Conflict) as refused:
        transitions.next_state(TABLE, "green", "stop", "pedestrian", states=Light, refusal=NO_ROW)
    assert refused.value.detail == "A light that is “Green” cannot take 'stop'."


def test_the_wrong_actor_hears_the_refusal_by_who_in_its_words():
    with pytest.raises(Conflict) as refused:
        transitions.next_state(
            TABLE,
            "green",
            "stop",
            "pedestrian",
            states=Light,
            refusal=NO_ROW,
            refusal_by_who=NOT_YOURS,
            who_words={"pedestrian": _("walker")},
        )
    assert refused.value.code == "invalid_transition"
    assert (
        refused.value.detail == "A light that is “Green” cannot be changed that way by the walker."
    )


def test_extra_params_go_into_the_refusal_when_no_row():
    with pytest.raises(Conflict) as refused:
        transitions.next_state(
            TABLE,
            "green",
            "go",
            "driver",
            states=Light,
            refusal=_("A light that is “%(state)s” (%(lane)s) cannot take '%(trigger)s'."),
            lane="left",
        )
    assert refused.value.detail == "A light that is “Green” (left) cannot take 'go'."


def _refusal(fire, *args) -> Conflict:
    with pytest.raises(Conflict) as refused:
        fire(*args)
    assert refused.value.code == "invalid_transition"
    return refused.value


def _said(error: Conflict) -> tuple[str, str]:
    with translation.override("en"):
        english = error.detail
    with translation.override("zh-hans"):
        chinese = error.detail
    return english, chinese


def test_contactless_refusals_are_word_for_word_as_before():
    from libreach.contactless import transitions as t
    from libreach.contactless.models import LineStatus, Mode, RequestStatus

    assert _said(
        _refusal(t.request_next, RequestStatus.CANCELLED, t.Trigger.CANCEL, Mode.DELIVERY, t.STAFF)
    ) == (
        "A request that is “Cancelled” (Delivery to my building) cannot take 'cancel'.",
        "状态为“已取消”（送书到楼）的申请不能执行“cancel”。",
    )
    english, chinese = _said(
        _refusal(t.request_next, RequestStatus.READY, t.Trigger.CANCEL, Mode.PICKUP, t.READER)
    )
    assert english.startswith("A request that is “") and english.endswith(
        "” can no longer be changed that way by the reader."
    )
    assert "读者" in chinese
    english, _zh = _said(_refusal(t.line_next, LineStatus.STAGED, t.LineTrigger.FOUND, t.STAFF))
    assert english.startswith("A line that is “") and english.endswith("” cannot take 'found'.")
    english, _zh = _said(_refusal(t.run_next, "completed", t.RunTrigger.DISPATCH, t.STAFF))
    assert english.startswith("A delivery run that is “") and english.endswith(
        "” cannot take 'dispatch'."
    )


def test_document_delivery_refusals_are_word_for_word_as_before():
    from libreach.docdelivery import transitions as t
    from libreach.docdelivery.models import RequestType, RotaStatus, Status

    english, chinese = _said(
        _refusal(t.request_next, Status.NEW, t.Trigger.SHIP, RequestType.BOOK, t.STAFF)
    )
    assert english.startswith("A request that is “") and english.endswith("” cannot take 'ship'.")
    assert chinese.startswith("处于“") and chinese.endswith("”状态的申请不能执行“ship”。")
    english, chinese = _said(
        _refusal(t.request_next, Status.NEW, t.Trigger.APPROVE, RequestType.BOOK, t.LENDER)
    )
    assert english.endswith("” cannot be changed that way by the lender.")
    assert chinese.startswith("处于“") and "状态的申请不能由" in chinese
    english, _zh = _said(
        _refusal(t.entry_next, RotaStatus.WAITING, t.EntryTrigger.SUPPLY, t.LENDER)
    )
    assert english.startswith("A lender's turn that is “") and english.endswith(
        "” cannot take 'supply'."
    )
