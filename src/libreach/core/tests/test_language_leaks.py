"""One language at a time: every page of the page matrix, in Simplified Chinese and in
English, must speak only that language outside its data.

Each page is opened (GET) by the first caller the matrix lets see it, and each of its
POST actions is sent as given, empty, and with over-long values, following the redirect,
so the messages and form errors of services and forms are read too. What is checked is
the text a reader sees (text nodes and the title, placeholder, alt and aria-label
attributes), less:

- data: every free-text value in the database (titles, names, codes, barcodes) is
  removed before checking, because a book's title or a reader's name is not a label.
  A library's Chinese `name` is not data on an English page when it has a `name_en`
  (the page must use the English one); values of choice fields are never data (a page
  must show their labels, not their codes);
- elements marked as being in another language (`lang="…"`, the language switch's own
  names) or as not to be translated (`translate="no"`);
- a short list of words that are the same in both languages (ALLOWED_ASCII).

It fails on Han characters or CJK punctuation on an English page, on an English word of
three or more letters on a Chinese page, and on a raw ISO timestamp on either.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from libreach.testing.pages import PageCase, all_cases, fill
from libreach.testing.permissions import default_setup

LANGUAGES = ("zh-hans", "en")
# Words the same in both languages: the brand, standards, file formats.
ALLOWED_ASCII = {"libreach", "isbn", "issn", "qr", "pdf", "api", "csv", "marc", "uv", "id", "ics"}
# Names of access services, the same in Chinese: e-resources' routes.
ALLOWED_ASCII |= {"vpn", "webvpn", "carsi", "ezproxy", "openathens"}
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff01-\uff60]+")
ASCII_WORD = re.compile(r"(?<![A-Za-z0-9_.@/-])[A-Za-z]{3,}(?![A-Za-z0-9_@/-])")
ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?")
# An SVG chart's <metadata> names its maker (Matplotlib) and format, for machines.
SKIPPED_TAGS = {"script", "style", "template", "metadata"}
# data-label: a table cell's heading, shown beside it on a phone (site.css).
VISIBLE_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label", "data-label")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
# Over-long form values: digits, so they are words of neither language if echoed back.
LONG = "9" * 600


class _Text(HTMLParser):
    """The text a reader sees, skipping elements in another language or not to translate."""

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.parts: list[str] = []

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = (attrs.get("lang") or "").lower()
        skipped = (
            tag in SKIPPED_TAGS
            or attrs.get("translate") == "no"
            or (tag != "html" and bool(lang) and not lang.startswith(self.language[:2]))
        )
        if not skipped and not self._skipping():
            self.parts.extend(attrs[a] for a in VISIBLE_ATTRIBUTES if attrs.get(a))
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.parts.append(data)


def visible_text(html: str, language: str) -> list[str]:
    parser = _Text(language)
    parser.feed(html)
    parser.close()
    return parser.parts


def data_values(language: str, extra=()) -> list[str]:
    """Every free-text value of libreach's tables, and `extra` (what the caller typed),
    longest first (see the module's docstring)."""
    values: set[str] = {str(v) for v in extra if v}
    for model in apps.get_models():
        if not model._meta.app_config.name.startswith("libreach.") or model._meta.proxy:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        if language == "en" and model._meta.label == "consortium.Library":
            fields.remove("name")
            values.update(
                v for v in model.objects.filter(name_en="").values_list("name", flat=True)
            )
        if fields:
            for row in model.objects.values_list(*fields):
                values.update(str(v) for v in row if v)
    return sorted(values, key=len, reverse=True)


def calendar_text(ics: str) -> list[str]:
    """What a calendar shows of an iCalendar file: its entries' summary, place, notes."""
    unfolded = re.sub(r"\r?\n[ \t]", "", ics)
    fields = re.findall(r"^(?:SUMMARY|LOCATION|DESCRIPTION)[^:]*:(.*)$", unfolded, re.M)
    return [f.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";") for f in fields]


def pdf_text(data: bytes) -> list[str]:
    """A PDF's lines of text (slips and route sheets print what their pages show)."""
    import io

    from pypdf import PdfReader

    return [
        line
        for page in PdfReader(io.BytesIO(data)).pages
        for line in page.extract_text().splitlines()
    ]


def leaks(html: str, language: str, typed=(), parts=None) -> list[str]:
    """The pieces of the page's text in the other language (or raw timestamps)."""
    found = []
    data = data_values(language, typed)
    for part in visible_text(html, language) if parts is None else parts:
        for value in data:
            if value in part:
                part = part.replace(value, " ")
        found += [f"timestamp {m.group()!r}" for m in ISO_TIMESTAMP.finditer(part)]
        if language == "en":
            found += [f"Han {m.group()!r} in {part.strip()!r}" for m in HAN.finditer(part)]
        else:
            found += [
                f"English {m.group()!r} in {part.strip()!r}"
                for m in ASCII_WORD.finditer(part)
                if m.group().lower() not in ALLOWED_ASCII
            ]
    return found


def _viewer(case: PageCase) -> str | None:
    """The first caller the matrix lets see the page (or act)."""
    for actor, expected in case.expect.items():
        if expected in (200, 302) and actor != "anonymous":
            return actor
    for actor, expected in case.expect.items():
        if expected in (200, 302):
            return actor
    return None


def client_in(consortium, actor: str, language: str) -> Client:
    client = Client(headers={"accept-language": language})
    client.cookies["django_language"] = language
    user = consortium.actor(actor)
    if user is not None:
        client.force_login(user)
    return client


def assert_one_language(response, language: str, where: str, typed=()) -> None:
    if response.headers.get("Content-Type", "").startswith("text/calendar"):
        parts = calendar_text(response.content.decode())
        assert parts, f"{where}: a calendar with nothing to read"
        found = leaks("", language, typed, parts=parts)
        assert not found, f"{where} in {language}:\n" + "\n".join(found)
        return
    if response.streaming:
        return  # a file streamed as it was supplied (document delivery's copy): data
    if response.headers.get("Content-Type", "").startswith("application/pdf"):
        parts = pdf_text(response.content)
        assert parts, f"{where}: a PDF with nothing to read"
        found = leaks("", language, typed, parts=parts)
        assert not found, f"{where} in {language}:\n" + "\n".join(found)
        return
    if "text/html" not in response.headers.get("Content-Type", ""):
        return
    html = response.content.decode()
    assert f'<html lang="{language}"' in html, f"{where}: not rendered in {language}"
    found = leaks(html, language, typed)
    assert not found, f"{where} in {language}:\n" + "\n".join(found)


CASES = all_cases()
GETS = [c for c in CASES if c.method.upper() == "GET" and _viewer(c)]
# The language switch changes the language: the one action not to answer in the old one.
POSTS = [
    c for c in CASES if c.method.upper() == "POST" and _viewer(c) and c.route != "i18n/setlang/"
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", GETS, ids=[c.label for c in GETS])
def test_page_in_one_language(consortium, case, language):
    values = (case.setup or default_setup)(consortium)
    actor = _viewer(case)
    path = fill(case.route, values)
    data = case.data(values) if callable(case.data) else case.data
    response = client_in(consortium, actor, language).get(path, data or {}, follow=True)
    assert response.status_code == 200, (actor, path, response.status_code)
    typed = (data or {}).values()  # a search's words come back on its page
    assert_one_language(response, language, f"GET {path} as {actor}", typed)


def _variants(data: dict | None) -> dict[str, dict]:
    data = data or {}
    variants = {"as given": data, "empty": {}}
    if data:
        variants["too long"] = dict.fromkeys(data, LONG)
    return variants


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", POSTS, ids=[c.label for c in POSTS])
def test_action_answers_in_one_language(consortium, case, language):
    """Each action as given, empty and over-long: its messages and form errors (after the
    redirect, if any) speak the page's language. Each variant runs on fresh data."""
    from django.db import transaction

    actor = _viewer(case)
    for variant in ("as given", "empty", "too long"):
        with transaction.atomic():
            values = (case.setup or default_setup)(consortium)
            data = case.data(values) if callable(case.data) else case.data
            sent = _variants(data).get(variant)
            if sent is not None:
                path = fill(case.route, values)
                client = client_in(consortium, actor, language)
                response = client.post(path, sent, follow=True)
                assert response.status_code < 500, (variant, path, response.status_code)
                assert_one_language(response, language, f"POST {path} ({variant}) as {actor}")
            transaction.set_rollback(True)


def _in_basket(client, consortium) -> dict:
    from libreach.contactless.tests.permissions import _books

    values = _books(consortium)
    client.post("/basket/add/", {"record": values["record_id"]})
    return values


TODAY = "2030-01-07"
# Forms refused by their own checks or by a service, each in the page's language (the
# matrix's actions above send valid, empty and over-long values; these break rules).
REFUSED_FORMS = {
    "closure ending before it starts": (
        "staff",
        lambda client, consortium: None,
        "/desk/PKU/closures/declare/",
        {"start_date": "2030-01-14", "end_date": "2030-01-07", "reason": "x"},
    ),
    "extension with the range reversed": (
        "staff",
        lambda client, consortium: None,
        "/desk/PKU/loans/extend/",
        {"due_from": "2030-02-01", "due_to": "2030-01-01", "new_due_date": "2030-03-01"},
    ),
    "proxy with a name too long": (
        "reader",
        _in_basket,
        "/basket/PKU/request/",
        {
            "mode": "proxy",
            "service_point": "MAIN",
            "proxy_name": "张" * 300,
            "proxy_id_number": "110101199001011234",
        },
    ),
    "proxy with no ID number": (
        "reader",
        _in_basket,
        "/basket/PKU/request/",
        {"mode": "proxy", "service_point": "MAIN", "proxy_name": "王五"},
    ),
    "a wrong password": (
        "anonymous",
        lambda client, consortium: None,
        "/accounts/login/",
        {"username": "pku-circ", "password": "wrong"},
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", REFUSED_FORMS)
def test_refused_form_in_one_language(consortium, name, language):
    actor, prepare, path, data = REFUSED_FORMS[name]
    client = client_in(consortium, actor, language)
    prepare(client, consortium)
    response = client.post(path, data, follow=True)
    assert response.status_code in (200, 403, 422), response.status_code
    html = response.content.decode()
    assert 'role="alert"' in html or "errorlist" in html or "field-error" in html, name
    assert_one_language(response, language, f"{name}: POST {path}", data.values())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("actor", "path", "status"),
    [("anonymous", "/no-such-page/", 404), ("reader", "/desk/PKU/", 403)],
    ids=["404", "403"],
)
def test_error_page_in_one_language(consortium, actor, path, status, language):
    response = client_in(consortium, actor, language).get(path)
    assert response.status_code == status
    assert_one_language(response, language, f"GET {path} as {actor}")


def test_a_name_too_long_is_not_also_missing(consortium):
    """The proxy's name over its length gets the length message alone, not also
    "请填写代取人的姓名" (give the proxy's name), which contradicts it."""
    actor, prepare, path, data = REFUSED_FORMS["proxy with a name too long"]
    client = client_in(consortium, actor, "zh-hans")
    prepare(client, consortium)
    html = client.post(path, data).content.decode()
    assert "最多输入 150 个字符" in html
    assert "请填写代取人的姓名" not in html


@pytest.mark.django_db
def test_the_check_finds_leaks():
    """The checker itself: what it flags and what it leaves."""
    en = '<html lang="en"><body><h1>止</h1><p lang="zh-hans">简体中文</p>《Hamlet》</body></html>'
    assert [f.split()[1] for f in leaks(en, "en")] == ["'止'", "'《'", "'》'"]
    zh = '<html lang="zh-hans"><p title="Sign in">登录 PDF</p><b translate="no">Brand</b></html>'
    assert leaks(zh, "zh-hans") == ["English 'Sign' in 'Sign in'"]
    stamp = '<html lang="en"><p>At 2026-12-02T09:15:00+08:00</p></html>'
    assert leaks(stamp, "en") == ["timestamp '2026-12-02T09:15:00+08:00'"]
