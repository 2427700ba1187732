"""The e-resources commands (API.md's command table): what they do, print, and exit with."""

import csv
import io
import json
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from libreach.catalog.models import JournalHolding
from libreach.eresources import services, wayfless
from libreach.eresources.models import (
    AccessRoute,
    Database,
    FederationIdp,
    KbartTitle,
    LinkCheck,
    PatrolRun,
    RouteKind,
)
from libreach.eresources.tests.test_patrol import page, serve

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "wayfless-sample.md"
ENTITY = "https://idp.pku.edu.cn/idp/shibboleth"


def run(name, *args):
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def exit_code(name, *args) -> int:
    with pytest.raises(CommandError) as failure:
        run(name, *args)
    return failure.value.returncode


# --- import-wayfless and export-wayfless ---------------------------------------------


def test_a_community_list_imports_and_exports_back_to_equal_markdown(consortium, tmp_path):
    out, _ = run("import_wayfless", str(SAMPLE), "--library", "PKU")
    assert "wayfless-sample.md → PKU: 6 entries (6 new, 0 updated), 7 links, 4 notes" in out
    assert Database.objects.filter(library=consortium.lib).count() == 6

    out, _ = run("export_wayfless", "--library", "PKU", "--format", "md")
    assert out == SAMPLE.read_text(encoding="utf-8")  # no IdP: the placeholder stays

    # Read again (the community updated it): replaced in place, nothing doubled.
    out, _ = run("import_wayfless", str(SAMPLE), "--library", "PKU")
    assert "(0 new, 6 updated), 7 links, 4 notes" in out
    target = tmp_path / "list.md"
    out, _ = run("export_wayfless", "--library", "PKU", "--format", "md", "-o", str(target))
    assert f"PKU → {target}: 6 entries, 7 links (md)" in out
    assert target.read_text(encoding="utf-8") == SAMPLE.read_text(encoding="utf-8")


def _templates() -> list[str]:
    return [
        url
        for entry in wayfless.parse_markdown(SAMPLE.read_text(encoding="utf-8")).entries
        for method in entry.methods
        for url in method.links
    ]


def _filled(template: str, host: str) -> str:
    """The template with the placeholder replaced in the form it has (raw or encoded)."""
    encoded = quote(wayfless.PLACEHOLDER, safe="")
    if encoded in template:
        return template.replace(encoded, quote(host, safe=""))
    return template.replace(wayfless.PLACEHOLDER, host)


def test_links_for_an_entity_id_are_the_templates_with_the_placeholder_replaced(consortium):
    run("import_wayfless", str(SAMPLE), "--library", "PKU")
    templates = _templates()
    assert any(quote(wayfless.PLACEHOLDER, safe="") in t for t in templates)  # encoded too

    out, _ = run("export_wayfless", "--library", "PKU", "--entity-id", ENTITY, "--format", "md")
    exported = [u for e in wayfless.parse_markdown(out).entries for m in e.methods for u in m.links]
    assert exported == [_filled(t, "idp.pku.edu.cn") for t in templates]
    assert not [u for u in exported if "{IDP地址}" in u or "%7BIDP" in u]

    # ScienceDirect's target, URL-encoded twice inside the link, survives the round trip.
    (sciencedirect,) = [u for u in exported if u.startswith("https://sp.sciencedirect.com/")]
    assert wayfless.target_of(sciencedirect) == "https://www.sciencedirect.com/"
    assert "appReturnURL%3Dhttps%253A%252F%252Fwww.sciencedirect.com%252F" in sciencedirect

    # The library's own IdP is used when none is given.
    services.save_link_settings(by=consortium.staff, library=consortium.lib, idp_entity_id=ENTITY)
    mine, _ = run("export_wayfless", "--library", "PKU", "--format", "md")
    assert mine == out
    # --community keeps the placeholder all the same: the list as the community has it.
    community, _ = run("export_wayfless", "--library", "PKU", "--format", "md", "--community")
    assert community == SAMPLE.read_text(encoding="utf-8")
    assert (
        exit_code(
            "export_wayfless",
            "--library",
            "PKU",
            "--format",
            "md",
            "--community",
            "--entity-id",
            ENTITY,
        )
        == 2
    )


def test_json_and_csv_exports_hold_the_same_links(consortium):
    run("import_wayfless", str(SAMPLE), "--library", "PKU")
    wanted = [_filled(t, "idp.pku.edu.cn") for t in _templates()]
    args = ("--library", "PKU", "--entity-id", ENTITY, "--format")

    out, _ = run("export_wayfless", *args, "json")
    data = json.loads(out)
    assert [r["name"] for r in data["resources"]][:2] == ["中国知网 CNKI", "Elsevier ScienceDirect"]
    assert [u for r in data["resources"] for m in r["methods"] for u in m["links"]] == wanted
    assert data["preamble"].startswith("# CARSI 资源 WAYFless 链接列表")

    out, _ = run("export_wayfless", *args, "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["url"] for r in rows] == wanted
    assert rows[2]["resource"] == "Elsevier ScienceDirect" and rows[2]["method"] == "方式2"
    assert "方式2 适用于方式1 跳转失败的学校。" in rows[2]["notes"]


def test_wayfless_bad_arguments_exit_2_and_nothing_to_do_1(consortium, tmp_path):
    sample = str(SAMPLE)
    assert exit_code("import_wayfless", sample, "--library", "NOPE") == 2
    assert exit_code("import_wayfless", str(tmp_path / "none.md"), "--library", "PKU") == 2
    empty = tmp_path / "empty.md"
    empty.write_text("# 只有标题\n\n没有条目。\n", encoding="utf-8")
    assert exit_code("import_wayfless", str(empty), "--library", "PKU") == 1
    assert not Database.objects.exists()

    assert exit_code("export_wayfless", "--library", "PKU", "--format", "md") == 1  # no list
    run("import_wayfless", sample, "--library", "PKU")
    assert exit_code("export_wayfless", "--library", "PKU", "--format", "xml") == 2
    assert exit_code("export_wayfless", "--library", "NOPE", "--format", "md") == 2
    bad = ("--library", "PKU", "--entity-id", "idp.pku.edu.cn", "--format", "md")
    assert exit_code("export_wayfless", *bad) == 2


# --- import-carsi ----------------------------------------------------------------------


def test_import_carsi_reads_the_idps_and_finds_one_by_name(consortium, tmp_path):
    out, _ = run("import_carsi", str(DATA / "carsi-sample.xml"))
    assert out.strip() == "carsi-sample.xml: 2 identity providers"
    pku = FederationIdp.objects.get(entity_id=ENTITY)
    assert (pku.name, pku.name_en) == ("北京大学", "Peking University")

    out, _ = run("import_carsi", "--find", "深圳大学")
    assert out.strip() == "https://idp.szu.edu.cn/idp/shibboleth\t深圳大学 / Shenzhen University"
    out, _ = run("import_carsi", "--find", "peking")
    assert out.startswith(ENTITY)
    assert exit_code("import_carsi", "--find", "不存在的大学") == 1
    assert exit_code("import_carsi") == 2
    assert exit_code("import_carsi", str(tmp_path / "none.xml")) == 2
    junk = tmp_path / "junk.xml"
    junk.write_text("<md:EntitiesDescriptor", encoding="utf-8")
    assert exit_code("import_carsi", str(junk)) == 2  # not XML: a bad argument
    junk.write_text("<html><body>not metadata</body></html>", encoding="utf-8")
    assert exit_code("import_carsi", str(junk)) == 1  # no IdP in it: nothing to do
    assert FederationIdp.objects.count() == 2  # the refused file changed nothing


# --- import-kbart ----------------------------------------------------------------------


def test_import_kbart_fills_the_database_and_the_journal_holdings(consortium, tmp_path):
    database = services.create_database(
        by=consortium.staff, library=consortium.lib, name="Springer Nature 期刊", name_en="SN"
    )
    kbart = str(DATA / "kbart-sample.txt")
    out, err = run("import_kbart", kbart, "--library", "PKU", "--database", "SN")
    assert out.strip() == (
        "kbart-sample.txt → PKU Springer Nature 期刊: 3 titles, 2 journal holdings, 1 rows skipped"
    )
    assert err.startswith("line 5: print_identifier:")
    assert KbartTitle.objects.filter(database=database).count() == 3
    assert set(
        JournalHolding.objects.filter(source=f"kbart:{database.pk}").values_list("issn", flat=True)
    ) == {"0028-0836", "1674-7348"}
    out, _ = run("import_kbart", kbart, "--library", "PKU", "--database", str(database.pk))
    assert "3 titles, 2 journal holdings" in out
    assert JournalHolding.objects.filter(source=f"kbart:{database.pk}").count() == 2

    assert exit_code("import_kbart", kbart, "--library", "PKU", "--database", "无此库") == 2
    assert exit_code("import_kbart", kbart, "--library", "BLCU", "--database", "SN") == 2
    assert exit_code("import_kbart", kbart, "--library", "NOPE", "--database", "SN") == 2
    missing = str(tmp_path / "none.txt")
    assert exit_code("import_kbart", missing, "--library", "PKU", "--database", "SN") == 2
    empty = tmp_path / "empty.txt"
    empty.write_text("publication_title\tprint_identifier\n", encoding="utf-8")
    assert exit_code("import_kbart", str(empty), "--library", "PKU", "--database", "SN") == 1
    assert KbartTitle.objects.filter(database=database).count() == 3  # kept


# --- patrol ----------------------------------------------------------------------------


def test_patrol_records_each_route_keeps_history_and_mails_only_new_breakage(
    consortium, django_capture_on_commit_callbacks
):
    for user, email in (
        (consortium.lib_admin, "admin@lib.pku.edu.cn"),  # told
        (consortium.staff, "circ@lib.pku.edu.cn"),  # circulation: not told
        (consortium.other_staff, "admin@blcu.edu.cn"),  # another library's: not told
        (consortium.reader, "reader@pku.edu.cn"),
    ):
        user.email = email
        user.save(update_fields=["email"])
    routes = {"/ok": page(), "/gone": lambda h, m: (404, {}, b"not here")}
    with serve(routes) as base:
        database = services.create_database(
            by=consortium.staff,
            library=consortium.lib,
            name="Test 数据库",
            routes=[
                {"kind": RouteKind.CAMPUS_IP, "url": f"{base}/ok"},
                {"kind": RouteKind.VPN, "url": f"{base}/gone"},
            ],
        )
        services.create_database(
            by=consortium.other_staff,
            library=consortium.other_lib,
            name="他馆数据库",
            routes=[{"kind": RouteKind.VPN, "url": f"{base}/gone"}],
        )
        ok, gone = database.routes.order_by("position")
        args = ("--library", "PKU", "--timeout", "2", "--retries", "0", "--no-progress")

        with django_capture_on_commit_callbacks(execute=True):
            out, _ = run("patrol", *args)
        assert "checked 2 links: 1 reachable, 1 broken, 1 newly broken" in out
        assert "  ok: 1" in out and "  not_found: 1" in out
        assert f"newly broken: Test 数据库 (vpn) {base}/gone not_found 404" in out
        assert [m.to for m in mail.outbox] == [["admin@lib.pku.edu.cn"]]
        assert f"{base}/gone" in mail.outbox[0].body

        with django_capture_on_commit_callbacks(execute=True):
            out, _ = run("patrol", *args)
        assert "1 broken, 0 newly broken" in out
        assert len(mail.outbox) == 1  # the same breakage is not told again

        # Mended, then broken again: news again.
        routes["/gone"] = page()
        with django_capture_on_commit_callbacks(execute=True):
            out, _ = run("patrol", *args)
        assert "2 reachable, 0 broken" in out
        routes["/gone"] = lambda h, m: (500, {}, b"oops")
        with django_capture_on_commit_callbacks(execute=True):
            out, _ = run("patrol", *args)
        assert "1 newly broken" in out and "server_error 500" in out
        assert len(mail.outbox) == 2

    assert PatrolRun.objects.count() == 4
    assert LinkCheck.objects.filter(route=ok).count() == 4  # history kept
    assert list(
        LinkCheck.objects.filter(route=gone)
        .order_by("-checked_at", "-id")
        .values_list("status", flat=True)
    ) == ["server_error", "ok", "not_found", "not_found"]
    other = AccessRoute.objects.get(database__library=consortium.other_lib)
    assert not LinkCheck.objects.filter(route=other).exists()  # --library PKU only


def test_patrol_of_every_library_shows_progress_lines(consortium):
    with serve({"/ok": page()}) as base:
        for by, library in (
            (consortium.staff, consortium.lib),
            (consortium.other_staff, consortium.other_lib),
        ):
            url = f"{base}/ok?library={library.code}"
            services.create_database(
                by=by, library=library, name="库", routes=[{"kind": "vpn", "url": url}]
            )
        out, err = run("patrol", "--timeout", "2", "--retries", "0")
    assert "checked 2 links: 2 reachable, 0 broken, 0 newly broken" in out
    # Not a terminal: a line at each tenth passed, not a bar.
    assert err == "links: 50% (1 links of 2 links)\nlinks: 100% (2 links of 2 links)\n"


def test_patrol_with_nothing_to_check_exits_1(consortium):
    assert exit_code("patrol", "--no-progress") == 1
    assert exit_code("patrol", "--library", "NOPE") == 2
