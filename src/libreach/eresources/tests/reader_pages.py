"""Page cases of the e-resources reader pages (see pages.py): the guide is public, so
every caller gets each page; a signed-in reader's `e-resources/` goes to their own
library's guide; an unpublished topic is for the library's staff only."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from libreach.eresources import services
from libreach.eresources.models import KbartTitle
from libreach.testing.pages import ACTORS, PUBLIC, PageCase

# Readers go to their library's guide; the others choose among the two libraries.
INDEX = {**PUBLIC, "reader": 302, "other_reader": 302}
# An unpublished topic: PKU's staff (not volunteers) and consortium admins; to anyone
# else it does not exist.
UNPUBLISHED = {
    **dict.fromkeys(ACTORS, 404),
    "staff": 200,
    "library_admin": 200,
    "consortium_admin": 200,
}


def guide_data(consortium) -> dict:
    """PKU's guide: a database with a CARSI link and a free offer, one on campus only, a
    published topic with both, and a title list."""
    staff, lib = consortium.staff, consortium.lib
    services.save_link_settings(
        by=staff,
        library=lib,
        idp_entity_id="https://idp.pku.edu.cn/idp/shibboleth",
        ezproxy_base="https://ezproxy.pku.edu.cn",
    )
    now = timezone.now()
    cnki = services.create_database(
        by=staff,
        library=lib,
        name="中国知网",
        name_en="CNKI",
        vendor="同方知网",
        kind="full_text",
        subjects="综合, 医学",
        description="中文期刊、学位论文、会议论文全文。",
        platform_url="https://www.cnki.net/",
        routes=[
            {
                "kind": "carsi",
                "url": "https://fsso.cnki.net/Shibboleth.sso/Login?entityID=https://{IDP地址}/idp/shibboleth&target=https://www.cnki.net/",
                "instructions": "点击链接\n选择北京大学\n用统一身份认证登录",
            },
            {"kind": "campus_ip", "url": "https://www.cnki.net/"},
            {
                "kind": "free_offer",
                "url": "https://free.cnki.net/",
                "starts": now - dt.timedelta(days=10),
                "ends": now + dt.timedelta(days=20),
                "scope": "全体师生",
            },
        ],
    )
    campus = services.create_database(
        by=staff,
        library=lib,
        name="国研网",
        kind="data",
        routes=[{"kind": "campus_ip", "url": "https://www.drcnet.com.cn/"}],
    )
    topic = services.create_collection(
        by=staff,
        library=lib,
        title="抗击疫情",
        title_en="COVID-19 research",
        slug="covid-19",
        intro="疫情期间，这些数据库可以在家使用。\n部分为出版商限时免费开放。",
        published=True,
    )
    services.add_collection_item(
        by=staff, collection_id=topic.pk, database_id=cnki.pk, note="医学全文"
    )
    offer = cnki.routes.get(kind="free_offer")
    services.add_collection_item(by=staff, collection_id=topic.pk, route_id=offer.pk)
    KbartTitle.objects.create(
        database=cnki,
        publication_title="中华医学杂志",
        title_folded="中华医学杂志",
        publication_type="serial",
        print_identifier="0376-2491",
        first_year=2000,
        title_url="https://www.cnki.net/journal/ZHYX",
    )
    return {
        "lib": lib.code,
        "database_id": cnki.pk,
        "campus_id": campus.pk,
        "slug": topic.slug,
    }


def unpublished_topic(consortium) -> dict:
    values = guide_data(consortium)
    draft = services.create_collection(
        by=consortium.staff, library=consortium.lib, title="新专题", slug="draft"
    )
    return {**values, "slug": draft.slug}


G = "e-resources/<str:lib>/"

CASES = [
    PageCase("GET", "e-resources/", expect=INDEX),
    PageCase("GET", G, expect=PUBLIC, setup=guide_data),
    PageCase("GET", G + "databases/<int:database_id>/", expect=PUBLIC, setup=guide_data),
    PageCase("GET", G + "free/", expect=PUBLIC, setup=guide_data),
    PageCase("GET", G + "topics/", expect=PUBLIC, setup=guide_data),
    PageCase("GET", G + "topics/<slug:slug>/", expect=PUBLIC, setup=guide_data),
    PageCase(
        "GET",
        G + "topics/<slug:slug>/",
        expect=UNPUBLISHED,
        setup=unpublished_topic,
        name="GET /e-resources/<lib>/topics/<slug>/ unpublished",
    ),
    PageCase("GET", G + "titles/", expect=PUBLIC, setup=guide_data, data={"q": "医学"}),
]
