"""The admin shows every e-resources model read-only: nothing is added, edited or deleted
from it (the services keep the rules)."""

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client

from libreach.accounts.policies import SYSTEM
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
    WayflessNote,
)

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
AT = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)
MODELS = (
    Database,
    AccessRoute,
    WayflessNote,
    LinkSettings,
    FederationIdp,
    PatrolRun,
    LinkCheck,
    Collection,
    CollectionItem,
    KbartTitle,
)


def test_every_eresources_page_opens_and_changes_nothing(consortium):
    admin = Client()
    admin.force_login(consortium.consortium_admin)
    services.import_wayfless(
        by=SYSTEM,
        library=consortium.lib,
        text=(DATA / "wayfless-sample.md").read_text(encoding="utf-8"),
    )
    services.save_link_settings(
        by=SYSTEM, library=consortium.lib, webvpn_base="https://webvpn.pku.edu.cn",
        webvpn_key="wrdvpnisthebest!",
    )  # fmt: skip
    services.import_federation_metadata(by=SYSTEM, source=(DATA / "carsi-sample.xml").read_bytes())
    database = Database.objects.get(name="Web of Science")
    services.import_kbart(
        by=SYSTEM, database_id=database.pk, source=(DATA / "kbart-sample.txt").read_bytes()
    )
    route = database.routes.first()
    run = PatrolRun.objects.create(library=consortium.lib, started_at=AT, finished_at=AT)
    LinkCheck.objects.create(route=route, run=run, url=route.url, status="ok", checked_at=AT)
    topic = services.create_collection(
        by=SYSTEM, library=consortium.lib, title="新冠肺炎研究资源", slug="covid-19"
    )
    services.add_collection_item(by=SYSTEM, collection_id=topic.pk, database_id=database.pk)

    for model in MODELS:
        name = model._meta.model_name
        assert admin.get(f"/admin/eresources/{name}/").status_code == 200, name
        assert admin.get(f"/admin/eresources/{name}/add/").status_code == 403, name
        row = model.objects.first()
        view = admin.get(f"/admin/eresources/{name}/{row.pk}/change/")
        assert view.status_code == 200, name
        assert 'name="_save"' not in view.content.decode(), name

    page = admin.get(f"/admin/eresources/database/{database.pk}/change/").content.decode()
    assert "Web of Science" in page and "{IDP地址}" in page  # its routes inline
    settings_page = admin.get(
        f"/admin/eresources/linksettings/{LinkSettings.objects.get().pk}/change/"
    ).content.decode()
    assert "webvpn.pku.edu.cn" in settings_page and "wrdvpnisthebest!" not in settings_page

    deleting = admin.post(f"/admin/eresources/database/{database.pk}/delete/", {"post": "yes"})
    assert deleting.status_code == 403
    assert Database.objects.filter(pk=database.pk).exists()
    listing = admin.get("/admin/eresources/kbarttitle/", {"q": "0028-0836"})
    assert listing.context["cl"].result_count == 1
    assert FederationIdp.objects.count() == 2
