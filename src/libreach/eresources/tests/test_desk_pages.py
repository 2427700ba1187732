"""The e-resources desk pages: what each allows and refuses, in both languages where the
words matter, and that the databases list and the status page take the same number of
queries for few databases as for many."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from libreach.eresources import services
from libreach.eresources.models import (
    AccessRoute,
    Collection,
    CollectionItem,
    Database,
    FederationIdp,
    KbartTitle,
    LinkCheck,
    LinkSettings,
    PatrolRun,
)
from libreach.eresources.tests.desk_pages import WAYFLESS, a_database, kbart_file
from libreach.testing.permissions import changed_tables, db_fingerprint

TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
NOW = dt.datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
BASE = "/desk/PKU/e-resources/"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff(consortium) -> Client:
    client = Client()
    client.force_login(consortium.staff)
    return client


@pytest.fixture
def values(consortium, clock) -> dict:
    return a_database(consortium)


def _zh(client: Client) -> Client:
    client.cookies["django_language"] = "zh-hans"
    return client


def _en(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


# --- the databases list ------------------------------------------------------------------


def test_list_warns_of_offers_ending_and_broken_links(staff, values):
    page = _en(staff).get(BASE).content.decode()
    assert "1 free offer ends within 7 days" in page
    assert "1 link broken: see the link status" in page
    assert f'{BASE}status/?status=broken"' in page
    assert "中国知网" in page
    assert '<td data-label="Best route">Free offer</td>' in page
    page = _zh(staff).get(BASE).content.decode()
    assert "1 个免费资源将在 7 天内结束" in page
    assert "1 个链接失效" in page


def test_no_warning_box_when_nothing_ends_or_breaks(staff, consortium, clock):
    services.create_database(by=consortium.staff, library=consortium.lib, name="万方")
    page = _en(staff).get(BASE).content.decode()
    assert "Needs attention" not in page


def _many(consortium, n: int, start: int = 0) -> None:
    run = PatrolRun.objects.create(library=consortium.lib, started_at=NOW, finished_at=NOW)
    for i in range(start, start + n):
        database = services.create_database(
            by=consortium.staff,
            library=consortium.lib,
            name=f"库{i}",
            routes=[{"kind": "vpn"}, {"kind": "webvpn", "url": f"https://db{i}.example.org/"}],
        )
        for route in database.routes.all():
            LinkCheck.objects.create(
                route=route, run=run, url="https://x/", status="timeout", checked_at=NOW
            )


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["", "status/"])
def test_queries_do_not_grow_with_databases(staff, consortium, clock, path):
    _many(consortium, 2)
    few = _queries(staff, BASE + path)
    _many(consortium, 20, start=2)
    assert _queries(staff, BASE + path) == few


def test_create_database_refusals_keep_the_form(staff, consortium, values):
    before = db_fingerprint()
    response = _en(staff).post(BASE + "new/", {"name": "", "kind": "journals"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = staff.post(BASE + "new/", {"name": "中国知网", "kind": "journals"})
    assert response.status_code == 409
    assert "already lists a database called 中国知网" in response.content.decode()
    response = staff.post(BASE + "new/", {"name": "x" * 201, "kind": "journals"})
    assert response.status_code == 400
    assert 'maxlength="200"' in response.content.decode()
    assert not changed_tables(before, db_fingerprint())


def test_create_then_lands_on_its_page(staff, consortium, clock):
    response = staff.post(BASE + "new/", {"name": "万方", "kind": "theses", "vendor": "万方数据"})
    database = Database.objects.get(name="万方")
    assert response["Location"] == f"{BASE}{database.pk}/"
    assert database.kind == "theses" and database.library == consortium.lib


# --- a database's page ---------------------------------------------------------------------


def test_free_offer_dates_are_read_in_local_time(staff, values):
    url = f"{BASE}{values['database_id']}/routes/"
    response = staff.post(
        url,
        {
            "new-kind": "free_offer",
            "new-url": "https://trial.example.org/",
            "new-starts": "2026-03-05T08:00",
            "new-ends": "2026-04-01T18:30",
            "new-scope": "全体师生",
        },
    )
    assert response.status_code == 302
    route = AccessRoute.objects.get(url="https://trial.example.org/")
    assert route.ends == dt.datetime(2026, 4, 1, 18, 30, tzinfo=TZ)
    assert route.starts == dt.datetime(2026, 3, 5, 8, 0, tzinfo=TZ)
    assert route.rank == 10  # the kind's usual rank
    page = staff.get(f"{BASE}{values['database_id']}/").content.decode()
    assert 'value="2026-04-01T18:30"' in page  # the edit form shows it back in local time


def test_a_free_offer_without_end_is_refused_and_nothing_changes(staff, values):
    before = db_fingerprint()
    response = _en(staff).post(
        f"{BASE}{values['database_id']}/routes/",
        {"new-kind": "free_offer", "new-url": "https://trial.example.org/"},
    )
    assert response.status_code == 400
    assert "A free offer needs its end time." in response.content.decode()
    assert not changed_tables(before, db_fingerprint())


def test_dates_on_a_route_that_is_not_an_offer_are_dropped(staff, values):
    route = AccessRoute.objects.get(pk=values["route_id"])
    p = f"r{route.pk}-"
    response = staff.post(
        f"{BASE}routes/{route.pk}/edit/",
        {p + "kind": "ezproxy", p + "rank": "3", p + "ends": "2026-04-01T18:30"},
    )
    assert response.status_code == 302
    route.refresh_from_db()
    assert (route.kind, route.rank, route.ends) == ("ezproxy", 3, None)


def test_a_bad_route_address_is_said_beside_the_form(staff, values):
    route = AccessRoute.objects.get(pk=values["route_id"])
    p = f"r{route.pk}-"
    response = _en(staff).post(
        f"{BASE}routes/{route.pk}/edit/", {p + "kind": "carsi", p + "url": "ftp://x"}
    )
    assert response.status_code == 400
    assert "must be an http:// or https:// address" in response.content.decode()
    route.refresh_from_db()
    assert route.url == "https://free.cnki.net/"


def test_another_librarys_database_is_not_found_here(staff, consortium, clock):
    other = services.create_database(
        by=consortium.other_staff, library=consortium.other_lib, name="BLCU 库"
    )
    assert staff.get(f"{BASE}{other.pk}/").status_code == 404
    before = db_fingerprint()
    assert staff.post(f"{BASE}{other.pk}/delete/").status_code == 404
    assert staff.post(f"{BASE}{other.pk}/edit/", {"name": "改", "kind": "data"}).status_code == 404
    assert not changed_tables(before, db_fingerprint())


def test_other_staff_and_volunteers_change_nothing(consortium, values):
    for user in (consortium.other_staff, consortium.volunteer, consortium.reader):
        client = Client()
        client.force_login(user)
        before = db_fingerprint()
        response = client.post(f"{BASE}{values['database_id']}/delete/")
        assert response.status_code == 403
        assert not changed_tables(before, db_fingerprint())
    assert Client().post(BASE + "new/", {"name": "x"}).status_code == 302  # to sign in
    assert not Database.objects.filter(name="x").exists()


def test_delete_asks_first(staff, values):
    url = f"{BASE}{values['database_id']}/delete/"
    page = _en(staff).get(url).content.decode()
    assert "Its 2 access routes go with it" in page
    assert Database.objects.filter(pk=values["database_id"]).exists()
    assert staff.post(url)["Location"] == BASE
    assert not Database.objects.filter(pk=values["database_id"]).exists()


def test_kbart_upload_shows_counts_and_errors_by_line(staff, values):
    url = f"{BASE}{values['database_id']}/"
    data = kbart_file(("Nature", "0028-0836"), ("", "1234-5678"), ("Cell", "0092-8674"))
    response = staff.post(url + "kbart/", {"file": SimpleUploadedFile("k.txt", data, "text/plain")})
    assert response.status_code == 302
    assert KbartTitle.objects.filter(database_id=values["database_id"]).count() == 2
    page = _en(staff).get(url).content.decode()
    assert "Imported 2 titles; 2 journals became holdings." in page
    assert "2 problems found; rows with problems were skipped" in page
    assert '<td data-label="Line">3</td>' in page
    # Shown once: the next visit shows the list's count only.
    assert "problems found" not in staff.get(url).content.decode()


def test_a_file_that_is_not_kbart_changes_nothing(staff, values):
    before = db_fingerprint()
    response = _en(staff).post(
        f"{BASE}{values['database_id']}/kbart/",
        {"file": SimpleUploadedFile("k.txt", b"hello\tworld\n", "text/plain")},
        follow=True,
    )
    assert "Not a KBART file" in response.content.decode()
    assert not changed_tables(before, db_fingerprint())


# --- link settings -------------------------------------------------------------------------


def test_link_settings_show_a_sample_of_each_kind(staff, consortium, clock):
    response = staff.post(
        BASE + "links/",
        {
            "idp_entity_id": "https://idp.pku.edu.cn/idp/shibboleth",
            "ezproxy_base": "https://ezproxy.pku.edu.cn",
            "openathens_domain": "pku.edu.cn",
            "webvpn_base": "https://webvpn.pku.edu.cn",
            "webvpn_encrypted": "on",
        },
    )
    assert response.status_code == 302
    page = staff.get(BASE + "links/").content.decode()
    assert "idp=https://idp.pku.edu.cn/idp/shibboleth" in page
    assert "https://ezproxy.pku.edu.cn/login?qurl=" in page
    assert "https://go.openathens.net/redirector/pku.edu.cn?url=" in page
    assert "https://webvpn.pku.edu.cn/https/" in page


def test_a_bad_webvpn_key_is_refused_and_nothing_saved(staff, consortium, clock):
    response = _en(staff).post(BASE + "links/", {"webvpn_key": "short"})
    assert response.status_code == 400
    assert "16, 24 or 32 characters" in response.content.decode()
    assert not LinkSettings.objects.exists()


def test_idp_lookup_fills_the_form(staff, consortium, clock):
    assert "idp_q" not in staff.get(BASE + "links/").content.decode()  # no metadata yet
    FederationIdp.objects.create(
        entity_id="https://idp.pku.edu.cn/idp/shibboleth",
        name="北京大学",
        name_en="Peking University",
        names_folded="北京大学 peking university",
        imported_at=NOW,
    )
    page = staff.get(BASE + "links/", {"idp_q": "Peking"}).content.decode()
    assert "北京大学" in page
    assert "?entity_id=https%3A//idp.pku.edu.cn/idp/shibboleth" in page
    page = staff.get(
        BASE + "links/", {"entity_id": "https://idp.pku.edu.cn/idp/shibboleth"}
    ).content.decode()
    assert 'value="https://idp.pku.edu.cn/idp/shibboleth"' in page
    response = _en(staff).post(
        BASE + "links/", {"idp_entity_id": "https://idp.nowhere.cn/idp/shibboleth"}
    )
    assert response.status_code == 422
    assert "is not an identity provider of the federation" in response.content.decode()


# --- link status -------------------------------------------------------------------------------


def test_status_lists_broken_first_and_filters(staff, values):
    page = _en(staff).get(BASE + "status/").content.decode()
    assert page.index("Not found") < page.index(">OK<")
    assert "Last link patrol:" in page
    broken = staff.get(BASE + "status/", {"status": "broken"}).content.decode()
    assert "Not found" in broken and ">OK<" not in broken
    ok = staff.get(BASE + "status/", {"status": "ok"}).content.decode()
    assert ">OK<" in ok and "HTTP 200" in ok and "HTTP 404" not in ok
    assert "未找到" in _zh(staff).get(BASE + "status/").content.decode()


def test_route_history(staff, values):
    route_id = values["route_id"]
    LinkCheck.objects.create(
        route_id=route_id, url="https://x/", status="ok", checked_at=NOW - dt.timedelta(days=1)
    )
    page = _en(staff).get(f"{BASE}routes/{route_id}/").content.decode()
    assert page.index("Not found") < page.index(">OK<")  # newest first


# --- topic collections ----------------------------------------------------------------------


def test_collection_created_edited_and_linked_to_its_reader_page(staff, consortium, clock):
    response = staff.post(BASE + "topics/new/", {"title": "抗击疫情", "title_en": "COVID-19"})
    collection = Collection.objects.get()
    assert collection.slug == "covid-19"
    assert response["Location"] == f"{BASE}topics/{collection.pk}/"
    staff.post(
        f"{BASE}topics/{collection.pk}/edit/",
        {"title": "抗击疫情", "slug": "covid", "published": "on"},
    )
    collection.refresh_from_db()
    assert collection.published and collection.slug == "covid"
    page = staff.get(BASE + "topics/").content.decode()
    assert '"/e-resources/PKU/topics/covid/"' in page
    # The reader page answers at that address (a draft only for staff).
    assert staff.get("/e-resources/PKU/topics/covid/").status_code == 200


def test_items_move_in_place_and_without_javascript(staff, values):
    collection_id = values["collection_id"]
    first, second = CollectionItem.objects.filter(collection_id=collection_id).order_by("position")
    # htmx: the list comes back in its new order, focus on the moved item's button.
    response = _en(staff).post(
        f"{BASE}topics/items/{first.pk}/move/", {"step": "down"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="topic-items">')
    assert html.index(f'id="item-{second.pk}"') < html.index(f'id="item-{first.pk}"')
    assert f'id="item-{first.pk}-up" data-focus-after' in html
    # Without JavaScript: back to the editor.
    response = staff.post(f"{BASE}topics/items/{first.pk}/move/", {"step": "up"})
    assert response["Location"] == f"{BASE}topics/{collection_id}/#items"
    order = list(
        CollectionItem.objects.filter(collection_id=collection_id)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    assert order == [first.pk, second.pk]


def test_items_added_noted_and_removed(staff, values):
    collection_id = values["collection_id"]
    url = f"{BASE}topics/{collection_id}/items/"
    offer = AccessRoute.objects.get(kind="free_offer")
    assert (
        staff.post(url, {"add": "offer", "offer-route": offer.pk, "offer-note": "限时"}).status_code
        == 302
    )
    item = CollectionItem.objects.get(route=offer)
    assert item.note == "限时"
    response = _en(staff).post(url, {"add": "link", "link-link_title": "", "link-link_url": "x"})
    assert response.status_code == 400
    response = staff.post(
        f"{BASE}topics/items/{item.pk}/note/", {"note": "推荐"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "hx-swap-oob" in response.content.decode()
    item.refresh_from_db()
    assert item.note == "推荐"
    staff.post(f"{BASE}topics/items/{item.pk}/remove/")
    assert not CollectionItem.objects.filter(pk=item.pk).exists()


def test_collections_reorder_in_place(staff, consortium, values):
    other = services.create_collection(by=consortium.staff, library=consortium.lib, title="考研")
    response = staff.post(
        f"{BASE}topics/{other.pk}/move/", {"step": "up"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.index(f'id="topic-{other.pk}"') < html.index(
        f'id="topic-{values["collection_id"]}"'
    )


def test_other_librarys_collection_item_is_not_found(staff, consortium, clock):
    collection = services.create_collection(
        by=consortium.other_staff, library=consortium.other_lib, title="BLCU"
    )
    item = services.add_collection_item(
        by=consortium.other_staff,
        collection_id=collection.pk,
        link_title="x",
        link_url="https://x.org/",
    )
    before = db_fingerprint()
    assert staff.post(f"{BASE}topics/items/{item.pk}/remove/").status_code == 404
    assert staff.get(f"{BASE}topics/{collection.pk}/").status_code == 404
    assert not changed_tables(before, db_fingerprint())


# --- WAYFless ------------------------------------------------------------------------------


def test_wayfless_import_and_export(staff, consortium, clock):
    response = staff.post(
        BASE + "wayfless/",
        {"file": SimpleUploadedFile("list.md", WAYFLESS.encode(), "text/markdown")},
    )
    assert response.status_code == 302
    assert AccessRoute.objects.filter(kind="carsi").count() == 1
    md = staff.get(BASE + "wayfless/export.md")
    assert md["Content-Type"].startswith("text/markdown")
    assert md.content.decode() == WAYFLESS  # the community form, back as it came
    csv = staff.get(BASE + "wayfless/export.csv").content.decode()
    assert csv.startswith("resource,method,url,notes")
    assert staff.get(BASE + "wayfless/export.xml").status_code == 404
    LinkSettings.objects.filter(library=consortium.lib).update(
        idp_entity_id="https://idp.pku.edu.cn/idp/shibboleth"
    )
    assert (
        "entityID=https://idp.pku.edu.cn/idp/shibboleth"
        in staff.get(BASE + "wayfless/export.json").content.decode()
    )
    page = staff.get(BASE + "wayfless/").content.decode()
    assert "export.md?community=1" in page
    # The community form keeps the placeholder even with the library's IdP set.
    assert staff.get(BASE + "wayfless/export.md?community=1").content.decode() == WAYFLESS


def test_an_empty_wayfless_list_is_refused(staff, consortium, clock):
    before = db_fingerprint()
    response = _en(staff).post(BASE + "wayfless/", {"text": "no headings here"})
    assert response.status_code == 400
    assert "No entries found" in response.content.decode()
    assert _en(staff).post(BASE + "wayfless/", {"text": ""}).status_code == 400
    assert not changed_tables(before, db_fingerprint())


def test_a_collection_with_only_a_chinese_title_gets_an_address(staff, consortium, clock):
    """The service fell back to `topic-N` only in words: an empty slug was refused."""
    response = staff.post(BASE + "topics/new/", {"title": "考研"})
    assert response.status_code == 302
    assert Collection.objects.get().slug == "topic-1"


def test_the_desk_home_counts_offers_ending_and_broken_links(staff, consortium, values):
    from libreach.site.selectors import desk_work

    counts = desk_work([consortium.lib, consortium.other_lib], by=consortium.consortium_admin)
    assert counts[consortium.lib.pk]["eres_offers_ending"] == 1
    assert counts[consortium.lib.pk]["eres_links_broken"] == 1
    assert counts[consortium.other_lib.pk]["eres_links_broken"] == 0
    page = _en(staff).get("/desk/PKU/").content.decode()
    assert f'href="{BASE}status/?status=broken"' in page
    assert "E-resource links broken" in page and "Free offers ending within 7 days" in page
    # A week later the offer has ended: nothing to warn of.
    later = desk_work([consortium.lib], by=consortium.staff, now=NOW + dt.timedelta(days=7))
    assert later[consortium.lib.pk]["eres_offers_ending"] == 0
