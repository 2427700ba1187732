"""What the apps' tables of allowed transitions share: finding a row, and refusing.

An app keeps its own table (rows with `state`, `trigger`, `next_state` and `who`, the set
of actors who may fire it) and its own sentences; `next_state` looks the step up and
raises Conflict("invalid_transition") when the table has no row for it, before anything
is written. Contactless borrowing and document delivery use it.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from libreach.core.errors import Conflict

INVALID = "invalid_transition"


class Row(Protocol):
    state: str
    trigger: str
    next_state: str
    who: frozenset[str]


R = TypeVar("R", bound=Row)


def label(choices, value: str):
    """A state's label, translated when read (the raw value if the table has no label)."""
    return dict(choices.choices).get(value, value)


def find(
    table: Iterable[R], state: str, trigger: str, applies: Callable[[R], bool] | None = None
) -> R | None:
    """The row that `trigger` fires from `state` (among those that `applies` to), or None."""
    for row in table:
        if row.state == state and row.trigger == trigger and (applies is None or applies(row)):
            return row
    return None


def next_state(
    table: Iterable[R],
    state: str,
    trigger: str,
    who: str,
    *,
    states,
    refusal: Any,
    applies: Callable[[R], bool] | None = None,
    refusal_by_who: Any = None,
    who_words: Mapping[str, Any] | None = None,
    **params: Any,
) -> str:
    """The next state, or Conflict (409) when the table has no such row for `who`.

    `refusal` is said when no row matches (with `state`, `trigger` and `params`); if
    `refusal_by_who` is given, it is said instead when a row matches but `who` may not fire
    it (with `state` and `who`, in `who_words`). `states` are the choices naming a state.
    """
    row = find(table, state, trigger, applies)
    if row is None or (refusal_by_who is None and who not in row.who):
        raise Conflict(refusal, code=INVALID, state=label(states, state), trigger=trigger, **params)
    if who not in row.who:
        raise Conflict(
            refusal_by_who,
            code=INVALID,
            state=label(states, state),
            who=(who_words or {}).get(who, who),
        )
    return row.next_state
