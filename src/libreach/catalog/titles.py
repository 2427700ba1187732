"""Titles as compared for identity (not for search): the same title typed twice, or as a
database and a catalogue write it, gives the same key."""

import re
import unicodedata

from libreach.catalog.fold import fold

# What is not a letter or a digit (\W keeps the underscore, which is not one either).
_NOT_ALNUM = re.compile(r"[\W_]+")


def title_key(text: str) -> str:
    """`text` in one script (catalog.fold), case folded, compatibility forms undone (NFKC:
    full-width, ligatures), and only its letters and digits kept: "Nature : international
    weekly" and "NATURE: International Weekly" are one key, 紅樓夢 and 红楼梦 too."""
    folded = fold(unicodedata.normalize("NFKC", text or "")).casefold()
    return _NOT_ALNUM.sub("", folded)
