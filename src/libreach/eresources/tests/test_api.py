"""The routes of API.md's E-resources section, as written there."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.conf import settings

from libreach.eresources import services
from libreach.eresources.models import AccessRoute, Database, LinkCheck, PatrolRun
from libreach.testing.permissions import db_fingerprint

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
NOW = dt.datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
URL = "/api/v1/libraries/PKU/databases"
WOS = "https://www.webofscience.com/?auth=Shibboleth&entityID=https://{IDP地址}/idp/shibboleth"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == code and body["detail"], body


def _create(api_as, body):
    response = api_as("staff").post(URL, body)
    assert response.status_code == 201, response.content
    return response.json()


def test_staff_add_a_database_and_readers_find_it_best_route_first(api_as, consortium):
    services.save_link_settings(
        by=consortium.staff,
        library=consortium.lib,
        idp_entity_id="https://idp.pku.edu.cn/idp/shibboleth",
        ezproxy_base="https://ezproxy.pku.edu.cn",
    )
    created = _create(
        api_as,
        {
            "name": "Web of Science",
            "vendor": "Clarivate",
            "kind": "index",
            "subjects": "综合, 引文",
            "routes": [
                {"kind": "campus_ip", "url": "https://www.webofscience.com/", "rank": 1},
                {"kind": "vpn", "instructions": "安装 VPN 客户端后访问"},
                {"kind": "carsi", "url": WOS, "instructions": "选择北京大学登录"},
                {"kind": "ezproxy", "url": "https://www.webofscience.com/wos/"},
            ],
        },
    )
    assert [r["url"] for r in created["routes"]] == [
        "https://www.webofscience.com/",
        "",
        WOS,
        "https://www.webofscience.com/wos/",
    ]
    assert Database.objects.get(pk=created["id"]).routes.count() == 4

    for caller in ("anonymous", "reader", "other_staff"):
        listed = api_as(caller).get(URL)
        assert listed.status_code == 200, listed.content
    (database,) = listed.json()
    assert database["id"] == created["id"] and database["works_from_home"]
    assert database["subjects"] == ["综合", "引文"]
    kinds = [r["kind"] for r in database["routes"]]
    # The campus network has the lowest rank but does not help at home: CARSI (20, listed
    # before EZproxy) is the best; the rest by rank.
    assert kinds == ["carsi", "campus_ip", "ezproxy", "vpn"]
    best = database["best"]
    assert best == database["routes"][0]
    assert best["url"] == WOS.replace("{IDP地址}", "idp.pku.edu.cn")
    assert best["instructions"] == "选择北京大学登录" and best["rank"] == 20
    ezproxy = database["routes"][2]
    assert ezproxy["url"] == (
        "https://ezproxy.pku.edu.cn/login?qurl=https%3A%2F%2Fwww.webofscience.com%2Fwos%2F"
    )
    assert database["routes"][3]["url"] is None  # a VPN route with no address, no platform


def test_search_and_works_from_home(api_as):
    _create(api_as, {"name": "中国知网", "vendor": "同方", "routes": [{"kind": "vpn"}]})
    _create(
        api_as,
        {
            "name": "超星数字图书馆",
            "routes": [{"kind": "campus_ip", "url": "https://book.chaoxing.com/"}],
        },
    )
    _create(api_as, {"name": "Nature", "routes": []})
    names = [d["name"] for d in api_as("anonymous").get(URL).json()]
    assert sorted(names) == sorted(["中国知网", "超星数字图书馆", "Nature"])
    home = api_as("anonymous").get(URL, {"works_from_home": "true"}).json()
    assert [d["name"] for d in home] == ["中国知网"]
    assert [d["name"] for d in api_as("anonymous").get(URL, {"q": "同方"}).json()] == ["中国知网"]
    campus_only = next(
        d for d in api_as("anonymous").get(URL).json() if d["name"] == "超星数字图书馆"
    )
    assert not campus_only["works_from_home"]
    assert campus_only["best"]["kind"] == "campus_ip"  # no route from home: the best there is
    empty = next(d for d in api_as("anonymous").get(URL).json() if d["name"] == "Nature")
    assert empty["best"] is None and empty["routes"] == []
    _error(api_as("anonymous").get("/api/v1/libraries/NOPE/databases"), 404, "library_not_found")


def test_a_free_offer_shows_only_between_its_start_and_its_end(api_as):
    starts, ends = NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=31)
    _create(
        api_as,
        {
            "name": "Cambridge Core",
            "routes": [
                {
                    "kind": "free_offer",
                    "url": "https://www.cambridge.org/core",
                    "starts": starts.isoformat(),
                    "ends": ends.isoformat(),
                    "instructions": "疫情期间免费开放",
                }
            ],
        },
    )

    def offer_at(moment):
        with time_machine.travel(moment, tick=False):
            (database,) = api_as("anonymous").get(URL).json()
        return database["best"]

    assert offer_at(starts - dt.timedelta(seconds=1)) is None
    shown = offer_at(starts)
    assert shown["kind"] == "free_offer" and shown["url"] == "https://www.cambridge.org/core"
    assert dt.datetime.fromisoformat(shown["ends"]) == ends
    assert offer_at(ends - dt.timedelta(seconds=1)) is not None
    assert offer_at(ends) is None  # gone at its end time, no one acting
    with time_machine.travel(ends, tick=False):
        assert api_as("anonymous").get(URL, {"works_from_home": "true"}).json() == []


def test_refusals_change_nothing(api_as, consortium):
    _create(api_as, {"name": "中国知网", "routes": []})
    before = db_fingerprint()
    staff = api_as("staff")
    _error(staff.post(URL, {"name": "中国知网"}), 409, "duplicate_name")
    _error(
        staff.post(URL, {"name": "A", "routes": [{"kind": "carsi", "url": "ftp://x"}]}),
        400,
        "invalid_url",
    )
    _error(staff.post(URL, {"name": "A", "platform_url": "www.x.cn"}), 400, "invalid_url")
    _error(
        staff.post(URL, {"name": "A", "routes": [{"kind": "free_offer"}]}),
        400,
        "offer_end_required",
    )
    later = (NOW + dt.timedelta(days=3)).isoformat()
    _error(
        staff.post(
            URL,
            {"name": "A", "routes": [{"kind": "free_offer", "starts": later, "ends": later}]},
        ),
        400,
        "ends_before_start",
    )
    _error(
        staff.post(URL, {"name": "A", "routes": [{"kind": "vpn", "ends": later}]}),
        400,
        "dates_only_for_offers",
    )
    _error(staff.post(URL, {"name": "A", "routes": [{"kind": "telnet"}]}), 422, "invalid")
    _error(staff.post(URL, {"name": "x" * 201}), 422, "invalid")
    _error(staff.post(URL, {"name": "A", "routes": [{"kind": "vpn", "rank": 0}]}), 422, "invalid")
    _error(api_as("anonymous").post(URL, {"name": "A"}), 401, "not_authenticated")
    _error(api_as("reader").post(URL, {"name": "A"}), 403, "forbidden")
    _error(api_as("other_staff").post(URL, {"name": "A"}), 403, "forbidden")
    _error(api_as("volunteer").post(URL, {"name": "A"}), 403, "forbidden")
    assert db_fingerprint() == before


def test_too_long_a_name_is_refused_by_the_service_too(consortium):
    with pytest.raises(Exception) as refused:
        services.create_database(by=consortium.staff, library=consortium.lib, name="x" * 201)
    assert refused.value.code == "too_long" and refused.value.status == 422


def test_link_status_gives_each_routes_latest_check(api_as, consortium):
    created = _create(
        api_as,
        {
            "name": "Springer",
            "routes": [
                {"kind": "carsi", "url": "https://link.springer.com/"},
                {"kind": "personal_account", "url": "https://link.springer.com/signup"},
                {"kind": "vpn"},
            ],
        },
    )
    carsi, account, vpn = (r["id"] for r in created["routes"])
    run = PatrolRun.objects.create(library=consortium.lib, started_at=NOW)
    for route_id, status, http, at in (
        (carsi, "ok", 200, NOW - dt.timedelta(days=1)),
        (carsi, "server_error", 503, NOW),  # the newest
        (account, "timeout", None, NOW),
        (vpn, "connection_failure", None, NOW),
    ):
        LinkCheck.objects.create(
            route_id=route_id,
            run=run,
            url=AccessRoute.objects.get(pk=route_id).url,
            status=status,
            http_status=http,
            checked_at=at,
        )
    response = api_as("staff").get("/api/v1/libraries/PKU/link-status")
    assert response.status_code == 200, response.content
    rows = response.json()
    assert {(r["route"], r["status"], r["finding"]) for r in rows} == {
        (carsi, "server_error", "server_error"),
        (account, "timeout", "timeout"),
        # A class of the patrol's own is given as the nearest of API.md's ten.
        (vpn, "server_error", "connection_failure"),
    }
    by_route = {r["route"]: r for r in rows}
    assert by_route[carsi]["http_status"] == 503
    assert "http_status" not in by_route[account]  # not answered: absent
    assert by_route[carsi]["url"] == "https://link.springer.com/"
    assert dt.datetime.fromisoformat(by_route[carsi]["checked_at"]) == NOW
    _error(api_as("other_staff").get("/api/v1/libraries/PKU/link-status"), 403, "forbidden")
    _error(api_as("reader").get("/api/v1/libraries/PKU/link-status"), 403, "forbidden")


def test_figures_of_a_library_and_of_the_consortium(api_as, consortium):
    _create(
        api_as,
        {
            "name": "Springer",
            "routes": [
                {"kind": "carsi", "url": "https://link.springer.com/"},
                {
                    "kind": "free_offer",
                    "url": "https://link.springer.com/free",
                    "ends": (NOW + dt.timedelta(days=3)).isoformat(),
                },
            ],
        },
    )
    _create(api_as, {"name": "超星", "routes": [{"kind": "campus_ip"}]})
    services.create_database(
        by=consortium.other_staff,
        library=consortium.other_lib,
        name="知网",
        routes=[{"kind": "vpn"}],
    )
    route = AccessRoute.objects.get(kind="carsi")
    LinkCheck.objects.create(
        route=route, url=route.url, status="not_found", http_status=404, checked_at=NOW
    )

    figures = api_as("staff").get("/api/v1/libraries/PKU/stats/eresources").json()
    assert figures["databases"] == 2 and figures["works_from_home"] == 1
    assert figures["routes"] == 3 and figures["routes_by_kind"]["carsi"] == 1
    assert figures["free_offers_open"] == 1 and figures["free_offers_ending_soon"] == 1
    assert figures["links_checked"] == 1 and figures["links_broken"] == 1
    assert figures["links_by_status"]["not_found"] == 1

    response = api_as("consortium_admin").get("/api/v1/stats/eresources")
    assert response.status_code == 200, response.content
    total = response.json()
    assert total["members"] == 2
    assert [m["library"] for m in total["by_member"]] == ["BLCU", "PKU"]
    assert total["databases"] == 3 and total["works_from_home"] == 2
    assert total["routes_by_kind"]["vpn"] == 1 and total["routes_by_kind"]["carsi"] == 1
    assert total["links_broken"] == 1
    _error(api_as("staff").get("/api/v1/stats/eresources"), 403, "forbidden")
