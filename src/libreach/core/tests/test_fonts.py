"""The packaged CJK font (libreach.core.fonts) covers what libreach prints: GB 2312 whole
(levels 1 and 2 and its symbols), Big5 level 1, ASCII, full-width punctuation and 《》, and
every character of the demo's books and of the Chinese translation."""

from django.conf import settings
from fontTools.ttLib import TTFont

from libreach.core.fonts import CJK_FAMILY, CJK_FONT


def covered() -> set[int]:
    return set(TTFont(CJK_FONT, lazy=True).getBestCmap())


def encodable(codec: str) -> set[int]:
    found = set()
    for code in range(0x80, 0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        try:
            chr(code).encode(codec)
        except UnicodeEncodeError:
            continue
        found.add(code)
    return found


def test_the_font_is_the_packaged_libreach_sans_sc_under_the_ofl():
    names = TTFont(CJK_FONT, lazy=True)["name"]
    assert names.getDebugName(1) == CJK_FAMILY
    assert "Adobe" in names.getDebugName(0)  # the copyright line stays
    assert (CJK_FONT.parent / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE") >= 1


def test_gb2312_ascii_and_punctuation_are_covered():
    cmap = covered()
    assert encodable("gb2312") - cmap == set()
    wanted = set(range(0x20, 0x7F)) | {
        ord(c) for c in "，。、；：？！（）《》〈〉「」【】—…“”‘’·％"
    }
    assert {chr(c) for c in wanted - cmap} == set()


def test_common_traditional_characters_are_covered():
    cmap = covered()
    level_1 = {
        code
        for code in encodable("big5")
        if 0xA440 <= int.from_bytes(chr(code).encode("big5"), "big") <= 0xC67E
    }
    assert len(level_1) == 5401
    assert {chr(c) for c in level_1 - cmap} == set()
    assert {chr(c) for c in map(ord, "紅樓夢三國演義羅貫中") if c not in cmap} == set()


def test_the_demo_and_the_translation_use_no_character_outside_the_font():
    cmap = covered()
    base = settings.BASE_DIR
    text = (base / "demo_data" / "chinese-books.tsv").read_text()
    po = (base / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text()
    text += po  # its Chinese is all in the translations (and their comments)
    han = {c for c in text if 0x3000 <= ord(c) <= 0x9FFF or 0xFF00 <= ord(c) <= 0xFFEF}
    assert {c for c in han if ord(c) not in cmap} == set()
