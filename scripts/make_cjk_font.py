"""Regenerate the CJK font the package ships (src/libreach/core/fonts/), for PDFs and charts.

    python3 scripts/make_cjk_font.py [--source NotoSansSC[wght].ttf]

Source: Noto Sans SC (SIL Open Font License 1.1; the only Reserved Font Name is 'Source',
which this font does not carry), the variable font of Google Fonts, taken from the PyPI
package justmytype-intl-cjk 0.1.0 (`pip download`) unless --source gives the file.

What is made: the Regular weight (wght 400, instanced with fontTools), hinting dropped,
cut down to the characters libreach prints:
  - GB 2312, all of it: 6,763 hanzi (levels 1 and 2) and its 682 symbols (full-width
    punctuation, 《》, kana, Greek, Cyrillic, pinyin letters),
  - Big5 level 1: the 5,401 common traditional hanzi, as catalogues hold records in
    traditional characters (紅樓夢),
  - ASCII, Latin-1, Latin Extended-A and B (pinyin with tone marks), combining marks,
    general punctuation, CJK symbols and punctuation, full-width and half-width forms.
That is 8,836 hanzi. The font is renamed "Libreach Sans SC" (a modified version under the
OFL), so a PDF shows which font it embeds; the copyright and licence lines stay.

Needs fontTools (a dependency of matplotlib and WeasyPrint). Takes about a minute.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "src" / "libreach" / "core" / "fonts"
OUT_FILE = OUT_DIR / "LibreachSansSC-Regular.ttf"
FAMILY = "Libreach Sans SC"
POSTSCRIPT_NAME = "LibreachSansSC-Regular"

SOURCE_PACKAGE = "justmytype-intl-cjk==0.1.0"
SOURCE_MEMBER = "justmytype_intl_cjk/fonts/ofl/notosanssc/NotoSansSC[wght].ttf"
LICENCE_MEMBER = "justmytype_intl_cjk/fonts/ofl/notosanssc/OFL.txt"
SOURCE_SHA256 = "a3041811a78c361b1de50f953c805e0244951c21c5bd412f7232ef0d899af0da"

RANGES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x024F),  # Latin-1, Latin Extended-A and B (pinyin tone marks)
    (0x0300, 0x036F),  # combining marks
    (0x2000, 0x206F),  # general punctuation (— … “ ” ‘ ’)
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。《》「」【】)
    (0xFF00, 0xFFEF),  # full-width and half-width forms (，：；？！（）)
]


def encodable(codec: str, keep=lambda encoded: True) -> set[int]:
    found = set()
    for code in range(0x80, 0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        try:
            encoded = chr(code).encode(codec)
        except UnicodeEncodeError:
            continue
        if keep(encoded):
            found.add(code)
    return found


def big5_level_1(encoded: bytes) -> bool:
    # Big5's common hanzi: lead bytes A4 to C6 (C6 only up to 7E); the rest is level 2.
    lead, trail = encoded[0], encoded[-1]
    return len(encoded) == 2 and (0xA4 <= lead < 0xC6 or (lead == 0xC6 and trail <= 0x7E))


def wanted_characters() -> set[int]:
    characters = encodable("gb2312") | encodable("big5", big5_level_1)
    for first, last in RANGES:
        characters.update(range(first, last + 1))
    return characters


def fetch_source(workdir: Path) -> tuple[Path, Path]:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(workdir)]
        + [SOURCE_PACKAGE],
        check=True,
    )
    wheel = next(workdir.glob("justmytype_intl_cjk-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        archive.extract(SOURCE_MEMBER, workdir)
        archive.extract(LICENCE_MEMBER, workdir)
    return workdir / SOURCE_MEMBER, workdir / LICENCE_MEMBER


def rename(font: TTFont) -> None:
    names = font["name"]
    # Windows names only, the family's renamed (the Mac ones would repeat the old name).
    names.names = [
        record
        for record in names.names
        if record.platformID == 3 and record.nameID not in (1, 2, 3, 4, 6, 16, 17, 25)
    ]
    for name_id, text in {
        1: FAMILY,
        2: "Regular",
        3: f"{POSTSCRIPT_NAME};libreach subset",
        4: f"{FAMILY} Regular",
        6: POSTSCRIPT_NAME,
        10: "A subset of Noto Sans SC (Regular) made by libreach's scripts/make_cjk_font.py: "
        "GB 2312, Big5 level 1, Latin and punctuation.",
    }.items():
        names.setName(text, name_id, 3, 1, 0x409)
    if "STAT" in font:
        del font["STAT"]  # described the variable font's axes
    font["post"].formatType = 3.0  # no glyph names: PDFs and charts do not need them


def build(source: Path, licence: Path) -> None:
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        print(f"note: {source.name} has sha256 {digest}, not the one this font was made from")
    font = TTFont(source)
    font = instancer.instantiateVariableFont(font, {"wght": 400})
    options = subset.Options()
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    available = set(font.getBestCmap())
    subsetter.populate(unicodes=wanted_characters() & available)
    subsetter.subset(font)
    rename(font)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    font.save(OUT_FILE)
    shutil.copyfile(licence, OUT_DIR / "OFL.txt")
    hanzi = sum(1 for code in font.getBestCmap() if 0x4E00 <= code <= 0x9FFF)
    print(
        f"{OUT_FILE.relative_to(ROOT)}: {OUT_FILE.stat().st_size:,} bytes, "
        f"{len(font.getBestCmap()):,} characters ({hanzi:,} hanzi)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, help="NotoSansSC[wght].ttf (else pip download)")
    parser.add_argument("--licence", type=Path, help="its OFL.txt (with --source)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.source:
            licence = args.licence or args.source.with_name("OFL.txt")
            build(args.source, licence)
        else:
            build(*fetch_source(Path(tmp)))


if __name__ == "__main__":
    main()
