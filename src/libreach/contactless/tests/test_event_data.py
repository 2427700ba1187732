"""Event details are data (RequestEvent.data), rendered in the reader's language from the
code and the data; old events' notes are turned into data by the migration."""

from __future__ import annotations

import importlib

import pytest
from django.utils import translation

from libreach.contactless import events, services
from libreach.contactless.models import RequestEvent

migration = importlib.import_module("libreach.contactless.migrations.0002_event_data")


def _picked(shelf):
    borrow = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="pickup",
        service_point_code="MAIN",
        lines=[
            services.LineSpec(record_id=shelf.record("红楼梦").pk),
            services.LineSpec(record_id=shelf.record("呐喊").pk),
        ],
    )
    found, missing = borrow.lines.order_by("position")
    services.mark_found(request_id=borrow.pk, line_id=found.pk, by=shelf.staff)
    services.mark_not_found(
        request_id=borrow.pk, line_id=missing.pk, by=shelf.staff, reason="not_on_shelf"
    )
    services.disinfect(request_id=borrow.pk, by=shelf.staff, method="uv", minutes=30)
    services.stage(request_id=borrow.pk, by=shelf.staff, shelf_slot="A-7")
    return borrow, found, missing


def test_services_store_details_as_data(shelf):
    borrow, found, missing = _picked(shelf)
    rows = {e.event: e for e in RequestEvent.objects.filter(request=borrow)}
    found.refresh_from_db()
    missing.refresh_from_db()
    assert rows["line_found"].data == {"barcode": found.item.barcode}
    assert rows["line_not_found"].data == {
        "reason": "not_on_shelf",
        "barcode": missing.item.barcode,
    }
    assert rows["disinfected"].data == {"method": "uv", "minutes": 30}
    assert rows["ready"].data == {"shelf_slot": "A-7"}
    assert all(e.note == "" for e in rows.values())


def test_history_reads_in_the_readers_language(shelf, api_as):
    borrow, _found, _missing = _picked(shelf)
    not_found = RequestEvent.objects.get(request=borrow, event="line_not_found")
    disinfected = RequestEvent.objects.get(request=borrow, event="disinfected")
    with translation.override("en"):
        assert events.desk_detail(not_found) == "Not on the shelf"
        assert events.desk_text(disinfected) == "Disinfected · UV lamp, 30 min"
        assert "(Not on the shelf)" in events.reader_text(not_found, mode="pickup", title="呐喊")
    with translation.override("zh-hans"):
        assert events.desk_detail(not_found) != "Not on the shelf"
        assert "呐喊" in events.reader_text(not_found, mode="pickup", title="呐喊")
    body = api_as("staff").get(f"/api/v1/borrow-requests/{borrow.pk}", HTTP_ACCEPT_LANGUAGE="en")
    history = {e["event"]: e for e in body.json()["history"]}
    assert history["line_not_found"]["data"]["reason"] == "not_on_shelf"
    assert history["disinfected"]["data"] == {"method": "uv", "minutes": 30}


@pytest.mark.parametrize(
    ("event", "note", "data"),
    [
        ("line_found", "PKU011", {"barcode": "PKU011"}),
        ("line_not_found", "damaged", {"reason": "damaged"}),
        ("disinfected", "uv 30 min", {"method": "uv", "minutes": 30}),
        ("ready", "A-7", {"shelf_slot": "A-7"}),
        ("out_for_delivery", "run 12", {"run": 12}),
        ("slot_booked", "2020-02-03T10:00:00+08:00", {"slot_start": "2020-02-03T10:00:00+08:00"}),
    ],
)
def test_migration_turns_old_notes_into_data_and_back(event, note, data):
    assert migration.note_to_data(event, note) == data
    assert migration.data_to_note(event, data) == note


@pytest.mark.parametrize(
    ("event", "note"),
    [("line_not_found", "lost in the flood"), ("disinfected", "sprayed"), ("slot_booked", "x")],
)
def test_migration_keeps_notes_it_cannot_read(event, note):
    assert migration.note_to_data(event, note) is None


@pytest.mark.django_db(transaction=True)
def test_migration_on_a_database(shelf):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    borrow, _found, _missing = _picked(shelf)
    RequestEvent.objects.filter(request=borrow, event="disinfected").update(
        data={}, note="wipe 15 min"
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    state = executor.loader.project_state(("contactless", "0002_event_data"))
    migration.forwards(state.apps, None)
    row = RequestEvent.objects.get(request=borrow, event="disinfected")
    assert (row.data, row.note) == ({"method": "wipe", "minutes": 15}, "")
