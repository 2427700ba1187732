"""E-resources reads: the reader guide (best route first, from home, offers by the clock,
queries independent of the list's length), the links each kind of route gets, offers,
what the patrol checks, topic collections."""

import datetime as dt
import zoneinfo
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from libreach.core.errors import DomainError
from libreach.eresources import proxylinks, selectors, services
from libreach.eresources.models import AccessRoute, Database, LinkCheck, LinkSettings, RouteKind

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
NOW = dt.datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
DAY = dt.timedelta(days=1)
WOS = "https://www.webofscience.com/?auth=Shibboleth&entityID=https://{IDP地址}/idp/shibboleth"
SD = (
    "https://sp.sciencedirect.com/Shibboleth.sso/Login?entityID=https%3A%2F%2F"
    + quote("{IDP地址}", safe="")
    + "%2Fidp%2Fshibboleth&target=https%3A%2F%2Fwww.sciencedirect.com%2F"
)


def _database(c, name, routes=(), **values):
    return services.create_database(by=c.staff, library=c.lib, name=name, routes=routes, **values)


def _names(views):
    return [v.database.name for v in views]


def test_the_guide_puts_the_best_route_from_home_first(consortium):
    c = consortium
    _database(
        c,
        "Web of Science",
        [
            {"kind": "campus_ip", "url": "https://www.webofscience.com/", "rank": 1},
            {"kind": "vpn", "rank": 60},
            {"kind": "personal_account", "url": "https://www.webofscience.com/signup", "rank": 40},
            {"kind": "webvpn", "rank": 40},  # the same rank: the one listed first wins
        ],
        platform_url="https://www.webofscience.com/",
    )
    _database(c, "超星", [{"kind": "campus_ip", "url": "https://book.chaoxing.com/"}])
    _database(c, "Nature")
    views = selectors.guide(library=c.lib, now=NOW)
    assert _names(views) == ["Nature", "Web of Science", "超星"]
    nature, wos, chaoxing = views
    assert [r.route.kind for r in wos.routes] == ["campus_ip", "personal_account", "webvpn", "vpn"]
    assert wos.best.route.kind == "personal_account" and wos.works_from_home
    assert wos.best.link == "https://www.webofscience.com/signup"
    assert wos.routes[2].link is None  # WebVPN with no gateway configured
    assert wos.routes[3].link == "https://www.webofscience.com/"  # the platform
    assert chaoxing.best.route.kind == "campus_ip" and not chaoxing.works_from_home
    assert nature.best is None and not nature.works_from_home

    home = selectors.guide(library=c.lib, works_from_home=True, now=NOW)
    assert _names(home) == ["Web of Science"]  # campus-only and route-less ones left out
    assert _names(selectors.guide(library=c.lib, q="science WEB", now=NOW)) == ["Web of Science"]
    assert selectors.guide(library=c.other_lib, now=NOW) == []


def test_a_free_offer_is_in_the_guide_only_inside_its_window(consortium):
    c = consortium
    starts, ends = NOW + DAY, NOW + 30 * DAY
    _database(
        c,
        "Cambridge Core",
        [
            {
                "kind": "free_offer",
                "url": "https://www.cambridge.org/core",
                "starts": starts,
                "ends": ends,
            }
        ],
    )
    _database(c, "Open", [{"kind": "free_offer", "url": "https://open.example.org/", "ends": ends}])

    def offers_at(moment):
        return [
            (v.database.name, r.route.kind)
            for v in selectors.guide(library=c.lib, works_from_home=True, now=moment)
            for r in v.routes
        ]

    assert offers_at(starts - dt.timedelta(microseconds=1)) == [("Open", "free_offer")]
    assert offers_at(starts) == [("Cambridge Core", "free_offer"), ("Open", "free_offer")]
    assert len(offers_at(ends - dt.timedelta(microseconds=1))) == 2
    assert offers_at(ends) == []  # gone at its end, no one acting

    assert [o.database.name for o in selectors.free_offers(library=c.lib, now=NOW)] == ["Open"]
    assert [o.database.name for o in selectors.upcoming_offers(library=c.lib, now=NOW)] == [
        "Cambridge Core"
    ]
    assert selectors.offers_ending_soon(library=c.lib, now=ends - 8 * DAY) == []
    soon = selectors.offers_ending_soon(library=c.lib, now=ends - 7 * DAY)
    assert [o.database.name for o in soon] == ["Cambridge Core", "Open"]
    assert soon[0].days_left(ends - 7 * DAY) == 7


@pytest.mark.parametrize("count", [3, 30])
def test_the_guide_takes_the_same_queries_for_3_and_30_databases(consortium, count):
    c = consortium
    services.save_link_settings(
        by=c.staff,
        library=c.lib,
        idp_entity_id="https://idp.pku.edu.cn/idp/shibboleth",
        ezproxy_base="https://ezproxy.pku.edu.cn",
    )
    for n in range(count):
        _database(
            c,
            f"库 {n:02d}",
            [
                {"kind": "carsi", "url": WOS},
                {"kind": "ezproxy", "url": f"https://db{n}.example.com/"},
                {"kind": "free_offer", "url": f"https://db{n}.example.com/free", "ends": NOW + DAY},
            ],
        )
    with CaptureQueriesContext(connection) as queries:
        views = selectors.guide(library=c.lib, works_from_home=True, now=NOW)
        links = [r.link for v in views for r in v.routes]
    assert len(views) == count and None not in links
    # Databases, their routes open now, the library's link settings: three, for any number.
    assert len(queries) == 3, [q["sql"] for q in queries.captured_queries]


def test_each_kind_of_route_gets_its_link(consortium):
    c = consortium
    database = Database(library=c.lib, name="x", platform_url="https://www.jstor.org/")
    none = LinkSettings(library=c.lib)
    full = LinkSettings(
        library=c.lib,
        idp_entity_id="https://idp.pku.edu.cn/idp/shibboleth",
        ezproxy_base="ezproxy.pku.edu.cn",
        openathens_domain="pku.edu.cn",
        webvpn_base="https://webvpn.pku.edu.cn",
    )

    def link(kind, url="", settings=full):
        return selectors.link_for(AccessRoute(kind=kind, url=url, rank=1), database, settings)

    # CARSI: {IDP地址} raw or encoded becomes the library's IdP host; none without an IdP.
    assert link("carsi", WOS) == WOS.replace("{IDP地址}", "idp.pku.edu.cn")
    assert link("carsi", SD) == SD.replace(quote("{IDP地址}", safe=""), "idp.pku.edu.cn")
    assert link("carsi", WOS, none) is None
    assert link("carsi", "https://fsso.cnki.net/", none) == "https://fsso.cnki.net/"
    # EZproxy: login?qurl= with the target encoded; the platform when the route has no page.
    assert link("ezproxy") == "https://ezproxy.pku.edu.cn/login?qurl=https%3A%2F%2Fwww.jstor.org%2F"
    done = "https://ezproxy.pku.edu.cn/login?qurl=https%3A%2F%2Fx.org%2F"
    assert link("ezproxy", done) == done  # already through the proxy
    assert link("ezproxy", settings=none) is None
    # OpenAthens: the redirector.
    assert link("openathens", "https://www.jstor.org/stable/1") == proxylinks.openathens_link(
        "pku.edu.cn", "https://www.jstor.org/stable/1"
    )
    assert link("openathens").startswith(proxylinks.OPENATHENS_REDIRECTOR)
    assert link("openathens", settings=none) is None
    # WebVPN: the host AES-encrypted with the gateways' common key, or the library's own.
    assert link("webvpn", "https://info.tsinghua.edu.cn/f/info/xxfb?lmid=all") == (
        "https://webvpn.pku.edu.cn/https/"
        "77726476706e69737468656265737421f9f9479369247b59700f81b9991b2631506205de"
        "/f/info/xxfb?lmid=all"
    )
    keyed = LinkSettings(library=c.lib, webvpn_base="webvpn.pku.edu.cn", webvpn_key="k" * 16)
    url = link("webvpn", "https://www.jstor.org/", keyed)
    assert proxylinks.webvpn_target_of(url, key=b"k" * 16) == "https://www.jstor.org/"
    plain = LinkSettings(library=c.lib, webvpn_base="webvpn.pku.edu.cn", webvpn_encrypted=False)
    assert link("webvpn", "https://www.jstor.org/a", plain) == (
        "https://webvpn.pku.edu.cn/https/www.jstor.org/a"
    )
    assert link("webvpn", settings=none) is None
    # The others: their address, else the platform's.
    for kind in ("campus_ip", "vpn", "personal_account", "free_offer"):
        assert link(kind, "https://a.example.org/", none) == "https://a.example.org/"
        assert link(kind, settings=none) == "https://www.jstor.org/"


def test_the_patrol_checks_what_readers_can_tap(consortium):
    c = consortium
    _database(
        c,
        "Cambridge",
        [
            {"kind": "carsi", "url": WOS},  # no IdP yet: nothing to check
            {"kind": "vpn", "url": "https://vpn.example.org/"},
            {"kind": "free_offer", "url": "https://old.example.org/", "ends": NOW + DAY},
            {
                "kind": "free_offer",
                "url": "https://new.example.org/",
                "starts": NOW + DAY,
                "ends": NOW + 9 * DAY,
            },
        ],
    )
    services.create_database(
        by=c.other_staff,
        library=c.other_lib,
        name="他馆",
        routes=[{"kind": "vpn", "url": "https://other.example.org/"}],
    )
    urls = {t.url for t in selectors.routes_to_check(library=c.lib, now=NOW + 2 * DAY)}
    assert urls == {"https://vpn.example.org/", "https://new.example.org/"}  # ended one left out
    everyone = {t.url for t in selectors.routes_to_check(now=NOW)}
    assert "https://other.example.org/" in everyone and "https://old.example.org/" in everyone


def test_link_status_broken_first_and_staff_only(consortium):
    c = consortium
    database = _database(
        c,
        "A",
        [
            {"kind": "vpn", "url": "https://a.example.org/"},
            {"kind": "webvpn", "url": "https://b.example.org/"},
        ],
    )
    first, second = database.routes.order_by("position")
    for route, status, at in (
        (first, "ok", NOW),
        (second, "ok", NOW - DAY),
        (second, "timeout", NOW),
    ):
        LinkCheck.objects.create(route=route, url=route.url, status=status, checked_at=at)
    rows = selectors.link_status(by=c.staff, library=c.lib)
    assert [(r.route_id, r.status) for r in rows] == [(second.pk, "timeout"), (first.pk, "ok")]
    assert selectors.latest_status(AccessRoute.objects.all())[second.pk].status == "timeout"
    for actor in ("reader", "other_staff", "volunteer"):
        with pytest.raises(DomainError):
            selectors.link_status(by=c.actor(actor), library=c.lib)


def test_a_topic_collection_hides_an_ended_offer_from_readers(consortium):
    c = consortium
    database = _database(
        c,
        "Cambridge Core",
        [{"kind": "free_offer", "url": "https://www.cambridge.org/core", "ends": NOW + DAY}],
    )
    topic = services.create_collection(by=c.staff, library=c.lib, title="新冠", slug="covid")
    services.add_collection_item(by=c.staff, collection_id=topic.pk, database_id=database.pk)
    services.add_collection_item(
        by=c.staff, collection_id=topic.pk, route_id=database.routes.get().pk
    )
    services.add_collection_item(
        by=c.staff, collection_id=topic.pk, link_url="https://www.who.int/", link_title="WHO"
    )
    with pytest.raises(DomainError) as missing:
        selectors.collection(by=c.reader, library=c.lib, slug="covid", now=NOW)
    assert missing.value.code == "collection_not_found"  # not published yet
    assert selectors.collections(by=c.reader, library=c.lib) == []
    services.update_collection(by=c.staff, collection_id=topic.pk, published=True)

    _found, entries = selectors.collection(by=c.reader, library=c.lib, slug="covid", now=NOW)
    assert [bool(e.database) for e in entries] == [True, False, False]
    assert entries[1].offer.link == "https://www.cambridge.org/core"
    assert entries[2].link == "https://www.who.int/"
    _found, later = selectors.collection(by=c.reader, library=c.lib, slug="covid", now=NOW + DAY)
    assert len(later) == 2 and later[0].database.routes == []  # the offer is gone
    _found, staff = selectors.collection(by=c.staff, library=c.lib, slug="covid", now=NOW + DAY)
    assert len(staff) == 3 and staff[1].hidden  # kept for staff, marked


def test_titles_by_issn(consortium):
    from libreach.eresources.tests.test_kbart import HEADER, ROWS

    c = consortium
    database = _database(c, "Springer Nature")
    services.import_kbart(by=c.staff, database_id=database.pk, source="\n".join([HEADER, *ROWS]))
    for q in ("0028-0836", "1476-4687", "00280836"):
        assert [t.publication_title for t in selectors.find_titles(library=c.lib, q=q)] == [
            "Nature"
        ]
    assert selectors.find_titles(library=c.other_lib, q="0028-0836") == []


def test_free_offers_without_an_end_come_last_on_every_database(consortium):
    c = consortium
    for name, ends in (("B", NOW + 5 * DAY), ("A", NOW + 9 * DAY)):
        _database(c, name, [{"kind": "free_offer", "url": "https://x.example.org/", "ends": ends}])
    # An offer with no end (made by the WAYFless import or an old row) sorts last.
    database = _database(c, "C")
    AccessRoute.objects.create(database=database, kind=RouteKind.FREE_OFFER, rank=10)
    assert [o.database.name for o in selectors.free_offers(library=c.lib, now=NOW)] == [
        "B",
        "A",
        "C",
    ]


def test_a_placeholder_encoded_twice_in_a_nested_target_is_filled_or_no_link(consortium):
    """A WAYFless link whose entityID sits in a nested, twice-encoded target: readers get it
    with the IdP filled in, or no link at all, never one that still says {IDP地址}."""
    twice = quote(quote("{IDP地址}", safe=""), safe="")
    url = (
        "https://www.cambridge.org/core/shibboleth?ref=https%3A%2F%2Fwayf.example.org%2F"
        f"login%3FentityID%3Dhttps%253A%252F%252F{twice}%252Fidp%252Fshibboleth"
    )
    database = Database(library=consortium.lib, name="x")
    route = AccessRoute(kind="carsi", url=url, rank=1)
    assert selectors.link_for(route, database, LinkSettings(library=consortium.lib)) is None
    idp = LinkSettings(
        library=consortium.lib, idp_entity_id="https://idp.pku.edu.cn/idp/shibboleth"
    )
    assert selectors.link_for(route, database, idp) == url.replace(twice, "idp.pku.edu.cn")


def test_the_desk_shows_as_best_route_what_readers_get_now(consortium):
    """An offer not yet open is listed on the desk, but is not the database's best route
    until it opens (and after it ends, no longer)."""
    c = consortium
    _database(
        c,
        "Emerald",
        [
            {"kind": "vpn"},
            {
                "kind": "free_offer",
                "url": "https://www.emerald.com/",
                "starts": NOW + DAY,
                "ends": NOW + 3 * DAY,
            },
        ],
    )

    def best(at):
        (row,) = selectors.desk_databases(by=c.staff, library=c.lib, now=at)
        return row.best.kind, len(row.routes)

    assert best(NOW) == ("vpn", 2)
    assert best(NOW + DAY) == ("free_offer", 2)
    assert best(NOW + 3 * DAY) == ("vpn", 2)
