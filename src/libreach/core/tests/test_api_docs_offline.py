"""/api/v1/docs works without the internet (issue 7, item 5): Swagger UI's scripts, styles
and icons come from django-ninja's own static files on this site, never from a CDN, and
runserver's static serving (what `libreach demo` uses) hands every one of them out."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client, RequestFactory

ASSET_ATTRIBUTES = {"script": "src", "link": "href", "img": "src", "iframe": "src"}


class AssetURLs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        wanted = ASSET_ATTRIBUTES.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def asset_urls(html: str) -> list[str]:
    parser = AssetURLs()
    parser.feed(html)
    return parser.urls


def is_same_origin(url: str) -> bool:
    # A path on this site: no scheme, no host, and not protocol-relative (//cdn...).
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and url.startswith("/")


def test_same_origin_tells_a_cdn_from_a_path():
    assert is_same_origin("/static/ninja/swagger-ui-bundle.js")
    for url in (
        "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js",
        "//cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css",
        "http://127.0.0.1:8000/static/x.js",
        "static/relative.js",
    ):
        assert not is_same_origin(url), url


@pytest.fixture
def docs_html(db) -> str:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    return response.content.decode()


def test_every_asset_of_the_api_docs_is_on_this_site(docs_html):
    urls = asset_urls(docs_html)
    # The page has Swagger UI's bundle, its start script and its stylesheet at least.
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    assert any(u.endswith("swagger-ui.css") for u in urls)
    assert [u for u in urls if not is_same_origin(u)] == []
    # The description Swagger UI loads is ours too.
    config = re.search(
        r'<script type="application/json" id="swagger-settings">(.*?)</script>', docs_html, re.S
    )
    assert config and is_same_origin(json.loads(config.group(1))["url"])


def test_the_demos_static_serving_hands_out_every_asset(docs_html):
    # `libreach demo` runs runserver with insecure_serving: this handler, without DEBUG.
    handler = StaticFilesHandler(WSGIHandler())
    for url in asset_urls(docs_html):
        assert url.startswith(settings.STATIC_URL), url
        response = handler.serve(RequestFactory().get(url))
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content)
        assert body, url
        if url.endswith(".js"):
            # No script that the page runs fetches code from elsewhere either.
            assert not re.search(rb"""(?:src|href)\s*=\s*["']https?://""", body), url


def test_the_policy_lets_the_docs_run_from_this_site_only(docs_html):
    response = Client().get("/api/v1/docs")
    policy = dict(
        (d.split()[0], d.split()[1:])
        for d in response.headers["Content-Security-Policy"].split("; ")
    )
    # Scripts and styles from 'self' (Swagger UI sets inline styles on its elements), icons
    # as data: URLs; nothing from another host.
    assert policy["script-src"][0] == "'self'"
    assert "'self'" in policy["style-src"] and "'self'" in policy["img-src"]
    for sources in policy.values():
        assert not any(s.startswith(("http:", "https:")) or "." in s for s in sources), sources
