"""Quarantine release by scan: a copy whose quarantine is over goes back on the shelf,
answered in place (or, without JavaScript, with a redirect and a message); one still in
quarantine, not in quarantine, or not this library's is refused and nothing changes. The
board's per-row button answers in place too."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from libreach.catalog.models import Item, ItemStatus
from libreach.catalog.services import ItemInput, create_record
from libreach.circulation import services
from libreach.core.errors import Conflict, NotFound
from libreach.testing.permissions import changed_tables, db_fingerprint

HX = {"HTTP_HX_REQUEST": "true"}
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def quarantined(library, barcode: str, *, until: dt.datetime | None) -> Item:
    record = create_record(library=library, title="红楼梦", items=[ItemInput(barcode=barcode)])
    item = record.items.get()
    Item.objects.filter(pk=item.pk).update(status=ItemStatus.QUARANTINED, quarantine_until=until)
    item.refresh_from_db()
    return item


@pytest.fixture
def board(consortium):
    """PKU's board: one copy whose quarantine is over, one still in it; a copy on the
    shelf; BLCU's copy over its quarantine."""
    now = timezone.now()
    return {
        "over": quarantined(consortium.lib, "Q-OVER", until=now - dt.timedelta(hours=1)),
        "not_over": quarantined(consortium.lib, "Q-LATER", until=now + dt.timedelta(hours=30)),
        "on_shelf": create_record(
            library=consortium.lib, title="呐喊", items=[ItemInput(barcode="SHELF-1")]
        ).items.get(),
        "other_library": quarantined(
            consortium.other_lib, "Q-BLCU", until=now - dt.timedelta(hours=1)
        ),
    }


def client_as(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def scan_url() -> str:
    return reverse("desk:quarantine_scan", args=["PKU"])


def status_of(item: Item) -> str:
    return Item.objects.values_list("status", flat=True).get(pk=item.pk)


def scan_result(html: str) -> str:
    return re.search(r'data-scan-result="(\w+)"', html).group(1)


# --- the service -------------------------------------------------------------------------


def test_release_scanned_releases_from_the_end_of_the_quarantine_on(consortium):
    item = quarantined(consortium.lib, "Q-1", until=NOW)
    with pytest.raises(Conflict) as refused:
        services.release_scanned(
            library=consortium.lib,
            barcode="Q-1",
            by=consortium.staff,
            now=NOW - dt.timedelta(seconds=1),
        )
    assert refused.value.code == "quarantine_not_over"
    assert status_of(item) == ItemStatus.QUARANTINED
    released = services.release_scanned(
        library=consortium.lib, barcode=" Q-1 ", by=consortium.staff, now=NOW
    )
    assert released.status == ItemStatus.AVAILABLE and released.quarantine_until is None
    with pytest.raises(Conflict) as again:
        services.release_scanned(library=consortium.lib, barcode="Q-1", by=consortium.staff)
    assert again.value.code == "not_quarantined"
    with pytest.raises(NotFound):
        services.release_scanned(
            library=consortium.other_lib, barcode="Q-1", by=consortium.other_staff
        )


# --- the scan box --------------------------------------------------------------------------


def test_scan_releases_in_place_with_the_row_off_the_board_and_the_count(consortium, board):
    staff = client_as(consortium.staff)
    page = staff.get(reverse("desk:quarantine", args=["PKU"]))
    html = page.content.decode()
    assert 'name="scan"' in html and f'action="{scan_url()}"' in html
    assert 'id="scan-count">2 books in quarantine' in html
    over = board["over"]
    assert f'id="quarantine-{over.pk}"' in html

    response = staff.post(scan_url(), {"scan": "Q-OVER"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert scan_result(html) == "ok"
    assert "Q-OVER is back on the shelf." in html
    assert f'<tr id="quarantine-{over.pk}" hx-swap-oob="delete">' in html
    assert 'id="scan-count" hx-swap-oob="true">1 book in quarantine' in html
    assert status_of(over) == ItemStatus.AVAILABLE


def test_scan_answers_in_chinese_on_a_chinese_page(consortium, board):
    html = client_as(consortium.staff, "zh-hans").post(scan_url(), {"scan": "Q-LATER"}, **HX)
    html = html.content.decode()
    assert "Q-LATER 隔离至" in html and "尚未期满" in html
    assert "隔离中 2 册" in html


def test_plain_scan_redirects_with_the_message(consortium, board):
    staff = client_as(consortium.staff)
    response = staff.post(scan_url(), {"scan": "Q-OVER"})
    assert response.status_code == 302
    assert response.url == reverse("desk:quarantine", args=["PKU"])
    page = staff.get(response.url)
    assert [str(m) for m in page.context["messages"]] == ["Q-OVER is back on the shelf."]


REFUSED = [
    ("not_over", 409, "is in quarantine until"),
    ("on_shelf", 409, "Item SHELF-1 is not in quarantine."),
    ("other_library", 404, "This library has no copy with that barcode."),
    ("unknown", 404, "This library has no copy with that barcode."),
    ("empty", 400, "Scan or type a barcode."),
]


@pytest.mark.parametrize("in_place", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("what", "status", "words"), REFUSED, ids=[r[0] for r in REFUSED])
def test_scan_refusals_say_why_and_change_nothing(consortium, board, what, status, words, in_place):
    code = {"unknown": "NOPE-9", "empty": " "}.get(what) or board[what].barcode
    staff = client_as(consortium.staff)
    before = db_fingerprint()
    response = staff.post(scan_url(), {"scan": code}, **(HX if in_place else {}))
    assert response.status_code == status
    html = response.content.decode()
    assert words in html
    if in_place:
        assert scan_result(html) == "error"
        assert 'hx-swap-oob="delete"' not in html
        assert "2 books in quarantine" in html
    assert changed_tables(before, db_fingerprint()) == []


@pytest.mark.parametrize(
    ("actor", "status"),
    [("other_staff", 403), ("volunteer", 403), ("reader", 403), ("anonymous", 302)],
)
def test_only_the_librarys_staff_release(consortium, board, actor, status):
    client = client_as(consortium.actor(actor))
    before = db_fingerprint()
    for headers in (HX, {}):
        assert client.post(scan_url(), {"scan": "Q-OVER"}, **headers).status_code == status
    assert changed_tables(before, db_fingerprint()) == []


def test_queries_per_scan_do_not_grow_with_the_board(consortium, board):
    staff = client_as(consortium.staff)
    counts = []
    for n in range(2):
        for k in range(n * 20):
            quarantined(consortium.lib, f"MORE-{n}-{k}", until=None)
        code = f"FREE-{n}"
        quarantined(consortium.lib, code, until=timezone.now() - dt.timedelta(minutes=1))
        with CaptureQueriesContext(connection) as queries:
            assert staff.post(scan_url(), {"scan": code}, **HX).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


# --- the board's buttons -------------------------------------------------------------------


def release_url(item: Item) -> str:
    return reverse("desk:quarantine_release", args=["PKU", item.barcode])


def test_release_button_answers_in_place_and_keeps_the_row(consortium, board):
    item = board["not_over"]  # the button releases before the end: the librarian's choice
    staff = client_as(consortium.staff)
    page = staff.get(reverse("desk:quarantine", args=["PKU"])).content.decode()
    assert f'hx-post="{release_url(item)}"' in page
    assert f'id="release-{item.pk}"' in page

    response = staff.post(release_url(item), **HX)
    assert response.status_code == 200
    html = response.content.decode()
    # All out of band (a row is parsed in a <template>): the row, the count, the message.
    assert html.startswith(f'<template><tr id="quarantine-{item.pk}" hx-swap-oob="true">')
    assert 'tabindex="-1" autofocus data-focus-after>Available</span>' in html
    assert "Release now" not in html
    assert 'id="scan-count" hx-swap-oob="true">1 book in quarantine' in html
    assert "Q-LATER is back on the shelf." in html  # the message, out of band
    assert status_of(item) == ItemStatus.AVAILABLE

    # Again: no longer in quarantine, said in place, nothing changed.
    before = db_fingerprint()
    again = staff.post(release_url(item), **HX)
    assert again.status_code == 409
    assert "Item Q-LATER is not in quarantine." in again.content.decode()
    assert changed_tables(before, db_fingerprint()) == []


def test_release_button_without_javascript_redirects(consortium, board):
    staff = client_as(consortium.staff)
    response = staff.post(release_url(board["over"]))
    assert response.status_code == 302
    assert status_of(board["over"]) == ItemStatus.AVAILABLE


def test_release_button_of_an_unknown_copy_in_place_is_a_404_message(consortium, board):
    staff = client_as(consortium.staff)
    before = db_fingerprint()
    response = staff.post(reverse("desk:quarantine_release", args=["PKU", "Q-BLCU"]), **HX)
    assert response.status_code == 404
    assert "This library has no copy with that barcode." in response.content.decode()
    assert changed_tables(before, db_fingerprint()) == []
    assert status_of(board["other_library"]) == ItemStatus.QUARANTINED


def test_the_last_copy_released_leaves_the_board_saying_it_is_empty(consortium):
    quarantined(consortium.lib, "Q-LAST", until=timezone.now() - dt.timedelta(minutes=1))
    html = client_as(consortium.staff).post(scan_url(), {"scan": "Q-LAST"}, **HX)
    html = html.content.decode()
    assert '<div id="quarantine-list" hx-swap-oob="true"><p class="card">No book' in html
    assert "0 books in quarantine" in html
