"""EZproxy, OpenAthens and WebVPN links (pure functions, no database)."""

import pytest

from libreach.eresources.proxylinks import (
    ezproxy_link,
    ezproxy_target_of,
    openathens_link,
    openathens_target_of,
    webvpn_decrypt_host,
    webvpn_encrypt_host,
    webvpn_link,
    webvpn_target_of,
)

TARGET = "https://www.sciencedirect.com/science/article/pii/S0140673620301835?via=ihub&q=新冠#sec1"


def test_ezproxy_starting_point():
    url = ezproxy_link("ezproxy.lib.szu.edu.cn", "https://www.jstor.org/stable/1234?a=1&b=2")
    assert url == (
        "https://ezproxy.lib.szu.edu.cn/login?qurl="
        "https%3A%2F%2Fwww.jstor.org%2Fstable%2F1234%3Fa%3D1%26b%3D2"
    )
    assert ezproxy_link("https://ezproxy.lib.szu.edu.cn/", TARGET) == ezproxy_link(
        "ezproxy.lib.szu.edu.cn", TARGET
    )
    assert ezproxy_target_of(ezproxy_link("ezproxy.lib.szu.edu.cn", TARGET)) == TARGET


def test_openathens_redirector():
    url = openathens_link("cuhk.edu.cn", "https://onlinelibrary.wiley.com/doi/10.1002/abc")
    assert url == (
        "https://go.openathens.net/redirector/cuhk.edu.cn?url="
        "https%3A%2F%2Fonlinelibrary.wiley.com%2Fdoi%2F10.1002%2Fabc"
    )
    assert openathens_target_of(openathens_link("cuhk.edu.cn", TARGET)) == TARGET


@pytest.mark.parametrize(
    "host, token",
    [
        # Published addresses of Tsinghua's and Fudan's gateways.
        (
            "info.tsinghua.edu.cn",
            "77726476706e69737468656265737421f9f9479369247b59700f81b9991b2631506205de",
        ),
        (
            "id.tsinghua.edu.cn",
            "77726476706e69737468656265737421f9f30f8834396657761d88e29d51367bcfe7",
        ),
        ("auth.fduhole.com", "77726476706e69737468656265737421f1e2559469366c45760785a9d6562c38"),
    ],
)
def test_webvpn_host_encryption_matches_real_gateways(host, token):
    assert webvpn_encrypt_host(host) == token
    assert webvpn_decrypt_host(token) == host


def test_webvpn_link_and_back():
    url = webvpn_link("webvpn.tsinghua.edu.cn", "https://info.tsinghua.edu.cn/f/info/xxfb?lmid=all")
    assert url == (
        "https://webvpn.tsinghua.edu.cn/https/"
        "77726476706e69737468656265737421f9f9479369247b59700f81b9991b2631506205de"
        "/f/info/xxfb?lmid=all"
    )
    for target in (TARGET, "http://lib.example.edu.cn:8080/opac/search?q=1"):
        assert webvpn_target_of(webvpn_link("webvpn.szu.edu.cn", target)) == target


def test_webvpn_non_default_port_goes_into_the_scheme_segment():
    url = webvpn_link("webvpn.szu.edu.cn", "http://lib.example.edu.cn:8080/opac/")
    assert url.startswith("https://webvpn.szu.edu.cn/http-8080/77726476706e69737468656265737421")
    assert webvpn_link("webvpn.szu.edu.cn", "https://a.example:443/x") == webvpn_link(
        "webvpn.szu.edu.cn", "https://a.example/x"
    )


def test_plain_webvpn_form():
    url = webvpn_link(
        "vpn.example.edu.cn", "https://kns.cnki.net/kns8/defaultresult/index", encrypted=False
    )
    assert url == "https://vpn.example.edu.cn/https/kns.cnki.net/kns8/defaultresult/index"
    assert webvpn_target_of(url, encrypted=False) == "https://kns.cnki.net/kns8/defaultresult/index"


def test_a_school_key_changes_the_token():
    key = b"0123456789abcdef"
    token = webvpn_encrypt_host("kns.cnki.net", key)
    assert token.startswith(key.hex()) and token != webvpn_encrypt_host("kns.cnki.net")
    assert webvpn_decrypt_host(token, key) == "kns.cnki.net"


def test_bad_targets_are_refused():
    for bad in ("ftp://x.example/", "www.jstor.org/stable/1", ""):
        with pytest.raises(ValueError):
            ezproxy_link("ezproxy.example.edu", bad)
        with pytest.raises(ValueError):
            webvpn_link("webvpn.example.edu", bad)
    with pytest.raises(ValueError):
        openathens_link("a/b", TARGET)
    with pytest.raises(ValueError):
        webvpn_target_of("https://webvpn.example.edu/login")
