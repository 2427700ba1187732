"""The transition tables are enforced: services take every new state from them (and
refuse what they lack), and the pages offer exactly the actions they allow."""

from __future__ import annotations

import ast
import dataclasses
import pathlib

import pytest
from django.test import Client
from django.urls import reverse

from libreach.contactless import services, transitions
from libreach.contactless.models import BorrowRequest, RequestStatus
from libreach.contactless.tests.test_transitions import ALLOWED, _request_in
from libreach.contactless.transitions import READER, STAFF, Trigger
from libreach.core.errors import Conflict
from libreach.testing.fixtures import PASSWORD
from libreach.testing.permissions import db_fingerprint

R = RequestStatus
SERVICES = pathlib.Path(services.__file__).parent
TABLE_CALLS = {"request_next", "line_next", "run_next", "item_next_state"}


def _status_writes(tree: ast.AST):
    """Each `x.status = …` and `…update(status=…)` in a module, with its value."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    yield node.lineno, node.value
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "update":
            for keyword in node.keywords:
                if keyword.arg == "status":
                    yield node.lineno, keyword.value


def _from_table(value: ast.AST, names: set[str]) -> bool:
    if isinstance(value, ast.Call):
        return getattr(value.func, "id", getattr(value.func, "attr", "")) in TABLE_CALLS
    # A local that was itself set from a table call (found = line_next(...)).
    return isinstance(value, ast.Name) and value.id in names


@pytest.mark.parametrize("path", sorted(SERVICES.glob("*.py")), ids=lambda p: p.name)
def test_services_never_write_a_state_of_their_own(path):
    tree = ast.parse(path.read_text())
    from_table = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _from_table(node.value, set())
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    wrong = [line for line, value in _status_writes(tree) if not _from_table(value, from_table)]
    assert wrong == [], f"{path.name}: a status written without asking a table, lines {wrong}"


def _without(table, state, trigger):
    return tuple(row for row in table if (row.state, row.trigger) != (state, trigger))


def test_a_row_taken_out_of_the_table_is_refused_by_the_service(shelf, monkeypatch):
    request = _request_in(shelf, R.PICKING)
    monkeypatch.setattr(
        transitions,
        "REQUEST_TABLE",
        _without(transitions.REQUEST_TABLE, R.PICKING, Trigger.STAGE),
    )
    before = db_fingerprint()
    with pytest.raises(Conflict) as refused:
        services.stage(request_id=request.pk, by=shelf.staff)
    assert refused.value.code == "invalid_transition"
    assert db_fingerprint() == before


def test_the_service_moves_to_the_state_the_table_gives(shelf, monkeypatch):
    # Were the table to send a staff cancellation of a submitted request elsewhere, the
    # service would follow it: it has no idea of its own where a request goes next.
    request = _request_in(shelf, R.SUBMITTED)
    table = tuple(
        dataclasses.replace(row, next_state=R.EXPIRED)
        if (row.state, row.trigger) == (R.SUBMITTED, Trigger.CANCEL)
        else row
        for row in transitions.REQUEST_TABLE
    )
    monkeypatch.setattr(transitions, "REQUEST_TABLE", table)
    services.cancel_request(request_id=request.pk, by=shelf.staff)
    assert BorrowRequest.objects.get(pk=request.pk).status == R.EXPIRED


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


# What each button on the desk's request page fires.
BUTTONS = {
    Trigger.STAGE: "desk:stage",
    Trigger.DISPATCH: "desk:dispatch",
    Trigger.CANCEL: "desk:cancel",
    Trigger.DISINFECT: "desk:disinfect",
}


@pytest.mark.parametrize(("status", "mode"), sorted(ALLOWED))
def test_desk_request_page_offers_what_the_table_allows(shelf, status, mode):
    request = _request_in(shelf, status, mode)
    page = _client(shelf.staff).get(reverse("desk:request", args=["PKU", request.pk]))
    html = page.content.decode()
    allowed = transitions.actions(status, mode, STAFF)
    for trigger, name in BUTTONS.items():
        offered = reverse(name, args=["PKU", request.pk]) in html
        # Disinfecting also needs a found book still to disinfect.
        expected = trigger in allowed and (
            trigger != Trigger.DISINFECT or request.lines.filter(status="found").exists()
        )
        assert offered == expected, (trigger, status, mode)
    handover = f"{reverse('desk:handover', args=['PKU'])}?request={request.pk}"
    assert (handover in html) == (Trigger.HANDOVER in allowed)
    line = request.lines.get()
    found_url = reverse("desk:line_found", args=["PKU", request.pk, line.pk])
    assert (found_url in html) == (Trigger.PICK in allowed and line.status == "requested")


@pytest.mark.parametrize(("status", "mode"), sorted(ALLOWED))
def test_reader_page_offers_cancel_as_the_table_allows(shelf, status, mode):
    request = _request_in(shelf, status, mode)
    page = _client(shelf.reader).get(reverse("contactless:request", args=[request.pk]))
    offered = reverse("contactless:request_cancel", args=[request.pk]) in page.content.decode()
    assert offered == (Trigger.CANCEL in transitions.actions(status, mode, READER))
