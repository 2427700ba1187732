"""The community WAYFless list and deep links (pure functions, no database)."""

import csv
import io
import json
from urllib.parse import quote

import pytest

from libreach.eresources import wayfless
from libreach.eresources.wayfless import (
    Entry,
    Link,
    Method,
    Note,
    deep_link,
    links_for,
    parse_markdown,
    target_of,
    to_csv,
    to_json,
    write_markdown,
)

ENCODED_PLACEHOLDER = quote("{IDP地址}", safe="")

SAMPLE = f"""# CARSI 资源 WAYFless 链接列表

将下列链接中的 {{IDP地址}} 替换为本校 IdP 的域名（如 idp.szu.edu.cn）即可直接跳转到本校登录页。
欢迎提交 PR 补充。

## 中国知网 CNKI

    https://fsso.cnki.net/Shibboleth.sso/Login?entityID=https://{{IDP地址}}/idp/shibboleth&target=https://fsso.cnki.net/secure/default.aspx

## Elsevier ScienceDirect

### 方式1

    https://auth.elsevier.com/ShibAuth/institutionLogin?entityID=https://{{IDP地址}}/idp/shibboleth&appReturnURL=https%3A%2F%2Fwww.sciencedirect.com%2F

### 方式2

    https://sp.sciencedirect.com/Shibboleth.sso/Login?entityID=https%3A%2F%2F{ENCODED_PLACEHOLDER}%2Fidp%2Fshibboleth&target=https%3A%2F%2Fauth.elsevier.com%2FShibAuth%2FinstitutionLogin%3FappReturnURL%3Dhttps%253A%252F%252Fwww.sciencedirect.com%252F

方式2 适用于方式1 跳转失败的学校。
登录后请勿频繁批量下载。

## Web of Science

    https://www.webofscience.com/?auth=Shibboleth&entityID=https://{{IDP地址}}/idp/shibboleth
    https://login.webofknowledge.com/?auth=Shibboleth&entityID=https://{{IDP地址}}/idp/shibboleth

注意：部分学校需先在 IdP 开通 WoS 属性释放。

## 万方数据（暂无）

尚未接入 CARSI，请使用校园 VPN。
"""


def test_sample_round_trips_to_equal_markdown():
    assert write_markdown(parse_markdown(SAMPLE)) == SAMPLE


def test_sample_is_read_into_entries_methods_links_and_notes():
    wlist = parse_markdown(SAMPLE)
    assert wlist.preamble.startswith("# CARSI 资源 WAYFless 链接列表")
    assert [e.name for e in wlist.entries] == [
        "中国知网 CNKI",
        "Elsevier ScienceDirect",
        "Web of Science",
        "万方数据（暂无）",
    ]
    cnki, elsevier, wos, wanfang = wlist.entries
    assert [m.label for m in cnki.methods] == [None]
    assert [m.label for m in elsevier.methods] == ["方式1", "方式2"]
    assert elsevier.methods[1].notes == (
        "方式2 适用于方式1 跳转失败的学校。\n登录后请勿频繁批量下载。",
    )
    assert len(wos.methods[0].links) == 2
    assert wos.methods[0].notes == ("注意：部分学校需先在 IdP 开通 WoS 属性释放。",)
    assert wanfang.methods == (Method(None, (Note("尚未接入 CARSI，请使用校园 VPN。"),)),)


def test_built_list_writes_and_reads_back_equal():
    built = wayfless.WayflessList(
        "",
        (
            Entry(
                "IEEE Xplore",
                (
                    Method(
                        "方式1", (Link("https://a.example/?e=https://{IDP地址}/idp/shibboleth"),)
                    ),
                    Method("方式2", (Note("备注"), Link("https://b.example/"))),
                ),
            ),
        ),
    )
    assert parse_markdown(write_markdown(built)) == built


def test_untidy_list_is_written_in_the_well_formed_form():
    untidy = "## 甲  \n\n\n    https://a.example/{IDP地址}\n\n\n\n说明\n"
    tidy = "## 甲\n\n    https://a.example/{IDP地址}\n\n说明\n"
    assert write_markdown(parse_markdown(untidy)) == tidy
    assert write_markdown(parse_markdown(tidy)) == tidy


def test_links_for_equal_each_template_with_the_placeholder_replaced():
    host = "idp.szu.edu.cn"
    for entry in parse_markdown(SAMPLE).entries:
        templates = [url for m in entry.methods for url in m.links]
        got = [link.url for link in links_for(entry, host)]
        expected = [
            t.replace("{IDP地址}", host).replace(ENCODED_PLACEHOLDER, quote(host, safe=""))
            for t in templates
        ]
        assert got == expected
        assert all("IDP" not in url for url in got)


def test_links_for_keeps_the_entity_id_raw_or_encoded_as_the_template_has_it():
    elsevier = parse_markdown(SAMPLE).entries[1]
    first, second = links_for(elsevier, "idp.cuhk.edu.cn")
    assert first.method == "方式1"
    assert "entityID=https://idp.cuhk.edu.cn/idp/shibboleth&" in first.url
    assert second.method == "方式2"
    assert "entityID=https%3A%2F%2Fidp.cuhk.edu.cn%2Fidp%2Fshibboleth&" in second.url


def test_lower_case_escapes_of_the_placeholder_are_replaced_too():
    lower = ENCODED_PLACEHOLDER.lower().replace("idp", "IDP")
    url = f"https://sp.example/?entityID=https%3a%2f%2f{lower}%2fidp%2fshibboleth"
    assert wayfless.fill_placeholder(url, "idp.tsinghua.edu.cn") == (
        "https://sp.example/?entityID=https%3a%2f%2fidp.tsinghua.edu.cn%2fidp%2fshibboleth"
    )


ENTITY_ID = "https://idp.tsinghua.edu.cn/idp/shibboleth"
ARTICLE = "https://www.sciencedirect.com/science/article/pii/S0140673620301835?via=ihub&a=1+2 空"
SCIENCEDIRECT = (
    "https://sp.sciencedirect.com/Shibboleth.sso/Login?entityID={entityID%}"
    "&target=https%3A%2F%2Fauth.elsevier.com%2FShibAuth%2FinstitutionLogin"
    "%3FappReturnURL%3D{target%%}"
)


def test_sciencedirect_style_double_encoded_target_survives_a_round_trip():
    url = deep_link(SCIENCEDIRECT, ENTITY_ID, ARTICLE)
    assert "entityID=https%3A%2F%2Fidp.tsinghua.edu.cn%2Fidp%2Fshibboleth&" in url
    assert "appReturnURL%3Dhttps%253A%252F%252Fwww.sciencedirect.com%252Fscience" in url
    assert target_of(url) == ARTICLE
    assert target_of(url, SCIENCEDIRECT) == ARTICLE


@pytest.mark.parametrize(
    "template",
    [
        "https://fsso.cnki.net/Shibboleth.sso/Login?entityID={entityID}&target={target%}",
        "https://sp.example/Shibboleth.sso/Login?target={target%}&entityID={entityID%}",
        "https://auth.example/ShibAuth?entityID=https://{IDP地址}/idp/shibboleth&appReturnURL={target%}",
        SCIENCEDIRECT,
        # A target encoded twice at the top level (Web of Science style).
        "https://www.webofscience.com/wos/shib?entityID={entityID%}&target={target%%}",
    ],
)
def test_deep_links_round_trip(template):
    for target in (ARTICLE, "https://fsso.cnki.net/kcms/detail?dbcode=CJFD&filename=ZGTS202001001"):
        url = deep_link(template, ENTITY_ID, target)
        assert "{" not in url and "IDP" not in url
        assert target_of(url) == target
        assert target_of(url, template) == target


def test_community_url_as_template_gets_the_entity_ids_host():
    template = "https://auth.example/ShibAuth?entityID=https://{IDP地址}/idp/shibboleth&appReturnURL={target%}"
    url = deep_link(template, ENTITY_ID, "https://x.example/a")
    assert url == (
        "https://auth.example/ShibAuth?entityID=https://idp.tsinghua.edu.cn/idp/shibboleth"
        "&appReturnURL=https%3A%2F%2Fx.example%2Fa"
    )


def test_bad_templates_and_links_are_refused():
    with pytest.raises(ValueError):
        deep_link("https://sp.example/?entityID={entityID}", ENTITY_ID, ARTICLE)
    with pytest.raises(ValueError):
        target_of("https://sp.example/?entityID=x")
    with pytest.raises(ValueError):
        target_of("https://other.example/?target=x", SCIENCEDIRECT)
    with pytest.raises(ValueError):
        wayfless.idp_host_of("urn:mace:example")


def test_json_export():
    data = json.loads(to_json(parse_markdown(SAMPLE)))
    assert data["resources"][1]["name"] == "Elsevier ScienceDirect"
    assert data["resources"][1]["methods"][1]["label"] == "方式2"
    assert len(data["resources"][2]["methods"][0]["links"]) == 2
    assert data["resources"][3]["methods"][0] == {
        "label": None,
        "links": [],
        "notes": ["尚未接入 CARSI，请使用校园 VPN。"],
    }


def test_csv_export_has_one_row_per_url():
    rows = list(csv.reader(io.StringIO(to_csv(parse_markdown(SAMPLE)))))
    assert rows[0] == ["resource", "method", "url", "notes"]
    assert len(rows) == 1 + 5
    assert rows[3][:2] == ["Elsevier ScienceDirect", "方式2"]
    assert rows[3][3].startswith("方式2 适用于")
    assert rows[1][1] == ""
