"""Signing in leads staff to their desk and readers where they went before; the header
offers the desk to staff only."""

from __future__ import annotations

import pytest
from django.test import Client

from libreach.accounts import services as account_services
from libreach.accounts.models import StaffRole
from libreach.testing.fixtures import PASSWORD


def sign_in(username: str, next_path: str | None = None):
    data = {"username": username, "password": PASSWORD}
    if next_path is not None:
        data["next"] = next_path
    client = Client()
    return client, client.post("/accounts/login/", data)


@pytest.mark.parametrize(
    ("username", "lands_on"),
    [
        ("2020000001", "/"),  # a reader: the catalogue, as before
        ("pku-circ", "/desk/PKU/"),  # staff of one library: its desk home
        ("pku-admin", "/desk/PKU/"),
        ("pku-vol", "/desk/PKU/"),  # a volunteer's runs start at the desk too
        ("blcu-admin", "/desk/BLCU/"),
        ("balis", "/desk/"),  # a consortium admin: the choice of libraries
    ],
)
def test_where_each_caller_lands_after_signing_in(consortium, username, lands_on):
    client, response = sign_in(username)
    assert response.status_code == 302
    assert response.url == lands_on
    assert client.get(response.url).status_code == 200


def test_staff_of_several_libraries_land_on_the_choice(consortium):
    account_services.grant_role(
        user=consortium.staff, library=consortium.other_lib, role=StaffRole.CIRCULATION
    )
    _client, response = sign_in("pku-circ")
    assert response.url == "/desk/"


@pytest.mark.parametrize("username", ["pku-circ", "2020000001"])
def test_a_page_asked_for_on_this_site_wins(consortium, username):
    _client, response = sign_in(username, "/search/?q=%E7%BA%A2")
    assert response.url == "/search/?q=%E7%BA%A2"


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/desk/"])
def test_a_next_elsewhere_is_ignored(consortium, elsewhere):
    _client, response = sign_in("pku-circ", elsewhere)
    assert response.url == "/desk/PKU/"


def test_the_header_sign_in_link_on_the_front_page_carries_no_next(consortium):
    # A `next=/` from the front page would keep staff from their desk.
    page = Client().get("/").content.decode()
    assert 'href="/accounts/login/"' in page
    search = Client().get("/search/?q=x").content.decode()
    assert 'href="/accounts/login/?next=/search/%3Fq%3Dx"' in search


DESK_LINK = 'class="site-nav__desk"'


@pytest.mark.parametrize(
    ("username", "link"),
    [
        ("pku-circ", "/desk/PKU/"),
        ("pku-vol", "/desk/PKU/"),
        ("balis", "/desk/"),
    ],
)
def test_the_header_offers_staff_their_desk(consortium, username, link):
    client, _response = sign_in(username)
    for path in ("/", "/search/?q=x", "/desk/PKU/"):
        page = client.get(path).content.decode()
        assert f'<li {DESK_LINK}><a href="{link}"' in page, path


def test_the_header_offers_readers_and_visitors_no_desk(consortium):
    client, _response = sign_in("2020000001")
    assert DESK_LINK not in client.get("/").content.decode()
    assert DESK_LINK not in Client().get("/").content.decode()


def test_on_the_desk_the_header_marks_the_desk_not_the_catalogue(consortium):
    # The desk's choice of libraries is also named "home" (desk:home).
    client, _response = sign_in("balis")
    page = client.get("/desk/").content.decode()
    assert '<li class="site-nav__desk"><a href="/desk/" aria-current="page">' in page
    assert 'href="/search/" aria-current="page"' not in page
    assert 'href="/search/" aria-current="page"' in client.get("/").content.decode()
