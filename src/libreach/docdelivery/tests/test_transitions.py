"""The document delivery tables: what they allow, what they refuse, and that services take
every state from them."""

import ast
import pathlib

import pytest

from libreach.core.errors import Conflict
from libreach.docdelivery import services, transitions
from libreach.docdelivery.models import RequestType, RotaStatus, Status
from libreach.docdelivery.transitions import (
    ENTRY_TABLE,
    LENDER,
    READER,
    REQUEST_TABLE,
    STAFF,
    SYSTEM,
    EntryTrigger,
    Trigger,
    entry_next,
    request_next,
)

S = Status
TYPES = RequestType.values
WHO = (READER, STAFF, LENDER, SYSTEM)


def _allowed(table) -> set[tuple[str, str, str, str]]:
    return {(r.state, r.trigger, t, w) for r in table for t in r.types for w in r.who}


def test_every_trigger_is_used_and_every_state_is_reached():
    assert {r.trigger for r in REQUEST_TABLE} == set(Trigger.ALL)
    assert {r.trigger for r in ENTRY_TABLE} == set(EntryTrigger.ALL)
    reached = {S.NEW} | {r.next_state for r in REQUEST_TABLE}
    assert reached == set(S.values)
    assert {RotaStatus.WAITING} | {r.next_state for r in ENTRY_TABLE} == set(RotaStatus.values)


def test_end_states_have_no_way_out():
    ends = {S.DELIVERED, S.COMPLETED, S.UNFILLED, S.REJECTED, S.SATISFIED_LOCALLY, S.CANCELLED}
    assert not [r for r in REQUEST_TABLE if r.state in ends]


def test_copies_are_supplied_and_books_shipped():
    assert not [r for r in REQUEST_TABLE if r.trigger == Trigger.SUPPLY and "book" in r.types]
    assert not [r for r in REQUEST_TABLE if r.trigger == Trigger.SHIP and "article" in r.types]


ALLOWED = _allowed(REQUEST_TABLE)


@pytest.mark.parametrize("state", S.values)
@pytest.mark.parametrize("trigger", Trigger.ALL)
def test_request_next_follows_the_table_exactly(state, trigger):
    for type_ in TYPES:
        for who in WHO:
            if (state, trigger, type_, who) in ALLOWED:
                assert request_next(state, trigger, type_, who) in S.values
            else:
                with pytest.raises(Conflict) as refused:
                    request_next(state, trigger, type_, who)
                assert refused.value.code == "invalid_transition"


@pytest.mark.parametrize("state", RotaStatus.values)
@pytest.mark.parametrize("trigger", EntryTrigger.ALL)
def test_entry_next_follows_the_table_exactly(state, trigger):
    allowed = _allowed(ENTRY_TABLE)
    for who in WHO:
        if (state, trigger, "article", who) in allowed:
            assert entry_next(state, trigger, who) in RotaStatus.values
        else:
            with pytest.raises(Conflict):
                entry_next(state, trigger, who)


def test_readers_cancel_but_never_answer_for_a_lender():
    assert transitions.actions(S.SENT, "article", READER) == {Trigger.CANCEL}
    assert Trigger.CANCEL not in transitions.actions(S.SENT, "article", LENDER)
    assert transitions.actions(S.DELIVERED, "article", READER) == frozenset()


TABLE_CALLS = {"request_next", "entry_next"}


def test_services_never_write_a_state_of_their_own():
    tree = ast.parse(pathlib.Path(services.__file__).read_text())
    wrong = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    value = node.value
                    if not (
                        isinstance(value, ast.Call)
                        and getattr(value.func, "id", getattr(value.func, "attr", ""))
                        in TABLE_CALLS
                    ):
                        wrong.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "update"
            and any(k.arg == "status" for k in node.keywords)
        ):
            wrong.append(node.lineno)
    assert wrong == [], f"status written without asking a table, lines {wrong}"
