"""Words that differ by language beyond translation: a library's name, a title's
quotation marks, a date's or time's format. Each is decided when read, in the language
active then (a page's, or the reader's for an e-mail), so one value serves both.

Dates and times use Django's localized formats (libreach.core.formats overrides the two
languages' short forms: "12月2日 09:15" and "2 Dec 09:15"), in the current time zone.
"""

from __future__ import annotations

import datetime as dt

from django.utils import dateformat, formats, timezone
from django.utils.functional import lazy
from django.utils.translation import get_language


def _english() -> bool:
    return (get_language() or "").startswith("en")


def local_name(thing) -> str:
    """`thing.name_en` on English pages when it has one, else `thing.name` (a library's
    name: readers of the English pages know it by its English name)."""
    if thing is None:
        return ""
    english = getattr(thing, "name_en", "")
    return english if english and _english() else str(getattr(thing, "name", thing))


def quoted_title(title) -> str:
    """A title in the quotation marks of the active language: 《…》 in Chinese, “…” in
    English."""
    if title in (None, ""):
        return ""
    return f"“{title}”" if _english() else f"《{title}》"


def _moment(value):
    """A date or aware datetime from a value or its ISO text (e-mails carry JSON)."""
    if isinstance(value, str):
        try:
            value = (
                dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
            )
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    return value if isinstance(value, dt.date) else None


def format_date(value, style: str = "DATE_FORMAT") -> str:
    """A day in the active language's `style` (a Django format name): 2026年12月2日 / 2 Dec 2026."""
    moment = _moment(value)
    if moment is None:
        return "" if value in (None, "") else str(value)
    if isinstance(moment, dt.datetime):
        moment = moment.date()
    return dateformat.format(moment, formats.get_format(style))


def format_datetime(value, style: str = "DATETIME_FORMAT") -> str:
    """A moment in the library's time zone and the active language's `style`:
    2026年12月2日 09:15 / 2 Dec 2026 09:15 (SHORT_DATETIME_FORMAT leaves out the year)."""
    moment = _moment(value)
    if moment is None:
        return "" if value in (None, "") else str(value)
    if not isinstance(moment, dt.datetime):
        return format_date(moment)
    return dateformat.format(moment, formats.get_format(style))


# The same, decided when the text is read rather than now: for a DomainError's
# parameters, which speak the language active when the refusal is shown.
local_name_lazy = lazy(local_name, str)
quoted_title_lazy = lazy(quoted_title, str)
format_date_lazy = lazy(format_date, str)
format_datetime_lazy = lazy(format_datetime, str)


# --- language of parts (WCAG 3.1.2) ------------------------------------------------------

# MARC 21 language codes (008/35-37, 041) of the catalogue's languages, as BCP 47.
MARC_LANGUAGES = {
    "chi": "zh",
    "zho": "zh",
    "eng": "en",
    "jpn": "ja",
    "kor": "ko",
    "fre": "fr",
    "fra": "fr",
    "ger": "de",
    "deu": "de",
    "rus": "ru",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "lat": "la",
}

# Languages not written in Latin letters: a Latin-only text is not in them.
NON_LATIN = {"zh", "ja", "ko", "ru"}


def _script_language(text: str) -> str | None:
    """The language a text's script tells: kana is Japanese, hangul Korean, Han Chinese,
    Cyrillic Russian, Latin letters English (the consortium's two languages; a record's
    own language code says better where there is one). None when it has no letters."""
    han = latin = False
    for char in text:
        code = ord(char)
        if 0x3040 <= code <= 0x30FF:
            return "ja"
        if 0xAC00 <= code <= 0xD7AF:
            return "ko"
        if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
            han = True
        elif 0x0400 <= code <= 0x04FF:
            return "ru"
        elif char.isalpha() and code < 0x0250:
            latin = True
    if han:
        return "zh"
    return "en" if latin else None


def language_of(text, declared: str = "") -> str | None:
    """The BCP 47 primary language of `text`: a declared MARC or BCP 47 code when given
    (a record's language), else what its script tells. A declared Latin-script language
    yields to a script that contradicts it (a Chinese title on a record coded `eng`)."""
    text = "" if text is None else str(text)
    script = _script_language(text)
    declared = (declared or "").strip().lower()
    code = MARC_LANGUAGES.get(declared, declared.split("-")[0] if len(declared) in (2, 5) else "")
    if code and (script is None or script == code or (script == "en" and code not in NON_LATIN)):
        return code
    return script


def page_language() -> str:
    """The primary language of the page being rendered: `zh` or `en`."""
    return (get_language() or "zh").split("-")[0]


def foreign_language(text, declared: str = "") -> str | None:
    """The language of `text` when it differs from the page's, else None (no `lang` then)."""
    language = language_of(text, declared)
    return language if language and language != page_language() else None
