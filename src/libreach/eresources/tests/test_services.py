"""E-resources services: each rule allowed and refused; a refusal changes nothing."""

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from libreach.accounts.policies import SYSTEM
from libreach.catalog.models import JournalHolding
from libreach.core.errors import DomainError
from libreach.docdelivery.lenders import rank_lenders
from libreach.eresources import services
from libreach.eresources.models import (
    DEFAULT_RANK,
    AccessRoute,
    Collection,
    Database,
    KbartTitle,
    LinkSettings,
    RouteKind,
)
from libreach.eresources.tests.test_kbart import HEADER, ROWS, row
from libreach.testing.permissions import db_fingerprint

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
NOW = dt.datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
DATA = Path(__file__).parent / "data"
PKU_IDP = "https://idp.pku.edu.cn/idp/shibboleth"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def refused(code, call, *args, **kwargs):
    """`call` raises the domain error `code` and leaves the database as it was."""
    before = db_fingerprint()
    with pytest.raises(DomainError) as error:
        call(*args, **kwargs)
    assert error.value.code == code, (error.value.code, str(error.value))
    assert db_fingerprint() == before
    return error.value


def _database(c, name="中国知网", **values):
    return services.create_database(by=c.staff, library=c.lib, name=name, **values)


# --- databases and routes -------------------------------------------------------------


def test_a_database_with_one_route_of_each_kind_ranked_by_default(consortium):
    routes = [{"kind": kind, "url": "https://www.cnki.net/"} for kind in RouteKind.values]
    routes[-1].update(ends=NOW + dt.timedelta(days=30))  # the free offer
    database = _database(consortium, routes=routes, platform_url="https://www.cnki.net/")
    made = {r.kind: r for r in database.routes.all()}
    assert set(made) == set(RouteKind.values)
    assert all(made[kind].rank == DEFAULT_RANK[kind] for kind in made)
    assert made[RouteKind.FREE_OFFER].ends == NOW + dt.timedelta(days=30)
    ranked = _database(consortium, name="万方", routes=[{"kind": "vpn", "rank": 1}])
    assert ranked.routes.get().rank == 1


def test_database_and_route_rules(consortium):
    c = consortium
    _database(c)
    refused("duplicate_name", _database, c)
    refused("name_required", _database, c, name="  ")
    refused("invalid_url", _database, c, name="A", platform_url="www.cnki.net")
    refused("invalid_url", _database, c, name="A", routes=[{"kind": "vpn", "url": "ftp://x.cn"}])
    refused("invalid_kind", _database, c, name="A", routes=[{"kind": "telnet"}])
    refused("invalid_kind", _database, c, name="A", kind="podcasts")
    refused("invalid_rank", _database, c, name="A", routes=[{"kind": "vpn", "rank": 0}])
    refused("too_long", _database, c, name="x" * 201)
    offer = {"kind": "free_offer", "url": "https://www.cambridge.org/core"}
    refused("offer_end_required", _database, c, name="A", routes=[offer])
    refused(
        "ends_before_start",
        _database,
        c,
        name="A",
        routes=[{**offer, "starts": NOW, "ends": NOW}],
    )
    refused("dates_only_for_offers", _database, c, name="A", routes=[{"kind": "vpn", "ends": NOW}])
    # A CARSI route's address may hold the placeholder; any other must be a real address.
    carsi = "https://fsso.cnki.net/Shibboleth.sso/Login?entityID=https://{IDP地址}/idp/shibboleth"
    _database(c, name="B", routes=[{"kind": "carsi", "url": carsi}])
    refused("invalid_url", _database, c, name="C", routes=[{"kind": "vpn", "url": "{IDP地址}/x"}])


@pytest.mark.parametrize("actor", ["anonymous", "reader", "other_staff", "volunteer"])
def test_only_the_librarys_staff_change_its_databases(consortium, actor):
    c = consortium
    database = _database(c, routes=[{"kind": "vpn"}])
    route = database.routes.get()
    by = c.actor(actor)
    code = "not_authenticated" if by is None else "forbidden"
    refused(code, services.create_database, by=by, library=c.lib, name="新库")
    refused(code, services.update_database, by=by, database_id=database.pk, name="新名")
    refused(code, services.delete_database, by=by, database_id=database.pk)
    refused(code, services.add_route, by=by, database_id=database.pk, kind="carsi")
    refused(code, services.update_route, by=by, route_id=route.pk, rank=1)
    refused(code, services.delete_route, by=by, route_id=route.pk)
    refused(code, services.save_link_settings, by=by, library=c.lib, idp_entity_id=PKU_IDP)


def test_staff_update_and_delete(consortium):
    c = consortium
    database = _database(c, routes=[{"kind": "vpn"}])
    _database(c, name="万方")
    refused(
        "duplicate_name", services.update_database, by=c.staff, database_id=database.pk, name="万方"
    )
    services.update_database(by=c.lib_admin, database_id=database.pk, name_en="CNKI")
    assert Database.objects.get(pk=database.pk).name_en == "CNKI"
    route = services.add_route(
        by=c.staff, database_id=database.pk, kind="free_offer", ends=NOW + dt.timedelta(days=9)
    )
    assert route.position == 1 and route.rank == DEFAULT_RANK[RouteKind.FREE_OFFER]
    refused(
        "ends_before_start",
        services.update_route,
        by=c.staff,
        route_id=route.pk,
        starts=NOW + dt.timedelta(days=10),
    )
    refused(
        "dates_only_for_offers",
        services.update_route,
        by=c.staff,
        route_id=route.pk,
        kind="vpn",
        ends=NOW,
    )
    services.update_route(by=c.staff, route_id=route.pk, kind="vpn")  # no longer an offer
    assert AccessRoute.objects.get(pk=route.pk).ends is None
    refused("route_not_found", services.delete_route, by=c.staff, route_id=999999)
    services.delete_route(by=c.staff, route_id=route.pk)
    services.delete_database(by=c.staff, database_id=database.pk)
    assert not AccessRoute.objects.exists()
    refused("database_not_found", services.delete_database, by=c.staff, database_id=database.pk)


# --- link settings -----------------------------------------------------------------------


def test_link_settings_check_the_entity_id_and_the_webvpn_key(consortium):
    c = consortium
    save = services.save_link_settings
    refused("invalid_entity_id", save, by=c.staff, library=c.lib, idp_entity_id="idp.pku.edu.cn")
    refused("invalid_webvpn_key", save, by=c.staff, library=c.lib, webvpn_key="short")
    refused("too_long", save, by=c.staff, library=c.lib, webvpn_key="k" * 65)
    refused("invalid_url", save, by=c.staff, library=c.lib, ezproxy_base="https://a b.cn")
    # Before the federation's metadata is imported, any https entityID is taken.
    assert save(by=c.staff, library=c.lib, idp_entity_id="https://idp.nowhere.cn/idp/shibboleth")
    for key in ("wrdvpnisthebest!", "k" * 24, "k" * 32):
        assert save(by=c.staff, library=c.lib, webvpn_key=key).webvpn_key == key

    services.import_federation_metadata(by=SYSTEM, source=(DATA / "carsi-sample.xml").read_bytes())
    error = refused(
        "unknown_entity_id",
        save,
        by=c.staff,
        library=c.lib,
        idp_entity_id="https://idp.elsewhere.cn/idp/shibboleth",
    )
    assert error.status == 422
    settings_ = save(by=c.staff, library=c.lib, idp_entity_id=PKU_IDP, idp_name="")
    assert settings_.idp_name == "北京大学"  # named from the federation
    assert LinkSettings.objects.get(library=c.lib).idp_entity_id == PKU_IDP


def test_only_consortium_admins_import_the_federation(consortium):
    source = (DATA / "carsi-sample.xml").read_bytes()
    for actor in ("staff", "library_admin", "reader"):
        refused(
            "forbidden",
            services.import_federation_metadata,
            by=consortium.actor(actor),
            source=source,
        )
    assert services.import_federation_metadata(by=consortium.consortium_admin, source=source) == 2
    refused("not_metadata", services.import_federation_metadata, by=SYSTEM, source=b"<md:Entities")


# --- free offers ---------------------------------------------------------------------------


def test_staff_are_warned_once_seven_days_before_an_offer_ends(
    consortium, django_capture_on_commit_callbacks
):
    c = consortium
    for user, email in ((c.lib_admin, "admin@lib.pku.edu.cn"), (c.staff, "circ@lib.pku.edu.cn")):
        user.email = email
        user.save(update_fields=["email"])
    ends = NOW + dt.timedelta(days=20)
    database = _database(c, name="Cambridge Core", routes=[{"kind": "free_offer", "ends": ends}])
    offer = database.routes.get()

    def warn_at(moment):
        with (
            time_machine.travel(moment, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return services.warn_ending_offers()

    assert warn_at(ends - dt.timedelta(days=7, seconds=1)) == 0
    assert warn_at(ends - dt.timedelta(days=7)) == 1
    assert [m.to for m in mail.outbox] == [["admin@lib.pku.edu.cn"]]  # admins, not circulation
    assert "Cambridge Core" in mail.outbox[0].body
    assert warn_at(ends - dt.timedelta(days=6)) == 0  # once
    assert len(mail.outbox) == 1

    # Extended: the new end is warned of in its turn.
    new_end = ends + dt.timedelta(days=30)
    with time_machine.travel(ends - dt.timedelta(days=6), tick=False):
        services.update_route(by=c.staff, route_id=offer.pk, ends=new_end)
    assert AccessRoute.objects.get(pk=offer.pk).end_warned_at is None
    assert warn_at(new_end - dt.timedelta(days=8)) == 0
    assert warn_at(new_end - dt.timedelta(days=7)) == 1
    assert len(mail.outbox) == 2
    assert warn_at(new_end) == 0  # ended: nothing to warn of


# --- KBART ---------------------------------------------------------------------------------


def test_kbart_titles_and_journal_holdings_replace_the_last_import(consortium):
    c = consortium
    database = _database(c, name="Springer Nature")
    other = _database(c, name="Science Online")
    services.import_kbart(by=c.staff, database_id=other.pk, source=HEADER + "\n" + ROWS[-1] + "\n")
    done = services.import_kbart(
        by=c.staff, database_id=database.pk, source="\n".join([HEADER, *ROWS])
    )
    assert (done.titles, done.journal_holdings, len(done.errors)) == (4, 3, 3)
    holdings = JournalHolding.objects.filter(source=f"kbart:{database.pk}")
    assert set(holdings.values_list("issn", flat=True)) == {"0028-0836", "1674-7348", "0036-8075"}
    nature = holdings.get(issn="0028-0836")
    assert (nature.eissn, nature.first_year, nature.last_year) == ("1476-4687", 1869, None)

    # Another member's reader asks for a Nature article: the licence makes PKU a lender.
    lenders = rank_lenders(
        requester_id=c.other_lib.pk, type="article", issn="0028-0836", title="Nature", year="2020"
    )
    assert [x.code for x in lenders] == ["PKU"]

    again = row(publication_title="Cell", print_identifier="0092-8674", publication_type="serial")
    services.import_kbart(by=c.staff, database_id=database.pk, source=HEADER + "\n" + again)
    assert list(
        KbartTitle.objects.filter(database=database).values_list("publication_title", flat=True)
    ) == ["Cell"]
    assert list(
        JournalHolding.objects.filter(source=f"kbart:{database.pk}").values_list("issn", flat=True)
    ) == ["0092-8674"]
    assert JournalHolding.objects.filter(source=f"kbart:{other.pk}").count() == 1  # its own kept
    assert not rank_lenders(
        requester_id=c.other_lib.pk, type="article", issn="0028-0836", year="2020"
    )

    refused(
        "no_titles",
        services.import_kbart,
        by=c.staff,
        database_id=database.pk,
        source=HEADER + "\n",
    )
    refused(
        "not_kbart",
        services.import_kbart,
        by=c.staff,
        database_id=database.pk,
        source="title\tissn\n",
    )
    refused(
        "forbidden",
        services.import_kbart,
        by=c.other_staff,
        database_id=database.pk,
        source=HEADER + "\n" + again,
    )


# --- topic collections ------------------------------------------------------------------


def test_topic_collections(consortium):
    c = consortium
    database = _database(c, routes=[{"kind": "free_offer", "ends": NOW + dt.timedelta(days=9)}])
    offer = database.routes.get()
    elsewhere = services.create_database(by=c.other_staff, library=c.other_lib, name="他馆库")
    topic = services.create_collection(
        by=c.staff, library=c.lib, title="新冠肺炎研究", title_en="COVID-19 research"
    )
    assert topic.slug == "covid-19-research" and not topic.published
    refused(
        "duplicate_slug",
        services.create_collection,
        by=c.staff,
        library=c.lib,
        title="又一个",
        slug="COVID-19 Research",
    )
    refused("title_required", services.create_collection, by=c.staff, library=c.lib, title=" ")
    refused(
        "invalid_slug",
        services.create_collection,
        by=c.staff,
        library=c.lib,
        title="x",
        slug="新冠",
    )
    refused("forbidden", services.create_collection, by=c.other_staff, library=c.lib, title="x")
    second = services.create_collection(
        by=c.staff, library=c.lib, title="人文社科", slug="humanities"
    )
    assert second.position == topic.position + 1

    add = services.add_collection_item
    refused("one_target", add, by=c.staff, collection_id=topic.pk)
    refused(
        "one_target",
        add,
        by=c.staff,
        collection_id=topic.pk,
        database_id=database.pk,
        route_id=offer.pk,
    )
    refused(
        "one_target",
        add,
        by=c.staff,
        collection_id=topic.pk,
        database_id=database.pk,
        link_url="https://who.int/",
        link_title="WHO",
    )
    refused(
        "link_title_required", add, by=c.staff, collection_id=topic.pk, link_url="https://who.int/"
    )
    refused(
        "invalid_url", add, by=c.staff, collection_id=topic.pk, link_url="who.int", link_title="WHO"
    )
    refused("database_not_found", add, by=c.staff, collection_id=topic.pk, database_id=elsewhere.pk)
    refused("forbidden", add, by=c.reader, collection_id=topic.pk, database_id=database.pk)
    first = add(by=c.staff, collection_id=topic.pk, database_id=database.pk, note="首选")
    middle = add(by=c.staff, collection_id=topic.pk, route_id=offer.pk)
    last = add(
        by=c.staff, collection_id=topic.pk, link_url="https://www.who.int/", link_title="WHO"
    )

    def order():
        return list(topic.items.order_by("position", "id").values_list("pk", flat=True))

    assert order() == [first.pk, middle.pk, last.pk]
    services.move_collection_item(by=c.staff, item_id=last.pk, step=-1)
    assert order() == [first.pk, last.pk, middle.pk]
    services.move_collection_item(by=c.staff, item_id=first.pk, step=-1)  # already first
    assert order() == [first.pk, last.pk, middle.pk]
    refused("forbidden", services.move_collection_item, by=c.other_staff, item_id=first.pk, step=1)
    refused("forbidden", services.remove_collection_item, by=c.volunteer, item_id=first.pk)
    services.update_collection_item(by=c.staff, item_id=middle.pk, note="至 3 月底免费")
    services.remove_collection_item(by=c.staff, item_id=first.pk)
    assert order() == [last.pk, middle.pk]

    services.move_collection(by=c.staff, collection_id=second.pk, step=-1)
    assert list(Collection.objects.filter(library=c.lib).values_list("slug", flat=True)) == [
        "humanities",
        "covid-19-research",
    ]
    refused(
        "duplicate_slug",
        services.update_collection,
        by=c.staff,
        collection_id=second.pk,
        slug="covid-19-research",
    )
    services.update_collection(by=c.staff, collection_id=topic.pk, published=True)
    services.delete_collection(by=c.staff, collection_id=second.pk)
    assert list(Collection.objects.values_list("slug", "published")) == [
        ("covid-19-research", True)
    ]


def test_a_new_entity_id_takes_its_own_name_from_the_federation(consortium):
    c = consortium
    services.import_federation_metadata(by=SYSTEM, source=(DATA / "carsi-sample.xml").read_bytes())
    save = services.save_link_settings
    assert save(by=c.staff, library=c.lib, idp_entity_id=PKU_IDP).idp_name == "北京大学"
    szu = "https://idp.szu.edu.cn/idp/shibboleth"
    assert save(by=c.staff, library=c.lib, idp_entity_id=szu).idp_name == "深圳大学"
    # A name staff give is kept, and so is the name when the entityID stays.
    assert (
        save(by=c.staff, library=c.lib, idp_name="深大统一身份认证").idp_name == "深大统一身份认证"
    )
    assert save(by=c.staff, library=c.lib, idp_entity_id=szu).idp_name == "深大统一身份认证"
