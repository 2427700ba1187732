"""The demo's e-resources (`libreach demo`): loaded through the services on the demo's
members, at a set clock, shown as the reader guide and the staff pages read them, and safe
to load twice. Fast: only the members and their people are made, not the catalogue."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from libreach.accounts.models import User
from libreach.accounts.policies import SYSTEM
from libreach.catalog.models import JournalHolding
from libreach.core import periodic
from libreach.core.models import PeriodicJob
from libreach.eresources import selectors, wayfless
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
    RouteKind,
)
from libreach.site.demo import DATA, LIBRARIES, _ensure_library, _ensure_people
from libreach.site.demo_eresources import DATABASES, load_eresources

# A spring 2020 morning: 09:30 in Beijing, given in UTC as timezone.now() gives it.
NOW = dt.datetime(2020, 3, 16, 1, 30, tzinfo=dt.UTC)


@pytest.fixture
def members(db):
    libraries = []
    for index, spec in enumerate(LIBRARIES):
        library = _ensure_library(*spec)
        _ensure_people(library, index)
        libraries.append(library)
    load_eresources(libraries, now=NOW)
    return libraries


def counts():
    return [
        m.objects.count()
        for m in (
            FederationIdp, LinkSettings, Database, AccessRoute, Collection, CollectionItem,
            KbartTitle, JournalHolding, PatrolRun, LinkCheck,
        )
    ]  # fmt: skip


def test_each_member_has_its_idp_and_proxies_and_the_federation_knows_them(members):
    for library in members:
        settings = LinkSettings.objects.get(library=library)
        domain = f"{library.code.lower()}.example.edu.cn"
        assert settings.idp_entity_id == f"https://idp.{domain}/idp/shibboleth"
        assert selectors.is_federation_entity_id(settings.idp_entity_id)
        assert settings.ezproxy_base == f"https://ezproxy.{domain}"
        assert settings.webvpn_base == f"https://webvpn.{domain}" and settings.webvpn_encrypted
    assert [i.name for i in selectors.find_federation_idps(q="清华")] == ["清华大学"]
    assert FederationIdp.objects.count() >= 8


def test_jhu_guide_lists_every_database_best_route_first(members):
    jhu = members[0]
    views = selectors.guide(library=jhu, now=NOW)
    assert len(views) == len(DATABASES) >= 20
    assert {v.database.kind for v in views} >= {"full_text", "journals", "theses", "index"}
    kinds = {r.kind for r in AccessRoute.objects.filter(database__library=jhu)}
    assert kinds == set(RouteKind.values) - {RouteKind.OPENATHENS}
    for view in views:
        assert view.works_from_home
        ranks = [r.route.rank for r in view.routes]
        assert ranks == sorted(ranks)
        assert view.routes[-1].route.kind == RouteKind.CAMPUS_IP  # no help at home
    # Every CARSI link is its template with JHU's IdP host in place.
    settings = LinkSettings.objects.get(library=jhu)
    carsi = AccessRoute.objects.filter(database__library=jhu, kind=RouteKind.CARSI)
    assert carsi.count() >= 15
    for route in carsi:
        link = selectors.link_for(route, route.database, settings)
        assert link == wayfless.fill_placeholder(route.url, "idp.jhu.example.edu.cn")
        assert "{IDP" not in link and "idp.jhu.example.edu.cn" in link
    # WebVPN links carry the platform's host encrypted, EZproxy links the platform.
    route = AccessRoute.objects.get(database__name="国研网", database__library=jhu, kind="webvpn")
    link = selectors.link_for(route, route.database, settings)
    assert link.startswith("https://webvpn.jhu.example.edu.cn/https/") and "drcnet" not in link
    route = AccessRoute.objects.get(database__name="JSTOR", kind="ezproxy")
    assert selectors.link_for(route, route.database, settings) == (
        "https://ezproxy.jhu.example.edu.cn/login?qurl=https%3A%2F%2Fwww.jstor.org%2F"
    )


def test_ysnu_read_the_community_wayfless_list(members):
    ysnu = members[1]
    text = (DATA / "carsi-wayfless-community.md").read_text(encoding="utf-8")
    # Kept in its places: written back, the list is the file again.
    assert wayfless.write_markdown(selectors.wayfless_list(library=ysnu)) == text
    science = Database.objects.get(library=ysnu, name="ScienceDirect")
    assert science.vendor == "Elsevier" and science.platform_url  # described after the import
    assert science.routes.filter(kind=RouteKind.CARSI).count() == 2
    exported = selectors.export_wayfless(library=ysnu, fmt="md")
    links = [line for line in exported.splitlines() if line.startswith("    https://")]
    assert len(links) == 7
    assert all("{IDP" not in line and "idp.ysnu.example.edu.cn" in line for line in links)


def test_free_offers_follow_the_clock(members):
    jhu = members[0]
    live = [o.database.name for o in selectors.free_offers(library=jhu, now=NOW)]
    assert live == ["剑桥大学出版社电子期刊与图书", "JoVE 实验视频", "万方数据知识服务平台"]
    soon = selectors.offers_ending_soon(library=jhu, now=NOW)
    assert [o.database.name for o in soon] == ["剑桥大学出版社电子期刊与图书"]
    # It closes at the end of a day, three days on: "3 days left" (not 2 and some hours).
    assert timezone.localtime(soon[0].route.ends).time() == dt.time(23, 59)
    assert soon[0].days_left(NOW) == 3
    assert [o.database.name for o in selectors.upcoming_offers(library=jhu, now=NOW)] == [
        "Emerald 管理学期刊"
    ]
    ended = AccessRoute.objects.get(
        database__name="ProQuest 博硕士论文全文数据库", kind="free_offer"
    )
    assert ended.ends < NOW
    proquest = selectors.guide(library=jhu, q="ProQuest", now=NOW)[0]
    assert RouteKind.FREE_OFFER not in {r.route.kind for r in proquest.routes}
    # Four days on, the Cambridge offer has left by itself; the Emerald one has opened.
    later = [o.database.name for o in selectors.free_offers(library=jhu, now=NOW + dt.timedelta(days=4))]  # fmt: skip
    assert "剑桥大学出版社电子期刊与图书" not in later
    assert "JoVE 实验视频" in later
    assert "Emerald 管理学期刊" in [
        o.database.name for o in selectors.free_offers(library=jhu, now=NOW + dt.timedelta(days=6))
    ]


def test_topic_collections_published_and_draft(members):
    jhu = members[0]
    assert [c.slug for c in selectors.collections(by=AnonymousUser(), library=jhu)] == ["covid-19"]
    staff = User.objects.get(username="jhu-ref")
    assert [c.slug for c in selectors.collections(by=staff, library=jhu)] == [
        "covid-19", "thesis-writing",
    ]  # fmt: skip
    found, entries = selectors.collection(by=AnonymousUser(), library=jhu, slug="covid-19", now=NOW)
    assert found.title == "新冠肺炎（COVID-19）研究资源"
    assert len(entries) >= 20
    assert sum(1 for e in entries if e.database) >= 10
    assert sum(1 for e in entries if e.offer) == 3
    assert any(e.link == "https://www.nejm.org/coronavirus" for e in entries)


def test_kbart_titles_and_journal_holdings(members):
    jhu = members[0]
    found = selectors.find_titles(library=jhu, q="0140-6736")
    assert [(t.publication_title, t.database.name) for t in found] == [
        ("The Lancet", "ScienceDirect")
    ]
    assert KbartTitle.objects.filter(database__library=jhu).count() >= 30
    holding = JournalHolding.objects.get(library=jhu, issn="0140-6736")
    assert holding.eissn == "1474-547X" and holding.source.startswith("kbart:")


def test_patrol_history_shows_without_network(members):
    jhu = members[0]
    runs = list(PatrolRun.objects.filter(library=jhu).order_by("started_at"))
    assert len(runs) == 2 and all(r.finished_at < NOW for r in runs)
    assert [timezone.localtime(r.started_at).hour for r in runs] == [3, 3]  # nightly
    assert runs[0].broken == 1 and runs[1].newly_broken == 3
    statuses = {c.status for c in selectors.link_status(by=SYSTEM, library=jhu)}
    assert statuses == {"ok", "login_required", "not_found", "soft_404", "timeout"}
    stats = selectors.stats(by=SYSTEM, library=jhu, now=NOW)
    assert stats["databases"] == len(DATABASES)
    assert stats["free_offers_open"] == 3 and stats["free_offers_ending_soon"] == 1
    assert stats["links_broken"] == 3 and stats["last_patrol"] == runs[1].finished_at


def test_the_demo_worker_leaves_the_history_for_a_day(members):
    """Served, the demo's worker would patrol at its first round (every link broken with no
    network, over the history); loading counts as the day's patrol."""
    job = periodic.job("daily_link_patrol")
    assert job is not None and job.every == dt.timedelta(days=1)
    stamped = PeriodicJob.objects.get(name=job.name).last_enqueued_at
    assert stamped == NOW
    assert NOW + dt.timedelta(hours=23) - stamped < job.every  # not due within the day


def test_loading_again_changes_nothing(members):
    before = counts()
    load_eresources(members, now=NOW + dt.timedelta(days=1))
    assert counts() == before


def test_the_demo_logins_still_work(members):
    assert Client().login(username="jhu-admin", password="libreach-demo")


def test_the_pages_show_the_demo(members):
    reader = Client()
    for url, shown in (
        ("/e-resources/JHU/", "中国知网"),
        ("/e-resources/JHU/topics/covid-19/", "https://www.nejm.org/coronavirus"),
        ("/e-resources/JHU/titles/?q=0140-6736", "The Lancet"),
        ("/e-resources/YSNU/", "Web of Science"),
    ):
        answer = reader.get(url)
        assert answer.status_code == 200 and shown in answer.content.decode(), url
    assert reader.get("/e-resources/JHU/topics/thesis-writing/").status_code == 404  # a draft
    staff = Client()
    staff.force_login(User.objects.get(username="jhu-ref"))
    for url in ("/desk/JHU/e-resources/", "/desk/JHU/e-resources/status/"):
        assert staff.get(url).status_code == 200, url
