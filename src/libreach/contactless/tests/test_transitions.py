"""The request and line tables, and the API refusing (409, nothing changed) every
desk action on a request in a state the table does not allow it from."""

import itertools

import pytest

from libreach.contactless import services
from libreach.contactless.models import (
    OPEN_REQUEST_STATES,
    BorrowRequest,
    DeliveryRun,
    LineStatus,
    Mode,
    RequestStatus,
)
from libreach.contactless.transitions import (
    LINE_TABLE,
    READER,
    REQUEST_TABLE,
    RUN_TABLE,
    STAFF,
    SYSTEM,
    VOLUNTEER,
    LineTrigger,
    RunTrigger,
    Trigger,
    line_next,
    request_next,
    run_next,
)
from libreach.core.errors import Conflict
from libreach.testing.permissions import db_fingerprint

R, L = RequestStatus, LineStatus
D, P, X = Mode.DELIVERY, Mode.PICKUP, Mode.PROXY

# (state, trigger) -> (next state, modes, who): the table as the tests expect it.
EXPECTED_REQUEST = {
    (R.SUBMITTED, Trigger.PICK): (R.PICKING, {D, P, X}, {STAFF}),
    (R.PICKING, Trigger.PICK): (R.PICKING, {D, P, X}, {STAFF}),
    (R.PICKING, Trigger.DISINFECT): (R.PICKING, {D, P, X}, {STAFF}),
    (R.PICKING, Trigger.STAGE): (R.READY, {D, P, X}, {STAFF}),
    (R.PICKING, Trigger.UNFILL): (R.UNFILLED, {D, P, X}, {SYSTEM}),
    (R.READY, Trigger.DISPATCH): (R.OUT_FOR_DELIVERY, {D}, {STAFF, VOLUNTEER}),
    (R.OUT_FOR_DELIVERY, Trigger.HANDOVER): (R.DELIVERED, {D}, {STAFF, VOLUNTEER}),
    (R.READY, Trigger.NOTIFY_READY): (R.AWAITING_PICKUP, {P, X}, {SYSTEM}),
    (R.READY, Trigger.HANDOVER): (R.COLLECTED, {P, X}, {STAFF, VOLUNTEER}),
    (R.AWAITING_PICKUP, Trigger.HANDOVER): (R.COLLECTED, {P, X}, {STAFF, VOLUNTEER}),
    (R.SUBMITTED, Trigger.CANCEL): (R.CANCELLED, {D, P, X}, {READER, STAFF}),
    (R.PICKING, Trigger.CANCEL): (R.CANCELLED, {D, P, X}, {READER, STAFF}),
    (R.READY, Trigger.CANCEL): (R.CANCELLED, {D, P, X}, {STAFF}),
    (R.AWAITING_PICKUP, Trigger.CANCEL): (R.CANCELLED, {P, X}, {STAFF}),
    (R.OUT_FOR_DELIVERY, Trigger.CANCEL): (R.CANCELLED, {D}, {STAFF}),
    (R.READY, Trigger.EXPIRE): (R.EXPIRED, {P, X}, {SYSTEM}),
    (R.AWAITING_PICKUP, Trigger.EXPIRE): (R.EXPIRED, {P, X}, {SYSTEM}),
}
EXPECTED_LINE = {
    (L.REQUESTED, LineTrigger.FOUND): L.FOUND,
    (L.REQUESTED, LineTrigger.NOT_FOUND): L.NOT_FOUND,
    (L.FOUND, LineTrigger.DISINFECT): L.DISINFECTED,
    (L.FOUND, LineTrigger.STAGE): L.STAGED,
    (L.DISINFECTED, LineTrigger.STAGE): L.STAGED,
    (L.STAGED, LineTrigger.HAND_OVER): L.HANDED_OVER,
    (L.REQUESTED, LineTrigger.CANCEL): L.CANCELLED,
    (L.FOUND, LineTrigger.CANCEL): L.CANCELLED,
    (L.DISINFECTED, LineTrigger.CANCEL): L.CANCELLED,
    (L.STAGED, LineTrigger.CANCEL): L.CANCELLED,
}


def test_request_table_is_what_the_tests_expect():
    table = {
        (row.state, row.trigger): (row.next_state, set(row.modes), set(row.who))
        for row in REQUEST_TABLE
    }
    assert len(table) == len(REQUEST_TABLE), "a (state, trigger) pair appears twice"
    assert table == EXPECTED_REQUEST


def test_line_table_is_what_the_tests_expect():
    assert {(row.state, row.trigger): row.next_state for row in LINE_TABLE} == EXPECTED_LINE
    # Each line trigger is fired by those who fire it on the request.
    for row in LINE_TABLE:
        who = {
            LineTrigger.HAND_OVER: {STAFF, VOLUNTEER},
            LineTrigger.CANCEL: {READER, STAFF, SYSTEM},
        }
        assert set(row.who) == who.get(row.trigger, {STAFF})
        for actor in (READER, STAFF, VOLUNTEER, SYSTEM):
            if actor in row.who:
                assert line_next(row.state, row.trigger, actor) == row.next_state
            else:
                with pytest.raises(Conflict):
                    line_next(row.state, row.trigger, actor)


def test_run_table():
    Run = DeliveryRun.Status
    assert {(r.state, r.trigger): r.next_state for r in RUN_TABLE} == {
        (Run.PLANNED, RunTrigger.DISPATCH): Run.DISPATCHED,
        (Run.DISPATCHED, RunTrigger.COMPLETE): Run.COMPLETED,
    }
    for state, trigger in itertools.product(Run.values, RunTrigger.ALL):
        if (state, trigger) not in {(r.state, r.trigger) for r in RUN_TABLE}:
            with pytest.raises(Conflict):
                run_next(state, trigger, STAFF)


def test_closed_requests_take_no_trigger():
    closed = {R.DELIVERED, R.COLLECTED, R.CANCELLED, R.UNFILLED, R.EXPIRED}
    assert not [row for row in REQUEST_TABLE if row.state in closed]


@pytest.mark.parametrize(
    ("state", "trigger", "mode"),
    [
        (state, trigger, mode)
        for state, trigger, mode in itertools.product(R.values, Trigger.ALL, Mode.values)
        if mode not in EXPECTED_REQUEST.get((state, trigger), (None, set(), set()))[1]
    ],
)
def test_request_refuses_pairs_outside_the_table(state, trigger, mode):
    with pytest.raises(Conflict) as refused:
        request_next(state, trigger, mode, STAFF)
    assert refused.value.code == "invalid_transition"


@pytest.mark.parametrize(("state", "trigger"), sorted(EXPECTED_REQUEST))
def test_request_allows_only_its_actors(state, trigger):
    next_state, modes, who = EXPECTED_REQUEST[(state, trigger)]
    mode = sorted(modes)[0]
    for actor in (READER, STAFF, VOLUNTEER, SYSTEM):
        if actor in who:
            assert request_next(state, trigger, mode, actor) == next_state
        else:
            with pytest.raises(Conflict):
                request_next(state, trigger, mode, actor)


@pytest.mark.parametrize(
    ("state", "trigger"),
    [p for p in itertools.product(L.values, LineTrigger.ALL) if p not in EXPECTED_LINE],
)
def test_line_refuses_pairs_outside_the_table(state, trigger):
    with pytest.raises(Conflict):
        line_next(state, trigger, STAFF)


# --- through the API: a desk action on a request in the wrong state is 409 ---------------


def _request_in(shelf, status: str, mode: str = Mode.DELIVERY) -> BorrowRequest:
    """A request of `mode` driven by the services to `status`."""
    request = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode=mode,
        lines=[services.LineSpec(record_id=shelf.record("红楼梦").id)],
        service_point_code=None if mode == Mode.DELIVERY else "MAIN",
        proxy=services.Proxy("王五", "110101199001011234") if mode == Mode.PROXY else None,
    )
    line = request.lines.get()
    steps = {
        R.SUBMITTED: [],
        R.PICKING: ["found"],
        R.READY: ["found", "stage"],
        R.AWAITING_PICKUP: ["found", "stage"],
        R.OUT_FOR_DELIVERY: ["found", "stage", "dispatch"],
        R.DELIVERED: ["found", "stage", "dispatch", "handover"],
        R.COLLECTED: ["found", "stage", "handover"],
        R.CANCELLED: ["cancel"],
        R.UNFILLED: ["not_found"],
    }[status]
    for step in steps:
        if step == "found":
            services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
        elif step == "not_found":
            services.mark_not_found(
                request_id=request.pk, line_id=line.pk, by=shelf.staff, reason="missing"
            )
        elif step == "stage":
            services.stage(request_id=request.pk, by=shelf.staff)
        elif step == "dispatch":
            services.dispatch(request_id=request.pk, by=shelf.staff)
        elif step == "handover":
            services.handover(
                request_id=request.pk,
                by=shelf.staff,
                pickup_code=request.pickup_code,
                proxy_id_number="110101199001011234",
            )
        elif step == "cancel":
            services.cancel_request(request_id=request.pk, by=shelf.reader)
    request.refresh_from_db()
    assert request.status == status
    return request


ACTIONS = {
    "stage": lambda r, line: (f"/api/v1/borrow-requests/{r.pk}/stage", {}),
    "dispatch": lambda r, line: (f"/api/v1/borrow-requests/{r.pk}/dispatch", {}),
    "handover": lambda r, line: (
        f"/api/v1/borrow-requests/{r.pk}/handover",
        {"pickup_code": r.pickup_code, "proxy_id_number": "110101199001011234"},
    ),
    "cancel": lambda r, line: (f"/api/v1/borrow-requests/{r.pk}/cancel", {}),
    "found": lambda r, line: (f"/api/v1/borrow-requests/{r.pk}/lines/{line.pk}/found", {}),
    "not_found": lambda r, line: (
        f"/api/v1/borrow-requests/{r.pk}/lines/{line.pk}/not-found",
        {"reason": "other"},
    ),
    "disinfect": lambda r, line: (
        f"/api/v1/borrow-requests/{r.pk}/disinfect",
        {"method": "uv", "minutes": 20},
    ),
}
# (status, mode) -> the staff actions the tables allow from there.
ALLOWED = {
    (R.SUBMITTED, D): {"found", "not_found", "cancel"},
    (R.PICKING, D): {"stage", "cancel", "disinfect"},
    (R.READY, D): {"dispatch", "cancel"},
    (R.OUT_FOR_DELIVERY, D): {"handover", "cancel"},
    (R.DELIVERED, D): set(),
    (R.CANCELLED, D): set(),
    (R.UNFILLED, D): set(),
    (R.AWAITING_PICKUP, P): {"handover", "cancel"},
    (R.COLLECTED, P): set(),
    (R.AWAITING_PICKUP, X): {"handover", "cancel"},
}


@pytest.mark.parametrize(
    ("status", "mode", "action"),
    [
        (status, mode, action)
        for (status, mode), allowed in ALLOWED.items()
        for action in ACTIONS
        if action not in allowed
    ],
)
def test_desk_action_outside_the_table_is_409_and_changes_nothing(
    shelf, api_as, status, mode, action
):
    request = _request_in(shelf, status, mode)
    path, body = ACTIONS[action](request, request.lines.get())
    before = db_fingerprint()
    response = api_as("staff").post(path, body)
    assert response.status_code == 409, response.content
    assert response.json()["error"] in {"invalid_transition", "nothing_to_disinfect"}
    assert db_fingerprint() == before
    request.refresh_from_db()
    assert request.status == status


@pytest.mark.parametrize(("status", "mode"), sorted(ALLOWED))
def test_allowed_desk_actions_succeed(shelf, api_as, status, mode):
    for action in sorted(ALLOWED[(status, mode)]):
        request = _request_in(shelf, status, mode)
        path, body = ACTIONS[action](request, request.lines.get())
        response = api_as("staff").post(path, body)
        assert response.status_code == 200, (action, response.content)
        request.refresh_from_db()
        if request.status in OPEN_REQUEST_STATES:  # free the copy for the next action
            services.cancel_request(request_id=request.pk, by=shelf.staff)


def test_reader_cannot_cancel_once_ready(shelf, api_as):
    request = _request_in(shelf, R.READY)
    before = db_fingerprint()
    response = api_as("reader").post(f"/api/v1/borrow-requests/{request.pk}/cancel")
    assert response.status_code == 409
    assert response.json()["error"] == "invalid_transition"
    assert db_fingerprint() == before
