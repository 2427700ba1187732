"""core.words: names, title marks and dates in the language active when read."""

import datetime as dt
from types import SimpleNamespace

from django.utils import translation

from libreach.core import words

LIBRARY = SimpleNamespace(name="北京大学图书馆", name_en="Peking University Library")
MOMENT = dt.datetime(2026, 12, 2, 1, 15, tzinfo=dt.UTC)  # 09:15 in Beijing


def both(call):
    out = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            out[language] = str(call())
    return out


def test_library_name_by_language():
    assert both(lambda: words.local_name(LIBRARY)) == {
        "zh-hans": "北京大学图书馆",
        "en": "Peking University Library",
    }
    no_english = SimpleNamespace(name="某馆", name_en="")
    assert both(lambda: words.local_name(no_english)) == {"zh-hans": "某馆", "en": "某馆"}


def test_title_marks_by_language():
    assert both(lambda: words.quoted_title("Hamlet")) == {"zh-hans": "《Hamlet》", "en": "“Hamlet”"}
    assert words.quoted_title("") == ""


def test_dates_and_times_by_language_in_the_library_time_zone():
    assert both(lambda: words.format_datetime(MOMENT)) == {
        "zh-hans": "2026年12月2日 09:15",
        "en": "2 Dec 2026 09:15",
    }
    assert both(lambda: words.format_datetime(MOMENT, "SHORT_DATETIME_FORMAT")) == {
        "zh-hans": "12月2日 09:15",
        "en": "2 Dec 09:15",
    }
    # ISO text, as notices carry it, reads the same as the value.
    assert both(lambda: words.format_datetime("2026-12-02T09:15:00+08:00")) == both(
        lambda: words.format_datetime(MOMENT)
    )
    assert both(lambda: words.format_date("2026-12-02")) == {
        "zh-hans": "2026年12月2日",
        "en": "2 Dec 2026",
    }
    assert words.format_date(None) == "" and words.format_date("not a date") == "not a date"


def test_lazy_forms_decide_when_read():
    title, day = words.quoted_title_lazy("Hamlet"), words.format_date_lazy(dt.date(2026, 12, 2))
    name = words.local_name_lazy(LIBRARY)
    assert both(lambda: f"{name} {title} {day}") == {
        "zh-hans": "北京大学图书馆 《Hamlet》 2026年12月2日",
        "en": "Peking University Library “Hamlet” 2 Dec 2026",
    }
