"""Plain-text notices: unescaped, in the reader's language, with the library's name,
titles' quotation marks and dates of that language (issue 7, items 8 to 10)."""

import re
from pathlib import Path

import pytest

from libreach.core.notify import render_notice

TITLE = 'Shakespeare\'s "Sonnets" & <Poems>'


def _ready(language: str, consortium) -> tuple[str, str]:
    user = consortium.reader
    user.language = language
    context = {
        "request_id": 7,
        "library": consortium.lib.name,
        "library_en": consortium.lib.name_en,
        "mode": "pickup",
        "pickup_code": "123456",
        "shelf_slot": "A-1",
        "hold_until": "2026-12-09",
        "service_point": "总馆东门",
        "building": "",
        "titles": [TITLE],
    }
    return render_notice(user=user, template="contactless_ready", context=context)


@pytest.mark.django_db
def test_text_notice_is_not_html_escaped(consortium):
    subject, body = _ready("en", consortium)
    assert f"“{TITLE}”" in body
    for escaped in ("&#x27;", "&quot;", "&amp;", "&lt;", "&gt;"):
        assert escaped not in body and escaped not in subject


@pytest.mark.django_db
def test_english_notice_names_the_library_in_english_with_english_dates(consortium):
    subject, body = _ready("en", consortium)
    assert "Peking University Library" in subject and "Peking University Library" in body
    assert "北京大学图书馆" not in subject + body
    assert "9 Dec 2026" in body and "2026-12-09" not in body
    assert "《" not in body


@pytest.mark.django_db
def test_chinese_notice_keeps_the_chinese_name_and_title_marks(consortium):
    subject, body = _ready("zh-hans", consortium)
    assert "北京大学图书馆" in subject
    assert f"《{TITLE}》" in body
    assert "2026年12月9日" in body


@pytest.mark.django_db
def test_closure_notice_dates_in_the_readers_language(consortium):
    user = consortium.reader
    context = {
        "library": consortium.lib.name,
        "library_en": consortium.lib.name_en,
        "closure_start": "2026-12-01",
        "closure_end": "2026-12-14",
        "reason": "",
        "loans": [
            {
                "barcode": "P1",
                "title": TITLE,
                "old_due_date": "2026-12-05",
                "due_date": "2026-12-15",
            }
        ],
    }
    user.language = "en"
    _, body = render_notice(user=user, template="closure_redated", context=context)
    assert "from 1 Dec 2026 to 14 Dec 2026" in body
    assert f"{TITLE} (P1): was due 5 Dec 2026, now due 15 Dec 2026" in body
    user.language = "zh-hans"
    _, body = render_notice(user=user, template="closure_redated", context=context)
    assert "2026年12月1日" in body and "2026-12" not in body


NOTICES = sorted(
    p.name.removesuffix(".subject.txt")
    for p in (Path(__file__).resolve().parents[2] / "templates" / "notices").glob("*.subject.txt")
)
# Every key any notice reads, with data of both scripts (titles, names, places).
EVERYTHING = {
    "request_id": 7,
    "library": "北京大学图书馆",
    "library_en": "Peking University Library",
    "mode": "proxy",
    "pickup_code": "123456",
    "shelf_slot": "A-1",
    "hold_until": "2026-12-09",
    "service_point": "总馆东门",
    "building": "学生宿舍1号楼",
    "titles": ["红楼梦", TITLE],
    "closure_start": "2026-12-01",
    "closure_end": "2026-12-14",
    "reason": "疫情",
    "loans": [
        {
            "barcode": "P1",
            "title": "红楼梦",
            "library": "PKU",
            "old_due_date": "2026-12-05",
            "due_date": "2026-12-15",
        }
    ],
    # e-resources' staff notices
    "days": 7,
    "offers": [{"database": "中国知网", "ends": "2026-12-09T23:59:00+08:00"}],
    "checked_at": "2026-12-02T03:00:00+08:00",
    "links": [
        {
            "database": "中国知网",
            "kind": "carsi",
            "url": "https://fsso.cnki.net/",
            "status": "not_found",
            "http_status": 404,
        }
    ],
}
DATA = [
    "北京大学图书馆",
    "总馆东门",
    "学生宿舍1号楼",
    "红楼梦",
    "张三",
    "疫情",
    "中国知网",
    "https://fsso.cnki.net/",
    TITLE,
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("template", NOTICES)
def test_every_notice_in_one_language(consortium, template, language):
    """Each notice, subject and body, speaks only the reader's language outside its data
    (the language-leak test's rules), with no ISO dates and no HTML escapes."""
    from libreach.core.tests.test_language_leaks import leaks

    user = consortium.reader
    user.language = language
    subject, body = render_notice(user=user, template=template, context=EVERYTHING)
    lines = [subject, *body.splitlines()]
    found = leaks("", language, DATA, parts=[line for line in lines if line.strip()])
    assert not found, f"{template} in {language}:\n" + "\n".join(found)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", subject + body), (template, body)
    assert "&#" not in body and "&amp;" not in body
