"""The item status table: every allowed pair moves, every other pair is refused."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from libreach.catalog.models import Item, ItemStatus
from libreach.circulation import transitions
from libreach.circulation.transitions import TABLE, Trigger, apply
from libreach.core.errors import Conflict

S = ItemStatus

EXPECTED = {
    (S.AVAILABLE, Trigger.CHECKOUT): S.ON_LOAN,
    (S.STAGED, Trigger.CHECKOUT): S.ON_LOAN,
    (S.IN_TRANSIT, Trigger.CHECKOUT): S.ON_LOAN,
    (S.ON_LOAN, Trigger.CHECKIN): S.AVAILABLE,  # quarantined when hours > 0: below
    (S.QUARANTINED, Trigger.RELEASE): S.AVAILABLE,
    (S.AVAILABLE, Trigger.MARK_MISSING): S.MISSING,
    (S.REQUESTED, Trigger.MARK_MISSING): S.MISSING,
    (S.IN_PROCESS, Trigger.MARK_MISSING): S.MISSING,
    (S.STAGED, Trigger.MARK_MISSING): S.MISSING,
    (S.IN_TRANSIT, Trigger.MARK_MISSING): S.MISSING,
    (S.QUARANTINED, Trigger.MARK_MISSING): S.MISSING,
    (S.AVAILABLE, Trigger.WITHDRAW): S.WITHDRAWN,
    (S.MISSING, Trigger.WITHDRAW): S.WITHDRAWN,
    (S.QUARANTINED, Trigger.WITHDRAW): S.WITHDRAWN,
    (S.MISSING, Trigger.FOUND): S.AVAILABLE,
    (S.AVAILABLE, Trigger.REQUEST): S.REQUESTED,
    (S.REQUESTED, Trigger.PICK): S.IN_PROCESS,
    (S.AVAILABLE, Trigger.PICK): S.IN_PROCESS,
    (S.IN_PROCESS, Trigger.STAGE): S.STAGED,
    (S.STAGED, Trigger.DISPATCH): S.IN_TRANSIT,
    (S.REQUESTED, Trigger.UNREQUEST): S.AVAILABLE,
    (S.IN_PROCESS, Trigger.UNREQUEST): S.AVAILABLE,
    (S.STAGED, Trigger.RETURN_TO_DESK): S.IN_TRANSIT,
    (S.IN_TRANSIT, Trigger.RETURN_TO_DESK): S.IN_TRANSIT,
    (S.IN_TRANSIT, Trigger.CHECKIN): S.AVAILABLE,  # quarantined when hours > 0
}
ALL_PAIRS = list(itertools.product(S.values, Trigger.ALL))


def test_the_table_is_what_the_tests_expect():
    rows = {(t.state, t.trigger) for t in TABLE}
    assert rows == set(EXPECTED)
    quarantining = [t for t in TABLE if t.quarantine]
    assert [(t.state, t.trigger, t.next_state) for t in quarantining] == [
        (S.ON_LOAN, Trigger.CHECKIN, S.QUARANTINED),
        (S.IN_TRANSIT, Trigger.CHECKIN, S.QUARANTINED),
    ]
    assert all(t.who for t in TABLE)


@pytest.fixture
def item(circ) -> Item:
    return circ.item


def _set(item: Item, status: str) -> Item:
    Item.objects.filter(pk=item.pk).update(status=status)
    item.refresh_from_db()
    return item


@pytest.mark.parametrize(("state", "trigger"), sorted(EXPECTED))
def test_allowed(item, state, trigger):
    _set(item, state)
    apply(item, trigger)
    item.refresh_from_db()
    assert item.status == EXPECTED[(state, trigger)]
    assert item.quarantine_until is None


def test_checkin_with_quarantine(item):
    _set(item, S.ON_LOAN)
    until = timezone.now() + dt.timedelta(hours=72)
    apply(item, Trigger.CHECKIN, quarantine_until=until)
    item.refresh_from_db()
    assert (item.status, item.quarantine_until) == (S.QUARANTINED, until)


@pytest.mark.parametrize(("state", "trigger"), [p for p in ALL_PAIRS if p not in EXPECTED])
def test_refused(item, state, trigger):
    _set(item, state)
    before = Item.objects.values().get(pk=item.pk)
    with pytest.raises(Conflict) as refused:
        apply(item, trigger)
    assert refused.value.code == "invalid_transition"
    assert refused.value.status == 409
    assert Item.objects.values().get(pk=item.pk) == before
    assert not transitions.allowed(state, trigger)
