"""Page cases of the e-resources desk pages (see pages.py): PKU's databases, a database's
page and its routes and KBART titles, link settings, link status and a route's history,
topic collections and their items, the WAYFless list in and out. Staff and admins of PKU
and consortium admins; not volunteers, readers or BLCU's staff."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from libreach.eresources import services
from libreach.eresources.kbart import KBART_FIELDS
from libreach.eresources.models import AccessRoute, LinkCheck, PatrolRun
from libreach.testing.pages import DESK, DESK_POST, PageCase

P = "desk/<str:lib>/e-resources/"
D = P + "<int:database_id>/"
R = P + "routes/<int:route_id>/"
T = P + "topics/<int:collection_id>/"
I = P + "topics/items/<int:item_id>/"  # noqa: E741

WAYFLESS = """# 资源列表

## 中国知网 CNKI

    https://fsso.cnki.net/Shibboleth.sso/Login?entityID=https://{IDP地址}/idp/shibboleth&target=https://www.cnki.net/

请使用校园账号登录
"""


def kbart_file(*titles: tuple[str, str]) -> bytes:
    """A KBART file of serials (title, ISSN); a row without a title is an error row."""
    lines = ["\t".join(KBART_FIELDS)]
    for title, issn in titles:
        values = {
            "publication_title": title,
            "print_identifier": issn,
            "publication_type": "serial",
        }
        lines.append("\t".join(values.get(name, "") for name in KBART_FIELDS))
    return ("\n".join(lines) + "\n").encode()


def a_database(consortium, name: str = "中国知网") -> dict:
    """PKU's database with a CARSI route and a free offer ending in three days, each
    checked once (the offer broken)."""
    now = timezone.now()
    database = services.create_database(
        by=consortium.staff,
        library=consortium.lib,
        name=name,
        name_en="CNKI",
        platform_url="https://www.cnki.net/",
        routes=[
            {"kind": "carsi", "url": "https://fsso.cnki.net/?entityID=https://{IDP地址}/idp"},
            {
                "kind": "free_offer",
                "url": "https://free.cnki.net/",
                "ends": now + dt.timedelta(days=3),
                "scope": "全体师生",
            },
        ],
    )
    routes = list(database.routes.order_by("rank"))
    run = PatrolRun.objects.create(library=consortium.lib, started_at=now, finished_at=now)
    for route, (status, code) in zip(routes, (("not_found", 404), ("ok", 200)), strict=True):
        LinkCheck.objects.create(
            route=route, run=run, url=route.url, status=status, http_status=code, checked_at=now
        )
    collection = services.create_collection(
        by=consortium.staff, library=consortium.lib, title="抗击疫情", slug="covid-19"
    )
    item = services.add_collection_item(
        by=consortium.staff, collection_id=collection.pk, database_id=database.pk
    )
    services.add_collection_item(
        by=consortium.staff,
        collection_id=collection.pk,
        link_title="WHO",
        link_url="https://www.who.int/",
    )
    return {
        "lib": consortium.lib.code,
        "database_id": database.pk,
        "route_id": routes[0].pk,
        "collection_id": collection.pk,
        "item_id": item.pk,
        "fmt": "md",
    }


def _kbart(values: dict) -> dict:
    data = kbart_file(("Nature", "0028-0836"), ("", "1234-5678"))
    return {"file": SimpleUploadedFile("cnki.txt", data, "text/tab-separated-values")}


ROUTE = {
    "new-kind": "ezproxy",
    "new-url": "https://www.cnki.net/kns/",
    "new-rank": "15",
    "new-instructions": "用统一身份认证登录",
}


def _route_edit(values: dict) -> dict:
    route = AccessRoute.objects.get(pk=values["route_id"])
    p = f"r{route.pk}-"
    return {p + "kind": "carsi", p + "url": route.url, p + "rank": "5", p + "instructions": "新"}


CASES = [
    PageCase("GET", P, setup=a_database, expect=DESK),
    PageCase(
        "POST",
        P + "new/",
        data={
            "name": "万方数据",
            "kind": "full_text",
            "platform_url": "https://www.wanfangdata.com.cn/",
        },
        expect=DESK_POST,
    ),
    PageCase("GET", D, setup=a_database, expect=DESK),
    PageCase(
        "POST",
        D + "edit/",
        setup=a_database,
        data={"name": "中国知网 CNKI", "kind": "journals"},
        expect=DESK_POST,
    ),
    PageCase("GET", D + "delete/", setup=a_database, expect=DESK),
    PageCase("POST", D + "delete/", setup=a_database, expect=DESK_POST),
    PageCase("POST", D + "routes/", setup=a_database, data=ROUTE, expect=DESK_POST),
    PageCase("POST", D + "kbart/", setup=a_database, data=_kbart, expect=DESK_POST),
    PageCase("GET", R, setup=a_database, expect=DESK),
    PageCase("POST", R + "edit/", setup=a_database, data=_route_edit, expect=DESK_POST),
    PageCase("POST", R + "delete/", setup=a_database, expect=DESK_POST),
    PageCase("GET", P + "links/", expect=DESK),
    PageCase(
        "POST",
        P + "links/",
        data={
            "idp_entity_id": "https://idp.pku.edu.cn/idp/shibboleth",
            "ezproxy_base": "https://ezproxy.pku.edu.cn",
            "webvpn_encrypted": "on",
        },
        expect=DESK_POST,
    ),
    PageCase("GET", P + "status/", setup=a_database, expect=DESK),
    PageCase("GET", P + "topics/", setup=a_database, expect=DESK),
    PageCase("POST", P + "topics/new/", data={"title": "考研", "slug": "kaoyan"}, expect=DESK_POST),
    PageCase("GET", T, setup=a_database, expect=DESK),
    PageCase(
        "POST",
        T + "edit/",
        setup=a_database,
        data={"title": "抗疫专题", "slug": "covid-19", "published": "on"},
        expect=DESK_POST,
    ),
    PageCase("POST", T + "delete/", setup=a_database, expect=DESK_POST),
    PageCase("POST", T + "move/", setup=a_database, data={"step": "down"}, expect=DESK_POST),
    PageCase(
        "POST",
        T + "items/",
        setup=a_database,
        data={"add": "link", "link-link_title": "CDC", "link-link_url": "https://www.cdc.gov/"},
        expect=DESK_POST,
    ),
    PageCase("POST", I + "note/", setup=a_database, data={"note": "首选"}, expect=DESK_POST),
    PageCase("POST", I + "move/", setup=a_database, data={"step": "down"}, expect=DESK_POST),
    PageCase("POST", I + "remove/", setup=a_database, expect=DESK_POST),
    PageCase("GET", P + "wayfless/", setup=a_database, expect=DESK),
    PageCase("POST", P + "wayfless/", data={"text": WAYFLESS}, expect=DESK_POST),
    PageCase("GET", P + "wayfless/export.<str:fmt>", setup=a_database, expect=DESK),
]
