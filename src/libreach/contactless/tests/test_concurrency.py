"""Readers at the same moment, through the HTTP API, each thread on its own connection:
20 readers ask for the last copy (one wins, 19 get 409); 50 readers book a slot of 10
seats (10 bookings, 40 get 409). On SQLite the test database is a file (settings.py), so
writers queue on the lock (IMMEDIATE transactions, busy timeout) as in production."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.utils import timezone

from libreach.accounts import services as account_services
from libreach.catalog import services as catalog_services
from libreach.catalog.models import Item, ItemStatus
from libreach.contactless.models import BorrowRequest, RequestLine, SlotBooking
from libreach.contactless.services import LineSpec, submit_request
from libreach.testing.fixtures import PASSWORD, ApiClient

from .conftest import TZ

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _needs_a_shared_database():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs a file database: threads cannot wait for in-memory locks")


def _readers(shelf, count: int) -> list:
    return [
        account_services.create_reader(
            library=shelf.lib,
            card_number=f"20209{n:05}",
            name=f"读者{n}",
            reader_type="undergraduate",
            password=PASSWORD,
            building="DORM1",
        ).user
        for n in range(1, count + 1)
    ]


def _at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together; their results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[n] = calls[n]()
        except Exception as exc:  # reported by the caller's assertions
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def _outcomes(responses) -> Counter:
    outcomes = Counter()
    for response in responses:
        assert not isinstance(response, Exception), repr(response)
        body = response.json()
        if response.status_code >= 400:
            assert set(body) >= {"error", "detail"} and body["detail"], body
            outcomes[(response.status_code, body["error"])] += 1
        else:
            outcomes[(response.status_code, body.get("status"))] += 1
    return outcomes


@pytest.mark.parametrize("level", ["item", "record"])
def test_twenty_readers_ask_for_the_last_copy_at_once(shelf, level):
    record = shelf.record("呐喊")  # one copy
    (copy,) = shelf.copies("呐喊")
    line = {"item": copy.barcode} if level == "item" else {"record": record.pk}
    clients = [ApiClient(user) for user in _readers(shelf, 20)]
    body = {"library": "PKU", "mode": "delivery", "lines": [line]}

    def submit(client: ApiClient):
        return lambda: client.post("/api/v1/borrow-requests", body)

    responses = _at_once([submit(client) for client in clients])

    assert _outcomes(responses) == {(201, "submitted"): 1, (409, "item_unavailable"): 19}
    assert Item.objects.get(pk=copy.pk).status == ItemStatus.REQUESTED
    assert BorrowRequest.objects.count() == 1
    (held,) = RequestLine.objects.all()
    assert (held.item_id, held.level) == (copy.pk, level)
    winner = next(r for r in responses if r.status_code == 201).json()["id"]
    assert held.request_id == winner


def test_fifty_bookings_of_a_slot_with_ten_seats(shelf):
    """50 pickup requests book the same slot at once: 10 seats taken, 40 told it is full."""
    assert shelf.point.slot_capacity == 10
    record = catalog_services.create_record(
        library=shelf.lib,
        title="新冠肺炎防控指南",
        call_number="R563.1/1",
        items=[catalog_services.ItemInput(barcode=f"FK{n:03}") for n in range(1, 51)],
    )
    readers = _readers(shelf, 50)
    requests = [
        submit_request(
            user=user,
            library=shelf.lib,
            mode="pickup",
            service_point_code="MAIN",
            lines=[LineSpec(record_id=record.pk)],
        )
        for user in readers
    ]
    clients = [ApiClient(user) for user in readers]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    slot_start = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=TZ)

    def book(client: ApiClient, request: BorrowRequest):
        path = f"/api/v1/borrow-requests/{request.pk}/slot"
        return lambda: client.post(path, {"slot_start": slot_start.isoformat()})

    responses = _at_once([book(c, r) for c, r in zip(clients, requests, strict=True)])

    outcomes = _outcomes(responses)
    assert outcomes[(409, "slot_full")] == 40
    assert sum(n for (code, _), n in outcomes.items() if code == 200) == 10
    bookings = SlotBooking.objects.filter(service_point=shelf.point, slot_start=slot_start)
    assert sorted(bookings.values_list("seat", flat=True)) == list(range(1, 11))
    booked = {r.json()["id"] for r in responses if r.status_code == 200}
    assert set(bookings.values_list("request_id", flat=True)) == booked
    assert all(r.json()["slot"]["start"] for r in responses if r.status_code == 200)
