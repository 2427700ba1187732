"""The site's own error pages, in the reader's language, with a way back; Django's debug
pages only when the demo is asked for them."""

import os

import pytest
from django.test import Client
from django.urls import reverse

from libreach import cli
from libreach.testing.fixtures import PASSWORD


@pytest.mark.parametrize(
    ("language", "heading", "way_back"),
    [("zh-hans", "无权访问", "返回首页"), ("en", "Not allowed", "Back to the start page")],
)
def test_a_reader_on_a_desk_page_gets_the_sites_403_page(consortium, language, heading, way_back):
    client = Client(headers={"accept-language": language})
    assert client.login(username=consortium.reader.username, password=PASSWORD)
    response = client.get(reverse("desk:picklist", args=[consortium.lib.code]))
    assert response.status_code == 403
    html = response.content.decode()
    assert heading in html and way_back in html
    assert f'href="{reverse("home")}"' in html


@pytest.mark.parametrize(
    ("args", "debug"), [([], None), (["--port", "8001"], None), (["--debug"], "1")]
)
def test_the_demo_shows_debug_pages_only_when_asked(monkeypatch, args, debug):
    # monkeypatch puts back whatever the demo's environment changes.
    monkeypatch.delenv("LIBREACH_DEBUG", raising=False)
    monkeypatch.delenv("LIBREACH_EMAIL_BACKEND", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://production.invalid/libreach")
    cli.prepare_demo_environment(args)
    assert os.environ.get("LIBREACH_DEBUG") == debug
    assert "DATABASE_URL" not in os.environ
